"""Flow definitions kept for the session (issue 14, api/definitions.py): what a read saw is
kept, the service's own writes patch it, a flow renamed or deleted drops it, and a
revalidation that finds the store changed behind our back tells the listeners."""

from __future__ import annotations

import httpx

from flowtui.api.changes import Change
from flowtui.api.definitions import Definitions
from flowtui.api.service import ApiService


def slugs(fields) -> list[str]:
    return [f.slug for f in fields]


async def test_nothing_is_known_before_a_read_then_the_read_is_kept(service: ApiService):
    kept = service.definitions
    assert kept.value_fields("customers") is None
    fields = await service.value_fields("customers")
    assert fields and kept.value_fields("customers") == fields
    assert kept.fields("customers") == await service.list_fields("customers")
    # A flow that does not exist has no fields (and that is known too).
    assert await service.value_fields("no-such-flow") == []
    assert kept.value_fields("no-such-flow") == []


async def test_own_writes_patch_what_is_kept_without_a_read(service: ApiService, seeded_app):
    store = seeded_app.state.store
    await service.value_fields("customers")
    flow = next(f for f in await service.list_flows() if f.slug == "customers")
    before = slugs(service.definitions.value_fields("customers") or [])

    field = await service.create_field(
        flow, name="Shoe size", slug="shoe_size", field_type="integer", order=2
    )
    kept = service.definitions.value_fields("customers") or []
    # In the store's order (by ``order``), as a read would list them.
    assert slugs(kept) == slugs(await service.value_fields("customers"))
    assert "shoe_size" in slugs(kept) and len(kept) == len(before) + 1

    await service.update_field(field.id, name="Shoe size (EU)")  # no flow slug given
    kept = service.definitions.value_fields("customers") or []
    assert next(f for f in kept if f.id == field.id).name == "Shoe size (EU)"

    await service.update_field(field.id, flow_slug="customers", enabled=False)
    assert "shoe_size" not in slugs(service.definitions.value_fields("customers") or [])
    assert "shoe_size" in slugs(service.definitions.fields("customers") or [])

    await service.delete_field(field, "customers")
    assert slugs(service.definitions.value_fields("customers") or []) == before
    assert store.get_field(field.id) is None


async def test_a_flow_renamed_or_deleted_is_read_again(service: ApiService):
    flow = await service.create_flow("Wish", "wish", "", True)
    await service.create_field(flow, name="Note", slug="note", field_type="string")
    assert slugs(await service.value_fields("wish")) == ["note"]
    await service.value_fields("customers")

    renamed = await service.update_flow(flow.id, slug="wishes")
    assert service.definitions.fields("wish") is None
    assert service.definitions.fields("customers") is not None  # another flow: kept
    assert slugs(await service.value_fields("wishes")) == ["note"]

    await service.delete_flow(renamed)
    assert service.definitions.fields("wishes") is None


async def test_a_revalidation_that_finds_a_change_tells_the_listeners(
    service: ApiService, raw: httpx.AsyncClient
):
    heard: list[Change] = []
    service.subscribe(heard.append)
    await service.value_fields("customers")
    flow_id = (service.definitions.fields("customers") or [])[0].flow_id

    # Nothing changed: a revalidation is silent (and one read recently is not repeated).
    assert service.definitions.revalidate("customers") is None
    task = service.definitions.revalidate("customers", force=True)
    assert task is not None
    await task
    assert heard == []

    # Another client adds a field: the next revalidation finds it and says so.
    body = {
        "type": "field",
        "name": "Loyalty",
        "slug": "loyalty",
        "field_type": "string",
        "description": "",
        "required": False,
        "enabled": True,
        "relationships": {"flow": {"data": {"type": "flow", "id": flow_id}}},
    }
    answer = await raw.post("/v2/fields", json={"data": body})
    assert answer.status_code == 201, answer.text
    task = service.definitions.revalidate("customers", force=True)
    assert task is not None
    await task
    assert [(c.resource, c.action, c.flow_slug, c.via) for c in heard] == [
        ("field", "updated", "customers", "read")
    ]
    assert "loyalty" in slugs(service.definitions.value_fields("customers") or [])
    assert service.definitions.revalidations == 2


async def test_a_failed_revalidation_keeps_what_was_known() -> None:
    from flowtui.api.models import Field

    known = [Field(id="1", flow_id="f", name="A", slug="a", field_type="string")]
    heard: list[Change] = []

    async def fetch(slug: str) -> object:
        raise httpx.ConnectError("down")

    kept = Definitions(fetch, heard.append)
    kept.saw("customers", known)
    task = kept.revalidate("customers", force=True)
    assert task is not None
    await task  # never raises: logged, and tried again later
    assert kept.value_fields("customers") == known and heard == []
    await kept.aclose()
