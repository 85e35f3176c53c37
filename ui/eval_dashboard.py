"""The evaluator dashboard (issue 9), a staff tab: pick a task and dataset, start a run in a background thread,
watch its progress, browse failures (question, retrieved passages, answer, expected facts side by side) and read
the report. Runs land in var/eval/runs like ``daoban eval``."""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.errors import DaobanError
from assistant.settings import Settings, get_settings
from eval.harness.runner import RunRequest, run_task
from eval.harness.runs import RunDir, runs_root
from eval.harness.tasks import TASKS, TaskUnavailable
from eval.harness.tasks.base import ItemResult


@dataclass
class Job:
    """One background run; the UI polls it."""

    task: str
    done: int = 0
    total: int = 0
    failed: int = 0
    run: str = ""
    error: str = ""
    finished: bool = False
    stop: threading.Event = field(default_factory=threading.Event)

    def line(self) -> str:
        if self.error:
            return f"❌ {self.task}: {self.error}"
        state = "完成 / finished" if self.finished else "运行中 / running"
        return f"{state} · {self.task} · {self.done}/{self.total} · 失败 failed {self.failed} · {self.run}"


def start_job(settings: Settings, task: str, dataset: str, limit: float | None, no_model: bool) -> Job:
    job = Job(task)

    def progress(done: int, total: int, r: ItemResult) -> None:
        job.done, job.total = done, total
        job.failed += r.passed is False

    def work() -> None:
        req = RunRequest(task, Path(dataset) if dataset.strip() else None, limit=int(limit) if limit else None,
                         no_model=no_model)  # fmt: skip
        try:
            out = run_task(req, settings, progress=progress, stop=job.stop)
            job.run = str(out.run.path)
        except TaskUnavailable as exc:
            job.error = str(exc)
        except DaobanError as exc:
            job.error = f"{exc.message_zh} / {exc.message_en}"
        except Exception as exc:  # shown in the tab, never a traceback
            job.error = f"评测出错 / the run failed: {type(exc).__name__}"
        finally:
            job.finished = True

    threading.Thread(target=work, daemon=True, name=f"eval-{task}").start()
    return job


def list_runs(settings: Settings) -> list[str]:
    root = runs_root(settings)
    return (
        sorted((p.name for p in root.iterdir() if (p / "config.json").exists()), reverse=True) if root.exists() else []
    )


def failures(settings: Settings, run_name: str) -> list[ItemResult]:
    return [r for r in RunDir(runs_root(settings) / run_name).results() if r.passed is False]


def item_html(r: ItemResult) -> str:
    """Question, retrieved passages, answer and expected facts side by side."""
    esc = html.escape
    passages = (
        "".join(
            f"<li><b>{esc(str(p.get('label', '')))}</b> {esc(str(p.get('text', ''))[:200])}</li>"
            for p in r.detail.get("passages", [])
        )
        or "<li>(none recorded)</li>"
    )
    cites = "".join(f"<li>[{c.get('n')}] {esc(c.get('source', ''))}{esc(c.get('article', ''))}</li>"
                    for c in r.detail.get("citations", []))  # fmt: skip
    col = '<div style="flex:1;min-width:200px;padding:6px;border:1px solid #ddd">'
    return (
        f"<p><b>{esc(r.id)}</b> [{esc(r.lang)}/{esc(r.category)}] — {esc('; '.join(r.reasons))}</p>"
        f'<div style="display:flex;gap:8px;flex-wrap:wrap">'
        f"{col}<h4>问题 Question</h4>{esc(r.question)}</div>"
        f"{col}<h4>检索 Passages</h4><ol>{passages}</ol></div>"
        f"{col}<h4>回答 Answer</h4>{esc(str(r.output))}<ul>{cites}</ul></div>"
        f"{col}<h4>期望 Expected</h4><pre style='white-space:pre-wrap'>{esc(str(r.expected))}</pre></div></div>"
    )


def build_eval_tab(settings: Settings | None = None) -> None:
    s = settings or get_settings()
    jobs: dict[str, Job] = {}
    with gr.Row():
        task = gr.Dropdown(list(dict.fromkeys(TASKS)), value="routing", label="任务 Task")
        dataset = gr.Textbox(label="数据集 Dataset (empty: the dev set)", placeholder="eval/datasets/...jsonl")
        limit = gr.Number(label="上限 Limit", precision=0, value=None)
        no_model = gr.Checkbox(value=True, label="不调用模型 --no-model")
    with gr.Row():
        start = gr.Button("开始评测 Run", variant="primary")
        cancel = gr.Button("停止 Stop")
    status = gr.Markdown("", elem_id="db-eval-status")
    timer = gr.Timer(2.0)
    with gr.Row():
        runs = gr.Dropdown(list_runs(s), label="运行 Run", allow_custom_value=False)
        refresh = gr.Button("刷新 Refresh")
    failed = gr.Dropdown([], label="失败条目 Failures")
    item = gr.HTML()
    report = gr.Markdown()
    report_file = gr.File(label="report.html")

    def on_start(t: str, d: str, n: float | None, nm: bool) -> str:
        if "job" in jobs and not jobs["job"].finished:
            return "已有评测在运行 / a run is already going"
        jobs["job"] = start_job(s, t, d, n, nm)
        return jobs["job"].line()

    def on_tick() -> str:
        return jobs["job"].line() if "job" in jobs else ""

    def on_cancel() -> str:
        if "job" in jobs:
            jobs["job"].stop.set()
        return "停止中 / stopping (finished items are kept; resume with daoban eval --resume)"

    def on_run(name: str | None) -> tuple[Any, str, Any]:
        if not name:
            return gr.update(choices=[]), "", None
        path = runs_root(s) / name
        md = path / "report.md"
        choices = [(f"{r.id} · {r.question[:40]}", r.id) for r in failures(s, name)]
        html_path = path / "report.html"
        return (gr.update(choices=choices, value=None), md.read_text(encoding="utf-8") if md.exists() else "",
                str(html_path) if html_path.exists() else None)  # fmt: skip

    def on_item(name: str | None, item_id: str | None) -> str:
        found = [r for r in failures(s, name) if r.id == item_id] if name and item_id else []
        return item_html(found[0]) if found else ""

    start.click(on_start, [task, dataset, limit, no_model], status)
    cancel.click(on_cancel, None, status)
    timer.tick(on_tick, None, status)
    refresh.click(lambda: gr.update(choices=list_runs(s)), None, runs)
    runs.change(on_run, runs, [failed, report, report_file])
    failed.change(on_item, [runs, failed], item)
