"""The read model: the index interface and its backends, queries and indicators.

Every other package reads through here: ``ingest`` writes documents into an
:class:`search.index.Index`, while ``api`` and ``publisher`` only read.
"""
