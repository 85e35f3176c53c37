"""A corpus of bad uploads, generated at test time (no binaries in the repository).

Each :class:`BadFile` says which endpoint it is meant for and what the app must answer: a 4xx with one of the
listed error codes (``expect``), or, for a file that is odd but legitimate (a PDF with a script), 200.
``python -m tests.fuzz.badfiles OUTDIR`` writes the corpus to a folder, for trying it by hand.
"""

from __future__ import annotations

import io
import random
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image

AUDIO_BAD = ("invalid_audio", "unsupported_media_type", "audio_too_long", "audio_too_large")
DOC_BAD = ("document_invalid", "document_too_large", "no_document")


@dataclass(frozen=True)
class BadFile:
    name: str  # test id
    filename: str  # as uploaded (the extension may lie)
    content_type: str
    make: Callable[[], bytes]
    audio: tuple[str, ...] = ()  # /v1/transcribe: accepted error codes ("200" = must be read)
    document: tuple[str, ...] = ()  # /v1/documents: accepted error codes ("200" = must be read)
    notes: str = ""
    tags: frozenset[str] = field(default_factory=frozenset)


# --- builders ------------------------------------------------------------------------------------------------
def _rng(seed: int) -> random.Random:
    return random.Random(seed)


def random_bytes(n: int = 4096, seed: int = 1) -> bytes:
    return _rng(seed).randbytes(n)


def wav(seconds: float = 1.0, rate: int = 16000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    buf = io.BytesIO()
    sf.write(buf, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def wav_truncated() -> bytes:
    return wav()[:30]  # cut inside the fmt chunk


def wav_corrupt() -> bytes:
    data = bytearray(wav())
    data[20:36] = random_bytes(16, seed=2)  # the fmt chunk: format tag, channels, rate, block align all garbage
    return bytes(data)


def wav_ten_hours() -> bytes:
    """A WAV header that declares ten hours of 16 kHz mono PCM, followed by 200 bytes."""
    rate, seconds = 16000, 10 * 3600
    data_size = rate * 2 * seconds
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, rate, rate * 2, 2, 16)
    header = struct.pack("<4sI4s", b"RIFF", 4 + len(fmt) + 8 + data_size, b"WAVE") + fmt
    return header + struct.pack("<4sI", b"data", data_size) + random_bytes(200, seed=3)


def wav_ten_hours_long_body(seconds: float = 130.0) -> bytes:
    """The ten-hour header again, this time followed by ``seconds`` of noise (over the 120 s limit)."""
    noise = (np.random.default_rng(9).standard_normal(int(seconds * 16000)) * 3000).astype("<i2").tobytes()
    return wav_ten_hours()[:-200] + noise


def mp3_garbage() -> bytes:
    """An ID3v2 tag and an MPEG-1 Layer III frame header, then garbage."""
    id3 = b"ID3\x04\x00\x00\x00\x00\x00\x00"
    return id3 + b"\xff\xfb\x90\x64" + random_bytes(3000, seed=4)


def png(w: int = 400, h: int = 300) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), "white").save(buf, format="PNG")
    return buf.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_bomb(side: int = 100_000) -> bytes:
    """A PNG that declares side × side pixels (10 gigapixels at the default) with a few hundred bytes of data:
    the IDAT is a zlib stream of zeros, so a decoder that trusted the header would allocate 30 GB."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 100_000, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def png_bad_crc() -> bytes:
    data = bytearray(png())
    i = data.index(b"IDAT")
    length = struct.unpack(">I", data[i - 4 : i])[0]
    data[i + 4 + length] ^= 0xFF  # first byte of the IDAT CRC
    return bytes(data)


def jpeg(w: int = 400, h: int = 300) -> bytes:
    buf = io.BytesIO()
    arr = (np.random.default_rng(5).random((h, w, 3)) * 255).astype(np.uint8)
    Image.fromarray(arr).save(buf, format="JPEG", quality=80)
    return buf.getvalue()


def jpeg_truncated() -> bytes:
    data = jpeg()
    return data[: len(data) // 2]


def jpeg_truncated_with_eoi() -> bytes:
    """A JPEG cut in half with an end-of-image marker glued on (defeats a tail check alone)."""
    data = jpeg()
    return data[: len(data) // 3] + b"\xff\xd9"


def gif_garbage() -> bytes:
    return b"GIF89a" + struct.pack("<HH", 640, 480) + b"\xf7\x00\x00" + random_bytes(500, seed=6)


def tiff_garbage() -> bytes:
    return b"II*\x00" + struct.pack("<I", 8) + random_bytes(600, seed=7)


def heic_like() -> bytes:
    """An ISO-BMFF 'ftyp heic' box, as an iPhone photo starts, then garbage (HEIC is not a supported format)."""
    return struct.pack(">I4s4sI", 24, b"ftyp", b"heic", 0) + b"mif1heic" + random_bytes(2000, seed=8)


def _pdf(objects: list[bytes], trailer_extra: bytes = b"", root: int = 1) -> bytes:
    """A PDF with a correct cross-reference table from numbered object bodies (object n = objects[n-1])."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R " % (len(objects) + 1, root) + trailer_extra + b">>\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _text_page_objects(text: bytes, extra_catalog: bytes = b"") -> list[bytes]:
    stream = b"BT /F1 24 Tf 72 700 Td (" + text + b") Tj ET"
    return [
        b"<< /Type /Catalog /Pages 2 0 R " + extra_catalog + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]


