"""``flowtui export customers``: every customer with its custom fields, progress on stderr and
nothing but data on stdout, against a real sandbox seeded with demo customers.

Most cases run :func:`flowtui.cli.main` in-process (sync tests: the CLI calls ``asyncio.run``);
a few run ``python -m flowtui`` as a subprocess to prove stdout pipes cleanly.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from flowtui.api.models import CUSTOMER_BASE_KEYS
from flowtui.api.service import ApiService
from flowtui.cli import main
from flowtui.cli import transfer as cli_module
from flowtui.cli.progress import Progress
from flowtui.cli.transfer import EXPORT_GC_THRESHOLD
from flowtui.ops.export import BASE_COLUMNS, csv_cell, export_customers
from flowtui.sandbox import demo
from flowtui.sandbox.server import BackgroundServer
from tests.conftest import CLIENT_ID, CLIENT_SECRET, make_sandbox

REPO = Path(__file__).resolve().parents[1]
N = 1234
CUSTOM = ("delivery_notes", "loyalty_tier", "newsletter", "birthday", "contact_window",
          "lifetime_value")  # fmt: skip
COLUMNS = [*BASE_COLUMNS, *CUSTOM]
HOSTILE = "Mallory \x1b]0;pwned\x07 \u202eevil\u202c Jr"
TRICKY = 'Smith, "Jo"\nsecond line, still the name'


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class Shop:
    url: str
    app: object
    server: BackgroundServer

    @property
    def store(self):
        return self.app.state.store

    def ids(self) -> list[str]:
        rows = self.store._all("SELECT id FROM customers ORDER BY created_at, id")
        return [r["id"] for r in rows]


@pytest.fixture
def cli(capsys, monkeypatch) -> Callable[..., Run]:
    def run(*argv: str) -> Run:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return Run(code, out, err)

    return run


@pytest.fixture
def make_shop(capsys, monkeypatch) -> Iterator[Callable[..., Shop]]:
    """``make_shop(n, **config)``: a seeded sandbox on loopback and a default profile for it."""
    shops: list[Shop] = []

    def start(n: int = N, profile: str | None = "shop", **overrides: object) -> Shop:
        app = make_sandbox(**overrides)
        if n:
            assert demo.seed(app.state.store, n)
        shop = Shop("", app, BackgroundServer(app).start())
        shop.url = shop.server.url
        shops.append(shop)
        if profile:
            monkeypatch.setattr(sys, "stdin", io.StringIO(CLIENT_SECRET + "\n"))
            code = main(
                ["profile", "add", profile, "--url", shop.url, "--client-id", CLIENT_ID,
                 "--secret-stdin", "--rate-limit", "1000", "--no-check"]
            )  # fmt: skip
            assert code == 0
            capsys.readouterr()
        return shop

    yield start
    for shop in shops:
        shop.server.stop()
        shop.store.close()


@pytest.fixture
def shop(make_shop) -> Shop:
    return make_shop()


def api_get(url: str, path: str) -> dict:
    with httpx.Client(base_url=url) as client:
        form = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
        form["client_secret"] = CLIENT_SECRET
        token = client.post("/oauth/access_token", data=form).json()["access_token"]
        response = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        return response.json()


def create_customer(url: str, name: str, email: str, **custom: object) -> str:
    async def go() -> str:
        async with ApiService(url, CLIENT_ID, CLIENT_SECRET, rate_limit=None) as service:
            return (await service.create_customer(name=name, email=email, custom=custom)).id

    return asyncio.run(go())


def jsonl(text: str) -> list[dict]:
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.split("\n")[:-1]]


def expected_record(raw: dict) -> dict:
    """The flat record a customer should export as, built from the API's own JSON."""
    stamps = raw["meta"]["timestamps"]
    record = {
        "id": raw["id"],
        "name": raw["name"],
        "email": raw["email"],
        "external_ref": raw.get("external_ref"),
        "created_at": stamps["created_at"],
        "updated_at": stamps["updated_at"],
    }
    for slug in CUSTOM:
        record[slug] = raw.get(slug)
    return record


# -- JSON Lines --------------------------------------------------------------------------------


