"""CSV / JSONL records: FAQ rows {question, answer, basis, topic?} and 12345 complaint tickets
{id, received, channel, category, problem, topic, question, ticket, resolution, basis}.

One chunk per record. A malformed line fails its file, with the line number.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from assistant.domain import Chunk
from ingestion.document import LoadError, decode, read_bytes
from ingestion.structure import stamped

Record = dict[str, object]
COMPLAINT_SOURCE = "12345工单"
_ALIASES = {"问题": "question", "答案": "answer", "回答": "answer", "依据": "basis", "主题": "topic", "编号": "id"}
_COMPLAINT_FIELDS = ("id", "question", "ticket", "resolution")


def load_jsonl(path: Path) -> list[tuple[int, Record]]:
    out = []
    for n, line in enumerate(decode(read_bytes(path)).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LoadError(f"第 {n} 行不是有效的 JSON", f"line {n}: invalid JSON ({exc.msg})") from exc
        if not isinstance(rec, dict):
            raise LoadError(f"第 {n} 行不是 JSON 对象", f"line {n}: not a JSON object")
        out.append((n, rec))
    return out


def load_csv(path: Path) -> list[tuple[int, Record]]:
    reader = csv.DictReader(io.StringIO(decode(read_bytes(path)), newline=""))
    out: list[tuple[int, Record]] = []
    try:
        for row in reader:
            if None in row:
                raise LoadError(
                    f"第 {reader.line_num} 行的列数多于表头", f"line {reader.line_num}: more cells than headers"
                )
            rec = {_ALIASES.get(k.strip(), k.strip().lower()): (v or "").strip() for k, v in row.items() if k}
            if any(rec.values()):
                out.append((reader.line_num, rec))
    except csv.Error as exc:
        raise LoadError(f"第 {reader.line_num} 行 CSV 格式错误", f"line {reader.line_num}: malformed CSV") from exc
    return out


def _field(rec: Record, name: str, n: int) -> str:
    value = rec.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise LoadError(f"第 {n} 行的字段 {name} 应为文本", f"line {n}: field {name} must be text")
    return str(value).strip()


def _basis(rec: Record, n: int) -> str:
    value = rec.get("basis") or []
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return "；".join(x.strip() for x in value if x.strip())
    raise LoadError(f"第 {n} 行的 basis 应为文本或文本列表", f"line {n}: basis must be a string or a list of strings")


def _complaint(rec: Record, n: int, doc: str) -> Chunk:
    f = {k: _field(rec, k, n) for k in ("received", "channel", "category", "problem", "topic", *_COMPLAINT_FIELDS)}
    missing = [k for k in _COMPLAINT_FIELDS if not f[k]]
    if missing:
        names = ", ".join(missing)
        raise LoadError(f"第 {n} 行的工单缺少字段 {names}", f"line {n}: complaint record lacks {names}")
    basis = _basis(rec, n)
    lines = [f"问：{f['question']}", f"投诉：{f['ticket']}", f"处理：{f['resolution']}"]
    return Chunk(
        id=f"complaint:{f['id']}",
        text="\n".join(lines + ([f"依据：{basis}"] if basis else [])),
        source=COMPLAINT_SOURCE,
        title=f"{COMPLAINT_SOURCE}：{f['topic']}" if f["topic"] else COMPLAINT_SOURCE,
        article=f["id"],
        chapter=" / ".join(x for x in (f["category"], f["problem"]) if x),
        version=f["received"],
        kind="complaint",
        doc=doc,
    )


def _faq(rec: Record, n: int, stem: str, doc: str) -> Chunk:
    question, answer, topic = (_field(rec, k, n) for k in ("question", "answer", "topic"))
    if not question or not answer:
        raise LoadError(f"第 {n} 行的问答缺少问题或答案", f"line {n}: FAQ record lacks a question or an answer")
    basis = _basis(rec, n)
    title = f"常见问题：{topic or stem}"
    return Chunk(
        id=f"faq:{stem}:{question}",
        text="\n".join([question, answer] + ([f"依据：{basis}"] if basis else [])),
        source=title,
        title=title,
        article=question,
        kind="faq",
        doc=doc,
    )


def record_chunks(records: list[tuple[int, Record]], *, stem: str, doc: str) -> list[Chunk]:
    """A record with a ticket or a resolution is a complaint; one with a question and an answer is an FAQ entry."""
    out: dict[str, Chunk] = {}
    for n, rec in records:
        if "ticket" in rec or "resolution" in rec:
            chunk = _complaint(rec, n, doc)
        elif "question" in rec and "answer" in rec:
            chunk = _faq(rec, n, stem, doc)
        else:
            raise LoadError(
                f"第 {n} 行既不是问答（question, answer）也不是工单（id, question, ticket, resolution）",
                f"line {n}: neither an FAQ row (question, answer) nor a complaint (id, question, ticket, resolution)",
            )
        if chunk.id in out:
            raise LoadError(
                f"第 {n} 行与前面的记录重复（{chunk.article}）", f"line {n}: duplicate record ({chunk.article})"
            )
        out[chunk.id] = stamped(chunk)
    return list(out.values())
