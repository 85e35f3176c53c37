"""Request limits in one place: body sizes, per-IP and per-session rate limits, staff-login lockout, and clear
messages for malformed requests. Every refusal is ``{code, message, field}`` in the request's language.

- Body size: ``settings.max_body_bytes`` for JSON routes, the upload limit (+64 KiB of multipart framing) for
  /v1/transcribe, /v1/documents and the widget's uploads. Checked on Content-Length first and then on the bytes
  actually received, so a chunked body without Content-Length cannot go past it (413 ``too_large``).
- Rate limits (token buckets in memory, per process): every /v1 request counts against its client IP
  (``rate_ip_per_min``); writes (POST/PATCH) naming an applicant session, in the path or the JSON body, count
  against the session too (``rate_session_per_min``). 0 turns a limit off; ``rate_exempt_ips`` are never
  limited. Over the limit: 429 ``rate_limited`` with ``Retry-After`` (seconds).
- Staff login: ``login_max_failures`` failed logins per account (and ``login_ip_max_failures`` per IP) within
  ``login_window_s`` lock further attempts out until the oldest failure leaves the window (429 + Retry-After).
  A successful login clears the account's count. It guards the API and the /staff console alike.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from assistant.errors import DaobanError
from assistant.settings import Settings

log = logging.getLogger("daoban.api.limits")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UPLOAD_FRAMING = 65536  # multipart boundaries and headers around an upload
_SESSION_PATH = re.compile(r"^/v1/sessions/([^/]+)(?:/|$)")
_SESSION_BODY_PATHS = ("/v1/chat", "/v1/chat/stream", "/v1/feedback")
MAX_KEYS = 100_000  # buckets kept in memory; full (idle) ones are dropped first


class RateLimited(DaobanError):
    """Too many requests (HTTP 429); ``retry_after`` is the wait in whole seconds."""

    code = "rate_limited"
    http_status = 429

    def __init__(self, message_zh: str, message_en: str = "", *, field: str | None = None, retry_after: int = 1):
        super().__init__(message_zh, message_en, field=field)
        self.retry_after = max(1, int(retry_after))


def lang_of(accept_language: str | None, lang: str | None = None) -> str:
    """'en' or 'zh': the request's own ``lang`` when it has one, else its Accept-Language, else Chinese."""
    if lang and lang.lower() not in ("auto", ""):
        return "en" if lang.lower().startswith("en") else "zh"
    return "en" if (accept_language or "").strip().lower().startswith("en") else "zh"


def too_large(limit: int) -> DaobanError:
    mb = f"{limit / (1 << 20):.0f} MB" if limit >= 1 << 20 else f"{limit // 1024} KB"
    err = DaobanError(f"请求内容过大（上限 {mb}）。", f"Request body too large (limit {mb}).", field="body")
    err.code, err.http_status = "too_large", 413
    return err


class TokenBucket:
    """``per_min`` requests a minute per key, bursts up to ``per_min``; thread-safe, in memory."""

    def __init__(self, per_min: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_min)
        self.rate = per_min / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when the request may go ahead (a token is spent), else the seconds until one is available."""
        if self.capacity <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                if len(self._buckets) > MAX_KEYS:
                    self._prune(now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        full = [k for k, (t, at) in self._buckets.items() if t + (now - at) * self.rate >= self.capacity]
        for k in full:
            del self._buckets[k]
        while len(self._buckets) > MAX_KEYS:  # all busy: forget the oldest
            del self._buckets[next(iter(self._buckets))]


class LoginGuard:
    """Failed staff logins per account and per client IP in a sliding window; over the limit is a 429."""

    def __init__(
        self, per_account: int, per_ip: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_account, self.per_ip, self.window = per_account, per_ip, window_s
        self.clock = clock
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, s: Settings) -> LoginGuard:
        return cls(s.login_max_failures, s.login_ip_max_failures, s.login_window_s)

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def check(self, name: str, client: str | None = None) -> None:
        """Raise :class:`RateLimited` while the account or the client IP is locked out."""
        now = self.clock()
        with self._lock:
            for key, cap in ((f"account:{name}", self.per_account), (f"ip:{client}", self.per_ip)):
                if key == "ip:None":
                    continue
                q = self._recent(key, now)
                if len(q) >= cap:
                    wait = math.ceil(q[0] + self.window - now)
                    minutes = max(1, math.ceil(wait / 60))
                    log.warning("staff login locked out (%s) for %ss", key.split(":")[0], wait)
                    raise RateLimited(
                        f"登录失败次数过多，请 {minutes} 分钟后再试。",
                        f"Too many failed logins; try again in {minutes} minute{'s' if minutes > 1 else ''}.",
                        field="password",
                        retry_after=wait,
                    )

    def failed(self, name: str, client: str | None = None) -> None:
        now = self.clock()
        with self._lock:
            self._recent(f"account:{name}", now).append(now)
            if client is not None:
                self._recent(f"ip:{client}", now).append(now)
            if len(self._fails) > MAX_KEYS:
                for k in [k for k, q in self._fails.items() if not q or q[-1] <= now - self.window]:
                    del self._fails[k]

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._fails.pop(f"account:{name}", None)


def client_ip(scope: Scope, headers: dict[str, str], trusted_proxies: list[str]) -> str:
    """The peer address; behind a trusted proxy, the last X-Forwarded-For hop that is not a trusted proxy."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    forwarded = headers.get("x-forwarded-for")
    if peer in trusted_proxies and forwarded:
        for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
            if hop not in trusted_proxies:
                return hop
    return str(peer)


