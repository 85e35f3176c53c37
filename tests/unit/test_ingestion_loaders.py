"""Loaders (Markdown, text, HTML, PDF, DOCX, CSV, JSONL) and the legal-structure chunker, on real files."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from assistant.retrieval import basis_refs
from assistant.settings import PROJECT_ROOT
from ingestion.document import Block
from ingestion.laws import LawStatus
from ingestion.pipeline import SourceFile, chunks_of
from ingestion.structure import LawMeta, law_chunks

pytestmark = pytest.mark.unit
KNOWLEDGE = PROJECT_ROOT / "knowledge"

# One law in three container formats: they must chunk the same way.
LAW_LINES = [
    "中华人民共和国示例法",
    "2018年10月26日 第一次修正",
    "2023年12月29日 第十四届全国人民代表大会常务委员会第七次会议修订",
    "第一编 总则",
    "第一章 一般规定",
    "第一条 为了示例，制定本法。",
    "第二条 本法所称公司，是指有限责任公司。",
    "公司的合法权益受法律保护。",
    "第二章 公司登记",
    "第一节 设立登记",
    "第三条 设立公司，应当依法向公司登记机关申请设立登记。",
    "第三条之一 设立登记可以通过网上办理。",
    "第二节 变更登记",
    "第四条 公司登记事项发生变更的，应当依法办理变更登记。",
]


def law_html() -> str:
    head = f"<h1>{LAW_LINES[0]}</h1>" + "".join(f"<p>{x}</p>" for x in LAW_LINES[1:3])
    body = "".join(f"<p><b>{x[:3]}</b>{x[3:]}</p>" if x.startswith("第一条") else f"<p>{x}</p>" for x in LAW_LINES[3:])
    return (
        "<html><head><title>示例法 - 法规库</title><style>p{color:red}</style><script>var x = '第九条 伪造';</script>"
        f"</head><body><nav><a>首页</a><a>第八条 导航</a></nav>{head}{body}<footer>版权所有</footer></body></html>"
    )


def docx_bytes(paragraphs: list[tuple[str, str | None]]) -> bytes:
    """A minimal .docx (zip of WordprocessingML): (text, style id or None) per paragraph."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    ppr = '<w:pPr><w:pStyle w:val="{}"/></w:pPr>'
    body = "".join(
        f"<w:p>{ppr.format(style) if style else ''}<w:r><w:t>{text}</w:t></w:r></w:p>" for text, style in paragraphs
    )
    styles = (
        f'<w:styles xmlns:w="{w}"><w:style w:styleId="1"><w:name w:val="heading 1"/></w:style>'
        f'<w:style w:styleId="2"><w:name w:val="heading 2"/></w:style></w:styles>'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("word/document.xml", f'<w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>')
        zf.writestr("word/styles.xml", styles)
    return buf.getvalue()


def html_pdf(markup: str, path: Path) -> Path:
    import weasyprint

    path.parent.mkdir(parents=True, exist_ok=True)
    weasyprint.HTML(string=markup).write_pdf(path)
    return path


def chunks(path: Path, ocr: object = None, kind: str = "guide") -> list:
    status = LawStatus(KNOWLEDGE, [path.stem])
    return chunks_of(SourceFile(path, f"{path.parent.name}/{path.name}", kind), status, ocr)  # type: ignore[arg-type]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def assert_example_law(got: list, doc: str) -> None:
    assert [c.article for c in got] == ["第一条", "第二条", "第三条", "第三条之一", "第四条"]
    assert got[1].text == "第二条 本法所称公司，是指有限责任公司。\n公司的合法权益受法律保护。"
    assert got[0].chapter == "第一编 总则 / 第一章 一般规定" and got[0].section == ""
    assert got[2].chapter == "第一编 总则 / 第二章 公司登记" and got[2].section == "第一节 设立登记"
    assert got[4].section == "第二节 变更登记"
    assert {c.title for c in got} == {"中华人民共和国示例法"}
    assert {c.source for c in got} == {"示例法"} and {c.version for c in got} == {"2023-12-29"}
    assert {c.doc for c in got} == {doc} and {c.kind for c in got} == {"law"}
    assert all(c.id.startswith("law:示例法:") for c in got) and len({c.id for c in got}) == 5


def test_plain_text_law_chunks_by_article_with_divisions(tmp_path: Path) -> None:
    assert_example_law(chunks(write(tmp_path / "laws" / "示例法.txt", "\n".join(LAW_LINES))), "laws/示例法.txt")


def test_gb18030_text_is_decoded(tmp_path: Path) -> None:
    p = tmp_path / "laws" / "示例法.txt"
    p.parent.mkdir()
    p.write_bytes("\n".join(LAW_LINES).encode("gb18030"))
    assert_example_law(chunks(p), "laws/示例法.txt")


def test_html_law_drops_scripts_and_navigation_and_chunks_like_markdown(tmp_path: Path) -> None:
    got = chunks(write(tmp_path / "laws" / "示例法.html", law_html()))
    assert_example_law(got, "laws/示例法.html")
    assert got[0].text == "第一条 为了示例，制定本法。"  # <b>第一条</b> inline stays one paragraph
    assert not any("伪造" in c.text or "导航" in c.text or "版权" in c.text for c in got)


def test_pdf_text_layer_rejoins_wrapped_lines(tmp_path: Path) -> None:
    long = "第五条 " + "公司应当依法经营，" * 12 + "接受监督。"
    markup = (
        "<html><body style=\"font-family: 'Noto Serif CJK SC'; width: 260px\">"
        + "".join(f"<p>{x}</p>" for x in [*LAW_LINES, long, "- 2 -"])
        + "</body></html>"
    )
    got = chunks(html_pdf(markup, tmp_path / "laws" / "示例法.pdf"))
    assert_example_law(got[:5], "laws/示例法.pdf")
    assert got[5].text == long  # wrapped over several lines, joined back; the page number is dropped


class ScriptedOcr:
    """A deterministic OcrEngine: returns the given lines for every image it is shown."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.images: list[bytes] = []

    def read(self, image: bytes) -> list[tuple[str, float, list[list[float]]]]:
        self.images.append(image)
        return [(t, 0.99, [[0.0, float(i)], [1.0, float(i)]]) for i, t in enumerate(self.lines)]


def scanned_pdf(path: Path) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (300, 200), "white").save(path, format="PDF")
    return path


def test_scanned_pdf_goes_through_the_ocr_port(tmp_path: Path) -> None:
    ocr = ScriptedOcr(LAW_LINES)
    got = chunks(scanned_pdf(tmp_path / "laws" / "示例法.pdf"), ocr)
    assert_example_law(got, "laws/示例法.pdf")
    assert len(ocr.images) == 1 and ocr.images[0].startswith(b"\x89PNG")


def test_docx_headings_become_sections(tmp_path: Path) -> None:
    p = tmp_path / "guides" / "开办指南.docx"
    p.parent.mkdir()
    p.write_bytes(
        docx_bytes(
            [
                ("开办企业指南", "1"),
                ("申请材料", "2"),
                ("申请书、身份证明、住所证明。", None),
                ("办理时限", "2"),
                ("材料齐全的，当场办结。", None),
                ("一般不超过三个工作日。", None),
            ]
        )
    )
    got = chunks(p)
    assert [c.article for c in got] == ["申请材料", "办理时限"]
    assert got[1].text == "办理时限\n材料齐全的，当场办结。\n一般不超过三个工作日。"
    assert {c.title for c in got} == {"开办企业指南"} and {c.kind for c in got} == {"guide"}
    assert got[0].id == "guide:开办指南:申请材料"


def test_docx_law_uses_the_same_chunker(tmp_path: Path) -> None:
    p = tmp_path / "laws" / "示例法.docx"
    p.parent.mkdir()
    p.write_bytes(docx_bytes([(LAW_LINES[0], "1"), *((x, None) for x in LAW_LINES[1:])]))
    assert_example_law(chunks(p), "laws/示例法.docx")


def test_plain_text_without_articles_is_grouped_into_passages(tmp_path: Path) -> None:
    paras = [f"第{i}段：" + "营业执照遗失的，可以申请补领。" * 8 for i in range(10)]  # ~125 chars each
    got = chunks(write(tmp_path / "notes" / "说明.txt", "\n\n".join(paras)))
    assert 2 <= len(got) <= 4 and all(len(c.text) <= 520 for c in got)
    assert "\n".join(c.text for c in got) == "\n".join(paras)  # nothing lost, order kept
    assert [c.id for c in got] == [f"guide:说明:{i}" for i in range(1, len(got) + 1)]


def test_markdown_faq_in_a_faq_folder(tmp_path: Path) -> None:
    md = "# 常见问题：名称\n\n> 整理说明。\n\n## 名称能用英文吗\n不能，应当使用规范汉字。\n"
    md += "依据：《企业名称登记管理规定》第八条。\n"
    got = chunks(write(tmp_path / "faq" / "名称.md", md), kind="faq")
    assert [(c.id, c.kind, c.source) for c in got] == [("faq:名称:名称能用英文吗", "faq", "常见问题：名称")]
    assert basis_refs(got[0].text) == [("企业名称登记管理规定", "第八条")]


COMPLAINT = {
    "id": "GD12345-2026-0001",
    "synthetic": True,
    "received": "2026-03-02",
    "channel": "12345热线",
    "category": "答不到点上",
    "problem": "注册资本期限",
    "topic": "公司设立",
    "question": "注册资本是不是要一次交齐",
    "ticket": "网上客服答非所问。",
    "resolution": "解释认缴出资应自公司成立之日起五年内缴足。",
    "basis": ["《公司法》第四十七条", "《国务院关于实施《公司法》注册资本登记管理制度的规定》第二条"],
}


def test_jsonl_complaint_records(tmp_path: Path) -> None:
    second = {**COMPLAINT, "id": "GD12345-2026-0002", "basis": []}
    lines = [json.dumps(COMPLAINT, ensure_ascii=False), "", json.dumps(second, ensure_ascii=False)]
    got = chunks(write(tmp_path / "complaints" / "2026.jsonl", "\n".join(lines)))
    c = got[0]
    assert (c.id, c.kind, c.source, c.article) == (
        "complaint:GD12345-2026-0001",
        "complaint",
        "12345工单",
        COMPLAINT["id"],
    )
    assert c.text.splitlines()[:3] == [
        "问：注册资本是不是要一次交齐",
        "投诉：网上客服答非所问。",
        f"处理：{COMPLAINT['resolution']}",
    ]
    assert basis_refs(c.text) == [
        ("公司法", "第四十七条"),
        ("国务院关于实施《公司法》注册资本登记管理制度的规定", "第二条"),
    ]
    assert c.version == "2026-03-02" and c.chapter == "答不到点上 / 注册资本期限" and c.doc == "complaints/2026.jsonl"
    assert "依据" not in got[1].text


def test_csv_faq_rows_with_chinese_headers(tmp_path: Path) -> None:
    csv_text = (
        "问题,答案,依据,主题\n个体户要交年报吗,要，每年1月1日至6月30日报送。,《促进个体工商户发展条例》第十七条,年报\n"
    )
    got = chunks(write(tmp_path / "faq" / "年报.csv", "\ufeff" + csv_text))
    assert [(c.id, c.kind, c.title) for c in got] == [("faq:年报:个体户要交年报吗", "faq", "常见问题：年报")]
    assert got[0].text.endswith("依据：《促进个体工商户发展条例》第十七条")


def test_chunker_keeps_multi_paragraph_articles_and_numbers_repeats() -> None:
    meta = LawMeta(stem="示例法", title="示例法", source="示例法", version="", status="current", doc="laws/x.md")
    blocks = [
        Block("第一章 总则", 2),
        Block("第一条 第一款。"),
        Block("第二款。"),
        Block("（一）第一项；"),
        Block("第一条 重复编号的条文。"),
        Block("附则", 2),
        Block("第二条 附则条文。"),
    ]
    got = law_chunks(blocks, meta)
    assert [c.id for c in got] == ["law:示例法:第一条", "law:示例法:第一条-1", "law:示例法:第二条"]
    assert got[0].text == "第一条 第一款。\n第二款。\n（一）第一项；"
    assert got[2].chapter == "附则"  # an unnumbered second-level heading is a chapter


def test_ids_and_hashes_are_stable_across_runs(tmp_path: Path) -> None:
    p = write(tmp_path / "laws" / "示例法.txt", "\n".join(LAW_LINES))
    first, second = chunks(p), chunks(p)
    assert [(c.id, c.content_hash) for c in first] == [(c.id, c.content_hash) for c in second]
    p.write_text("\n".join(LAW_LINES).replace("制定本法", "制定本法律"), encoding="utf-8")
    changed = {c.id for a, c in zip(first, chunks(p), strict=True) if a.content_hash != c.content_hash}
    assert changed == {"law:示例法:第一条"}


def test_superseded_edition_in_any_format(tmp_path: Path) -> None:
    old = write(tmp_path / "laws" / "示例法(2018-10-26).txt", "\n".join(LAW_LINES[3:]))
    status = LawStatus(KNOWLEDGE, ["示例法(2018-10-26)", "示例法(2023-12-29)"])
    got = chunks_of(SourceFile(old, "laws/示例法(2018-10-26).txt", "guide"), status)
    assert {c.status for c in got} == {"superseded"} and {c.version for c in got} == {"2018-10-26"}
    assert {c.title for c in got} == {"示例法"}  # no title line in the file: the name from the file name


def test_a_law_file_ingested_alone_is_judged_against_its_sibling_editions(tmp_path: Path) -> None:
    from ingestion.pipeline import load

    old = write(tmp_path / "laws" / "示例法(2018-10-26).txt", "\n".join(LAW_LINES[3:]))
    write(tmp_path / "laws" / "示例法(2023-12-29).txt", "\n".join(LAW_LINES[3:]))
    got = load([old], KNOWLEDGE).chunks
    assert got and {c.status for c in got} == {"superseded"} and {c.doc for c in got} == {"laws/示例法(2018-10-26).txt"}
