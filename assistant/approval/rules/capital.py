"""capital.* and structure.*: capital, contributions, investors and the required officers, per entity type.

公司法 (2023), 国务院关于实施《公司法》注册资本登记管理制度的规定 (2024), 个人独资企业法, 促进个体工商户发展条例,
市场主体登记管理条例 (2021) and its 实施细则 (2022). Runs on 设立登记 applications with a known entity type
(a 变更登记 carries only the changed items; a missing entity type is another module's finding).

The list of prohibited contribution forms (市场主体登记管理条例 第十三条第二款) and the lawful ones (公司法 第四十八条)
are read from the law texts in shared data at load time; the built-in tuples are only a fallback.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache
from pathlib import Path

from assistant.approval.context import RuleContext
from assistant.approval.model import Shareholder

TOLERANCE_WAN = 0.0001
MAX_LLC_SHAREHOLDERS = 50  # 公司法 第四十二条
MAX_PROMOTERS = 200  # 公司法 第九十二条
MIN_PROMOTER_SHARE_OFFERING = 0.35  # 公司法 第九十七条第二款
# 注册资本明显异常 (国务院规定 第三条) is a judgement; these thresholds only pick cases for a human to look at.
ABNORMAL_PERSON_WAN = 10_000.0  # one natural person subscribing 1亿元 or more
ABNORMAL_TOTAL_WAN = 1_000_000.0  # 100亿元 or more in all

_FALLBACK_PROHIBITED = ("劳务", "信用", "自然人姓名", "商誉", "特许经营权", "设定担保的财产")
_FALLBACK_LAWFUL = ("货币", "实物", "知识产权", "土地使用权", "股权", "债权")
# Everyday words for the forms the law names (what applicants write), → the statutory term.
_LAWFUL_SYNONYMS = {
    "现金": "货币",
    "人民币": "货币",
    "银行存款": "货币",
    "资金": "货币",
    "房产": "实物",
    "房屋": "实物",
    "设备": "实物",
    "机器设备": "实物",
    "车辆": "实物",
    "存货": "实物",
    "专利": "知识产权",
    "专利权": "知识产权",
    "商标": "知识产权",
    "商标专用权": "知识产权",
    "商标权": "知识产权",
    "著作权": "知识产权",
    "软件著作权": "知识产权",
    "非专利技术": "知识产权",
    "建设用地使用权": "土地使用权",
}
# Words that reveal a prohibited form under another wording, keyed by the statutory term.
_PROHIBITED_VARIANTS = {
    "劳务": ("劳务", "劳动力", "人力资本"),
    "信用": ("信用", "信誉"),
    "自然人姓名": ("姓名",),
    "商誉": ("商誉",),
    "特许经营权": ("特许经营",),
    "设定担保的财产": ("担保", "抵押", "质押", "留置"),
}
_FORM_EN = {
    "劳务": "labour services",
    "信用": "credit",
    "自然人姓名": "a natural person's name",
    "商誉": "goodwill",
    "特许经营权": "franchise rights",
    "设定担保的财产": "property subject to a security interest",
}
_ROLE_EN = {"股东": "shareholder", "发起人": "promoter"}
_SPLIT = re.compile(r"[、,，/;；+＋\s]+|及|和|与")
_DOMESTIC_ID_TYPES = frozenset(
    {
        "居民身份证",
        "身份证",
        "中华人民共和国居民身份证",
        "统一社会信用代码",
        "营业执照",
        "外国人永久居留身份证",
        "港澳台居民居住证",
        "港澳居民居住证",
        "台湾居民居住证",
    }
)
_RIC_SHAPE = re.compile(r"^\d{17}[\dXx]$")
_USCC_SHAPE = re.compile(r"^[0-9A-Y]{2}\d{6}[0-9A-Z]{10}$")
_ORG_NAME = re.compile(r"(公司|企业|集团|合作社|事务所|中心|研究院|研究所|协会|基金会|工厂|厂)$")


# ---------------------------------------------------------------- lists from the law texts


def _law_text(data_dir: Path, title: str) -> str:
    laws = data_dir / "laws"
    files = sorted(laws.glob(f"{title}(*.md")) if laws.is_dir() else []
    return files[-1].read_text(encoding="utf-8") if files else ""


@lru_cache(maxsize=4)
def _methods(data_dir: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(prohibited forms, lawful forms) as the law words them."""
    prohibited: tuple[str, ...] = _FALLBACK_PROHIBITED
    m = re.search(r"不得以(.{2,80}?)等作价出资", _law_text(data_dir, "市场主体登记管理条例"))
    if m:
        items = tuple(t for t in re.split(r"、|或者", m.group(1)) if t)
        if len(items) >= 3:
            prohibited = items
    lawful: tuple[str, ...] = _FALLBACK_LAWFUL
    m = re.search(r"股东可以用(货币)出资，也可以用(.{2,60}?)等可以用货币估价", _law_text(data_dir, "公司法"))
    if m:
        items = (m.group(1), *(t for t in m.group(2).split("、") if t))
        if len(items) >= 3:
            lawful = items
    return prohibited, lawful