def pdf_text(text: bytes = b"Business licence of Daoban Technology Co Ltd") -> bytes:
    return _pdf(_text_page_objects(text))


def pdf_encrypted() -> bytes:
    """Standard security handler (RC4 40-bit) with a user password: no reader opens it without the password."""
    objs = _text_page_objects(b"secret")
    objs.append(b"<< /Filter /Standard /V 1 /R 2 /O <" + b"ab" * 32 + b"> /U <" + b"cd" * 32 + b"> /P -4 >>")
    ident = b"<" + b"0123456789abcdef" * 2 + b">"
    return _pdf(objs, trailer_extra=b"/Encrypt 6 0 R /ID [" + ident + b" " + ident + b"] ")


def pdf_zero_pages() -> bytes:
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def pdf_truncated() -> bytes:
    data = pdf_text()
    return data[: len(data) // 3]


def pdf_many_pages(n: int = 500) -> bytes:
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(n))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % n]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"] * n
    return _pdf(objs)


def pdf_javascript() -> bytes:
    """A text PDF whose catalog runs JavaScript on open (and names a launch action); a reader must not run it."""
    js = b"/OpenAction << /S /JavaScript /JS (app.alert('pwned'); this.exportDataObject({cName: 'x', nLaunch: 2});) >>"
    names = b"/AA << /WC << /S /Launch /F (cmd.exe) >> >>"
    return _pdf(_text_page_objects(b"Lease contract for the registered address", js + b" " + names))


