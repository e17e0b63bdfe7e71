"""Build-time tools for the sandbox web (their outputs are committed; nothing here runs at run time)."""
