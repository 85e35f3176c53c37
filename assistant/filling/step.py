"""The filling step of a turn and the service façade the Assistant, API and CLI share.

The step runs after the guardrails (the question is PII-masked; originals are in ctx.pii) and before the router:
a registration intent starts a draft; while a draft is open, a message with form values, a yes/no to a pending
contradiction or a "why do you need …" is a filling turn; any other message (a policy question) goes on to the
normal answer path and the service appends a reminder of what is still missing."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.approval import Application, ApprovalEngine, Decision
from assistant.domain import Status
from assistant.errors import NotFoundError, UserError
from assistant.filling.draft import FormDraft
from assistant.filling.extract import Extraction, Extractor
from assistant.filling.policy import FillPolicy, Missing, TurnOutcome
from assistant.pipeline.context import TurnContext
from assistant.pipeline.router import IntentRouter
from assistant.store.drafts import DraftStore

log = logging.getLogger(__name__)
PENDING_SOURCE = "message:?"
_QUESTION = re.compile(
    r"[吗么呢嘛][？?]?\s*$|[？?]\s*$|怎么|如何|什么|哪些|多久|多少钱|能不能|可不可以|要不要|是否|\b(?:how|what|when|can|do|does|is|are|should)\b.*\?",
    re.I,
)


@dataclass
class DraftView:
    """A session's draft as transports show it: the Application, each field's state and what is missing."""

    session_id: str
    status: str
    application: Application
    fields: list[dict[str, Any]]
    missing: list[dict[str, str]]
    decision: Decision | None = None
    submission: dict | None = None


class Filling:
    """Drafts, extraction and policy behind one object (the Assistant owns one)."""

    def __init__(self, knowledge_dir: Path, data_dir: Path, engine: ApprovalEngine, drafts: DraftStore) -> None:
        self.extract = Extractor(data_dir, knowledge_dir)
        self.policy = FillPolicy(knowledge_dir, data_dir, engine)
        self.drafts = drafts
        self.engine = engine
        self.proposer: Any = None  # LlmProposer when settings.fill_llm == "fallback"

    def start(self, session_id: str, lang: str = "zh") -> FormDraft:
        return FormDraft(session_id=session_id, lang=lang)

    def warm_up(self) -> None:
        """Load the division, name, scope and industry tables (and jieba) once, by filling a throwaway draft."""
        draft = FormDraft(session_id="warm-up")
        ex = self.extract(
            "我想在广州市天河区体育西路1号开个做软件开发的公司，名字叫青禾，我叫张伟出60万", draft, {}, "zh"
        )
        self.policy.turn(draft, ex, "warm-up", "zh", set())

    def run(
        self,
        draft: FormDraft,
        text: str,
        vault: dict[str, str],
        lang: str,
        source: str = PENDING_SOURCE,
        *,
        extraction: Extraction | None = None,
        before: set[str] | None = None,
        save: bool = True,
    ) -> TurnOutcome:
        """One filling turn; ``extraction`` is given when the model's confirmed proposals replace the parsers'.
        ``save=False``: the caller stores the draft (a chat turn stores it with its messages, in one transaction)."""
        before = before if before is not None else {p.key for p in draft.people}
        ex = extraction if extraction is not None else self.extract(text, draft, vault, lang)
        new_people = {p.key for p in draft.people} - before
        outcome = self.policy.turn(draft, ex, source, lang, new_people)
        if save:
            self.drafts.save(draft)
        return outcome

    def stamp(self, session_id: str, message_id: int) -> None:
        """Put the stored user message's id on the values this turn filled (the id exists only after the turn)."""
        draft = self.drafts.get(session_id)
        if draft is not None and stamp_draft(draft, message_id):
            self.drafts.save(draft)

    def reminder(self, draft: FormDraft, lang: str) -> str:
        missing = self.policy.missing(draft)
        if draft.status == "complete" or not missing:
            return (
                "(Your application is complete; press “确认提交 / Confirm” when you are ready.)"
                if lang.startswith("en")
                else "（您的申请表已填写完整，核对无误后可点击“确认提交”。）"
            )
        labels = "、".join(dict.fromkeys(m.label(draft, lang) for m in missing[:3]))
        if lang.startswith("en"):
            return f"(Back to your application: still missing {labels}. {missing[0].question(draft, lang)})"
        return f"（继续填写申请表：还缺{labels}。{missing[0].question(draft, lang)}）"

    def view(self, session_id: str, lang: str = "zh", *, with_decision: bool = True) -> DraftView:
        draft = self.drafts.get(session_id)
        if draft is None:
            raise NotFoundError(
                f"会话 {session_id} 还没有申请表草稿。请先说“我要注册公司”开始填写。",
                f"Session {session_id} has no application draft yet. Say “I want to register a company” to start.",
                field="session_id",
            )
        app = self.policy.application(draft)
        decision = self.engine.check(app) if with_decision and draft.get("entity_type") else None
        return DraftView(
            session_id=session_id,
            status=draft.status,
            application=app,
            fields=self.fields(draft, lang),
            missing=missing_json(self.policy.missing(draft), draft, lang),
            decision=decision,
            submission=draft.submission,
        )

    def fields(self, draft: FormDraft, lang: str) -> list[dict[str, Any]]:
        rows = []
        shown = {k: (label, value) for k, label, value in self.policy.rows(draft, lang)}
        for k, fv in draft.fields.items():
            if k not in shown:
                continue
            rows.append(
                {
                    "field": k,
                    "label": shown[k][0],
                    "display": shown[k][1],
                    "state": fv.state,
                    "source": fv.source,
                    "confidence": fv.confidence,
                    "typed": fv.typed,
                    "note": fv.note_en if lang.startswith("en") else fv.note,
                }
            )
        for m in self.policy.missing(draft):
            rows.append(
                {
                    "field": m.key,
                    "label": m.label(draft, lang),
                    "display": "",
                    "state": "missing",
                    "source": "",
                    "confidence": 0.0,
                    "typed": False,
                    "note": m.question(draft, lang),
                }
            )
        return rows

    def sources(self, draft: FormDraft) -> dict[str, str]:
        """Where each Application field came from, for the confirmation sheet's 来源 column."""
        out: dict[str, str] = {}
        for k, fv in draft.fields.items():
            root = {"domicile_district_code": "domicile"}.get(k, k)
            if k.startswith("people."):
                roles = draft.roles_of(k.split(".")[1])
                root = {"shareholder": "shareholders"}.get(roles[0], roles[0]) if roles else "shareholders"
            label = (
                "对话中填写"
                if fv.typed and fv.source.startswith("message")
                else "在线修改"
                if fv.source == "edit"
                else "证件识别"
                if fv.source.startswith("document")
                else "系统推算，请核对"
            )
            out.setdefault(root, label)
        return out

    def edit(self, session_id: str, field: str, value: Any, lang: str = "zh") -> DraftView:
        """An inline edit from the form panel: the value is parsed as if the applicant had typed it in answer to
        that field's question, and recorded as an explicit correction."""
        draft = self.drafts.get(session_id)
        if draft is None:
            raise NotFoundError(
                f"会话 {session_id} 还没有申请表草稿。",
                f"Session {session_id} has no application draft.",
                field="session_id",
            )
        if draft.status == "confirmed":
            raise UserError("申请已确认提交，不能再修改。", "The application is already submitted.", field="field")
        key = resolve_field(draft, field)
        if not isinstance(value, str | int | float) or isinstance(value, bool) or not str(value).strip():
            raise UserError("请填写一个值。", "Please give a value.", field="value")
        from assistant.guardrails import pii

        text = str(value).strip()[:300]
        masked, vault = pii.mask(text, data_dir=self.policy.data_dir)
        draft.asked = [key]
        draft.pending = None
        outcome = self.run(draft, f"改成{masked}" if key != "person.id_number" else masked, vault.entries, lang, "edit")
        if key not in outcome.changed and not any(c.startswith(key) for c in outcome.changed):
            problems = [ln for ln in outcome.reply.splitlines() if ln and not ln.startswith(("已记录", "Noted"))]
            raise UserError(
                f"“{text}”不能填入该字段。{problems[0] if problems else ''}",
                f"“{text}” cannot go into that field.",
                field="value",
            )
        return self.view(session_id, lang)


