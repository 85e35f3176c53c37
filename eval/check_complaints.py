"""Validate the synthetic 12345 complaint corpus (knowledge/complaints/) and print its counts.

    python -m eval.check_complaints            # exit 1 and list the problems if any record is invalid

The category, problem and topic lists are read from knowledge/complaints/README.md, so the README is the
one place where they are defined; every basis reference must name an article of a current law text under
``$DAOBAN_DATA_DIR/laws`` (superseded editions do not count).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from assistant.settings import PROJECT_ROOT, get_settings

CORPUS_DIR = PROJECT_ROOT / "knowledge" / "complaints"
KEYS = (
    "id", "synthetic", "received", "channel", "category", "problem", "topic",
    "question", "ticket", "resolution", "basis",
)  # fmt: skip
# Channel → how its ticket names the complainant (third person, as the operator records it).
CHANNELS = {"12345热线": "来电人", "政务服务网留言": "留言人", "窗口意见簿": "办事群众", "小程序反馈": "用户"}
ID_RE = re.compile(r"^GD12345-(\d{4})-\d{4}$")
BASIS_RE = re.compile(
    r"^《(?P<source>.+)》(?P<article>第[一二三四五六七八九十百千零〇两]+条(?:之[一二三四五六七八九十]+)?)$"
)
FIRST_DAY, LAST_DAY = date(2025, 1, 1), date(2026, 10, 31)
# Personal data that must never appear, even in synthetic text: ID-card numbers and mobile numbers.
ID_NUMBER_RE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@dataclass(frozen=True)
class Vocabulary:
    """The labels README.md defines: category → its problem labels, and the topics."""

    problems: dict[str, str]  # problem label → category
    topics: tuple[str, ...]

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.problems.values()))


def readme_table(text: str, headers: tuple[str, ...]) -> list[list[str]]:
    """Body rows of the first Markdown table whose header row starts with ``headers``."""
    rows: list[list[str]] = []
    inside = False
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if not cells:
            if inside:
                break
            continue
        if not inside:
            inside = tuple(cells[: len(headers)]) == headers
            continue
        if not set(cells[0]) <= set("-: "):
            rows.append(cells)
    return rows


def load_vocabulary(readme: Path = CORPUS_DIR / "README.md") -> Vocabulary:
    text = readme.read_text(encoding="utf-8")
    problems = {row[0]: row[1] for row in readme_table(text, ("problem", "category"))}
    topics = tuple(row[0] for row in readme_table(text, ("topic", "covers")))
    return Vocabulary(problems=problems, topics=topics)


def load_records(corpus_dir: Path = CORPUS_DIR) -> list[dict[str, object]]:
    """Every JSON object of every ``*.jsonl`` file, in file order; a bad line raises ValueError naming it."""
    records: list[dict[str, object]] = []
    for path in sorted(corpus_dir.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path.name}:{n}: not JSON ({exc.msg})") from exc
            if not isinstance(obj, dict):
                raise ValueError(f"{path.name}:{n}: not a JSON object")
            records.append(obj)
    return records


def parse_basis(ref: str) -> tuple[str, str] | None:
    """``《公司法》第四十七条`` → ("公司法", "第四十七条"); None when the reference is malformed."""
    m = BASIS_RE.match(ref)
    return (m.group("source"), m.group("article")) if m else None


def current_articles(laws_dir: Path, knowledge_dir: Path) -> set[tuple[str, str]]:
    """(short law name, article) of every article of a current (not superseded) law text."""
    from ingestion.laws import load_laws

    return {(c.source, c.article) for c in load_laws(laws_dir, knowledge_dir) if c.status == "current"}


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def check_record(rec: dict[str, object], vocab: Vocabulary, articles: set[tuple[str, str]]) -> list[str]:
    """Every way one record breaks the schema; empty when it is valid."""
    rid = str(rec.get("id", "?"))
    errors: list[str] = []
    if tuple(rec) != KEYS:
        errors.append(f"keys are {list(rec)}, expected {list(KEYS)}")
        return [f"{rid}: {e}" for e in errors]
    m = ID_RE.match(str(rec["id"]))
    day = _date(rec["received"])
    if not m:
        errors.append("id does not match GD12345-YYYY-NNNN")
    if rec["synthetic"] is not True:
        errors.append("synthetic must be true")
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        errors.append(f"received {rec['received']!r} outside {FIRST_DAY}..{LAST_DAY}")
    elif m and m.group(1) != str(day.year):
        errors.append("id year differs from the year received")
    if rec["channel"] not in CHANNELS:
        errors.append(f"unknown channel {rec['channel']!r}")
    if rec["category"] not in vocab.categories:
        errors.append(f"unknown category {rec['category']!r}")
    if vocab.problems.get(str(rec["problem"])) != rec["category"]:
        errors.append(f"problem {rec['problem']!r} is not a label of category {rec['category']!r}")
    if rec["topic"] not in vocab.topics:
        errors.append(f"unknown topic {rec['topic']!r}")
    for key in ("question", "ticket", "resolution"):
        value = rec[key]
        if not isinstance(value, str) or len(value.strip()) < 2:
            errors.append(f"{key} is empty")
        elif ID_NUMBER_RE.search(value) or MOBILE_RE.search(value):
            errors.append(f"{key} contains an ID-card or mobile number")
    subject = CHANNELS.get(str(rec["channel"]))
    if subject and not str(rec["ticket"]).startswith(subject):
        errors.append(f"ticket of a {rec['channel']} record does not start with {subject!r}")
    errors.extend(_check_basis(rec["basis"], articles))
    return [f"{rid}: {e}" for e in errors]


def _check_basis(basis: object, articles: set[tuple[str, str]]) -> list[str]:
    if not isinstance(basis, list) or not 1 <= len(basis) <= 3:
        return ["basis must list 1-3 references"]
    errors = []
    if len(set(map(str, basis))) != len(basis):
        errors.append("basis repeats a reference")
    for ref in basis:
        parsed = parse_basis(str(ref))
        if parsed is None:
            errors.append(f"basis {ref!r} is not 《法名》第X条")
        elif parsed not in articles:
            errors.append(f"basis {ref!r} is not an article of a current law text")
    return errors


def check_corpus(records: list[dict[str, object]], vocab: Vocabulary, articles: set[tuple[str, str]]) -> list[str]:
    """Record errors plus corpus-level ones (duplicate ids or questions)."""
    errors = [e for rec in records for e in check_record(rec, vocab, articles)]
    for field in ("id", "question"):
        dupes = [v for v, n in Counter(str(r.get(field)) for r in records).items() if n > 1]
        errors.extend(f"duplicate {field}: {v}" for v in dupes)
    return errors


def counts(records: Iterable[dict[str, object]], field: str) -> Counter[str]:
    return Counter(str(r.get(field)) for r in records)


def count_table(records: Iterable[dict[str, object]], field: str) -> str:
    """The Markdown count table README.md shows for ``field`` (most frequent first)."""
    rows = sorted(counts(records, field).items(), key=lambda kv: (-kv[1], kv[0]))
    return f"| {field} | records |\n|---|---|\n" + "".join(f"| {k} | {n} |\n" for k, n in rows)


def main() -> int:
    settings = get_settings()
    records = load_records()
    vocab = load_vocabulary()
    errors = check_corpus(records, vocab, current_articles(settings.data_dir / "laws", settings.knowledge_dir))
    print(f"{len(records)} records")
    for field in ("category", "problem", "topic", "channel"):
        print("\n" + count_table(records, field), end="")
    refs: Counter[str] = Counter()
    for rec in records:
        basis = rec.get("basis")
        for ref in basis if isinstance(basis, list) else []:
            if parsed := parse_basis(str(ref)):
                refs[parsed[0]] += 1
    print("\n| law cited | references |\n|---|---|")
    for law, n in refs.most_common():
        print(f"| 《{law}》 | {n} |")
    for e in errors:
        print("ERROR", e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
