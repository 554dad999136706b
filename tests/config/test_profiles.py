"""Profiles and the TOML profile store: round trips, atomic writes, broken files, validation."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowtui.config import paths
from flowtui.config.profiles import (
    EU_WEST,
    REGIONS,
    US_EAST,
    ConfigError,
    Profile,
    ProfileNotFound,
    ProfileStore,
    normalise_base_url,
    validate_base_url,
    validate_name,
    validate_profile,
)

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def make(name: str = "shop", **changes) -> Profile:
    """A valid profile with ``changes`` applied."""
    values = {"base_url": EU_WEST, "client_id": "client-123"}
    values.update(changes)
    return Profile(name=name, **values)


@pytest.fixture
def store() -> ProfileStore:
    """The profile store at its default location (a temporary folder, see conftest)."""
    return ProfileStore()


def test_default_path_is_in_the_config_dir(store: ProfileStore) -> None:
    assert store.path == paths.config_dir() / "config.toml"
    assert "FLOWTUI_CONFIG_DIR" in os.environ
    assert str(store.path).startswith(os.environ["FLOWTUI_CONFIG_DIR"])


def test_missing_file_means_no_profiles_and_nothing_is_created(store: ProfileStore) -> None:
    assert store.profiles() == []
    assert store.default_name() is None
    assert store.settings() == {}
    assert store.names() == []
    assert not store.path.exists()
    assert not store.path.parent.exists()


def test_round_trip_every_field(store: ProfileStore) -> None:
    profile = make(
        "prod.eu",
        base_url="https://example.com:8443/api",
        read_only=True,
        rate_limit=5.5,
        accent="#ff8800",
        secret_backend="keyring",
        verify_tls=False,
        ca_bundle="/etc/ssl/corp.pem",
    )
    store.save(profile)  # creates the parent folders
    assert store.get("prod.eu") == profile
    assert ProfileStore(store.path).get("prod.eu") == profile


def test_defaults_round_trip_and_none_is_omitted(store: ProfileStore) -> None:
    store.save(make())
    assert store.get("shop") == make()
    table = tomllib.loads(store.path.read_text())["profiles"]["shop"]
    assert "name" not in table
    assert "accent" not in table and "ca_bundle" not in table
    assert table["base_url"] == EU_WEST
    assert table["rate_limit"] == 20.0


def test_save_replaces_and_profiles_are_sorted(store: ProfileStore) -> None:
    for name in ("zeta", "Alpha", "beta"):
        store.save(make(name))
    store.save(make("beta", client_id="other"))
    assert [p.name for p in store.profiles()] == ["Alpha", "beta", "zeta"]
    assert store.get("beta").client_id == "other"


def test_base_url_is_normalised_on_save_and_load(store: ProfileStore) -> None:
    store.save(make(base_url="us-east"))
    assert store.get("shop").base_url == US_EAST
    store.save(make(base_url="https://example.com/v2/"))
    assert store.get("shop").base_url == "https://example.com/v2"
    store.path.write_text('[profiles.a]\nbase_url = "https://x.example/"\nclient_id = "c"\n')
    assert store.get("a").base_url == "https://x.example"


def test_integer_rate_limit_in_file_becomes_float(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text('[profiles.a]\nbase_url = "eu-west"\nclient_id = "c"\nrate_limit = 7\n')
    rate = store.get("a").rate_limit
    assert rate == 7.0 and isinstance(rate, float)


def test_atomic_write_leaves_no_temp_files(store: ProfileStore) -> None:
    for index in range(5):
        store.save(make(f"p{index}"))
    store.set_default("p1")
    store.remove("p0")
    # The lock's sidecar stays (unlinking a lock file races with its next holder).
    assert sorted(os.listdir(store.path.parent)) == [".config.toml.lock", "config.toml"]


def test_write_is_fsynced(store: ProfileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real(fd)))
    store.save(make())
    assert calls


def test_failed_replace_keeps_old_file_and_removes_temp(
    store: ProfileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save(make())
    before = store.path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(ConfigError) as info:
        store.save(make("other"))
    assert str(store.path) in str(info.value)
    assert store.path.read_bytes() == before
    assert sorted(os.listdir(store.path.parent)) == [".config.toml.lock", "config.toml"]


def test_existing_file_mode_is_kept(store: ProfileStore) -> None:
    store.save(make())
    assert store.path.stat().st_mode & 0o777 == 0o600
    store.path.chmod(0o640)
    store.save(make("b"))
    assert store.path.stat().st_mode & 0o777 == 0o640


def test_symlinked_config_is_written_through(store: ProfileStore, tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "flowtui.toml"
    real.parent.mkdir()
    real.write_text("")
    store.path.parent.mkdir(parents=True)
    store.path.symlink_to(real)
    store.save(make())
    assert store.path.is_symlink()
    assert "shop" in tomllib.loads(real.read_text())["profiles"]


CORRUPT = 'default_profile = "shop"\n[profiles.shop]\nbase_url = "https://x\n'


def _all_operations(store: ProfileStore):
    return [
        store.profiles,
        store.names,
        lambda: store.get("shop"),
        store.default_name,
        store.settings,
        lambda: store.save(make("new")),
        lambda: store.remove("shop"),
        lambda: store.set_default("shop"),
        lambda: store.set_default(None),
    ]


def test_corrupt_toml_is_named_and_never_overwritten(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(CORRUPT)
    for operation in _all_operations(store):
        with pytest.raises(ConfigError) as info:
            operation()
        message = str(info.value)
        assert str(store.path) in message
        assert "line 3" in message
        assert "not valid TOML" in message
    assert store.path.read_text() == CORRUPT
    assert os.listdir(store.path.parent) == ["config.toml"]


def test_unreadable_file(store: ProfileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.save(make())
    before = store.path.read_bytes()
    if IS_ROOT:
        # root reads a chmod 000 file anyway: make the read fail as it would for a user.
        real = Path.read_bytes

        def denied(path: Path) -> bytes:
            if path == store.path:
                raise PermissionError(13, "Permission denied", str(path))
            return real(path)

        monkeypatch.setattr(Path, "read_bytes", denied)
    else:
        store.path.chmod(0)
    try:
        for operation in _all_operations(store):
            with pytest.raises(ConfigError, match="permission denied") as info:
                operation()
            assert str(store.path) in str(info.value)
    finally:
        monkeypatch.undo()
        store.path.chmod(0o600)
    assert store.path.read_bytes() == before


def test_folder_in_place_of_the_file(store: ProfileStore) -> None:
    store.path.mkdir(parents=True)
    for operation in _all_operations(store):
        with pytest.raises(ConfigError) as info:
            operation()
        assert str(store.path) in str(info.value)
    assert store.path.is_dir() and not any(store.path.iterdir())


@pytest.mark.parametrize(
    "content",
    [
        "[profiles.shop]\nbase_url = 'eu-west'\nclient_id = 'c'\nx = " + "[" * 100_000,
        "[settings]\nkeymap = " + "{a = " * 100_000 + "1" + "}" * 100_000 + "\n",
        "[settings." + ".".join(["k"] * 100_000) + "]\n",
        ".".join(["k"] * 100_000) + " = 1\n",
    ],
    ids=["arrays", "inline tables", "table header", "dotted key"],
)
def test_deeply_nested_file_is_one_sentence_for_every_operation(
    store: ProfileStore, content: str
) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(content)
    for operation in _all_operations(store):
        with pytest.raises(ConfigError) as info:
            operation()
        message = str(info.value)
        assert message.startswith(str(store.path)) and "64 levels deep" in message
        assert re.search(r"\(line [1-4]\)", message)
        assert "\n" not in message and info.value.__cause__ is None
    assert store.path.read_text() == content
    assert os.listdir(store.path.parent) == ["config.toml"]


COMMENTED = """\
# flowtui profiles: shop is the live store, ask Ana before changing it
default_profile = "shop"  # the one I use most

