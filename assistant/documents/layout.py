"""Layout: undo page rotation (0/90/180/270°) and skew from the text boxes alone, then order lines.

The recogniser reads each line in any orientation (direction classifier plus vertical-crop rotation), so only
the geometry between lines must be fixed. Boxes are taller than wide when the page is turned 90°/270°; which
of the two (or 0° vs 180°) is chosen by the order of the document type's labels (姓名 above 公民身份号码).
Skew is the median angle of the long edges of wide boxes. Coordinates are rotated; the image is not.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from statistics import median

from assistant.documents.model import Line

Point = list[float]


def _turn(quad: list[Point], k: int, w: float, h: float) -> list[Point]:
    """Rotate points by k*90° clockwise inside a w×h frame."""
    out = quad
    for _ in range(k % 4):
        out = [[h - y, x] for x, y in out]
        w, h = h, w
    return out


def _rotate(quad: list[Point], angle: float, cx: float, cy: float) -> list[Point]:
    c, s = math.cos(angle), math.sin(angle)
    return [[cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c] for x, y in quad]


def _edge_angle(quad: list[Point]) -> float | None:
    """Angle (radians, in [-pi/4, pi/4]) of the box's long edge, or None for short boxes."""
    (x0, y0), (x1, y1), (x2, y2) = quad[0], quad[1], quad[2]
    e1 = (x1 - x0, y1 - y0)
    e2 = (x2 - x1, y2 - y1)
    long, short = (e1, e2) if math.hypot(*e1) >= math.hypot(*e2) else (e2, e1)
    if math.hypot(*long) < 3 * max(1.0, math.hypot(*short)):
        return None
    a = math.atan2(long[1], long[0])
    while a > math.pi / 2:
        a -= math.pi
    while a <= -math.pi / 2:
        a += math.pi
    return a if abs(a) <= math.pi / 4 else None


def wide_share(lines: Sequence[Line]) -> float:
    long = [ln for ln in lines if len(ln.text) >= 3]
    if not long:
        return 1.0
    return sum(1 for ln in long if (ln.x1 - ln.x0) >= (ln.y1 - ln.y0)) / len(long)


def order_score(lines: Sequence[Line], anchors: Sequence[re.Pattern[str]]) -> int:
    """How many pairs of anchor lines appear in the expected top-to-bottom (then left-to-right) order."""
    first: list[Line] = []
    for pat in anchors:
        hit = next((ln for ln in lines if pat.search(ln.text)), None)
        if hit is not None and hit not in first:
            first.append(hit)
    score = 0
    for i, a in enumerate(first):
        for b in first[i + 1 :]:
            tol = 0.5 * max(a.height, b.height, 1.0)
            if a.cy < b.cy - tol or (abs(a.cy - b.cy) <= tol and a.cx < b.cx):
                score += 1
            else:
                score -= 1
    return score


def normalise(lines: list[Line], size: tuple[int, int], anchors: Sequence[re.Pattern[str]]) -> tuple[list[Line], int]:
    """Lines in an upright, deskewed frame (their quads rewritten) and the rotation undone, in degrees."""
    if not lines:
        return lines, 0
    w, h = float(size[0]), float(size[1])
    ks = (0, 2) if wide_share(lines) >= 0.5 else (1, 3)
    best: tuple[int, int, list[Line]] | None = None
    for k in ks:
        ww, hh = (w, h) if k % 2 == 0 else (h, w)
        turned = [ln.moved(_turn(ln.quad, k, w, h)) for ln in lines]
        turned = _deskew(turned, ww, hh)
        s = order_score(turned, anchors)
        if best is None or s > best[0]:
            best = (s, k, turned)
    assert best is not None
    return best[2], best[1] * 90


def _deskew(lines: list[Line], w: float, h: float) -> list[Line]:
    angles = [a for ln in lines if (a := _edge_angle(ln.quad)) is not None]
    if not angles:
        return lines
    a = median(angles)
    if abs(a) < math.radians(0.5):
        return lines
    return [ln.moved(_rotate(ln.quad, -a, w / 2, h / 2)) for ln in lines]


def rows(lines: Sequence[Line]) -> list[list[Line]]:
    """Group lines into visual rows (top to bottom), each row left to right."""
    out: list[list[Line]] = []
    for ln in sorted(lines, key=lambda x: (x.page, x.cy)):
        if out:
            row = out[-1]
            ref = row[0]
            if ref.page == ln.page and abs(ln.cy - ref.cy) <= 0.5 * max(min(ln.height, ref.height), 1.0):
                row.append(ln)
                continue
        out.append([ln])
    return [sorted(r, key=lambda x: x.x0) for r in out]


def reading_order(lines: Sequence[Line]) -> list[Line]:
    return [ln for row in rows(lines) for ln in row]
