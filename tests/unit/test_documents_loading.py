"""Upload limits and decoding: file types, pixel limits, decompression bombs, EXIF, PDFs (text layer, pages)."""

import io
import struct
import zlib

import pytest
from PIL import Image

from assistant.documents.loading import MAX_PDF_PAGES, READ_MAX_SIDE, load_pages, sniff
from assistant.documents.model import DocumentError, DocumentTooLarge

pytestmark = pytest.mark.unit


def png_header_only(w: int, h: int, pad: int = 0) -> bytes:
    """A PNG that claims w×h pixels but holds a few bytes of data (what a decompression bomb looks like);
    ``pad`` bytes of an ancillary chunk after the data make it as heavy as a real photo of that size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"zzPd", b"\x00" * pad)
        + chunk(b"IEND", b"")
    )


def image_bytes(w: int, h: int, fmt: str = "PNG", **save: object) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (240, 240, 240)).save(buf, format=fmt, **save)
    return buf.getvalue()


def test_sniffing() -> None:
    assert sniff(image_bytes(40, 40)) == "PNG"
    assert sniff(image_bytes(40, 40, "JPEG")) == "JPEG"
    assert sniff(image_bytes(40, 40, "WEBP")) == "WEBP"
    assert sniff(b"%PDF-1.7\n...") == "PDF"
    assert sniff(b"hello, world") == ""


@pytest.mark.parametrize("data", [b"", b"just some text, not an image", b"\x00" * 100])
def test_non_images_are_refused_in_both_languages(data: bytes) -> None:
    with pytest.raises(DocumentError) as exc:
        load_pages(data)
    assert exc.value.message_zh != exc.value.message_en
    assert exc.value.http_status == 422


def test_a_50_megapixel_image_is_refused_before_decoding() -> None:
    with pytest.raises(DocumentTooLarge) as exc:
        load_pages(png_header_only(8700, 5800, pad=400_000))
    assert exc.value.http_status == 413 and "百万像素" in exc.value.message_zh


def test_an_image_bomb_is_named_as_such() -> None:
    with pytest.raises(DocumentTooLarge) as exc:
        load_pages(png_header_only(100_000, 100_000))
    assert "炸弹" in exc.value.message_zh and "bomb" in exc.value.message_en


def test_a_truncated_image_is_a_clear_error() -> None:
    data = image_bytes(400, 300, "JPEG")
    with pytest.raises(DocumentError) as exc:
        load_pages(data[: len(data) // 3])
    assert "不完整" in exc.value.message_zh and "incomplete" in exc.value.message_en


def test_a_tiny_image_is_refused() -> None:
    with pytest.raises(DocumentError):
        load_pages(image_bytes(20, 20))


def test_huge_photos_are_downscaled_and_the_scale_is_kept() -> None:
    _, pages, _ = load_pages(image_bytes(4000, 3000, "JPEG"))
    page = pages[0]
    assert page.image is not None and max(page.image.shape[:2]) == READ_MAX_SIDE
    assert page.size == (4000, 3000) and page.scale == pytest.approx(READ_MAX_SIDE / 4000)


def test_exif_orientation_is_applied() -> None:
    img = Image.new("RGB", (600, 300), "white")
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif.tobytes())
    _, pages, _ = load_pages(buf.getvalue())
    assert pages[0].image is not None and pages[0].image.shape[:2] == (600, 300)  # now portrait


def _blank_pdf(pages: int) -> bytes:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(595, 842)
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def test_a_500_page_pdf_is_refused() -> None:
    with pytest.raises(DocumentTooLarge) as exc:
        load_pages(_blank_pdf(500))
    assert "500" in exc.value.message_zh and str(MAX_PDF_PAGES) in exc.value.message_en


def test_a_corrupt_pdf_is_a_clear_error() -> None:
    with pytest.raises(DocumentError):
        load_pages(b"%PDF-1.7\n garbage without objects")


def test_a_pdf_with_a_text_layer_is_not_rendered() -> None:
    from weasyprint import HTML

    html = (
        "<html><body style='font-family: Noto Sans CJK SC'><h1>房屋租赁合同</h1>"
        "<p>出租方（甲方）：王五</p></body></html>"
    )
    kind, pages, _ = load_pages(HTML(string=html).write_pdf())
    assert kind == "PDF" and pages[0].image is None
    assert "房屋租赁合同" in "".join(ln.text for ln in pages[0].text_lines)


def test_a_scanned_pdf_page_is_rendered_for_ocr() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), (250, 250, 250)).save(buf, format="PDF")
    _, pages, _ = load_pages(buf.getvalue())
    assert pages[0].image is not None and pages[0].scale > 0
