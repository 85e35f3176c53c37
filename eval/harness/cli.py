"""``daoban eval``: TASK | all | compare RUN_A RUN_B | gate. Returns an exit code (0 ok, 1 below a threshold or a
task failed, 2 bad input)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.errors import DaobanError, UserError
from assistant.settings import PROJECT_ROOT, Settings
from eval.harness import compare as cmp
from eval.harness.config import EvalConfig, load_config
from eval.harness.report import summary_table
from eval.harness.runner import DatasetMissing, RunRequest, run_task
from eval.harness.runs import RunDir, runs_root, utc_stamp
from eval.harness.tasks import TASKS, TaskUnavailable
from eval.harness.tasks.base import ItemResult

GATE_CONFIG = PROJECT_ROOT / "eval" / "harness" / "gate.yaml"
ALL_TASKS = list(dict.fromkeys(TASKS))
Echo = Callable[[str], Any]


def _progress(echo: Echo) -> Callable[[int, int, ItemResult], None]:
    def show(done: int, total: int, r: ItemResult) -> None:
        mark = "ok  " if r.passed else ("    " if r.passed is None else "FAIL")
        echo(f"[{done}/{total}] {mark} {r.id:14s} {r.question[:50]}")

    return show


def run_one(req: RunRequest, settings: Settings, config: EvalConfig, echo: Echo = print, quiet: bool = False) -> dict:
    out = run_task(req, settings, config, progress=None if quiet else _progress(echo))
    for e in out.skipped:
        echo(f"跳过数据行 / skipped dataset {e}")
    echo(summary_table([(out.summary["task"], out.summary)]))
    echo(f"run folder: {out.run.path}")
    return out.summary | {"run": str(out.run.path)}


def run_many(names: list[str], base: RunRequest, settings: Settings, config: EvalConfig, echo: Echo) -> int:
    """Run several tasks; a missing one is reported as not available. Writes an all-<UTC> folder with the table."""
    rows: list[tuple[str, dict]] = []
    for name in names:
        echo(f"\n== {name}")
        try:
            rows.append((name, run_one(RunRequest(name, None, base.server, base.limit, base.no_model), settings,
                                       config, echo, quiet=True)))  # fmt: skip
        except TaskUnavailable as exc:
            echo(str(exc))
            rows.append((name, {"error": "not available"}))
        except DatasetMissing as exc:
            echo(f"{exc.message_zh} / {exc.message_en}")
            rows.append((name, {"error": "not available: no dataset"}))
        except DaobanError as exc:
            echo(f"错误：{exc.message_zh}\nError: {exc.message_en}")
            rows.append((name, {"error": exc.message_en}))
    folder = runs_root(settings) / f"all-{utc_stamp()}"
    folder.mkdir(parents=True, exist_ok=True)
    table = summary_table(rows)
    (folder / "report.md").write_text(f"# eval all\n\n{table}\n", encoding="utf-8")
    (folder / "summary.json").write_text(json.dumps(dict(rows), ensure_ascii=False, indent=1), encoding="utf-8")
    echo(f"\n{table}\n\nsummary: {folder}")
    failed = any(s.get("gate", {}).get("failures") for _, s in rows)
    broken = any("error" in s and not s["error"].startswith("not available") for _, s in rows)
    return 1 if failed or broken else 0


def main(
    target: str,
    args: list[str],
    *,
    settings: Settings,
    dataset: Path | None = None,
    config_path: Path | None = None,
    server: str | None = None,
    limit: int | None = None,
    resume: Path | None = None,
    no_model: bool | None = None,
    echo: Echo = print,
) -> int:
    try:
        if target == "compare":
            if len(args) != 2:
                raise UserError("用法：daoban eval compare RUN_A RUN_B", "Usage: daoban eval compare RUN_A RUN_B")
            a, b = (RunDir(Path(p)) for p in args)
            for r in (a, b):
                if not r.summary():
                    raise UserError(f"{r.path} 不是完成的评测运行", f"{r.path} is not a finished eval run")
            echo(cmp.markdown(cmp.compare(a, b)))
            return 0
        if target == "gate":
            config = load_config(config_path or GATE_CONFIG)
            return run_many(list(config.tasks), RunRequest("gate", None, server, limit, True), settings, config, echo)
        config = load_config(config_path)
        if target == "all":
            names = list(config.tasks) or ALL_TASKS
            return run_many(names, RunRequest("all", None, server, limit, no_model), settings, config, echo)
        if resume is None and target not in TASKS:
            raise UserError(f"未知任务 {target}", f"Unknown task {target}; choose one of {', '.join(TASKS)}, all, "
                            "compare, gate")  # fmt: skip
        s = run_one(RunRequest(target, dataset, server, limit, no_model, resume), settings, config, echo)
        return 1 if s.get("gate", {}).get("failures") else 0
    except TaskUnavailable as exc:
        echo(str(exc))
        return 2
    except DaobanError as exc:
        echo(f"错误：{exc.message_zh}\nError: {exc.message_en}")
        return 2
