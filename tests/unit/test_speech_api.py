"""POST /v1/transcribe and the speech service over a scripted engine: the contract, statuses and errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.settings import PROJECT_ROOT, Settings
from assistant.speech.audio import AudioLimits
from assistant.speech.service import SpeechService
from assistant.speech.testing import ScriptedSpeechEngine
from assistant.speech.types import Transcript
from assistant.testing import ScriptedChat
from tests.unit.speech_media import encode, tone, wav_bytes

pytestmark = pytest.mark.unit
K = PROJECT_ROOT / "knowledge"


def service(text: str, lang: str = "zh", **limits: float) -> SpeechService:
    engine = ScriptedSpeechEngine(text, lang)
    return SpeechService(engine, knowledge_dir=K, limits=AudioLimits(**limits), use_vad=False)  # type: ignore[arg-type]


class _Switch:
    """The app's Transcriber; each test puts its own speech service behind it (one app for the module)."""

    def __init__(self) -> None:
        self.inner: SpeechService = service("")

    def warm_up(self) -> None:
        self.inner.warm_up()

    def transcribe(self, audio: bytes, *, lang: str | None = None, filename: str | None = None) -> Transcript:
        return self.inner.transcribe(audio, lang=lang, filename=filename)


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, _Switch, Settings]]:
    from assistant.service import Assistant
    from assistant.store import SessionStore
    from assistant.testing import HashEmbedder, InMemoryIndex
    from assistant.wiring import configure

    settings = Settings(state_dir=tmp_path_factory.mktemp("state"))
    configure(settings)
    store = SessionStore(settings.sqlalchemy_url)
    chat = ScriptedChat(fn=lambda _m: "")
    svc = Assistant(settings, chat=chat, embedder=HashEmbedder(), index=InMemoryIndex(), store=store)
    switch = _Switch()
    with TestClient(create_app(settings, svc, with_ui=False, transcriber=switch)) as client:
        yield client, switch, settings


@pytest.fixture
def make_client(app_client: tuple[TestClient, _Switch, Settings]) -> Callable[[SpeechService], TestClient]:
    client, switch, _ = app_client

    def _make(svc: SpeechService) -> TestClient:
        switch.inner = svc
        return client

    return _make


def test_cantonese_transcript_is_normalised_and_the_original_kept() -> None:
    svc = service("營業執照唔見咗點算")
    t = svc.transcribe(wav_bytes(tone(2.0)), filename="q.wav")
    assert (t.status, t.lang, t.text, t.original_text) == ("ok", "yue", "营业执照丢了怎么办", "營業執照唔見咗點算")
    assert t.duration_s == pytest.approx(2.0) and t.model == "scripted" and {"decode", "asr"} <= t.timings_ms.keys()


def test_a_language_hint_reaches_the_engine_and_yue_falls_back_to_zh() -> None:
    svc = service("Do I need a licence?", "en")
    assert svc.transcribe(wav_bytes(tone(1.0)), lang="en").lang == "en"
    assert svc.engine.calls[-1][1] == "en"  # type: ignore[attr-defined]
    yue = service("个体户点样登记")
    assert yue.transcribe(wav_bytes(tone(1.0)), lang="yue").lang == "yue"
    assert yue.engine.calls[-1][1] == "zh"  # type: ignore[attr-defined]  # Whisper base has no yue token


def test_silence_answers_no_speech_without_calling_the_engine() -> None:
    svc = service("不应出现")
    t = svc.transcribe(wav_bytes(np.zeros(32000, np.float32)))
    assert t.status == "no_speech" and t.text == "" and "麦克风" in t.message_zh and "microphone" in t.message_en
    assert svc.engine.calls == []  # type: ignore[attr-defined]


def test_an_invented_subtitle_credit_is_no_speech() -> None:
    t = service("字幕by索兰娅").transcribe(wav_bytes(tone(1.0)))
    assert t.status == "no_speech" and "再说一遍" in t.message_zh


def test_route_returns_the_contract_fields(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client(service("注冊資本要一次交齊嗎"))
    r = client.post("/v1/transcribe", files={"file": ("q.webm", encode(tone(2.0, 48000), 48000, "webm"))})
    assert r.status_code == 200, r.text
    body = r.json()
    assert {"text", "lang", "duration_s", "status", "original_text", "segments"} <= body.keys()
    assert body["text"] == "注册资本要一次交齐吗" and body["lang"] == "zh" and body["status"] == "ok"
    assert body["duration_s"] == pytest.approx(2.0, abs=0.1)


def test_route_speaks_the_callers_language_for_no_speech(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client(service("x"))
    silent = wav_bytes(np.zeros(32000, np.float32))
    zh = client.post("/v1/transcribe", files={"file": ("q.wav", silent)}).json()
    en = client.post("/v1/transcribe", files={"file": ("q.wav", silent)}, headers={"Accept-Language": "en"}).json()
    assert zh["status"] == en["status"] == "no_speech"
    assert "麦克风" in zh["message"] and "microphone" in en["message"]


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("q.wav", b"", 422, "invalid_audio"),
        ("q.wav", b"RIFF" + bytes(3000), 422, "invalid_audio"),
        ("q.m4a", b"not audio at all" * 100, 422, "invalid_audio"),
        ("scan.pdf", b"%PDF-1.7 ...", 415, "unsupported_media_type"),
        ("clip.mp4", "video", 415, "unsupported_media_type"),
        ("long.wav", "long", 413, "audio_too_long"),
    ],
)
def test_bad_uploads_get_clear_errors_and_the_server_stays_up(make_client, name, data, status, code) -> None:  # type: ignore[no-untyped-def]
    client = make_client(service("营业执照怎么办", max_seconds=5))
    if data == "video":
        data = encode(tone(1.0, 44100), 44100, "mp4", video=True)
    elif data == "long":
        data = wav_bytes(tone(6.0))
    r = client.post("/v1/transcribe", files={"file": (name, data)})
    assert r.status_code == status and r.json()["code"] == code
    assert r.json()["message"] and "Traceback" not in r.text
    ok = client.post("/v1/transcribe", files={"file": ("q.wav", wav_bytes(tone(1.0)))})
    assert ok.status_code == 200 and ok.json()["text"] == "营业执照怎么办"


def test_missing_file_field_is_422_naming_it(make_client) -> None:  # type: ignore[no-untyped-def]
    r = make_client(service("x")).post("/v1/transcribe", data={"lang": "zh"})
    assert r.status_code == 422 and r.json()["field"] == "file"


def test_upload_limit_is_the_speech_limit_not_the_1mb_json_limit(make_client, app_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client(service("营业执照怎么办"))
    settings = app_client[2]
    big = wav_bytes(tone(40.0))  # 1.3 MB: over the JSON limit, under the speech limit
    assert len(big) > 1 << 20
    assert client.post("/v1/transcribe", files={"file": ("q.wav", big)}).status_code == 200
    huge = bytes(settings.speech_max_bytes + 100_000)
    r = client.post("/v1/transcribe", files={"file": ("q.wav", huge)})
    assert r.status_code == 413 and "MB" in r.json()["message"]
    assert client.post("/v1/chat", content=b"x" * (2 << 20)).status_code == 413


def test_the_route_is_documented(app_client) -> None:  # type: ignore[no-untyped-def]
    spec = app_client[0].get("/openapi.json").json()
    route = spec["paths"]["/v1/transcribe"]["post"]
    assert (
        "multipart/form-data" in route["requestBody"]["content"] and {"413", "415", "422"} <= route["responses"].keys()
    )
