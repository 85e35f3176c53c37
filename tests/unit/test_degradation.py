"""Failure of parts (issue 10): each port failing, hanging or busy gives a named status and a clear message
through the real app, never a 500; /readyz names the part and recovers once a later call succeeds.

Doubles of the ports (failing / hanging chat, embedder, index, ASR engine, OCR engine) around the real
pipeline, service, store and app. The real components failing are in tests/integration/test_degradation_real.py.
"""

from __future__ import annotations

import io
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import event, func, select

from assistant.api.app import create_app
from assistant.documents import DocumentReader
from assistant.health import ChatBusy, ChatTimeout, GuardedChat, PartsHealth, notice_for
from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from assistant.speech.service import SpeechService
from assistant.speech.testing import ScriptedSpeechEngine
from assistant.store import SessionStore
from assistant.store.db import MessageRow
from assistant.testing import HashEmbedder, InMemoryIndex, ScriptedChat
from tests.conftest import DATA_DIR, SAMPLE_CHUNKS
from tests.unit.speech_media import tone, wav_bytes

pytestmark = pytest.mark.unit
K = PROJECT_ROOT / "knowledge"
QUESTION = "注册资本要一次交齐吗"
GOOD = "因此，注册资本不需要一次交齐，股东自公司成立之日起五年内缴足。"
NOTICE_CHAT_ZH = "智能问答暂时不可用"
NOTICE_CHAT_EN = "answering model is unavailable"
ASR_ZH = "语音识别暂时不可用，请改用文字输入。"


