"""Perspective correction on synthetic photos (Pillow-drawn documents on a table, warped with known corners):
quadrilateral detection, the homography and its inverse, no change on flat scans, and boxes that the reader
maps back to the uploaded photo's pixels. The OCR here is a layout double; the real recogniser reading a
warped ID card is in tests/integration/test_documents_real.py."""

import io
import json
import random

import numpy as np
import pytest
from PIL import Image, ImageDraw

from assistant.documents import DocumentReader, perspective
from assistant.settings import Settings
from eval import docgen

pytestmark = pytest.mark.unit
OcrLine = tuple[str, float, list[list[float]]]


def rgb(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"))


def card(w: int = 856, h: int = 540) -> Image.Image:
    """A plain card: light face, a few dark bars for text, a grey photo box."""
    img = Image.new("RGB", (w, h), (236, 240, 236))
    d = ImageDraw.Draw(img)
    for i in range(5):
        d.rectangle((60, 60 + 80 * i, 60 + 300 + 40 * i, 90 + 80 * i), fill=(30, 30, 30))
    d.rectangle((590, 70, 800, 330), fill=(205, 210, 215))
    return img


def doc_to_photo(w: int, h: int, quad: list[list[float]]) -> np.ndarray:
    """The homography from document pixels to photo pixels, given where the document's corners landed."""
    import cv2

    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    return cv2.getPerspectiveTransform(src, np.asarray(quad, dtype=np.float32))


@pytest.mark.parametrize("seed", range(6))
def test_the_document_quadrilateral_is_found_in_a_photo(seed: int) -> None:
    rng = random.Random(seed)
    photo, quad = docgen.photograph(card(), rng, camera=seed % 2 == 1)
    found = perspective.find_quad(rgb(photo))
    assert found is not None
    corners, support = found
    tol = 0.015 * max(photo.size)
    assert np.abs(corners - np.asarray(quad)).max() < tol, (corners.tolist(), quad)
    assert support >= perspective.MIN_SIDE_SUPPORT


def test_flattening_undoes_the_warp_and_maps_points_back() -> None:
    w, h = 856, 540
    photo, quad = docgen.photograph(card(w, h), random.Random(3), strength=(0.15, 0.2))
    warp = perspective.flatten(rgb(photo))
    assert warp is not None and warp.distortion >= perspective.MIN_DISTORTION
    fh, fw = warp.image.shape[:2]
    assert abs(fw / fh - w / h) < 0.12  # about the card's proportions again
    # a point of the card, seen in the flat image, goes back to where the photo shows it
    h_doc = doc_to_photo(w, h, quad)
    for u, v in ((60, 60), (400, 300), (800, 330), (700, 500)):
        in_photo = perspective.map_points(h_doc, [[u, v]])[0]
        in_flat = [u * (fw - 1) / w, v * (fh - 1) / h]
        back = warp.to_source([in_flat])[0]
        assert np.hypot(back[0] - in_photo[0], back[1] - in_photo[1]) < 0.015 * max(photo.size)
    # the dark bars are level in the flat image: the rows of the first bar are dark across its whole width
    flat = warp.image.mean(axis=2)
    y = round(75 * (fh - 1) / h)
    x0, x1 = round(70 * (fw - 1) / w), round(350 * (fw - 1) / w)
    assert flat[y, x0:x1].mean() < 90


def test_corners_are_ordered_and_rectangles_are_not_distorted() -> None:
    pts = [[500.0, 400.0], [100.0, 80.0], [520.0, 60.0], [90.0, 420.0]]
    assert perspective.order_corners(pts).tolist() == [[100, 80], [520, 60], [500, 400], [90, 420]]
    c, s = np.cos(np.radians(25)), np.sin(np.radians(25))
    rect = [[x * c - y * s + 300, x * s + y * c + 100] for x, y in ((0, 0), (400, 0), (400, 250), (0, 250))]
    assert perspective.distortion(np.asarray(rect)) < 0.005  # turned in its plane: the layout deskews it
    trapezoid = np.array([[40, 0], [360, 0], [400, 250], [0, 250]], dtype=float)
    assert perspective.distortion(trapezoid) > perspective.MIN_DISTORTION
    assert all(abs(a - 90) < 0.5 for a in perspective.corner_angles(rect))


def test_map_points_applies_a_homography() -> None:
    hom = np.array([[2.0, 0, 10], [0, 3.0, -5], [0, 0, 1]])
    assert perspective.map_points(hom, [[1, 1], [0, 0]]) == [[12.0, -2.0], [10.0, -5.0]]
    assert np.allclose(perspective.map_points(np.linalg.inv(hom), [[12.0, -2.0]]), [[1.0, 1.0]])


@pytest.mark.parametrize(
    "make",
    [
        lambda: docgen.id_front(random.Random(1)).image,  # a flat scan of a card
        lambda: docgen.business_licence(random.Random(2)).image,  # a page with a printed border
        lambda: docgen.lease_contract(random.Random(3)).image,  # a page of text, no border
        lambda: docgen.degrade(docgen.id_front(random.Random(4)), "rotate_small", random.Random(4)).image,
        lambda: docgen.cat_photo(random.Random(5)).image,
        lambda: card(),
    ],
    ids=["id_scan", "licence", "lease", "rotated_card", "cat", "plain_card"],
)
def test_flat_scans_and_pictures_are_left_alone(make) -> None:
    assert perspective.flatten(rgb(make())) is None


# ------------------------------------------------------------------ through the reader (layout double)

ID_LAYOUT: list[tuple[str, tuple[float, float, float, float]]] = [
    ("姓名", (60, 60, 110, 90)),
    ("张伟", (150, 56, 215, 92)),
    ("性别男民族汉", (60, 121, 380, 156)),
    ("出生1990年3月7日", (60, 186, 360, 220)),
    ("住址广东省广州市天河区体育西路103号", (60, 251, 560, 285)),
    ("公民身份号码", (60, 450, 210, 478)),
    ("440106199003071231", (260, 444, 580, 482)),
]


class LayoutOcr:
    """Reads the ID-card layout at its place in whatever image it is given (an 856×540 frame scaled to the
    image): the flattened card in the flat image, or the photo itself when nothing was flattened."""

    def __init__(self, lines: list[tuple[str, tuple[float, float, float, float]]] = ID_LAYOUT) -> None:
        self.lines = lines
        self.sizes: list[tuple[int, int]] = []

    def read(self, image: bytes) -> list[OcrLine]:
        return self.read_array(rgb(Image.open(io.BytesIO(image))))

    def read_array(self, img: np.ndarray) -> list[OcrLine]:
        h, w = img.shape[:2]
        self.sizes.append((w, h))
        sx, sy = w / 856, h / 540
        return [
            (t, 0.99, [[x0 * sx, y0 * sy], [x1 * sx, y0 * sy], [x1 * sx, y1 * sy], [x0 * sx, y1 * sy]])
            for t, (x0, y0, x1, y1) in self.lines
        ]


def photo_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_field_boxes_point_into_the_uploaded_photo(settings: Settings) -> None:
    photo, quad = docgen.photograph(card(), random.Random(8), strength=(0.15, 0.2))
    ocr = LayoutOcr()
    doc = DocumentReader(ocr, settings.knowledge_dir, settings.data_dir).read(photo_bytes(photo))
    assert doc.doc_type == "id_front" and doc.perspective is not None
    assert np.abs(np.asarray(doc.perspective) - np.asarray(quad)).max() < 0.015 * max(photo.size)
    assert ocr.sizes[0] != photo.size  # the recogniser saw the flattened card, not the photo
    assert doc.fields["name"].value == "张伟" and doc.fields["id_number"].state == "ok"
    h_doc = doc_to_photo(856, 540, quad)
    for key, (x0, y0, x1, y1) in (("name", ID_LAYOUT[1][1]), ("id_number", ID_LAYOUT[6][1])):
        want = perspective.map_points(h_doc, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        wx0, wy0 = min(p[0] for p in want), min(p[1] for p in want)
        wx1, wy1 = max(p[0] for p in want), max(p[1] for p in want)
        box = doc.fields[key].box
        assert box is not None
        assert max(abs(box[0] - wx0), abs(box[1] - wy0), abs(box[2] - wx1), abs(box[3] - wy1)) < 15, (key, box)


def test_a_flat_scan_is_read_as_uploaded(settings: Settings) -> None:
    ocr = LayoutOcr()
    img = card()
    doc = DocumentReader(ocr, settings.knowledge_dir, settings.data_dir).read(photo_bytes(img))
    assert doc.perspective is None and ocr.sizes == [img.size]
    assert doc.fields["id_number"].box == [260.0, 444.0, 580.0, 482.0]


def test_perspective_correction_can_be_switched_off(settings: Settings) -> None:
    photo, _ = docgen.photograph(card(), random.Random(8), strength=(0.15, 0.2))
    ocr = LayoutOcr()
    doc = DocumentReader(ocr, settings.knowledge_dir, settings.data_dir, perspective=False).read(photo_bytes(photo))
    assert doc.perspective is None and ocr.sizes == [photo.size]


def test_sex_and_birth_date_missed_by_the_detector_come_from_a_valid_id_number(settings: Settings) -> None:
    lines = [ln for ln in ID_LAYOUT if not ln[0].startswith(("性别", "出生"))]
    lines.append(("民族汉", (260, 121, 380, 156)))  # 男 alone was not detected
    doc = DocumentReader(LayoutOcr(lines), settings.knowledge_dir, settings.data_dir).read(photo_bytes(card()))
    sex, birth = doc.fields["sex"], doc.fields["birth_date"]
    assert (sex.value, birth.value) == ("男", "1990-03-07")
    assert sex.state == "ok" and "ID number" in sex.note and sex.box is None


def test_nothing_is_derived_from_a_number_whose_check_digit_fails(settings: Settings) -> None:
    lines = [ln for ln in ID_LAYOUT if not ln[0].startswith(("性别", "44"))]
    lines.append(("440106199003071232", (260, 444, 580, 482)))
    doc = DocumentReader(LayoutOcr(lines), settings.knowledge_dir, settings.data_dir).read(photo_bytes(card()))
    assert "sex" not in doc.fields and doc.fields["id_number"].state == "needs_check"


def test_the_photo_set_records_where_the_document_lies() -> None:
    docs = docgen.photo_set(6, seed=1)
    assert {d.variant for d in docs} <= set(docgen.PHOTO_DEGRADATIONS)
    assert [d.kind for d in docs] == list(docgen.PHOTO_KINDS)
    for d in docs:
        quad = json.loads(d.meta["quad"])
        assert len(quad) == 4 and all(0 <= x <= d.image.width and 0 <= y <= d.image.height for x, y in quad)
