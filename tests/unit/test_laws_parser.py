from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT
from ingestion.laws import LawStatus, load_laws, parse_law, split_stem
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.unit
KNOWLEDGE = PROJECT_ROOT / "knowledge"

LAW = """# 中华人民共和国示例法

2023年12月29日 通过

<!-- INFO END -->

\u200b

## 第一章 总 则

第一条 为了示例，制定本法。

第二条 本法所称公司，是指有限责任公司。

公司的合法权益受法律保护。

### 第一节 设立

第三条 设立公司，应当依法制定章程。
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_one_chunk_per_article_with_continuation_paragraphs(tmp_path: Path) -> None:
    p = write(tmp_path, "示例法(2023-12-29).md", LAW)
    chunks = list(parse_law(p, LawStatus(KNOWLEDGE, [p.stem])))
    assert [c.article for c in chunks] == ["第一条", "第二条", "第三条"]
    assert chunks[1].text == "第二条 本法所称公司，是指有限责任公司。\n公司的合法权益受法律保护。"
    assert chunks[0].title == "中华人民共和国示例法"
    assert chunks[0].source == "示例法" and chunks[0].version == "2023-12-29"
    assert chunks[2].chapter == "第一章 总 则"  # a section heading keeps the chapter
    assert len({c.id for c in chunks}) == 3 and all(c.content_hash for c in chunks)


def test_older_edition_of_the_same_law_is_superseded() -> None:
    status = LawStatus(KNOWLEDGE, ["示例法(2018-10-26)", "示例法(2023-12-29)", "其他法(2020-01-01)"])
    assert status.status("示例法(2018-10-26)") == "superseded"
    assert status.status("示例法(2023-12-29)") == "current"
    assert status.status("其他法(2020-01-01)") == "current"


def test_split_stem() -> None:
    assert split_stem("公司法(2023-12-29)") == ("公司法", "2023-12-29")
    assert split_stem("总则") == ("总则", "")


@pytest.mark.skipif(not DATA_DIR.exists(), reason="shared data not beside the checkout")
def test_real_corpus_statuses_and_counts() -> None:
    chunks = load_laws(DATA_DIR / "laws", KNOWLEDGE)
    company_2023 = [c for c in chunks if c.source == "公司法" and c.status == "current"]
    assert len(company_2023) == 266  # PROVENANCE: 公司法2023 = 266 articles
    art47 = next(c for c in company_2023 if c.article == "第四十七条")
    assert "五年内缴足" in art47.text and art47.version == "2024-07-01"
    superseded = {c.source for c in chunks if c.status == "superseded"}
    assert {"公司登记管理条例", "个体工商户条例", "企业法人登记管理条例"} <= superseded
    assert not any(c.source == "公司法" and c.version.startswith("2018") and c.status == "current" for c in chunks)
    assert any(c.source == "民法典" for c in chunks)  # alias for 总则.md
