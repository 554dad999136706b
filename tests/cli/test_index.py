"""``flowtui index sync / search / status`` in-process through :func:`flowtui.cli.main`,
against a demo-seeded sandbox served over loopback HTTP (the ``shop`` fixture of
``tests/cli/conftest.py``)."""

from __future__ import annotations

from flowtui.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_sync_search_status(shop, capsys):
    code, out, err = run(capsys, "index", "search", "knope")
    assert code == 1 and out == ""
    assert err == (
        "flowtui: the index of profile shop is empty: run `flowtui index sync --profile shop` "
        "first\n"
    )

    code, out, err = run(capsys, "index", "sync")
    assert code == 0 and out == ""
    assert "300/300 customers (100%)" in err
    assert "Indexed 300 customers in" in err
    assert "Full sync of profile shop: the index holds 300 customers." in err

    code, out, err = run(capsys, "index", "search", "delivery_notes:knope loyalty_tier>=2",
                         "--limit", "3")  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3
    assert all("delivery_notes=Leave in Leslie Knope’s office" in line for line in lines)
    assert all("loyalty_tier=" in line for line in lines)
    assert err.startswith("3 of ") and err.endswith(" matches · index up to date\n")

    code, out, err = run(capsys, "index", "status", "--profile", "shop")
    assert code == 0 and "customers  300" in out and "(up to date)" in out

    shop.state.store.insert_customers(
        [("00000000-0000-4000-8000-000000000001", "Evil\x1b[31m Red", "evil@example.com",
          None, None, {}, "2030-01-01T00:00:00.000Z", "2030-01-01T00:00:00.000Z")]
    )  # fmt: skip
    code, out, err = run(capsys, "index", "sync", "--profile", "shop")
    assert code == 0 and "Incremental sync of profile shop: the index holds 301" in err
    code, out, err = run(capsys, "index", "search", "evil")
    assert "\x1b" not in out and "Evil\\x1b[31m Red" in out


def test_bad_queries_are_one_sentence(shop, capsys):
    assert run(capsys, "index", "sync")[0] == 0
    code, out, err = run(capsys, "index", "search", "colour:red")
    assert code == 1 and out == ""
    assert err.startswith("flowtui: cannot search: there is no field 'colour'; known fields: ")
    assert err.count("\n") == 1
    code, _, err = run(capsys, "index", "search", "loyalty_tier>=lots")
    assert code == 1
    assert err == "flowtui: cannot search: loyalty_tier holds numbers, and 'lots' is not one\n"


def test_unknown_profile_is_one_line(shop, capsys):
    code, out, err = run(capsys, "index", "status", "--profile", "nope")
    assert code == 1 and out == "" and err.count("\n") == 1 and "nope" in err
