"""Walking customers as the store sent them, for commands that write them out (no Textual).

An export needs each customer's JSON object, not a :class:`~flowtui.api.models.Customer`:
building one per customer, and the service's note of every customer seen (which only open
views follow, to hear of rows changed elsewhere), cost the client more CPU than the fetch
itself, and at no latency the client's CPU is what the export waits on. :class:`RowLister`
lists :class:`~flowtui.api.models.CustomerRow` pages through the service's one request path
(its auth, pacing, retries and errors), and :func:`iter_customer_rows` walks them exactly as
:meth:`ApiService.iter_customers <flowtui.api.paging.CustomerWalks.iter_customers>` walks
customers (same windows, same checks, same requests).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable, Sequence

from flowtui.api.models import CustomerRow, Page
from flowtui.api.paging import CONCURRENCY, PAGE_LIMIT, Term, WalkStats, walk_pages
from flowtui.api.params import list_params
from flowtui.api.service import ApiService


class RowLister:
    """``list_customers`` of ``service``, as rows (a :class:`~flowtui.api.paging.CustomerLister`
    of :class:`CustomerRow`)."""

    def __init__(self, service: ApiService) -> None:
        self.service = service

    async def list_customers(
        self,
        *,
        filters: Iterable[tuple[str, str, str]] = (),
        sort: str | None = None,
        limit: int = PAGE_LIMIT,
        offset: int = 0,
    ) -> Page[CustomerRow]:
        """One page of customers as rows (the query :meth:`ApiService.list_customers` sends)."""
        params = list_params(filters, sort, limit, offset)
        body = await self.service.request("GET", "/v2/customers", params=params)
        return Page.parse(body, CustomerRow.parse)


def iter_customer_row_pages(
    service: ApiService,
    *,
    concurrency: int = CONCURRENCY,
    terms: Sequence[Term] = (),
    stats: WalkStats | None = None,
) -> AsyncGenerator[list[CustomerRow], None]:
    """Every customer (matching ``terms``) as rows, a page at a time, oldest first, walked by
    created_at with ``concurrency`` requests in flight (see :func:`.paging.walk_pages`).
    The newest key is asked for with the first page (``newest_early``): a command that
    writes every customer out is seldom for a store of one page. Leaving early: close the
    iterator (``contextlib.aclosing``) to stop the walk's workers."""
    lister = RowLister(service)
    return walk_pages(lister, terms=terms, concurrency=concurrency, stats=stats, newest_early=True)