def _classify_method(method: str, data_dir: Path) -> tuple[str | None, list[str]]:
    """(the prohibited form found, if any; the parts not recognised as a lawful form)."""
    prohibited, lawful = _methods(data_dir)
    text = unicodedata.normalize("NFKC", method).strip()[:200]
    for term in prohibited:
        for word in (term, *_PROHIBITED_VARIANTS.get(term, ())):
            if word and word in text:
                return term, []
    unknown: list[str] = []
    for part in _SPLIT.split(text):
        part = part.strip().removesuffix("出资").removesuffix("作价")
        if not part:
            continue
        if part in lawful or part in _LAWFUL_SYNONYMS or any(part.startswith(t) for t in lawful):
            continue
        unknown.append(part[:30])
    return None, unknown


# ---------------------------------------------------------------- helpers


def _parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _plus_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _fmt(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".")


def _label(p: Shareholder, i: int) -> str:
    return (p.name or "").strip()[:40] or f"第{i + 1}位"


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip() and a.strip() == b.strip())


def _domestic(p: Shareholder) -> bool:
    if p.id_type and p.id_type.strip() in _DOMESTIC_ID_TYPES:
        return True
    num = (p.id_number or "").strip()
    return not (p.id_type or "").strip() and bool(_RIC_SHAPE.match(num) or _USCC_SHAPE.match(num.upper()))


# ---------------------------------------------------------------- the check


def check(ctx: RuleContext) -> None:
    app = ctx.app
    _methods(ctx.data.data_dir)  # loaded and cached on the first (warm-up) call
    if app.application_type != "设立登记" or app.entity_type is None:
        return
    established = _parse_date(app.application_date) or ctx.today
    if app.entity_type == "有限责任公司":
        _llc(ctx, established)
        _company_structure(ctx, "有限责任公司")
    elif app.entity_type == "股份有限公司":
        _joint_stock(ctx, established)
        _company_structure(ctx, "股份有限公司")
    elif app.entity_type == "个人独资企业":
        _sole(ctx)
    elif app.entity_type == "个体工商户":
        _individual(ctx)


def _capital_positive(ctx: RuleContext, article: str) -> float | None:
    cap = ctx.app.registered_capital_wan
    if cap is None or cap <= 0:
        ctx.hit("capital.registered_capital_missing", field="registered_capital_wan", article=article)
        return None
    return cap


def _contributions(ctx: RuleContext, people: list[Shareholder], key: str, label: str, article: str) -> float | None:
    """Report missing contributions and unlawful methods; return the sum when every contribution is given."""
    total = 0.0
    complete = True
    for i, p in enumerate(people):
        if p.contribution_wan is None or p.contribution_wan <= 0:
            complete = False
            ctx.hit(
                "capital.contribution_missing",
                field=f"{key}[{i}].contribution_wan",
                role=label,
                role_en=_ROLE_EN[label],
                name=_label(p, i),
                article=article,
            )
        else:
            total += p.contribution_wan
        if p.method and p.method.strip():
            bad, unknown = _classify_method(p.method, ctx.data.data_dir)
            if bad:
                ctx.hit(
                    "capital.method_prohibited",
                    field=f"{key}[{i}].method",
                    role=label,
                    role_en=_ROLE_EN[label],
                    name=_label(p, i),
                    form=bad,
                    form_en=_FORM_EN.get(bad, bad),
                )
            elif unknown:
                ctx.hit(
                    "capital.method_unrecognised",
                    field=f"{key}[{i}].method",
                    role=label,
                    role_en=_ROLE_EN[label],
                    name=_label(p, i),
                    method="、".join(unknown),
                )
    return total if complete and people else None


