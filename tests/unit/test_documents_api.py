"""POST /v1/documents, the reader's post-processing and proposals, with a scripted OCR engine (a real
implementation of the OcrEngine port that returns fixed lines; the real engine runs in tests/integration)."""

import io
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from assistant.api.app import create_app
from assistant.documents import DocumentReader, facts_of
from assistant.settings import Settings
from assistant.testing import ScriptedChat

pytestmark = pytest.mark.unit
OcrLine = tuple[str, float, list[list[float]]]


def box(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]


ID_LINES: list[OcrLine] = [
    ("姓名", 0.99, box(60, 60, 110, 90)),
    ("张伟", 0.98, box(150, 56, 215, 92)),
    ("性别男民族汉", 0.97, box(60, 121, 380, 156)),
    ("出生1990年3月7日", 0.99, box(60, 186, 360, 220)),
    ("住址廣東省廣州市天河區體育西路103號", 0.95, box(60, 251, 560, 285)),  # traditional script
    ("公民身份号码", 0.99, box(60, 450, 210, 478)),
    ("44010619900307123X", 0.99, box(260, 444, 580, 482)),
]


class ScriptedOcr:
    """Returns the same lines for any image (boxes in the image's pixels)."""

    def __init__(self, lines: list[OcrLine]) -> None:
        self.lines = lines
        self.calls = 0

    def read(self, image: bytes) -> list[OcrLine]:
        return self.read_array(np.zeros((1, 1, 3), dtype=np.uint8))

    def read_array(self, rgb: np.ndarray) -> list[OcrLine]:
        self.calls += 1
        return list(self.lines)


def png(w: int = 856, h: int = 540) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), "white").save(buf, format="PNG")
    return buf.getvalue()


def _id(num: str) -> list[OcrLine]:
    return [*ID_LINES[:-1], (num, 0.99, ID_LINES[-1][2])]


def test_reader_fields_states_boxes_and_proposals(settings: Settings) -> None:
    valid = "440106199003071231"
    reader = DocumentReader(ScriptedOcr(_id(valid)), settings.knowledge_dir, settings.data_dir)
    doc = reader.read(png())
    assert doc.doc_type == "id_front"
    f = doc.fields
    assert f["address"].value == "广东省广州市天河区体育西路103号"  # simplified
    assert f["birth_date"].value == "1990-03-07"
    assert f["id_number"].value == valid and f["id_number"].state == "ok"
    assert f["id_number"].box == [260.0, 444.0, 580.0, 482.0]
    proposals = {p.field: p.value for p in doc.proposals}
    assert proposals == {
        "person.name": "张伟",
        "person.id_number": valid,
        "person.id_type": "居民身份证",
        "person.address": "广东省广州市天河区体育西路103号",
    }
    assert facts_of(doc)["fields"]["name"] == "张伟"  # type: ignore[index]


def test_a_misread_digit_marks_the_field_for_confirmation(settings: Settings) -> None:
    reader = DocumentReader(ScriptedOcr(_id("440106199003071232")), settings.knowledge_dir, settings.data_dir)
    doc = reader.read(png())
    assert doc.fields["id_number"].state == "needs_check" and "校验码" in doc.fields["id_number"].note
    assert next(p for p in doc.proposals if p.field == "person.id_number").state == "needs_check"


def test_birth_date_contradicting_the_id_number_needs_a_check(settings: Settings) -> None:
    lines = [*ID_LINES[:3], ("出生1991年3月7日", 0.99, box(60, 186, 360, 220)), *ID_LINES[4:-1]]
    lines.append(("440106199003071231", 0.99, box(260, 444, 580, 482)))
    doc = DocumentReader(ScriptedOcr(lines), settings.knowledge_dir, settings.data_dir).read(png())
    assert doc.fields["birth_date"].state == "needs_check"


