"""Assistant: the service object every transport (API, UI, CLI) calls."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from assistant.approval import Application, ApprovalEngine, Decision
from assistant.domain import Status, TurnResult
from assistant.errors import UserError
from assistant.filling.step import DraftView, FillForm, Filling, stamp_draft
from assistant.guardrails import pii
from assistant.guardrails.steps import Guardrails, MaskPII, OutputGuard, Screen
from assistant.health import GuardedChat, Part, PartsHealth, PartStatus, Readiness, notice_for
from assistant.lexical import QueryExpander
from assistant.pipeline import steps
from assistant.pipeline.context import TurnContext
from assistant.pipeline.evidence import place_names
from assistant.pipeline.router import IntentRouter, routing_steps
from assistant.pipeline.runner import Step, run_steps
from assistant.policy.staff_chat import StaffTurnResult
from assistant.ports import ChatModel, Embedder, Reranker, VectorIndex
from assistant.prompts import load_prompt
from assistant.retrieval import HybridRetriever
from assistant.settings import Settings
from assistant.store import SessionStore
from assistant.store.audit import AuditLog, append_row
from assistant.store.db import NewMessage
from assistant.store.drafts import DraftStore
from assistant.store.feedback import FeedbackReasons, FeedbackRecord, FeedbackStore, KnowledgeGap, RecordedWarning
from assistant.store.staff import AuthError, LoginToken, StaffStore, StaffUser
from assistant.store.tickets import TicketDetail, TicketKind, TicketStore, check_text

log = logging.getLogger(__name__)


@dataclass
class Health:
    ready: bool
    models: dict[str, str] = field(default_factory=dict)
    index_chunks: int = 0
    load_seconds: dict[str, float] = field(default_factory=dict)
    error: str = ""


class Assistant:
    def __init__(
        self,
        settings: Settings,
        *,
        chat: ChatModel,
        embedder: Embedder,
        index: VectorIndex,
        store: SessionStore,
    ) -> None:
        self.settings = settings
        self.parts = PartsHealth()  # per-part state for /readyz (assistant/health.py)
        # one generation at a time under a time budget and an admission limit; failures → retrieval-only answers
        chat = GuardedChat(chat, self.parts, timeout_s=settings.llm_timeout_s, max_waiting=settings.llm_max_waiting)
        self.chat = chat
        self.embedder = embedder
        self.index = index
        self.store = store
        self.replies = steps.Replies(settings.knowledge_dir)
        self.retriever = build_retriever(settings, embedder, index, lambda: chat)
        guards = Guardrails.load(settings.knowledge_dir, settings.data_dir)
        self.approval = ApprovalEngine.from_settings(settings)
        drafts = DraftStore(settings.sqlalchemy_url)
        self.filling = Filling(settings.knowledge_dir, settings.data_dir, self.approval, drafts)
        if settings.fill_llm == "fallback":
            from assistant.filling.propose import LlmProposer

            prompt = load_prompt(settings.prompts_dir, "fill_propose")
            self.filling.proposer = LlmProposer(chat, prompt, self.filling.extract, self.filling.policy)
        self.draft_provider = self._draft_and_decision
        self._steps: list[Step] = [
            steps.Normalize(self.replies, settings.max_message_chars),
            MaskPII(guards),  # before anything stores, retrieves or prompts with the question
            Screen(guards, self.replies),
            FillForm(self.filling, IntentRouter.load(settings.knowledge_dir, embedder)),  # form filling (issue 6)
            *routing_steps(settings.knowledge_dir, embedder, self.replies),  # follow-up rewriting, then the router
            steps.Retrieve(self.retriever, settings.top_k),
            steps.RelevanceGate(self.replies, settings.min_relevance, settings.min_lexical),
            steps.Answer(
                chat,
                load_prompt(settings.prompts_dir, "answer"),
                self.replies,
                settings.llm_max_tokens,
                OutputGuard(guards),
                expander=self.retriever.expander,
                knowledge_dir=settings.knowledge_dir,
                catalogue=steps.linked_catalogue(self),
                is_place=place_names(settings.data_dir),
            ),
        ]
        self.audit = AuditLog(settings.sqlalchemy_url)
        self.health = Health(ready=False)
        self._warm_lock = threading.Lock()

    def warm_up(self) -> Health:
        """Load every model once; record what loaded and how long it took."""
        with self._warm_lock:
            if self.health.ready:
                return self.health
            timings: dict[str, float] = {}
            degradable: dict[str, Part] = {  # a part that fails here is recorded down; the service starts degraded
                "embedder": "embedder",
                "lexical_index": "index",
                "chat_model": "chat",
                "answer_prefix": "chat",
            }
            for name, fn in (
                ("approval_engine", self.approval.warm_up),
                ("form_filling", self.filling.warm_up),
                ("embedder", self.embedder.warm_up),
                ("lexical_index", self.retriever.refresh),
                ("chat_model", self.chat.warm_up),
                ("answer_prefix", self._answer_step().prime),
            ):
                t0 = time.perf_counter()
                part = degradable.get(name)
                if part is not None and name == "answer_prefix" and self.parts.status("chat") == "down":
                    continue  # no model, no prefix to prime
                try:
                    fn()
                except Exception as exc:
                    if part is None:
                        raise
                    log.error("warm-up: %s failed (%s: %s); starting degraded", name, type(exc).__name__, exc)
                    self.parts.failed(part, exc, detail=f"warm-up: {str(exc)[:200]}")
                    continue
                if part is not None and part != "chat":  # GuardedChat records the chat model itself
                    self.parts.ok(part)
                timings[name] = round(time.perf_counter() - t0, 2)
            self._probe_store()
            self.health = Health(
                ready=True,
                models={"chat": self.chat.name, "embedder": self.embedder.name},
                index_chunks=self.retriever.size,
                load_seconds=timings,
            )
            return self.health

    def _answer_step(self) -> steps.Answer:
        return next(s for s in self._steps if isinstance(s, steps.Answer))

    def _probe_store(self) -> None:
        from assistant.health import probe_store

        try:
            probe_store(self.store.engine)
        except Exception as exc:
            self.parts.failed("store", exc, detail=f"probe: {str(exc)[:200]}")
        else:
            self.parts.ok("store")

    def readiness(self) -> Readiness:
        """GET /readyz: each part's state (store and index probed now); ready when the applicant path can answer."""
        from assistant.health import probe_store, readiness

        if self.retriever.size == 0:  # the index was down at start: try loading the chunks again
            try:
                self.retriever.refresh()
            except Exception as exc:
                log.warning("index still unavailable: %s", type(exc).__name__)
        return readiness(
            self.parts,
            store=lambda: probe_store(self.store.engine),
            index_count=self.index.count,
            lexical_chunks=self.retriever.size,
        )

    def ask(
        self,
        message: str,
        *,
        session_id: str | None = None,
        lang: str | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> TurnResult:
        if not isinstance(message, str):
            raise UserError("问题必须是文字。", "The message must be text.", field="message")
        sid = self.store.open_session(session_id, lang or "zh")
        ctx = TurnContext(
            session_id=sid,
            message=message,
            lang=lang or "auto",
            history=self.store.history(sid),
            on_token=on_token,
        )
        run_steps(ctx, self._steps)
        status = ctx.status or Status.NO_ANSWER
        degraded = self._record_parts(ctx)
        notice = notice_for(degraded, ctx.lang) if status in DEGRADABLE else ""
        if notice:  # said in the answer itself, so the widget and the stored transcript show it too
            ctx.answer = f"{ctx.answer}\n\n{notice}" if ctx.answer else notice
        question = NewMessage("user", ctx.question or message[: self.settings.max_message_chars])
        answer = ctx.answer
        if ctx.reminder and answer:  # a policy question in the middle of filling: remind what is still missing
            answer = f"{answer}\n\n{ctx.reminder}"
        # crash safety: the user message, the draft (its values name that message) and the reply are stored in ONE
        # transaction, so a turn acknowledged to the client is all there and a killed process leaves none of it
        write_draft = self._draft_writer(ctx)
        if status in TICKET_KINDS:  # 转人工 / complaint: open (or add to) the session's ticket, name it in the reply
            self.store.add_messages(sid, [question], then=write_draft)  # the ticket copies the transcript with it
            ticket = self.open_ticket(sid, TICKET_KINDS[status], ctx.question, ctx.lang)
            answer = with_ticket_ref(answer, ticket.id, ctx.lang)
            message_id = self.store.add_message(sid, "assistant", answer, status.value, ctx.citations)
        else:
            reply = NewMessage("assistant", answer, status.value, ctx.citations)
            message_id = self.store.add_messages(sid, [question, reply], then=write_draft)[1]
        form = self._form_fields(ctx, sid)
        return TurnResult(
            session_id=sid,
            status=status,
            answer=answer,
            citations=ctx.citations,
            timings_ms=ctx.timings_ms,
            message_id=message_id,
            route=ctx.route,
            question=ctx.question,
            degraded=degraded,
            notice=notice,
            **form,
        )

    def _record_parts(self, ctx: TurnContext) -> list[str]:
        """Record the embedder's and the index's outcome of this turn's retrieval (failure or recovery) and
        return the parts the turn did without, in a fixed order (the chat model records itself)."""
        part: Part
        for part in ("embedder", "index"):
            if part in ctx.degraded:  # the embedder is down; the index is degraded while BM25 has its chunks
                status: PartStatus = "degraded" if part == "index" and self.retriever.size else "down"
                self.parts.failed(part, ctx.degraded[part], status=status, detail="failed in retrieval: BM25 only")
            elif "retrieve" in ctx.timings_ms and "embedder" not in ctx.degraded:  # the dense search ran
                self.parts.ok(part)
        return [p for p in ("chat", "embedder", "index") if p in ctx.degraded]

    # --- form filling (填表): the session's draft, inline edits and the explicit confirmation ----------------
    def _draft_writer(self, ctx: TurnContext) -> Callable[[Session, list[int]], None] | None:
        """Writes the turn's draft, its new values stamped with the user message's id, inside the turn's
        transaction (SessionStore.add_messages); None when the turn changed no draft."""
        draft = ctx.draft
        if draft is None:
            return None

        def write(db: Session, ids: list[int]) -> None:
            stamp_draft(draft, ids[0])
            DraftStore.write(db, draft)

        return write

    def _form_fields(self, ctx: TurnContext, sid: str) -> dict[str, Any]:
        if ctx.form is None:
            return {}
        view = self.filling.view(sid, ctx.lang, with_decision=False)
        decision = ctx.form.decision
        return {
            "draft": view.application.model_dump(mode="json", exclude_none=True),
            "missing_fields": view.missing,
            "decision": decision.model_dump(mode="json") if decision else None,
        }

    def _draft_and_decision(self, session_id: str) -> tuple[Application | None, Decision | None]:
        draft = self.filling.drafts.get(session_id)
        if draft is None:
            return None, None
        app = self.filling.policy.application(draft)
        return app, self.approval.check(app) if draft.get("entity_type") else None

    def draft(self, session_id: str, lang: str = "zh") -> DraftView:
        """GET /v1/sessions/{id}/draft: the Application, each field's state and what is still missing."""
        if not self.store.exists(session_id):
            self.store.open_session(session_id)  # raises the bilingual 404
        return self.filling.view(session_id, lang)

    def edit_draft(self, session_id: str, field: str, value: Any, lang: str = "zh") -> DraftView:
        """PATCH /v1/sessions/{id}/draft: an inline edit of one field, recorded as the applicant's correction."""
        if not self.store.exists(session_id):
            self.store.open_session(session_id)
        return self.filling.edit(session_id, field, value, lang)

    def draft_document(self, session_id: str, kind: str, fmt: str = "html") -> bytes:
        """The session draft rendered as the standard form, the confirmation sheet or the articles."""
        from assistant.forms import render_document

        view = self.draft(session_id)
        draft = self.filling.drafts.get(session_id)
        sources = self.filling.sources(draft) if draft else None
        return render_document(kind, view.application, view.decision, sources=sources, fmt=fmt)  # type: ignore[arg-type]

    def confirm(self, session_id: str, lang: str = "zh") -> dict:
        """POST /v1/sessions/{id}/confirm: the applicant's explicit confirmation. The complete draft is submitted
        (Assistant.submit: blocked applications are refused), the receipt is kept on the draft and in the audit log."""
        view = self.draft(session_id, lang)
        draft = self.filling.drafts.get(session_id)
        assert draft is not None
        if draft.status == "confirmed" and draft.submission:
            return draft.submission
        if view.missing:
            labels = "、".join(m["label"] for m in view.missing[:5])
            raise UserError(
                f"申请表还没有填完，不能提交。还缺：{labels}。",
                f"The application is not complete yet. Missing: {', '.join(m['label'] for m in view.missing[:5])}.",
                field="draft",
            )
        record, status, decision = self._submission(view.application, confirmed=True)
        text = self.replies.get(Status.CONFIRMED, "en" if lang.startswith("en") else "zh")
        done: dict[str, dict] = {}

        def record_all(db: Session, _ids: list[int]) -> None:  # inside the reply's transaction (it holds the lock)
            receipt = {"receipt": append_row(db, "submission", record), "status": status, "decision": decision}
            receipt["session_id"] = session_id
            append_row(db, "confirmation", {"session_id": session_id, "receipt": receipt["receipt"]})
            draft.status = "confirmed"
            draft.submission = receipt
            DraftStore.write(db, draft)
            done["receipt"] = receipt

        # crash safety: the submission, the confirmation, the confirmed draft and the reply commit together, so a
        # retry after a crash never records a second submission
        reply = NewMessage("assistant", f"{text}（{status}）", Status.CONFIRMED.value)
        self.store.add_messages(session_id, [reply], then=record_all)
        return done["receipt"]

    def check_application(self, application: Application) -> Decision:
        """The approval engine's decision, appended to the hash-chained audit log."""
        decision = self.approval.check(application)
        self.audit.append(
            "decision",
            {
                "application": application.model_dump(mode="json", exclude_none=True),
                "decision": decision.model_dump(mode="json", exclude={"elapsed_ms"}),
            },
        )
        return decision

    def submit(self, application: Application, *, confirmed: bool) -> dict:
        """Record a confirmed submission. Confirmation is its own explicit act, never a side effect; a blocked
        application is refused with its findings; review goes to a person. Returns the receipt."""
        record, status, decision = self._submission(application, confirmed=confirmed)
        receipt = self.audit.append("submission", record)
        return {"receipt": receipt, "status": status, "decision": decision}

    def _submission(self, application: Application, *, confirmed: bool) -> tuple[dict, str, dict]:
        """The audit record, status and decision of a submission; refuses an unconfirmed or blocked one."""
        if not confirmed:
            raise UserError(
                "提交前需要申请人确认信息无误（confirmed=true）。",
                "The applicant must confirm the information before submitting (confirmed=true).",
                field="confirmed",
            )
        decision = self.approval.check(application)
        if decision.decision == "block":
            reasons = "；".join(f.message for f in decision.findings if f.severity == "block")
            raise UserError(
                f"申请未通过审查，不能提交：{reasons}", "The application is blocked and cannot be submitted."
            )
        record = {
            "application": application.model_dump(mode="json", exclude_none=True),
            "decision": decision.model_dump(mode="json", exclude={"elapsed_ms"}),
        }
        status = "submitted" if decision.decision == "pass" else "submitted_for_review"
        return record, status, decision.model_dump(mode="json")

    # --- hand-off tickets (转人工) and the staff console ------------------------------------------------------
    draft_provider: DraftProvider | None = None  # the session's (draft, decision), set in __init__

    @property
    def tickets(self) -> TicketStore:
        return self._lazy("_tickets", lambda: TicketStore(self.settings.sqlalchemy_url))

    @property
    def staff(self) -> StaffStore:
        ttl = timedelta(hours=self.settings.staff_token_hours)
        return self._lazy("_staff", lambda: StaffStore(self.settings.sqlalchemy_url, ttl))

    def _lazy(self, name: str, make: Callable[[], Any]) -> Any:
        with _STORES_LOCK:
            if name not in self.__dict__:
                self.__dict__[name] = make()
            return self.__dict__[name]

    def open_ticket(self, session_id: str, kind: TicketKind, reason: str, lang: str = "zh") -> TicketDetail:
        """Open the session's ticket (or add this request to its active one) with the masked transcript, the
        current draft and its failed checks."""
        draft, decision = self.draft_provider(session_id) if self.draft_provider else (None, None)
        decision_json = decision.model_dump(mode="json", exclude={"elapsed_ms"}) if decision else None
        decision_json = decision_json or last_recorded_decision(self.audit, session_id)
        ticket, created = self.tickets.open_or_add(
            session_id,
            kind,
            reason,
            lang="en" if lang.startswith("en") else "zh",
            transcript=self.store.messages(session_id),
            draft=draft.model_dump(mode="json", exclude_none=True) if draft else None,
            decision=decision_json,
            failed_checks=failed_checks(decision_json),
        )
        log.info("ticket %s %s for a session (%s)", ticket.id, "opened" if created else "updated", kind)
        return ticket

    def handoff(self, session_id: str | None, reason: str = "", lang: str | None = None) -> TurnResult:
        """The 转人工 button: a ticket for the session (opened if needed), the canned reply with its number."""
        reason = pii.mask(reason or "", data_dir=self.settings.data_dir)[0].strip()
        if len(reason) > self.settings.max_message_chars:
            raise UserError(
                f"说明请控制在 {self.settings.max_message_chars} 字以内。",
                f"The reason is over the {self.settings.max_message_chars}-character limit.",
                field="reason",
            )
        lang = steps.detect_lang(reason, lang if lang in ("zh", "en") else None) if reason else lang or ""
        lang = "en" if lang.startswith("en") else "zh"
        sid = self.store.open_session(session_id, lang)
        if reason:
            self.store.add_message(sid, "user", reason)
        ticket = self.open_ticket(sid, "handoff", reason, lang)
        answer = with_ticket_ref(self.replies.get(Status.HANDED_OFF, lang), ticket.id, lang)
        message_id = self.store.add_message(sid, "assistant", answer, Status.HANDED_OFF.value)
        return TurnResult(
            session_id=sid, status=Status.HANDED_OFF, answer=answer, message_id=message_id, route="handoff"
        )

    def ticket(self, ticket_id: int) -> TicketDetail:
        """A ticket with its session's current transcript (staff replies and later turns included)."""
        t = self.tickets.get(ticket_id)
        if self.store.exists(t.session_id):
            t.transcript = self.store.messages(t.session_id)
        return t

    @property
    def login_guard(self) -> Any:  # assistant.api.limits.LoginGuard: failed logins per account and IP
        from assistant.api.limits import LoginGuard

        return self._lazy("_login_guard", lambda: LoginGuard.from_settings(self.settings))

    def authenticate_staff(self, name: str, password: str, via: str = "api", client: str | None = None) -> StaffUser:
        """The staff account for a name and password (401 otherwise; 429 while the account or the client IP is
        locked out after too many failures: assistant/api/limits.py); both outcomes are audited."""
        self.login_guard.check(name[:32], client)
        user = self.staff.authenticate(name, password)
        if user is None:
            self.login_guard.failed(name[:32], client)
            self.audit.append("staff", {"action": "login_failed", "staff": name[:32], "via": via})
            raise AuthError("用户名或密码不正确。", "Wrong name or password.", field="password")
        self.login_guard.succeeded(name[:32])
        self.audit.append("staff", {"action": "login", "staff": user.name, "via": via})
        return user

    def staff_login(self, name: str, password: str, client: str | None = None) -> LoginToken:
        """POST /v1/staff/login: a bearer token for the account."""
        return self.staff.issue_token(self.authenticate_staff(name, password, client=client))

    def claim_ticket(self, ticket_id: int, staff: str) -> TicketDetail:
        self.tickets.claim(ticket_id, staff)
        self.audit.append("staff", {"action": "ticket_claim", "staff": staff, "ticket": ticket_id})
        return self.ticket(ticket_id)

    def reply_ticket(self, ticket_id: int, staff: str, text: str) -> tuple[TicketDetail, int]:
        """Post a staff reply into the ticket's session (the applicant's widget shows it). Returns the
        ticket and the stored message id."""
        text = check_text(text, "text", limit=MAX_STAFF_TEXT)
        t = self.tickets.check_replyable(ticket_id)
        message_id = self.store.add_message(t.session_id, "staff", text, "staff_reply")
        self.tickets.record_reply(ticket_id, staff)
        self.audit.append(
            "staff",
            {"action": "ticket_reply", "staff": staff, "ticket": ticket_id, "message_id": message_id, "text": text},
        )
        return self.ticket(ticket_id), message_id

    def close_ticket(self, ticket_id: int, staff: str, note: str = "") -> TicketDetail:
        note = check_text(note, "note", limit=MAX_STAFF_TEXT) if (note or "").strip() else ""
        self.tickets.close(ticket_id, staff, note)
        self.audit.append("staff", {"action": "ticket_close", "staff": staff, "ticket": ticket_id, "note": note})
        return self.ticket(ticket_id)

    # --- feedback, knowledge gaps, staff-mode chat and procedure warnings (反馈、知识缺口、内部问答) -------------
    @property
    def insights(self) -> FeedbackStore:
        return self._lazy("_insights", lambda: FeedbackStore(self.settings.sqlalchemy_url))

    @property
    def feedback_reasons(self) -> FeedbackReasons:
        return self._lazy("_feedback_reasons", lambda: FeedbackReasons.load(self.settings.knowledge_dir))

    def feedback(
        self,
        session_id: str,
        message_id: int,
        vote: str,
        reason: str | None = None,
        *,
        comment: str | None = None,
        lang: str = "zh",
    ) -> FeedbackRecord:
        """👍 / 👎 on one answer of the session, with a listed reason (答非所问 / 信息有误 / 看不懂 / 没有依据 / 其他)
        or free text; a second vote on the same answer replaces the first. Free text is PII-masked."""
        if isinstance(message_id, bool) or not isinstance(message_id, int):
            raise UserError("回答编号必须是整数。", "message_id must be an integer.", field="message_id")
        code, note = self.feedback_reasons.resolve(reason, comment)
        if note:
            note = pii.mask(note, data_dir=self.settings.data_dir)[0]
        record = self.insights.vote(session_id, message_id, vote, code, note)
        return record.model_copy(update={"reason_label": self.feedback_reasons.label(code, lang)})

    def knowledge_gaps(self, *, limit: int = 50, only: str = "all") -> list[KnowledgeGap]:
        """Unanswered and down-voted questions grouped by similar wording, newest first (staff view).
        ``only``: all | unanswered | downvoted."""
        from assistant.store.feedback import group_gaps

        reasons = self.feedback_reasons
        terms = self._lazy("_domain_terms", lambda: steps.DomainTerms(self.settings.knowledge_dir))
        items = [
            i
            for i in self.insights.gap_candidates(reasons.gap_statuses)
            if i.vote != "up" and (i.status != "out_of_scope" or i.vote == "down" or terms.covers(i.question))
        ]
        if only == "downvoted":
            items = [i for i in items if i.vote == "down"]
        elif only == "unanswered":
            items = [i for i in items if i.status in reasons.gap_statuses]
        embed = self.embedder.embed_queries if self.health.ready else None
        return group_gaps(items, embed=embed, reasons=reasons, limit=limit)

    def staff_ask(
        self, message: str, session_id: str | None = None, *, staff: str = "", lang: str | None = None
    ) -> StaffTurnResult:
        """The internal chat: the same pipeline with ctx.staff=True (complaint tickets retrievable, every
        retrieved passage listed as a source) plus procedure warnings on a stated action, each recorded."""
        from assistant.errors import NotFoundError
        from assistant.policy.procedure import ProcedureChecker
        from assistant.policy.staff_chat import sources_of, staff_steps

        if not isinstance(message, str):
            raise UserError("问题必须是文字。", "The message must be text.", field="message")
        if session_id and not self.insights.is_staff_session(session_id):
            raise NotFoundError(
                f"内部问答会话 {session_id} 不存在，请开始新的会话。",
                f"Staff chat session {session_id} does not exist; start a new one.",
                field="session_id",
            )
        sid = self.store.open_session(session_id, lang or "zh")
        self.insights.mark_staff_session(sid, staff)
        ctx = TurnContext(
            session_id=sid, message=message, lang=lang or "auto", history=self.store.history(sid), staff=True
        )
        run_steps(ctx, self._lazy("_staff_steps", lambda: staff_steps(self._steps)))
        status = ctx.status or Status.NO_ANSWER
        statement = ctx.rewritten_from or ctx.question  # as typed (masked), not as rewritten from the history
        checkable = statement and status not in (Status.REFUSED_INJECTION, Status.INVALID_INPUT)
        checker = ProcedureChecker.load(self.settings.knowledge_dir)
        warnings = checker.check(statement) if checkable else []
        question = NewMessage("user", ctx.question or message[: self.settings.max_message_chars])
        reply = NewMessage("assistant", ctx.answer, status.value, ctx.citations)
        message_id = self.store.add_messages(sid, [question, reply])[1]  # one transaction
        for w in warnings:
            basis = [b.model_dump() for b in w.basis]
            self.insights.record_warning(sid, staff, statement, w.id, w.message, w.message_en, basis)
            self.audit.append(
                "procedure_warning", {"session_id": sid, "staff": staff, "warning": w.id, "statement": statement}
            )
        return StaffTurnResult(
            session_id=sid,
            status=status,
            answer=ctx.answer,
            citations=ctx.citations,
            timings_ms=ctx.timings_ms,
            message_id=message_id,
            route="staff",
            question=ctx.question,
            sources=sources_of(ctx.passages),
            warnings=warnings,
        )

    def procedure_warnings(self, *, limit: int = 50, session_id: str | None = None) -> list[RecordedWarning]:
        """Recorded procedure warnings, newest first (staff view)."""
        return self.insights.warnings(limit=limit, session_id=session_id)


_STORES_LOCK = threading.Lock()
DEGRADABLE = {Status.ANSWERED, Status.ANSWERED_EXTRACTIVE, Status.MODEL_UNAVAILABLE, Status.NO_ANSWER}
DraftProvider = Callable[[str], tuple[Application | None, Decision | None]]
TICKET_KINDS: dict[Status, TicketKind] = {Status.HANDED_OFF: "handoff", Status.COMPLAINT_RECEIVED: "complaint"}
MAX_STAFF_TEXT = 4000


def with_ticket_ref(answer: str, ticket_id: int, lang: str) -> str:
    ref = f"Ticket number: {ticket_id}" if lang.startswith("en") else f"工单号：{ticket_id}"
    return f"{answer}\n\n{ref}" if answer else ref


def failed_checks(decision: dict | None) -> list[dict]:
    """The findings of a decision that stop or hold an application (block, review)."""
    keep = ("rule", "severity", "field", "message")
    return [
        {k: f.get(k) for k in keep}
        for f in (decision or {}).get("findings", [])
        if f.get("severity") in ("block", "review")
    ]


def last_recorded_decision(audit: AuditLog, session_id: str) -> dict | None:
    """The last approval decision the audit log recorded for this session (decisions carry the session id
    once drafts are bound to sessions), or None."""
    from sqlalchemy import select

    from assistant.store.audit import AuditRow, canonical

    needle = canonical({"session_id": session_id})[1:-1]  # "session_id":"..."
    with audit._sessions() as db:  # a read of the log's own table
        row = db.scalars(
            select(AuditRow)
            .where(AuditRow.kind == "decision", AuditRow.payload.contains(needle, autoescape=True))
            .order_by(AuditRow.seq.desc())
            .limit(1)
        ).first()
    if row is None:
        return None
    decision = json.loads(row.payload).get("decision")
    return decision if isinstance(decision, dict) else None


def build_retriever(
    settings: Settings, embedder: Embedder, index: VectorIndex, chat: Callable[[], ChatModel]
) -> HybridRetriever:
    """The hybrid retriever as the settings describe it (the service's and the staff knowledge base's).
    ``chat`` is called only when the reranker needs the model, so staff search works without one."""
    return HybridRetriever(
        embedder,
        index,
        QueryExpander(settings.knowledge_dir),
        candidates=settings.candidates,
        rrf_k=settings.rrf_k,
        lexical_weight=settings.lexical_weight,
        knowledge_dir=settings.knowledge_dir,
        reranker=build_reranker(settings, chat),
    )


def build_reranker(settings: Settings, chat: Callable[[], ChatModel]) -> Reranker | None:
    if settings.reranker == "llm":
        from assistant.rerank import LlmJudgeReranker

        return LlmJudgeReranker(chat(), load_prompt(settings.prompts_dir, "rerank"), depth=settings.rerank_depth)
    return None


def build_assistant(
    settings: Settings,
    *,
    chat: ChatModel | None = None,
    embedder: Embedder | None = None,
    index: VectorIndex | None = None,
) -> Assistant:
    """The Assistant the settings describe; evaluations may pass a chat model, embedder or index of their own."""
    from assistant import wiring

    wiring.configure(settings)
    if index is None:
        try:
            index = wiring.build_index(settings)
        except Exception as exc:  # a Chroma server down at start: serve degraded (503 service_degraded), reconnect
            from assistant.health import ReconnectingIndex

            log.error("vector index unavailable at start (%s: %s); retrying on use", type(exc).__name__, exc)
            index = ReconnectingIndex(lambda: wiring.build_index(settings), exc)
    if chat is None:
        try:
            chat = wiring.build_chat_model(settings)
        except Exception as exc:  # e.g. the model file is not installed: retrieval-only answers, /readyz says why
            from assistant.health import UnavailableChat

            log.error("chat model unavailable (%s: %s); answers are retrieval-only", type(exc).__name__, exc)
            chat = UnavailableChat(exc, settings.llm_model)
    return Assistant(
        settings,
        chat=chat,
        embedder=embedder if embedder is not None else wiring.build_embedder(settings),
        index=index,
        store=SessionStore(settings.sqlalchemy_url),
    )
