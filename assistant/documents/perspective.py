"""Perspective: find a photographed card or page (a quadrilateral on a table) and warp it flat before OCR.

A flat scan, a screenshot or a document only turned in its plane is left alone (the layout step undoes
rotation and skew from the text boxes); only a quadrilateral that is clearly not a rectangle is warped.
The document edge is found from image edges (Canny → external contours → convex hull → 4 corners), and a
candidate counts only when each of its four sides runs along detected edges, so the hull of a block of
text is never taken for a page. The warp keeps its inverse: OCR boxes read in the flat image are mapped back
to the uploaded image's pixels, so the confirmation sheet still points at the right place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Point = list[float]

DETECT_SIDE = 720  # longest side of the copy the edges are searched in
MIN_AREA = 0.18  # the document covers at least this share of the image
MIN_SIDE_SUPPORT = 0.55  # share of each side that must lie on an image edge
MIN_DISTORTION = 0.035  # corner offset from the best-fitting rectangle, as a share of its shorter side
MAX_OUT_SIDE = 2000  # longest side of the flattened image


@dataclass
class Warp:
    """A flattened document: the image, the corners it came from (TL, TR, BR, BL in source pixels) and the
    homography from flat to source pixels."""

    image: np.ndarray
    corners: list[Point]
    to_source_h: np.ndarray
    distortion: float

    def to_source(self, quad: list[Point]) -> list[Point]:
        return map_points(self.to_source_h, quad)


def map_points(h: np.ndarray, pts: list[Point]) -> list[Point]:
    """Apply a 3×3 homography to points."""
    a = np.asarray(pts, dtype=np.float64).reshape(-1, 2)
    hom = np.hstack([a, np.ones((len(a), 1))]) @ np.asarray(h, dtype=np.float64).T
    out = hom[:, :2] / hom[:, 2:3]
    return [[float(x), float(y)] for x, y in out]


def order_corners(pts: np.ndarray | list[Point]) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left (clockwise in image coordinates)."""
    p = np.asarray(pts, dtype=np.float64).reshape(4, 2)
    c = p.mean(axis=0)
    ang = np.arctan2(p[:, 1] - c[1], p[:, 0] - c[0])
    p = p[np.argsort(ang)]  # clockwise on screen (y down), starting near -pi (left)
    start = int(np.argmin(p.sum(axis=1)))  # top-left: smallest x + y
    return np.roll(p, -start, axis=0)


def distortion(corners: np.ndarray) -> float:
    """How far a quadrilateral is from a rectangle (any in-plane rotation): the largest corner offset from the
    minimum-area rectangle around it, divided by that rectangle's shorter side. 0 for any rectangle."""
    import cv2

    q = np.asarray(corners, dtype=np.float32).reshape(4, 2)
    rect = cv2.minAreaRect(q)
    box = cv2.boxPoints(rect)
    short = max(1.0, float(min(rect[1])))
    return float(max(np.min(np.linalg.norm(box - p, axis=1)) for p in q) / short)


def _side_support(edges: np.ndarray, corners: np.ndarray, band: int = 3) -> float:
    """Smallest share, over the four sides, of points along the side that have an edge pixel within ``band``."""
    import cv2

    h, w = edges.shape
    near = cv2.dilate(edges, np.ones((2 * band + 1, 2 * band + 1), np.uint8))
    worst = 1.0
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        n = max(8, int(np.linalg.norm(b - a) / 2))
        t = np.linspace(0.06, 0.94, n)  # corners may be rounded or cut off
        xs = np.clip(np.round(a[0] + (b[0] - a[0]) * t).astype(int), 0, w - 1)
        ys = np.clip(np.round(a[1] + (b[1] - a[1]) * t).astype(int), 0, h - 1)
        worst = min(worst, float(np.count_nonzero(near[ys, xs])) / n)
    return worst


def _quad_of(contour: np.ndarray) -> np.ndarray | None:
    import cv2

    hull = cv2.convexHull(contour)
    peri = cv2.arcLength(hull, True)
    for eps in (0.01, 0.02, 0.03, 0.045, 0.06):
        approx = cv2.approxPolyDP(hull, eps * peri, True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float64)
        if len(approx) < 4:
            return None
    return None


def find_quad(rgb: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The document's corners (TL, TR, BR, BL, in ``rgb`` pixels) and their edge support, or None."""
    import cv2

    h, w = rgb.shape[:2]
    s = min(1.0, DETECT_SIDE / max(h, w))
    small = (
        cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA) if s < 1 else rgb
    )
    gray = cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2GRAY)
    gray = cv2.GaussianBlur(gray, (5, 5), 0)
    med = float(np.median(gray))
    edges = cv2.Canny(gray, max(10.0, 0.4 * med), min(255.0, max(40.0, 1.0 * med)))
    closed = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    area = float(small.shape[0] * small.shape[1])
    best: tuple[float, np.ndarray, float] | None = None
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hull_area = [(float(cv2.contourArea(cv2.convexHull(c))), i) for i, c in enumerate(contours)]
    for ha, i in sorted(hull_area, reverse=True)[:6]:  # an outline with a gap encloses no area: rank by hull
        if ha < MIN_AREA * area:
            break
        cnt = contours[i]
        quad = _quad_of(cnt)
        if quad is None:
            continue
        quad = order_corners(quad)
        qa = abs(float(cv2.contourArea(quad.astype(np.float32))))
        if qa < MIN_AREA * area or not cv2.isContourConvex(quad.astype(np.float32)):
            continue
        support = _side_support(edges, quad)
        if support < MIN_SIDE_SUPPORT:
            continue
        if best is None or qa > best[0]:
            best = (qa, quad, support)
    if best is None:
        return None
    return best[1] / s, best[2]


def flatten(rgb: np.ndarray, min_distortion: float = MIN_DISTORTION) -> Warp | None:
    """The document warped to a rectangle when the photo shows it in perspective, else None (no change)."""
    import cv2

    found = find_quad(rgb)
    if found is None:
        return None
    corners = found[0]
    dist = distortion(corners)
    if dist < min_distortion:
        return None
    tl, tr, br, bl = corners
    width = float(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = float(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    k = min(1.0, MAX_OUT_SIDE / max(width, height))
    ow, oh = max(8, round(width * k)), max(8, round(height * k))
    dst = np.array([[0, 0], [ow - 1, 0], [ow - 1, oh - 1], [0, oh - 1]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(corners.astype(np.float32), dst)
    flat = cv2.warpPerspective(
        np.ascontiguousarray(rgb), m, (ow, oh), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    return Warp(
        image=flat,
        corners=[[float(x), float(y)] for x, y in corners],
        to_source_h=np.linalg.inv(m),
        distortion=round(dist, 4),
    )


def corner_angles(corners: list[Point]) -> list[float]:
    """Interior angles in degrees (for diagnostics and tests)."""
    p = np.asarray(corners, dtype=np.float64)
    out = []
    for i in range(4):
        a, b, c = p[i - 1], p[i], p[(i + 1) % 4]
        u, v = a - b, c - b
        cos = float(np.dot(u, v) / max(1e-9, np.linalg.norm(u) * np.linalg.norm(v)))
        out.append(math.degrees(math.acos(max(-1.0, min(1.0, cos)))))
    return out
