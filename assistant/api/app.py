"""The FastAPI app: /v1 routes, /healthz, OpenAPI at /docs, the applicant widget mounted at /ui."""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from assistant.api.documents import build_documents_router
from assistant.api.drafts import build_draft_router
from assistant.api.evaluation import build_eval_router
from assistant.api.feedback import build_feedback_router
from assistant.api.knowledge import build_knowledge_router
from assistant.api.limits import LimitsMiddleware, error_headers, lang_of, validation_message
from assistant.api.roles import APPLICANT, EVALUATOR, PUBLIC, STAFF, annotate, check_session
from assistant.api.schemas import (
    ChatRequest,
    ChatResponse,
    ErrorResponse,
    HealthResponse,
    SubmissionRequest,
    SubmissionResponse,
)
from assistant.api.speech import build_speech_router
from assistant.api.staff import build_handoff_router, build_staff_router
from assistant.approval.model import Application, Decision
from assistant.documents import DocumentReader
from assistant.errors import DaobanError
from assistant.health import (
    STORE_ERRORS,
    GuardedReader,
    GuardedTranscriber,
    PartsHealth,
    is_store_error,
    store_unavailable,
)
from assistant.logging_setup import install_log_masking
from assistant.ports import Transcriber
from assistant.service import Assistant, build_assistant
from assistant.settings import Settings, get_settings

log = logging.getLogger("daoban.api")


def _lang_of(request: Request) -> str:
    return lang_of(request.headers.get("accept-language"))


