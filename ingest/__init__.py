"""Getting events in: contracts, importers, the event log, redaction and the ingest worker.

Depends on ``search`` (it writes the read model), never on ``api`` or ``publisher``.
"""
