"""Diffing a customer form against the customer it opened with: :func:`form_changes`, the one
place that logic lives (it was also ``api.models.customer_changes``, a near-copy, now gone)."""

from __future__ import annotations

from typing import Any

from flowtui.api.models import Customer
from flowtui.ui.logic.browse import form_changes


def edit(customer: Customer, form: dict[str, Any]) -> dict[str, Any]:
    """What an update sends when a form opened on ``customer`` now holds ``form``."""
    return form_changes({k: customer.value(k) for k in form if k != "password"}, form)


RON = Customer(
    id="c1",
    name="Ron Swanson",
    email="ron@example.com",
    external_ref=None,
    custom={"delivery_details": "Do NOT leave in a government building", "tier": 3, "vip": False},
)


def test_changes_only_what_differs() -> None:
    edited = {
        "name": "Ron Swanson",
        "email": "ron@example.com",
        "external_ref": None,
        "delivery_details": "Leave in Leslie Knope’s office",
        "tier": 3,
        "vip": False,
    }
    assert edit(RON, edited) == {"delivery_details": "Leave in Leslie Knope’s office"}


def test_no_changes() -> None:
    edited = {"name": "Ron Swanson", "email": "ron@example.com", "tier": 3, "password": ""}
    assert edit(RON, edited) == {}


def test_password_only_when_given() -> None:
    assert edit(RON, {"password": None}) == {}
    assert edit(RON, {"password": ""}) == {}
    assert edit(RON, {"password": "hunter2"}) == {"password": "hunter2"}


def test_type_changes_count() -> None:
    # 3 == 3.0 and 0 == False in Python, but the store would see a different value.
    assert edit(RON, {"tier": 3.0, "vip": 0}) == {"tier": 3.0, "vip": 0}


def test_clearing_and_setting_values() -> None:
    assert edit(RON, {"external_ref": "crm-9", "tier": None, "new_field": None}) == {
        "external_ref": "crm-9",
        "tier": None,
    }
    assert edit(RON, {"external_ref": None, "new_field": "x"}) == {"new_field": "x"}
