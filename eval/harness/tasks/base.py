"""The task protocol. A task is a small adapter module in eval/harness/tasks/ exposing ``TASK``:

- ``load(path)``: the dataset's items (dicts, each with a stable ``id``) and the lines it skipped (``LineError``);
- ``prepare(env)``: build what the items run against (retriever, router, engine, runner) once;
- ``run_item(state, item)``: run and score one item into an ``ItemResult`` (never raises for a bad item);
- ``summarise(results)``: the task's figures (``Summary``); the default averages the per-item ``scores``
  overall and per language and category.

Datasets are JSONL (one item a line, validated by ``item_model``); ``from_yaml`` converts the older YAML sets.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from assistant.settings import PROJECT_ROOT, Settings
from eval.stats import pct

DATASETS = PROJECT_ROOT / "eval" / "datasets"


class TaskUnavailable(Exception):
    """A task whose module or dependencies are missing on this machine."""


@dataclass
class LineError:
    line: int  # 1-based line of a JSONL file; the item's position (1-based) in a YAML list
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class Loaded:
    items: list[dict[str, Any]]
    errors: list[LineError] = field(default_factory=list)


@dataclass
class RunEnv:
    """What a task may use to prepare: settings, the options of its config, and how to reach the assistant."""

    settings: Settings
    options: dict[str, Any] = field(default_factory=dict)
    server: str | None = None
    no_model: bool = False


@dataclass
class ItemResult:
    id: str
    passed: bool | None  # None: nothing to pass or fail (e.g. latency)
    scores: dict[str, float] = field(default_factory=dict)  # per-item metrics, averaged by summarise
    lang: str = ""
    category: str = ""
    question: str = ""
    expected: Any = None
    output: Any = None  # the answer / label / decision the system gave
    reasons: list[str] = field(default_factory=list)
    latency_ms: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)  # passages, citations, stage timings, judge scores

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ItemResult:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


@dataclass
class Summary:
    n: int
    metrics: dict[str, float]  # headline figures, 0..1 unless the name says otherwise (…_ms)
    counts: dict[str, list[int]] = field(default_factory=dict)  # metric -> [hits, total]
    breakdowns: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # lang|category -> key -> m
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. a confusion matrix, per-stage latency

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def item_id(raw: dict[str, Any]) -> str:
    """The item's own ``id``, else a hash of its content (stable across runs, so resume and compare work)."""
    if raw.get("id"):
        return str(raw["id"])
    blob = json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:12]


def _pydantic_message(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'item'}: {e['msg']}" for e in exc.errors()[:3])


def validate(raw: Iterable[tuple[int, Any]], model: type[BaseModel] | None) -> Loaded:
    """Validate (line, raw item) pairs; a bad one becomes a LineError and is skipped."""
    out = Loaded([])
    for line, obj in raw:
        if not isinstance(obj, dict):
            out.errors.append(LineError(line, "not a JSON object"))
            continue
        try:
            own = {k: v for k, v in obj.items() if k != "id" or model is None or "id" in model.model_fields}
            item = model.model_validate(own).model_dump() if model else dict(obj)
        except ValidationError as exc:
            out.errors.append(LineError(line, _pydantic_message(exc)))
            continue
        item["id"] = item_id(obj)
        out.items.append(item)
    return out


