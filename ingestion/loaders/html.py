"""HTML: visible text by block element; scripts, styles, navigation, headers and footers are dropped.

``<h1>``…``<h6>`` become headings (the first ``<h1>``, else ``<title>``, is the document title); every other
block element (p, div, li, tr, br …) ends a paragraph, so a law page chunks by article like the Markdown.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from assistant.ports import OcrEngine
from ingestion.document import Block, Document, LoadError, clean, decode, read_bytes

_SKIP = {"script", "style", "nav", "header", "footer", "aside", "noscript", "template", "svg", "button", "select"}
_BLOCK = {
    "p", "div", "li", "tr", "td", "th", "br", "section", "article", "main", "blockquote", "pre", "dd", "dt",
    "table", "ul", "ol", "form", "center", "hr", "body",
}  # fmt: skip
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_CHARSET_RE = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title = ""
        self._buf: list[str] = []
        self._skipping: list[str] = []  # open skipped elements (script, nav …)
        self._level = 0  # heading level being read
        self._in_title = False

    def _flush(self) -> None:
        text = clean(re.sub(r"[ \t\r\n\f\u00a0]+", " ", "".join(self._buf)))
        self._buf = []
        if text:
            self.blocks.append(Block(text, self._level))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping.append(tag)
        elif tag == "title":
            self._in_title = True
        elif tag in _HEADINGS:
            self._flush()
            self._level = _HEADINGS[tag]
        elif tag in _BLOCK:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in self._skipping:
            del self._skipping[len(self._skipping) - 1 - self._skipping[::-1].index(tag) :]
        elif tag == "title":
            self._in_title = False
        elif tag in _HEADINGS:
            self._flush()
            self._level = 0
        elif tag in _BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if self._in_title:
            self.title += data
        else:
            self._buf.append(data)


def parse(markup: str) -> Document:
    ex = _Extractor()
    ex.feed(markup)
    ex.close()
    ex._flush()
    blocks = ex.blocks
    first = next((i for i, b in enumerate(blocks) if b.level == 1), None)
    if first is not None:
        return Document(blocks[:first] + blocks[first + 1 :], title=blocks[first].text)
    return Document(blocks, title=clean(re.sub(r"\s+", " ", ex.title)))


def load(path: Path, ocr: OcrEngine | None = None) -> Document:
    data = read_bytes(path)
    m = _CHARSET_RE.search(data[:4096])
    declared = m.group(1).decode("ascii", "ignore").lower() if m else None
    if declared in ("gb2312", "gbk"):
        declared = "gb18030"
    markup = decode(data, declared)
    if "<" not in markup:
        raise LoadError("不是 HTML 文件", "not an HTML file")
    return parse(markup)
