"""The index: its port (:class:`search.index.Index`), the SQLite FTS5 and Elasticsearch backends,
queries and their parsing, text analysis and mappings.

``ingest`` writes documents through it; ``figures``, ``api`` and ``publisher`` only read.
It depends only on :mod:`core`.
"""