def stamp_draft(draft: FormDraft, message_id: int) -> bool:
    """Name the user message on the values this turn filled (in memory); True when any value was pending."""
    src = f"message:{message_id}"
    touched = False
    for fv in draft.fields.values():
        if fv.source == PENDING_SOURCE:
            fv.source, touched = src, True
    for ch in draft.history:
        if ch.source == PENDING_SOURCE:
            ch.source, touched = src, True
    return touched


def missing_json(missing: list[Missing], draft: FormDraft, lang: str) -> list[dict[str, str]]:
    return [{"field": m.key, "label": m.label(draft, lang), "question": m.question(draft, lang)} for m in missing]


_PATH = re.compile(
    r"^(shareholders)\.(\d+)\.(name|id_number|contribution_wan)$|^(legal_rep|supervisor|investor|operator)\.(name|id_number|contribution_wan)$"
)


def resolve_field(draft: FormDraft, field: str) -> str:
    """A draft field key from a draft key (people.p2.name) or an Application path (shareholders.1.name)."""
    if not isinstance(field, str) or not field:
        raise UserError("请指明要修改的字段。", "Name the field to change.", field="field")
    simple = {
        "entity_type",
        "proposed_name",
        "domicile",
        "business_premises",
        "registered_capital_wan",
        "business_scope",
        "industry_code",
        "phone",
        "operating_period",
        "composition",
        "legal_rep",
        "supervisor",
        "manager",
        "investor",
        "operator",
    }
    if field in simple or (field.startswith("people.") and field in draft.fields):
        return field
    m = _PATH.match(field)
    if m and m.group(1):
        holders = draft.shareholders()
        i = int(m.group(2))
        if i < len(holders):
            return f"people.{holders[i].key}.{m.group(3)}"
    elif m:
        pk = draft.get(m.group(4))
        if pk:
            return f"people.{pk}.{m.group(5)}"
        if m.group(5) == "name":
            return m.group(4)
    person_field = re.fullmatch(r"people\.(p\d+)\.(?:name|id_number|contribution_wan|subscription_deadline)", field)
    if person_field and draft.person(person_field.group(1)) is not None:
        return field
    raise UserError(f"没有这个字段：{field}", f"Unknown field: {field}", field="field")