def read_jsonl(path: Path) -> tuple[list[tuple[int, Any]], list[LineError]]:
    """(line number, parsed object) for each non-blank line; lines that are not JSON become errors."""
    rows, errors = [], []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            rows.append((n, json.loads(line)))
        except json.JSONDecodeError as exc:
            errors.append(LineError(n, f"not valid JSON ({exc.msg}, column {exc.colno})"))
    return rows, errors


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def default_summary(
    results: list[ItemResult],
    headline: Iterable[str] = (),
    dims: dict[str, Callable[[ItemResult], str]] | None = None,
) -> Summary:
    """Averages of every per-item score overall, per language and per category (and per extra ``dims``: name ->
    the item's group, "" for none); pass rate as ``passed``."""
    keys = sorted({k for r in results for k in r.scores})

    def figures(sel: list[ItemResult]) -> dict[str, float]:
        f = {k: mean(v) for k in keys if (v := [r.scores[k] for r in sel if k in r.scores])}  # absent: no 0
        judged = [r for r in sel if r.passed is not None]
        if judged:
            f["passed"] = mean([float(bool(r.passed)) for r in judged])
        f["n"] = float(len(sel))
        return f

    overall = figures(results)
    counts = {
        k: [int(sum(r.scores[k] for r in results if k in r.scores)), sum(1 for r in results if k in r.scores)]
        for k in keys
    }
    judged = [r for r in results if r.passed is not None]
    counts["passed"] = [sum(bool(r.passed) for r in judged), len(judged)]
    breakdowns: dict[str, dict[str, dict[str, float]]] = {}
    by: dict[str, Callable[[ItemResult], str]] = {
        "lang": lambda r: r.lang, "category": lambda r: r.category, **(dims or {})
    }  # fmt: skip
    for dim, group_of in by.items():
        groups = sorted({g for r in results if (g := group_of(r))})
        if groups:
            breakdowns[dim] = {g: figures([r for r in results if group_of(r) == g]) for g in groups}
    overall.pop("n")
    order = [*headline, *(k for k in overall if k not in headline)]
    metrics = {k: overall[k] for k in order if k in overall}
    extra: dict[str, Any] = {}
    latencies = [r.latency_ms for r in results if r.latency_ms is not None]
    if latencies:
        metrics |= {"p50_ms": pct(latencies, 50), "p95_ms": pct(latencies, 95)}
        extra["latencies_ms"] = latencies
    return Summary(len(results), metrics, counts, breakdowns, extra)


class Task:
    """Base class of the adapters; subclasses set the class attributes and override ``prepare`` / ``run_item``."""

    name: str = ""
    description: str = ""
    default_dataset: Path = DATASETS
    item_model: type[BaseModel] | None = None
    headline: tuple[str, ...] = ()  # the metrics a report shows first

    def from_yaml(self, data: Any) -> list[Any]:
        """The raw items of an older YAML set (default: a list)."""
        if not isinstance(data, list):
            raise ValueError("expected a YAML list of items")
        return data

    def load(self, path: Path) -> Loaded:
        if path.is_dir():
            return self._load_dir(path)
        if path.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            return validate(enumerate(self.from_yaml(data), 1), self.item_model)
        rows, errors = read_jsonl(path)
        out = validate(rows, self.item_model)
        out.errors = sorted(errors + out.errors, key=lambda e: e.line)
        return out

    def _load_dir(self, path: Path) -> Loaded:
        out = Loaded([])
        for f in sorted(path.glob("*.jsonl")):
            part = self.load(f)
            for it in part.items:
                it.setdefault("category", f.stem.removeprefix("dev_"))
            out.items += part.items
            out.errors += [LineError(e.line, f"{f.name}: {e.message}") for e in part.errors]
        return out

    def prepare(self, env: RunEnv) -> Any:
        return env

    def run_item(self, state: Any, item: dict[str, Any]) -> ItemResult:
        raise NotImplementedError

    def summarise(self, results: list[ItemResult]) -> Summary:
        return default_summary(results, self.headline)

    def close(self, state: Any) -> None:
        """Release what ``prepare`` built (optional)."""


def guarded(fn: Callable[[], ItemResult], item: dict[str, Any]) -> ItemResult:
    """Run one item; an unexpected error fails that item with its message instead of ending the run."""
    try:
        return fn()
    except Exception as exc:  # one bad item must not end a long run
        return ItemResult(
            item["id"], False, question=str(item.get("q", "")), reasons=[f"error: {type(exc).__name__}: {exc}"]
        )
