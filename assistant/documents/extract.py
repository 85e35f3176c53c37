"""Key-value extraction from upright lines using the labels of a document type and the boxes' layout.

A value follows its label on the same line (``姓名张伟``), else sits in the boxes to its right on the same row,
else on the next line. A multi-line value (住址, 经营范围) continues on the lines below that are aligned with
its start and close enough, until the next label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from statistics import median

from assistant.documents.layout import rows
from assistant.documents.model import Line
from assistant.documents.spec import FieldSpec, TypeSpec, norm

_ENUMERATOR = re.compile(
    r"^(?:第[一二三四五六七八九十]+条|[一二三四五六七八九十]+[、.]|\d{1,2}[.、](?!\d)|[(（][一二三四五六七八九十\d]+[)）])"
)


@dataclass
class RawField:
    key: str
    spec: FieldSpec
    text: str
    lines: list[Line] = field(default_factory=list)


@dataclass
class _Hit:
    line: int
    spec: FieldSpec
    start: int
    end: int


def _hits(texts: list[str], spec: TypeSpec) -> list[_Hit]:
    out: list[_Hit] = []
    for i, t in enumerate(texts):
        for f in spec.fields:
            m = next((m for pat in f.labels if (m := pat.match(t))), None)
            if m:
                out.append(_Hit(i, f, 0, m.end()))
            elif f.inline:
                m2 = f.anywhere[0].search(t)
                if m2:
                    out.append(_Hit(i, f, m2.start(), m2.end()))
    # on one line keep the longest label at each start (出租方(甲方) over 甲方), drop overlaps
    out.sort(key=lambda h: (h.line, h.start, -(h.end - h.start)))
    kept: list[_Hit] = []
    for h in out:
        if kept and kept[-1].line == h.line and h.start < kept[-1].end:
            continue
        kept.append(h)
    return kept


def extract(lines: list[Line], spec: TypeSpec) -> dict[str, RawField]:
    ordered = [ln for row in rows(lines) for ln in row]
    row_of: dict[int, int] = {}
    for r, row in enumerate(rows(ordered)):
        for ln in row:
            row_of[id(ln)] = r
    texts = [_ENUMERATOR.sub("", norm(ln.text)) for ln in ordered]
    hits = _hits(texts, spec)
    label_lines = {h.line for h in hits if h.start == 0}
    hmed = median([ln.height for ln in ordered]) if ordered else 1.0
    found: dict[str, RawField] = {}
    used: set[int] = set()
    for h in hits:
        key = h.spec.key
        if key in found:
            continue
        later = [x.start for x in hits if x.line == h.line and x.start >= h.end]
        text = texts[h.line][h.end : min(later) if later else None]
        parts = [h.line]
        if not text.strip(" :："):  # the value is in other boxes: its box excludes the label
            text, beside = _beside_or_below(h.line, ordered, texts, row_of, label_lines, used, hmed)
            parts = beside or parts
        if h.spec.multiline:
            more = _continuation(parts[-1], ordered, texts, label_lines, used, hmed, h)
            text += "".join(texts[j] for j in more)
            parts += more
        used.update([h.line, *parts])
        found[key] = RawField(key, h.spec, text, [ordered[j] for j in parts])
    return found


def _beside_or_below(
    i: int,
    ordered: list[Line],
    texts: list[str],
    row_of: dict[int, int],
    label_lines: set[int],
    used: set[int],
    hmed: float,
) -> tuple[str, list[int]]:
    me = ordered[i]
    right = [
        j
        for j, ln in enumerate(ordered)
        if j != i and row_of[id(ln)] == row_of[id(me)] and ln.x0 >= me.x1 - hmed and j not in label_lines
    ]
    right = [j for j in right if j not in used]
    if right:
        right.sort(key=lambda j: ordered[j].x0)
        first = right[:1]
        return texts[first[0]], first
    j = i + 1
    if j < len(ordered) and j not in label_lines and j not in used:
        nxt = ordered[j]
        if 0 <= nxt.y0 - me.y1 < 1.5 * hmed:
            return texts[j], [j]
    return "", []


def _continuation(
    last: int, ordered: list[Line], texts: list[str], label_lines: set[int], used: set[int], hmed: float, h: _Hit
) -> list[int]:
    """Lines under a multi-line value: on each following row, the line aligned with the value's left edge
    (± 2.5 line heights) continues it; other columns on that row are ignored. Stops at a label, a gap, or
    a row with nothing aligned."""
    first = ordered[last]
    label_line = ordered[h.line]
    share = h.end / max(len(texts[h.line]), 1)  # the value starts after the label: estimate its left edge
    value_x0 = label_line.x0 + share * (label_line.x1 - label_line.x0) if last == h.line else first.x0
    out: list[int] = []
    prev = first
    j = last + 1
    while j < len(ordered):
        row = [j]
        while j + 1 < len(ordered) and abs(ordered[j + 1].cy - ordered[j].cy) <= 0.5 * hmed:
            j += 1
            row.append(j)
        j += 1
        if ordered[row[0]].cy <= prev.cy + 0.5 * hmed:  # the rest of the value's own row
            continue
        aligned = [k for k in row if abs(ordered[k].x0 - value_x0) <= 2.5 * hmed]
        if not aligned:
            break
        k = aligned[0]
        ln = ordered[k]
        label_left = any(m in label_lines and ordered[m].x1 <= ln.x0 + hmed for m in row if m != k)
        if k in label_lines or k in used or label_left or ln.y0 - prev.y1 > 1.2 * hmed:
            break
        out.append(k)
        prev = ln
    return out