@dataclass
class FillForm:
    """Pipeline step: a filling turn ends with form_filling / form_complete and the policy's reply."""

    filling: Filling
    router: IntentRouter

    def __call__(self, ctx: TurnContext) -> None:
        if ctx.staff:
            return
        with ctx.timed("fill"):
            self._turn(ctx)

    def _turn(self, ctx: TurnContext) -> None:
        text = ctx.question
        latin, han = len(re.findall(r"[A-Za-z]", text)), len(re.findall(r"[\u4e00-\u9fff]", text))
        words = len(re.findall(r"\b[A-Za-z]{2,}\b", text))
        if (latin > 2 * han and latin >= 4) or words >= 4:  # "马骏's ID is …": English with Chinese names in it
            ctx.lang = "en"
        draft = self.filling.drafts.get(ctx.session_id)
        active = draft is not None and draft.status in ("filling", "complete")
        if active and draft is not None and draft.lang == "en" and re.search(r"\b[A-Za-z]{2,}\b", text):
            ctx.lang = "en"  # an English conversation stays English when a message carries Chinese names
        route = self.router.classify(text)
        if route.label in ("handoff", "complaint") and route.by == "rule" and route.detail == "always":
            return
        # 要交多少 / 需要什么材料: the router's question markers too, so a policy question never starts a form
        question = bool(_QUESTION.search(text)) or self.router.is_question(self.router.variants(text))
        if not active:
            if draft is not None and draft.status == "confirmed":
                return  # submitted: the record stays; a new application starts in a new session
            scratch = FormDraft(session_id=ctx.session_id, lang=ctx.lang)
            ex = self.filling.extract(text, scratch, ctx.pii, ctx.lang)
            kinds = {x.field for x in ex.proposals}
            strong = "entity_type" in kinds and len(kinds) >= 2 and not question
            if route.label != "registration" and not strong:
                return
            draft = FormDraft(session_id=ctx.session_id, lang=ctx.lang)
        assert draft is not None
        if active:
            probe = draft.model_copy(deep=True)
            ex = self.filling.extract(text, probe, ctx.pii, ctx.lang)
            news = [x for x in ex.proposals if probe.get(x.field) != x.value or x.field.startswith("people.")]
            answers = bool(news or ex.problems or ex.name_trade or ex.people_changed or ex.why)
            answers = answers or (bool(draft.pending) and (ex.yes or ex.no))
            if ex.why and not _mentions_form(text):
                answers = False
            if not answers and not question and self.filling.proposer is not None and draft.asked:
                before = {p.key for p in draft.people}  # the model proposes, the parsers confirm (fill_llm=fallback)
                proposed = self.filling.proposer(text, draft, ctx.pii, ctx.lang)
                if not proposed.empty:
                    outcome = self.filling.run(
                        draft, text, ctx.pii, ctx.lang, extraction=proposed, before=before, save=False
                    )
                    ctx.form, ctx.draft, ctx.route = outcome, draft, "registration"
                    ctx.stop(Status.FORM_COMPLETE if outcome.complete else Status.FORM_FILLING, outcome.reply)
                    return
            if not answers and route.label != "registration":
                ctx.reminder = self.filling.reminder(draft, ctx.lang)
                return
            if question and route.label == "policy" and not ex.why and len(ex.proposals) <= 1 and not draft.pending:
                ctx.reminder = self.filling.reminder(draft, ctx.lang)
                return
        outcome = self.filling.run(draft, text, ctx.pii, ctx.lang, save=False)  # the service stores it with the turn
        ctx.form, ctx.draft = outcome, draft
        ctx.route = "registration"
        ctx.stop(Status.FORM_COMPLETE if outcome.complete else Status.FORM_FILLING, outcome.reply)


def _mentions_form(text: str) -> bool:
    return bool(re.search(r"填|写|要|需要|问|提供|need|ask|give|form|field", text, re.I))