def body_limit(path: str, s: Settings) -> int:
    if path == "/v1/transcribe":
        return s.speech_max_bytes + UPLOAD_FRAMING
    if path == "/v1/documents":
        return s.document_max_bytes + UPLOAD_FRAMING
    if path.startswith("/v1/") or path == "/v1":
        return s.max_body_bytes
    return max(s.speech_max_bytes, s.document_max_bytes) + UPLOAD_FRAMING  # the widget's and console's uploads


class LimitsMiddleware:
    """ASGI middleware: the body-size limit (Content-Length and the bytes themselves) and the rate limits."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.per_ip = TokenBucket(settings.rate_ip_per_min)
        self.per_session = TokenBucket(settings.rate_session_per_min)
        self.exempt = set(settings.rate_exempt_ips)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        accept = headers.get("accept-language")
        limit = body_limit(path, self.settings)
        size = headers.get("content-length", "")
        if size.isdigit() and int(size) > limit:
            await _send_error(send, too_large(limit), lang_of(accept))
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                await _send_error(send, too_large(limit), lang_of(accept))
                return
        if path.startswith("/v1/"):
            refused = self._rate_check(scope, headers, path, body)
            if refused is not None:
                await _send_error(send, *refused)
                return
        await self.app(scope, _replay(body, receive), send)

    def _rate_check(
        self, scope: Scope, headers: dict[str, str], path: str, body: bytes
    ) -> tuple[DaobanError, str] | None:
        ip = client_ip(scope, headers, self.settings.trusted_proxies)
        if ip in self.exempt:
            return None
        session, lang = _session_and_lang(scope, headers, body)
        wait = self.per_ip.take(f"ip:{ip}")
        if wait:
            return _slow_down(wait, per="ip"), lang
        if session and scope.get("method") in ("POST", "PATCH", "PUT"):
            wait = self.per_session.take(f"session:{session}")
            if wait:
                return _slow_down(wait, per="session"), lang
        return None


def _session_and_lang(scope: Scope, headers: dict[str, str], body: bytes) -> tuple[str | None, str]:
    """The applicant session a request names (path, or the JSON body of chat and feedback) and its language
    (the body's or the query's ``lang``, else Accept-Language)."""
    path, method = scope.get("path", ""), scope.get("method", "")
    session: str | None = None
    lang: str | None = None
    if m := _SESSION_PATH.match(path):
        session = m.group(1)
    if q := re.search(rb"(?:^|&)lang=([A-Za-z-]{2,8})", scope.get("query_string", b"")):
        lang = q.group(1).decode()
    if method in ("POST", "PATCH", "PUT") and body[:1] == b"{":
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            doc = None
        if isinstance(doc, dict):
            sid, lg = doc.get("session_id"), doc.get("lang")
            if path in _SESSION_BODY_PATHS and isinstance(sid, str) and sid:
                session = sid
            lang = lg if isinstance(lg, str) else lang
    return session, lang_of(headers.get("accept-language"), lang)


def _slow_down(wait: float, per: str) -> RateLimited:
    seconds = max(1, math.ceil(wait))
    if per == "session":
        zh = f"这个会话的请求太频繁了，请 {seconds} 秒后再试。"
        en = f"Too many requests in this session; please try again in {seconds} s."
    else:
        zh = f"请求太频繁了，请 {seconds} 秒后再试。"
        en = f"Too many requests; please try again in {seconds} s."
    return RateLimited(zh, en, retry_after=seconds)


def error_headers(exc: DaobanError) -> dict[str, str] | None:
    retry = getattr(exc, "retry_after", None)
    return {"Retry-After": str(retry)} if retry else None


async def _send_error(send: Send, exc: DaobanError, lang: str) -> None:
    body = json.dumps(exc.to_dict(lang), ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in (error_headers(exc) or {}).items()]
    await send({"type": "http.response.start", "status": exc.http_status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # later calls: the client's disconnect, as before

    return replay


# --- malformed requests: a clear message rather than pydantic's wording ------------------------------------------


def validation_message(errors: list[Any], lang: str) -> tuple[str | None, str]:
    """(field, message) for the first error of a RequestValidationError, in ``lang``."""
    first = errors[0] if errors else {}
    field = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or None
    kind, ctx, raw = first.get("type", ""), first.get("ctx") or {}, first.get("msg", "")
    name = field or "body"
    zh_en: dict[str, tuple[str, str]] = {
        "string_too_long": (
            f"字段 {name} 太长了（上限 {ctx.get('max_length')} 字），请缩短后再试。",
            f"Field {name} is too long (limit {ctx.get('max_length')} characters); please shorten it.",
        ),
        "string_too_short": (f"字段 {name} 不能为空。", f"Field {name} must not be empty."),
        "missing": (f"缺少字段 {name}。", f"Field {name} is missing."),
        "string_pattern_mismatch": (f"字段 {name} 的格式不正确。", f"Field {name} has the wrong format."),
        "extra_forbidden": (f"不认识的字段 {name}。", f"Unknown field {name}."),
        "json_invalid": ("请求内容不是有效的 JSON。", "The request body is not valid JSON."),
        "too_long": (
            f"字段 {name} 的条目太多（上限 {ctx.get('max_length')}）。",
            f"Field {name} has too many items (limit {ctx.get('max_length')}).",
        ),
    }
    zh, en = zh_en.get(kind, (f"请求格式有误：字段 {field} {raw}", f"Invalid request: field {field}: {raw}"))
    return field, en if lang == "en" else zh