def zip_bomb_docx(uncompressed_mb: int = 512) -> bytes:
    """A .docx-shaped zip whose word/document.xml inflates from ~0.5 MB to ``uncompressed_mb`` MB (half a
    gigabyte by default). Built by repeating one flushed deflate block, so it costs a CRC pass, not a deflate pass."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = b"\0" * (1 << 20)
    piece = comp.compress(block) + comp.flush(zlib.Z_FULL_FLUSH)  # byte-aligned, dictionary reset: repeatable
    body = piece * uncompressed_mb + comp.flush(zlib.Z_FINISH)
    crc = 0
    one = zlib.crc32(block)
    for _ in range(uncompressed_mb):
        crc = zlib.crc32(block, crc) if crc else one
    size = uncompressed_mb << 20
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
    head = out.getvalue()
    head = head[: head.index(b"PK\x01\x02")]  # keep the first entry's local header and data only
    name = b"word/document.xml"
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(body), size, len(name), 0)
    first_cd = zipfile.ZipFile(io.BytesIO(out.getvalue())).infolist()[0]
    off2 = len(head)
    data = head + local + name + body
    cd1 = (
        struct.pack(
            "<4sHHHHHHIIIHHHHHII",
            b"PK\x01\x02",
            20,
            20,
            0,
            0,
            0,
            0x21,
            first_cd.CRC,
            first_cd.compress_size,
            first_cd.file_size,
            len(first_cd.filename),
            0,
            0,
            0,
            0,
            0,
            0,
        )
        + first_cd.filename.encode()
    )
    cd2 = (
        struct.pack(
            "<4sHHHHHHIIIHHHHHII",
            b"PK\x01\x02",
            20,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            len(body),
            size,
            len(name),
            0,
            0,
            0,
            0,
            0,
            off2,
        )
        + name
    )
    cd_off = len(data)
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 2, 2, len(cd1) + len(cd2), cd_off, 0)
    return data + cd1 + cd2 + eocd


def text_file() -> bytes:
    return "注册资本要一次交齐吗？\nDo I need to pay the registered capital at once?\n".encode()


# --- the corpus ----------------------------------------------------------------------------------------------
def corpus() -> list[BadFile]:
    return [
        BadFile("zero_length", "empty.wav", "audio/wav", lambda: b"", AUDIO_BAD, DOC_BAD),
        BadFile("wav_truncated", "q.wav", "audio/wav", wav_truncated, AUDIO_BAD, DOC_BAD),
        BadFile("wav_corrupt_fmt", "q.wav", "audio/wav", wav_corrupt, AUDIO_BAD, DOC_BAD),
        BadFile(
            "wav_ten_hour_header",
            "q.wav",
            "audio/wav",
            wav_ten_hours,
            ("200",),
            DOC_BAD,
            notes="declares 10 h of PCM, carries 200 bytes: decoded as the 6 ms it holds (no_speech). Streaming "
            "recorders write such placeholder sizes, so a lying header alone is no reason to refuse",
        ),
        BadFile(
            "wav_ten_hour_header_long_body",
            "q.wav",
            "audio/wav",
            wav_ten_hours_long_body,
            ("audio_too_long",),
            DOC_BAD,
            notes="the same header over 130 s of noise: over the 120 s limit",
        ),
        BadFile("mp3_header_garbage", "q.mp3", "audio/mpeg", mp3_garbage, AUDIO_BAD, DOC_BAD),
        BadFile("png_as_wav", "q.wav", "audio/wav", png, AUDIO_BAD, ("200", *DOC_BAD), notes="wrong extension"),
        BadFile("wav_as_jpg", "photo.jpg", "image/jpeg", wav, ("unsupported_media_type",), DOC_BAD),
        BadFile("text_as_mp3", "q.mp3", "audio/mpeg", text_file, AUDIO_BAD, DOC_BAD),
        BadFile("text_file", "notes.txt", "text/plain", text_file, ("unsupported_media_type",), DOC_BAD),
        BadFile("random_bytes", "blob.bin", "application/octet-stream", random_bytes, AUDIO_BAD, DOC_BAD),
        BadFile("png_decompression_bomb", "id.png", "image/png", png_bomb, AUDIO_BAD, ("document_too_large",)),
        BadFile("png_bad_crc", "id.png", "image/png", png_bad_crc, AUDIO_BAD, ("document_invalid",)),
        BadFile("jpeg_truncated", "id.jpg", "image/jpeg", jpeg_truncated, AUDIO_BAD, ("document_invalid",)),
        BadFile(
            "jpeg_truncated_with_eoi",
            "id.jpg",
            "image/jpeg",
            jpeg_truncated_with_eoi,
            AUDIO_BAD,
            ("200",),
            notes="crafted: libjpeg decodes the first third and fills the rest grey; read, not refused",
        ),
        BadFile("gif_garbage", "id.gif", "image/gif", gif_garbage, AUDIO_BAD, ("document_invalid",)),
        BadFile("tiff_garbage", "id.tiff", "image/tiff", tiff_garbage, AUDIO_BAD, ("document_invalid",)),
        BadFile("heic_like", "IMG_0001.HEIC", "image/heic", heic_like, AUDIO_BAD, ("document_invalid",)),
        BadFile("pdf_encrypted", "lease.pdf", "application/pdf", pdf_encrypted, AUDIO_BAD, ("document_invalid",)),
        BadFile("pdf_zero_pages", "lease.pdf", "application/pdf", pdf_zero_pages, AUDIO_BAD, ("document_invalid",)),
        BadFile("pdf_truncated", "lease.pdf", "application/pdf", pdf_truncated, AUDIO_BAD, ("document_invalid",)),
        BadFile("pdf_500_pages", "lease.pdf", "application/pdf", pdf_many_pages, AUDIO_BAD, ("document_too_large",)),
        BadFile(
            "pdf_javascript",
            "lease.pdf",
            "application/pdf",
            pdf_javascript,
            AUDIO_BAD,
            ("200",),
            notes="read from its text layer; the script is never run (pdfium has no JS engine without a form env)",
        ),
        BadFile(
            "zip_bomb_docx",
            "articles.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            zip_bomb_docx,
            AUDIO_BAD,
            ("document_invalid",),
        ),
    ]


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "var/badfiles")
    out.mkdir(parents=True, exist_ok=True)
    for bf in corpus():
        data = bf.make()
        (out / f"{bf.name}__{bf.filename}").write_bytes(data)
        print(f"{bf.name:28} {len(data):>10} bytes  {bf.filename}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
