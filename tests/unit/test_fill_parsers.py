"""Deterministic form-value parsers (assistant/filling/parsers.py) and message extraction (extract.py)."""

import pytest

from assistant.filling import parsers as p
from assistant.filling.draft import FormDraft
from assistant.filling.extract import Extractor
from assistant.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit
DATA = PROJECT_ROOT.parent / "shared" / "data"
KNOW = PROJECT_ROOT / "knowledge"


@pytest.mark.parametrize(
    ("text", "wan"),
    [
        ("六十万", 60.0),
        ("一百万", 100.0),
        ("5万块", 5.0),
        ("5000元", 0.5),
        ("600k yuan", 60.0),
        ("RMB 1 million", 100.0),
        ("RMB 300,000", 30.0),
        ("3.5万", 3.5),
    ],
)
def test_amounts_in_wan(text: str, wan: float) -> None:
    [a] = p.amounts(text)
    assert a.wan == wan and not a.negative


def test_amounts_skip_addresses_counts_and_numbers() -> None:
    assert p.amounts("天河北路233号1808室") == []
    assert p.amounts("我一个人出") == []
    assert p.amounts("身份证440106199704021886") == []
    assert p.amounts("-5万")[0].negative
    assert p.amounts("100", bare_as_wan=True)[0].wan == 100.0


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("我想开个有限公司", "有限责任公司"),
        ("办个体户", "个体工商户"),
        ("注册个人独资企业", "个人独资企业"),
        ("I want to set up an LLC", "有限责任公司"),
        ("a sole proprietorship", "个人独资企业"),
        ("今天天气", None),
    ],
)
def test_entity_type(text: str, kind: str | None) -> None:
    assert p.entity_type(text) == kind


def test_period_and_composition() -> None:
    assert p.period("营业期限长期") == "长期"
    assert p.period("营业期限20年") == "20年"
    assert p.period("30 years", asked=True) == "30年"
    assert p.composition("跟我老婆一起经营") == "家庭经营"
    assert p.composition("就我自己一个人经营") == "个人经营"


def test_bad_ids_are_explained_specifically() -> None:
    [(zh, en, _, _)] = p.bad_ids("身份证44010319691002733")
    assert "18位" in zh and "17" in zh and "18 characters" in en
    [(zh, _, _, _)] = p.bad_ids("身份证440106199704021887")
    assert "校验位" in zh


def test_names_stop_at_verbs_and_skip_words() -> None:
    assert [f.value for f in p.chinese_names("我跟同学林浩两个人出钱")] == ["林浩"]
    assert [f.value for f in p.chinese_names("王芳出40万，监事由李娜担任")] == ["王芳", "李娜"]
    assert [f.value for f in p.chinese_names("我出60万他出40万")] == []
    # a surname character inside a word is not a name's start (资金 → 金大概); a glued 叫 still is (叫梁 美玲)
    assert [f.value for f in p.chinese_names("资金大概投入15万")] == []
    assert [f.value for f in p.chinese_names("我系陈家豪，我老婆叫梁美玲")] == ["陈家豪", "梁美玲"]
    assert p.loose_name("区美华，铺") == "区美华"


def test_address_to_county_code() -> None:
    full = p.address("地址是广州市天河区体育西路1号501室", DATA)
    assert full is not None and full.code == "440106" and full.full == "广东省广州市天河区体育西路1号501室"
    bare = p.address("我想在天河开个做小程序的公司", DATA)
    assert bare is not None and bare.code == "440106" and not bare.full
    ambiguous = p.address("就在朝阳区", DATA)
    assert ambiguous is not None and ambiguous.code is None and "110105" in ambiguous.candidates
    english = p.address("the shop is in Tianhe District", DATA)
    assert english is not None and english.code == "440106"


def test_enterprise_names() -> None:
    assert p.enterprise_name("公司名称：广州青禾软件有限公司") == ("广州青禾软件有限公司", True)
    assert p.enterprise_name("字号用“青禾”吧") == ("青禾", False)
    assert p.enterprise_name("我叫陈晓明") is None
    assert p.enterprise_name("My name is 董浩") is None


def test_scope_and_industry_code() -> None:
    assert p.scope("我想在天河开个做小程序的公司", KNOW) == ({"一般项目": ["软件开发"], "许可项目": []}, "6513")
    items, code = p.scope("开个奶茶店", KNOW)  # type: ignore[misc]
    assert items["许可项目"] == ["餐饮服务"] and code == "6239"
    assert p.scope("we build mini programs and apps", KNOW, "en") == (
        {"一般项目": ["软件开发"], "许可项目": []},
        "6513",
    )


def test_extractor_resolves_pronouns_and_contributions() -> None:
    draft = FormDraft(session_id="t")
    ex = Extractor(DATA, KNOW)("我想在天河开个做小程序的公司，我跟同学两个人出钱，我出60万他出40万", draft, {}, "zh")
    fields = {x.field: x.value for x in ex.proposals}
    me, mate = draft.self_person(), draft.by_alias("同学")
    assert me is not None and mate is not None and me.shareholder and mate.shareholder
    assert fields[f"people.{me.key}.contribution_wan"] == 60 and fields[f"people.{mate.key}.contribution_wan"] == 40
    assert fields["entity_type"] == "有限责任公司" and fields["domicile_district_code"] == "440106"


def test_extractor_restores_masked_ids_and_phones_only_into_fields() -> None:
    draft = FormDraft(session_id="t")
    vault = {"[身份证号1]": "440106199704021886", "[手机号1]": "138 0013 8001"}
    ex = Extractor(DATA, KNOW)("我叫张伟，我的身份证是[身份证号1]，电话[手机号1]", draft, vault, "zh")
    fields = {x.field: x.value for x in ex.proposals}
    me = draft.self_person()
    assert me is not None and fields[f"people.{me.key}.id_number"] == "440106199704021886"
    assert fields["phone"] == "13800138001"
