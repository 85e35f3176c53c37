"""Failure of parts: named degraded statuses instead of 500s, and the per-part state /readyz reports.

Every part the applicant path depends on is tracked in one ``PartsHealth`` registry (one per Assistant):
``chat`` (the local LLM), ``embedder``, ``index`` (Chroma), ``store`` (SQLite), ``asr`` and ``ocr``. A failure
records the time and the error class; the next success records recovery, so /readyz recovers on its own.

* ``GuardedChat`` wraps the chat model with a time budget and an admission limit: the local llama.cpp model
  writes one answer at a time, so a request that would queue past the budget (``llm_max_waiting`` already
  waiting, a generation stuck past its budget, or the budget spent while waiting) gets the retrieval-only answer
  at once (status ``model_unavailable``, ``degraded: ["chat"]``) instead of waiting for minutes.
* ``call_with_budget`` runs one ASR or OCR call under a wall-clock budget (the work itself cannot be interrupted:
  it finishes in the background and its result is dropped).
* The ``*Unavailable`` errors are 503s with a bilingual message and a code naming the part.

The table of what the applicant sees for each failure is docs/trust/degradation.md.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import exc as sa_exc

from assistant.errors import DaobanError, UpstreamError

log = logging.getLogger("daoban.health")

Part = Literal["chat", "embedder", "index", "store", "asr", "ocr"]
PARTS: tuple[Part, ...] = ("chat", "embedder", "index", "store", "asr", "ocr")
PartStatus = Literal["ok", "down", "not_loaded", "degraded"]
T = TypeVar("T")


# --- errors: 503 with a code naming the part ------------------------------------------------------
class PartUnavailable(UpstreamError):
    part: Part = "chat"


class ChatUnavailable(PartUnavailable):
    code = "chat_unavailable"
    part = "chat"


class ChatBusy(ChatUnavailable):
    """The model is busy: admission refused (too many waiting) or the budget ran out in the queue."""

    code = "chat_busy"


class ChatTimeout(ChatUnavailable):
    code = "chat_timeout"


class EmbedderUnavailable(PartUnavailable):
    code = "embedder_unavailable"
    part = "embedder"


class IndexUnavailable(PartUnavailable):
    code = "service_degraded"
    part = "index"


class StoreUnavailable(PartUnavailable):
    code = "store_unavailable"
    part = "store"


class AsrUnavailable(PartUnavailable):
    code = "asr_unavailable"
    part = "asr"


class OcrUnavailable(PartUnavailable):
    code = "ocr_unavailable"
    part = "ocr"


def index_unavailable() -> IndexUnavailable:
    return IndexUnavailable(
        "服务降级：法规检索暂时不可用，请稍后再试，或拨打12345政务服务热线咨询。",
        "Service degraded: the law search is unavailable right now. Please try again later, or call the 12345 "
        "government service hotline.",
    )


def store_unavailable() -> StoreUnavailable:
    return StoreUnavailable(
        "服务暂时无法保存数据（存储不可用），本次内容没有保存，请稍后重试。",
        "The service cannot save data right now (storage unavailable); nothing from this request was saved. "
        "Please try again shortly.",
    )


def asr_unavailable() -> AsrUnavailable:
    return AsrUnavailable(
        "语音识别暂时不可用，请改用文字输入。", "Voice recognition is unavailable right now; please type instead."
    )


def ocr_unavailable() -> OcrUnavailable:
    return OcrUnavailable(
        "证件识别暂时不可用，请手动填写。", "Document recognition is unavailable right now; please fill in by hand."
    )


# The notice added to an answer given without a part (the turn's `degraded` list names the parts).
NOTICES: dict[str, tuple[str, str]] = {
    "chat": (
        "（提示：智能问答暂时不可用，以上为检索到的法规依据原文，未经模型归纳。）",
        "(Note: the answering model is unavailable right now; above is the legal basis as retrieved, "
        "without a summary.)",
    ),
    "embedder": (
        "（提示：语义检索暂时不可用，本次仅按关键词检索，结果可能不够全面。）",
        "(Note: semantic search is unavailable right now; this answer used keyword search only and may be "
        "less complete.)",
    ),
    "index": (
        "（提示：向量索引暂时不可用，本次仅按关键词检索，结果可能不够全面。）",
        "(Note: the vector index is unavailable right now; this answer used keyword search only and may be "
        "less complete.)",
    ),
}


def notice_for(parts: Sequence[str], lang: str) -> str:
    """One notice for a turn answered without ``parts`` (keyword search notices merge into one)."""
    en = lang.startswith("en")
    keys = [p for p in ("chat", "embedder", "index") if p in parts]
    if "embedder" in keys and "index" in keys:
        keys.remove("index")
    return "\n".join(NOTICES[k][1 if en else 0] for k in keys)


STORE_ERRORS: tuple[type[Exception], ...] = (sa_exc.DatabaseError, sqlite3.DatabaseError)  # app.py maps them


def is_store_error(exc: BaseException) -> bool:
    """A database failure that is the store's condition (locked, disk full, unopenable), not a bug in a query
    (an integrity error or a programming error stays a 500)."""
    if isinstance(
        exc, sa_exc.IntegrityError | sa_exc.ProgrammingError | sqlite3.IntegrityError | sqlite3.ProgrammingError
    ):
        return False
    return isinstance(exc, STORE_ERRORS)


# --- the registry ---------------------------------------------------------------------------------
@dataclass
class PartState:
    status: PartStatus = "not_loaded"
    detail: str = ""  # why it is down or degraded (one line, no stack)
    last_error: str = ""  # the error class of the last failure
    last_failure_at: str | None = None  # ISO-8601 UTC
    last_ok_at: str | None = None
    failures: int = 0  # since start


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class PartsHealth:
    """Thread-safe per-part state: not_loaded until first used, ok after a success, down / degraded after a
    failure until the next success."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parts: dict[str, PartState] = {p: PartState() for p in PARTS}

    def ok(self, part: Part) -> None:
        with self._lock:
            s = self._parts[part]
            if s.status != "ok":
                if s.status in ("down", "degraded"):
                    log.info("%s recovered", part)
                s.status, s.detail = "ok", ""
            s.last_ok_at = _now()

    def failed(self, part: Part, error: BaseException | str, *, status: PartStatus = "down", detail: str = "") -> None:
        name = error if isinstance(error, str) else type(error).__name__
        with self._lock:
            s = self._parts[part]
            if s.status != status:
                log.warning("%s %s: %s %s", part, status, name, detail)
            s.status, s.last_error, s.detail = status, name, detail or name
            s.last_failure_at = _now()
            s.failures += 1

    def status(self, part: Part) -> PartStatus:
        with self._lock:
            return self._parts[part].status

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {p: asdict(s) for p, s in self._parts.items()}


