"""The real OCR engine (rapidocr, PP-OCRv6 ONNX from the wheel) on a few generated documents, end to end:
orientation, check digits, a scanned PDF, proposals, a picture without text, and the consistency rules."""

import io
import random

import pytest

from assistant.approval.engine import ApprovalEngine
from assistant.approval.model import Application
from assistant.documents import DocumentReader, facts_of
from assistant.settings import Settings
from assistant.wiring import build_document_reader
from eval import docgen

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def reader(real_settings: Settings) -> DocumentReader:
    r = build_document_reader(real_settings)
    r.warm_up()
    return r


def test_upside_down_id_card_with_a_broken_check_digit(reader: DocumentReader) -> None:
    gen = docgen.degrade(docgen.id_front(random.Random(11), valid=False), "rotate_180", random.Random(1))
    doc = reader.read(gen.jpeg(92))
    assert doc.doc_type == "id_front" and doc.rotation == 180
    assert doc.fields["name"].value == gen.truth["name"]
    assert doc.fields["address"].value == gen.truth["address"]
    idf = doc.fields["id_number"]
    assert idf.value == gen.truth["id_number"] and idf.state == "needs_check"


def test_scanned_lease_pdf_fills_the_premises(reader: DocumentReader, real_settings: Settings) -> None:
    gen = docgen.lease_contract(random.Random(5))
    buf = io.BytesIO()
    gen.image.save(buf, format="PDF", resolution=150)
    doc = reader.read(buf.getvalue())
    assert doc.doc_type == "lease_contract" and doc.source == "ocr"
    for key in ("address", "term_start", "term_end", "lessee"):
        assert doc.fields[key].value == gen.truth[key], key
    proposals = {p.field: p.value for p in doc.proposals}
    assert proposals["business_premises"] == gen.truth["address"]
    assert proposals["domicile_district_code"] == gen.meta["district_code"]

    engine = ApprovalEngine.from_settings(real_settings)
    app = Application(
        entity_type="个体工商户",
        business_premises="北京市朝阳区建国路1号",  # typed elsewhere than the lease
        application_date=gen.truth["term_end"][:4] + "-12-31",  # after the lease ends
        documents=[facts_of(doc)],  # type: ignore[list-item]
    )
    rules = {f.rule for f in engine.check(app).findings}
    assert "consistency.lease_expired" in rules
    assert rules & {"consistency.premises_district_mismatch", "consistency.premises_address_mismatch"}


def test_a_picture_without_text_is_no_document(reader: DocumentReader) -> None:
    doc = reader.read(docgen.cat_photo(random.Random(2)).png())
    assert doc.doc_type == "no_document" and not doc.fields


def test_id_card_photographed_at_an_angle_on_a_table(reader: DocumentReader) -> None:
    """A strong perspective (corners moved by 25-30 % of the card), a table, a shadow, camera blur and JPEG."""
    gen = docgen.id_front(random.Random(21))
    photo, quad = docgen.photograph(gen.image, random.Random(4), camera=True, strength=(0.25, 0.3))
    buf = io.BytesIO()
    photo.save(buf, format="JPEG", quality=85)
    doc = reader.read(buf.getvalue())
    assert doc.doc_type == "id_front" and doc.perspective is not None
    assert doc.fields["name"].value == gen.truth["name"]
    idf = doc.fields["id_number"]
    assert idf.value == gen.truth["id_number"] and idf.state == "ok"
    # the box is in the photo's pixels, inside the card's outline there
    x0, y0, x1, y1 = idf.box or [0.0, 0.0, 0.0, 0.0]
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    assert min(xs) - 5 <= x0 < x1 <= max(xs) + 5 and min(ys) - 5 <= y0 < y1 <= max(ys) + 5
    assert y0 > (min(ys) + max(ys)) / 2  # the number is printed in the lower half of the card
