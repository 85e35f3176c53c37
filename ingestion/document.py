"""The format-neutral document every loader produces, and the error a loader raises for a bad file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_BYTES = 50 * 1024 * 1024
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"), None)


class LoadError(Exception):
    """A file that cannot be ingested; the reason is shown to the operator (Chinese, English)."""

    def __init__(self, reason_zh: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_zh = reason_zh
        self.reason_en = reason_en


@dataclass(frozen=True)
class Block:
    text: str
    level: int = 0  # 0: a paragraph; 1-6: a heading of that depth (# … ######, <h1>…<h6>, Heading 1…6)


@dataclass
class Document:
    blocks: list[Block] = field(default_factory=list)
    title: str = ""  # from the format's own title (Markdown "# ", <title>/<h1>, the Title style)
    preamble: str = ""  # front matter before the body (a law's 通过/修正 history), searched for dates
    is_law: bool = False  # the format itself says so (Markdown with <!-- INFO END -->)


def clean(line: str) -> str:
    """Strip zero-width characters and surrounding whitespace."""
    return line.translate(_INVISIBLE).strip()


def read_bytes(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise LoadError(
            f"文件过大（{size // 2**20} MB，上限 {MAX_FILE_BYTES // 2**20} MB）",
            f"file too large ({size // 2**20} MB, limit {MAX_FILE_BYTES // 2**20} MB)",
        )
    if size == 0:
        raise LoadError("文件为空", "empty file")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise LoadError("无法读取文件", f"cannot read the file ({exc.strerror or type(exc).__name__})") from exc


def decode(data: bytes, encoding: str | None = None) -> str:
    """UTF-8 (with or without BOM), else GB18030; binary content is refused."""
    if b"\x00" in data[:8192]:
        raise LoadError("不是文本文件（含二进制内容）", "not a text file (binary content)")
    for enc in [e for e in (encoding, "utf-8-sig", "gb18030") if e]:
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f")
        if controls > 8:
            break
        return text
    raise LoadError("文件编码无法识别（应为 UTF-8 或 GB18030）", "unknown text encoding (expected UTF-8 or GB18030)")
