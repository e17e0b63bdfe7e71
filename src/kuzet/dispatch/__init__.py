"""Dispatch: send a case's package (documents, evidence, manifest) to the authority by e-mail,
signed webhook or outbox folder, record every attempt, and record the authority's answers.

Entry points: ``send_case`` / ``retry_dispatches`` (``kuzet.dispatch.service``),
``record_answer`` (``kuzet.dispatch.answers``), the CLI in ``kuzet.dispatch.commands``.
"""
