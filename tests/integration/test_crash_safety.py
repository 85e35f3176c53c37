"""Crash safety: the real server (FastAPI under uvicorn, real SQLite in WAL mode) is SIGKILLed while several applicants
fill forms over HTTP, restarted on the same files, and must still hold every acknowledged turn and draft field; the
audit chain must verify (with the real ``daoban audit verify`` command).

The chat model is a deterministic double (form filling never calls it) and the index is in memory: this test is about
storage, and the server starts in seconds. Run as a module, this file is the server:
``python -m tests.integration.test_crash_safety STATE_DIR PORT``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT.parent / "shared" / "data"
pytestmark = pytest.mark.integration

TURNS = [
    "我想在天河开个做小程序的公司，我跟同学两个人出钱，我出60万他出40万",
    "我叫张伟，同学叫林浩",
    "地址是广州市天河区体育西路1号501室，名字叫青禾",
    "我当法人，林浩做监事",
    "我的身份证是440106199704021886，林浩的是44011119910208192X",
    "电话13800138001",
]
APPLICATION = {  # an approval check (no session): each one appends a "decision" record to the audit chain
    "entity_type": "有限责任公司",
    "proposed_name": "广州青禾软件有限公司",
    "registered_capital_wan": 100,
}
SESSIONS = 5  # concurrent applicants
# SIGKILL once this many chat turns are acknowledged in all and a form-filling request is in flight; at 30 (every
# turn) only the confirmations (submission + confirmation records, the confirmed draft) can be in flight
KILL_AT = (3, 14, SESSIONS * len(TURNS))
MAX_ROUND_S = 60.0


def serve(state_dir: str, port: int) -> None:  # pragma: no cover - runs in the subprocess
    import uvicorn

    from assistant.api.app import create_app
    from assistant.service import Assistant
    from assistant.settings import Settings
    from assistant.store import SessionStore
    from assistant.testing import HashEmbedder, InMemoryIndex, ScriptedChat
    from assistant.wiring import configure

    settings = Settings(state_dir=Path(state_dir), data_dir=DATA_DIR, min_relevance=0.0, min_lexical=0.0)
    configure(settings)
    svc = Assistant(
        settings,
        chat=ScriptedChat(fn=lambda _m: "因此，可以。"),
        embedder=HashEmbedder(),
        index=InMemoryIndex(),
        store=SessionStore(settings.sqlalchemy_url),
    )
    uvicorn.run(create_app(settings, svc, with_ui=False), host="127.0.0.1", port=port, log_level="warning")


# --- the test side --------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, state_dir: Path, log_path: Path) -> None:
        self.state_dir, self.log_path = state_dir, log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = ""

    def start(self, timeout: float = 300.0) -> float:  # a loaded 2-core machine takes minutes
        import httpx

        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        t0 = time.perf_counter()
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.test_crash_safety", str(self.state_dir), str(port)],
                cwd=ROOT,
                env={**os.environ, "DAOBAN_RATE_IP_PER_MIN": "0", "DAOBAN_RATE_SESSION_PER_MIN": "0"},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return time.perf_counter() - t0
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"server not ready in {timeout} s: {self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)  # no shutdown hook, no flush: what is on disk is what there is
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@dataclass
class Applicant:
    """One simulated applicant: the turns acknowledged so far (HTTP 200) and what each acknowledgement reported."""

    session_id: str | None = None
    next_turn: int = 0
    acked: list[dict[str, Any]] = field(default_factory=list)  # chat responses with a 200
    receipt: dict[str, Any] | None = None  # the confirmation's 200


@dataclass
class Traffic:
    base: str
    applicants: list[Applicant]
    stop: threading.Event = field(default_factory=threading.Event)
    in_flight: int = 0  # form-filling requests (chat turns, confirmations) sent and not yet answered
    lock: threading.Lock = field(default_factory=threading.Lock)
    receipts: list[str] = field(default_factory=list)  # acknowledged approval-check decisions (audit records)
    ok: int = 0
    errors: list[str] = field(default_factory=list)

    def _post(self, client: Any, path: str, body: dict | None, count: bool = True) -> Any:
        with self.lock:
            self.in_flight += count
        try:
            return client.post(f"{self.base}{path}", json=body, timeout=120)
        finally:
            with self.lock:
                self.in_flight -= count

    def applicant(self, a: Applicant) -> None:
        import httpx

        with httpx.Client() as client:
            while not self.stop.is_set():
                try:
                    if a.next_turn < len(TURNS):
                        r = self._post(client, "/v1/chat", {"message": TURNS[a.next_turn], "session_id": a.session_id})
                    elif a.receipt is None:
                        r = self._post(client, f"/v1/sessions/{a.session_id}/confirm", None)
                    else:
                        return
                except httpx.HTTPError:
                    return  # the server died under this request: not acknowledged
                if r.status_code != 200:
                    self.errors.append(f"{r.status_code} {r.text[:300]}")
                    return
                body = r.json()
                if a.next_turn < len(TURNS):
                    a.session_id = body["session_id"]
                    a.acked.append(body)
                    a.next_turn += 1
                else:
                    a.receipt = body
                self.ok += 1

    def checker(self) -> None:
        import httpx

        with httpx.Client() as client:
            while not self.stop.is_set():
                try:
                    r = self._post(client, "/v1/approval/check", APPLICATION, count=False)
                except httpx.HTTPError:
                    return
                if r.status_code != 200:
                    self.errors.append(f"{r.status_code} {r.text[:300]}")
                    return
                self.ok += 1
                time.sleep(0.05)


def leaves(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Flattened non-empty values of a JSON object: {"shareholders.0.name": "张伟", ...}."""
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            out |= leaves(v, f"{prefix}{k}.")
        return out
    if isinstance(obj, list):
        out = {}
        for i, v in enumerate(obj):
            out |= leaves(v, f"{prefix}{i}.")
        return out
    return {} if obj is None or obj == "" else {prefix.rstrip("."): obj}