def create_app(
    settings: Settings | None = None,
    assistant: Assistant | None = None,
    *,
    with_ui: bool = True,
    transcriber: Transcriber | None = None,
    document_reader: DocumentReader | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    install_log_masking(settings.data_dir)  # no ID, phone, credit code or card number in any log line
    holder: dict[str, Assistant] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = assistant or build_assistant(settings)
        svc.warm_up()  # /healthz answers only once every model is loaded
        holder["svc"] = svc
        yield

    app = FastAPI(
        title="Daoban 导办 API",
        version="1",
        description="Grounded guidance and form filling for enterprise registration.",
        lifespan=lifespan,
    )

    def svc() -> Assistant:
        return holder["svc"]

    app.state.service = svc  # the role dependencies (assistant/api/roles.py) find accounts and sessions through it
    app.state.settings = settings
    # every route declares its role (assistant/api/roles.py; tests/unit/test_api_roles.py walks the table)
    app.include_router(build_knowledge_router(svc), dependencies=[STAFF])  # staff law browser, search, digests
    app.include_router(build_staff_router(svc))  # /v1/staff: login, hand-off tickets, audit (each route's role)
    app.include_router(build_handoff_router(svc), dependencies=[APPLICANT])  # POST /v1/sessions/{id}/handoff (转人工)
    app.include_router(build_draft_router(svc), dependencies=[APPLICANT])  # /v1/sessions/{id}/draft, /confirm, ...
    app.include_router(build_eval_router(settings), dependencies=[EVALUATOR])  # /v1/eval/runs: runs and reports
    app.include_router(build_feedback_router(svc))  # /v1/feedback; /v1/staff/gaps, /chat, /warnings (staff)

    def parts() -> PartsHealth:  # per-part state for /readyz (assistant/health.py)
        return holder["svc"].parts

    def build_speech() -> Transcriber:
        from assistant.wiring import build_transcriber

        return transcriber or build_transcriber(settings)

    # built on the first voice question, not at start-up; failing or over budget → 503 asr_unavailable
    guarded_speech = GuardedTranscriber(build_speech, parts, settings.speech_timeout_s)

    def speech_svc() -> Transcriber:
        return guarded_speech

    app.include_router(build_speech_router(speech_svc, settings.speech_max_bytes), dependencies=[PUBLIC])

    def build_reader() -> DocumentReader:
        from assistant.wiring import build_document_reader

        return document_reader or build_document_reader(settings)

    # the OCR engine is built on the first upload, not at start-up; failing or over budget → 503 ocr_unavailable
    guarded_reader = GuardedReader(build_reader, parts, settings.ocr_timeout_s)

    def reader_svc() -> DocumentReader:
        return guarded_reader  # type: ignore[return-value]

    app.include_router(  # POST /v1/documents (public; with a session id it fills that session's draft)
        build_documents_router(reader_svc, settings.document_max_bytes, svc), dependencies=[PUBLIC]
    )
    # body sizes (Content-Length and the bytes received), per-IP and per-session rate limits: assistant/api/limits.py
    app.add_middleware(LimitsMiddleware, settings=settings)

    @app.exception_handler(DaobanError)
    async def _daoban_error(request: Request, exc: DaobanError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.http_status, content=exc.to_dict(_lang_of(request)), headers=error_headers(exc)
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        field, msg = validation_message(list(exc.errors()), _lang_of(request))
        return JSONResponse(status_code=422, content={"code": "invalid_input", "message": msg, "field": field})

    async def _store_error(request: Request, exc: Exception) -> JSONResponse:
        """The store failing (locked, disk full, unopenable) is a 503 naming it; the turn's transaction rolled back."""
        if not is_store_error(exc):
            return await _unexpected(request, exc)
        log.error("store unavailable on %s: %s: %s", request.url.path, type(exc).__name__, exc)
        if "svc" in holder:
            holder["svc"].parts.failed("store", exc, detail=str(exc)[:200])
        return await _daoban_error(request, store_unavailable())

    for store_exc in STORE_ERRORS:
        app.add_exception_handler(store_exc, _store_error)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        zh = _lang_of(request) == "zh"
        msg = "服务内部错误，请稍后再试。" if zh else "Internal error; please try again later."
        return JSONResponse(status_code=500, content={"code": "internal", "message": msg, "field": None})

    @app.get("/healthz", response_model=HealthResponse, tags=["ops"], dependencies=[PUBLIC])
    def healthz() -> HealthResponse | JSONResponse:
        s = holder.get("svc")
        if s is None or not s.health.ready:
            return JSONResponse(
                status_code=503,
                content={"status": "starting", "models": {}, "index_chunks": 0, "load_seconds": {}},
            )
        h = s.health
        return HealthResponse(status="ok", models=h.models, index_chunks=h.index_chunks, load_seconds=h.load_seconds)

    @app.get("/readyz", tags=["ops"], dependencies=[PUBLIC], responses={503: {"description": "not ready"}})
    def readyz() -> JSONResponse:
        """Each part (chat, embedder, index, store, asr, ocr): ok | down | not_loaded | degraded, with its last
        failure. 200 when the applicant path can answer (store ok, index ok or degraded; the chat model, the
        embedder, ASR and OCR may be down), 503 otherwise with the reason (docs/trust/degradation.md)."""
        s = holder.get("svc")
        if s is None or not s.health.ready:
            body = {"status": "starting", "parts": {}, "reason": "models are loading", "details": {}}
            return JSONResponse(status_code=503, content=body)
        r = s.readiness()
        return JSONResponse(status_code=200 if r.ready else 503, content=r.to_dict())

    @app.post(
        "/v1/chat",
        response_model=ChatResponse,
        responses={404: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
        tags=["chat"],
        dependencies=[APPLICANT],  # no session_id: a new session, whose id the answer carries
    )
    def chat(req: ChatRequest) -> ChatResponse:
        r = svc().ask(req.message, session_id=req.session_id, lang=req.lang)
        return ChatResponse(**r.model_dump())

    @app.post(
        "/v1/chat/stream",
        tags=["chat"],
        responses={200: {"content": {"text/event-stream": {}}}},
        dependencies=[APPLICANT],
    )
    def chat_stream(req: ChatRequest) -> StreamingResponse:
        """Server-sent events: `token` events while the model writes, then one `result` event (ChatResponse).

        The result is authoritative: when the draft fails the grounding check it replaces the tokens.
        """
        q: queue.Queue[tuple[str, str] | None] = queue.Queue()
        service = svc()
        if req.session_id:  # an unknown session is a 404 before the stream starts
            check_session(service, req.session_id)

        def work() -> None:
            try:
                r = service.ask(
                    req.message,
                    session_id=req.session_id,
                    lang=req.lang,
                    on_token=lambda t: q.put(("token", json.dumps({"text": t}, ensure_ascii=False))),
                )
                q.put(("result", r.model_dump_json()))
            except DaobanError as exc:
                q.put(("error", json.dumps(exc.to_dict(req.lang or "zh"), ensure_ascii=False)))
            except Exception as exc:
                if is_store_error(exc):  # the store failing: a named 503-style event, the turn rolled back
                    service.parts.failed("store", exc, detail=str(exc)[:200])
                    err = store_unavailable().to_dict(req.lang or "zh")
                    q.put(("error", json.dumps(err, ensure_ascii=False)))
                    return
                log.exception("stream failed")
                q.put(
                    (
                        "error",
                        json.dumps({"code": "internal", "message": "服务内部错误，请稍后再试。"}, ensure_ascii=False),
                    )
                )
            finally:
                q.put(None)

        threading.Thread(target=work, daemon=True).start()

        def events() -> Iterator[str]:
            while (item := q.get()) is not None:
                yield f"event: {item[0]}\ndata: {item[1]}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    @app.get("/v1/sessions/{session_id}/messages", tags=["chat"], dependencies=[APPLICANT])
    def session_messages(session_id: str) -> list[dict]:  # APPLICANT: an unknown id is the uniform 404
        return svc().store.messages(session_id)

    @app.post(
        "/v1/approval/check",
        response_model=Decision,
        responses={422: {"model": ErrorResponse}},
        tags=["approval"],
        dependencies=[PUBLIC],
    )
    def approval_check(application: Application) -> Decision:
        """Run the deterministic approval engine (no LLM) on an Application; the decision is logged."""
        return svc().check_application(application)

    @app.post(
        "/v1/approval/documents/{kind}",
        tags=["approval"],
        responses={200: {"content": {"text/html": {}, "application/pdf": {}}}, 422: {"model": ErrorResponse}},
        dependencies=[PUBLIC],
    )
    def approval_document(
        kind: Literal["form", "confirmation", "articles"],
        application: Application,
        format: Literal["html", "pdf"] = "html",
    ) -> Response:
        """The prefilled standard form, the confirmation sheet (简明信息核对表) or the articles of association,
        for an Application (the engine's decision is included), as HTML or PDF."""
        from assistant.forms import render_document

        decision = svc().approval.check(application)
        body = render_document(kind, application, decision, fmt=format)
        media = "application/pdf" if format == "pdf" else "text/html; charset=utf-8"
        return Response(content=body, media_type=media)

    @app.post(
        "/v1/approval/submissions",
        response_model=SubmissionResponse,
        responses={422: {"model": ErrorResponse}},
        tags=["approval"],
        dependencies=[PUBLIC],
    )
    def approval_submit(req: SubmissionRequest) -> SubmissionResponse:
        """Submit a confirmed application: recorded in the hash-chained log; refused when blocked."""
        return SubmissionResponse(**svc().submit(req.application, confirmed=req.confirmed))

    @app.get("/", include_in_schema=False, dependencies=[PUBLIC])
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/" if with_ui else "/docs")

    if with_ui:
        from ui.widget import mount_widget

        mount_widget(app, svc, transcriber=speech_svc, reader=reader_svc, state_dir=settings.state_dir)
    annotate(app)  # x-role and the answers each role implies, in the OpenAPI document
    return app
