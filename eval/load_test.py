"""Load test: N simulated applicants against a real server process on 127.0.0.1, for a bounded time.

Each applicant (an asyncio task with its own sessions) loops until the time or the request budget is spent:
a policy question (POST /v1/chat, one in three via /v1/chat/stream) opens a session, then the turns of a
form-filling dialog from eval/datasets/fill_dev.yaml go to the same session, with GET draft after the second
turn, PATCH draft (a phone number) after the third, and now and then another policy question in between.

Reported: throughput (requests/s), p50/p95/p99 latency per request kind, errors by HTTP status and code, the
answers' status mix (answered / degraded / refused / form / other) and, afterwards, every draft checked: each
field of the last application the server acknowledged (a 200 carrying the draft) must be in the final
GET draft with the same value (``lost_fields`` counts the ones that are not). Prints a table and writes JSON to
var/bench/.

    python -m eval.load_test --clients 50 --seconds 120               # the real models (default settings)
    python -m eval.load_test --server double --clients 50 --seconds 20  # model doubles: concurrency, storage

``--server real`` starts ``daoban serve --no-ingest`` on a temporary state folder holding a copy of the
Chroma index from ``--index-from`` (default var/); ``--server double`` starts the app over deterministic model
doubles (tests/fuzz/app.py); ``--url`` uses a server that is already running. The rate limits are turned off
for the spawned server (every simulated applicant comes from 127.0.0.1). Loopback only: the URL must be local.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT / "eval" / "datasets"
OUT_DIR = ROOT / "var" / "bench"
ANSWERED = {"answered", "answered_extractive"}
REFUSED = {"no_answer", "out_of_scope", "refused_injection", "refused_sensitive", "invalid_input", "referred"}
FORM = {"form_filling", "form_complete", "confirmed", "registration"}


# --- the data ---------------------------------------------------------------------------------------------------
def load_dialogs(path: Path = DATASETS / "fill_dev.yaml") -> list[list[str]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for d in doc["dialogs"]:
        turns = [t["user"] if isinstance(t, dict) else str(t) for t in d["turns"]]
        if turns:
            out.append(turns)
    return out


def load_questions(path: Path = DATASETS / "questions_dev.yaml") -> list[str]:
    return [q["q"] for q in yaml.safe_load(path.read_text(encoding="utf-8")) if q.get("q")]


# --- what one run measures ----------------------------------------------------------------------------------------
@dataclass
class Sample:
    kind: str  # chat | chat_stream | fill | draft_get | draft_patch | draft_final
    code: int  # HTTP status (0: no response)
    seconds: float
    error: str = ""  # error code of a non-2xx (or the exception's name)


@dataclass
class Tally:
    samples: list[Sample] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)  # the answer's status class
    raw_statuses: Counter[str] = field(default_factory=Counter)
    acked: dict[str, dict[str, Any]] = field(default_factory=dict)  # session → last acknowledged application
    sessions: int = 0
    dialogs_done: int = 0
    clients_done: int = 0
    requests: int = 0


def status_class(body: dict[str, Any]) -> str:
    status = str(body.get("status", ""))
    if body.get("degraded") or status == "model_unavailable":
        return "degraded"
    if status in ANSWERED:
        return "answered"
    if status in REFUSED:
        return "refused"
    if status in FORM:
        return "form"
    return "other"


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": [1]}} → {"a.b.0": 1}; None and empty containers are left out (nothing acknowledged)."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}{k}."))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}{i}."))
    elif value is not None and value != "":
        out[prefix.rstrip(".")] = value
    return out


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


# --- one simulated applicant --------------------------------------------------------------------------------------
class Applicant:
    def __init__(
        self,
        n: int,
        client: httpx.AsyncClient,
        tally: Tally,
        dialogs: list[list[str]],
        questions: list[str],
        deadline: float,
        budget: list[int],
    ) -> None:
        self.n = n
        self.client = client
        self.tally = tally
        self.dialogs = dialogs
        self.questions = questions
        self.deadline = deadline
        self.budget = budget  # shared: requests left
        self.rng = random.Random(n)

    def _go(self) -> bool:
        if time.monotonic() >= self.deadline or self.budget[0] <= 0:
            return False
        self.budget[0] -= 1
        self.tally.requests += 1
        return True

    async def _request(self, kind: str, method: str, url: str, **kw: Any) -> dict[str, Any] | None:
        t0 = time.perf_counter()
        try:
            r = await self.client.request(method, url, **kw)
        except httpx.HTTPError as exc:
            self.tally.samples.append(Sample(kind, 0, time.perf_counter() - t0, type(exc).__name__))
            return None
        dt = time.perf_counter() - t0
        body: dict[str, Any] = {}
        try:
            parsed = r.json()
            body = parsed if isinstance(parsed, dict) else {"items": parsed}
        except ValueError:
            body = {}
        if r.status_code >= 400:
            self.tally.samples.append(Sample(kind, r.status_code, dt, str(body.get("code", "")) or "no_code"))
            return None
        self.tally.samples.append(Sample(kind, r.status_code, dt))
        return body

    async def _stream(self, message: str, sid: str | None) -> dict[str, Any] | None:
        t0 = time.perf_counter()
        result: dict[str, Any] | None = None
        error = ""
        code = 0
        try:
            payload = {"message": message, "session_id": sid}
            async with self.client.stream("POST", "/v1/chat/stream", json=payload) as r:
                code = r.status_code
                if code >= 400:
                    body = json.loads(await r.aread() or b"{}")
                    error = str(body.get("code", "")) or "no_code"
                else:
                    event = ""
                    async for line in r.aiter_lines():
                        if line.startswith("event: "):
                            event = line[7:]
                        elif line.startswith("data: ") and event in ("result", "error"):
                            data = json.loads(line[6:])
                            if event == "result":
                                result = data
                            else:
                                error = f"stream:{data.get('code', 'error')}"
        except (httpx.HTTPError, ValueError) as exc:
            error = type(exc).__name__
        if result is None and not error:
            error = "stream_without_result"
        self.tally.samples.append(Sample("chat_stream", code, time.perf_counter() - t0, error))
        return result

    async def ask(self, sid: str | None) -> str | None:
        q = self.rng.choice(self.questions)
        if self.rng.random() < 1 / 3:
            body = await self._stream(q, sid)
        else:
            body = await self._request("chat", "POST", "/v1/chat", json={"message": q, "session_id": sid})
        if body is None:
            return sid
        self.tally.statuses[status_class(body)] += 1
        self.tally.raw_statuses[str(body.get("status"))] += 1
        self._ack(body.get("session_id"), body.get("draft"))
        return str(body.get("session_id") or sid or "") or None

    def _ack(self, sid: Any, application: Any) -> None:
        if sid and isinstance(application, dict):
            self.tally.acked[str(sid)] = application

    async def dialog(self) -> None:
        if not self._go():
            return
        sid = await self.ask(None)
        if not sid:
            return
        self.tally.sessions += 1
        turns = self.rng.choice(self.dialogs)
        for i, turn in enumerate(turns):
            if not self._go():
                return
            body = await self._request("fill", "POST", "/v1/chat", json={"message": turn, "session_id": sid})
            if body is not None:
                self.tally.statuses[status_class(body)] += 1
                self.tally.raw_statuses[str(body.get("status"))] += 1
                self._ack(sid, body.get("draft"))
            if i == 1 and self._go():
                got = await self._request("draft_get", "GET", f"/v1/sessions/{sid}/draft")
                if got is not None:
                    self._ack(sid, got.get("application"))
            if i == 2 and self._go():
                phone = f"139{self.n:04d}{self.rng.randrange(10000):04d}"
                got = await self._request(
                    "draft_patch", "PATCH", f"/v1/sessions/{sid}/draft", json={"field": "phone", "value": phone}
                )
                if got is not None:
                    self._ack(sid, got.get("application"))
            if self.rng.random() < 0.15 and self._go():
                await self.ask(sid)  # a policy question in the middle of the form
        self.tally.dialogs_done += 1

    async def run(self) -> None:
        await asyncio.sleep(self.rng.random() * 0.5)  # not all at the same instant
        while time.monotonic() < self.deadline and self.budget[0] > 0:
            await self.dialog()
        self.tally.clients_done += 1


async def verify_drafts(client: httpx.AsyncClient, tally: Tally) -> dict[str, Any]:
    """Every session's final draft against the last application the server acknowledged for it."""
    lost: list[dict[str, Any]] = []
    checked_fields = 0
    sem = asyncio.Semaphore(8)

    async def one(sid: str, acked: dict[str, Any]) -> None:
        nonlocal checked_fields
        async with sem:
            t0 = time.perf_counter()
            r = await client.get(f"/v1/sessions/{sid}/draft")
            tally.samples.append(Sample("draft_final", r.status_code, time.perf_counter() - t0))
        if r.status_code != 200:
            lost.append({"session": sid, "field": "*", "problem": f"GET draft answered {r.status_code}"})
            return
        final = flatten(r.json().get("application"))
        for path, value in flatten(acked).items():
            checked_fields += 1
            if path not in final:
                lost.append({"session": sid, "field": path, "problem": "missing", "acked": value})
            elif final[path] != value:
                lost.append({"session": sid, "field": path, "problem": "changed", "acked": value, "final": final[path]})

    await asyncio.gather(*(one(sid, app) for sid, app in tally.acked.items()))
    return {"sessions_checked": len(tally.acked), "fields_checked": checked_fields, "lost": lost}


