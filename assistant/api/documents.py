"""POST /v1/documents: an uploaded image or PDF → {doc_type, fields, text, proposals} (contracts §3).

Thin: limits and reading live in assistant/documents. Bad uploads answer 4xx with a bilingual message; a file
the reader cannot handle is a 422, never a 500. "No document found" (a photo without text) is a 422 too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, Field

from assistant.api.schemas import ErrorResponse
from assistant.documents import DocumentError, DocumentReader, DocumentTooLarge, ReadDocument
from assistant.documents.reader import NO_DOCUMENT
from assistant.errors import DaobanError

if TYPE_CHECKING:
    from assistant.service import Assistant

log = logging.getLogger("daoban.api.documents")


class NoDocumentFound(DocumentError):
    code = "no_document"


class AppliedDocument(BaseModel):
    """What an upload with a session id put into that session's draft (GET /v1/sessions/{id}/draft shows it)."""

    session_id: str
    reply: str = Field(description="The assistant's message: what was filled, what is still missing or to check")


class DocumentResult(ReadDocument):
    applied: AppliedDocument | None = Field(
        default=None, description="Present when the upload named a session: the proposals applied to its draft"
    )


def build_documents_router(
    reader: Callable[[], DocumentReader], max_bytes: int, assistant: Callable[[], Assistant] | None = None
) -> APIRouter:
    router = APIRouter(tags=["documents"])

    @router.post(
        "/v1/documents",
        response_model=DocumentResult,
        responses={
            404: {"model": ErrorResponse},
            413: {"model": ErrorResponse},
            422: {"model": ErrorResponse},
            503: {"model": ErrorResponse},
        },
    )
    def read_document(
        file: UploadFile = File(..., description="JPG/PNG/WEBP/BMP/TIFF image or PDF"),
        session_id: str | None = Form(
            None, max_length=64, description="Apply the proposals to this session's draft ('new' starts a session)"
        ),
        lang: Literal["zh", "en"] = Form("zh"),
    ) -> DocumentResult:
        """Read an ID card, business licence, lease, property certificate or application form: the document
        type, each field with its confidence, box and state (``needs_check`` when a check digit fails or the
        reading is unsure), the text, and proposals for the application's fields. With ``session_id`` the
        proposals are also put into that session's draft (what the applicant already said is never overwritten:
        a conflict is asked about), and ``applied`` carries the assistant's reply."""
        data = file.file.read(max_bytes + 1)
        if len(data) > max_bytes:
            mb = max_bytes // (1024 * 1024)
            raise DocumentTooLarge(f"文件过大（上限 {mb} MB）。", f"File too large (limit {mb} MB).", field="file")
        try:
            doc = reader().read(data)
        except DaobanError:
            raise
        except Exception as exc:  # a decoder or engine surprise: the applicant gets a clear 422
            log.exception("reading an upload failed")
            raise DocumentError(
                "无法读取该文件，请换一张清晰的图片或 PDF 重新上传。",
                "The file could not be read; upload a clear image or PDF instead.",
                field="file",
            ) from exc
        if doc.doc_type == "no_document":
            raise NoDocumentFound(*NO_DOCUMENT, field="file")
        result = DocumentResult(**doc.model_dump())
        if session_id and assistant is not None:
            from assistant.filling.documents import apply_document

            sid, reply = apply_document(assistant(), None if session_id == "new" else session_id, doc, lang)
            result.applied = AppliedDocument(session_id=sid, reply=reply)
        return result

    return router
