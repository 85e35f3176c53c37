"""Dialogue policy (填表对话): apply a message's proposals to the draft (corrections accepted, contradictions asked
about, impossible values explained, nothing filled lost), derive what follows from other fields, check fields with
the approval engine, and write the reply that asks only for what is still missing, one or two fields at a time."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from assistant.approval import Application, ApprovalEngine, Decision
from assistant.approval.address import load_divisions
from assistant.approval.rules.name import load_tables, parse
from assistant.filling.draft import ROLE_LABELS, FieldValue, FormDraft
from assistant.filling.extract import Extraction, Problem
from assistant.filling.spec import FieldSpec, FormSpec, load_spec
from assistant.guardrails.pii import partial

HIDDEN = ("name_trade", "each_wan")  # working values, not form fields
PERSON_ROLES = ("legal_rep", "supervisor", "manager", "investor", "operator", "director")
_NAME_FORMS = {"有限责任公司": "有限公司", "个体工商户": "店"}


@dataclass
class Missing:
    key: str  # draft field key (people.p2.name, supervisor, phone …)
    spec: FieldSpec
    person: str | None = None

    def question(self, draft: FormDraft, lang: str) -> str:
        who = draft.who(self.person, lang) if self.person else ""
        text = self.spec.ask.get(lang).replace("{who}", who)
        return text.replace("you's", "your").replace("What is you ", "What is your ")

    def label(self, draft: FormDraft, lang: str) -> str:
        base = self.spec.label.get(lang)
        if not self.person:
            return base
        who = draft.who(self.person, lang)
        return f"{who} — {base}" if lang.startswith("en") else f"{who}的{base}"


@dataclass
class TurnOutcome:
    reply: str
    complete: bool
    missing: list[Missing] = field(default_factory=list)
    decision: Decision | None = None
    changed: list[str] = field(default_factory=list)


class FillPolicy:
    def __init__(self, knowledge_dir: Path, data_dir: Path, engine: ApprovalEngine) -> None:
        self.knowledge_dir = knowledge_dir
        self.data_dir = data_dir
        self.engine = engine

    # --- the contract with names ----------------------------------------------------------------------
    def application(self, draft: FormDraft) -> Application:
        name = draft.get("proposed_name")
        parts = None
        if name:
            parsed = parse(load_tables(self.data_dir, self.knowledge_dir), name)
            found = {
                "region": "".join(t for t, _ in parsed.region_tokens),
                "trade": parsed.trade,
                "industry": parsed.industry,
                "form": parsed.form,
            }
            parts = {k: v for k, v in found.items() if v} or None
        return draft.to_application(parts)

    def spec(self, draft: FormDraft) -> FormSpec | None:
        et = draft.get("entity_type")
        return load_spec(self.knowledge_dir, et) if et in ("有限责任公司", "个体工商户", "个人独资企业") else None

    # --- one turn ---------------------------------------------------------------------------------------
    def turn(self, draft: FormDraft, ex: Extraction, source: str, lang: str, new_people: set[str]) -> TurnOutcome:
        draft.lang = lang
        draft.turns += 1
        lines: list[str] = []
        en = lang.startswith("en")
        if draft.get("entity_type") == "股份有限公司" or any(
            x.field == "entity_type" and x.value == "股份有限公司" for x in ex.proposals
        ):
            ex.proposals = [x for x in ex.proposals if x.field != "entity_type"]
            lines.append(
                "Joint-stock companies are not supported in chat yet; I can fill a limited company, an individual "
                "business or a sole proprietorship."
                if en
                else "暂不支持在对话中填写股份有限公司，目前可办理有限责任公司、个体工商户和个人独资企业。"
            )
        if ex.why:
            return self._explain(draft, ex.why, lang)
        changed: list[str] = []
        conflicts: list[str] = []
        self._resolve_pending(draft, ex, source, changed)
        ex.proposals.sort(key=lambda x: x.field != "entity_type")
        for prop in ex.proposals:
            if prop.value is None:
                continue
            key = prop.field
            old = draft.fields.get(key)
            if old is None or old.value in (None, "", [], {}) or old.source == "pending":
                draft.set(key, prop.value, source=source, confidence=prop.confidence, typed=prop.typed)
                changed.append(key)
            elif old.value == prop.value:
                if old.state == "needs_check":
                    draft.set(key, prop.value, source=source, kind="resolve")
                continue
            elif ex.correction or not old.typed or key in draft.asked or old.state == "needs_check" or not prop.typed:
                if not prop.typed and old.typed:
                    continue  # a derived guess never overwrites what the applicant said
                draft.set(key, prop.value, source=source, confidence=prop.confidence, typed=prop.typed, kind="correct")
                changed.append(key)
            else:
                note, note_en = self._conflict_text(draft, key, old.value, prop.value)
                draft.flag(key, prop.value, note, note_en, source)
                conflicts.append(key)
        for k, fv in draft.fields.items():  # names of people created while reading this message
            if fv.source == "pending":
                fv.source = source
                changed.append(k)
        if ex.correction:
            self._correct_people(draft, new_people, source, changed)
        problems = list(ex.problems)
        if ex.name_trade:
            self._compose_name(draft, ex.name_trade, source, changed, problems)
        problems += self._derive(draft, source, changed)
        if conflicts:
            draft.pending = conflicts[0]
        lines += self._ack(draft, changed, lang)
        lines += [pr.en if en else pr.zh for pr in problems]
        reported = self._field_checks(draft, changed, lang)
        lines += reported
        missing = self.missing(draft)
        if draft.pending:
            fv = draft.fields[draft.pending]
            lines.append(fv.note_en if en else fv.note)
            draft.asked = [draft.pending]
            return TurnOutcome("\n".join(lines), False, missing, None, changed)
        if not missing and self.spec(draft) is not None:
            return self._complete(draft, lines, lang, changed)
        ask = self._next(missing, draft)
        draft.asked = [m.key for m in ask]
        draft.status = "filling"
        lines += [m.question(draft, lang) for m in ask]
        return TurnOutcome("\n".join(x for x in lines if x), False, missing, None, changed)

    # --- contradictions ---------------------------------------------------------------------------------
    def _resolve_pending(self, draft: FormDraft, ex: Extraction, source: str, changed: list[str]) -> None:
        key = draft.pending
        if not key:
            return
        fv = draft.fields.get(key)
        restated = next((x for x in ex.proposals if x.field == key), None)
        if fv is None:
            draft.pending = None
        elif restated is not None:
            draft.set(key, restated.value, source=source, kind="resolve")
            ex.proposals.remove(restated)
            changed.append(key)
            draft.pending = None
        elif ex.yes:
            draft.set(key, fv.proposed, source=source, kind="resolve")
            changed.append(key)
            draft.pending = None
        elif ex.no:
            draft.fields[key] = fv.model_copy(update={"state": "filled", "proposed": None, "note": "", "note_en": ""})
            draft.history.append(draft.history[-1].model_copy(update={"kind": "keep", "new": fv.value}))
            draft.pending = None

    def _conflict_text(self, draft: FormDraft, key: str, old: Any, new: Any) -> tuple[str, str]:
        label_zh, label_en = self._label(draft, key)
        o, n = self._show(key, old, draft), self._show(key, new, draft)
        return (
            f"您之前说{label_zh}是“{o}”，现在说是“{n}”，以哪个为准？回复“是”改为“{n}”，回复“不是”保留“{o}”。",
            f"Earlier you said the {label_en} is “{o}”, now “{n}”. Which is right? "
            f"Reply “yes” for “{n}” or “no” to keep “{o}”.",
        )

    def _correct_people(self, draft: FormDraft, new_people: set[str], source: str, changed: list[str]) -> None:
        """不对，是林浩出四十万: a person first named in a correction takes the place of the shareholder with the same
        contribution (or the only unnamed one) instead of becoming an extra shareholder."""
        for p in [x for x in draft.people if x.key in new_people and not x.is_self]:
            amount = draft.get(f"people.{p.key}.contribution_wan")
            others = [x for x in draft.shareholders() if x.key != p.key and not x.is_self]
            same = [x for x in others if amount is not None and draft.get(f"people.{x.key}.contribution_wan") == amount]
            unnamed = [x for x in others if not draft.name_of(x.key)]
            target = same[0] if len(same) == 1 else unnamed[0] if len(unnamed) == 1 else None
            if target is None:
                continue
            name = draft.name_of(p.key)
            draft.set(f"people.{target.key}.name", name, source=source, kind="correct")
            if amount is not None:
                draft.set(f"people.{target.key}.contribution_wan", amount, source=source, kind="correct")
            for r in PERSON_ROLES:
                fv = draft.fields.get(r)
                if fv is not None and fv.value == p.key:
                    fv.value = target.key
            for k in [k for k in draft.fields if k.startswith(f"people.{p.key}.")]:
                del draft.fields[k]
            target.aliases = list(dict.fromkeys([*target.aliases, *p.aliases]))
            draft.people = [x for x in draft.people if x.key != p.key]
            changed.append(f"people.{target.key}.name")

    # --- derived fields ---------------------------------------------------------------------------------
    def _derive(self, draft: FormDraft, source: str, changed: list[str]) -> list[Problem]:
        problems: list[Problem] = []
        self._notes: list[Problem] = []
        et = draft.get("entity_type")
        spec = self.spec(draft)

        def derive(key: str, value: Any, conf: float = 0.8) -> None:
            fv = draft.fields.get(key)
            if fv is None or fv.value is None or (not fv.typed and fv.value != value):
                draft.set(key, value, source="derived", confidence=conf, typed=False, kind="derive")
                changed.append(key)

        selfp = draft.self_person()
        people = draft.people
        role = {"个体工商户": "operator", "个人独资企业": "investor"}.get(et or "")
        if role and not draft.get(role):
            holder = selfp or (people[0] if len(people) == 1 and not people[0].aliases else None)
            holder = holder or draft.add_person(alias="我", is_self=True)
            derive(role, holder.key, 0.85)
        if et == "个人独资企业":
            inv = draft.get("investor")
            cap = draft.get("registered_capital_wan")
            own = draft.get(f"people.{inv}.contribution_wan") if inv else None
            if inv and cap and own is None:
                derive(f"people.{inv}.contribution_wan", cap, 0.9)
            elif own is not None and (cap is None or not draft.fields["registered_capital_wan"].typed or cap != own):
                derive("registered_capital_wan", own, 0.95)
            for x in people:
                x.shareholder = False
        if et == "有限责任公司":
            self._capital(draft, derive)
        problems += self._notes
        if spec is not None:
            for f in spec.fields:
                if f.default and draft.get(f.key) is None and draft.turns >= 1:
                    derive(f.key, f.default, 0.7)
        if et and draft.get("proposed_name") is None and draft.get("name_trade"):
            self._compose_name(draft, draft.get("name_trade"), "derived", changed, problems)
        return problems

    def _capital(self, draft: FormDraft, derive: Any) -> None:
        """注册资本 = the sum of the contributions the applicant stated; a lone unknown contribution is the rest;
        a stated capital that disagrees with stated contributions is asked about, never overwritten."""
        holders = draft.shareholders()
        each = draft.get("each_wan")
        for x in holders:
            if each is not None and draft.get(f"people.{x.key}.contribution_wan") is None:
                derive(f"people.{x.key}.contribution_wan", each, 0.9)
        for (
            x
        ) in holders:  # 认缴期限: the legal latest (公司法第四十七条: five years) unless the applicant says otherwise
            if draft.get(f"people.{x.key}.subscription_deadline") is None:
                derive(f"people.{x.key}.subscription_deadline", five_years(), 0.7)
        stated = {x.key: draft.fields.get(f"people.{x.key}.contribution_wan") for x in holders}
        typed = {k: fv.value for k, fv in stated.items() if fv is not None and fv.value is not None and fv.typed}
        cap_fv = draft.fields.get("registered_capital_wan")
        cap = draft.get("registered_capital_wan")
        if holders and len(typed) == len(holders):
            total = round(sum(typed.values()), 4)
            if cap is None or (cap_fv is not None and not cap_fv.typed):
                derive("registered_capital_wan", total, 0.9)
            elif abs(total - cap) > 1e-6 and cap_fv is not None and cap_fv.state == "filled" and not draft.pending:
                draft.flag(
                    "registered_capital_wan",
                    total,
                    f"各股东出资合计{_fmt(total)}万元，与注册资本{_fmt(cap)}万元不一致。注册资本改为{_fmt(total)}万元吗？回复“是”修改，或告诉我各人正确的出资额。",
                    f"The contributions add up to {_fmt(total)} 万元 but the registered capital is {_fmt(cap)} 万元. "
                    f"Change the capital to {_fmt(total)} 万元? Reply “yes”, or tell me the right contributions.",
                    "derived",
                )
                draft.pending = "registered_capital_wan"
        elif cap is not None and holders:
            unknown = [x for x in holders if x.key not in typed]
            if len(unknown) == 1:
                rest = round(cap - sum(typed.values()), 4)
                if rest > 0:
                    derive(f"people.{unknown[0].key}.contribution_wan", rest, 0.8)
        sup, rep, director, manager = (draft.get(r) for r in ("supervisor", "legal_rep", "director", "manager"))
        if sup and sup in {rep, director, manager}:
            draft.remove("supervisor", "derived")
            self._notes.append(
                Problem(
                    "supervisor",
                    f"{draft.who(sup, 'zh')}已担任董事或经理，不能同时担任监事（公司法第七十六条），请另选一位监事。",
                    f"{draft.who(sup, 'en')} is already a director or manager and cannot also be the supervisor "
                    "(Company Law art. 76); please choose someone else.",
                )
            )

    def _compose_name(
        self, draft: FormDraft, trade: str, source: str, changed: list[str], problems: list[Problem]
    ) -> None:
        et = draft.get("entity_type")
        code = draft.get("domicile_district_code")
        form = _NAME_FORMS.get(et or "")
        if not form or not code:
            draft.set("name_trade", trade, source=source)
            return
        d = load_divisions(self.data_dir)
        city = d.city_name(code)
        if et == "个体工商户":
            region = city + d.counties[code].name if code in d.counties else city
        else:
            region = re.sub(r"市$", "", city)
        scope = draft.get("business_scope") or {}
        first = next(iter([*scope.get("一般项目", []), *scope.get("许可项目", [])]), "")
        industry = industry_word(self.knowledge_dir, draft.get("industry_code") or "", first)
        if trade.endswith(industry):
            industry = ""
        name = f"{region}{trade}{industry}{form}"
        draft.set("proposed_name", name, source=source, confidence=0.75, typed=False, kind="derive")
        draft.fields.pop("name_trade", None)
        changed.append("proposed_name")

    # --- checks and completion --------------------------------------------------------------------------
    def _field_checks(self, draft: FormDraft, changed: list[str], lang: str) -> list[str]:
        """Block / review findings of the approval engine on the fields this turn changed (missing fields are
        the dialogue's business, not a finding), each with its remedy, once per rule."""
        roots = {_root(k, draft) for k in changed}
        if not roots or draft.get("entity_type") is None:
            return []
        decision = self.engine.check(self.application(draft))
        out = []
        for f in decision.findings:
            if f.severity == "hint" or f.rule.endswith("_missing") or "missing" in f.rule:
                continue
            root = re.split(r"[.\[]", f.field or "")[0]
            if root not in roots:
                continue
            msg = f"{f.message_en} {f.remedy_en}" if lang.startswith("en") else f"{f.message}{f.remedy}"
            out.append(("⚠ " + msg).strip())
        return out[:2]

    def _complete(self, draft: FormDraft, lines: list[str], lang: str, changed: list[str]) -> TurnOutcome:
        en = lang.startswith("en")
        app = self.application(draft)
        decision = self.engine.check(app)
        draft.status = "complete"
        draft.asked = []
        summary = self.summary(draft, lang)
        verdict = {
            "pass": ("预审通过", "pre-check passed"),
            "review": ("需人工审核", "needs review by staff"),
            "block": ("存在必须修改的问题", "has problems that must be fixed"),
        }[decision.decision]
        issues = [
            f"- {f.message_en} {f.remedy_en}" if en else f"- {f.message}{f.remedy}"
            for f in decision.findings
            if f.severity in ("block", "review")
        ][:4]
        base = f"/v1/sessions/{draft.session_id}/documents"
        links = f"{base}/form?format=html", f"{base}/confirmation?format=html"
        if en:
            lines += ["All required fields are filled:", summary, f"Approval pre-check: {verdict[1]}.", *issues]
            lines.append(f"Standard form: {links[0]} · Confirmation sheet: {links[1]}")
            lines.append(
                "Please check the form and the confirmation sheet (简明信息核对表); when everything is right, press "
                "“确认提交 / Confirm” to submit. You can still change any field by telling me."
            )
        else:
            lines += ["申请表必填信息已全部填好：", summary, f"审批预检结果：{verdict[0]}。", *issues]
            lines.append(f"申请表：{links[0]} · 简明信息核对表：{links[1]}")
            lines.append("请核对申请表和简明信息核对表，确认无误后点击“确认提交”正式提交；如需修改，直接告诉我即可。")
        return TurnOutcome("\n".join(lines), True, [], decision, changed)

    def summary(self, draft: FormDraft, lang: str) -> str:
        spec = self.spec(draft)
        if spec is None:
            return ""
        out = []
        for m_key, label, value in self.rows(draft, lang):
            out.append(f"- {label}: {value}" if lang.startswith("en") else f"- {label}：{value}")
            del m_key
        return "\n".join(out)

    def rows(self, draft: FormDraft, lang: str) -> list[tuple[str, str, str]]:
        """(field, label, shown value) for every filled field, IDs and phones partly masked."""
        rows = []
        for k, fv in sorted(draft.fields.items(), key=lambda kv: _order(kv[0], draft)):
            if fv.value in (None, "", [], {}) or k in HIDDEN:
                continue
            label = self._label(draft, k)[1 if lang.startswith("en") else 0]
            rows.append((k, label, self._show(k, fv.value, draft)))
        return rows

    # --- what is missing --------------------------------------------------------------------------------
    def missing(self, draft: FormDraft) -> list[Missing]:
        spec = self.spec(draft)
        if spec is None:
            base = load_spec(self.knowledge_dir, "有限责任公司")
            return [Missing("entity_type", base.fields[0])]
        out: list[Missing] = []
        et = spec.entity_type
        for f in spec.fields:
            if not f.required:
                continue
            if f.key == "industry_code":
                if draft.get("business_scope") and not draft.get("industry_code"):
                    out.append(Missing(f.key, f))
            elif f.key == "shareholders":
                if not draft.shareholders():
                    out.append(Missing(f.key, f))
            elif f.key.startswith("person."):
                attr = f.key.split(".", 1)[1]
                people = draft.involved()
                if attr == "contribution_wan":
                    people = (
                        draft.shareholders()
                        if et == "有限责任公司"
                        else [x for x in people if draft.get("investor") == x.key]
                    )
                for x in people:
                    if draft.get(f"people.{x.key}.{attr}") is None:
                        out.append(Missing(f"people.{x.key}.{attr}", f, x.key))
            elif draft.get(f.key) is None:
                out.append(Missing(f.key, f))
        return out

    def _next(self, missing: list[Missing], draft: FormDraft) -> list[Missing]:
        if not missing:
            return []
        first = missing[0]
        if first.key in ("entity_type",):
            return [first]
        second = missing[1] if len(missing) > 1 else None
        if second is None:
            return [first]
        if first.person and second.person and first.spec.key == second.spec.key:
            return [first, second]
        if first.person or second.person:
            return [first]
        return [first, second]

    def _explain(self, draft: FormDraft, keys: list[str], lang: str) -> TurnOutcome:
        spec = self.spec(draft) or load_spec(self.knowledge_dir, "有限责任公司")
        lines = []
        for k in keys:
            f = spec.field(k) or spec.field({"domicile": "business_premises"}.get(k, k))
            if f is None and k.startswith("people."):
                f = spec.field("person." + k.rsplit(".", 1)[1])
            if f is not None:
                lines.append(f.why.get(lang))
        missing = self.missing(draft)
        if not lines:
            lines.append(
                "I ask only for what the standard registration form needs."
                if lang.startswith("en")
                else "我只问登记申请表上必须填写的信息。"
            )
        ask = [m for m in missing if m.key in draft.asked] or self._next(missing, draft)
        lines += [m.question(draft, lang) for m in ask]
        return TurnOutcome("\n".join(lines), False, missing, None, [])

    # --- wording --------------------------------------------------------------------------------------
    def _label(self, draft: FormDraft, key: str) -> tuple[str, str]:
        spec = self.spec(draft) or load_spec(self.knowledge_dir, "有限责任公司")
        if key.startswith("people."):
            _, pk, attr = key.split(".", 2)
            if attr == "subscription_deadline":
                return f"{draft.who(pk, 'zh')}的认缴期限", f"{draft.who(pk, 'en')} — subscription deadline"
            if attr == "name":
                roles = draft.roles_of(pk)
                p = draft.person(pk)
                if p is not None and p.is_self:
                    return "您的姓名", "your name"
                zh, en = ROLE_LABELS[roles[0]] if roles else ("", "person")
                return f"{zh}姓名", f"{en} name"
            f = spec.field(f"person.{attr}")
            base = (f.label.zh, f.label.en) if f else (attr, attr)
            return f"{draft.who(pk, 'zh')}的{base[0]}", f"{draft.who(pk, 'en')} — {base[1]}"
        if key in ROLE_LABELS:
            return ROLE_LABELS[key]
        if key == "domicile_district_code":
            return "所在区县", "district"
        f = spec.field(key)
        return (f.label.zh, f.label.en) if f else (key, key)

    def _show(self, key: str, value: Any, draft: FormDraft) -> str:
        if key in PERSON_ROLES and isinstance(value, str):
            return draft.name_of(value) or draft.who(value, "zh")
        if key.endswith("id_number"):
            return partial("id", str(value))
        if key == "phone":
            return partial("mobile" if str(value).startswith("1") else "landline", str(value))
        if key.endswith("_wan") and isinstance(value, int | float):
            return f"{_fmt(value)}万元"
        if key == "business_scope" and isinstance(value, dict):
            return "；".join(value.get("一般项目", []) + value.get("许可项目", []))
        if key == "domicile_district_code":
            d = load_divisions(self.data_dir)
            c = d.counties.get(str(value))
            return f"{d.city_name(str(value))}{c.name}（{value}）" if c else str(value)
        return str(value)

    def _ack(self, draft: FormDraft, changed: list[str], lang: str) -> list[str]:
        seen = []
        for k in dict.fromkeys(changed):
            fv: FieldValue | None = draft.fields.get(k)
            if fv is None or fv.value in (None, "", [], {}) or k in HIDDEN:
                continue
            label = self._label(draft, k)[1 if lang.startswith("en") else 0]
            seen.append(
                f"{label} {self._show(k, fv.value, draft)}"
                if lang.startswith("en")
                else f"{label}：{self._show(k, fv.value, draft)}"
            )
        if not seen:
            return []
        return [("Noted: " + "; ".join(seen) + ".") if lang.startswith("en") else ("已记录：" + "；".join(seen) + "。")]


def five_years(today: date | None = None) -> str:
    """The latest subscription deadline: the day before the fifth anniversary of today (the founding date)."""
    d = today or date.today()
    try:
        end = d.replace(year=d.year + 5)
    except ValueError:  # 29 February
        end = d.replace(year=d.year + 5, day=28)
    return (end - timedelta(days=1)).isoformat()


_ORDER = [
    "entity_type", "proposed_name", "domicile", "business_premises", "domicile_district_code",
    "registered_capital_wan", "business_scope", "industry_code", "people", "legal_rep", "director", "manager",
    "supervisor", "investor", "operator", "composition", "phone", "operating_period",
]  # fmt: skip
_PERSON_ORDER = ["name", "contribution_wan", "subscription_deadline", "id_number"]


def _order(key: str, draft: FormDraft) -> tuple[int, int, int]:
    """The standard form's order: entity, name, address, capital, scope, then each person's fields, then roles."""
    if key.startswith("people."):
        _, pk, attr = key.split(".", 2)
        index = next((i for i, x in enumerate(draft.people) if x.key == pk), 0)
        rank = _PERSON_ORDER.index(attr) if attr in _PERSON_ORDER else len(_PERSON_ORDER)
        return _ORDER.index("people"), index, rank
    return (_ORDER.index(key) if key in _ORDER else len(_ORDER)), 0, 0


def _root(key: str, draft: FormDraft) -> str:
    if key.startswith("people."):
        pk = key.split(".")[1]
        roles = draft.roles_of(pk)
        return {"shareholder": "shareholders"}.get(roles[0], roles[0]) if roles else "shareholders"
    return {"domicile_district_code": "domicile"}.get(key, key)


def _fmt(x: float) -> str:
    return f"{x:g}"


@lru_cache(maxsize=2)
def _industry_words(knowledge_dir: Path) -> tuple[tuple[str, tuple[str, ...]], ...]:
    data = yaml.safe_load((knowledge_dir / "approval" / "industry_name_words.yaml").read_text(encoding="utf-8"))
    generic = set(data.get("generic") or [])
    return tuple((w, tuple(p)) for w, p in (data.get("words") or {}).items() if w not in generic)


def industry_word(knowledge_dir: Path, code: str, wording: str = "") -> str:
    """The name word (行业表述) for an industry code: a table word inside the scope wording (理发服务 → 理发),
    else the word whose code prefix matches the code most closely."""
    inside = [w for w, _ in _industry_words(knowledge_dir) if len(w) >= 2 and w in wording]
    if inside:
        return max(inside, key=lambda w: (len(w), -wording.index(w)))
    best, best_len = "", 0
    for w, prefixes in _industry_words(knowledge_dir):
        for p in prefixes:
            if code.startswith(p) and len(p) > best_len:
                best, best_len = w, len(p)
    return best
