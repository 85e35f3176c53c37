"""Request limits over the real app (TestClient, real SQLite, scripted chat/OCR/speech engines): body sizes with
and without Content-Length, upload sizes, PDF pages, image pixels, audio duration, message length, per-IP and
per-session rate limits. Each refusal is {code, message, field} in the caller's language, and the app keeps
answering afterwards."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.api.app import create_app
from assistant.api.limits import TokenBucket, client_ip, validation_message
from assistant.documents import DocumentReader
from assistant.settings import PROJECT_ROOT, Settings
from assistant.speech.audio import AudioLimits
from assistant.speech.service import SpeechService
from assistant.speech.testing import ScriptedSpeechEngine
from assistant.testing import ScriptedChat
from tests.unit.speech_media import tone, wav_bytes
from tests.unit.test_documents_api import ID_LINES, ScriptedOcr, png
from tests.unit.test_documents_loading import png_header_only

pytestmark = pytest.mark.unit
GOOD = "不需要一次交齐，股东自公司成立之日起五年内缴足[1]。"
EN = {"accept-language": "en"}
MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(settings: Settings, make_assistant) -> Iterator[MakeClient]:
    opened: list[TestClient] = []

    def make(**changes: Any) -> TestClient:
        s = settings.model_copy(update=changes)
        svc = make_assistant(ScriptedChat(fn=lambda _m: GOOD))
        svc.settings = s
        reader = DocumentReader(ScriptedOcr(ID_LINES), s.knowledge_dir, s.data_dir)
        speech = SpeechService(
            ScriptedSpeechEngine("营业执照怎么办", "zh"),  # type: ignore[arg-type]
            knowledge_dir=PROJECT_ROOT / "knowledge",
            limits=AudioLimits(max_bytes=s.speech_max_bytes, max_seconds=s.speech_max_seconds),
            use_vad=False,
        )
        client = TestClient(create_app(s, svc, with_ui=False, document_reader=reader, transcriber=speech))
        opened.append(client.__enter__())
        return client

    yield make
    for c in opened:
        c.__exit__(None, None, None)


def chunks(data: bytes, size: int = 1000) -> Iterator[bytes]:
    """A body sent without Content-Length (Transfer-Encoding: chunked)."""
    for i in range(0, len(data), size):
        yield data[i : i + size]


def multipart(name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "daobanlimitstest"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n\r\n'
    return head.encode() + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def assert_refused(r: Any, status: int, code: str, zh: str) -> None:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.json()["code"] == code and zh in r.json()["message"], r.json()


# --- body and upload sizes -------------------------------------------------------------------------------------


def test_a_json_body_over_the_limit_is_413_with_or_without_content_length(make_client: MakeClient) -> None:
    client = make_client(max_body_bytes=4096)
    big = json.dumps({"message": "注册资本" * 2000}).encode()
    assert_refused(client.post("/v1/chat", content=big), 413, "too_large", "请求内容过大（上限 4 KB）")
    chunked = client.post("/v1/chat", content=chunks(big), headers={"content-type": "application/json"} | EN)
    assert_refused(chunked, 413, "too_large", "Request body too large (limit 4 KB)")
    small = chunks(json.dumps({"message": "注册资本要一次交齐吗"}).encode(), 10)
    ok = client.post("/v1/chat", content=small, headers={"content-type": "application/json"})
    assert ok.status_code == 200 and ok.json()["answer"]  # a small chunked body still goes through


def test_uploads_have_their_own_limits_even_when_chunked(make_client: MakeClient) -> None:
    client = make_client(max_body_bytes=1024, document_max_bytes=200_000, speech_max_bytes=200_000)
    body, ctype = multipart("file", "id.png", png())  # over the JSON limit, under the upload limit
    assert len(body) > 1024
    assert client.post("/v1/documents", content=chunks(body), headers={"content-type": ctype}).status_code == 200
    huge, ctype = multipart("file", "big.jpg", b"\xff\xd8\xff" + bytes(300_000))
    r = client.post("/v1/documents", content=chunks(huge, 65536), headers={"content-type": ctype})
    assert_refused(r, 413, "too_large", "请求内容过大")
    audio, ctype = multipart("file", "q.wav", bytes(300_000))
    r = client.post("/v1/transcribe", content=chunks(audio, 65536), headers={"content-type": ctype} | EN)
    assert_refused(r, 413, "too_large", "Request body too large")
    # just under the middleware's margin the route's own check answers, naming the file
    r = client.post("/v1/documents", files={"file": ("big.jpg", b"\xff\xd8\xff" + bytes(220_000), "image/jpeg")})
    assert r.status_code == 413 and r.json()["field"] in ("file", "body")


def test_pdf_pages_and_image_pixels_are_refused_clearly(make_client: MakeClient) -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument.new()
    for _ in range(21):
        pdf.new_page(200, 200)
    buf = io.BytesIO()
    pdf.save(buf)
    client = make_client()
    r = client.post("/v1/documents", files={"file": ("long.pdf", buf.getvalue(), "application/pdf")})
    assert_refused(r, 413, "document_too_large", "PDF 共 21 页，超过上限 20 页")
    en = client.post("/v1/documents", files={"file": ("long.pdf", buf.getvalue(), "application/pdf")}, headers=EN)
    assert en.status_code == 413 and "21 pages, over the limit of 20" in en.json()["message"]
    big = png_header_only(8700, 5800, pad=400_000)  # 50 megapixels
    r = client.post("/v1/documents", files={"file": ("50mp.png", big, "image/png")}, headers=EN)
    assert r.status_code == 413 and "megapixels" in r.json()["message"] and r.json()["field"] == "file"


def test_a_recording_over_the_duration_limit_is_413_in_both_languages(make_client: MakeClient) -> None:
    client = make_client(speech_max_seconds=2.0)
    long = wav_bytes(tone(3.0))
    r = client.post("/v1/transcribe", files={"file": ("q.wav", long)})
    assert_refused(r, 413, "audio_too_long", "语音提问最长 2 秒")
    en = client.post("/v1/transcribe", files={"file": ("q.wav", long)}, headers=EN)
    assert en.status_code == 413 and "2 s" in en.json()["message"]
    ok = client.post("/v1/transcribe", files={"file": ("q.wav", wav_bytes(tone(1.0)))})
    assert ok.status_code == 200 and ok.json()["text"] == "营业执照怎么办"


# --- message length ---------------------------------------------------------------------------------------------


def test_message_length_is_a_clear_422_naming_the_field(make_client: MakeClient) -> None:
    client = make_client(max_message_chars=2000)
    r = client.post("/v1/chat", json={"message": "注" * 2001})
    assert r.status_code == 422 and r.json()["field"] == "message"
    assert "请控制在 2000 字以内" in r.json()["message"]
    r = client.post("/v1/chat", json={"message": "注" * 20001})  # past the schema's own cap
    assert r.status_code == 422 and r.json()["field"] == "message"
    assert r.json()["message"] == "字段 message 太长了（上限 20000 字），请缩短后再试。"
    en = client.post("/v1/chat", json={"message": "x" * 20001}, headers=EN)
    assert en.json()["message"] == "Field message is too long (limit 20000 characters); please shorten it."


def test_validation_messages_are_plain_words() -> None:
    assert validation_message([{"loc": ("body", "vote"), "type": "missing", "msg": "Field required"}], "zh") == (
        "vote",
        "缺少字段 vote。",
    )
    field, msg = validation_message([{"loc": ("query", "k"), "type": "int_parsing", "msg": "bad int"}], "en")
    assert field == "query.k" and msg == "Invalid request: field query.k: bad int"
    assert validation_message([], "zh") == (None, "请求格式有误：字段 None ")


# --- rate limits ------------------------------------------------------------------------------------------------


def test_the_per_ip_limit_answers_429_with_retry_after(make_client: MakeClient) -> None:
    client = make_client(rate_ip_per_min=5)
    codes = [client.get("/v1/feedback/reasons").status_code for _ in range(5)]
    assert codes == [200] * 5
    r = client.get("/v1/feedback/reasons")
    assert_refused(r, 429, "rate_limited", "请求太频繁了")
    assert 1 <= int(r.headers["retry-after"]) <= 12
    en = client.get("/v1/feedback/reasons", headers=EN)
    assert en.status_code == 429 and "Too many requests" in en.json()["message"]
    assert client.get("/healthz").status_code == 200  # only /v1 is limited


@pytest.mark.parametrize("changes", [{"rate_ip_per_min": 0}, {"rate_ip_per_min": 2, "rate_exempt_ips": ["testclient"]}])
def test_rate_limits_can_be_off_or_skip_listed_clients(make_client: MakeClient, changes: dict) -> None:
    client = make_client(**changes)
    assert {client.get("/v1/feedback/reasons").status_code for _ in range(8)} == {200}


def test_the_per_session_limit_counts_writes_of_one_session(make_client: MakeClient) -> None:
    client = make_client(rate_session_per_min=3)
    sid = client.post("/v1/chat", json={"message": "注册资本要一次交齐吗"}).json()["session_id"]  # a new session
    for _ in range(3):
        assert client.post("/v1/chat", json={"message": "注册资本", "session_id": sid}).status_code == 200
    r = client.post("/v1/chat", json={"message": "注册资本", "session_id": sid})
    assert_refused(r, 429, "rate_limited", "这个会话的请求太频繁了")
    assert int(r.headers["retry-after"]) >= 1
    en = client.post("/v1/sessions/" + sid + "/handoff", json={"lang": "en"})  # path id; the body's language
    assert en.status_code == 429 and "in this session" in en.json()["message"]
    en = client.post("/v1/chat", json={"message": "capital", "session_id": sid, "lang": "en"})
    assert en.status_code == 429 and "in this session" in en.json()["message"]
    assert client.get(f"/v1/sessions/{sid}/messages").status_code == 200  # reads are not counted
    other = client.post("/v1/chat", json={"message": "注册资本要一次交齐吗"}).json()["session_id"]
    assert client.post("/v1/chat", json={"message": "注册资本", "session_id": other}).status_code == 200


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(60, clock=lambda: now[0])  # one a second, bursts of 60
    assert all(bucket.take("a") == 0 for _ in range(60))
    assert bucket.take("a") == pytest.approx(1.0)
    assert bucket.take("b") == 0  # keys are independent
    now[0] += 2.0
    assert bucket.take("a") == 0 and bucket.take("a") == 0 and bucket.take("a") > 0
    assert TokenBucket(0).take("a") == 0  # 0 = off


def test_client_ip_trusts_forwarded_for_only_from_a_trusted_proxy() -> None:
    scope = {"client": ("10.0.0.5", 5000)}
    hdrs = {"x-forwarded-for": "203.0.113.9, 10.0.0.7"}
    assert client_ip(scope, hdrs, []) == "10.0.0.5"  # no trusted proxy: the header is ignored
    assert client_ip(scope, hdrs, ["10.0.0.5", "10.0.0.7"]) == "203.0.113.9"
    assert client_ip({"client": ("198.51.100.1", 1)}, hdrs, ["10.0.0.5"]) == "198.51.100.1"
