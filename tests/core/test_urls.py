"""Base URLs as pasted (issue 16: the API docs' URLs end in /v2, which flowtui adds itself)."""

from __future__ import annotations

import pytest

from flowtui.core.urls import ends_in_api_version, without_api_version


@pytest.mark.parametrize(
    ("pasted", "used"),
    [
        ("https://useast.api.elasticpath.com/v2", "https://useast.api.elasticpath.com"),
        ("https://useast.api.elasticpath.com/v2/", "https://useast.api.elasticpath.com"),
        (" https://euwest.api.elasticpath.com/V2 ", "https://euwest.api.elasticpath.com"),
        ("http://127.0.0.1:8710/proxy/v2", "http://127.0.0.1:8710/proxy"),
        ("https://useast.api.elasticpath.com", "https://useast.api.elasticpath.com"),
        ("https://useast.api.elasticpath.com/", "https://useast.api.elasticpath.com/"),
        ("https://shop.example.com/v22", "https://shop.example.com/v22"),
        ("https://v2.example.com", "https://v2.example.com"),
    ],
)
def test_a_trailing_v2_is_dropped_and_nothing_else(pasted, used):
    assert without_api_version(pasted) == used
    assert ends_in_api_version(pasted) == (used != pasted.strip())
