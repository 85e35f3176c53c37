"""Dialogue policy over a real draft store (SQLite in tmp_path) and the real approval engine: ask only for what is
missing, accept corrections, surface contradictions, explain impossible values, never lose what is filled."""

from pathlib import Path

import pytest

from assistant.approval import ApprovalEngine
from assistant.filling.spec import ENTITY_TYPES, load_spec
from assistant.filling.step import Filling
from assistant.guardrails import pii
from assistant.settings import PROJECT_ROOT
from assistant.store.drafts import DraftStore

pytestmark = pytest.mark.unit
DATA = PROJECT_ROOT.parent / "shared" / "data"
KNOW = PROJECT_ROOT / "knowledge"


@pytest.fixture(scope="module")
def engine() -> ApprovalEngine:
    return ApprovalEngine.from_paths(DATA, KNOW)


@pytest.fixture
def filling(tmp_path: Path, engine: ApprovalEngine) -> Filling:
    return Filling(KNOW, DATA, engine, DraftStore(f"sqlite:///{tmp_path / 'd.db'}"))


class Chat:
    def __init__(self, filling: Filling) -> None:
        self.filling = filling
        self.draft = filling.start("s1")

    def say(self, text: str, lang: str = "zh") -> str:
        masked, vault = pii.mask(text, data_dir=DATA)
        return self.filling.run(self.draft, masked, vault.entries, lang).reply

    def app(self) -> dict:
        return self.filling.policy.application(self.draft).model_dump(exclude_none=True)


def test_specs_load_and_name_application_fields() -> None:
    from assistant.approval.model import Application

    fields = set(Application.model_fields)
    for et in ENTITY_TYPES:
        spec = load_spec(KNOW, et)
        assert spec.keys[0] == "entity_type"
        for f in spec.fields:
            assert f.key in fields or f.key.startswith("person."), f.key
            assert f.ask.zh and f.ask.en and f.why.zh and f.why.en


def test_issue_example_with_correction(filling: Filling) -> None:
    c = Chat(filling)
    first = c.say("我想在天河开个做小程序的公司，我跟同学两个人出钱，我出60万他出40万")
    assert "有限责任公司" in first and "60万元" in first and "住所" in first
    c.say("我叫张伟，同学叫王强")
    reply = c.say("不对，是林浩出四十万")
    assert "林浩" in reply
    holders = {s["name"]: s["contribution_wan"] for s in c.app()["shareholders"]}
    assert holders == {"张伟": 60, "林浩": 40}  # renamed, not a third shareholder
    assert c.app()["registered_capital_wan"] == 100
    assert [h.kind for h in c.draft.history if h.field.endswith(".name")].count("correct") == 1


def test_asks_only_for_missing_fields_one_or_two_at_a_time(filling: Filling) -> None:
    c = Chat(filling)
    c.say("我要注册有限公司做软件开发，名称广州青禾软件有限公司，地址广州市天河区体育西路1号501室")
    assert 1 <= len(c.draft.asked) <= 2
    assert not set(c.draft.asked) & {"entity_type", "proposed_name", "domicile", "business_scope"}
    reply = c.say("注册资本100万，我叫张伟，全部我出")
    assert "注册资本打算" not in reply and "公司名称想好" not in reply


def test_contradiction_is_asked_not_overwritten(filling: Filling) -> None:
    c = Chat(filling)
    c.say("我想开一家软件公司，注册资本100万，我叫黄志强，一个人出资")
    reply = c.say("注册资本80万")
    assert "以哪个为准" in reply
    assert c.app()["registered_capital_wan"] == 100  # kept until the applicant answers
    assert c.draft.fields["registered_capital_wan"].state == "needs_check"
    c.say("是")
    assert c.app()["registered_capital_wan"] == 80
    assert c.draft.fields["registered_capital_wan"].state == "filled"