def test_jsonl_has_every_customer_with_custom_fields(cli, shop, monkeypatch):
    thresholds: list[tuple[int, ...]] = []
    real = export_customers

    async def observed(*args, **kwargs):
        thresholds.append(gc.get_threshold())  # as the export runs
        return await real(*args, **kwargs)

    monkeypatch.setattr("flowtui.ops.export.export_customers", observed)
    monkeypatch.setattr(cli_module, "freezes_at_exit", False)
    before = gc.get_threshold()
    run = cli("export", "customers", "--format", "jsonl")
    assert run.code == 0, run.err
    # The collector ran less often during the export, and as before once it was done.
    assert thresholds == [(EXPORT_GC_THRESHOLD, *before[1:])] and gc.get_threshold() == before
    assert cli_module.freezes_at_exit  # the shutdown's last collection is skipped
    records = jsonl(run.out)
    assert len(records) == N
    assert [r["id"] for r in records] == shop.ids()  # all of them, oldest first, once each
    for record in records:
        assert list(record) == COLUMNS
    # The demo data fills every custom field for some customers and leaves some empty.
    for slug in CUSTOM:
        assert any(r[slug] is not None for r in records), slug
    assert {r["newsletter"] for r in records} == {True, False}
    assert any(r["delivery_notes"] is None for r in records)
    assert all(isinstance(r["lifetime_value"], int | float) for r in records)

    # Progress is on stderr only, and ends with the total.
    assert f"{N:,}/{N:,} customers (100%)" in run.err
    assert run.err.splitlines()[-1].startswith(f"Exported {N:,} customers in ")
    assert all(line.startswith('{"id":') for line in run.out.splitlines())
    assert "customers (" not in run.out and "Exported" not in run.out


