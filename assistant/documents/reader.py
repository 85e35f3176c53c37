"""DocumentReader: upload bytes → ReadDocument (type, fields with state and box, text, field proposals).

load (limits) → OCR per page (or the PDF text layer) → classify → upright frame → extract → post-process
→ proposals. Pure apart from the OCR engine, which is built lazily by the caller and shared.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.approval.rules.identity import ric_birth
from assistant.documents import perspective, values
from assistant.documents.classify import classify
from assistant.documents.extract import RawField, extract
from assistant.documents.layout import normalise, reading_order, wide_share
from assistant.documents.loading import Page, load_pages
from assistant.documents.model import DocField, Line, ReadDocument
from assistant.documents.perspective import Warp
from assistant.documents.proposals import proposals_for
from assistant.documents.spec import TypeSpec, load_specs, to_simplified
from assistant.ports import OcrEngine

MIN_CONFIDENCE = 0.80  # below this a field is shown for confirmation
NO_DOCUMENT = (
    "未找到证件或文书：请拍摄清晰、完整的证件或合同页面。",
    "No document found: photograph the whole card or page clearly.",
)


class DocumentReader:
    def __init__(self, engine: OcrEngine, knowledge_dir: Path, data_dir: Path, perspective: bool = True) -> None:
        self.engine = engine
        self.perspective = perspective  # flatten photos taken at an angle before OCR
        self.knowledge_dir = Path(knowledge_dir)
        self.data_dir = Path(data_dir)

    def warm_up(self) -> None:
        load_specs(self.knowledge_dir)
        warm = getattr(self.engine, "warm_up", None)
        if callable(warm):
            warm()

    def _raw(self, image: np.ndarray) -> list[tuple[str, float, list[list[float]]]]:
        read_array = getattr(self.engine, "read_array", None)
        if callable(read_array):
            return list(read_array(image))
        import io

        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(image).save(buf, format="PNG")
        return self.engine.read(buf.getvalue())

    def _ocr(self, page: Page) -> tuple[list[Line], tuple[int, int], bool, Warp | None]:
        """Lines of a page, the size of the frame their quads are in, whether the page was read again turned
        90°, and the perspective warp applied (None: the page was read as uploaded).

        A photo of a card or page at an angle is flattened first (``perspective.flatten``). A page turned
        90°/270° (most boxes taller than wide) is turned back and read again: recognising long vertical crops
        loses characters. ``Line.orig`` is always the quad in the page array's pixels (before any warp or turn)."""
        assert page.image is not None
        warp = perspective.flatten(page.image) if self.perspective else None
        img = warp.image if warp is not None else page.image
        h, w = img.shape[:2]
        lines = [Line(to_simplified(t), float(s), [list(p) for p in q], page.number) for t, s, q in self._raw(img)]
        turned = False
        if lines and wide_share(lines) < 0.5:
            rot = np.ascontiguousarray(np.rot90(img))  # counter-clockwise: (x, y) → (y, w - 1 - x)
            again = [
                Line(to_simplified(t), float(s), [list(p) for p in q], page.number, [[w - 1 - y, x] for x, y in q])
                for t, s, q in self._raw(rot)
            ]
            if again and wide_share(again) >= 0.5:
                lines, turned = again, True
        size = (h, w) if turned else (w, h)
        if warp is not None:
            lines = [Line(ln.text, ln.score, ln.quad, ln.page, warp.to_source(ln.orig or ln.quad)) for ln in lines]
        return lines, size, turned, warp

    def read(self, data: bytes) -> ReadDocument:
        t0 = time.perf_counter()
        _kind, pages, warnings = load_pages(data)
        t_load = time.perf_counter()
        per_page: list[tuple[Page, list[Line], tuple[int, int], bool]] = []
        quad: list[list[float]] | None = None
        for page in pages:
            if page.image is not None:
                lines, size, turned, warp = self._ocr(page)
                per_page.append((page, lines, size, turned))
                if warp is not None and page.number <= 1 and quad is None:
                    s = page.scale or 1.0
                    quad = [[round(x / s, 1), round(y / s, 1)] for x, y in warp.corners]
            else:
                lines = [Line(to_simplified(ln.text), 1.0, ln.quad, ln.page) for ln in page.text_lines]
                per_page.append((page, lines, page.size, False))
        t_ocr = time.perf_counter()
        specs = load_specs(self.knowledge_dir)
        raw_text = "\n".join(ln.text for _, lines, _, _ in per_page for ln in reading_order(lines))
        doc_type = classify(raw_text, specs)
        spec = specs.types.get(doc_type)
        upright: list[Line] = []
        rotation = 0
        for n, (_page, lines, size, turned_back) in enumerate(per_page):
            straight, rot = normalise(lines, size, spec.anchors if spec else ())
            upright += straight
            if n == 0:
                rotation = (rot + (270 if turned_back else 0)) % 360
        fields = self._fields(extract(upright, spec), spec, {p.number: p.scale for p in pages}) if spec else {}
        doc = ReadDocument(
            doc_type=doc_type,  # type: ignore[arg-type]
            doc_type_zh=spec.zh if spec else {"other": "其他材料", "no_document": "未发现文书"}[doc_type],
            fields=fields,
            text="\n".join(ln.text for ln in reading_order(upright)),
            pages=len(pages),
            rotation=rotation,
            perspective=quad,
            source="ocr" if any(p.image is not None for p in pages) else "text_layer",
            warnings=warnings + ([f"{NO_DOCUMENT[0]} / {NO_DOCUMENT[1]}"] if doc_type == "no_document" else []),
        )
        doc.proposals = proposals_for(doc, self.data_dir)
        doc.timings_ms = {
            "load": round((t_load - t0) * 1000, 1),
            "ocr": round((t_ocr - t_load) * 1000, 1),
            "parse": round((time.perf_counter() - t_ocr) * 1000, 1),
        }
        return doc

    # ------------------------------------------------------------ post-processing

    def _fields(self, raw: dict[str, RawField], spec: TypeSpec, scales: dict[int, float]) -> dict[str, DocField]:
        out: dict[str, DocField] = {}
        for key, rf in raw.items():
            conf = round(min((ln.score for ln in rf.lines), default=0.0), 4)
            box, page = _union_box(rf.lines, scales)
            base: dict[str, Any] = {"confidence": conf, "box": box, "page": page}
            kind = rf.spec.kind
            if kind == "period":
                (start, end), problem = values.parse_period(rf.text)
                for suffix, v in (("start", start), ("end", end)):
                    if v:
                        out[f"{key}_{suffix}"] = _field(v, problem, base)
                continue
            value, problem = self._value(kind, rf.text)
            if value:
                out[key] = _field(value, problem, base)
        if spec.name == "id_front" and "id_number" in out:
            _cross_check_id(out)
        return out

    def _value(self, kind: str, text: str) -> tuple[str, str | None]:
        if kind == "date":
            return values.parse_date(text)
        if kind == "sex":
            return values.parse_sex(text)
        if kind == "id_number":
            return values.parse_id_number(text)
        if kind == "uscc":
            return values.parse_uscc(text, self.data_dir)
        if kind == "money_wan":
            return values.parse_money_wan(text)
        if kind == "area":
            return values.parse_area(text)
        if kind == "text":  # Chinese punctuation as printed; codes stay as read
            return values.cjk_punctuation(values.clean(text)), None
        return values.clean(text), None