[settings]
theme = "nord"   # easier on the eyes

# --- stores ---
[profiles.shop]  # live
base_url = "https://euwest.api.elasticpath.com"  # EU West
client_id = "c"  # from the dashboard, 2026-03
rate_limit = 5.0 # they throttle us

[settings.keymap]
customers_new = "n"  # muscle memory
"""


def test_changes_keep_comments_and_layout(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(COMMENTED)
    store.save(make("test", base_url=US_EAST))
    store.set_default("test")
    store.save(make("shop", client_id="rotated", rate_limit=5.0))
    text = store.path.read_text()
    comments = [line[line.index("#") :] for line in COMMENTED.splitlines() if "#" in line]
    for comment in comments:
        assert comment in text, comment
    assert 'client_id = "rotated"  # from the dashboard, 2026-03' in text
    assert 'default_profile = "test"  # the one I use most' in text
    assert text.startswith("# flowtui profiles:")
    assert 'theme = "nord"   # easier on the eyes\n' in text  # spacing kept too
    assert text.index("[profiles.shop]") < text.index("[profiles.test]")
    assert "\n\n[settings.keymap]" in text  # a new table never runs into the next one
    doc = tomllib.loads(text)
    assert doc["profiles"]["test"]["base_url"] == US_EAST
    assert doc["settings"] == {"theme": "nord", "keymap": {"customers_new": "n"}}
    store.remove("test")
    after = store.path.read_text()
    assert 'default_profile = "test"' not in after
    for comment in comments[2:]:  # the default's own comment goes with it
        assert comment in after, comment
    assert store.names() == ["shop"]


def test_an_unchanged_save_leaves_the_file_byte_identical(store: ProfileStore) -> None:
    store.save(make("a"), default="first")
    store.save(make("b", accent="red"))
    before = store.path.read_text()
    assert before.endswith("verify_tls = true\n")
    store.save(make("b", accent="red"))
    store.set_default("a")
    assert store.path.read_text() == before


def test_a_file_changed_by_hand_between_two_changes_is_read_again(store: ProfileStore) -> None:
    store.save(make("a"))  # this process keeps the document it wrote, for its text only
    text = store.path.read_text().replace('client_id = "client-123"', 'client_id = "hand"')
    store.path.write_text("# edited by hand\n" + text)
    store.save(make("b"))
    assert store.path.read_text().startswith("# edited by hand\n")
    assert store.get("a").client_id == "hand" and store.names() == ["a", "b"]
    with pytest.raises(ProfileNotFound):
        store.remove("zzz")
    store.save(make("c"))
    assert store.names() == ["a", "b", "c"]


def test_profiles_written_inline_or_as_dotted_keys_keep_their_data(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    for content in (
        'profiles = { shop = { base_url = "eu-west", client_id = "c", note = 1 } }\n',
        'profiles.shop.base_url = "eu-west"\nprofiles.shop.client_id = "c"\n'
        "profiles.shop.note = 1\n[settings]\nx = 1\n",
    ):
        store.path.write_text(content)
        store.save(make("new"), default="first")
        store.save(make("shop", client_id="d"))
        doc = tomllib.loads(store.path.read_text())
        assert doc["profiles"]["shop"]["client_id"] == "d"
        assert doc["profiles"]["shop"]["note"] == 1
        assert doc["profiles"]["new"]["client_id"] == "client-123"
        assert "default_profile" not in doc
        store.remove("shop")
        store.remove("new")
        assert store.names() == []


def test_invalid_profile_can_be_repaired_or_removed(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(
        'default_profile = "bad"\n[profiles.bad]  # keep me\nbase_url = "ftp://x"\n'
        'client_id = "c"\nrate_limit = "fast"\nsecret_backend = "keyring"\n'
        '[profiles."has space"]\nbase_url = "eu-west"\nclient_id = "c"\n'
    )
    with pytest.raises(ConfigError) as info:
        store.get("bad")
    # The advice leads somewhere: both commands it names work on this profile.
    assert "flowtui profile add bad --client-id ID" in str(info.value)
    assert "flowtui profile remove bad" in str(info.value)
    with pytest.raises(ConfigError, match="flowtui profile remove 'has space'"):
        store.get("has space")
    assert store.remove("has space") == {"base_url": "eu-west", "client_id": "c"}
    assert store.save(make("bad"), default="first") is False  # not the first profile
    assert store.get("bad") == make("bad")
    assert "[profiles.bad]  # keep me" in store.path.read_text()
    assert store.default_name() == "bad"
    store.path.write_text('[profiles.worse]\nbase_url = 3\nsecret_backend = "keyring"\n')
    assert store.remove("worse") == {"base_url": 3, "secret_backend": "keyring"}
    assert store.names() == []


def test_save_can_make_the_default(store: ProfileStore) -> None:
    assert store.save(make("a"), default="first") is True
    assert store.save(make("b"), default="first") is False
    assert store.default_name() == "a"
    assert store.save(make("c"), default="always") is True
    assert store.default_name() == "c"
    assert store.save(make("d")) is False
    assert store.default_name() == "c"


def test_a_writer_waits_for_the_lock_then_gives_one_sentence(
    store: ProfileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flowtui.config import _files, profiles

    store.save(make("a"))
    before = store.path.read_bytes()
    monkeypatch.setattr(profiles, "LOCK_TIMEOUT", 0.2)
    with _files.locked(store.path):  # another process's change, in effect (flock per open)
        for operation in (
            lambda: store.save(make("b")),
            lambda: store.remove("a"),
            lambda: store.set_default("a"),
        ):
            with pytest.raises(ConfigError, match="being changed by another flowtui process"):
                operation()
    assert store.path.read_bytes() == before
    store.save(make("b"))
    assert store.names() == ["a", "b"]


def _add_profiles(path: str, start: int, count: int) -> None:
    """Add ``count`` profiles to the store at ``path`` (run in another process)."""
    target = ProfileStore(Path(path))
    for index in range(start, start + count):
        target.save(make(f"p{index:02d}"), default="first")


def test_concurrent_processes_lose_no_profile(store: ProfileStore) -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_add_profiles, args=(str(store.path), n * 10, 10)) for n in range(4)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    assert store.names() == [f"p{index:02d}" for index in range(40)]
    assert store.default_name() in store.names()


def test_invalid_utf8_is_refused_and_kept(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    content = b'[profiles.a]\nclient_id = "\xff\xfe"\n'
    store.path.write_bytes(content)
    for operation in _all_operations(store):
        with pytest.raises(ConfigError, match="not UTF-8") as info:
            operation()
        assert str(store.path) in str(info.value)
    assert store.path.read_bytes() == content


@pytest.mark.parametrize(
    "content",
    ["default_profile = 3\n", "settings = 1\n", "profiles = [1, 2]\n"],
)
def test_wrong_top_level_types(store: ProfileStore, content: str) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(content)
    with pytest.raises(ConfigError) as info:
        store.profiles()
    assert str(store.path) in str(info.value)
    with pytest.raises(ConfigError):
        store.save(make())
    assert store.path.read_text() == content


def test_unknown_keys_and_settings_are_preserved(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(
        'default_profile = "shop"\n'
        "theme_version = 3\n"
        "[settings]\n"
        'theme = "nord"\n'
        "[settings.keymap]\n"
        'customers_new = "n"\n'
        "[profiles.shop]\n"
        'base_url = "https://euwest.api.elasticpath.com"\n'
        'client_id = "c"\n'
        "future_flag = true\n"
        "[profiles.shop.future_table]\n"
        "depth = 2\n"
    )
    settings = {"theme": "nord", "keymap": {"customers_new": "n"}}
    assert store.settings() == settings
    store.save(make("shop", client_id="changed", accent="red"))
    store.save(make("other"))
    store.set_default("other")
    store.remove("other")
    doc = tomllib.loads(store.path.read_text())
    assert doc["settings"] == settings
    assert doc["theme_version"] == 3
    shop = doc["profiles"]["shop"]
    assert shop["future_flag"] is True
    assert shop["future_table"] == {"depth": 2}
    assert shop["client_id"] == "changed"
    assert shop["accent"] == "red"
    assert "default_profile" not in doc  # removed together with its profile


def test_settings_returns_a_copy(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text("[settings.keymap]\na = 'b'\n")
    store.settings()["keymap"]["a"] = "changed"
    assert store.settings() == {"keymap": {"a": "b"}}


def test_invalid_profile_table_names_file_and_profile(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(
        '[profiles.good]\nbase_url = "eu-west"\nclient_id = "c"\n'
        '[profiles.bad]\nbase_url = "ftp://x"\nclient_id = "c"\nrate_limit = "fast"\n'
    )
    with pytest.raises(ConfigError) as info:
        store.get("bad")
    message = str(info.value)
    assert str(store.path) in message and "'bad'" in message
    assert "rate_limit" in message and "https://" in message
    with pytest.raises(ConfigError, match="'bad'"):
        store.profiles()
    assert store.get("good").client_id == "c"  # the others stay usable
    assert store.names() == ["bad", "good"]
    store.save(make("bad"))  # replacing the broken profile repairs the file
    assert [p.name for p in store.profiles()] == ["bad", "good"]


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('client_id = "c"', "missing base_url"),
        ('base_url = "eu-west"', "missing client_id"),
        ('base_url = "eu-west"\nclient_id = ""', "client id"),
        ('base_url = "eu-west"\nclient_id = "c"\nread_only = "yes"', "read_only"),
        ('base_url = "eu-west"\nclient_id = "c"\nsecret_backend = "vault"', "secret_backend"),
        ('base_url = "eu-west"\nclient_id = "c"\naccent = "not a colour!"', "accent"),
    ],
)
def test_invalid_values(store: ProfileStore, table: str, expected: str) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text(f"[profiles.x]\n{table}\n")
    with pytest.raises(ConfigError, match=expected) as info:
        store.get("x")
    assert str(store.path) in str(info.value)


def test_bad_profile_name_in_file(store: ProfileStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text('[profiles."has space"]\nbase_url = "eu-west"\nclient_id = "c"\n')
    with pytest.raises(ConfigError, match="has space"):
        store.profiles()


def test_secret_in_profile_table_is_refused_without_echo(store: ProfileStore) -> None:
    marker = "MARKER-hand-written-secret-7781"
    store.path.parent.mkdir(parents=True)
    content = f'[profiles.x]\nbase_url = "eu-west"\nclient_id = "c"\nclient_secret = "{marker}"\n'
    store.path.write_text(content)
    for operation in (lambda: store.get("x"), lambda: store.save(make("x")), store.profiles):
        with pytest.raises(ConfigError, match="client_secret") as info:
            operation()
        assert marker not in str(info.value)
        assert str(store.path) in str(info.value)
    assert store.path.read_text() == content


def test_save_validates_and_writes_nothing(store: ProfileStore) -> None:
    with pytest.raises(ConfigError) as info:
        store.save(make("bad name", base_url="ftp://x", rate_limit=0))
    message = str(info.value)
    assert str(store.path) in message
    assert "letters, digits" in message and "https://" in message and "rate_limit" in message
    assert not store.path.exists()


def test_get_unknown_lists_names(store: ProfileStore) -> None:
    with pytest.raises(ProfileNotFound, match="none yet"):
        store.get("nope")
    store.save(make("a"))
    store.save(make("b"))
    with pytest.raises(ProfileNotFound) as info:
        store.get("nope")
    assert "a, b" in str(info.value) and str(store.path) in str(info.value)
    assert info.value.name == "nope" and info.value.available == ("a", "b")
    assert isinstance(info.value, ConfigError)


def test_default_profile(store: ProfileStore) -> None:
    store.save(make("a"))
    store.save(make("b"))
    assert store.default_name() is None
    store.set_default("b")
    assert store.default_name() == "b"
    assert tomllib.loads(store.path.read_text())["default_profile"] == "b"
    assert store.path.read_text().startswith('default_profile = "b"')
    with pytest.raises(ProfileNotFound):
        store.set_default("zzz")
    assert store.default_name() == "b"
    store.set_default(None)
    assert store.default_name() is None
    store.set_default(None)  # clearing twice is fine


def test_remove(store: ProfileStore) -> None:
    store.save(make("a"))
    store.save(make("b"))
    store.set_default("a")
    store.remove("a")
    assert store.names() == ["b"]
    assert store.default_name() is None
    with pytest.raises(ProfileNotFound, match="profiles: b"):
        store.remove("a")
    store.remove("b")
    assert store.profiles() == []


@pytest.mark.parametrize("name", ["a", "shop", "Prod-EU_2.x", "x" * 64, "..", "-"])
def test_valid_names(name: str) -> None:
    assert validate_name(name) is None


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "empty"),
        ("x" * 65, "64"),
        ("has space", "letters"),
        ("a/b", "letters"),
        ("a:b", "letters"),
        ("caf\u00e9", "letters"),
        ('quo"te', "letters"),
        (None, "text"),
        (3, "text"),
    ],
)
def test_invalid_names(name: object, fragment: str) -> None:
    problem = validate_name(name)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize(
    "url",
    [
        EU_WEST,
        US_EAST,
        "eu-west",
        "US-EAST",
        "https://api.moltin.com",
        "http://127.0.0.1:8765",
        "http://localhost:8000/",
        "http://[::1]:9000",
        "https://epcc.example.com/proxy/v2",
    ],
)
def test_valid_base_urls(url: str) -> None:
    assert validate_base_url(url) is None


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("euwest.api.elasticpath.com", "https://"),
        ("ftp://example.com", "https://"),
        ("https://", "no host"),
        ("https://exa mple.com", "spaces"),
        ("https://example.com:99999", "port"),
        ("https://example.com:0", "port"),
        ("https://example.com/?a=1", "query"),
        ("https://example.com/#x", "fragment"),
        ("https://bad_host!.com", "host"),
        (None, "text"),
    ],
)
def test_invalid_base_urls(url: object, fragment: str) -> None:
    problem = validate_base_url(url)
    assert problem is not None and fragment in problem


def test_base_url_with_credentials_is_refused_without_echo() -> None:
    problem = validate_base_url("https://user:hunter2@example.com")
    assert problem is not None and "user name or password" in problem
    assert "hunter2" not in problem


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("eu-west", EU_WEST),
        (" EU-West ", EU_WEST),
        ("us-east", US_EAST),
        ("https://example.com/", "https://example.com"),
        ("https://example.com/v2//", "https://example.com/v2"),
        (EU_WEST, EU_WEST),
    ],
)
def test_normalise_base_url(given: str, expected: str) -> None:
    assert normalise_base_url(given) == expected


def test_regions_constant() -> None:
    assert REGIONS == {"eu-west": EU_WEST, "us-east": US_EAST}


@pytest.mark.parametrize(
    ("url", "region", "sandbox"),
    [
        (EU_WEST, "EU West", False),
        ("https://api.moltin.com", "EU West", False),
        ("https://API.Moltin.com", "EU West", False),
        (US_EAST, "US East", False),
        ("https://epcc.example.com", "custom", False),
        ("http://127.0.0.1:8765", "sandbox", True),
        ("http://localhost:8000", "sandbox", True),
        ("http://[::1]:8000", "sandbox", True),
        ("http://127.0.0.2", "sandbox", True),
        ("http://10.0.0.1", "custom", False),
    ],
)
def test_region_name_and_sandbox(url: str, region: str, sandbox: bool) -> None:
    profile = make(base_url=url)
    assert profile.region_name() == region
    assert profile.is_sandbox() is sandbox


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"rate_limit": 0}, "rate_limit"),
        ({"rate_limit": -1.0}, "rate_limit"),
        ({"rate_limit": float("nan")}, "rate_limit"),
        ({"rate_limit": float("inf")}, "rate_limit"),
        ({"rate_limit": True}, "rate_limit"),
        ({"rate_limit": 5000}, "rate_limit"),
        ({"accent": "#12345"}, "accent"),
        ({"accent": ""}, "accent"),
        ({"client_id": "two words"}, "client id"),
        ({"client_id": "   "}, "client id"),
        ({"verify_tls": "no"}, "verify_tls"),
        ({"ca_bundle": ""}, "ca_bundle"),
    ],
)
def test_validate_profile_problems(changes: dict, fragment: str) -> None:
    problems = validate_profile(make(**changes))
    assert any(fragment in problem for problem in problems), problems


@pytest.mark.parametrize("accent", ["red", "dark_orange", "#A0b1C2", None])
def test_valid_accents(accent: str | None) -> None:
    assert validate_profile(make(accent=accent)) == []


@given(st.from_regex(r"[A-Za-z0-9._-]{1,64}", fullmatch=True))
def test_any_valid_name_round_trips(name: str) -> None:
    assert validate_name(name) is None
    store = ProfileStore()  # conftest points it at a fresh folder per test, shared by examples
    store.save(make(name))
    assert store.get(name).name == name


def test_store_repr_names_path(store: ProfileStore) -> None:
    assert str(store.path) in repr(store)


def test_config_package_never_imports_textual() -> None:
    code = (
        "import sys\n"
        "import flowtui.config.paths, flowtui.config.profiles\n"
        "import flowtui.config.secrets, flowtui.config.resolve\n"
        "assert 'textual' not in sys.modules, 'textual was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
