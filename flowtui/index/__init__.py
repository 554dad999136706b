"""The local customer index: search any custom field without the store's help (no Textual).

EPCC cannot filter customers on flow fields, so flowtui keeps one SQLite file per profile in
the cache directory (:func:`index_path`), synced incrementally by ``updated_at``
(:mod:`flowtui.index.sync`), and searches it with a small query language
(:mod:`flowtui.index.query`).
"""

from flowtui.index.query import QueryError, age_text, parse_query
from flowtui.index.store import CustomerIndex, SearchResult, index_path
from flowtui.index.sync import SyncResult, sync_index

__all__ = [
    "CustomerIndex",
    "QueryError",
    "SearchResult",
    "SyncResult",
    "age_text",
    "index_path",
    "parse_query",
    "sync_index",
]
