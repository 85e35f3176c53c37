"""Assistant: the service object every transport (API, UI, CLI) calls."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.approval import Application, ApprovalEngine, Decision
from assistant.domain import Status, TurnResult
from assistant.errors import UserError
from assistant.guardrails.steps import Guardrails, MaskPII, OutputGuard, Screen
from assistant.lexical import QueryExpander
from assistant.pipeline import steps
from assistant.pipeline.context import TurnContext
from assistant.pipeline.runner import Step, run_steps
from assistant.ports import ChatModel, Embedder, Reranker, VectorIndex
from assistant.prompts import load_prompt
from assistant.retrieval import HybridRetriever
from assistant.settings import Settings
from assistant.store import SessionStore
from assistant.store.audit import AuditLog


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
        self.chat = chat
        self.embedder = embedder
        self.index = index
        self.store = store
        self.replies = steps.Replies(settings.knowledge_dir)
        self.retriever = build_retriever(settings, embedder, index, lambda: chat)
        guards = Guardrails.load(settings.knowledge_dir, settings.data_dir)
        self._steps: list[Step] = [
            steps.Normalize(self.replies, settings.max_message_chars),
            MaskPII(guards),  # before anything stores, retrieves or prompts with the question
            Screen(guards, self.replies),
            steps.ScopeGate(self.replies, steps.DomainTerms(settings.knowledge_dir)),
            steps.Retrieve(self.retriever, settings.top_k),
            steps.RelevanceGate(self.replies, settings.min_relevance, settings.min_lexical),
            steps.Answer(
                chat,
                load_prompt(settings.prompts_dir, "answer"),
                self.replies,
                settings.llm_max_tokens,
                OutputGuard(guards),
            ),
        ]
        self.approval = ApprovalEngine.from_settings(settings)
        self.audit = AuditLog(settings.sqlalchemy_url)
        self.health = Health(ready=False)
        self._warm_lock = threading.Lock()

    def warm_up(self) -> Health:
        """Load every model once; record what loaded and how long it took."""
        with self._warm_lock:
            if self.health.ready:
                return self.health
            timings: dict[str, float] = {}
            for name, fn in (
                ("approval_engine", self.approval.warm_up),
                ("embedder", self.embedder.warm_up),
                ("lexical_index", self.retriever.refresh),
                ("chat_model", self.chat.warm_up),
            ):
                t0 = time.perf_counter()
                fn()
                timings[name] = round(time.perf_counter() - t0, 2)
            self.health = Health(
                ready=True,
                models={"chat": self.chat.name, "embedder": self.embedder.name},
                index_chunks=self.retriever.size,
                load_seconds=timings,
            )
            return self.health

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
        self.store.add_message(sid, "user", ctx.question or message[: self.settings.max_message_chars])
        self.store.add_message(sid, "assistant", ctx.answer, status.value, ctx.citations)
        return TurnResult(
            session_id=sid,
            status=status,
            answer=ctx.answer,
            citations=ctx.citations,
            timings_ms=ctx.timings_ms,
        )

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
        receipt = self.audit.append("submission", record)
        status = "submitted" if decision.decision == "pass" else "submitted_for_review"
        return {"receipt": receipt, "status": status, "decision": decision.model_dump(mode="json")}


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


def build_assistant(settings: Settings) -> Assistant:
    from assistant import wiring

    wiring.configure(settings)
    return Assistant(
        settings,
        chat=wiring.build_chat_model(settings),
        embedder=wiring.build_embedder(settings),
        index=wiring.build_index(settings),
        store=SessionStore(settings.sqlalchemy_url),
    )
