"""The widget's pure helpers over a real Assistant (scripted chat): the form panel, the document proposals applied
to the draft, and the voice notices."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pytest

from assistant.documents.model import DocField, Proposal, ReadDocument
from assistant.filling.draft import FormDraft
from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from assistant.speech.audio import AudioLimits
from assistant.speech.service import SpeechService
from assistant.speech.testing import ScriptedSpeechEngine
from assistant.testing import ScriptedChat
from tests.unit.speech_media import tone, wav_bytes
from ui.form_panel import can_confirm, edit_choices, panel_html, panel_title, receipt_html
from ui.upload import apply_document, document_extraction, preview_html, read_upload
from ui.voice import transcribe_file

pytestmark = pytest.mark.unit
TURNS = [
    "我要注册一个一人有限公司，做室内设计，公司名称叫广州木言设计有限公司",
    "住所在广州市海珠区江南大道中88号1203室，注册资本30万，全部由我出，我叫陈晓明",
    "我自己当执行董事和法定代表人，我老婆刘敏当监事",
    "身份证号：我的440106199704021886，我老婆的44011119910208192X",
]


@pytest.fixture
def svc(make_assistant: Callable[[ScriptedChat], Assistant]) -> Assistant:
    return make_assistant(ScriptedChat(fn=lambda _m: "因此，自公司成立之日起五年内缴足[1]。"))


def _fill(svc: Assistant, turns: list[str]) -> str:
    sid = None
    for text in turns:
        sid = svc.ask(text, session_id=sid).session_id
    assert sid
    return sid


def _draft(svc: Assistant, sid: str) -> FormDraft:
    draft = svc.filling.drafts.get(sid)
    assert draft is not None
    return draft


def id_card(name: str, number: str, *, unsure: bool = False) -> ReadDocument:
    state: Literal["ok", "needs_check"] = "needs_check" if unsure else "ok"
    return ReadDocument(
        doc_type="id_front",
        doc_type_zh="居民身份证（人像面）",
        fields={
            "name": DocField(value=name, confidence=0.98),
            "id_number": DocField(value=number, confidence=0.6, state=state, note="校验位不符 / check digit"),
        },
        proposals=[
            Proposal(field="person.name", value=name, confidence=0.98, source="id_front.name"),
            Proposal(field="person.id_number", value=number, confidence=0.6, state=state, source="id_front.id_number"),
            Proposal(field="person.id_type", value="居民身份证", confidence=1.0, source="id_front.id_number"),
        ],
    )


def lease(address: str) -> ReadDocument:
    return ReadDocument(
        doc_type="lease_contract",
        doc_type_zh="房屋租赁合同",
        fields={"address": DocField(value=address, confidence=0.95)},
        proposals=[Proposal(field="domicile", value=address, confidence=0.95, source="lease_contract.address")],
    )


def test_panel_shows_filled_missing_and_then_the_decision_documents_and_receipt(svc: Assistant) -> None:
    assert "我要注册公司" in panel_html(None) and panel_title(None) == "申请表（尚未开始）"
    sid = _fill(svc, TURNS)
    view = svc.draft(sid)
    page = panel_html(view)
    assert "广州木言设计有限公司" in page and "已填" in page and "待补充" in page and "联系电话" in page
    assert "db-doc-confirmation" not in page and not can_confirm(view)
    assert edit_choices(view)[0][1] == "phone"  # the missing field is offered first
    assert panel_title(view).startswith("申请表 · 已填 ")

    svc.ask("电话13900139002", session_id=sid)
    done = svc.draft(sid)
    page = panel_html(done)
    assert "审查结论" in page and f"/v1/sessions/{sid}/documents/confirmation" in page and "简明信息核对表" in page
    assert "公司章程" in page and can_confirm(done) and "已填完" in panel_title(done)
    receipt = svc.confirm(sid)
    after = svc.draft(sid)
    assert not can_confirm(after) and edit_choices(after) == [] and "已提交" in panel_title(after)
    assert receipt["receipt"] in panel_html(after) and "已确认提交" in receipt_html(receipt, "zh")


def test_a_field_check_marks_its_field_with_the_reason_and_the_remedy(svc: Assistant) -> None:
    sid = _fill(svc, [TURNS[0].replace("木言", "最佳")])
    page = panel_html(svc.draft(sid))
    row = page[page.index('data-field="proposed_name"') :].split("</tr>")[0]
    assert "需核对" in row and "最佳" in row and "建议：" in row


def test_english_session_shows_both_languages(svc: Assistant) -> None:
    sid = _fill(svc, ["I want to register a limited company called Guangzhou Muyan Design Co., Ltd."])
    view = svc.draft(sid, "en")
    assert "申请表 · 已填" in panel_title(view, "en") and "filled" in panel_title(view, "en")
    assert "待补充 / missing" in panel_html(view, "en")


def test_an_id_card_fills_a_new_draft_and_marks_an_unsure_number(svc: Assistant) -> None:
    doc = id_card("陈晓明", "440106199704021886", unsure=True)
    assert "需核对" in preview_html(doc) and "98%" in preview_html(doc) and "填入申请表" in preview_html(doc)
    sid, reply = apply_document(svc, None, doc)
    draft = _draft(svc, sid)
    me = draft.self_person()
    assert me is not None and draft.get(f"people.{me.key}.name") == "陈晓明"
    number = draft.fields[f"people.{me.key}.id_number"]
    assert number.value == "440106199704021886" and number.state == "needs_check"
    assert number.source == "document:id_front" and reply  # the policy asks for what is still missing
    roles = [m["role"] for m in svc.store.messages(sid)]
    assert roles == ["user", "assistant"]  # the upload and the reply are part of the conversation


def test_an_id_card_goes_to_the_person_of_that_name_and_a_lease_never_overwrites_silently(svc: Assistant) -> None:
    sid = _fill(svc, TURNS[:3])
    draft = _draft(svc, sid)
    wife = draft.find_person("刘敏")
    assert wife is not None
    ex, unsure = document_extraction(draft, id_card("刘敏", "44011119910208192X"))
    assert {p.field for p in ex.proposals} == {f"people.{wife.key}.name", f"people.{wife.key}.id_number"}
    assert unsure == []
    apply_document(svc, sid, id_card("刘敏", "44011119910208192X"))
    assert _draft(svc, sid).get(f"people.{wife.key}.id_number") == "44011119910208192X"

    apply_document(svc, sid, lease("广州市海珠区江南大道中88号1203室"))  # the same place, written shorter
    assert _draft(svc, sid).fields["domicile"].state == "filled"
    apply_document(svc, sid, lease("广州市海珠区新港中路100号"))
    domicile = _draft(svc, sid).fields["domicile"]
    assert domicile.value == "广东省广州市海珠区江南大道中88号1203室"  # what the applicant said stays
    assert domicile.state == "needs_check" and "新港中路100号" in str(domicile.proposed)


def test_an_id_card_of_an_unnamed_person_with_a_role_names_them(svc: Assistant) -> None:
    sid = _fill(svc, [TURNS[0], TURNS[1], "我自己当执行董事和法定代表人，我老婆当监事"])
    wife = _draft(svc, sid).get("supervisor")
    apply_document(svc, sid, id_card("刘敏", "44011119910208192X"))
    assert _draft(svc, sid).name_of(wife) == "刘敏"


def test_a_document_without_usable_fields_is_refused_with_a_message(svc: Assistant) -> None:
    other = ReadDocument(doc_type="other", doc_type_zh="其他", text="会议纪要")
    assert "没有可以直接填入" in preview_html(other)
    with pytest.raises(Exception) as err:
        apply_document(svc, None, other)
    assert "没有可以填入" in err.value.message("zh")  # type: ignore[attr-defined]


def _speech(text: str, **limits: float) -> SpeechService:
    """The real audio path (decode, limits, energy check) over a scripted recogniser; a tone stands for speech."""
    engine = ScriptedSpeechEngine(text)
    knowledge = PROJECT_ROOT / "knowledge"
    return SpeechService(engine, knowledge_dir=knowledge, limits=AudioLimits(**limits), use_vad=False)  # type: ignore[arg-type]


def test_voice_transcript_goes_to_the_box_and_bad_audio_gets_a_message(tmp_path: Path) -> None:
    speech = tmp_path / "q.wav"
    speech.write_bytes(wav_bytes(tone(1.5)))
    heard = transcribe_file(_speech("注册资本要一次交齐吗"), speech)
    assert heard.ok and heard.text == "注册资本要一次交齐吗" and "请核对" in heard.notice

    silent = tmp_path / "silent.wav"
    silent.write_bytes(wav_bytes(tone(2.0, level=0.0)))
    quiet = transcribe_file(_speech("注册资本要一次交齐吗"), silent)
    assert not quiet.ok and quiet.text == "" and "db-error" in quiet.notice

    long = transcribe_file(_speech("x", max_seconds=1.0), speech, "en")
    assert not long.ok and "/" in long.notice  # Chinese first, then English

    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all" * 10)
    bad = transcribe_file(_speech("x"), junk)
    assert not bad.ok and "Traceback" not in bad.notice and bad.notice


def test_a_bad_or_oversized_upload_gets_a_message_not_a_traceback(settings: Settings, tmp_path: Path) -> None:
    from assistant.wiring import build_document_reader

    reader = build_document_reader(settings)  # the OCR models load on the first image; these never get there
    junk = tmp_path / "card.jpg"
    junk.write_bytes(b"this is not an image" * 50)
    doc, problem = read_upload(reader, junk, 1_000_000)
    assert doc is None and problem and "Traceback" not in problem
    doc, problem = read_upload(reader, junk, 100, "en")
    assert doc is None and "文件过大" in problem and "File too large" in problem
