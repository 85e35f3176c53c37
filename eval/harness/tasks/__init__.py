"""The task registry: task name -> adapter module (imported only when the task runs)."""

from __future__ import annotations

import importlib

from eval.harness.tasks.base import Task, TaskUnavailable

TASKS: dict[str, str] = {
    "retrieval": "eval.harness.tasks.retrieval",
    "answer": "eval.harness.tasks.answer",
    "refusal": "eval.harness.tasks.answer",
    "injection": "eval.harness.tasks.answer",
    "routing": "eval.harness.tasks.routing",
    "approval": "eval.harness.tasks.approval",
    "latency": "eval.harness.tasks.latency",
    "fill": "eval.harness.tasks.fill",
    "ocr": "eval.harness.tasks.ocr",
    "asr": "eval.harness.tasks.asr",
}


def get_task(name: str) -> Task:
    """The task's adapter; TaskUnavailable when the name is unknown or its module cannot be imported here."""
    if name not in TASKS:
        raise TaskUnavailable(f"未知任务 {name}（可选：{', '.join(TASKS)}）/ unknown task {name}")
    try:
        module = importlib.import_module(TASKS[name])
        task = module.task(name) if hasattr(module, "task") else module.TASK
    except ImportError as exc:
        raise TaskUnavailable(f"任务 {name} 在本机不可用 / task {name} is not available here: {exc}") from exc
    if not isinstance(task, Task):
        raise TaskUnavailable(f"task {name}: {TASKS[name]} does not define a Task")
    return task
