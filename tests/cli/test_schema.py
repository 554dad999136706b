"""``flowtui schema pull / plan / apply / diff`` in-process against sandboxes on loopback: exit
codes, files (0600 with entries), the round trip, hostile text shown literally, read-only
profiles refusing, and a run killed mid-way (SIGKILL of a real process) resuming without any
duplicate, counted at the sandbox."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flowtui.sandbox.server import BackgroundServer
from flowtui.sandbox.store import Store
from tests.cli.conftest import add
from tests.conftest import make_sandbox
from tests.ops.schema_design import OWNER_EMAIL, CountingApp, build_design, service_for_app


class Served:
    def __init__(self, design: bool, **config: object) -> None:
        self.store = Store(":memory:")
        self.app = CountingApp(make_sandbox(self.store, **config))
        plain = make_sandbox(self.store)  # set up in-process, before the server starts

        async def setup() -> None:
            async with service_for_app(plain) as service:
                if design:
                    await build_design(service)
                else:
                    await service.create_customer(name="Ada", email=OWNER_EMAIL)

        asyncio.run(setup())
        self.server = BackgroundServer(self.app).start()  # type: ignore[arg-type]
        self.url = self.server.url

    def close(self) -> None:
        self.server.stop()
        self.store.close()


@pytest.fixture
def two(cli) -> Iterator[tuple[Served, Served]]:
    """Profile ``a``: a store with the design; profile ``b``: an empty one (one customer)."""
    a, b = Served(True), Served(False, latency_ms=20)
    assert add(cli, "a", a.url).code == 0
    assert add(cli, "b", b.url).code == 0
    yield a, b
    a.close()
    b.close()


def test_pull_plan_apply_diff_and_their_exit_codes(cli, two, tmp_path):
    _, b = two
    design = tmp_path / "design.toml"
    run = cli("schema", "pull", "--profile", "a", "--output", str(design), "--entries")
    assert run.code == 0 and "Wrote 5 flows, 19 fields and 5 entries" in run.err
    assert stat.S_IMODE(design.stat().st_mode) == 0o600  # entries: readable by you only
    text = design.read_text()
    plain = cli("schema", "pull", "--profile", "a")
    assert plain.code == 0 and plain.out in text and "[[entries]]" not in plain.out

    plan = cli("schema", "plan", str(design), "--profile", "b")
    assert plan.code == 2, plan.err
    assert "+ create flow brands" in plan.out and "Plan: 29 to create" in plan.out
    assert cli("schema", "diff", "--from", "a", "--to", "b").code == 2

    refused = cli("schema", "apply", str(design), "--profile", "b", stdin="")
    assert refused.code == 1 and "--yes" in refused.err and not b.app.posts
    done = cli("schema", "apply", str(design), "--profile", "b", "--yes")
    assert done.code == 0, done.err
    assert "Done: 29 of 29 items." in done.out and "Applied 29 items" in done.err

    again = cli("schema", "plan", str(design), "--profile", "b")
    assert again.code == 0 and "Nothing to do" in again.out
    assert cli("schema", "diff", "--from", "a", "--to", "b", "--entries").code == 0
    back = tmp_path / "back.toml"
    assert cli("schema", "pull", "--profile", "b", "-o", str(back), "--entries").code == 0
    assert back.read_bytes() == design.read_bytes()
    assert cli("schema", "apply", str(design), "--profile", "b", "--yes").code == 0
    assert max(b.app.posts.values()) == 1


def test_hostile_names_are_printed_literally(cli, two):
    run = cli("schema", "diff", "--from", "a", "--to", "b")
    assert run.code == 2
    assert "\x1b" not in run.out and "\u202e" not in run.out and "\u200b" not in run.out
    pulled = cli("schema", "pull", "--profile", "a")
    assert "\x1b" not in pulled.out and "\\u001B[31mred" in pulled.out
    assert '"[bold red]Brands[/] ' in pulled.out


def test_file_errors_and_read_only_profiles_refuse(cli, two, tmp_path):
    _, b = two
    bad = tmp_path / "bad.toml"
    bad.write_text('[[flows]]\nslug = "x"\nname = "X"\n[[flows.fields]]\nslug = "f"\n')
    run = cli("schema", "plan", str(bad), "--profile", "b")
    assert run.code == 1 and "flow 'x', field 'f': 'field_type' is missing" in run.err
    missing = cli("schema", "apply", str(tmp_path / "nope.toml"), "--profile", "b", "--yes")
    assert missing.code == 1 and "cannot read" in missing.err
    good = tmp_path / "good.toml"
    assert cli("schema", "pull", "--profile", "a", "-o", str(good)).code == 0
    assert stat.S_IMODE(good.stat().st_mode) == 0o644  # no entries: an ordinary file
    assert add(cli, "ro", b.url, "", "--read-only", "--no-check").code == 0
    refused = cli("schema", "apply", str(good), "--profile", "ro", "--yes")
    assert refused.code == 1 and "read-only" in refused.err and not b.app.posts


def test_a_changed_field_type_needs_allow_replace(cli, two, tmp_path):
    design = tmp_path / "d.toml"
    design.write_text(
        '[[flows]]\nslug = "kinds"\nname = "Kinds"\n[[flows.fields]]\n'
        'slug = "n"\nname = "N"\nfield_type = "integer"\n'
    )
    assert cli("schema", "apply", str(design), "--profile", "b", "--yes").code == 0
    design.write_text(design.read_text().replace('"integer"', '"string"'))
    plan = cli("schema", "plan", str(design), "--profile", "b")
    assert plan.code == 2 and "-/+ replace field kinds.n (loses 0 stored values)" in plan.out
    assert "Blocked: field:kinds.n: field_type integer → string" in plan.out
    blocked = cli("schema", "apply", str(design), "--profile", "b", "--yes")
    assert blocked.code == 1 and "Nothing was applied" in blocked.err
    ok = cli("schema", "apply", str(design), "--profile", "b", "--yes", "--allow-replace")
    assert ok.code == 0, ok.err
    assert cli("schema", "plan", str(design), "--profile", "b").code == 0


def recorded() -> int:
    """Items the state files under the data directory record as done (0 while none)."""
    import json

    done = 0
    for path in (Path(os.environ["FLOWTUI_DATA_DIR"]) / "schema").glob("*.json"):
        try:
            items = json.loads(path.read_text())["items"]
        except (OSError, ValueError, KeyError):
            continue  # being replaced right now
        done += sum(1 for v in items.values() if v.get("status") == "done")
    return done


@pytest.mark.slow
def test_a_killed_apply_resumes_and_sends_nothing_twice(cli, tmp_path):
    """A real process is killed (SIGKILL) while it applies; the same command run again says it
    resumes, finishes, and the sandbox saw each flow, field and entry created exactly once."""
    a, b = Served(True), Served(False, latency_ms=150)
    try:
        assert add(cli, "a", a.url).code == 0 and add(cli, "b", b.url).code == 0
        design = tmp_path / "design.toml"
        assert cli("schema", "pull", "--profile", "a", "-o", str(design), "--entries").code == 0
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flowtui",
                "schema",
                "apply",
                str(design),
                "--profile",
                "b",
                "--yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ),
        )
        deadline = time.monotonic() + 60
        while not (sum(b.app.posts.values()) >= 8 and recorded() >= 5):
            assert proc.poll() is None, "the apply ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        proc.kill()
        proc.wait()
        while b.app.inflight and time.monotonic() < deadline:  # the store finishes its part
            time.sleep(0.01)
        sent = sum(b.app.posts.values())
        assert 8 <= sent < 29
        run = cli("schema", "apply", str(design), "--profile", "b", "--yes")
        assert run.code == 0, run.err
        assert "Resuming an earlier run of this plan" in run.out
        left = run.out.split("what is left:\n", 1)[1].split("Plan: ")[0].splitlines()
        assert 0 < len(left) <= 29 - 5  # what the state file says is done is not shown again
        assert "Done: 29 of 29 items." in run.out
        assert sum(b.app.posts.values()) == 29 and set(b.app.posts.values()) == {1}
        back = tmp_path / "back.toml"
        assert cli("schema", "pull", "--profile", "b", "-o", str(back), "--entries").code == 0
        assert back.read_bytes() == design.read_bytes()
        states = list((Path(os.environ["FLOWTUI_DATA_DIR"]) / "schema").glob("*.json"))
        assert states and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in states)
    finally:
        a.close()
        b.close()
