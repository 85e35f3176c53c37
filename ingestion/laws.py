"""Parse the law Markdown files (``# 标题``, ``<!-- INFO END -->``, ``## 章``, ``第X条`` paragraphs).

One chunk per article (法条). An article runs from its ``第X条`` paragraph to the next one or the next
heading, so multi-paragraph articles stay whole.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from assistant.domain import Chunk

ARTICLE_RE = re.compile(r"^(第[一二三四五六七八九十百千零〇两]+条(?:之[一二三四五六七八九十]+)?)[\s　]*")
STEM_RE = re.compile(r"^(?P<name>.+?)(?:\((?P<date>\d{4}-\d{2}-\d{2})\))?$")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"), None)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class LawStatus:
    """Which texts are superseded, from knowledge/laws.yaml plus 'older edition of the same law'."""

    def __init__(self, knowledge_dir: Path, stems: list[str]) -> None:
        cfg = yaml.safe_load((knowledge_dir / "laws.yaml").read_text(encoding="utf-8")) or {}
        self.superseded_by: dict[str, str] = dict(cfg.get("superseded") or {})
        self.aliases: dict[str, str] = dict(cfg.get("aliases") or {})
        self.effective: dict[str, str] = dict(cfg.get("effective") or {})
        latest: dict[str, tuple[str, str]] = {}
        for stem in stems:
            name, date = split_stem(stem)
            if name not in latest or date > latest[name][0]:
                latest[name] = (date, stem)
        for stem in stems:
            name, _ = split_stem(stem)
            if latest[name][1] != stem:
                self.superseded_by.setdefault(stem, latest[name][1])

    def status(self, stem: str) -> str:
        return "superseded" if stem in self.superseded_by else "current"

    def short_name(self, stem: str) -> str:
        name, _ = split_stem(stem)
        return self.aliases.get(name, name)


def split_stem(stem: str) -> tuple[str, str]:
    m = STEM_RE.match(stem)
    assert m is not None
    return m.group("name"), m.group("date") or ""


def _clean(line: str) -> str:
    return line.translate(_INVISIBLE).strip()


def parse_law(path: Path, status: LawStatus) -> Iterator[Chunk]:
    stem = path.stem
    text = path.read_text(encoding="utf-8")
    head, sep, body = text.partition("<!-- INFO END -->")
    if not sep:
        head, body = "", text
    title_lines = [_clean(x)[2:].strip() for x in head.splitlines() if x.startswith("# ")]
    title = "".join(title_lines) or stem
    source = status.short_name(stem)
    _, date = split_stem(stem)
    version = status.effective.get(stem, date)
    chapter = ""
    article = ""
    paras: list[str] = []
    seen: dict[str, int] = {}

    def flush() -> Chunk | None:
        if not article or not paras:
            return None
        body_text = "\n".join(paras)
        n = seen.get(article, 0)
        seen[article] = n + 1
        suffix = f"-{n}" if n else ""
        return Chunk(
            id=f"law:{stem}:{article}{suffix}",
            text=body_text,
            source=source,
            title=title,
            article=article,
            chapter=chapter,
            version=version,
            status="superseded" if status.status(stem) == "superseded" else "current",
            kind="law",
            content_hash=content_hash(f"{title}|{version}|{chapter}|{body_text}"),
        )

    for raw in body.splitlines():
        line = _clean(raw)
        if not line:
            continue
        if line.startswith("#"):
            done = flush()
            if done:
                yield done
            article, paras = "", []
            heading = line.lstrip("#").strip()
            if re.match(r"^第.+章", heading) or not chapter or raw.startswith("## "):
                chapter = re.sub(r"\s+", " ", heading)
            continue
        m = ARTICLE_RE.match(line)
        if m:
            done = flush()
            if done:
                yield done
            article, paras = m.group(1), [line]
        elif article:
            paras.append(line)
    done = flush()
    if done:
        yield done


def is_law_file(path: Path) -> bool:
    return path.suffix == ".md" and "<!-- INFO END -->" in path.read_text(encoding="utf-8")


def load_laws(laws_dir: Path, knowledge_dir: Path) -> list[Chunk]:
    files = sorted(p for p in laws_dir.glob("*.md") if is_law_file(p))
    status = LawStatus(knowledge_dir, [p.stem for p in files])
    chunks: list[Chunk] = []
    for f in files:
        chunks.extend(parse_law(f, status))
    return chunks