def _abnormal(ctx: RuleContext, people: list[Shareholder], cap: float | None) -> None:
    big = [p for p in people if p.type != "法人" and (p.contribution_wan or 0) >= ABNORMAL_PERSON_WAN]
    if big:
        who = "、".join(_label(p, i) for i, p in enumerate(big[:3]))
        top = max(p.contribution_wan or 0 for p in big)
        ctx.hit(
            "capital.capital_abnormal",
            field="registered_capital_wan",
            capital=_fmt(cap or 0),
            reason=f"自然人{who}认缴出资达{_fmt(top)}万元",
            reason_en=f"natural person {who} subscribes {_fmt(top)} (10,000 yuan)",
        )
    elif cap is not None and cap >= ABNORMAL_TOTAL_WAN:
        ctx.hit(
            "capital.capital_abnormal",
            field="registered_capital_wan",
            capital=_fmt(cap),
            reason="注册资本达100亿元以上",
            reason_en="10 billion yuan or more",
        )


def _llc(ctx: RuleContext, established: date) -> None:
    app = ctx.app
    people = app.shareholders
    cap = _capital_positive(ctx, "第四十七条第一款")
    n = len(people)
    if n < 1 or n > MAX_LLC_SHAREHOLDERS:
        ctx.hit("capital.shareholder_count", field="shareholders", count=n)
    total = _contributions(ctx, people, "shareholders", "股东", "第四十六条第一款第五项")
    if total is not None and cap is not None and abs(total - cap) > TOLERANCE_WAN:
        ctx.hit(
            "capital.contribution_sum_mismatch",
            field="registered_capital_wan",
            total=_fmt(total),
            capital=_fmt(cap),
            article="第四十七条第一款",
        )
    limit = _plus_years(established, 5)
    for i, p in enumerate(people):
        fld = f"shareholders[{i}].subscription_deadline"
        deadline = _parse_date(p.subscription_deadline)
        if deadline is None:
            ctx.hit("capital.deadline_missing", field=fld, name=_label(p, i))
        elif deadline > limit:
            ctx.hit(
                "capital.deadline_over_5y",
                field=fld,
                name=_label(p, i),
                deadline=deadline.isoformat(),
                limit=limit.isoformat(),
            )
        elif deadline < established:
            ctx.hit("capital.deadline_past", field=fld, name=_label(p, i), deadline=deadline.isoformat())
    _abnormal(ctx, people, cap)


def _joint_stock(ctx: RuleContext, established: date) -> None:
    app = ctx.app
    people = app.promoters
    cap = _capital_positive(ctx, "第九十六条第一款")
    n = len(people)
    if n < 1 or n > MAX_PROMOTERS:
        ctx.hit("capital.promoter_count", field="promoters", count=n)
    elif sum(_domestic(p) for p in people) * 2 < n:
        ctx.hit("capital.promoters_domicile", field="promoters", count=n, domestic=sum(_domestic(p) for p in people))
    if app.establishment_method is None:
        ctx.hit("capital.establishment_method_missing", field="establishment_method")
    elif app.establishment_method == "募集设立":
        ctx.hit("capital.offering_documents", field="establishment_method")
    # registered capital = 已发行股份的股本总额 (第九十六条); only for 面额股 with both figures given
    no_par = "无面额" in (app.share_type or "")
    if cap is not None and not no_par and app.par_value_yuan and app.shares_issued_at_establishment:
        stock_wan = app.par_value_yuan * app.shares_issued_at_establishment / 10_000
        if abs(stock_wan - cap) > max(TOLERANCE_WAN, cap * 1e-9):
            ctx.hit(
                "capital.shares_mismatch",
                field="shares_issued_at_establishment",
                shares=_fmt(app.shares_issued_at_establishment),
                par=_fmt(app.par_value_yuan),
                stock=_fmt(stock_wan),
                capital=_fmt(cap),
            )
    total = _contributions(ctx, people, "promoters", "发起人", "第九十五条第六项")
    if total is not None and cap is not None:
        if app.establishment_method == "募集设立":
            if total > cap + TOLERANCE_WAN:
                ctx.hit(
                    "capital.contribution_sum_mismatch",
                    field="registered_capital_wan",
                    total=_fmt(total),
                    capital=_fmt(cap),
                    article="第九十六条第一款",
                )
            elif total < cap * MIN_PROMOTER_SHARE_OFFERING - TOLERANCE_WAN:
                ctx.hit(
                    "capital.promoter_subscription_short",
                    field="promoters",
                    total=_fmt(total),
                    capital=_fmt(cap),
                    ratio=f"{total / cap * 100:.1f}",
                )
        elif abs(total - cap) > TOLERANCE_WAN:
            ctx.hit(
                "capital.contribution_sum_mismatch",
                field="registered_capital_wan",
                total=_fmt(total),
                capital=_fmt(cap),
                article="第九十七条第一款",
            )
    for i, p in enumerate(people):
        deadline = _parse_date(p.subscription_deadline)
        if deadline is not None and deadline > established:
            ctx.hit(
                "capital.promoter_payment_deadline",
                field=f"promoters[{i}].subscription_deadline",
                name=_label(p, i),
                deadline=deadline.isoformat(),
            )
    _abnormal(ctx, people, cap)


