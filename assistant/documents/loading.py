"""Uploaded bytes → pages to read, with limits: size, pixels (decompression bombs), page count.

An image is decoded only after its header passes the pixel limit; EXIF orientation is applied and huge photos
are downscaled (the scale is kept to map boxes back). A PDF gives its text layer where it has one, else
rendered pages for OCR.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from assistant.documents.model import DocumentError, DocumentTooLarge, Line

if TYPE_CHECKING:
    from PIL import Image

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 50-megapixel image is refused before it is decoded
MAX_PDF_PAGES = 20
MAX_OCR_PAGES = 4  # scanned pages read per PDF (each costs an OCR pass)
READ_MAX_SIDE = 1600  # pixels: larger images are downscaled before OCR
MIN_SIDE = 32
MIN_TEXT_LAYER_CHARS = 10

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


@dataclass
class Page:
    """One page to read: an RGB array for OCR, or the lines of a PDF text layer. ``scale`` maps array
    pixels back to the uploaded image's pixels (box / scale)."""

    number: int
    image: np.ndarray | None = None
    scale: float = 1.0
    text_lines: list[Line] = field(default_factory=list)
    size: tuple[int, int] = (0, 0)  # width, height of the original image or rendered page


def sniff(data: bytes) -> str:
    """'PDF', an image format name, or '' for anything else."""
    head = data[:16]
    if head.lstrip()[:5] == b"%PDF-":
        return "PDF"
    if head[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    for magic, name in _IMAGE_MAGIC:
        if head.startswith(magic):
            return name
    return ""


def load_pages(data: bytes) -> tuple[str, list[Page], list[str]]:
    """(kind, pages, warnings) for an upload; raises DocumentError with a bilingual message."""
    if not data:
        raise DocumentError("上传的文件是空的。", "The uploaded file is empty.", field="file")
    if len(data) > MAX_UPLOAD_BYTES:
        mb = MAX_UPLOAD_BYTES // (1024 * 1024)
        raise DocumentTooLarge(f"文件过大（上限 {mb} MB）。", f"File too large (limit {mb} MB).", field="file")
    kind = sniff(data)
    if kind == "PDF":
        pages, notes = _pdf_pages(data)
        return kind, pages, notes
    if not kind:
        raise DocumentError(
            "无法识别的文件类型：请上传 JPG、PNG、WEBP、BMP、TIFF 图片或 PDF 文件。",
            "Unsupported file type: upload a JPG, PNG, WEBP, BMP or TIFF image, or a PDF.",
            field="file",
        )
    if (kind == "JPEG" and b"\xff\xd9" not in data[-4096:]) or (kind == "PNG" and b"IEND" not in data[-4096:]):
        # checked here: a library in the process (weasyprint) makes PIL decode truncated files silently
        raise DocumentError(
            "图片文件不完整（可能上传中断），请重新上传。",
            "The image file is incomplete (the upload may have been cut off); upload it again.",
            field="file",
        )
    return kind, [_image_page(data)], []


def _too_many_pixels(w: int, h: int, nbytes: int) -> DocumentTooLarge:
    mp = w * h / 1e6
    if nbytes < w * h / 200:  # far fewer bytes than pixels: a decompression bomb
        return DocumentTooLarge(
            f"图片尺寸异常（{w}×{h}），疑似压缩炸弹，已拒绝。",
            f"Image dimensions look malicious ({w}×{h}, a decompression bomb); refused.",
            field="file",
        )
    return DocumentTooLarge(
        f"图片像素过多（{mp:.0f} 百万像素，上限 {MAX_PIXELS // 1_000_000} 百万像素），请缩小后重新上传。",
        f"Image too large ({mp:.0f} megapixels, limit {MAX_PIXELS // 1_000_000}); please resize it and upload again.",
        field="file",
    )


def _image_page(data: bytes) -> Page:
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise _too_many_pixels(w, h, len(data))
            if img.format == "PNG":  # checks every chunk's CRC (PIL's decoder skips them): a damaged file is refused
                img.verify()
                img = Image.open(io.BytesIO(data))
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise DocumentTooLarge(
            "图片尺寸异常，疑似压缩炸弹，已拒绝。", "Image refused: it looks like a decompression bomb.", field="file"
        ) from exc
    except DocumentError:
        raise
    except Exception as exc:  # truncated / corrupt files: PIL raises several types
        raise DocumentError(
            "图片已损坏或无法解码，请重新拍摄或导出后上传。",
            "The image is corrupt or cannot be decoded; take or export it again.",
            field="file",
        ) from exc
    if min(w, h) < MIN_SIDE:
        raise DocumentError(
            f"图片太小（{w}×{h}），无法识别文字。", f"Image too small ({w}×{h}) to read text.", field="file"
        )
    upright: Image.Image = ImageOps.exif_transpose(img) or img
    ow, oh = upright.size
    rgb = _to_rgb(upright)
    scale = min(1.0, READ_MAX_SIDE / max(ow, oh))
    if scale < 1.0:
        rgb = rgb.resize((max(1, round(ow * scale)), max(1, round(oh * scale))), Image.Resampling.LANCZOS)
    return Page(number=1, image=np.asarray(rgb), scale=scale, size=(ow, oh))


def _to_rgb(img: Image.Image) -> Image.Image:
    from PIL import Image

    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        return Image.alpha_composite(bg, img).convert("RGB")
    if img.mode == "I;16" or img.mode == "I":
        arr = np.asarray(img, dtype=np.float64)
        arr = (255 * (arr - arr.min()) / max(1.0, float(np.ptp(arr)))).astype(np.uint8)
        return Image.fromarray(arr).convert("RGB")
    return img.convert("RGB")


def _pdf_pages(data: bytes) -> tuple[list[Page], list[str]]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except Exception as exc:
        raise DocumentError(
            "PDF 文件损坏、加密或无法打开。", "The PDF is corrupt, encrypted or cannot be opened.", field="file"
        ) from exc
    notes: list[str] = []
    try:
        n = len(pdf)
        if n == 0:
            raise DocumentError("PDF 没有页面。", "The PDF has no pages.", field="file")
        if n > MAX_PDF_PAGES:
            raise DocumentTooLarge(
                f"PDF 共 {n} 页，超过上限 {MAX_PDF_PAGES} 页：请只上传证件或合同的相关页。",
                f"The PDF has {n} pages, over the limit of {MAX_PDF_PAGES}: upload only the relevant pages.",
                field="file",
            )
        pages: list[Page] = []
        scanned = 0
        for i in range(n):
            page = pdf[i]
            pw, ph = page.get_size()
            lines = _text_layer(page, i)
            if sum(len(ln.text) for ln in lines) >= MIN_TEXT_LAYER_CHARS:
                pages.append(Page(number=i + 1, text_lines=lines, size=(round(pw), round(ph))))
                continue
            scanned += 1
            if scanned > MAX_OCR_PAGES:
                notes.append(f"只识别了前 {MAX_OCR_PAGES} 页扫描页 / only the first {MAX_OCR_PAGES} scanned pages read")
                break
            scale = min(3.0, READ_MAX_SIDE / max(pw, ph, 1))
            img = page.render(scale=scale).to_pil().convert("RGB")
            pages.append(Page(number=i + 1, image=np.asarray(img), scale=scale, size=(round(pw), round(ph))))
        return pages, notes
    finally:
        pdf.close()


def _text_layer(page: object, index: int) -> list[Line]:
    """Text-layer lines with boxes (PDF points, origin top-left), one Line per text row."""
    tp = page.get_textpage()  # type: ignore[attr-defined]
    _, ph = page.get_size()  # type: ignore[attr-defined]
    out: list[Line] = []
    for i in range(tp.count_rects()):
        left, bottom, right, top = tp.get_rect(i)
        text = tp.get_text_bounded(left, bottom, right, top).strip()
        if text:
            y0, y1 = ph - top, ph - bottom
            quad = [[left, y0], [right, y0], [right, y1], [left, y1]]
            out.append(Line(text=text, score=1.0, quad=quad, page=index + 1))
    return out