def test_records_equal_what_the_api_returns(cli, shop):
    records = {r["id"]: r for r in jsonl(cli("export", "customers").out)}
    ids = shop.ids()
    for customer_id in (ids[0], ids[1], ids[N // 2], ids[-2], ids[-1]):
        raw = api_get(shop.url, f"/v2/customers/{customer_id}")["data"]
        assert records[customer_id] == expected_record(raw)
        extra = set(raw) - CUSTOMER_BASE_KEYS
        assert extra <= set(CUSTOM), f"custom values missing from the export: {extra}"


# -- CSV ---------------------------------------------------------------------------------------


def test_csv_has_every_customer_and_matches_the_jsonl(cli, shop):
    run = cli("export", "customers", "--format", "csv")
    assert run.code == 0, run.err
    rows = list(csv.reader(io.StringIO(run.out, newline="")))
    assert rows[0] == COLUMNS
    body = [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]
    assert len(body) == N
    assert [r["id"] for r in body] == shop.ids()
    assert f"Exported {N:,} customers" in run.err

    records = {r["id"]: r for r in jsonl(cli("export", "customers").out)}
    for row in body:
        assert row == {k: csv_cell(v) for k, v in records[row["id"]].items()}
    # Booleans as true/false, nulls as empty cells, numbers as plain numbers.
    assert {r["newsletter"] for r in body} == {"true", "false"}
    nulls = [r for r in body if records[r["id"]]["delivery_notes"] is None]
    assert nulls and all(r["delivery_notes"] == "" for r in nulls)
    assert any(r["external_ref"] == "" for r in body)
    assert all(float(r["lifetime_value"]) >= 0 for r in body)
    assert {r["loyalty_tier"] for r in body} <= {"", "1", "2", "3", "4", "5"}


def test_csv_cell():
    assert csv_cell(None) == ""
    assert csv_cell(True) == "true" and csv_cell(False) == "false"
    assert csv_cell(0) == "0" and csv_cell(2.5) == "2.5"
    assert csv_cell("a,b") == "a,b"
    assert csv_cell({"x": "é"}) == '{"x": "é"}'


def test_a_name_with_comma_quote_and_newline_round_trips(cli, make_shop):
    shop = make_shop(5)
    customer_id = create_customer(
        shop.url, TRICKY, "tricky@example.org", delivery_notes='Ring twice, "loudly"\r\nthanks'
    )
    run = cli("export", "customers", "--format", "csv")
    assert run.code == 0, run.err
    rows = list(csv.DictReader(io.StringIO(run.out, newline="")))
    assert len(rows) == 6
    row = next(r for r in rows if r["id"] == customer_id)
    assert row["name"] == TRICKY
    assert row["delivery_notes"] == 'Ring twice, "loudly"\r\nthanks'
    assert row["email"] == "tricky@example.org"

    records = jsonl(cli("export", "customers").out)
    assert len(records) == 6
    assert next(r for r in records if r["id"] == customer_id)["name"] == TRICKY


# -- terminals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_to_a_terminal_escapes_control_characters(make_shop, fmt):
    shop = make_shop(2, profile=None)
    create_customer(shop.url, HOSTILE, "mallory@example.org", delivery_notes="\x1b[2J\x9b")

    async def export(for_terminal: bool) -> str:
        out = io.StringIO()
        async with ApiService(shop.url, CLIENT_ID, CLIENT_SECRET, rate_limit=None) as service:
            result = await export_customers(service, out, fmt, for_terminal=for_terminal)
        assert result.count == 3
        return out.getvalue()

    shown = asyncio.run(export(True))
    for bad in ("\x1b", "\x07", "\x9b", "\u202e", "\u202c"):
        assert bad not in shown, repr(bad)
    assert "pwned" in shown and "Mallory" in shown
    # Piped (not a terminal), the data is exact.
    piped = asyncio.run(export(False))
    if fmt == "jsonl":
        assert HOSTILE in [r["name"] for r in jsonl(piped)]
    else:
        assert HOSTILE in [r["name"] for r in csv.DictReader(io.StringIO(piped, newline=""))]


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_cli_escapes_when_stdout_is_a_terminal(cli, make_shop, monkeypatch):
    shop = make_shop(2)
    create_customer(shop.url, HOSTILE, "mallory@example.org")
    for fmt in ("jsonl", "csv"):
        screen = FakeTerminal()
        monkeypatch.setattr(sys, "stdout", screen)
        assert main(["export", "customers", "--format", fmt]) == 0
        text = screen.getvalue()
        assert "Mallory" in text
        for bad in ("\x1b", "\x07", "\u202e"):
            assert bad not in text, (fmt, repr(bad))


# -- files -------------------------------------------------------------------------------------


def test_output_file_is_written_whole_and_stdout_stays_empty(cli, shop, tmp_path):
    target = tmp_path / "out" / "customers.csv"
    target.parent.mkdir()
    target.write_text("old export\n")
    run = cli("export", "customers", "--format", "csv", "--output", str(target))
    assert run.code == 0, run.err
    assert run.out == ""
    assert sorted(p.name for p in target.parent.iterdir()) == ["customers.csv"]  # no .part
    rows = list(csv.reader(target.open(newline="", encoding="utf-8")))
    assert rows[0] == COLUMNS and len(rows) == N + 1
    assert f"Exported {N:,} customers" in run.err


def test_output_into_a_missing_folder_is_one_line(cli, shop, tmp_path):
    run = cli("export", "customers", "-o", str(tmp_path / "nowhere" / "c.jsonl"))
    assert run.code == 1
    assert run.out == ""
    assert len(run.err.splitlines()) == 1
    assert run.err.startswith("flowtui: cannot write ")


def test_store_going_away_mid_export_leaves_the_part_file(cli, make_shop, monkeypatch, tmp_path):
    shop = make_shop(latency_ms=40)
    stopped: list[int] = []

    class StopTheStore(Progress):
        def __call__(self, done: int, total: int) -> None:
            super().__call__(done, total)
            if done >= 300 and not stopped:
                stopped.append(done)
                shop.server.stop()  # waits until the store no longer answers

    monkeypatch.setattr(cli_module, "Progress", StopTheStore)
    target = tmp_path / "customers.jsonl"
    target.write_text("the previous export\n")
    run = cli("export", "customers", "--output", str(target))
    assert stopped, "the export finished before the store was stopped"
    assert run.code == 1
    assert run.out == ""
    partial = Path(str(target) + ".part")
    lines = run.err.splitlines()
    assert f"flowtui: the export stopped; what was written is in {partial}" in lines
    assert lines[-1].startswith("flowtui: Cannot reach http://127.0.0.1")
    assert "Exported" not in run.err
    # The target still holds the previous export; what was written is in the .part file.
    assert target.read_text() == "the previous export\n"
    written = jsonl(partial.read_text())
    assert 300 <= len(written) < N
    assert [r["id"] for r in written] == shop.ids()[: len(written)]


def test_export_from_environment_variables_without_a_profile(cli, make_shop, monkeypatch):
    shop = make_shop(150, profile=None)
    monkeypatch.setenv("EPCC_API_BASE_URL", shop.url)
    monkeypatch.setenv("EPCC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("EPCC_CLIENT_SECRET", CLIENT_SECRET)
    run = cli("export", "customers")
    assert run.code == 0, run.err
    assert [r["id"] for r in jsonl(run.out)] == shop.ids()
    assert not Path(os.environ["FLOWTUI_CONFIG_DIR"], "config.toml").exists()
    assert not Path(os.environ["FLOWTUI_DATA_DIR"], "credentials.toml").exists()


def test_empty_store_exports_a_header_only(cli, make_shop):
    make_shop(0)
    run = cli("export", "customers", "--format", "csv")
    assert run.code == 0, run.err
    assert run.out == ",".join(BASE_COLUMNS) + "\n"
    assert "Exported 0 customers" in run.err
    run = cli("export", "customers", "--format", "jsonl")
    assert run.code == 0 and run.out == ""


# -- as a user pipes it --------------------------------------------------------------------------


def flowtui(*args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", "flowtui", *args],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        **kwargs,
    )


@pytest.mark.slow
def test_piped_jsonl_stdout_is_data_only(shop):
    done = flowtui("export", "customers", "--format", "jsonl")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.split("\n")[:-1]]
    assert [r["id"] for r in records] == shop.ids()
    assert "customers (" in done.stderr and f"Exported {N:,} customers" in done.stderr
    assert "Traceback" not in done.stderr
    assert CLIENT_SECRET not in done.stdout + done.stderr


@pytest.mark.slow
def test_piped_csv_stdout_is_data_only(shop):
    done = flowtui("export", "customers", "--format", "csv", "--profile", "shop")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout, newline="")))
    assert rows[0] == COLUMNS
    assert [r[0] for r in rows[1:]] == shop.ids()
    assert f"Exported {N:,} customers" in done.stderr


