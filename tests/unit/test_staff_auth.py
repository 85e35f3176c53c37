"""Staff accounts and login tokens (real SQLite), and the `daoban staff` commands."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.errors import UserError
from assistant.settings import Settings, get_settings
from assistant.store.staff import StaffRow, StaffStore, TokenRow, hash_password, verify_password
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.unit
PASSWORD = "correct horse 42"


@pytest.fixture
def staff(settings: Settings) -> StaffStore:
    return StaffStore(settings.sqlalchemy_url)


def test_passwords_are_salted_scrypt_hashes() -> None:
    a, b = hash_password(PASSWORD), hash_password(PASSWORD)
    assert a.startswith("scrypt$") and a != b  # a fresh salt each time
    assert PASSWORD not in a
    assert verify_password(PASSWORD, a) and verify_password(PASSWORD, b)
    assert not verify_password("wrong password", a)
    assert not verify_password(PASSWORD, "garbage") and not verify_password(PASSWORD, "md5$x$y$z$00$00")


def test_create_validates_and_refuses_duplicates(staff: StaffStore) -> None:
    user = staff.create("alice", PASSWORD)
    assert user.name == "alice" and [u.name for u in staff.accounts()] == ["alice"]
    with Session(staff.engine) as db:
        stored = db.scalars(select(StaffRow)).one().password_hash
    assert PASSWORD not in stored and verify_password(PASSWORD, stored)
    for name, pw, field in [("alice", PASSWORD, "name"), ("a", PASSWORD, "name"), ("a b;", PASSWORD, "name"),
                            ("bob", "short", "password"), ("bob", "x" * 300, "password")]:  # fmt: skip
        with pytest.raises(UserError) as exc:
            staff.create(name, pw)
        assert exc.value.field == field and exc.value.message("zh") and exc.value.message("en")
    assert staff.count() == 1  # nothing half-created
    assert staff.create("王小明", PASSWORD).name == "王小明"


def test_login_gives_a_token_stored_only_as_its_hash(staff: StaffStore) -> None:
    staff.create("alice", PASSWORD)
    assert staff.login("alice", "wrong password") is None and staff.login("nobody", PASSWORD) is None
    t = staff.login("alice", PASSWORD)
    assert t is not None and len(t.token) >= 40 and t.staff.name == "alice"
    with Session(staff.engine) as db:
        [row] = db.scalars(select(TokenRow)).all()
    assert row.token_hash == hashlib.sha256(t.token.encode()).hexdigest() and t.token not in row.token_hash
    user = staff.user_for_token(t.token)
    assert user is not None and user.name == "alice"
    assert staff.user_for_token(t.token + "x") is None and staff.user_for_token("") is None
    assert staff.user_for_token("x" * 5000) is None
    staff.logout(t.token)
    assert staff.user_for_token(t.token) is None


def test_tokens_expire(settings: Settings) -> None:
    staff = StaffStore(settings.sqlalchemy_url, token_ttl=timedelta(seconds=-1))
    staff.create("alice", PASSWORD)
    t = staff.login("alice", PASSWORD)
    assert t is not None and staff.user_for_token(t.token) is None


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DAOBAN_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("DAOBAN_DATA_DIR", str(DATA_DIR))
    monkeypatch.delenv("DAOBAN_STAFF_PASSWORD", raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_staff_create_and_list_commands(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    r = runner.invoke(cli, ["staff", "create", "alice", "--password-stdin"], input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    assert "alice" in r.output
    monkeypatch.setenv("DAOBAN_STAFF_PASSWORD", "another secret")  # the CI path: no prompt
    r = runner.invoke(cli, ["staff", "create", "bob", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["name"] == "bob"
    dup = runner.invoke(cli, ["staff", "create", "bob"])
    assert dup.exit_code == 2 and "已存在" in dup.output
    listed = runner.invoke(cli, ["staff", "list", "--json"])
    rows = json.loads(listed.output)
    assert [x["name"] for x in rows] == ["alice", "bob"] and "password" not in listed.output
    store = StaffStore(get_settings().sqlalchemy_url)
    assert store.login("alice", PASSWORD) and store.login("bob", "another secret")


def test_staff_create_without_a_password_source_fails_clearly(runner: CliRunner) -> None:
    r = runner.invoke(cli, ["staff", "create", "alice"])  # stdin is not a terminal here
    assert r.exit_code == 2 and "DAOBAN_STAFF_PASSWORD" in r.output
    short = runner.invoke(cli, ["staff", "create", "alice", "--password-stdin"], input="abc\n")
    assert short.exit_code == 2 and "密码长度" in short.output
    empty = runner.invoke(cli, ["staff", "list"])
    assert empty.exit_code == 0 and "daoban staff create" in empty.output
