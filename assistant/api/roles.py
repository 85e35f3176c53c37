"""Who may call which route: every API route declares exactly one role dependency, and the route table says so.

Roles:

- ``public``: anyone (health, the approval engine, voice and document reading, staff login, creating a session).
- ``applicant``: the holder of a session id (POST /v1/chat returns it: 32 hex digits from ``os.urandom``, so it
  cannot be guessed). Routes under /v1/sessions/{session_id}/ answer only for a session that exists and is an
  applicant's; an unknown, malformed or staff-chat id is the same bilingual 404, so nobody learns whether an id
  exists elsewhere. Routes that take the id in the body (chat, feedback) get the same 404 from the service.
- ``staff`` and ``evaluator``: a staff account's bearer token (POST /v1/staff/login) whose account holds the
  role. No token or a bad one is a 401; a valid token without the role is a 403. Accounts hold staff and/or
  evaluator (``daoban staff create NAME --role staff --role evaluator``).

Declaring: put the role's dependency on the route, its router or its ``include_router`` call
(``dependencies=[PUBLIC]``, ``Depends(require_staff)``, ...). :func:`route_roles` reads it back from the route's
dependency tree and :func:`annotate` publishes it in the OpenAPI document as ``x-role`` (with the 401/403/404
answers the role implies). tests/unit/test_api_roles.py walks ``app.routes`` and fails on a route without one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.params import Depends as DependsParam
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.routing import Mount

from assistant.errors import DaobanError, NotFoundError
from assistant.store.staff import AuthError, StaffUser

ROLES = ("public", "applicant", "staff", "evaluator")
ROLE_ATTR = "__daoban_roles__"
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

bearer = HTTPBearer(auto_error=False, description="The token from POST /v1/staff/login")

# routes that are not APIRoutes (FastAPI's own pages, the mounted gradio apps): declared here, by path
NON_API_ROLES: dict[str, str] = {
    "/openapi.json": "public",
    "/docs": "public",
    "/docs/oauth2-redirect": "public",
    "/redoc": "public",
    "/ui": "public",  # the applicant widget: calls the service in-process, a session per browser tab
    "/staff": "staff",  # the staff console: gradio's login form, checked against the staff accounts
}


class Forbidden(DaobanError):
    """A valid staff token whose account lacks the route's role (HTTP 403)."""

    code = "forbidden"
    http_status = 403


def _mark(fn: Callable[..., Any], roles: tuple[str, ...]) -> Callable[..., Any]:
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown role(s): {sorted(unknown)}")
    setattr(fn, ROLE_ATTR, roles)
    return fn


def session_not_found(session_id: str) -> NotFoundError:
    """The one 404 for a session id that does not name an applicant's session (same words as the store's)."""
    shown = session_id[:64]
    return NotFoundError(
        f"会话 {shown} 不存在或已过期，请开始新的会话。",
        f"Session {shown} does not exist; start a new one.",
        field="session_id",
    )


def check_session(service: Any, session_id: str) -> str:
    """``session_id`` when it names an existing applicant session, else the uniform 404."""
    if not SESSION_ID.fullmatch(session_id or "") or not service.store.exists(session_id):
        raise session_not_found(session_id)
    insights = getattr(service, "insights", None)
    if insights is not None and insights.is_staff_session(session_id):  # an internal chat is not an applicant's
        raise session_not_found(session_id)
    return session_id


def public() -> None:
    """Anyone may call the route."""


def applicant(request: Request) -> str | None:
    """The session id of the route's path, checked (the uniform 404); None for routes that take it in the body."""
    sid = request.path_params.get("session_id")
    if sid is None:
        return None
    return check_session(request.app.state.service(), str(sid))


def _account(request: Request, creds: HTTPAuthorizationCredentials | None) -> StaffUser:
    if creds is None or not creds.credentials:
        raise AuthError(
            "此功能仅限工作人员，请先登录（POST /v1/staff/login）。",
            "Staff only: log in first (POST /v1/staff/login) and send the token as a Bearer header.",
            field="authorization",
        )
    user = request.app.state.service().staff.user_for_token(creds.credentials)
    if user is None:
        raise AuthError(
            "登录令牌无效或已过期，请重新登录。",
            "The token is invalid or has expired; please log in again.",
            field="authorization",
        )
    return user


_ROLE_NAMES = {"staff": ("工作人员", "staff"), "evaluator": ("评测人员", "evaluator")}


