"""The answer pipeline's steps, with a scripted chat model over a small in-memory index."""

import pytest

from assistant.domain import Status
from assistant.errors import UserError
from assistant.testing import ScriptedChat
from tests.conftest import add_guide

pytestmark = pytest.mark.unit
Q = "注册资本要一次交齐吗"
GOOD = "不需要一次交齐。全体股东认缴的出资额由股东按照公司章程的规定自公司成立之日起五年内缴足[1]。"


def test_grounded_answer_keeps_model_text_and_cites_the_article(make_assistant) -> None:
    svc = make_assistant(ScriptedChat([GOOD]))
    r = svc.ask(Q)
    assert r.status == Status.ANSWERED
    assert r.answer == GOOD
    assert [(c.source, c.article) for c in r.citations] == [("公司法", "第四十七条")]
    assert "五年内缴足" in r.citations[0].quote


def test_prompt_carries_the_passages_and_the_question(make_assistant) -> None:
    chat = ScriptedChat([GOOD])
    make_assistant(chat).ask(Q)
    user = chat.calls[0][-1].content
    assert "[1]《公司法》第四十七条" in user and Q in user
    assert "第二十三条" not in user  # superseded text is never offered to the model


@pytest.mark.parametrize(
    "draft",
    [
        "不需要，三年内缴足即可[1]。",  # invented number
        "不需要一次交齐，五年内缴足。",  # no citation marker
        "需要在银行开立验资账户并由会计师事务所出具验资报告[1]。",  # wording not in the article
    ],
)
def test_ungrounded_draft_falls_back_to_quoting_the_article(make_assistant, draft: str) -> None:
    r = make_assistant(ScriptedChat([draft])).ask(Q)
    assert r.status == Status.ANSWERED_EXTRACTIVE
    assert "五年内缴足" in r.answer and r.citations[0].article == "第四十七条"


def test_model_failure_still_answers_from_the_article(make_assistant) -> None:
    r = make_assistant(ScriptedChat(fail=True)).ask(Q)
    assert r.status == Status.MODEL_UNAVAILABLE
    assert r.citations and "五年内缴足" in r.answer


def test_model_saying_it_cannot_tell_is_a_refusal(make_assistant) -> None:
    r = make_assistant(ScriptedChat(["根据现有资料无法确定。"])).ask(Q)
    assert r.status == Status.NO_ANSWER and not r.citations


@pytest.mark.parametrize("message", ["", "   ", "？？？", "\x00\x01"])
def test_empty_or_meaningless_input_is_invalid(make_assistant, message: str) -> None:
    chat = ScriptedChat()
    r = make_assistant(chat).ask(message)
    assert r.status == Status.INVALID_INPUT and r.answer and not chat.calls


def test_full_width_english_is_a_question_not_empty_input(make_assistant) -> None:
    chat = ScriptedChat(["Yes [1]"])
    r = make_assistant(chat).ask("Ｈｏｗ ｍａｎｙ ｓｈａｒｅｈｏｌｄｅｒｓ can a limited liability company have")
    assert r.status != Status.INVALID_INPUT and r.answer


def test_oversized_input_is_a_user_error_in_both_languages(make_assistant) -> None:
    with pytest.raises(UserError) as exc:
        make_assistant(ScriptedChat()).ask("公司" * 5000)
    assert "字以内" in exc.value.message("zh") and "limit" in exc.value.message("en")


def test_english_question_gets_an_english_instruction(make_assistant) -> None:
    chat = ScriptedChat(["No. Shareholders pay within 五年 [1]."])
    make_assistant(chat).ask("Must the registered capital be paid in full at once?")
    assert "Answer in English" in chat.calls[0][-1].content


def test_conversation_is_saved_per_session(make_assistant) -> None:
    svc = make_assistant(ScriptedChat([GOOD, GOOD]))
    first = svc.ask(Q)
    second = svc.ask("股东出资期限是多久", session_id=first.session_id)
    assert second.session_id == first.session_id
    msgs = svc.store.messages(first.session_id)
    assert [m["role"] for m in msgs] == ["user", "assistant", "user", "assistant"]
    assert msgs[1]["citations"][0]["article"] == "第四十七条"


def test_citing_a_guide_also_cites_the_articles_it_rests_on(make_assistant, sample_index) -> None:
    add_guide(sample_index, "注册资本要一次交齐吗", "不需要一次缴足，五年内缴足即可。依据：《公司法》第四十七条。")
    chat = ScriptedChat(fn=lambda msgs: "不需要一次交齐，五年内缴足即可[1]。")
    r = make_assistant(chat).ask(Q)
    assert r.status == Status.ANSWERED
    assert {(c.source, c.article) for c in r.citations} >= {
        ("常见问题", "注册资本要一次交齐吗"),
        ("公司法", "第四十七条"),
    }


@pytest.mark.parametrize("message", ["今天天气怎么样", "推荐一部好看的电影", "how do I bake a chocolate cake"])
def test_out_of_scope_questions_get_the_no_answer_reply_without_the_model(make_assistant, message: str) -> None:
    chat = ScriptedChat([GOOD])
    r = make_assistant(chat).ask(message)
    assert r.status == Status.NO_ANSWER and not chat.calls
    assert ("12345" in r.answer) or ("hotline" in r.answer)


def test_scope_terms_cover_colloquial_and_english_questions() -> None:
    from assistant.pipeline.steps import DomainTerms
    from assistant.settings import PROJECT_ROOT

    terms = DomainTerms(PROJECT_ROOT / "knowledge")
    for q in ["个体户怎么办执照", "开个奶茶店要什么手续", "How do I register a company?", "Licence for a café"]:
        assert terms.covers(q), q
    assert not terms.covers("今天天气怎么样")


@pytest.mark.parametrize("marker", ["", "[1]"])
def test_a_draft_copied_from_one_article_is_cited_to_that_article(make_assistant, marker: str) -> None:
    # missing or wrong marker, but the wording is 第四十二条's: the citation is re-pointed there
    draft = f"有限责任公司由一个以上五十个以下股东出资设立{marker}。"
    r = make_assistant(ScriptedChat([draft])).ask("有限责任公司注册资本和股东人数")
    assert r.status == Status.ANSWERED
    assert [c.article for c in r.citations] == ["第四十二条"]


def test_fallback_quotes_the_article_the_draft_leans_on(make_assistant) -> None:
    draft = "有限责任公司由一个以上五十个以下股东出资设立，另外还需要到银行开立基本存款账户[1]。"
    r = make_assistant(ScriptedChat([draft])).ask("有限责任公司注册资本和股东人数")
    assert r.status == Status.ANSWERED_EXTRACTIVE
    assert r.citations[0].article == "第四十二条"


def test_a_terse_answer_is_followed_by_the_rule_itself(make_assistant) -> None:
    r = make_assistant(ScriptedChat(["不需要[1]。"])).ask(Q)
    assert r.status == Status.ANSWERED
    assert r.answer.startswith("不需要[1]。")
    assert "《公司法》第四十七条规定：" in r.answer and "五年内缴足" in r.answer


def test_the_model_sees_at_most_four_passages_and_may_cite_only_those(make_assistant, monkeypatch) -> None:
    from assistant.pipeline import steps

    monkeypatch.setattr(steps, "PROMPT_PASSAGES", 1)
    chat = ScriptedChat(["不需要一次交齐，五年内缴足[2]。"])
    r = make_assistant(chat).ask(Q)
    assert "[2]" not in chat.calls[0][-1].content
    assert r.status == Status.ANSWERED_EXTRACTIVE  # [2] was never shown, so it is not a valid citation
    assert r.citations[0].article == "第四十七条"
