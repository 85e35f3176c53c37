"""Run one task into a run folder: load the dataset (bad lines reported and skipped), skip items already in
items.jsonl (resume), run the rest, append each as it finishes, summarise, judge (optional), gate, report."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import UserError
from assistant.settings import Settings
from eval.harness.config import EvalConfig, TaskConfig, resolve
from eval.harness.runs import RunDir, git_commit, public_settings, runs_root
from eval.harness.tasks import get_task
from eval.harness.tasks.base import ItemResult, LineError, RunEnv, guarded

Progress = Callable[[int, int, ItemResult], None]


class DatasetMissing(UserError):
    code = "dataset_missing"


@dataclass
class RunRequest:
    task: str
    dataset: Path | None = None
    server: str | None = None
    limit: int | None = None
    no_model: bool | None = None
    resume: Path | None = None


@dataclass
class Outcome:
    run: RunDir
    summary: dict[str, Any]
    skipped: list[LineError] = field(default_factory=list)

    @property
    def gate_failures(self) -> list[str]:
        return list(self.summary.get("gate", {}).get("failures", []))


def spread(items: list[Any], n: int | None) -> list[Any]:
    """n items evenly spaced over the list (all of them when n is None or larger)."""
    if n is None or n >= len(items):
        return list(items)
    return [items[i * len(items) // n] for i in range(n)]


def _request_from_run(run: RunDir) -> RunRequest:
    cfg = run.config()
    if not cfg.get("task"):
        raise UserError(f"{run.path} 不是评测运行目录", f"{run.path} is not an eval run folder (no config.json)")
    return RunRequest(
        cfg["task"], Path(cfg["dataset"]), cfg.get("server"), cfg.get("limit"), cfg.get("no_model"), run.path
    )


def run_task(
    req: RunRequest,
    settings: Settings,
    config: EvalConfig | None = None,
    *,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    root: Path | None = None,
) -> Outcome:
    config = config or EvalConfig()
    if req.resume:
        run = RunDir(req.resume)
        req = _request_from_run(run)
    task = get_task(req.task)
    tcfg: TaskConfig = config.task(req.task)
    dataset = resolve(req.dataset or tcfg.dataset or task.default_dataset)
    if not dataset.exists():
        raise DatasetMissing(f"找不到数据集 {dataset}", f"Dataset not found: {dataset}")
    limit = req.limit if req.limit is not None else tcfg.limit
    no_model = next(v for v in (req.no_model, tcfg.no_model, config.no_model) if v is not None)
    server = req.server or config.server
    loaded = task.load(dataset)
    items = spread(loaded.items, limit)
    if not req.resume:
        run = RunDir.create(root or runs_root(settings), req.task)
        run.write_config(
            {
                "task": req.task, "dataset": str(dataset), "limit": limit, "no_model": no_model, "server": server,
                "options": tcfg.options, "thresholds": {k: b.model_dump() for k, b in tcfg.thresholds.items()},
                "judge": config.judge.model_dump(exclude={"api_key_env"}) if config.judge.configured else None,
                "git_commit": git_commit(), "started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
                "cpu_cores": os.cpu_count(), "load_before": [round(x, 2) for x in os.getloadavg()],
                "settings": public_settings(settings),
            }
        )  # fmt: skip
    done = {r.id for r in run.results()}
    todo = [it for it in items if it["id"] not in done]
    t0 = time.perf_counter()
    if todo:
        state = task.prepare(RunEnv(settings, dict(tcfg.options), server, bool(no_model)))
        try:
            for n, item in enumerate(todo, 1):
                if stop is not None and stop.is_set():
                    break
                result = guarded(lambda item=item: task.run_item(state, item), item)  # type: ignore[misc]
                run.append(result)
                if progress:
                    progress(len(done) + n, len(items), result)
        finally:
            task.close(state)
    return finish(run, task.name or req.task, items, loaded.errors, config, tcfg, time.perf_counter() - t0)


def finish(
    run: RunDir,
    name: str,
    items: list[dict[str, Any]],
    skipped: list[LineError],
    config: EvalConfig,
    tcfg: TaskConfig,
    wall_s: float,
) -> Outcome:
    from eval.harness import judge, report

    task = get_task(run.config().get("task", name))
    wanted = {it["id"]: n for n, it in enumerate(items)}
    results = sorted((r for r in run.results() if r.id in wanted), key=lambda r: wanted[r.id])
    s = task.summarise(results)
    failures = [f for m, b in tcfg.thresholds.items() if (f := b.failure(m, s.metrics.get(m))) is not None]
    summary: dict[str, Any] = {
        "task": run.config().get("task", name),
        "complete": len(results) == len(items),
        "items_planned": len(items),
        **s.to_json(),
        "skipped_lines": [str(e) for e in skipped],
        "gate": {"thresholds": {k: b.model_dump() for k, b in tcfg.thresholds.items()}, "failures": failures},
        "wall_s": round(wall_s, 1),
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "finished_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    }
    if config.judge.configured and summary["task"] in config.judge.tasks:
        summary["judge"] = judge.judge_run(run, results, config.judge)
    run.write_summary(summary)
    report.write_reports(run, summary, results)
    return Outcome(run, summary, skipped)