def test_contradiction_kept_on_no(filling: Filling) -> None:
    c = Chat(filling)
    c.say("办个体户开花店，我叫方雅，一个人经营")
    assert "以哪个为准" in c.say("我跟老公一起经营")
    c.say("不是")
    assert c.app()["composition"] == "个人经营"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("注册资本-5万", "不能是负数"),
        ("我的身份证是44010319691002733", "17位"),
        ("电话1380013800", "11位"),
    ],
)
def test_impossible_values_get_a_specific_explanation(filling: Filling, text: str, words: str) -> None:
    c = Chat(filling)
    c.say("我要注册有限公司做软件开发，我叫张伟，注册资本10万，全部我出")
    before = c.app()
    reply = c.say(text)
    assert words in reply
    assert c.app() == before  # nothing filled is lost or replaced by the impossible value


def test_why_a_field_is_needed(filling: Filling) -> None:
    c = Chat(filling)
    c.say("我要开个公司做软件开发，我叫吴昊，我出20万")
    reply = c.say("为什么一定要有监事？")
    assert "公司法第八十三条" in reply
    assert c.say("Why do you need my phone number?", "en").startswith("The registration authority")


def test_supervisor_cannot_be_the_legal_representative(filling: Filling) -> None:
    c = Chat(filling)
    c.say("我要开公司做摄影，我叫邓超，注册资本10万全部我出")
    reply = c.say("我当法人，也当监事")
    assert "不能同时担任监事" in reply
    assert "supervisor" not in c.app()


def test_english_dialogue_replies_in_english(filling: Filling) -> None:
    c = Chat(filling)
    reply = c.say("I want to register a sole proprietorship doing graphic design", "en")
    assert "Noted" in reply and "?" in reply
    assert c.app()["entity_type"] == "个人独资企业"


def test_complete_form_runs_the_full_check(filling: Filling) -> None:
    c = Chat(filling)
    for text in (
        "我想办个人独资企业，做平面设计",
        "企业名称叫广州市天河区墨白设计工作室，地址广州市天河区天河北路90号1201",
        "我叫孔令辉，出资10万",
    ):
        c.say(text)
    masked, vault = pii.mask("身份证440103196601263863，电话13300133033", data_dir=DATA)
    out = filling.run(c.draft, masked, vault.entries, "zh")
    assert out.complete and out.decision is not None and not out.missing
    assert c.draft.status == "complete" and "确认提交" in out.reply
    assert c.app()["investor"]["id_number"] == "440103196601263863"


def test_a_role_with_the_subject_left_out_goes_to_the_same_person(filling: Filling) -> None:
    c = Chat(filling)
    c.say("我们三个人开一家软件开发的有限责任公司，张磊出资150万，李娜出资100万，赵强出资50万")
    c.say("张磊做执行董事，也是法定代表人；李娜当监事")
    app = c.app()
    assert app["legal_rep"]["name"] == "张磊" and app["supervisor"]["name"] == "李娜"


def test_an_address_in_the_message_that_names_a_个体户_is_its_premises(filling: Filling) -> None:
    c = Chat(filling)
    c.say("我想开个便利店")
    c.say("个体工商户吧，叫“邻家便利店”，地址武汉市江汉区解放大道688号")
    app = c.app()
    assert app["entity_type"] == "个体工商户" and "解放大道688号" in app["business_premises"]
    assert "domicile" not in app


def test_names_and_ids_in_brackets_after_me_and_an_alias(filling: Filling) -> None:
    c = Chat(filling)
    c.say("有限公司，名字叫杭州青松农业科技有限公司")
    c.say("股东两个：我（吴刚，身份证330106199501154739）出资70万，我老婆（何丽，身份证320102199303041840）出资30万")
    holders = {s["name"]: (s["contribution_wan"], s["id_number"]) for s in c.app()["shareholders"]}
    assert holders == {"吴刚": (70, "330106199501154739"), "何丽": (30, "320102199303041840")}
