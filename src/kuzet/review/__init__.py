"""Decisions by people: analysts confirm or dismiss findings; their decisions train the model."""
