"""Staff accounts (工作人员) and their login tokens.

Passwords are hashed with scrypt and a per-user random salt; login tokens are random and only their SHA-256
is stored, with an expiry. Standard library only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from assistant.errors import DaobanError, UserError
from assistant.store.db import ensure_column, make_engine, utc_now

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 8
MAX_PASSWORD = 256
NAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,32}$")
ROLES = ("staff", "evaluator")  # what a staff account may hold (applicants hold a session id, not an account)
DEFAULT_ROLES = ("staff",)


class AuthError(DaobanError):
    """Missing, wrong or expired credentials (HTTP 401)."""

    code = "unauthorized"
    http_status = 401


def _aware(t: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return t if t.tzinfo else t.replace(tzinfo=UTC)


class _Base(DeclarativeBase):
    pass


class StaffRow(_Base):
    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    roles: Mapped[str] = mapped_column(String(64), default="staff")  # comma-separated, from ROLES


class TokenRow(_Base):
    __tablename__ = "staff_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class StaffUser:
    id: int
    name: str
    created_at: datetime
    roles: tuple[str, ...] = DEFAULT_ROLES

    def has(self, role: str) -> bool:
        return role in self.roles


def parse_roles(roles: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """Roles in the canonical order (staff, evaluator); unknown names are a bilingual 422."""
    items = roles.split(",") if isinstance(roles, str) else list(roles or DEFAULT_ROLES)
    wanted = {r.strip().lower() for r in items if r and r.strip()}
    unknown = sorted(wanted - set(ROLES))
    if unknown or not wanted:
        raise UserError(
            f"角色须为 {' / '.join(ROLES)} 之一（收到：{', '.join(unknown) or '空'}）。",
            f"A role must be one of {' / '.join(ROLES)} (got: {', '.join(unknown) or 'none'}).",
            field="role",
        )
    return tuple(r for r in ROLES if r in wanted)


@dataclass(frozen=True)
class LoginToken:
    token: str  # shown once; only its hash is stored
    expires_at: datetime
    staff: StaffUser


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${key.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        algo, n, r, p, salt, key = stored.split("$")
        if algo != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=len(key) // 2
        )
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(got.hex(), key)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_DUMMY = hash_password("not-a-password", b"\0" * 16)  # unknown names cost the same time as wrong passwords


class StaffStore:
    def __init__(self, url: str, token_ttl: timedelta = timedelta(hours=12)) -> None:
        self.engine = make_engine(url)
        _Base.metadata.create_all(self.engine)
        # accounts made before roles existed are staff (the column is added in place, no migration step)
        ensure_column(self.engine, "staff_users", "roles", "VARCHAR(64) NOT NULL DEFAULT 'staff'")
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.token_ttl = token_ttl

    @staticmethod
    def _user(row: StaffRow) -> StaffUser:
        held = tuple(r for r in ROLES if r in (row.roles or "").split(","))
        return StaffUser(row.id, row.name, _aware(row.created_at), held)

    def create(self, name: str, password: str, roles: list[str] | tuple[str, ...] | None = None) -> StaffUser:
        """A new staff account (roles: staff and/or evaluator, default staff); the name must be unused."""
        held = parse_roles(roles)
        if not NAME.match(name or ""):
            raise UserError(
                "用户名须为 2–32 个字母、数字、汉字或 _ . -。",
                "The name must be 2-32 letters, digits, Chinese characters or _ . -.",
                field="name",
            )
        if not (MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD):
            raise UserError(
                f"密码长度须为 {MIN_PASSWORD}–{MAX_PASSWORD} 个字符。",
                f"The password must be {MIN_PASSWORD}-{MAX_PASSWORD} characters long.",
                field="password",
            )
        try:
            with self._sessions.begin() as db:
                row = StaffRow(name=name, password_hash=hash_password(password), roles=",".join(held))
                db.add(row)
                db.flush()
                return self._user(row)
        except IntegrityError:
            raise UserError(f"用户 {name} 已存在。", f"Staff account {name} already exists.", field="name") from None

    def set_roles(self, name: str, roles: list[str] | tuple[str, ...]) -> StaffUser:
        """Replace an account's roles (takes effect on its next request: tokens carry no roles)."""
        held = parse_roles(roles)
        with self._sessions.begin() as db:
            row = db.scalars(select(StaffRow).where(StaffRow.name == name)).first()
            if row is None:
                raise UserError(f"没有用户 {name}。", f"No staff account {name}.", field="name")
            row.roles = ",".join(held)
            return self._user(row)

    def accounts(self) -> list[StaffUser]:
        with self._sessions() as db:
            return [self._user(r) for r in db.scalars(select(StaffRow).where(StaffRow.active).order_by(StaffRow.id))]

    def count(self) -> int:
        return len(self.accounts())

    def authenticate(self, name: str, password: str) -> StaffUser | None:
        """The account when the password is right, else None (same cost for unknown names)."""
        if len(password or "") > MAX_PASSWORD:
            return None
        with self._sessions() as db:
            row = db.scalars(select(StaffRow).where(StaffRow.name == name, StaffRow.active)).first()
        if row is None:
            verify_password(password or "", _DUMMY)
            return None
        return self._user(row) if verify_password(password or "", row.password_hash) else None

    def login(self, name: str, password: str) -> LoginToken | None:
        user = self.authenticate(name, password)
        return self.issue_token(user) if user is not None else None

    def issue_token(self, user: StaffUser) -> LoginToken:
        token = secrets.token_urlsafe(32)
        expires = utc_now() + self.token_ttl
        with self._sessions.begin() as db:
            db.execute(delete(TokenRow).where(TokenRow.expires_at < utc_now()))  # prune expired tokens
            db.add(TokenRow(token_hash=_token_hash(token), staff_id=user.id, expires_at=expires))
        return LoginToken(token, expires, user)

    def user_for_token(self, token: str) -> StaffUser | None:
        if not token or len(token) > 200:
            return None
        with self._sessions() as db:
            tok = db.get(TokenRow, _token_hash(token))
            if tok is None or _aware(tok.expires_at) <= utc_now():
                return None
            row = db.get(StaffRow, tok.staff_id)
            return self._user(row) if row is not None and row.active else None

    def logout(self, token: str) -> None:
        with self._sessions.begin() as db:
            db.execute(delete(TokenRow).where(TokenRow.token_hash == _token_hash(token)))