def require_role(*roles: str) -> Callable[..., StaffUser]:
    """A dependency: the logged-in account when it holds one of ``roles`` (401 without a valid token, else 403)."""
    if not roles or set(roles) - {"staff", "evaluator"}:
        raise ValueError(f"require_role takes staff and/or evaluator, not {roles}")

    def dependency(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> StaffUser:
        user = _account(request, creds)
        if not any(user.has(r) for r in roles):
            zh = "或".join(_ROLE_NAMES[r][0] for r in roles)
            en = " or ".join(_ROLE_NAMES[r][1] for r in roles)
            raise Forbidden(
                f"账号 {user.name} 没有{zh}权限，无法使用此功能。",
                f"Account {user.name} lacks the {en} role this needs.",
                field="authorization",
            )
        return user

    dependency.__name__ = "require_" + "_or_".join(roles)
    _mark(dependency, tuple(roles))
    return dependency


_mark(public, ("public",))
_mark(applicant, ("applicant",))
require_staff = require_role("staff")
require_evaluator = require_role("evaluator")
require_account = require_role("staff", "evaluator")  # any staff account: /v1/staff/me, /logout

PUBLIC = Depends(public)
APPLICANT = Depends(applicant)
STAFF = Depends(require_staff)
EVALUATOR = Depends(require_evaluator)


def _declared(dependant: Dependant) -> Iterable[tuple[str, ...]]:
    for dep in dependant.dependencies:
        roles = getattr(dep.call, ROLE_ATTR, None)
        if roles:
            yield roles
        yield from _declared(dep)


def routes(app: FastAPI) -> Iterator[Any]:
    """Every route of the app as served: APIRoutes with the dependencies of their ``include_router`` calls (FastAPI
    includes routers lazily, so ``app.routes`` alone holds the routers, not their routes), mounts, plain routes."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before lazy includes: app.routes is flat
        yield from app.routes
        return
    yield from iter_route_contexts(app.routes)


def _is_api(route: Any) -> bool:
    return isinstance(getattr(route, "original_route", route), APIRoute)


def route_roles(route: Any) -> tuple[str, ...] | None:
    """The roles a route declares; None when it declares none (or, for an API route, more than one)."""
    if _is_api(route):
        found = set(_declared(route.dependant))
        return next(iter(found)) if len(found) == 1 else None
    role = NON_API_ROLES.get(getattr(route, "path", None) or "")
    return (role,) if role else None


def route_table(app: FastAPI) -> list[tuple[str, str, str]]:
    """(path, method, role) for every route, sorted; role "?" where none is declared."""
    rows = []
    for route in routes(app):
        roles = route_roles(route)
        role = ",".join(roles) if roles else "?"
        path = getattr(route, "path", None) or "?"
        if isinstance(getattr(route, "original_route", route), Mount):
            rows.append((path + "/*", "*", role))
        else:
            methods = getattr(route, "methods", None) or {"*"}
            rows += [(path, m, role) for m in sorted(methods) if m != "HEAD" or methods == {"HEAD"}]
    return sorted(rows)


_ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
_ANSWERS = {
    "staff": {"401": "No token, or an invalid or expired one", "403": "The account lacks the role"},
    "evaluator": {"401": "No token, or an invalid or expired one", "403": "The account lacks the role"},
    "applicant": {"404": "Unknown session id"},
}


def annotate(app: FastAPI) -> None:
    """Publish each API route's role as ``x-role`` in the OpenAPI document, with the error answers it implies
    (401/403 for staff and evaluator routes, 404 for applicant routes, 413/429 for every /v1 route)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()  # FastAPI's own, cached until the routes change
        paths = schema.get("paths", {})
        for path, method, role in route_table(app):
            op = paths.get(path, {}).get(method.lower())
            if op is None or role == "?":
                continue
            op["x-role"] = role
            answers: dict[str, str] = {}
            for r in role.split(","):
                answers.update(_ANSWERS.get(r, {}))
            if path.startswith("/v1/"):
                answers |= {"413": "Request body too large", "429": "Too many requests: wait Retry-After seconds"}
            responses = op.setdefault("responses", {})
            for status, text in answers.items():
                responses.setdefault(status, {"description": text, "content": _ERROR_REF})
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def role_of_dependency(dep: Any) -> tuple[str, ...] | None:
    """The roles a ``Depends(...)`` marks (for tests and docs)."""
    call = dep.dependency if isinstance(dep, DependsParam) else dep
    return getattr(call, ROLE_ATTR, None)


def markdown_table(app: FastAPI) -> str:
    """The route table as the Markdown rows of docs/trust/roles-and-limits.md."""
    rows = ["| route | method | role |", "|---|---|---|"]
    rows += [f"| `{path}` | {method} | {role} |" for path, method, role in route_table(app)]
    return "\n".join(rows)


if __name__ == "__main__":  # python -m assistant.api.roles: print the route table for the docs
    import tempfile

    from assistant.api.app import create_app
    from assistant.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        print(markdown_table(create_app(Settings(state_dir=Path(tmp)), with_ui=True)))
