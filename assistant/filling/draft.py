"""The form draft (申请表草稿): every field with its value, source, confidence and state, the people named in the
conversation and their roles, and the history of changes. ``to_application`` assembles the Application contract."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.approval.model import Application

FieldState = Literal["filled", "missing", "needs_check"]
ROLES = ("legal_rep", "supervisor", "manager", "investor", "operator", "director")
ROLE_LABELS = {
    "legal_rep": ("法定代表人", "legal representative"),
    "supervisor": ("监事", "supervisor"),
    "manager": ("经理", "manager"),
    "investor": ("投资人", "investor"),
    "operator": ("经营者", "operator"),
    "director": ("执行董事", "executive director"),
    "shareholder": ("股东", "shareholder"),
}


class FieldValue(BaseModel):
    value: Any = None
    state: FieldState = "filled"
    source: str = ""  # message:<id> | document:<name> | derived | default | edit
    confidence: float = 1.0
    typed: bool = True  # the applicant stated this value (not derived from other fields or a default)
    note: str = ""  # why it needs a check (zh)
    note_en: str = ""
    proposed: Any = None  # needs_check: the conflicting value waiting for the applicant's answer


class PersonRec(BaseModel):
    """Someone the applicant mentioned (我, 同学, 林浩); names, IDs and contributions live in ``fields``."""

    key: str  # p1, p2 …
    aliases: list[str] = Field(default_factory=list)  # 我 / 同学 / 老婆 / 他 …
    is_self: bool = False  # the applicant
    shareholder: bool = False


class Change(BaseModel):
    at: str
    field: str
    old: Any = None
    new: Any = None
    source: str = ""
    kind: Literal["set", "correct", "conflict", "resolve", "keep", "edit", "derive", "remove"] = "set"


class FormDraft(BaseModel):
    session_id: str
    status: Literal["filling", "complete", "confirmed"] = "filling"
    lang: str = "zh"
    fields: dict[str, FieldValue] = Field(default_factory=dict)
    people: list[PersonRec] = Field(default_factory=list)
    asked: list[str] = Field(default_factory=list)  # the fields the last reply asked for
    pending: str | None = None  # a needs_check field the last reply asked about
    history: list[Change] = Field(default_factory=list)
    turns: int = 0
    submission: dict | None = None

    # --- fields -----------------------------------------------------------------------------------------
    def get(self, key: str) -> Any:
        fv = self.fields.get(key)
        return fv.value if fv is not None and fv.state != "missing" else None

    def set(
        self,
        key: str,
        value: Any,
        *,
        source: str,
        confidence: float = 1.0,
        typed: bool = True,
        kind: str = "set",
    ) -> None:
        old = self.fields.get(key)
        self.fields[key] = FieldValue(value=value, source=source, confidence=confidence, typed=typed)
        if old is None or old.value != value or old.state != "filled":
            self.history.append(
                Change(at=_now(), field=key, old=old.value if old else None, new=value, source=source, kind=kind)  # type: ignore[arg-type]
            )

    def flag(self, key: str, proposed: Any, note: str, note_en: str, source: str) -> None:
        """Keep the current value, mark it needs_check with the conflicting proposal."""
        fv = self.fields.get(key) or FieldValue(value=None, source=source)
        self.fields[key] = fv.model_copy(
            update={"state": "needs_check", "proposed": proposed, "note": note, "note_en": note_en}
        )
        self.history.append(Change(at=_now(), field=key, old=fv.value, new=proposed, source=source, kind="conflict"))

    def remove(self, key: str, source: str) -> None:
        old = self.fields.pop(key, None)
        if old is not None:
            self.history.append(Change(at=_now(), field=key, old=old.value, source=source, kind="remove"))

    # --- people -----------------------------------------------------------------------------------------
    def person(self, key: str) -> PersonRec | None:
        return next((p for p in self.people if p.key == key), None)

    def name_of(self, key: str | None) -> str | None:
        return self.get(f"people.{key}.name") if key else None

    def find_person(self, name: str) -> PersonRec | None:
        return next((p for p in self.people if self.name_of(p.key) == name), None)

    def by_alias(self, alias: str) -> PersonRec | None:
        for p in reversed(self.people):
            if alias in p.aliases:
                return p
        return None

    def self_person(self) -> PersonRec | None:
        return next((p for p in self.people if p.is_self), None)

    def add_person(self, *, alias: str | None = None, is_self: bool = False) -> PersonRec:
        p = PersonRec(key=f"p{len(self.people) + 1}", aliases=[alias] if alias else [], is_self=is_self)
        self.people.append(p)
        return p

    def roles_of(self, key: str) -> list[str]:
        roles = [r for r in ROLES if self.get(r) == key]
        p = self.person(key)
        if p is not None and p.shareholder:
            roles.insert(0, "shareholder")
        return roles

    def involved(self) -> list[PersonRec]:
        """People who hold a role on the form (shareholder, legal representative, supervisor, …)."""
        return [p for p in self.people if self.roles_of(p.key)]

    def shareholders(self) -> list[PersonRec]:
        return [p for p in self.people if p.shareholder]

    def who(self, key: str, lang: str) -> str:
        """How to name a person in a question: the name, else the alias and role (您 / 您同学 / 监事)."""
        name = self.name_of(key)
        if name:
            return name
        p = self.person(key)
        en = lang.startswith("en")
        if p is not None and p.is_self:
            return "you" if en else "您"
        alias = next((a for a in (p.aliases if p else []) if a not in ("他", "她", "他们", "he", "she")), "")
        if alias:
            return f"your {alias}" if en else f"您{alias}"
        roles = self.roles_of(key)
        if roles:
            zh, e = ROLE_LABELS[roles[0]]
            return f"the {e}" if en else zh
        return "this person" if en else "这位"

    # --- the contract ----------------------------------------------------------------------------------
    def to_application(self, name_parts: dict[str, str] | None = None) -> Application:
        et = self.get("entity_type")
        data: dict[str, Any] = {"entity_type": et}
        for k in (
            "proposed_name",
            "domicile",
            "business_premises",
            "domicile_district_code",
            "registered_capital_wan",
            "industry_code",
            "phone",
            "operating_period",
            "composition",
        ):
            v = self.get(k)
            if v is not None:
                data[k] = v
        if name_parts and data.get("proposed_name"):
            data["name_parts"] = name_parts
        scope = self.get("business_scope")
        if scope:
            data["business_scope"] = scope
        if et == "有限责任公司":
            _company(self, data)
        elif et == "个人独资企业":
            inv = self.get("investor")
            if inv:
                data["investor"] = {**self._person(inv), "contribution_wan": self.get(f"people.{inv}.contribution_wan")}
                if data["investor"]["contribution_wan"] is not None:
                    data["investor"]["method"] = "货币"
                if data.get("registered_capital_wan") is None:
                    data["registered_capital_wan"] = data["investor"]["contribution_wan"]
        elif et == "个体工商户":
            op = self.get("operator")
            if op:
                data["operator"] = self._person(op)
        data = {k: v for k, v in data.items() if v is not None}
        return Application.model_validate(_drop_none(data))

    def _person(self, key: str) -> dict[str, Any]:
        num = self.get(f"people.{key}.id_number")
        out: dict[str, Any] = {"name": self.name_of(key)}
        if num:
            out |= {"id_type": "居民身份证", "id_number": num}
        return out


def _company(d: FormDraft, data: dict[str, Any]) -> None:
    data["shareholders"] = [
        {
            **d._person(p.key),
            "type": "自然人",
            "contribution_wan": d.get(f"people.{p.key}.contribution_wan"),
            "method": "货币",
            "subscription_deadline": d.get(f"people.{p.key}.subscription_deadline"),
        }
        for p in d.shareholders()
    ]
    rep, director, manager, sup = (d.get(r) for r in ("legal_rep", "director", "manager", "supervisor"))
    director = director or (rep if rep != manager else None)
    if director:
        data["directors"] = [{"name": d.name_of(director), "position": "执行董事"}]
    if manager:
        data["manager"] = d.name_of(manager)
    if rep:
        position = "执行董事" if rep == director else "经理" if rep == manager else None
        data["legal_rep"] = {**d._person(rep), "position": position}
    if sup:
        data["supervisor"] = d._person(sup)


def _drop_none(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _drop_none(v) for k, v in x.items() if v is not None}
    if isinstance(x, list):
        return [_drop_none(v) for v in x]
    return x


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
