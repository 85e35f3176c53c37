"""DOCX (zip + WordprocessingML, read with the standard library): paragraphs in document order, tables
included; Title / Heading n styles (or an outline level) become headings."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import Path
from xml.etree import ElementTree as ET

from assistant.ports import OcrEngine
from ingestion.document import Block, Document, LoadError, clean, read_bytes

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_RE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)
MAX_PART_BYTES = 64 * 1024 * 1024  # an inflated XML part; more is a zip bomb, not a document


def _read_part(zf: zipfile.ZipFile, name: str) -> bytes:
    """A part of the package, refused before inflating when its declared size is over the limit (zipfile never
    inflates past the declared size, so the check holds for a lying header too)."""
    if zf.getinfo(name).file_size > MAX_PART_BYTES:
        raise LoadError(
            f"DOCX 文件中的 {name} 解压后超过 {MAX_PART_BYTES // 2**20} MB，疑似压缩炸弹，已拒绝",
            f"{name} in the DOCX inflates to over {MAX_PART_BYTES // 2**20} MB (a zip bomb); refused",
        )
    return zf.read(name)


def _style_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """styleId → style name (Chinese Word uses ids such as "1" for the style named "heading 1")."""
    if "word/styles.xml" not in zf.namelist():
        return {}
    root = ET.fromstring(_read_part(zf, "word/styles.xml"))
    out = {}
    for style in root.iter(f"{W}style"):
        name = style.find(f"{W}name")
        if name is not None:
            out[style.get(f"{W}styleId", "")] = name.get(f"{W}val", "")
    return out


def _level(p: ET.Element, names: dict[str, str]) -> int:
    ppr = p.find(f"{W}pPr")
    if ppr is None:
        return 0
    outline = ppr.find(f"{W}outlineLvl")
    if outline is not None and (val := outline.get(f"{W}val", "")).isdigit() and int(val) < 6:
        return int(val) + 1
    style = ppr.find(f"{W}pStyle")
    if style is None:
        return 0
    sid = style.get(f"{W}val", "")
    name = names.get(sid, sid)
    if name.lower() in ("title", "标题"):
        return 1
    m = _HEADING_RE.match(name) or _HEADING_RE.match(sid)
    return min(int(m.group(1)), 6) if m else 0


def _text(p: ET.Element) -> str:
    parts = []
    for node in p.iter():
        if node.tag == f"{W}t" and node.text:
            parts.append(node.text)
        elif node.tag in (f"{W}tab", f"{W}br"):
            parts.append(" ")
    return clean("".join(parts))


def load(path: Path, ocr: OcrEngine | None = None) -> Document:
    try:
        with zipfile.ZipFile(io.BytesIO(read_bytes(path))) as zf:
            names = _style_names(zf)
            root = ET.fromstring(_read_part(zf, "word/document.xml"))
    except (zipfile.BadZipFile, KeyError, ET.ParseError, zlib.error, EOFError, NotImplementedError) as exc:
        raise LoadError("DOCX 文件损坏或不是 Word 文档", "corrupt DOCX or not a Word document") from exc
    except RuntimeError as exc:  # zipfile: "File ... is encrypted, password required for extraction"
        raise LoadError("DOCX 文件已加密，请先取消密码保护", "encrypted DOCX: remove the password first") from exc
    blocks = [Block(t, _level(p, names)) for p in root.iter(f"{W}p") if (t := _text(p))]
    first = next((i for i, b in enumerate(blocks) if b.level == 1), None)
    if first is None:
        return Document(blocks)
    return Document(blocks[:first] + blocks[first + 1 :], title=blocks[first].text)
