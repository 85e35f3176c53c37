"""The bad files that reach a model, through the real recogniser (faster-whisper base) and the real OCR engine
(rapidocr): the few corpus entries that decode (a ten-hour header over 6 ms, a crafted truncated JPEG, a PDF
with a script) and a speechless tone. Each must end in a 200 or a named 4xx, never a 5xx; the chat model and
the index stay doubles (tests/fuzz/app.py), they are beside the point here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.wiring import build_document_reader, build_transcriber
from tests.fuzz import badfiles
from tests.fuzz.app import build_app, fuzz_settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = fuzz_settings(tmp_path_factory.mktemp("badfiles_real"))
    _app, svc = build_app(settings)  # the doubles for chat and retrieval
    app = create_app(
        settings,
        svc,
        with_ui=False,
        transcriber=build_transcriber(settings),
        document_reader=build_document_reader(settings),
    )
    with TestClient(app) as c:
        yield c


def test_real_recogniser_on_a_ten_hour_header_and_a_tone(client: TestClient) -> None:
    for name, data in (("long.wav", badfiles.wav_ten_hours()), ("tone.wav", badfiles.wav(1.5))):
        r = client.post("/v1/transcribe", files={"file": (name, data, "audio/wav")}, headers={"accept-language": "en"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] in ("no_speech", "ok") and body["duration_s"] < 2
        if body["status"] == "no_speech":
            assert body["message"]
    r = client.post("/v1/transcribe", files={"file": ("q.wav", badfiles.wav_ten_hours_long_body(), "audio/wav")})
    assert r.status_code == 413 and r.json()["code"] == "audio_too_long"


def test_real_ocr_on_a_crafted_truncated_jpeg_and_a_pdf_with_a_script(client: TestClient) -> None:
    r = client.post("/v1/documents", files={"file": ("id.jpg", badfiles.jpeg_truncated_with_eoi(), "image/jpeg")})
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert r.json()["code"] in ("no_document", "document_invalid") and r.json()["message"]
    r = client.post("/v1/documents", files={"file": ("lease.pdf", badfiles.pdf_javascript(), "application/pdf")})
    assert r.status_code == 200 and "Lease contract" in r.json()["text"]
    r = client.post("/v1/documents", files={"file": ("id.png", badfiles.png_bomb(), "image/png")})
    assert r.status_code == 413 and r.json()["code"] == "document_too_large"
    assert client.get("/healthz").status_code == 200
