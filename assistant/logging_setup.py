"""Personal numbers never reach a log line (日志脱敏).

ID numbers, mobile and landline phones, unified social credit codes, bank card numbers, e-mails and passports are
replaced by typed placeholders ([身份证号1], [手机号1]) with the guardrails' own masker (``assistant.guardrails.pii``;
no second set of patterns). ``PiiLogFilter`` masks a record's message, its arguments (a request line's query string
in the uvicorn access log), a formatted traceback and stack info.

``install_log_masking`` applies it to every record the process creates, whatever logger or handler it goes to (a
log-record factory: filters on a logger do not see its children's records, and uvicorn replaces its handlers at
start-up), and also puts the filter on the daoban, root and uvicorn loggers and their handlers. The API (create_app)
and the CLI install it; calling it again only updates the data folder used to validate credit codes.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from assistant.guardrails import pii

LOGGERS = ("", "daoban", "assistant", "ui", "ingestion", "uvicorn", "uvicorn.error", "uvicorn.access")
_KEEP_ARGS = ("uvicorn.access",)  # formatters that unpack record.args: mask each argument, never merge them
_lock = threading.Lock()
_installed: PiiLogFilter | None = None


class PiiLogFilter(logging.Filter):
    """Masks personal numbers in a record in place; never drops a record."""

    def __init__(self, data_dir: Path | None = None) -> None:
        super().__init__()
        self.data_dir = data_dir

    def mask(self, text: str) -> str:
        return pii.mask(text, data_dir=self.data_dir)[0]

    def _arg(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if "%" in value or "+" in value:  # a URL (the access log's path and query): numbers hide behind %xx and +
            decoded = unquote_plus(value)
            masked = self.mask(decoded)
            if masked != decoded:
                return masked
        return self.mask(value)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_pii_masked", False):
            return True
        with contextlib.suppress(Exception):  # a log line is never lost to the masker; it keeps what it had
            self._mask_record(record)
        setattr(record, "_pii_masked", True)  # noqa: B010
        return True

    def _mask_record(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, str):
            record.msg = self.mask(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {k: self._arg(v) for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(self._arg(a) for a in record.args)
        if record.args and record.name not in _KEEP_ARGS:
            try:
                full = record.getMessage()
            except Exception:
                full = None
            if full is not None and self.mask(full) != full:  # a number inside a non-string argument (an int, a
                record.msg, record.args = self.mask(full), ()  # dict, an exception): the whole line, masked
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)


def install_log_masking(data_dir: Path | None = None) -> PiiLogFilter:
    """Mask personal numbers in every log record of this process (idempotent); returns the filter."""
    global _installed
    with _lock:
        if _installed is not None:
            if data_dir is not None:
                _installed.data_dir = data_dir
            flt = _installed
        else:
            flt = _installed = PiiLogFilter(data_dir)
            previous = logging.getLogRecordFactory()

            def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                flt.filter(record)
                return record

            logging.setLogRecordFactory(factory)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for target in (logger, *logger.handlers):
            if flt not in target.filters:
                target.addFilter(flt)
    return flt
