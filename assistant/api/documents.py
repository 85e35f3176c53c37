"""POST /v1/documents: an uploaded image or PDF → {doc_type, fields, text, proposals} (contracts §3).

Thin: limits and reading live in assistant/documents. Bad uploads answer 4xx with a bilingual message; a file
the reader cannot handle is a 422, never a 500. "No document found" (a photo without text) is a 422 too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import APIRouter, File, UploadFile

from assistant.api.schemas import ErrorResponse
from assistant.documents import DocumentError, DocumentReader, DocumentTooLarge, ReadDocument
from assistant.documents.reader import NO_DOCUMENT
from assistant.errors import DaobanError

log = logging.getLogger("daoban.api.documents")


class NoDocumentFound(DocumentError):
    code = "no_document"


def build_documents_router(reader: Callable[[], DocumentReader], max_bytes: int) -> APIRouter:
    router = APIRouter(tags=["documents"])

    @router.post(
        "/v1/documents",
        response_model=ReadDocument,
        responses={413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
    )
    def read_document(file: UploadFile = File(..., description="JPG/PNG/WEBP/BMP/TIFF image or PDF")) -> ReadDocument:
        """Read an ID card, business licence, lease, property certificate or application form: the document
        type, each field with its confidence, box and state (``needs_check`` when a check digit fails or the
        reading is unsure), the text, and proposals for the application's fields."""
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
        return doc

    return router