@pytest.mark.slow
def test_a_reader_that_stops_early_is_no_error(shop):
    """``flowtui export customers | head -1``: no traceback when the pipe closes."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "flowtui", "export", "customers"],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        first = proc.stdout.readline()
        proc.stdout.close()
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert json.loads(first)["id"] == shop.ids()[0]
    assert proc.returncode == 0, err
    assert b"Traceback" not in err and b"Exception ignored" not in err


PARSE_PROBE = """
import sys
import flowtui.cli
command = sys.argv[1] if sys.argv[1] != "-" else None  # "-": the parser of every command
args = flowtui.cli.build_parser(command).parse_args(sys.argv[2:])
print(sorted((k, str(v)) for k, v in vars(args).items() if k != "handler"))
print(args.handler.__wrapped__.__qualname__)
print(" ".join(sorted(m for m in sys.modules if m.startswith("flowtui.cli."))))
"""


def test_the_export_command_line_loads_only_its_own_command_module():
    """``flowtui export ...`` parses as with every command there (what ``main`` does with a
    line that begins with a command), without compiling and running the other commands'
    modules (a tenth of the export's start-up)."""
    argv = ["export", "customers", "--format", "csv", "-o", "x.csv", "--profile", "shop"]

    def probe(command: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", PARSE_PROBE, command, *argv],
            cwd=REPO.parent,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    alone, whole = probe("export"), probe("-")
    assert alone[:2] == whole[:2] and alone[1] == "run_export"
    assert "flowtui.cli.schema" in whole[2].split()  # the probe sees what is loaded
    assert "flowtui.cli.transfer" in alone[2].split()
    assert not {"flowtui.cli.schema", "flowtui.cli.profile", "flowtui.cli.index"} & set(
        alone[2].split()
    )
