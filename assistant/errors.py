"""A small error taxonomy, translated once at each boundary (HTTP status, UI message, CLI exit).

``UserError``: the applicant's input is wrong (HTTP 4xx). ``UpstreamError``: a model or store failed
(HTTP 503). Messages are bilingual and safe to show; no stack trace reaches an applicant.
"""

from __future__ import annotations


class DaobanError(Exception):
    code = "error"
    http_status = 500

    def __init__(self, message_zh: str, message_en: str = "", *, field: str | None = None) -> None:
        super().__init__(message_en or message_zh)
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        self.field = field

    def message(self, lang: str = "zh") -> str:
        return self.message_en if lang.startswith("en") else self.message_zh

    def to_dict(self, lang: str = "zh") -> dict[str, str | None]:
        return {"code": self.code, "message": self.message(lang), "field": self.field}


class UserError(DaobanError):
    code = "invalid_input"
    http_status = 422


class NotFoundError(UserError):
    code = "not_found"
    http_status = 404


class UpstreamError(DaobanError):
    code = "upstream_unavailable"
    http_status = 503


class ModelMissingError(UpstreamError):
    """A model file is absent: names the package that provides it and the command that installs it."""

    code = "model_missing"
