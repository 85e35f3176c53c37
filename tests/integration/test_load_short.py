"""The load test's short, bounded form: 50 simulated applicants for ~20 s against a real server process
(uvicorn on 127.0.0.1, its own temporary state folder) whose chat model, embedder and index are the
deterministic doubles of tests/fuzz/app.py.

This form is about concurrency, storage and error-free behaviour: many sessions writing SQLite at once,
streamed and plain answers, drafts read and edited while turns arrive, and afterwards no acknowledged draft
field lost. The full benchmark (``python -m eval.load_test --clients 50 --seconds 120``) runs the real models;
its figures are in docs/trust/fuzz-and-load.md. Speed is printed, never asserted.
"""

from __future__ import annotations

import pytest

from eval.load_test import run_with_server, table

pytestmark = pytest.mark.integration
CLIENTS, SECONDS = 50, 20.0


def test_fifty_applicants_no_server_error_no_lost_field() -> None:
    report = run_with_server("double", clients=CLIENTS, seconds=SECONDS, max_requests=5000, ready_timeout_s=180)
    print("\n" + table(report))
    assert report["server_alive"]
    assert report["clients_finished"] == CLIENTS
    assert report["server_errors"] == 0 and not report["errors"], report["errors"]
    assert report["sessions"] >= CLIENTS  # every applicant got at least its first answer
    kinds = report["kinds"]
    assert kinds["chat"]["ok"] + kinds.get("chat_stream", {}).get("ok", 0) >= CLIENTS
    assert kinds["fill"]["ok"] > 0
    drafts = report["drafts"]
    assert drafts["sessions_checked"] >= CLIENTS and drafts["fields_checked"] > 0
    assert drafts["lost_fields"] == 0, drafts["lost_examples"]
    assert report["server_log_errors"] == 0, report["server_log_first_errors"]