# --- doubles of the ports -------------------------------------------------------------------------
class RaisingChat(ScriptedChat):
    """A chat model whose backend raises something that is not a DaobanError (a llama.cpp RuntimeError)."""

    def stream(self, messages: Sequence[Any], *, max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        raise RuntimeError("llama_decode returned -3")


class HangingChat(ScriptedChat):
    """Blocks inside generation until released (a stuck model); then writes a good conclusion."""

    def __init__(self) -> None:
        super().__init__(fn=lambda _m: GOOD)
        self.release = threading.Event()
        self.started = threading.Event()

    def stream(self, messages: Sequence[Any], *, max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        self.started.set()
        self.release.wait(30)
        yield from super().stream(messages, max_tokens=max_tokens, temperature=temperature)


class FailingEmbedder(HashEmbedder):
    """Embeds passages (ingestion ran before it broke) but every query fails; ``warm`` fails at start too."""

    name = "failing"

    def __init__(self, *, at_start: bool = False) -> None:
        super().__init__()
        self.at_start = at_start
        self.broken = True

    def warm_up(self) -> None:
        if self.at_start:
            raise OSError("model file not found")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if self.broken:
            raise OSError("embedding engine crashed")
        return super().embed_queries(texts)


class FailingIndex(InMemoryIndex):
    """A vector index whose queries fail (Chroma gone after start); ``at_start``: nothing can be read at all."""

    def __init__(self, *, at_start: bool = False) -> None:
        super().__init__()
        self.at_start = at_start
        self.broken = False

    def query(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[Any]:
        if self.broken or self.at_start:
            raise ConnectionError("chroma: connection refused")
        return super().query(vector, k, where)

    def all_chunks(self) -> list[Any]:
        if self.at_start:
            raise ConnectionError("chroma: connection refused")
        return super().all_chunks()

    def count(self) -> int:
        if self.broken or self.at_start:
            raise ConnectionError("chroma: connection refused")
        return super().count()


class BrokenSpeechEngine(ScriptedSpeechEngine):
    def __init__(self, *, hang: bool = False) -> None:
        super().__init__("营业执照怎么办")
        self.hang = hang
        self.broken = True
        self.release = threading.Event()

    def recognize(self, samples: np.ndarray, *, lang: str | None = None) -> Any:
        if self.hang:
            self.release.wait(30)
        if self.broken:
            raise RuntimeError("CTranslate2: std::bad_alloc")
        return super().recognize(samples, lang=lang)


class BrokenOcrEngine:
    def __init__(self) -> None:
        self.broken = True

    def warm_up(self) -> None:
        return None

    def read(self, image: bytes) -> list[Any]:
        if self.broken:
            raise RuntimeError("onnxruntime: session failed")
        return []


# --- helpers --------------------------------------------------------------------------------------
def _index(cls: type[Any] = InMemoryIndex, **kw: Any) -> Any:
    idx = cls(**kw)
    idx.upsert(SAMPLE_CHUNKS, HashEmbedder().embed_passages([c.text for c in SAMPLE_CHUNKS]))
    return idx


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    base: dict[str, Any] = {"min_relevance": 0.0, "min_lexical": 0.0}
    return Settings(state_dir=tmp_path / "state", data_dir=DATA_DIR, **(base | kw))


def _assistant(settings: Settings, chat: Any = None, embedder: Any = None, index: Any = None) -> Assistant:
    from assistant.wiring import configure

    configure(settings)
    return Assistant(
        settings,
        chat=chat or ScriptedChat(fn=lambda _m: GOOD),
        embedder=embedder or HashEmbedder(),
        index=index if index is not None else _index(),
        store=SessionStore(settings.sqlalchemy_url),
    )


def _client(settings: Settings, svc: Assistant, **kw: Any) -> TestClient:
    return TestClient(create_app(settings, svc, with_ui=False, **kw))


def _stream_result(client: TestClient, message: str, **headers: str) -> dict:
    with client.stream("POST", "/v1/chat/stream", json={"message": message}, headers=headers) as r:
        assert r.status_code == 200
        events = [e for e in r.iter_text() if e]
    text = "".join(events)
    blocks = [b for b in text.split("\n\n") if b.startswith("event: result")]
    assert blocks, text
    return json.loads(blocks[0].split("data: ", 1)[1])


# --- the chat model -------------------------------------------------------------------------------
@pytest.mark.parametrize("chat", [ScriptedChat(fail=True), RaisingChat()], ids=["upstream_error", "runtime_error"])
def test_a_failing_model_gives_the_retrieval_only_answer_with_a_notice(tmp_path: Path, chat: ScriptedChat) -> None:
    s = _settings(tmp_path)
    with _client(s, _assistant(s, chat=chat)) as client:
        r = client.post("/v1/chat", json={"message": QUESTION})
        assert r.status_code == 200
        body = r.json()
        assert body["status"] == "model_unavailable" and body["degraded"] == ["chat"]
        assert NOTICE_CHAT_ZH in body["notice"] and body["notice"] in body["answer"]
        assert "第四十七条" in body["answer"] and body["citations"][0]["article"] == "第四十七条"
        en = client.post("/v1/chat", json={"message": "Does registered capital have to be paid at once?", "lang": "en"})
        assert en.status_code == 200 and en.json()["degraded"] == ["chat"]
        assert NOTICE_CHAT_EN in en.json()["notice"]
        ready = client.get("/readyz")
        assert ready.status_code == 200  # retrieval-only answers still serve the applicant
        assert ready.json()["parts"]["chat"] == "down" and "chat" in ready.json()["reason"]
        last = ready.json()["details"]["chat"]
        assert last["last_error"] in ("UpstreamError", "RuntimeError") and last["last_failure_at"]
        stored = client.get(f"/v1/sessions/{body['session_id']}/messages").json()
        assert stored[-1]["content"] == body["answer"]  # the notice is in the transcript too


def test_the_stream_falls_back_too(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    with _client(s, _assistant(s, chat=RaisingChat())) as client:
        result = _stream_result(client, QUESTION)
        assert result["status"] == "model_unavailable" and result["degraded"] == ["chat"]
        assert NOTICE_CHAT_ZH in result["answer"]


def test_a_hanging_model_is_abandoned_at_its_budget_and_recovers(tmp_path: Path) -> None:
    chat = HangingChat()
    s = _settings(tmp_path, llm_timeout_s=0.5)
    with _client(s, _assistant(s, chat=chat)) as client:
        r = client.post("/v1/chat", json={"message": QUESTION})
        assert r.status_code == 200 and r.json()["status"] == "model_unavailable" and r.json()["degraded"] == ["chat"]
        ready = client.get("/readyz").json()
        assert ready["parts"]["chat"] in ("degraded", "down") and ready["details"]["chat"]["last_error"]
        chat.release.set()  # the model answers again
        for _ in range(50):  # the abandoned generation finishes in the background and frees the model
            again = client.post("/v1/chat", json={"message": QUESTION}).json()
            if again["status"] == "answered":
                break
        assert again["status"] == "answered" and again["degraded"] == [] and again["notice"] == ""
        assert client.get("/readyz").json()["parts"]["chat"] == "ok"


def test_admission_refuses_at_once_when_the_queue_is_full() -> None:
    """One generation runs (stuck); with llm_max_waiting=0 the next request is refused at once (ChatBusy), not
    queued for the 30 s budget; a hung generation past its budget makes later requests fail fast too."""
    inner = HangingChat()
    parts = PartsHealth()
    chat = GuardedChat(inner, parts, timeout_s=30, max_waiting=0)
    running = chat.stream([], max_tokens=8)
    assert inner.started.wait(5)
    with pytest.raises(ChatBusy) as busy:
        chat.stream([], max_tokens=8)
    assert busy.value.code == "chat_busy" and parts.status("chat") == "degraded"
    inner.release.set()
    assert "".join(running) == GOOD and parts.status("chat") == "ok"

    stuck = HangingChat()
    chat = GuardedChat(stuck, parts, timeout_s=0.3, max_waiting=5)
    with pytest.raises(ChatTimeout):
        "".join(chat.stream([], max_tokens=8))
    with pytest.raises(ChatTimeout):  # the slot is still held by the stuck generation: no waiting at all
        chat.stream([], max_tokens=8)
    assert parts.status("chat") == "down"
    stuck.release.set()


def test_waiting_requests_beyond_the_limit_get_retrieval_only_answers(tmp_path: Path) -> None:
    chat = HangingChat()
    s = _settings(tmp_path, llm_timeout_s=20, llm_max_waiting=1)
    svc = _assistant(s, chat=chat)
    svc.warm_up()
    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(svc.ask(QUESTION)))
    first.start()
    assert chat.started.wait(10)
    second = threading.Thread(target=lambda: results.append(svc.ask(QUESTION)))
    second.start()
    while svc.chat.waiting < 1:
        threading.Event().wait(0.01)
    third = svc.ask(QUESTION)  # two ahead of it: one generating, one waiting (the limit)
    assert third.status == "model_unavailable" and third.degraded == ["chat"] and NOTICE_CHAT_ZH in third.answer
    chat.release.set()
    first.join(20)
    second.join(20)
    assert sorted(r.status.value for r in results) == ["answered", "answered"]


# --- the embedder and the index -------------------------------------------------------------------
@pytest.mark.parametrize("at_start", [False, True], ids=["fails_later", "fails_at_start"])
def test_a_failing_embedder_answers_by_bm25_alone(tmp_path: Path, at_start: bool) -> None:
    emb = FailingEmbedder(at_start=at_start)
    s = _settings(tmp_path, min_relevance=0.99)  # the dense floor would refuse everything: it must not apply
    with _client(s, _assistant(s, embedder=emb)) as client:
        r = client.post("/v1/chat", json={"message": QUESTION})
        assert r.status_code == 200
        body = r.json()
        assert body["status"] == "answered" and body["degraded"] == ["embedder"]
        assert body["citations"][0]["article"] == "第四十七条" and "关键词" in body["notice"]
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["parts"]["embedder"] == "down"
        emb.at_start = emb.broken = False  # the embedder is back: the next question recovers it
        again = client.post("/v1/chat", json={"message": QUESTION}).json()
        assert again["degraded"] == [] and again["notice"] == ""
        assert client.get("/readyz").json()["parts"]["embedder"] == "ok"


def test_a_vector_index_gone_after_start_answers_by_bm25_over_the_loaded_chunks(tmp_path: Path) -> None:
    idx = _index(FailingIndex)
    s = _settings(tmp_path)
    with _client(s, _assistant(s, index=idx)) as client:
        idx.broken = True
        r = client.post("/v1/chat", json={"message": QUESTION}, headers={"accept-language": "en"})
        assert r.status_code == 200 and r.json()["degraded"] == ["index"]
        assert r.json()["citations"][0]["article"] == "第四十七条"
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["parts"]["index"] == "degraded"
        idx.broken = False
        assert client.get("/readyz").json()["parts"]["index"] == "ok"


def test_an_index_unavailable_from_the_start_is_a_named_503(tmp_path: Path) -> None:
    idx = _index(FailingIndex, at_start=True)
    s = _settings(tmp_path)
    with _client(s, _assistant(s, index=idx)) as client:
        assert client.get("/healthz").status_code == 200  # alive: the process serves and says what is down
        zh = client.post("/v1/chat", json={"message": QUESTION})
        en = client.post("/v1/chat", json={"message": QUESTION}, headers={"accept-language": "en"})
        assert zh.status_code == en.status_code == 503
        assert zh.json()["code"] == "service_degraded" and "服务降级" in zh.json()["message"]
        assert "Service degraded" in en.json()["message"]
        stream = client.post("/v1/chat/stream", json={"message": QUESTION})
        assert "service_degraded" in stream.text and '"internal"' not in stream.text
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["parts"]["index"] == "down"
        assert "index" in ready.json()["reason"]
        idx.at_start = False  # Chroma is back: /readyz loads the chunks and the service recovers
        assert client.get("/readyz").status_code == 200
        assert client.post("/v1/chat", json={"message": QUESTION}).json()["status"] == "answered"


# --- the store ------------------------------------------------------------------------------------
def _count_messages(svc: Assistant) -> int:
    with svc.store._sessions() as db:
        return int(db.scalar(select(func.count()).select_from(MessageRow)) or 0)


def test_a_locked_store_is_a_503_and_readyz_says_so_until_released(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    svc = _assistant(s)
    with _client(s, svc) as client:
        sid = client.post("/v1/chat", json={"message": QUESTION}).json()["session_id"]
        before = _count_messages(svc)
        locker = sqlite3.connect(s.sqlalchemy_url.removeprefix("sqlite:///"), isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            r = client.post("/v1/chat", json={"message": QUESTION, "session_id": sid})
            assert r.status_code == 503 and r.json()["code"] == "store_unavailable"
            assert "没有保存" in r.json()["message"]
            ready = client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["parts"]["store"] == "down"
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert _count_messages(svc) == before  # nothing half-written
        assert client.get("/readyz").status_code == 200
        assert client.post("/v1/chat", json={"message": QUESTION, "session_id": sid}).status_code == 200


def test_a_full_disk_is_a_503_in_the_users_language_and_nothing_is_half_written(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    svc = _assistant(s)
    with _client(s, svc) as client:
        sid = client.post("/v1/chat", json={"message": QUESTION}).json()["session_id"]
        before = _count_messages(svc)
        with svc.store.engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

        def full(dbapi_conn: Any, _record: Any) -> None:  # SQLite answers SQLITE_FULL past this size
            dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

        svc.store.engine.dispose()
        event.listen(svc.store.engine, "connect", full)
        try:
            big = "请问" + "注册资本的缴纳期限" * 150
            r = client.post("/v1/chat", json={"message": big, "session_id": sid}, headers={"accept-language": "en"})
            assert r.status_code == 503 and r.json()["code"] == "store_unavailable"
            assert "nothing from this request was saved" in r.json()["message"]
            assert client.get("/readyz").json()["details"]["store"]["last_error"] == "OperationalError"
        finally:
            event.remove(svc.store.engine, "connect", full)
            svc.store.engine.dispose()
        assert _count_messages(svc) == before
        assert client.post("/v1/chat", json={"message": QUESTION, "session_id": sid}).status_code == 200


# --- ASR ------------------------------------------------------------------------------------------
def _speech(engine: ScriptedSpeechEngine) -> SpeechService:
    return SpeechService(engine, knowledge_dir=K, use_vad=False)


def test_asr_failing_is_a_503_asking_to_type_and_recovers(tmp_path: Path) -> None:
    engine = BrokenSpeechEngine()
    s = _settings(tmp_path)
    with _client(s, _assistant(s), transcriber=_speech(engine)) as client:
        assert client.get("/readyz").json()["parts"]["asr"] == "not_loaded"  # built lazily: not down
        audio = {"file": ("q.wav", wav_bytes(tone(1.0)))}
        zh = client.post("/v1/transcribe", files=audio)
        en = client.post("/v1/transcribe", files=audio, headers={"accept-language": "en"})
        assert zh.status_code == en.status_code == 503
        assert zh.json() == {"code": "asr_unavailable", "message": ASR_ZH, "field": None}
        assert en.json()["message"] == "Voice recognition is unavailable right now; please type instead."
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["parts"]["asr"] == "down"
        bad = client.post("/v1/transcribe", files={"file": ("q.wav", b"RIFF" + bytes(3000))})
        assert bad.status_code == 422  # a bad recording is still the caller's 4xx, not the part's 503
        engine.broken = False
        ok = client.post("/v1/transcribe", files=audio)
        assert ok.status_code == 200 and ok.json()["text"] == "营业执照怎么办"
        assert client.get("/readyz").json()["parts"]["asr"] == "ok"


def test_asr_over_its_budget_is_a_503(tmp_path: Path) -> None:
    engine = BrokenSpeechEngine(hang=True)
    s = _settings(tmp_path, speech_timeout_s=0.3)
    with _client(s, _assistant(s), transcriber=_speech(engine)) as client:
        r = client.post("/v1/transcribe", files={"file": ("q.wav", wav_bytes(tone(1.0)))})
        assert r.status_code == 503 and r.json()["code"] == "asr_unavailable"
        assert client.get("/readyz").json()["parts"]["asr"] == "degraded"
        engine.release.set()


def test_asr_that_cannot_be_built_is_a_503(tmp_path: Path) -> None:
    s = _settings(tmp_path, speech_model_path=tmp_path / "no-such-model", speech_vad=False)  # a tone is not speech
    with _client(s, _assistant(s)) as client:
        r = client.post("/v1/transcribe", files={"file": ("q.wav", wav_bytes(tone(1.0)))})
        assert r.status_code == 503 and r.json()["code"] == "asr_unavailable"
        assert client.get("/readyz").json()["parts"]["asr"] == "down"


# --- OCR ------------------------------------------------------------------------------------------
def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 200), "white").save(buf, format="PNG")
    return buf.getvalue()


def test_ocr_failing_is_a_503_asking_to_fill_in_by_hand(tmp_path: Path) -> None:
    engine = BrokenOcrEngine()
    s = _settings(tmp_path)
    reader = DocumentReader(engine, K, DATA_DIR)
    with _client(s, _assistant(s), document_reader=reader) as client:
        assert client.get("/readyz").json()["parts"]["ocr"] == "not_loaded"
        zh = client.post("/v1/documents", files={"file": ("id.png", _png(), "image/png")})
        en = client.post(
            "/v1/documents", files={"file": ("id.png", _png(), "image/png")}, headers={"accept-language": "en"}
        )
        assert zh.status_code == en.status_code == 503
        assert zh.json()["code"] == "ocr_unavailable" and zh.json()["message"] == "证件识别暂时不可用，请手动填写。"
        assert "fill in by hand" in en.json()["message"]
        assert client.get("/readyz").json()["parts"]["ocr"] == "down"
        garbage = client.post("/v1/documents", files={"file": ("id.png", b"\x89PNG\r\n" + bytes(64), "image/png")})
        assert 400 <= garbage.status_code < 500  # a broken file is the upload's fault, not OCR's
        engine.broken = False
        ok = client.post("/v1/documents", files={"file": ("id.png", _png(), "image/png")})
        assert ok.status_code in (200, 422) and ok.status_code != 503  # a blank page: no document, OCR works
        assert client.get("/readyz").json()["parts"]["ocr"] == "ok"


# --- /healthz and /readyz -------------------------------------------------------------------------
def test_readyz_lists_every_part_and_healthz_keeps_its_schema(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    with _client(s, _assistant(s)) as client:
        client.post("/v1/chat", json={"message": QUESTION})
        health = client.get("/healthz")
        assert health.status_code == 200 and set(health.json()) == {"status", "models", "index_chunks", "load_seconds"}
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready" and ready.json()["reason"] == ""
        parts = ready.json()["parts"]
        assert set(parts) == {"chat", "embedder", "index", "store", "asr", "ocr"}
        assert parts["chat"] == parts["embedder"] == parts["index"] == parts["store"] == "ok"
        assert parts["asr"] == parts["ocr"] == "not_loaded"
        assert "/readyz" in client.get("/openapi.json").json()["paths"]


def test_a_model_missing_at_start_starts_degraded(tmp_path: Path) -> None:
    class MissingModel(ScriptedChat):
        def warm_up(self) -> None:
            from assistant.errors import ModelMissingError

            raise ModelMissingError("模型文件不存在", "Model file missing")

        def stream(self, messages: Sequence[Any], *, max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
            self.warm_up()
            yield ""

    s = _settings(tmp_path)
    with _client(s, _assistant(s, chat=MissingModel())) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["parts"]["chat"] == "down"
        assert "ModelMissingError" in ready.json()["details"]["chat"]["last_error"]
        r = client.post("/v1/chat", json={"message": QUESTION})
        assert r.status_code == 200 and r.json()["status"] == "model_unavailable"


def test_notices_merge_and_speak_the_language() -> None:
    assert notice_for([], "zh") == ""
    both = notice_for(["embedder", "index"], "en")
    assert both.count("keyword search") == 1
    zh = notice_for(["chat", "embedder"], "zh")
    assert NOTICE_CHAT_ZH in zh and "关键词" in zh
