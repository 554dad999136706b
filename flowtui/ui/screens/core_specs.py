"""The base attributes of the core resources flowtui knows, as form inputs: what a form for
a customer or an address shows before its core flow's fields. The editors and the designer's
preview use the same lists, so the preview is the form."""

from __future__ import annotations

from flowtui.api.models import ADDRESS_ATTRS
from flowtui.ui.logic import addresses as L
from flowtui.ui.screens.forms import CUSTOMER_BASE
from flowtui.ui.widgets.country import AddressFieldEditor
from flowtui.ui.widgets.form import FieldEditor, FormField

#: An address's base attributes, in the store's display order (required ones marked).
ADDRESS_BASE: list[FormField] = [
    FormField(key, L.ADDRESS_LABELS[key], required=key in L.ADDRESS_REQUIRED)
    for key in ADDRESS_ATTRS
]

#: Core flow slug -> the inputs of its resource's own attributes.
BASE_SPECS: dict[str, list[FormField]] = {"customers": CUSTOMER_BASE, "addresses": ADDRESS_BASE}

#: Core flow slug -> the row widget of its forms (others: :class:`FieldEditor`).
EDITORS: dict[str, type[FieldEditor]] = {"addresses": AddressFieldEditor}


def editor_for(flow_slug: str) -> type[FieldEditor]:
    """The row widget of a form of ``flow_slug``'s records."""
    return EDITORS.get(flow_slug, FieldEditor)
