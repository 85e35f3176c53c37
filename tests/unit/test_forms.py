"""Documents rendered from an Application: application form, confirmation sheet, articles of association."""

from __future__ import annotations

import contextlib
import copy
import json
import re
import zlib
from typing import Any

import pytest

from assistant.approval.model import Application, Decision, Finding
from assistant.errors import UserError
from assistant.forms import render_document
from assistant.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit

BASE: dict[str, Any] = json.loads((PROJECT_ROOT / "eval/datasets/approval/base_llc.json").read_text(encoding="utf-8"))


def make(entity_type: str = "有限责任公司", **changes: Any) -> Application:
    d = copy.deepcopy(BASE)
    if entity_type == "股份有限公司":
        d["proposed_name"] = "广州青禾软件股份有限公司"
        d["name_parts"]["form"] = "股份有限公司"
        d["promoters"] = d.pop("shareholders")
        d.update(establishment_method="发起设立", share_type="普通股", par_value_yuan=1,
                 shares_issued_at_establishment=1000000)  # fmt: skip
    elif entity_type == "个人独资企业":
        d["proposed_name"] = "广州青禾软件开发中心"
        d["name_parts"]["form"] = "中心"
        inv = d.pop("shareholders")[0]
        d["investor"] = {k: inv[k] for k in ("name", "id_type", "id_number", "contribution_wan", "method")}
        for k in ("directors", "manager", "legal_rep", "supervisor", "registered_capital_wan"):
            d.pop(k, None)
    elif entity_type == "个体工商户":
        d["proposed_name"] = "广州市天河区青禾软件工作室"
        d["business_premises"] = d.pop("domicile")
        op = d.pop("shareholders")[0]
        d["operator"] = {k: op[k] for k in ("name", "id_type", "id_number")}
        d["composition"] = "个人经营"
        d["registered_capital_wan"] = 5
        for k in ("directors", "manager", "legal_rep", "supervisor", "name_parts"):
            d.pop(k, None)
    d["entity_type"] = entity_type
    d.update(changes)
    return Application.model_validate(d)


def two_findings() -> Decision:
    return Decision(
        decision="review",
        findings=[
            Finding(rule="consistency.x", severity="review", field="domicile", message="住所需要人工核实。",
                    legal_basis="市场主体登记管理条例 第十一条", remedy="请上传租赁合同。"),
            Finding(rule="scope.y", severity="hint", field="business_scope", message="经营范围建议使用规范表述。",
                    legal_basis="市场主体登记管理条例实施细则 第十二条", remedy="请按规范目录选择表述。"),
        ],
    )  # fmt: skip


def html(kind: str, app: Application, decision: Decision | None = None, **kw: Any) -> str:
    return render_document(kind, app, decision, **kw).decode("utf-8")  # type: ignore[arg-type]


def pdf_objects(pdf: bytes) -> bytes:
    """The PDF plus its inflated streams (weasyprint compresses object streams)."""
    parts = [pdf]
    for m in re.finditer(rb"stream\r?\n", pdf):
        end = pdf.find(b"endstream", m.end())
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompress(pdf[m.end() : end]))
    return b"\n".join(parts)


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf_objects(pdf)))


@pytest.mark.parametrize("entity_type", ["有限责任公司", "股份有限公司", "个人独资企业", "个体工商户"])
def test_form_shows_key_values(entity_type: str) -> None:
    app = make(entity_type)
    text = html("form", app)
    title = "个体工商户登记（备案）申请书" if entity_type == "个体工商户" else "公司登记（备案）申请书"
    assert title in text
    assert app.proposed_name and app.proposed_name in text
    assert "体育西路103号" in text
    assert "软件开发" in text and "13800138000" in text
    if entity_type == "个体工商户":
        assert "陈明" in text and "个人经营" in text
    elif entity_type == "个人独资企业":
        assert "陈明" in text
    else:
        assert "陈明" in text and "李芳" in text and "440104199007052465" in text