def summarise(tally: Tally, wall: float, verification: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for s in tally.samples:
        by_kind[s.kind].append(s)
    kinds = {}
    for kind, samples in sorted(by_kind.items()):
        lat = [s.seconds for s in samples if 200 <= s.code < 300 and not s.error]
        kinds[kind] = {
            "requests": len(samples),
            "ok": len(lat),
            "p50_ms": round(percentile(lat, 0.50) * 1000, 1),
            "p95_ms": round(percentile(lat, 0.95) * 1000, 1),
            "p99_ms": round(percentile(lat, 0.99) * 1000, 1),
            "max_ms": round(max(lat, default=0.0) * 1000, 1),
        }
    errors = Counter(
        f"{s.kind} {s.code} {s.error}".strip() for s in tally.samples if s.code >= 400 or s.error or s.code == 0
    )
    in_run = [s for s in tally.samples if s.kind != "draft_final"]
    return {
        **meta,
        "wall_s": round(wall, 1),
        "requests": len(in_run),
        "throughput_rps": round(len(in_run) / wall, 2) if wall else 0.0,
        "sessions": tally.sessions,
        "dialogs_completed": tally.dialogs_done,
        "clients_finished": tally.clients_done,
        "kinds": kinds,
        "errors": dict(errors.most_common()),
        "server_errors": sum(n for k, n in errors.items() if k.split()[1][:1] in ("5", "0") or "stream:" in k),
        "status_mix": dict(tally.statuses.most_common()),
        "statuses": dict(tally.raw_statuses.most_common()),
        "drafts": {
            "sessions_checked": verification["sessions_checked"],
            "fields_checked": verification["fields_checked"],
            "lost_fields": len(verification["lost"]),
            "lost_examples": verification["lost"][:20],
        },
    }


async def run_load(
    base_url: str,
    *,
    clients: int = 50,
    seconds: float = 120.0,
    max_requests: int = 20000,
    timeout_s: float = 300.0,
    warmup: bool = True,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    host = urlsplit(base_url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"loopback only: {base_url}")
    dialogs, questions = load_dialogs(), load_questions()
    tally = Tally()
    budget = [max_requests]
    limits = httpx.Limits(max_connections=clients + 8, max_keepalive_connections=clients + 8)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout_s, limits=limits, trust_env=False) as client:
        if warmup:  # one dialog, not counted: lazy loads (parsers, address tables, the model's prompt cache)
            await Applicant(9999, client, Tally(), dialogs[:1], questions[:1], time.monotonic() + 600, [100]).dialog()
        t0 = time.monotonic()
        deadline = t0 + seconds
        apps = [Applicant(i, client, tally, dialogs, questions, deadline, budget) for i in range(clients)]
        await asyncio.gather(*(a.run() for a in apps))
        wall = time.monotonic() - t0
        verification = await verify_drafts(client, tally)
    return summarise(tally, wall, verification, {"clients": clients, "seconds": seconds, **(meta or {})})


# --- the server ---------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(state_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DAOBAN_STATE_DIR=str(state_dir),
        DAOBAN_RATE_IP_PER_MIN="0",  # 50 applicants share 127.0.0.1
        DAOBAN_RATE_SESSION_PER_MIN="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


def start_server(mode: str, state_dir: Path, port: int, log_path: Path, index_from: Path) -> subprocess.Popen[bytes]:
    py = sys.executable
    if mode == "double":
        cmd = [py, "-m", "uvicorn", "tests.fuzz.app:app_from_env", "--factory"]
        cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    else:
        src = index_from / "chroma"
        if not src.is_dir():
            raise SystemExit(f"no index at {src}: run `daoban ingest` first or pass --index-from")
        shutil.copytree(src, state_dir / "chroma")
        daoban = str(Path(py).parent / "daoban")
        cmd = [daoban, "serve", "--no-ingest", "--host", "127.0.0.1", "--port", str(port)]
    log = log_path.open("wb")
    return subprocess.Popen(cmd, cwd=ROOT, env=server_env(state_dir), stdout=log, stderr=subprocess.STDOUT)


def wait_ready(base_url: str, proc: subprocess.Popen[bytes], timeout_s: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode} before it was ready")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2, trust_env=False).status_code == 200:
                return time.monotonic() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server was not ready within {timeout_s:.0f} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), for the server's share of the load."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_with_server(
    mode: str,
    *,
    clients: int,
    seconds: float,
    max_requests: int,
    ready_timeout_s: float = 600.0,
    index_from: Path = ROOT / "var",
    log_dir: Path | None = OUT_DIR,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="daoban-load-") as tmp:
        state = Path(tmp) / "state"
        state.mkdir()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log_path = Path(tmp) / "server.log"
        proc = start_server(mode, state, port, log_path, index_from)
        try:
            ready_s = wait_ready(base, proc, ready_timeout_s)
            cpu0, load0 = cpu_seconds(proc.pid), os.getloadavg()
            report = asyncio.run(
                run_load(
                    base,
                    clients=clients,
                    seconds=seconds,
                    max_requests=max_requests,
                    meta={"server": mode, "server_ready_s": round(ready_s, 1)},
                )
            )
            report["server_cpu_s"] = round(cpu_seconds(proc.pid) - cpu0, 1)
            report["loadavg_before"] = [round(x, 2) for x in load0]
            report["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
            report["server_alive"] = proc.poll() is None
        finally:
            stop(proc)
            log_text = log_path.read_text(encoding="utf-8", errors="replace")
            if log_dir is not None:
                log_dir.mkdir(parents=True, exist_ok=True)
                (log_dir / f"load_test-server-{mode}.log").write_text(log_text, encoding="utf-8")
        errors = [ln for ln in log_text.splitlines() if "Traceback" in ln or "ERROR" in ln]
        report["server_log_errors"] = len(errors)
        report["server_log_first_errors"] = errors[:10]
        return report


# --- output -------------------------------------------------------------------------------------------------------
def table(report: dict[str, Any]) -> str:
    lines = [
        f"load test: {report['clients']} clients, {report['wall_s']} s, server={report.get('server', 'url')}, "
        f"{report['requests']} requests, {report['throughput_rps']} req/s, loadavg after "
        f"{report.get('loadavg_after', '?')}",
        f"{'kind':14}{'requests':>9}{'ok':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}",
    ]
    for kind, k in report["kinds"].items():
        lines.append(
            f"{kind:14}{k['requests']:>9}{k['ok']:>7}{k['p50_ms']:>10}{k['p95_ms']:>10}{k['p99_ms']:>10}{k['max_ms']:>10}"
        )
    lines.append(f"errors: {report['errors'] or 'none'} (server errors: {report['server_errors']})")
    lines.append(f"status mix: {report['status_mix']}")
    d = report["drafts"]
    lines.append(
        f"drafts: {d['sessions_checked']} sessions, {d['fields_checked']} acknowledged fields checked, "
        f"{d['lost_fields']} lost; clients finished {report['clients_finished']}/{report['clients']}"
    )
    return "\n".join(lines)


def write_json(report: dict[str, Any], out_dir: Path = OUT_DIR) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = out_dir / f"load_test-{report.get('server', 'url')}-{stamp}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--max-requests", type=int, default=20000, help="hard cap on requests over the whole run")
    ap.add_argument("--server", choices=("real", "double"), default="real")
    ap.add_argument("--url", default="", help="a running server on loopback instead of spawning one")
    ap.add_argument("--index-from", type=Path, default=ROOT / "var", help="state folder whose chroma/ is copied")
    ap.add_argument("--ready-timeout", type=float, default=600.0)
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args(argv)
    if args.url:
        report = asyncio.run(
            run_load(args.url, clients=args.clients, seconds=args.seconds, max_requests=args.max_requests)
        )
        report["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    else:
        report = run_with_server(
            args.server,
            clients=args.clients,
            seconds=args.seconds,
            max_requests=args.max_requests,
            ready_timeout_s=args.ready_timeout,
            index_from=args.index_from,
            log_dir=args.out,
        )
    print(table(report))
    print(f"written: {write_json(report, args.out)}")
    return 0 if report["server_errors"] == 0 and report["drafts"]["lost_fields"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