def test_boxes_map_back_to_the_uploaded_image_when_it_was_downscaled(settings: Settings) -> None:
    reader = DocumentReader(ScriptedOcr(_id("440106199003071231")), settings.knowledge_dir, settings.data_dir)
    doc = reader.read(png(3200, 2000))  # read at 1600 px: boxes double
    assert doc.fields["id_number"].box == [520.0, 888.0, 1160.0, 964.0]


def test_lease_proposes_domicile_and_its_district_code(settings: Settings) -> None:
    lines = [
        ("房屋租赁合同", 0.99, box(470, 90, 780, 150)),
        ("出租方（甲方）：王五", 0.99, box(110, 220, 700, 255)),
        ("承租方（乙方）：陈静", 0.99, box(110, 280, 400, 315)),
        ("一、房屋坐落：广东省广州市海珠区新港中路88号1201室", 0.99, box(110, 400, 900, 435)),
        ("四、租赁期限：自2025年1月1日起至2027年12月31日止", 0.99, box(110, 520, 900, 555)),
    ]
    doc = DocumentReader(ScriptedOcr(lines), settings.knowledge_dir, settings.data_dir).read(png(1240, 1754))
    assert doc.fields["term_start"].value == "2025-01-01" and doc.fields["term_end"].value == "2027-12-31"
    proposals = {p.field: p.value for p in doc.proposals}
    assert proposals["domicile"] == "广东省广州市海珠区新港中路88号1201室"
    assert proposals["domicile_district_code"] == "440105"


@pytest.fixture
def client(settings: Settings, make_assistant):
    svc = make_assistant(ScriptedChat(fn=lambda _m: "好"))
    reader = DocumentReader(ScriptedOcr(_id("440106199003071231")), settings.knowledge_dir, settings.data_dir)
    with TestClient(create_app(settings, svc, with_ui=False, document_reader=reader)) as c:
        yield c


def test_post_documents_contract(client: TestClient) -> None:
    r = client.post("/v1/documents", files={"file": ("id.png", png(), "image/png")})
    assert r.status_code == 200
    body = r.json()
    assert body["doc_type"] == "id_front" and "text" in body and body["proposals"]
    assert {"value", "confidence", "box", "state"} <= body["fields"]["id_number"].keys()


def test_an_upload_with_a_session_fills_that_draft(client: TestClient) -> None:
    chat = client.post("/v1/chat", json={"message": "我想注册一家有限责任公司"}).json()
    sid = chat["session_id"]
    r = client.post(
        "/v1/documents", files={"file": ("id.png", png(), "image/png")}, data={"session_id": sid, "lang": "zh"}
    )
    assert r.status_code == 200, r.text
    applied = r.json()["applied"]
    assert applied["session_id"] == sid and applied["reply"]
    draft = client.get(f"/v1/sessions/{sid}/draft").json()
    filled = {f["field"]: f for f in draft["fields"] if f["state"] == "filled"}
    person = next(k.split(".")[1] for k, f in filled.items() if k.endswith(".name") and f["display"] == "张伟")
    assert filled[f"people.{person}.id_number"]["display"].endswith("1231")  # read from the card, shown masked
    roles = [m["role"] for m in client.get(f"/v1/sessions/{sid}/messages").json()]
    assert roles[-2:] == ["user", "assistant"]  # the upload and the reply are part of the conversation


def test_an_upload_for_an_unknown_session_is_404_and_touches_nothing(client: TestClient) -> None:
    r = client.post("/v1/documents", files={"file": ("id.png", png(), "image/png")}, data={"session_id": "f" * 32})
    assert r.status_code == 404 and r.json()["field"] == "session_id"
    new = client.post("/v1/documents", files={"file": ("id.png", png(), "image/png")}, data={"session_id": "new"})
    assert new.status_code == 200 and new.json()["applied"]["session_id"] != "f" * 32
    plain = client.post("/v1/documents", files={"file": ("id.png", png(), "image/png")})
    assert plain.json()["applied"] is None  # without a session the document is only read


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (b"not an image at all", 422, "document_invalid"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, 422, "document_invalid"),  # broken PNG
    ],
)
def test_bad_uploads_are_clear_errors(client: TestClient, payload: bytes, status: int, code: str) -> None:
    r = client.post("/v1/documents", files={"file": ("x.bin", payload, "application/octet-stream")})
    assert r.status_code == status and r.json()["code"] == code
    en = client.post(
        "/v1/documents",
        files={"file": ("x.bin", payload, "application/octet-stream")},
        headers={"Accept-Language": "en"},
    )
    assert en.json()["message"] != r.json()["message"]