@pytest.mark.parametrize("entity_type", ["有限责任公司", "股份有限公司", "个人独资企业", "个体工商户"])
def test_confirmation_shows_key_values_and_conclusion(entity_type: str) -> None:
    app = make(entity_type)
    text = html("confirmation", app, two_findings(), sources={"domicile": "租赁合同OCR", "business_premises": "对话"})
    assert "简明信息核对表" in text and app.proposed_name and app.proposed_name in text
    assert "审查结论：需人工复核" in text
    assert "住所需要人工核实" in text and "市场主体登记管理条例 第十一条" in text and "请上传租赁合同" in text
    assert ("租赁合同OCR" if entity_type != "个体工商户" else "对话") in text
    assert "申请人填写" in text  # default source


def test_blanks_are_marked_not_invented() -> None:
    app = make(phone=None, supervisor=None, manager=None)
    form = html("form", app)
    assert form.count("未填写") >= 5  # postcode, liaison, finance officer, phone, ...
    assert "13800138000" not in form
    conf = html("confirmation", app, Decision(decision="pass"))
    assert "联系电话未填写" in conf and "审查结论：通过" in conf
    arts = html("articles", app)
    assert "待申请人确认" in arts and "监督机构设置" in arts


def test_blank_required_fields_listed_on_confirmation() -> None:
    app = Application(entity_type="有限责任公司")
    text = html("confirmation", app)
    assert "审查结论：未审查" in text
    for label in ("名称未填写", "住所未填写", "股东未填写", "法定代表人未填写"):
        assert label in text


def test_values_are_escaped() -> None:
    evil = "<script>alert(1)</script>"
    sh = copy.deepcopy(BASE["shareholders"])
    sh[0]["name"] = evil
    app = make(shareholders=sh, proposed_name="广州<b>青禾</b>软件有限公司")
    for kind in ("form", "confirmation", "articles"):
        text = html(kind, app)
        assert "<script>" not in text and "&lt;script&gt;" in text
        assert "<b>青禾" not in text


def test_articles_llc_content() -> None:
    text = html("articles", make())
    assert "广州青禾软件有限公司章程" in text
    assert "自公司成立之日起五年内缴足" in text and "依据《公司法》第四十七条" in text
    assert "陈明" in text and "李芳" in text and "60.00%" in text and "2029-12-31" in text  # shareholder table
    assert "<table" in text
    assert "不设董事会，设董事一名" in text and "第七十五条" in text
    assert "设监事一名，由王强担任" in text
    assert "执行董事" not in text  # 2023 law: no more 执行董事
    assert "过半数同意" not in text  # old share-transfer consent rule
    assert "优先购买权" in text and "第八十四条" in text


def test_articles_board_single_shareholder_and_late_deadline() -> None:
    dirs = [
        {"name": "陈明", "position": "董事长"},
        {"name": "李芳", "position": "董事"},
        {"name": "赵云", "position": "董事"},
    ]
    sh = [dict(BASE["shareholders"][0], contribution_wan=100, subscription_deadline="2035-01-01")]
    text = html("articles", make(directors=dirs, shareholders=sh))
    assert "公司设董事会，成员3人" in text and "由陈明担任" in text
    assert "不设股东会" in text and "第六十条" in text
    assert "超出公司成立之日起五年" in text


def test_articles_jsc() -> None:
    text = html("articles", make("股份有限公司"))
    assert "广州青禾软件股份有限公司章程" in text and "发起设立" in text and "第九十五条" in text
    assert "认购股份数" in text and "陈明" in text


@pytest.mark.parametrize("entity_type", ["个体工商户", "个人独资企业"])
def test_articles_refused_for_non_companies(entity_type: str) -> None:
    with pytest.raises(UserError) as e:
        render_document("articles", make(entity_type))
    assert e.value.message_zh and e.value.message_en and e.value.message_zh != e.value.message_en


def test_pdf_confirmation_is_one_page_with_embedded_font() -> None:
    pdf = render_document("confirmation", make(), two_findings(), fmt="pdf")
    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) == 1
    objs = pdf_objects(pdf)
    assert b"/FontFile" in objs and b"/ToUnicode" in objs  # embedded and text-extractable


def test_pdf_form_and_articles() -> None:
    for kind in ("form", "articles"):
        pdf = render_document(kind, make(), fmt="pdf")
        assert pdf.startswith(b"%PDF") and page_count(pdf) >= 1
