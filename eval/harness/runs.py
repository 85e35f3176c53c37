"""A run's folder: var/eval/runs/<task>-<UTC timestamp>/ with config.json, items.jsonl (appended as items finish,
so an interrupted run resumes without recomputing), summary.json, report.md and report.html."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.settings import PROJECT_ROOT, Settings
from eval.harness.tasks.base import ItemResult

PRIVATE = ("key", "secret", "password", "database_url", "token")  # settings never written out


def runs_root(settings: Settings) -> Path:
    return settings.state_dir / "eval" / "runs"


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10, check=False
        )
        head = out.stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10, check=False,
        ).stdout.strip()  # fmt: skip
        return f"{head}{'+dirty' if dirty else ''}" if head else "unknown"
    except OSError:
        return "unknown"


def public_settings(settings: Settings) -> dict[str, str]:
    return {k: str(v) for k, v in settings.model_dump().items() if not any(p in k for p in PRIVATE)}


def utc_stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())


@dataclass
class RunDir:
    path: Path

    @classmethod
    def create(cls, root: Path, task: str) -> RunDir:
        base = root / f"{task}-{utc_stamp()}"
        path, n = base, 1
        while path.exists():  # two runs in the same second
            n += 1
            path = base.with_name(f"{base.name}-{n}")
        path.mkdir(parents=True)
        return cls(path)

    @property
    def items_path(self) -> Path:
        return self.path / "items.jsonl"

    def write_config(self, config: dict[str, Any]) -> None:
        self._write_json("config.json", config)

    def config(self) -> dict[str, Any]:
        return self._read_json("config.json")

    def append(self, result: ItemResult) -> None:
        with self.items_path.open("a+b") as raw:  # a line cut off by an interruption gets its newline first
            torn = raw.tell() > 0 and raw.seek(raw.tell() - 1) >= 0 and raw.read(1) != b"\n"
        with self.items_path.open("a", encoding="utf-8") as f:
            if torn:
                f.write("\n")
            f.write(json.dumps(result.to_json(), ensure_ascii=False, default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def results(self) -> list[ItemResult]:
        """Finished items; a last line cut off by an interruption is ignored (that item runs again)."""
        if not self.items_path.exists():
            return []
        out: dict[str, ItemResult] = {}
        for line in self.items_path.read_text(encoding="utf-8").splitlines():
            try:
                r = ItemResult.from_json(json.loads(line))
            except (json.JSONDecodeError, TypeError):
                continue
            out[r.id] = r
        return list(out.values())

    def write_summary(self, summary: dict[str, Any]) -> None:
        self._write_json("summary.json", summary)

    def summary(self) -> dict[str, Any]:
        return self._read_json("summary.json")

    def _write_json(self, name: str, doc: dict[str, Any]) -> None:
        tmp = self.path / f".{name}.tmp"
        tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        tmp.replace(self.path / name)

    def _read_json(self, name: str) -> dict[str, Any]:
        p = self.path / name
        return json.loads(p.read_text(encoding="utf-8")) if p.exists() else {}