# --- the chat model under a budget ----------------------------------------------------------------
_END = object()


class GuardedChat:
    """A ChatModel that never makes a request wait past ``timeout_s`` and never queues more than
    ``max_waiting`` requests behind the one generating; any failure of the model becomes a ChatUnavailable
    (an UpstreamError, which the Answer step turns into the retrieval-only answer).

    One generation at a time (the slot); the model runs in a worker thread so a hung or slow call can be
    abandoned: the caller gets ChatTimeout at the budget, the worker keeps the slot until the model returns.
    """

    def __init__(self, inner: Any, parts: PartsHealth, *, timeout_s: float, max_waiting: int) -> None:
        self.inner = inner
        self.name: str = getattr(inner, "name", "chat")
        self.parts = parts
        self.timeout_s = timeout_s
        self.max_waiting = max_waiting
        self._slot = threading.Semaphore(1)
        self._lock = threading.Lock()
        self._waiting = 0
        self._held_since: float | None = None  # monotonic start of the running generation

    def __getattr__(self, name: str) -> Any:  # anything else (ScriptedChat.calls, model_path …) from the model
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def waiting(self) -> int:
        return self._waiting

    def warm_up(self) -> None:
        try:
            self.inner.warm_up()
        except Exception as exc:
            self.parts.failed("chat", exc, detail=str(exc)[:200])
            raise
        self.parts.ok("chat")

    def prime(self, messages: Sequence[Any]) -> None:
        prime = getattr(self.inner, "prime", None)
        if prime is None:
            return
        with self._slot:
            prime(messages)

    def complete(self, messages: Sequence[Any], *, max_tokens: int, temperature: float = 0.0) -> str:
        return "".join(self.stream(messages, max_tokens=max_tokens, temperature=temperature))

    def _admit(self, deadline: float) -> None:
        """Take the slot, or raise ChatBusy / ChatTimeout at once or when the budget is spent waiting."""
        with self._lock:
            held = self._held_since
            stuck = held is not None and time.monotonic() - held > self.timeout_s
            if stuck:
                self.parts.failed("chat", "TimeoutError", status="down", detail="a generation is stuck past its budget")
                raise ChatTimeout("模型响应超时", "The model timed out")
            if held is not None and self._waiting >= self.max_waiting:
                self.parts.failed("chat", "Busy", status="degraded", detail=f"{self._waiting} requests already waiting")
                raise ChatBusy("模型繁忙", "The model is busy")
            self._waiting += 1
        try:
            got = self._slot.acquire(timeout=max(0.0, deadline - time.monotonic()))
        finally:
            with self._lock:
                self._waiting -= 1
        if not got:
            self.parts.failed("chat", "Busy", status="degraded", detail="budget spent waiting for the model")
            raise ChatBusy("模型繁忙", "The model is busy")
        with self._lock:
            self._held_since = time.monotonic()

    def _release(self) -> None:
        with self._lock:
            self._held_since = None
        self._slot.release()

    def stream(self, messages: Sequence[Any], *, max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        deadline = time.monotonic() + self.timeout_s
        self._admit(deadline)
        out: queue.Queue[Any] = queue.Queue()
        stop = threading.Event()

        def work() -> None:
            try:
                gen = self.inner.stream(messages, max_tokens=max_tokens, temperature=temperature)
                try:
                    for delta in gen:
                        out.put(delta)
                        if stop.is_set():
                            break
                finally:
                    close = getattr(gen, "close", None)
                    if close is not None:
                        close()
                self.parts.ok("chat")  # also a generation the caller gave up on: the model works again
                out.put(_END)
            except BaseException as exc:  # the model's failure, reported to the caller
                self.parts.failed("chat", exc, detail=str(exc)[:200])
                out.put(exc)
            finally:
                self._release()

        threading.Thread(target=work, name="guarded-chat", daemon=True).start()
        return self._relay(out, stop, deadline)

    def _relay(self, out: queue.Queue[Any], stop: threading.Event, deadline: float) -> Iterator[str]:
        try:
            while True:
                try:
                    item = out.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    self.parts.failed("chat", "TimeoutError", status="degraded", detail="generation over budget")
                    raise ChatTimeout("模型响应超时", "The model timed out") from None
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    if isinstance(item, UpstreamError):
                        raise ChatUnavailable(item.message_zh, item.message_en) from item
                    raise ChatUnavailable("模型不可用", "The model is unavailable") from item
                yield item
        finally:
            stop.set()  # the caller stopped reading (end of the first sentence) or gave up: stop generating


# --- one call under a wall-clock budget (ASR, OCR) ------------------------------------------------
def call_with_budget(fn: Callable[[], T], timeout_s: float, on_timeout: Callable[[], DaobanError]) -> T:
    """``fn()`` in a worker thread; its exception is re-raised here; past ``timeout_s`` raise ``on_timeout()``."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="budgeted-call", daemon=True).start()
    if not done.wait(timeout_s):
        raise on_timeout()
    if "error" in box:
        raise box["error"]
    return box["value"]


# --- /readyz --------------------------------------------------------------------------------------
def probe_store(engine: Any, timeout_s: float = 1.0) -> None:
    """Raise when the store cannot be read or its write lock cannot be taken within ``timeout_s`` (SQLite:
    BEGIN IMMEDIATE then ROLLBACK, so a locked database shows; a full disk shows on the next real write)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        con = sqlite3.connect(url.database, timeout=timeout_s, isolation_level=None)
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
        finally:
            con.close()
        return
    from sqlalchemy import text

    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


@dataclass
class Readiness:
    ready: bool
    parts: dict[str, PartStatus]
    reason: str
    details: dict[str, dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "not_ready",
            "parts": self.parts,
            "reason": self.reason,
            "details": self.details,
        }


def readiness(
    parts: PartsHealth,
    *,
    store: Callable[[], None],
    index_count: Callable[[], int],
    lexical_chunks: int,
) -> Readiness:
    """Probe the store and the index, read the recorded state of the rest. Ready (200) when the applicant path
    can answer: the store is ok and the index is ok or degraded (BM25 over the chunks already loaded); the chat
    model, the embedder, ASR and OCR may be down (retrieval-only answers, keyword search, type / fill by hand)."""
    try:
        store()
    except Exception as exc:
        parts.failed("store", exc, detail=f"probe: {str(exc)[:200]}")
    else:
        parts.ok("store")
    try:
        n = index_count()
    except Exception as exc:
        if lexical_chunks:
            parts.failed(
                "index", exc, status="degraded", detail=f"vector index unavailable; BM25 over {lexical_chunks} chunks"
            )
        else:
            parts.failed("index", exc, detail=f"probe: {str(exc)[:200]}")
    else:
        if n == 0 and not lexical_chunks:
            parts.failed("index", "EmptyIndex", detail="the index holds no chunks: run daoban ingest")
        elif lexical_chunks == 0:
            parts.failed("index", "NotLoaded", detail="the chunks were never loaded from the index")
        else:
            parts.ok("index")
    snap = parts.snapshot()
    status: dict[str, PartStatus] = {p: snap[p]["status"] for p in PARTS}
    ready = status["store"] == "ok" and status["index"] in ("ok", "degraded")
    down = [f"{p}: {snap[p]['detail'] or snap[p]['status']}" for p in PARTS if status[p] in ("down", "degraded")]
    return Readiness(ready, status, "; ".join(down), snap)


# --- ASR and OCR: built on first use, each call under a budget --------------------------------------
class _LazyPart:
    """Builds the part on first use (a failure to build is the part being down, retried on the next call)."""

    part: Part = "asr"
    any_failure_is_the_part = True  # False: only the engine's failures (raised as PartUnavailable) are

    def __init__(self, build: Callable[[], Any], parts: Callable[[], PartsHealth], timeout_s: float) -> None:
        self._build = build
        self._parts = parts
        self.timeout_s = timeout_s
        self._inner: Any = None
        self._lock = threading.Lock()

    def _unavailable(self) -> PartUnavailable:
        raise NotImplementedError

    def _get(self) -> Any:
        with self._lock:
            if self._inner is None:
                try:
                    self._inner = self._wrap(self._build())
                except Exception as exc:
                    log.error("%s could not be built: %s: %s", self.part, type(exc).__name__, exc)
                    self._parts().failed(self.part, exc, detail=f"build: {str(exc)[:200]}")
                    raise self._unavailable() from exc
            return self._inner

    def _wrap(self, inner: Any) -> Any:
        return inner

    def _call(self, fn: Callable[[], T]) -> T:
        """``fn()`` under the budget: a bad input (UserError) passes through, any other failure is the part's."""
        from assistant.errors import UserError

        try:
            out = call_with_budget(fn, self.timeout_s, self._timeout)
        except UserError:
            raise
        except PartUnavailable:
            raise
        except Exception as exc:
            if not self.any_failure_is_the_part:  # e.g. the document decoder's error: the reader's own 4xx
                raise
            log.error("%s failed: %s: %s", self.part, type(exc).__name__, exc)
            self._parts().failed(self.part, exc, detail=str(exc)[:200])
            raise self._unavailable() from exc
        self._parts().ok(self.part)
        return out

    def _timeout(self) -> PartUnavailable:
        self._parts().failed(
            self.part, "TimeoutError", status="degraded", detail=f"over the {self.timeout_s:g} s budget"
        )
        return self._unavailable()

    def warm_up(self) -> None:
        inner = self._get()
        self._call(inner.warm_up)


class GuardedTranscriber(_LazyPart):
    """The Transcriber port: ASR down, missing or over budget → 503 asr_unavailable ("please type instead")."""

    part: Part = "asr"

    def _unavailable(self) -> PartUnavailable:
        return asr_unavailable()

    def transcribe(self, audio: bytes, *, lang: str | None = None, filename: str | None = None) -> Any:
        inner = self._get()
        return self._call(lambda: inner.transcribe(audio, lang=lang, filename=filename))


class _GuardedOcrEngine:
    """The OcrEngine port inside a DocumentReader: the engine's failure is OcrUnavailable (a bad file that the
    decoder rejects before the engine stays the reader's 4xx)."""

    def __init__(self, inner: Any, parts: Callable[[], PartsHealth]) -> None:
        self.inner = inner
        self._parts = parts
        if callable(getattr(inner, "read_array", None)):
            self.read_array = self._read_array

    def __getattr__(self, name: str) -> Any:
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def _guard(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except Exception as exc:
            log.error("ocr engine failed: %s: %s", type(exc).__name__, exc)
            self._parts().failed("ocr", exc, detail=str(exc)[:200])
            raise ocr_unavailable() from exc

    def warm_up(self) -> None:
        warm = getattr(self.inner, "warm_up", None)
        if callable(warm):
            self._guard(warm)

    def read(self, image: bytes) -> Any:
        return self._guard(lambda: self.inner.read(image))

    def _read_array(self, image: Any) -> Any:
        return self._guard(lambda: self.inner.read_array(image))


class GuardedReader(_LazyPart):
    """The DocumentReader: OCR down, missing or over budget → 503 ocr_unavailable ("please fill in by hand")."""

    part: Part = "ocr"
    any_failure_is_the_part = False  # a file the decoder rejects is the upload's fault (422), not OCR's

    def _unavailable(self) -> PartUnavailable:
        return ocr_unavailable()

    def _wrap(self, inner: Any) -> Any:
        inner.engine = _GuardedOcrEngine(inner.engine, self._parts)
        return inner

    def __getattr__(self, name: str) -> Any:  # engine, knowledge_dir … of the built reader
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._get(), name)

    def read(self, data: bytes) -> Any:
        inner = self._get()
        return self._call(lambda: inner.read(data))


# --- an index whose backend could not be opened at start ------------------------------------------
class ReconnectingIndex:
    """Stands in for a VectorIndex whose backend (a Chroma server) could not be opened: every use tries to open
    it again (at most every ``retry_s``) and raises IndexUnavailable until it opens, so the service starts, says
    "service degraded" (503) and /readyz names the index, then recovers without a restart."""

    def __init__(self, open_index: Callable[[], Any], error: BaseException, retry_s: float = 5.0) -> None:
        self._open = open_index
        self._inner: Any = None
        self._error = error
        self._retry_s = retry_s
        self._tried = time.monotonic()
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._inner is None and time.monotonic() - self._tried >= self._retry_s:
                self._tried = time.monotonic()
                try:
                    self._inner = self._open()
                    log.info("vector index reachable again")
                except Exception as exc:
                    self._error = exc
            if self._inner is None:
                raise index_unavailable() from self._error
            return self._inner

    def upsert(self, chunks: Sequence[Any], vectors: Any) -> None:
        self._get().upsert(chunks, vectors)

    def delete(self, ids: Sequence[str]) -> None:
        self._get().delete(ids)

    def query(self, vector: Any, k: int, where: dict[str, Any] | None = None) -> list[tuple[Any, float]]:
        return list(self._get().query(vector, k, where))

    def all_chunks(self) -> list[Any]:
        return list(self._get().all_chunks())

    def content_hashes(self) -> dict[str, str]:
        return dict(self._get().content_hashes())

    def count(self) -> int:
        return int(self._get().count())

    def __getattr__(self, name: str) -> Any:  # apply (atomic ingestion) and the rest, once reachable
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._get(), name)


class UnavailableChat:
    """Stands in for a chat model that could not be built (model file missing): every use raises the build
    error, so the service starts and answers retrieval-only while /readyz shows the chat model down."""

    def __init__(self, error: BaseException, name: str = "unavailable") -> None:
        self.error = error
        self.name = name

    def warm_up(self) -> None:
        raise self.error

    def complete(self, messages: Sequence[Any], *, max_tokens: int, temperature: float = 0.0) -> str:
        raise self.error

    def stream(self, messages: Sequence[Any], *, max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        raise self.error
