"""What a read document is: OCR lines, extracted fields with state, the document type, and the errors.

Boxes are ``[x0, y0, x1, y1]`` in pixels of the uploaded image (of the page for a PDF) so the confirmation
sheet can show where each value came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from assistant.errors import UserError

DocType = Literal[
    "id_front",  # 居民身份证 人像面
    "id_back",  # 居民身份证 国徽面
    "business_licence",  # 营业执照
    "lease_contract",  # 房屋租赁合同
    "property_certificate",  # 不动产权证书 / 房屋所有权证
    "application_form",  # 登记申请书
    "other",  # text, but none of the above
    "no_document",  # no text found (a photo of a cat)
]
FieldState = Literal["ok", "needs_check"]
Box = list[float]  # [x0, y0, x1, y1]


@dataclass
class Line:
    """One OCR text line: text, recogniser confidence, 4-point box, and the page it came from (0 for images)."""

    text: str
    score: float
    quad: list[list[float]]
    page: int = 0
    orig: list[list[float]] | None = None  # the quad as read, before the layout turned it upright

    def moved(self, quad: list[list[float]]) -> Line:
        return Line(self.text, self.score, quad, self.page, self.orig or self.quad)

    @property
    def source_box(self) -> Box:
        q = self.orig or self.quad
        xs, ys = [p[0] for p in q], [p[1] for p in q]
        return [min(xs), min(ys), max(xs), max(ys)]

    @property
    def x0(self) -> float:
        return min(p[0] for p in self.quad)

    @property
    def x1(self) -> float:
        return max(p[0] for p in self.quad)

    @property
    def y0(self) -> float:
        return min(p[1] for p in self.quad)

    @property
    def y1(self) -> float:
        return max(p[1] for p in self.quad)

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def box(self) -> Box:
        return [round(self.x0, 1), round(self.y0, 1), round(self.x1, 1), round(self.y1, 1)]


class DocField(BaseModel):
    """One extracted value. ``needs_check``: a failed check digit, low confidence or a contradiction."""

    value: str
    confidence: float = Field(ge=0, le=1)
    box: Box | None = None
    page: int = 0
    state: FieldState = "ok"
    note: str = ""  # why the field needs a check (bilingual, short)


class Proposal(BaseModel):
    """A value proposed for an Application field. ``field`` is a dotted path; ``person.*`` and ``party.*``
    name whichever person / legal-person party the applicant assigns the document to (the draft decides)."""

    field: str
    value: str | float
    confidence: float
    state: FieldState = "ok"
    source: str  # "<doc_type>.<key>"
    box: Box | None = None


class ReadDocument(BaseModel):
    doc_type: DocType
    doc_type_zh: str = ""
    fields: dict[str, DocField] = Field(default_factory=dict)
    text: str = ""
    proposals: list[Proposal] = Field(default_factory=list)
    pages: int = 1
    rotation: int = 0  # degrees the content was turned (0/90/180/270), detected from the layout
    # the document's corners (TL, TR, BR, BL, uploaded-image pixels) when a photo taken at an angle was flattened
    perspective: list[list[float]] | None = None
    source: Literal["ocr", "text_layer"] = "ocr"
    warnings: list[str] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)


class DocumentError(UserError):
    code = "document_invalid"


class DocumentTooLarge(DocumentError):
    code = "document_too_large"
    http_status = 413
