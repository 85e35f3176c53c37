"""Referral to other agencies: tax, social insurance, loans, visas and legal services are sent to their channel;
registration questions that only touch those words (清税, 法定公积金, who pays a partnership's income tax) are not."""

import pytest
import yaml
from pydantic import ValidationError

from assistant.domain import Status
from assistant.pipeline.context import TurnContext
from assistant.pipeline.referral import Agency, Referral, Referrals
from assistant.pipeline.steps import Replies
from assistant.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit
KNOWLEDGE = PROJECT_ROOT / "knowledge"


@pytest.fixture(scope="module")
def referrals() -> Referrals:
    return Referrals.load(KNOWLEDGE)


@pytest.mark.parametrize(
    ("question", "agency"),
    [
        ("奶茶店的增值税税率是多少", "tax"),
        ("個體戶一年要交幾多稅", "tax"),
        ("What is the income tax rate for a small company?", "tax"),
        ("员工的社保缴费基数怎么算", "social_insurance"),
        ("公司给员工交住房公积金的比例是多少", "social_insurance"),
        ("创业贷款利息怎么算", "finance"),
        ("Which bank gives the cheapest business loan?", "finance"),
        ("外国股东来中国要办什么工作签证", "immigration"),
        ("Do I need a work permit to run my own company in China?", "immigration"),
        ("公证处公证公司章程要多少钱", "legal_services"),
        ("我和老婆离婚，公司股份怎么分", "legal_services"),
        ("我的营业执照办理进度到哪一步了", "registration_system"),
        ("帮我查一下“星河科技有限公司”这个名字有没有被注册", "registration_system"),
        ("Where is my application? I submitted it last week", "registration_system"),
    ],
)
def test_another_agencys_matter_is_referred(referrals: Referrals, question: str, agency: str) -> None:
    found = referrals.find(question)
    assert found is not None and found[0] == agency


@pytest.mark.parametrize(
    "question",
    [
        "公司注销前要先去清税吗",
        "公司分红之前要先提取多少法定公积金",
        "合伙企业的所得税谁交",
        "Who pays income tax for a partnership enterprise?",
        "What percentage of after-tax profit goes to the statutory reserve?",
        "个人独资企业招了员工要给他们交社保吗",
        "网店要给顾客开发票吗",
        "信用卡欠钱被列为失信被执行人还能当监事吗",
        "公司融资增资以后要去变更注册资本吗",
        "注册资本要一次交齐吗",
        "外国人可以在中国开个体户吗",
        "营业执照一般多久能办下来",
        "名称自主申报后能保留多久",
        "帮我写一份公司章程",
    ],
)
def test_registration_questions_stay_with_registration(referrals: Referrals, question: str) -> None:
    assert referrals.find(question) is None


def test_every_agency_names_itself_and_its_channel_in_both_languages() -> None:
    data = yaml.safe_load((KNOWLEDGE / "router" / "referrals.yaml").read_text(encoding="utf-8"))
    assert len(data["agencies"]) >= 5
    for spec in data["agencies"].values():
        agency = Agency.model_validate(spec)
        assert agency.name["zh"] and agency.name["en"] and agency.channel["zh"] and agency.channel["en"]


def test_a_bad_pattern_fails_loudly() -> None:
    with pytest.raises(ValidationError, match="bad pattern"):
        Agency.model_validate({"name": {"zh": "x", "en": "x"}, "channel": {"zh": "y", "en": "y"}, "patterns": ["(("]})


@pytest.mark.parametrize(
    ("question", "lang", "expected"),
    [("增值税起征点是多少", "zh", "12366"), ("How long does a Z visa take?", "en", "12367")],
)
def test_the_step_ends_the_turn_with_the_agency_and_channel(
    referrals: Referrals, question: str, lang: str, expected: str
) -> None:
    ctx = TurnContext(session_id="s", message=question, lang=lang, question=question)
    Referral(referrals, Replies(KNOWLEDGE))(ctx)
    assert ctx.status is Status.REFERRED
    assert expected in ctx.answer and "{" not in ctx.answer
    assert ctx.route == "out_of_scope" and not ctx.citations


def test_a_registration_question_goes_on(referrals: Referrals) -> None:
    ctx = TurnContext(session_id="s", message="个体户可以起字号吗", lang="zh", question="个体户可以起字号吗")
    Referral(referrals, Replies(KNOWLEDGE))(ctx)
    assert ctx.status is None and ctx.answer == ""


def test_the_whole_turn_refers_without_retrieval_or_the_model(make_assistant) -> None:
    from assistant.testing import ScriptedChat

    chat = ScriptedChat(["因此，可以。"])
    r = make_assistant(chat).ask("开奶茶店的增值税税率是多少")
    assert r.status == Status.REFERRED and "12366" in r.answer
    assert not r.citations and not chat.calls
