"""The Address model and what the journal keeps of it (pure: no store needed)."""

from __future__ import annotations

import pytest

from flowtui.api.errors import ProtocolError
from flowtui.api.models import ADDRESS_ATTRS, ADDRESS_BASE_KEYS, Address
from flowtui.api.recording import address_attrs

#: The vendored spec's own example (CustomerAddressResponse), with a custom value added.
SPEC_EXAMPLE = {
    "id": "5f8da740-6680-463e-b31c-190b2db4bf9d",
    "type": "address",
    "first_name": "Ron",
    "last_name": "Swanson",
    "name": "Home",
    "phone_number": "(555) 555-1234",
    "instructions": "Leave behind bin",
    "company_name": "Ron Swanson Enterprises",
    "line_1": "1 Sunny Street",
    "line_2": "Unit 101",
    "city": "Sunny Town",
    "county": "Sunnyville",
    "region": "acc-legal-name",
    "postcode": "SU33 1YY",
    "country": "GB",
    "meta": {
        "timestamps": {
            "created_at": "2021-02-23T09:40:33.882Z",
            "updated_at": "2021-02-24T09:40:33.882Z",
        }
    },
    "links": {"self": "https://useast.api.elasticpath.com/v2/customers/c1/addresses"},
    "relationships": {"customer": {"id": "11afcf9b", "type": "customer"}},
    "gate_code": "1234",
}


def test_parse_keeps_every_base_attribute_and_the_custom_values_flat():
    address = Address.parse(SPEC_EXAMPLE)
    assert address.id == SPEC_EXAMPLE["id"]
    for key in ADDRESS_ATTRS:
        assert getattr(address, key) == SPEC_EXAMPLE[key], key
        assert address.value(key) == SPEC_EXAMPLE[key]
    assert address.custom == {"gate_code": "1234"}
    assert address.value("gate_code") == "1234"
    assert address.value("delivery_window") is None
    assert (address.created_at, address.updated_at) == (
        "2021-02-23T09:40:33.882Z",
        "2021-02-24T09:40:33.882Z",
    )


def test_the_customer_comes_from_the_spec_shape_the_contract_shape_or_the_caller():
    assert Address.parse(SPEC_EXAMPLE).customer_id == "11afcf9b"
    contract = {**SPEC_EXAMPLE, "relationships": {"customer": {"data": {"id": "c9"}}}}
    assert Address.parse(contract).customer_id == "c9"
    assert Address.parse(contract, "asked").customer_id == "asked"
    assert Address.parse({"id": "a"}).customer_id == ""


def test_base_keys_are_the_attributes_and_the_envelope_keys():
    assert set(ADDRESS_ATTRS) < ADDRESS_BASE_KEYS
    assert {"id", "type", "meta", "links", "relationships"} < ADDRESS_BASE_KEYS
    assert "gate_code" not in ADDRESS_BASE_KEYS


def test_absent_or_null_attributes_read_as_empty_text_and_non_text_as_text():
    address = Address.parse({"id": "a", "name": None, "postcode": 12345}, "c")
    assert address.name == "" and address.city == "" and address.postcode == "12345"


@pytest.mark.parametrize("data", [None, [], "x", {"name": "no id"}, {"id": 5}])
def test_an_address_without_an_id_is_a_protocol_error(data):
    with pytest.raises(ProtocolError, match="address"):
        Address.parse(data)


def test_summary_is_one_compact_line_without_empty_parts():
    full = Address.parse(SPEC_EXAMPLE)
    assert full.summary() == "Home · 1 Sunny Street, Sunny Town SU33 1YY, GB"
    unnamed = Address("a", "c", first_name="Ada", last_name="L", line_1="1 Main St", country="US")
    assert unnamed.summary() == "Ada L · 1 Main St, US"
    assert Address("a1", "c").summary() == "a1"
    assert "\n" not in Address("a", "c", name="x", city="y").summary()


def test_the_journal_keeps_the_attributes_in_display_order_then_custom_values():
    attrs = address_attrs(Address.parse(SPEC_EXAMPLE))
    assert list(attrs) == [*ADDRESS_ATTRS, "gate_code"]
    assert attrs["country"] == "GB" and attrs["gate_code"] == "1234"