def test_a_picture_without_text_is_no_document_found(settings: Settings, make_assistant) -> None:
    svc = make_assistant(ScriptedChat(fn=lambda _m: "好"))
    reader = DocumentReader(ScriptedOcr([]), settings.knowledge_dir, settings.data_dir)
    with TestClient(create_app(settings, svc, with_ui=False, document_reader=reader)) as c:
        r = c.post("/v1/documents", files={"file": ("cat.png", png(), "image/png")})
    assert r.status_code == 422 and r.json()["code"] == "no_document"
    assert "未找到" in r.json()["message"]


def test_missing_file_field_is_422(client: TestClient) -> None:
    r = client.post("/v1/documents", data={"x": "1"})
    assert r.status_code == 422 and r.json()["field"] == "file"


def test_a_pdf_with_a_text_layer_is_read_without_ocr(settings: Settings) -> None:
    from weasyprint import HTML

    rows = "".join(
        f"<p>{t}</p>"
        for t in (
            "出租方（甲方）：广州木棉物业管理有限公司",
            "承租方（乙方）：陈静",
            "一、房屋坐落：广东省广州市海珠区新港中路88号1201室",
            "二、租赁期限：自2025年1月1日起至2027年12月31日止",
        )
    )
    html = f"<html><body style='font-family: Noto Sans CJK SC'><h1>房屋租赁合同</h1>{rows}</body></html>"
    ocr = ScriptedOcr([])
    doc = DocumentReader(ocr, settings.knowledge_dir, settings.data_dir).read(HTML(string=html).write_pdf())
    assert ocr.calls == 0 and doc.source == "text_layer"
    assert doc.doc_type == "lease_contract"
    assert doc.fields["address"].value == "广东省广州市海珠区新港中路88号1201室"
    assert doc.fields["term_end"].value == "2027-12-31"
    assert doc.fields["lessee"].value == "陈静"


def test_oversized_uploads_are_413_in_both_languages(client: TestClient) -> None:
    from tests.unit.test_documents_loading import png_header_only

    big = client.post("/v1/documents", files={"file": ("big.jpg", b"\xff\xd8\xff" + b"0" * (21 << 20), "image/jpeg")})
    assert big.status_code == 413
    bomb = client.post("/v1/documents", files={"file": ("bomb.png", png_header_only(100_000, 100_000), "image/png")})
    assert bomb.status_code == 413 and "炸弹" in bomb.json()["message"]
    en = client.post(
        "/v1/documents",
        files={"file": ("50mp.png", png_header_only(8700, 5800, pad=400_000), "image/png")},
        headers={"Accept-Language": "en"},
    )
    assert en.status_code == 413 and "megapixels" in en.json()["message"]


def test_engine_choice_is_a_setting_and_a_missing_paddle_model_is_a_clear_error(tmp_path: Path) -> None:
    from assistant.documents.engines import PaddleOcrEngine, RapidOcrEngine
    from assistant.errors import ModelMissingError
    from assistant.wiring import build_document_reader

    assert isinstance(build_document_reader(Settings(state_dir=tmp_path)).engine, RapidOcrEngine)
    reader = build_document_reader(Settings(state_dir=tmp_path, ocr_engine="paddleocr", paddle_model_dir=tmp_path))
    assert isinstance(reader.engine, PaddleOcrEngine)  # built lazily: nothing loaded yet
    with pytest.raises(ModelMissingError) as exc:
        reader.warm_up()
    assert "eval.paddle_models" in exc.value.message_zh and "eval.paddle_models" in exc.value.message_en
