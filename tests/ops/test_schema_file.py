"""The schema file (:mod:`flowtui.ops.schema_file`) for any text: whatever a store holds in a
name, a description, an enum option or an entry value is written so that it reads back
exactly, and nothing in the file can move the cursor or hide in a diff."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from flowtui.ops import schema as S

#: Any text a store can hold in JSON (lone surrogates excepted: they are no Unicode text).
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
SAFE_FILE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


@settings(max_examples=150, deadline=None)
@given(name=TEXT, description=TEXT, options=st.lists(TEXT.filter(bool), min_size=1, max_size=4),
       value=TEXT, key=TEXT.filter(bool))  # fmt: skip
def test_any_text_round_trips_and_the_file_holds_no_control_character(
    name, description, options, value, key
):
    rules = ({"type": "enum", "options": options},)
    field = S.FieldSpec("tag", name, description, "string", False, True, None, 1, False, rules)
    free = S.FieldSpec("note", "Note", "", "string", False, True, None, 2, False, ())
    flow = S.FlowSpec("tags", name, description, True, (field, free))
    schema = S.Schema((flow,), (S.EntrySpec("tags", key, {"note": value}),))
    text = schema.to_toml()
    assert SAFE_FILE.search(text) is None
    back = S.Schema.from_toml(text)
    assert back == schema
    assert back.to_toml() == text


def test_numbers_keep_their_json_type():
    rules = ({"type": "enum", "options": [0.5, 1.0, 2.0]},)
    field = S.FieldSpec("f", "F", "", "float", False, True, 1.0, None, False, rules)
    n = S.FieldSpec("n", "N", "", "integer", False, True, 3, None, True, ())
    schema = S.Schema((S.FlowSpec("nums", "Nums", "", False, (field, n)),))
    text = schema.to_toml()
    assert "options = [0.5, 1.0, 2.0]" in text and "default = 1.0" in text
    back = S.Schema.from_toml(text)
    assert back == schema
    spec = back.flows[0].field("f")
    assert spec is not None and type(spec.default) is float