def _company_structure(ctx: RuleContext, kind: str) -> None:
    app = ctx.app
    llc = kind == "有限责任公司"
    directors = [d for d in app.directors if (d.name or "").strip()]
    names = list(dict.fromkeys((d.name or "").strip() for d in directors))
    if not names:
        ctx.hit(
            "structure.directors_missing",
            field="directors",
            article="第六十七条、第七十五条" if llc else "第一百二十条、第一百二十八条",
        )
    elif len(names) == 2:
        ctx.hit(
            "structure.board_size",
            field="directors",
            count=2,
            article="第六十八条第一款、第七十五条" if llc else "第一百二十条第二款、第一百二十八条",
        )
    manager = (app.manager or "").strip()
    if not llc and not manager:
        ctx.hit("structure.manager_missing", field="manager")
    rep = app.legal_rep
    if rep is None or not (rep.name or "").strip():
        ctx.hit("structure.legal_rep_missing", field="legal_rep")
    elif names or manager:
        rep_name = (rep.name or "").strip()
        rep_id = (rep.id_number or "").strip().upper()
        eligible = rep_name in names or rep_name == manager
        if not eligible and rep_id:
            eligible = any((d.id_number or "").strip().upper() == rep_id for d in directors)
        if not eligible:
            ctx.hit("structure.legal_rep_not_eligible", field="legal_rep", name=rep_name[:40])
    sup = app.supervisor
    if sup is None or not (sup.name or "").strip():
        ctx.hit(
            "structure.supervisor_missing",
            field="supervisor",
            article="第七十六条第一款、第六十九条、第八十三条"
            if llc
            else "第一百三十条第一款、第一百二十一条第一款、第一百三十三条",
        )


def _sole(ctx: RuleContext) -> None:
    app = ctx.app
    inv = app.investor
    if inv is None or not (inv.name or "").strip():
        ctx.hit("structure.investor_missing", field="investor")
    else:
        id_type = (inv.id_type or "").strip()
        num = (inv.id_number or "").strip().upper()
        corporate = (
            id_type in ("统一社会信用代码", "营业执照")
            or (not id_type and bool(_USCC_SHAPE.match(num)) and not num.isdigit())
            or bool(_ORG_NAME.search((inv.name or "").strip()))
        )
        if corporate:
            ctx.hit("capital.sole_investor_not_natural", field="investor", name=(inv.name or "").strip()[:40])
    others = [s for s in (*app.shareholders, *app.promoters) if (s.name or "").strip()]
    distinct = {(s.name or "").strip() for s in others} - {((inv.name if inv else "") or "").strip()}
    if distinct:
        ctx.hit("capital.sole_multiple_investors", field="shareholders", names="、".join(sorted(distinct)[:5]))
    declared = inv.contribution_wan if inv is not None else None
    cap = app.registered_capital_wan
    if not (declared and declared > 0) and not (cap and cap > 0):
        ctx.hit("capital.sole_contribution_missing", field="investor.contribution_wan")
    elif declared and declared > 0 and cap and cap > 0 and abs(declared - cap) > TOLERANCE_WAN:
        ctx.hit(
            "capital.sole_contribution_mismatch",
            field="investor.contribution_wan",
            declared=_fmt(declared),
            capital=_fmt(cap),
        )


def _individual(ctx: RuleContext) -> None:
    app = ctx.app
    op = app.operator
    missing: dict[str, str] = {}
    if op is None or not (op.name or "").strip():
        missing["姓名"] = "name"
    if op is None or not (op.id_number or "").strip():
        missing["身份证件号码"] = "ID number"
    if missing:
        ctx.hit(
            "structure.operator_missing",
            field="operator",
            missing="、".join(missing),
            missing_en=" and ".join(missing.values()),
        )
    if app.composition is None:
        ctx.hit("structure.composition_missing", field="composition")
