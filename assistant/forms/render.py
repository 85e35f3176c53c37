"""Render the documents produced from an Application and its Decision: the prefilled standard application form,
the one-page confirmation sheet (简明信息核对表) and the articles of association (公司章程), as HTML or PDF.

Values are never invented: a field the application does not give is shown as 未填写 (or 不适用 where the form
section does not apply). Templates use Jinja2 with autoescape on; the PDF is made by weasyprint with embedded fonts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import jinja2

from assistant.approval.model import Application, Decision, Finding, Person, Shareholder
from assistant.errors import UserError
from assistant.forms.articles import compose_articles, fmt_wan

TEMPLATES = Path(__file__).parent / "templates"
FORM_FIELDS = Path("registration_forms") / "application_form_fields.json"
BLANK = "未填写"
NA = "不适用"
DEFAULT_SOURCE = "申请人填写"
COMPANY_TYPES = ("有限责任公司", "股份有限公司", "个人独资企业")

Kind = Literal["form", "confirmation", "articles"]
Fmt = Literal["html", "pdf"]

_REQUIRED: dict[str, tuple[str, ...]] = {
    "有限责任公司": (
        "proposed_name", "domicile", "registered_capital_wan", "business_scope", "shareholders", "legal_rep",
        "directors", "phone",
    ),
    "股份有限公司": (
        "proposed_name", "domicile", "registered_capital_wan", "business_scope", "promoters", "establishment_method",
        "shares_issued_at_establishment", "legal_rep", "directors", "phone",
    ),
    "个人独资企业": ("proposed_name", "domicile", "business_scope", "investor", "phone"),
    "个体工商户": ("business_premises", "business_scope", "operator", "composition", "phone"),
}  # fmt: skip
_LABELS = {
    "entity_type": "主体类型", "proposed_name": "名称", "domicile": "住所", "business_premises": "经营场所",
    "registered_capital_wan": "注册资本", "business_scope": "经营范围", "industry_code": "行业代码",
    "shareholders": "股东", "promoters": "发起人", "investor": "投资人", "operator": "经营者",
    "composition": "组成形式", "legal_rep": "法定代表人", "directors": "董事", "manager": "经理",
    "supervisor": "监事", "operating_period": "经营期限", "phone": "联系电话", "application_date": "申请日期",
    "establishment_method": "设立方式", "shares_issued_at_establishment": "设立时发行股份数",
    "domicile_district_code": "行政区划代码", "share_type": "股份类型", "par_value_yuan": "每股面额",
}  # fmt: skip
_CONCLUSION = {"pass": "通过", "review": "需人工复核", "block": "不予通过"}
_SEVERITY = {"block": "不予通过", "review": "需复核", "hint": "提示"}


@dataclass
class Cell:
    label: str
    value: str | None = None  # None = blank
    na: bool = False
    note: str = ""
    wide: bool = False


@dataclass
class Section:
    title: str
    cells: list[Cell] = field(default_factory=list)
    tables: list[tuple[str, list[list[str]]]] = field(default_factory=list)
    na_reason: str = ""
    sign: bool = False


# ----------------------------------------------------------------------------- shared helpers


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(BLANK=BLANK, NA=NA)
    return env


@lru_cache(maxsize=4)
def _load_form_fields(path: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
        return data
    except (OSError, ValueError):
        return {}


def _form_fields() -> dict[str, Any]:
    from assistant.settings import get_settings

    return _load_form_fields(str(get_settings().data_dir / FORM_FIELDS))


@lru_cache(maxsize=1)
def _font_config() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def _to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf(font_config=_font_config())
    return pdf


def _scope(app: Application) -> str | None:
    s = app.business_scope
    if s is None or not (s.一般项目 or s.许可项目):
        return None
    parts = []
    if s.一般项目:
        parts.append("一般项目：" + "；".join(s.一般项目))
    if s.许可项目:
        parts.append("许可项目：" + "；".join(s.许可项目))
    return "。".join(parts) + "。"


def _wan(x: float | None) -> str | None:
    return None if x is None else f"{fmt_wan(x)} 万元（人民币）"


def _is_blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    if isinstance(v, list):
        return len(v) == 0
    if isinstance(v, Person):
        return not v.name
    return v.__class__.__name__ == "BusinessScope" and not (v.一般项目 or v.许可项目)


def _holders(app: Application) -> list[Shareholder]:
    return app.promoters if app.entity_type == "股份有限公司" and app.promoters else app.shareholders


def _company_type(app: Application) -> str | None:
    et = app.entity_type
    if et is None:
        return None
    if et == "有限责任公司":
        hs = app.shareholders
        if len(hs) == 1 and hs[0].type == "自然人":
            return "有限责任公司（自然人独资）"
        if len(hs) == 1 and hs[0].type == "法人":
            return "有限责任公司（法人独资）"
        if hs and any(h.type == "自然人" for h in hs):
            return "有限责任公司（自然人投资或控股）"
        return "有限责任公司"
    if et == "股份有限公司":
        return "股份有限公司（非上市）"
    return et


def _gender_from_id(id_number: str | None) -> str | None:
    if id_number and re.fullmatch(r"\d{17}[\dXx]", id_number):
        return "男" if int(id_number[16]) % 2 else "女"
    return None


def _holder_table(app: Application) -> list[list[str]]:
    rows = [["姓名或名称", "证件类型", "证件号码", "认缴出资额（万元）", "出资方式", "出资日期", "持股比例"]]
    people = _holders(app)
    total = sum(p.contribution_wan or 0 for p in people)
    for p in people:
        ratio = f"{(p.contribution_wan or 0) / total * 100:.2f}%" if total and p.contribution_wan is not None else BLANK
        rows.append(
            [
                p.name or BLANK,
                p.id_type or BLANK,
                p.id_number or BLANK,
                fmt_wan(p.contribution_wan) or BLANK,
                p.method or BLANK,
                p.subscription_deadline or BLANK,
                ratio,
            ]
        )
    if app.entity_type == "个人独资企业" and app.investor:
        i = app.investor
        rows.append(
            [
                i.name or BLANK, i.id_type or BLANK, i.id_number or BLANK, fmt_wan(i.contribution_wan) or BLANK,
                i.method or BLANK, BLANK, "100%",
            ]
        )  # fmt: skip
    if len(rows) == 1:
        rows.append([BLANK] * 7)
    return rows


def _officer_table(app: Application) -> list[list[str]]:
    rows = [["姓名", "职务", "证件号码"]]
    for d in app.directors:
        rows.append([d.name or BLANK, d.position or "董事", d.id_number or BLANK])
    if app.manager:
        rows.append([app.manager, "经理", BLANK])
    if app.supervisor and app.supervisor.name:
        rows.append([app.supervisor.name, "监事", app.supervisor.id_number or BLANK])
    if len(rows) == 1:
        rows.append([BLANK, BLANK, BLANK])
    return rows


# ----------------------------------------------------------------------------- the application form


def _company_values(app: Application) -> dict[str, Cell]:
    sole = app.entity_type == "个人独资企业"
    lr = app.legal_rep
    subscribed = sum(h.contribution_wan or 0 for h in _holders(app)) if _holders(app) else None
    setup = app.application_type == "设立登记"
    capital = _wan(app.investor.contribution_wan if sole and app.investor else app.registered_capital_wan)
    c: dict[str, Cell] = {
        "name": Cell("名称", app.proposed_name),
        "uscc": Cell("统一社会信用代码", na=setup, note="设立登记不填写" if setup else ""),
        "domicile": Cell("住所", app.domicile, wide=True),
        "phone": Cell("联系电话", app.phone),
        "postcode": Cell("邮政编码"),
        "legal_rep_name": Cell("法定代表人姓名", lr.name if lr else None, na=sole, note="个人独资企业" if sole else ""),
        "legal_rep_position": Cell("法定代表人职务", lr.position if lr else None, na=sole),
        "registered_capital": Cell("出资额" if sole else "注册资本", capital),
        "company_type": Cell("企业类型" if sole else "公司类型", _company_type(app)),
        "establishment_method": Cell(
            "设立方式", app.establishment_method, na=app.entity_type != "股份有限公司", note="股份公司填写"
        ),
        "business_scope": Cell("经营范围", _scope(app), wide=True),
        "business_term": Cell("经营期限", app.operating_period),
        "paper_license_copies": Cell("申领纸质执照/副本数量", note="电子营业执照系统自动生成"),
        "officers": Cell(
            "董事、监事、高级管理人员",
            "；".join(f"{r[1]} {r[0]}" for r in _officer_table(app)[1:] if r[0] != BLANK) or None,
            na=sole,
            wide=True,
        ),
        "liaison": Cell("登记联络员"),
        "subscribed_capital": Cell("股东认缴出资数额", _wan(subscribed) if subscribed is not None else None, na=sole),
        "beneficial_owner": Cell("受益所有人信息"),
        "fie_service_agent": Cell("外商投资公司法律文件送达接受人", note="仅外商投资公司填写"),
        "articles": Cell(
            "章程",
            "随申请提交（见《公司章程》文档，待全体股东签署）" if not sole else None,
            na=sole,
        ),
        "branch": Cell("分公司", na=True),
        "liquidation_group": Cell("清算组", na=True),
        "legal_rep_info": Cell(
            "法定代表人信息",
            " ".join(x for x in [lr.name, lr.id_type, lr.id_number] if x) if lr and lr.name else None,
            na=sole,
            wide=True,
        ),
        "finance_officer": Cell("财务负责人信息"),
        "liaison_info": Cell("登记联络员信息"),
    }
    return c


def _ib_values(app: Application) -> dict[str, Cell]:
    op = app.operator
    setup = app.application_type == "设立登记"
    family = app.composition == "家庭经营"
    return {
        "name": Cell("名称（选填）", app.proposed_name),
        "uscc": Cell("统一社会信用代码", na=setup, note="设立登记不填写" if setup else ""),
        "phone": Cell("联系电话", app.phone),
        "postcode": Cell("邮政编码"),
        "business_premises": Cell("经营场所", app.business_premises or app.domicile, wide=True),
        "is_ecommerce": Cell("电子商务经营者（是/否）"),
        "capital_amount": Cell("出资额", _wan(app.registered_capital_wan)),
        "paper_license_copies": Cell("申领纸质执照/副本个数", note="电子执照系统自动生成"),
        "business_scope": Cell("经营范围", _scope(app), wide=True),
        "liaison": Cell("联络员"),
        "family_members": Cell("参加家庭经营的家庭成员姓名", na=not family),
        "operator_name": Cell("经营者姓名", op.name if op else None),
        "operator_gender": Cell(
            "经营者性别", _gender_from_id(op.id_number if op else None), note="据身份证号码" if op else ""
        ),
        "operator_ethnicity": Cell("经营者民族"),
        "operator_education": Cell("经营者文化程度"),
        "operator_political_status": Cell("经营者政治面貌"),
        "operator_id_type": Cell("经营者身份证件类型", op.id_type if op else None),
        "operator_id_number": Cell("经营者身份证件号码", op.id_number if op else None),
        "operator_phone": Cell("固定电话/移动电话", app.phone),
        "operator_occupation_status": Cell("职业状况"),
        "operator_residence": Cell("经营者住所", wide=True),
        "composition": Cell("组成形式", app.composition),
        "family_member_rows": Cell("参加经营的家庭成员信息", na=not family, wide=True),
    }


_SIGN_KEYS = {"agent_authority", "agent_contact", "applicant_signature"}
_TABLE_KEYS = {"shareholders": "股东（发起人）出资情况", "officer_info": "董事、监事、经理信息"}


def _section_applies(title: str, app: Application) -> tuple[bool, str]:
    t = app.application_type
    for marker, kind in (("仅设立", "设立登记"), ("仅变更", "变更登记"), ("仅注销", "注销登记")):
        if marker in title and t != kind:
            return False, f"本次为{t}，本栏不适用"
    return True, ""


def _build_form(app: Application) -> dict[str, Any]:
    ib = app.entity_type == "个体工商户"
    spec_key = (
        "individual_business_registration_filing_application" if ib else "company_registration_filing_application"
    )
    spec = _form_fields().get(spec_key) or {}
    values = _ib_values(app) if ib else _company_values(app)
    title = spec.get("official_name") or ("个体工商户登记（备案）申请书" if ib else "公司登记（备案）申请书")
    raw_sections = spec.get("sections") or [{"section": "基本信息", "fields": [{"key": k} for k in values]}]
    sections: list[Section] = []
    for rs in raw_sections:
        sec = Section(str(rs.get("section", "")))
        ok, why = _section_applies(sec.title, app)
        if not ok:
            sec.na_reason = why
            sections.append(sec)
            continue
        for f in rs.get("fields", []):
            key = f.get("key", "")
            if key in _SIGN_KEYS:
                sec.sign = True
                continue
            if key in _TABLE_KEYS and not ib:
                table = _holder_table(app) if key == "shareholders" else _officer_table(app)
                sec.tables.append((_TABLE_KEYS[key], table))
                continue
            cell = values.get(key)
            if cell is None:  # a form field the Application has no data for
                label = re.sub(r"（.*?）", "", str(f.get("label", key)))
                cell = Cell(label)
            sec.cells.append(cell)
        sections.append(sec)
    return {"title": title, "sections": sections, "app": app, "ib": ib}


# ----------------------------------------------------------------------------- confirmation sheet


def _field_of(f: Finding) -> str:
    return re.split(r"[.\[]", f.field or "", maxsplit=1)[0]


def _person(p: Person | None) -> str | None:
    if p is None or not p.name:
        return None
    return " ".join(x for x in [p.name, p.id_number] if x)


def _confirm_items(app: Application) -> list[tuple[str, str, str | None]]:
    """(field key, label, value) in display order, for the entity type."""
    et = app.entity_type
    holders = _holders(app)
    holder_lines = "；".join(
        f"{h.name or BLANK}（{h.type or '—'}，{h.id_number or '证件号' + BLANK}）"
        f"{fmt_wan(h.contribution_wan) or '?'}万元·{h.method or '方式' + BLANK}"
        f"·{h.subscription_deadline or '期限' + BLANK}"
        for h in holders
    )
    items: list[tuple[str, str, str | None]] = [
        ("entity_type", "主体类型", _company_type(app) if et != "个体工商户" else et),
        ("proposed_name", "名称", app.proposed_name),
    ]
    if et == "个体工商户":
        items += [
            ("business_premises", "经营场所", app.business_premises or app.domicile),
            ("operator", "经营者", _person(app.operator)),
            ("composition", "组成形式", app.composition),
            ("registered_capital_wan", "出资额", _wan(app.registered_capital_wan)),
        ]
    elif et == "个人独资企业":
        items += [
            ("domicile", "住所", app.domicile),
            ("investor", "投资人", _person(app.investor)),
            ("registered_capital_wan", "出资额", _wan(app.investor.contribution_wan if app.investor else None)),
        ]
    else:
        items += [
            ("domicile", "住所", app.domicile),
            ("registered_capital_wan", "注册资本", _wan(app.registered_capital_wan)),
            ("promoters" if et == "股份有限公司" else "shareholders", "发起人" if et == "股份有限公司" else "股东",
             holder_lines or None),
        ]  # fmt: skip
        directors = "、".join(f"{d.name}（{d.position or '董事'}）" for d in app.directors if d.name)
        if et == "股份有限公司":
            items.append(("establishment_method", "设立方式", app.establishment_method))
        items += [
            ("legal_rep", "法定代表人", (f"{app.legal_rep.name}（{app.legal_rep.position or '职务' + BLANK}）")
             if app.legal_rep and app.legal_rep.name else None),
            ("directors", "董事", directors or None),
            ("manager", "经理", app.manager),
            ("supervisor", "监事", app.supervisor.name if app.supervisor and app.supervisor.name else None),
        ]  # fmt: skip
    items += [
        ("business_scope", "经营范围", _scope(app)),
        ("industry_code", "行业代码", app.industry_code),
        ("operating_period", "经营期限", app.operating_period),
        ("phone", "联系电话", app.phone),
        ("application_date", "申请日期", app.application_date),
    ]
    return items


def _build_confirmation(app: Application, decision: Decision | None, sources: dict[str, str]) -> dict[str, Any]:
    findings = decision.findings if decision else []
    flagged = {_field_of(f) for f in findings}
    required = set(_REQUIRED.get(app.entity_type or "", ()))
    if app.entity_type is None:
        required = {"entity_type"}
    rows = []
    for key, label, value in _confirm_items(app):
        src = sources.get(key) or next((v for k, v in sources.items() if _field_of_key(k) == key), DEFAULT_SOURCE)
        rows.append(
            {
                "label": label,
                "value": value,
                "source": src if value else "—",
                "flag": key in flagged,
                "required": key in required,
            }
        )
    to_confirm: list[dict[str, str]] = []
    for f in findings:
        if f.severity in ("review", "hint"):
            to_confirm.append({"kind": _SEVERITY[f.severity], "text": f.message, "remedy": f.remedy})
    shown = {k for k, _, _ in _confirm_items(app)}
    for key in sorted(required, key=lambda k: list(_LABELS).index(k) if k in _LABELS else 99):
        if _is_blank(getattr(app, key, None)) and key not in flagged:
            label = _LABELS.get(key, key)
            to_confirm.append({"kind": "必填未填", "text": f"{label}{BLANK}。", "remedy": f"请补充{label}。"})
            if key not in shown:
                rows.append({"label": label, "value": None, "source": "—", "flag": True, "required": True})
    conclusion = _CONCLUSION[decision.decision] if decision else "未审查"
    return {
        "title": "简明信息核对表",
        "app": app,
        "rows": rows,
        "to_confirm": to_confirm,
        "conclusion": conclusion,
        "verdict": decision.decision if decision else "none",
        "findings": findings,
        "severity_label": _SEVERITY,
        "authority": decision.registration_authority if decision else None,
        "engine_version": decision.engine_version if decision else "",
    }


def _field_of_key(k: str) -> str:
    return re.split(r"[.\[]", k, maxsplit=1)[0]


# ----------------------------------------------------------------------------- public API


def render_document(
    kind: Literal["form", "confirmation", "articles"],
    application: Application,
    decision: Decision | None = None,
    *,
    sources: dict[str, str] | None = None,
    fmt: Literal["html", "pdf"] = "html",
) -> bytes:
    """Render one document as UTF-8 HTML or as PDF bytes. Raises UserError for a kind that does not apply."""
    app = application
    if kind == "form":
        template, ctx = "form.html.j2", _build_form(app)
    elif kind == "confirmation":
        template, ctx = "confirmation.html.j2", _build_confirmation(app, decision, dict(sources or {}))
    elif kind == "articles":
        if app.entity_type not in ("有限责任公司", "股份有限公司"):
            what = app.entity_type or "未确定主体类型"
            raise UserError(
                f"{what}无需公司章程；公司章程仅适用于有限责任公司和股份有限公司。",
                f"Articles of association apply only to limited liability and joint stock companies, not to {what}.",
                field="entity_type",
            )
        template, ctx = "articles.html.j2", {"doc": compose_articles(app), "app": app}
    else:
        raise UserError(f"未知的文书类型：{kind}", f"Unknown document kind: {kind}")
    if fmt not in ("html", "pdf"):
        raise UserError(f"不支持的格式：{fmt}", f"Unsupported format: {fmt}")
    html = _env().get_template(template).render(**ctx, pdf=fmt == "pdf")
    if fmt == "pdf":
        return _to_pdf(html)
    return html.encode("utf-8")
