"""The bad-file corpus (tests/fuzz/badfiles.py) posted to /v1/transcribe and /v1/documents, and fed to the
ingestion loaders.

The decoders are real (libsndfile and PyAV for audio, Pillow and pdfium for images and PDFs, zipfile for DOCX);
only the recogniser and the OCR engine behind them are doubles, because every file here is refused (or read)
before a model would see it. Each answer must be a 4xx with a known code and a message in the request's
language (Chinese by default, English with Accept-Language: en), never a 5xx, and the server must answer
/healthz afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingestion.document import LoadError
from ingestion.loaders import docx as docx_loader
from ingestion.loaders import html as html_loader
from ingestion.loaders import pdf as pdf_loader
from tests.fuzz import badfiles
from tests.fuzz.app import build_app, fuzz_settings

pytestmark = pytest.mark.fuzz
CORPUS = {bf.name: bf for bf in badfiles.corpus()}
HAN = re.compile(r"[\u4e00-\u9fff]")


@cache
def payload(name: str) -> bytes:
    return CORPUS[name].make()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app, _svc = build_app(fuzz_settings(tmp_path_factory.mktemp("badfiles_state")))
    with TestClient(app) as c:
        yield c


def _post(client: TestClient, route: str, name: str, lang: str) -> tuple[int, dict]:
    bf = CORPUS[name]
    r = client.post(
        route,
        files={"file": (bf.filename, payload(name), bf.content_type)},
        headers={"accept-language": lang},
    )
    return r.status_code, r.json()


def _assert_refused_or_read(client: TestClient, route: str, name: str, expected: tuple[str, ...]) -> None:
    for lang in ("zh", "en"):
        status, body = _post(client, route, name, lang)
        assert status < 500, (route, name, status, body)
        if status == 200:
            assert "200" in expected, f"{name} was accepted by {route}: {body}"
            continue
        assert 400 <= status < 500 and body["code"] in expected, (route, name, status, body)
        assert body["field"] == "file" and body["message"], body
        if lang == "zh":
            assert HAN.search(body["message"]), body["message"]
        else:
            assert not HAN.search(body["message"]), body["message"]
    assert client.get("/healthz").status_code == 200  # still answering


@pytest.mark.parametrize("name", [n for n, bf in CORPUS.items() if bf.audio])
def test_transcribe_refuses_bad_files(client: TestClient, name: str) -> None:
    _assert_refused_or_read(client, "/v1/transcribe", name, CORPUS[name].audio)


@pytest.mark.parametrize("name", [n for n, bf in CORPUS.items() if bf.document])
def test_documents_refuses_bad_files(client: TestClient, name: str) -> None:
    _assert_refused_or_read(client, "/v1/documents", name, CORPUS[name].document)


def test_a_pdf_with_javascript_is_read_from_its_text_layer_and_the_script_never_runs(client: TestClient) -> None:
    status, body = _post(client, "/v1/documents", "pdf_javascript", "en")
    assert status == 200 and "Lease contract" in body["text"] and "pwned" not in body["text"]


def test_a_ten_hour_header_over_a_tiny_body_is_read_as_what_it_holds(client: TestClient) -> None:
    status, body = _post(client, "/v1/transcribe", "wav_ten_hour_header", "en")
    assert status == 200 and body["status"] == "no_speech" and body["duration_s"] < 1 and body["message"]


def test_the_server_still_serves_a_good_upload_after_the_corpus(client: TestClient) -> None:
    for name in CORPUS:  # the whole corpus in one go, then a normal upload and a normal question
        for route in ("/v1/transcribe", "/v1/documents"):
            assert _post(client, route, name, "zh")[0] < 500
    good = client.post("/v1/transcribe", files={"file": ("q.wav", badfiles.wav(1.5), "audio/wav")})
    assert good.status_code == 200 and good.json()["status"] in ("ok", "no_speech")
    doc = client.post("/v1/documents", files={"file": ("licence.png", badfiles.png(), "image/png")})
    assert doc.status_code == 200 and doc.json()["doc_type"]
    chat = client.post("/v1/chat", json={"message": "注册资本要一次交齐吗"})
    assert chat.status_code == 200 and chat.json()["status"] == "answered"


# --- the ingestion loaders (the operator's side) ---------------------------------------------------------------
LOADER_CASES = [
    ("zip_bomb_docx", docx_loader, "articles.docx", "zip bomb"),
    ("random_bytes", docx_loader, "random.docx", "corrupt DOCX"),
    ("zero_length", docx_loader, "empty.docx", "empty file"),
    ("pdf_encrypted", pdf_loader, "law.pdf", "encrypted"),
    ("pdf_zero_pages", pdf_loader, "law.pdf", "PDF"),
    ("pdf_truncated", pdf_loader, "law.pdf", "PDF"),
    ("random_bytes", pdf_loader, "law.pdf", "PDF"),
    ("random_bytes", html_loader, "page.html", "not a text file"),
    ("text_file", html_loader, "page.html", "not an HTML file"),
    ("zero_length", html_loader, "page.html", "empty file"),
]


@pytest.mark.parametrize(
    ("name", "loader", "filename", "reason"), LOADER_CASES, ids=lambda v: getattr(v, "__name__", v)
)
def test_ingestion_loaders_refuse_bad_files_with_a_reason(
    tmp_path: Path, name: str, loader: object, filename: str, reason: str
) -> None:
    path = tmp_path / filename
    path.write_bytes(payload(name))
    with pytest.raises(LoadError) as err:
        loader.load(path)  # type: ignore[attr-defined]
    assert reason.lower() in str(err.value).lower() and err.value.reason_zh


def test_a_corrupt_deflate_stream_in_a_docx_is_a_load_error(tmp_path: Path) -> None:
    data = bytearray(badfiles.zip_bomb_docx(4))
    i = data.index(b"word/document.xml") + len("word/document.xml")
    data[i + 10 : i + 40] = b"\xff" * 30  # garble the deflate stream of the first part's data
    path = tmp_path / "garbled.docx"
    path.write_bytes(bytes(data))
    with pytest.raises(LoadError):
        docx_loader.load(path)
