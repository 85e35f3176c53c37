"""/v1/eval/runs: the evaluation harness' run folders (var/eval/runs/<task>-<UTC>/, docs/EVAL.md), read-only, for
accounts with the evaluator role. A run id is one folder name under the runs directory, checked against a strict
pattern and resolved inside it, so no path leaves the directory."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from assistant.api.schemas import ErrorResponse
from assistant.errors import NotFoundError
from assistant.settings import Settings

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
ERRORS: dict[int | str, dict[str, Any]] = {404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}


class RunInfo(BaseModel):
    run_id: str
    task: str = Field(description="The task: the folder name before its UTC stamp")
    finished: bool = Field(description="summary.json is written")
    has_report: bool = Field(description="report.html is written")
    modified: float = Field(description="Last change (Unix time)")


def runs_dir(settings: Settings) -> Path:
    return settings.state_dir / "eval" / "runs"  # the harness' runs_root (eval/harness/runs.py)


def _run_not_found(run_id: str, what: str = "") -> NotFoundError:
    shown = run_id[:128]
    return NotFoundError(
        f"没有评测运行 {shown}{what and '的' + what}。",
        f"No evaluation run {shown}{what and ' ' + what}.",
        field="run_id",
    )


def run_path(settings: Settings, run_id: str) -> Path:
    """The run's folder; a 404 unless ``run_id`` names a folder directly inside the runs directory."""
    root = runs_dir(settings).resolve()
    if not RUN_ID.fullmatch(run_id or "") or run_id in (".", ".."):
        raise _run_not_found(run_id)
    path = (root / run_id).resolve()
    if path.parent != root or not path.is_dir():
        raise _run_not_found(run_id)
    return path


def build_eval_router(settings: Settings) -> APIRouter:
    router = APIRouter(prefix="/v1/eval", tags=["evaluation"])

    @router.get("/runs", response_model=list[RunInfo], responses=ERRORS)
    def runs() -> list[RunInfo]:
        """Every run folder, newest first."""
        root = runs_dir(settings)
        if not root.is_dir():
            return []
        out = []
        for p in root.iterdir():
            if not p.is_dir() or p.is_symlink() or not RUN_ID.fullmatch(p.name):
                continue
            task = re.sub(r"-\d{8}T\d{6}Z(?:-\d+)?$", "", p.name)
            out.append(
                RunInfo(
                    run_id=p.name,
                    task=task,
                    finished=(p / "summary.json").is_file(),
                    has_report=(p / "report.html").is_file(),
                    modified=p.stat().st_mtime,
                )
            )
        return sorted(out, key=lambda r: (r.modified, r.run_id), reverse=True)

    @router.get("/runs/{run_id}", responses=ERRORS)
    def run_summary(run_id: str) -> dict[str, Any]:
        """The run's summary.json (metrics, counts, breakdowns, gate failures); 404 while it is not written."""
        path = run_path(settings, run_id) / "summary.json"
        if not path.is_file():
            raise _run_not_found(run_id, "summary.json")
        doc = json.loads(path.read_text(encoding="utf-8"))
        return doc if isinstance(doc, dict) else {"summary": doc}

    @router.get(
        "/runs/{run_id}/report",  # no response_class=HTMLResponse: it would document the JSON errors as text/html
        responses={200: {"content": {"text/html": {}}}, **ERRORS},
    )
    def run_report(run_id: str) -> HTMLResponse:
        """The run's report.html (inline SVG charts, no scripts, no network)."""
        path = run_path(settings, run_id) / "report.html"
        if not path.is_file():
            raise _run_not_found(run_id, "report.html")
        return HTMLResponse(
            path.read_text(encoding="utf-8"),
            headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"},
        )

    return router
