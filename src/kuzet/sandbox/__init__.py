"""The sandbox web: fixture sites served on 127.0.0.1 for tests and ``kuzet demo``.

``server.SandboxServer`` serves them by Host header (``*.test``); ``catalog`` lists the seeds,
the registry row and the answer key. See ``README.md`` beside this file.
"""
