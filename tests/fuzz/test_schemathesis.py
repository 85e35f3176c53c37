"""Schemathesis against the app's own OpenAPI spec, in-process (ASGI, no network).

Every operation is fuzzed with bounded examples, anonymously and (staff routes) with a valid staff token;
checks: no 5xx, the response matches the declared schema (status code, content type, body). The app is real
(routes, validation, SQLite, decoders, staff auth) over doubles of the models (tests/fuzz/app.py).
``DAOBAN_FUZZ_EXAMPLES`` sets the examples per operation (default 10 in the normal run; 50 for a deep run).

Schemathesis' own pytest plugin does not run on pytest 9 (it writes ``node._nodeid``), so the loop over the
operations is here: one Hypothesis test per operation, every failure collected and reported together.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from assistant.service import Assistant
from tests.fuzz.app import STAFF_NAME, STAFF_PASSWORD, build_app, fuzz_settings

pytestmark = pytest.mark.fuzz
EXAMPLES = int(os.environ.get("DAOBAN_FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
STAFF_PATHS = re.compile(r"^/v1/(staff|knowledge|eval)/")
SEEDED: dict[str, str] = {}  # path / body parameter → a value that exists (a session, a ticket, a law)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Assistant]]:
    app, svc = build_app(fuzz_settings(tmp_path_factory.mktemp("fuzz_state")))
    with TestClient(app) as client:  # runs the lifespan: the service is warmed up and held by the app
        svc.staff.create(STAFF_NAME, STAFF_PASSWORD, roles=("staff", "evaluator"))
        # a session in form filling and a hand-off ticket, so half the cases reach past the 404 of a random id
        sid = client.post("/v1/chat", json={"message": "我想注册一家有限责任公司"}).json()["session_id"]
        client.post("/v1/chat", json={"message": "注册资本要一次交齐吗", "session_id": sid})
        assert client.post(f"/v1/sessions/{sid}/handoff", json={"reason": "请人工帮我看看"}).status_code == 200
        tickets = client.get("/v1/staff/tickets", headers=staff_header(svc)).json()
        SEEDED.update(session_id=sid, ticket_id=str(tickets[0]["id"]), law="公司法", article="第四十七条")
        yield schemathesis.openapi.from_asgi("/openapi.json", app), svc


def seed(case: Any) -> None:
    """Point the case's ids at things that exist (the generated values stay in the other half of the cases)."""
    for key in list(case.path_parameters or {}):
        if key in SEEDED:
            case.path_parameters[key] = SEEDED[key]
    if isinstance(case.body, dict) and "session_id" in case.body:
        case.body["session_id"] = SEEDED["session_id"]


def staff_header(svc: Assistant) -> dict[str, str]:
    """A fresh token per case: a fuzzed POST /v1/staff/logout revokes the one it was sent with."""
    return {"Authorization": f"Bearer {svc.staff.issue_token(svc.staff.accounts()[0]).token}"}


def fuzz_operation(op: Any, svc: Assistant, *, staff: bool, seen: Counter[int]) -> str:
    """Fuzz one operation; count its status codes in ``seen``; return the failure report ("" when none)."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,  # the same cases every run: a failure reproduces
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=op.as_strategy(), real_ids=st.booleans())
    def run(case: Any, real_ids: bool) -> None:
        if real_ids:
            seed(case)
        response = case.call(headers=staff_header(svc) if staff else None)
        seen[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # a FailureGroup: the failed checks, curl, response
        return f"{op.label}:\n{exc}"
    return ""


def fuzz(schema: Any, svc: Assistant, *, staff: bool) -> tuple[list[str], dict[str, Counter[int]]]:
    """Run every (staff) operation; return (failures, status codes per operation). Prints the status mix."""
    failures: list[str] = []
    per_op: dict[str, Counter[int]] = {}
    for result in schema.get_all_operations():
        op = result.ok()
        if staff and not STAFF_PATHS.match(op.path):
            continue
        failure = fuzz_operation(op, svc, staff=staff, seen=per_op.setdefault(op.label, Counter()))
        if failure:
            failures.append(failure)
    total = sum(sum(c.values()) for c in per_op.values())
    print(f"\n{'staff' if staff else 'anonymous'}: {total} cases over {len(per_op)} operations")
    for label, seen in sorted(per_op.items()):
        print(f"  {label:60} {dict(sorted(seen.items()))}")
    return failures, per_op


def test_every_operation_anonymous(fuzzed: tuple[Any, Assistant]) -> None:
    schema, svc = fuzzed
    failures, per_op = fuzz(schema, svc, staff=False)
    assert not failures, "\n\n".join(failures)
    assert len(per_op) >= 30 and all(per_op.values())  # every operation was called
    reached = [op for op, seen in per_op.items() if any(200 <= c < 300 for c in seen)]
    assert len(reached) >= 10, per_op  # the fuzzer gets past validation, not only 4xx


def test_staff_operations_with_a_valid_token(fuzzed: tuple[Any, Assistant]) -> None:
    schema, svc = fuzzed
    failures, per_op = fuzz(schema, svc, staff=True)
    assert not failures, "\n\n".join(failures)
    assert any("/v1/staff/tickets" in op for op in per_op) and any("/v1/knowledge/" in op for op in per_op)
    reached = [op for op, seen in per_op.items() if any(200 <= c < 300 for c in seen)]
    assert len(reached) >= len(per_op) // 2, per_op  # the token gets past auth
