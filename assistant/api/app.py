"""The FastAPI app: /v1 routes, /healthz, OpenAPI at /docs, the applicant widget mounted at /ui."""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from assistant.api.auth import require_staff
from assistant.api.documents import build_documents_router
from assistant.api.drafts import build_draft_router
from assistant.api.feedback import build_feedback_router
from assistant.api.knowledge import build_knowledge_router
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
from assistant.ports import Transcriber
from assistant.service import Assistant, build_assistant
from assistant.settings import Settings, get_settings

log = logging.getLogger("daoban.api")
MAX_BODY_BYTES = 1 << 20


def _lang_of(request: Request) -> str:
    accept = request.headers.get("accept-language", "zh")
    return "en" if accept.lower().startswith("en") else "zh"


def create_app(
    settings: Settings | None = None,
    assistant: Assistant | None = None,
    *,
    with_ui: bool = True,
    transcriber: Transcriber | None = None,
    document_reader: DocumentReader | None = None,
) -> FastAPI:
    settings = settings or get_settings()
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

    app.state.service = svc  # require_staff finds the staff accounts through it
    staff_only = [Depends(require_staff)]
    app.include_router(build_knowledge_router(svc), dependencies=staff_only)  # staff law browser, search, digests
    app.include_router(build_staff_router(svc))  # /v1/staff: login, hand-off tickets (each route requires staff)
    app.include_router(build_handoff_router(svc))  # POST /v1/sessions/{id}/handoff (applicant: 转人工)
    app.include_router(build_draft_router(svc))  # /v1/sessions/{id}/draft, /confirm, /documents (form filling)
    app.include_router(build_feedback_router(svc))  # /v1/feedback; /v1/staff/gaps, /chat, /warnings (staff)
    speech: dict[str, Transcriber] = {"t": transcriber} if transcriber else {}

    def speech_svc() -> Transcriber:  # built on the first voice question, not at start-up
        if "t" not in speech:
            from assistant.wiring import build_transcriber

            speech["t"] = build_transcriber(settings)
        return speech["t"]

    app.include_router(build_speech_router(speech_svc, settings.speech_max_bytes))  # POST /v1/transcribe
    readers: dict[str, DocumentReader] = {"r": document_reader} if document_reader else {}

    def reader_svc() -> DocumentReader:  # the OCR engine is built on the first upload, not at start-up
        if "r" not in readers:
            from assistant.wiring import build_document_reader

            readers["r"] = build_document_reader(settings)
        return readers["r"]

    app.include_router(build_documents_router(reader_svc, settings.document_max_bytes))  # POST /v1/documents

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        size = request.headers.get("content-length")
        limit = settings.speech_max_bytes + 65536 if request.url.path == "/v1/transcribe" else MAX_BODY_BYTES
        if request.url.path == "/v1/documents":
            limit = settings.document_max_bytes + 65536
        if size and size.isdigit() and int(size) > limit:
            zh = _lang_of(request) == "zh"
            mb = f"{limit / 1e6:.0f} MB"
            msg = f"请求内容过大（上限 {mb}）。" if zh else f"Request body too large (limit {mb})."
            return JSONResponse(status_code=413, content={"code": "too_large", "message": msg, "field": None})
        return await call_next(request)

    @app.exception_handler(DaobanError)
    async def _daoban_error(request: Request, exc: DaobanError) -> JSONResponse:
        return JSONResponse(status_code=exc.http_status, content=exc.to_dict(_lang_of(request)))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = exc.errors()
        first = errs[0] if errs else {}
        field = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or None
        zh = _lang_of(request) == "zh"
        msg = (
            f"请求格式有误：字段 {field} {first.get('msg', '')}"
            if zh
            else f"Invalid request: field {field}: {first.get('msg', '')}"
        )
        return JSONResponse(status_code=422, content={"code": "invalid_input", "message": msg, "field": field})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        zh = _lang_of(request) == "zh"
        msg = "服务内部错误，请稍后再试。" if zh else "Internal error; please try again later."
        return JSONResponse(status_code=500, content={"code": "internal", "message": msg, "field": None})

    @app.get("/healthz", response_model=HealthResponse, tags=["ops"])
    def healthz() -> HealthResponse | JSONResponse:
        s = holder.get("svc")
        if s is None or not s.health.ready:
            return JSONResponse(
                status_code=503,
                content={"status": "starting", "models": {}, "index_chunks": 0, "load_seconds": {}},
            )
        h = s.health
        return HealthResponse(status="ok", models=h.models, index_chunks=h.index_chunks, load_seconds=h.load_seconds)

    @app.post("/v1/chat", response_model=ChatResponse, responses={422: {"model": ErrorResponse}}, tags=["chat"])
    def chat(req: ChatRequest) -> ChatResponse:
        r = svc().ask(req.message, session_id=req.session_id, lang=req.lang)
        return ChatResponse(**r.model_dump())

    @app.post("/v1/chat/stream", tags=["chat"], responses={200: {"content": {"text/event-stream": {}}}})
    def chat_stream(req: ChatRequest) -> StreamingResponse:
        """Server-sent events: `token` events while the model writes, then one `result` event (ChatResponse).

        The result is authoritative: when the draft fails the grounding check it replaces the tokens.
        """
        q: queue.Queue[tuple[str, str] | None] = queue.Queue()
        service = svc()
        if req.session_id:  # an unknown session is a 404 before the stream starts
            service.store.open_session(req.session_id)

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
            except Exception:
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

    @app.get("/v1/sessions/{session_id}/messages", tags=["chat"])
    def session_messages(session_id: str) -> list[dict]:
        if not svc().store.exists(session_id):
            from assistant.errors import NotFoundError

            raise NotFoundError(f"会话 {session_id} 不存在", f"Session {session_id} not found", field="session_id")
        return svc().store.messages(session_id)

    @app.post(
        "/v1/approval/check",
        response_model=Decision,
        responses={422: {"model": ErrorResponse}},
        tags=["approval"],
    )
    def approval_check(application: Application) -> Decision:
        """Run the deterministic approval engine (no LLM) on an Application; the decision is logged."""
        return svc().check_application(application)

    @app.post(
        "/v1/approval/documents/{kind}",
        tags=["approval"],
        responses={200: {"content": {"text/html": {}, "application/pdf": {}}}, 422: {"model": ErrorResponse}},
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
    )
    def approval_submit(req: SubmissionRequest) -> SubmissionResponse:
        """Submit a confirmed application: recorded in the hash-chained log; refused when blocked."""
        return SubmissionResponse(**svc().submit(req.application, confirmed=req.confirmed))

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/" if with_ui else "/docs")

    if with_ui:
        from ui.widget import mount_widget

        mount_widget(app, svc, transcriber=speech_svc, reader=reader_svc, state_dir=settings.state_dir)
    return app