def _field(value: str, problem: str | None, base: dict[str, Any]) -> DocField:
    f = DocField(value=value, **base)
    if problem:
        f.state, f.note = "needs_check", problem
    elif f.confidence < MIN_CONFIDENCE:
        f.state, f.note = "needs_check", "识别置信度低 / low recognition confidence"
    return f


def _union_box(lines: list[Line], scales: dict[int, float]) -> tuple[list[float] | None, int]:
    if not lines:
        return None, 0
    page = lines[0].page
    boxes = [ln.source_box for ln in lines if ln.page == page]
    s = scales.get(page, 1.0) or 1.0
    x0, y0 = min(b[0] for b in boxes) / s, min(b[1] for b in boxes) / s
    x1, y1 = max(b[2] for b in boxes) / s, max(b[3] for b in boxes) / s
    return [round(x0, 1), round(y0, 1), round(x1, 1), round(y1, 1)], page


DERIVED_NOTE = "由公民身份号码推得 / derived from the ID number"


def _cross_check_id(out: dict[str, DocField]) -> None:
    idf = out["id_number"]
    if idf.state == "ok" and len(idf.value) == 18:  # the check digit holds: it encodes birth date and sex
        b = ric_birth(idf.value)
        derived = {"birth_date": b.isoformat() if b else None, "sex": "男" if int(idf.value[16]) % 2 else "女"}
        for key, value in derived.items():
            f = out.get(key)
            if value and (f is None or (f.state == "needs_check" and not f.note.startswith("识别置信度"))):
                # not read, or read but not parsable (男 misread as 笛): the number says it
                out[key] = DocField(
                    value=value, confidence=idf.confidence, box=f.box if f else None, page=idf.page, note=DERIVED_NOTE
                )
    birth = out.get("birth_date")
    sex = out.get("sex")
    problem = values.id_consistency(idf.value, birth.value if birth else None, sex.value if sex else None)
    if problem:
        for f in (idf, birth if "出生" in problem else sex):
            if f is not None:
                f.state, f.note = "needs_check", problem