def verify_recovered(base: str, applicants: list[Applicant]) -> int:
    """Every acknowledged turn and draft value is there after the restart; returns how many turns were checked."""
    import httpx

    checked = 0
    for a in applicants:
        if not a.acked:
            continue
        sid = a.session_id
        messages = {m["id"]: m for m in httpx.get(f"{base}/v1/sessions/{sid}/messages", timeout=10).json()}
        draft = httpx.get(f"{base}/v1/sessions/{sid}/draft", timeout=10).json()
        recovered = leaves(draft["application"])
        for turn, ack in enumerate(a.acked):
            mid = ack["message_id"]
            assert messages.get(mid, {}).get("content") == ack["answer"], f"acknowledged answer {mid} lost ({sid})"
            assert messages.get(mid - 1, {}).get("role") == "user", f"the question of answer {mid} lost ({sid})"
            assert TURNS[turn][:2] in messages[mid - 1]["content"]  # stored masked: 电话[手机号1]
            for path, value in leaves(ack["draft"] or {}).items():
                assert recovered.get(path) == value, (
                    f"acknowledged field {path}={value!r} lost: {recovered.get(path)!r}"
                )
            checked += 1
        for f in draft["fields"]:  # every stored value names the stored message it came from
            if f["source"].startswith("message:"):
                assert f["source"] != "message:?" and int(f["source"].split(":")[1]) in messages, f
        if a.receipt is not None:
            assert draft["status"] == "confirmed" and draft["submission"]["receipt"] == a.receipt["receipt"]
    return checked


def audit_verify(state_dir: Path) -> dict:
    env = {**os.environ, "DAOBAN_STATE_DIR": str(state_dir), "DAOBAN_DATA_DIR": str(DATA_DIR)}
    out = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "audit", "verify", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def audit_receipts(state_dir: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(state_dir / "daoban.sqlite3") as db:
        return {h for (h,) in db.execute("SELECT hash FROM audit_log")}


@pytest.mark.skipif(not DATA_DIR.exists(), reason="shared data not beside the checkout")
def test_sigkill_during_form_filling_loses_no_acknowledged_turn(tmp_path: Path) -> None:
    state = tmp_path / "state"
    server = Server(state, tmp_path / "server.log")
    applicants = [Applicant() for _ in range(SESSIONS)]
    report = []
    try:
        server.start()
        for target in KILL_AT:
            traffic = Traffic(server.base, applicants)
            threads = [threading.Thread(target=traffic.applicant, args=(a,)) for a in applicants]
            threads += [threading.Thread(target=traffic.checker)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            while time.perf_counter() - t0 < MAX_ROUND_S:
                if sum(len(a.acked) for a in applicants) >= target and traffic.in_flight > 0:
                    break
                time.sleep(0.005)
            in_flight, kill_s = traffic.in_flight, time.perf_counter() - t0
            server.kill()  # while form-filling requests are in flight
            traffic.stop.set()
            for t in threads:
                t.join(timeout=30)
            assert not traffic.errors, traffic.errors[:3]
            restart_s = server.start()
            checked = verify_recovered(server.base, applicants)
            report.append(
                {
                    "killed_after_s": round(kill_s, 1),
                    "in_flight_at_kill": in_flight,
                    "acked": traffic.ok,
                    "restart_s": round(restart_s, 1),
                }
            )
            v = audit_verify(state)
            assert v["ok"], v
        server.stop()
    finally:
        server.stop()
    confirmed = sum(a.receipt is not None for a in applicants)
    print("crash rounds:", report, "turns verified:", checked, "confirmations acknowledged:", confirmed)
    assert all(r["in_flight_at_kill"] > 0 for r in report), "a kill found no form-filling request in flight"
    assert checked >= SESSIONS, "too few acknowledged turns to prove anything"
    receipts = audit_receipts(state)
    for a in applicants:  # acknowledged confirmations are in the chain
        if a.receipt is not None:
            assert a.receipt["receipt"] in receipts


if __name__ == "__main__":  # pragma: no cover
    serve(sys.argv[1], int(sys.argv[2]))
