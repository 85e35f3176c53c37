"""PDF: the text layer (pypdfium2); a page without one is rendered and read through the OcrEngine port.

Lines hard-wrapped by the page layout are joined back into paragraphs; page numbers are dropped.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from assistant.ports import OcrEngine
from ingestion.document import Block, Document, LoadError, clean, read_bytes
from ingestion.structure import ARTICLE_RE, DIVISION_RE

MIN_PAGE_CHARS = 10  # a page with fewer characters and an image on it is a scanned page
_PAGE_NO_RE = re.compile(r"^(?:[-—–_\s]*\d+[-—–_\s]*|第\s*\d+\s*页(?:\s*[/，,]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)$")
_ENDS_PARAGRAPH = tuple("。：:；;！!？?」』”）)")
_STARTS_PARAGRAPH = re.compile(
    r"^(?:[（(][一二三四五六七八九十\d]+[）)]|[一二三四五六七八九十]+、|\d+[.、．]|\d{4}\s*年\s*\d{1,2}\s*月)"
)  # a numbered item, or a dated line of a law's history


def _starts_unit(line: str) -> bool:
    return bool(ARTICLE_RE.match(line) or DIVISION_RE.match(line) or _STARTS_PARAGRAPH.match(line))


def reflow(lines: list[str]) -> list[Block]:
    """Join layout-wrapped lines: a line continues the previous one unless that ended a sentence or this one
    starts an article, a heading or a numbered item."""
    paras: list[str] = []
    for raw in lines:
        line = clean(raw)
        if not line or _PAGE_NO_RE.match(line):
            continue
        if paras and not paras[-1].endswith(_ENDS_PARAGRAPH) and not _starts_unit(line):
            sep = " " if paras[-1][-1:].isascii() and line[:1].isascii() else ""
            paras[-1] += sep + line
        else:
            paras.append(line)
    return [Block(p) for p in paras]


def _ocr_page(page: object, ocr: OcrEngine) -> str:
    image = page.render(scale=2).to_pil()  # type: ignore[attr-defined]
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return "\n".join(text for text, _conf, _box in ocr.read(buf.getvalue()))


def _has_image(page: object) -> bool:
    import pypdfium2.raw as pdfium_c

    return any(True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)))  # type: ignore[attr-defined]


def load(path: Path, ocr: OcrEngine | None = None) -> Document:
    import pypdfium2 as pdfium

    data = read_bytes(path)
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise LoadError("PDF 文件损坏、加密或无法打开", "corrupt, encrypted or unreadable PDF") from exc
    lines: list[str] = []
    try:
        for n, page in enumerate(pdf, start=1):
            text = page.get_textpage().get_text_range()
            if len(clean(text)) < MIN_PAGE_CHARS and _has_image(page):
                if ocr is None:
                    raise LoadError(
                        f"第 {n} 页没有文字层，扫描件需要文字识别（OCR）",
                        f"page {n} has no text layer: a scanned PDF needs OCR",
                    )
                text = _ocr_page(page, ocr)
            lines.extend(text.splitlines())
    finally:
        pdf.close()
    return Document(reflow(lines))
