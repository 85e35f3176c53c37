"""The answer pipeline's steps, with a scripted chat model over a small in-memory index."""

import pytest

from assistant.domain import Status
from assistant.errors import UserError
from assistant.testing import ScriptedChat

pytestmark = pytest.mark.unit
Q = "注册资本要一次交齐吗"
GOOD = "不需要一次交齐。全体股东认缴的出资额由股东按照公司章程的规定自公司成立之日起五年内缴足[1]。"


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


def test_conversation_is_saved_per_session(make_assistant) -> None:
    svc = make_assistant(ScriptedChat([GOOD, GOOD]))
    first = svc.ask(Q)
    second = svc.ask("股东出资期限是多久", session_id=first.session_id)
    assert second.session_id == first.session_id
    msgs = svc.store.messages(first.session_id)
    assert [m["role"] for m in msgs] == ["user", "assistant", "user", "assistant"]
    assert msgs[1]["citations"][0]["article"] == "第四十七条"


@pytest.mark.parametrize("message", ["今天天气怎么样", "推荐一部好看的电影", "how do I bake a chocolate cake"])
def test_out_of_scope_questions_get_the_out_of_scope_reply_without_the_model(make_assistant, message: str) -> None:
    chat = ScriptedChat([GOOD])
    r = make_assistant(chat).ask(message)
    assert r.status == Status.OUT_OF_SCOPE and r.route == "out_of_scope" and not chat.calls
    assert ("12345" in r.answer) or ("hotline" in r.answer)


def test_scope_terms_cover_colloquial_and_english_questions() -> None:
    from assistant.pipeline.steps import DomainTerms
    from assistant.settings import PROJECT_ROOT

    terms = DomainTerms(PROJECT_ROOT / "knowledge")
    for q in ["个体户怎么办执照", "开个奶茶店要什么手续", "How do I register a company?", "Licence for a café"]:
        assert terms.covers(q), q
    assert not terms.covers("今天天气怎么样")
