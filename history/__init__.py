"""The history of published values: its port (:class:`history.store.HistoryStore`), the SQLite and
Elasticsearch backends, and the factory that picks one beside the index.

``figures`` records into it and reads from it; it depends only on :mod:`core`.
"""
