"""The Answer step (assistant/pipeline/answer.py): basis first, a checked conclusion, retry, extractive
fallback, refusals and the service-step link, over the sample index with a scripted chat model."""

import pytest

from assistant.domain import ChatMessage, Passage, Status
from assistant.lexical import QueryExpander
from assistant.pipeline.evidence import question_kind, select_evidence, split_sentences
from assistant.settings import PROJECT_ROOT
from assistant.testing import HashEmbedder, ScriptedChat
from tests.conftest import SAMPLE_CHUNKS, add_guide, make_chunk

pytestmark = pytest.mark.unit
Q = "注册资本要一次交齐吗"
GOOD = "因此，不需要一次交齐，五年内缴足即可。"
LENDING = make_chunk(
    "第三十七条",
    "第三十七条 任何单位和个人不得伪造、涂改、出租、出借、转让营业执照。\n"
    "营业执照遗失或者毁坏的，市场主体应当通过国家企业信用信息公示系统声明作废，申请补领。",
    source="市场主体登记管理条例",
)


def test_basis_is_streamed_before_the_model_runs_and_the_conclusion_follows(make_assistant) -> None:
    chat = ScriptedChat([GOOD])
    seen: list[tuple[str, int]] = []
    r = make_assistant(chat).ask(Q, on_token=lambda t: seen.append((t, len(chat.calls))))
    first, calls_then = seen[0]
    assert first.startswith("根据《公司法》第四十七条，") and "五年内缴足" in first and first.endswith("[1]")
    assert calls_then == 0  # on screen before the model was asked
    assert r.status == Status.ANSWERED
    assert r.answer.startswith(first) and GOOD in r.answer
    assert [(c.n, c.source, c.article) for c in r.citations] == [(1, "公司法", "第四十七条")]
    assert "五年内缴足" in r.citations[0].quote


def test_prompt_holds_question_and_one_basis_sentence_and_a_fixed_prefix(make_assistant) -> None:
    chat = ScriptedChat([GOOD, "因此，有限责任公司由一个以上五十个以下股东出资设立。"])
    svc = make_assistant(chat)
    svc.ask(Q)
    svc.ask("有限公司最多可以有多少个股东")
    first, second = chat.calls
    assert first[:-1] == second[:-1]  # system + few-shot prefix identical: llama.cpp reuses its KV cache
    user = first[-1].content
    assert Q in user and "《公司法》第四十七条：" in user and "五年内缴足" in user
    assert "第二十三条" not in user and "二人以上" not in user  # superseded text never reaches the model
    assert len(user) < 160


@pytest.mark.parametrize(
    "draft",
    [
        "因此，三年内缴足即可。",  # invented number
        "因此，应当到银行开立验资账户并由会计师事务所出具验资报告。",  # wording not in the basis
        "因此，注册资本要一次交齐吗？",  # echoes the question
    ],
)
def test_a_failed_conclusion_is_retried_once_then_the_basis_stands_alone(make_assistant, draft: str) -> None:
    chat = ScriptedChat([draft, draft])
    r = make_assistant(chat).ask(Q)
    assert len(chat.calls) == 2
    assert "注意" in chat.calls[1][-1].content and "注意" not in chat.calls[0][-1].content
    assert chat.calls[0][:-1] == chat.calls[1][:-1]
    assert r.status == Status.ANSWERED_EXTRACTIVE
    assert r.answer.startswith("根据《公司法》第四十七条") and "五年内缴足" in r.answer and draft not in r.answer
    assert r.citations[0].article == "第四十七条"


def test_a_retry_that_passes_is_accepted(make_assistant) -> None:
    chat = ScriptedChat(["因此，十年内缴足。", GOOD])
    r = make_assistant(chat).ask(Q)
    assert r.status == Status.ANSWERED and GOOD in r.answer and "十年" not in r.answer


def test_conclusion_contradicting_a_prohibition_is_rejected(make_assistant, sample_index) -> None:
    sample_index.upsert([LENDING], HashEmbedder().embed_passages([LENDING.text]))
    chat = ScriptedChat(["因此，可以出借营业执照。", "因此，可以出借营业执照。"])
    r = make_assistant(chat).ask("营业执照可以出借给朋友吗")
    assert r.status == Status.ANSWERED_EXTRACTIVE
    assert "不得伪造、涂改、出租、出借、转让营业执照" in r.answer and "可以出借" not in r.answer


def test_only_the_first_sentence_of_a_rambling_draft_is_kept(make_assistant) -> None:
    r = make_assistant(ScriptedChat([GOOD + "另外，公司成立之日起五年内缴足。"])).ask(Q)
    assert r.status == Status.ANSWERED and r.answer.count("因此") == 1 and "另外" not in r.answer


def test_model_saying_the_basis_does_not_answer_is_a_refusal(make_assistant) -> None:
    r = make_assistant(ScriptedChat(["无法回答"])).ask(Q)
    assert r.status == Status.NO_ANSWER and not r.citations and "12345" in r.answer


def test_model_failure_keeps_the_basis(make_assistant) -> None:
    r = make_assistant(ScriptedChat(fail=True)).ask(Q)
    assert r.status == Status.MODEL_UNAVAILABLE
    assert "五年内缴足" in r.answer and r.citations[0].article == "第四十七条"


@pytest.mark.parametrize(
    "question",
    [
        "《民营企业注册便利化特别条例》第十二条关于注册资本说了什么",  # a law the catalogue does not hold
        "公司法第九十九条对注册资本怎么规定",  # an article no retrieved passage has
        "深圳市南山区注册公司的注册资本要交多少",  # a place no passage mentions
    ],
)
def test_questions_the_corpus_cannot_answer_are_refused_without_the_model(make_assistant, question: str) -> None:
    chat = ScriptedChat([GOOD])
    r = make_assistant(chat).ask(question)
    assert r.status == Status.NO_ANSWER and not r.citations and not chat.calls


def test_english_turn_names_the_law_in_english_and_asks_for_an_english_conclusion(make_assistant) -> None:
    chat = ScriptedChat(["So, it does not have to be paid at once; the deadline is five years."])
    r = make_assistant(chat).ask("Must the registered capital be paid in full at once?")
    assert r.answer.startswith("Under Article 47 of the Company Law (《公司法》第四十七条): ")
    assert "Write the conclusion in English" in chat.calls[0][-1].content
    assert r.status == Status.ANSWERED and "five years" in r.answer


def test_english_number_the_basis_lacks_is_rejected(make_assistant) -> None:
    chat = ScriptedChat(["So, it must be paid within three years."] * 2)
    r = make_assistant(chat).ask("Must the registered capital be paid in full at once?")
    assert r.status == Status.ANSWERED_EXTRACTIVE and "three years" not in r.answer


def test_a_guide_resting_on_the_article_is_linked(make_assistant, sample_index) -> None:
    add_guide(sample_index, "注册资本要一次交齐吗", "不需要一次缴足，五年内缴足即可。依据：《公司法》第四十七条。")
    r = make_assistant(ScriptedChat([GOOD])).ask(Q)
    assert r.status == Status.ANSWERED
    assert r.answer.endswith("办理指引：常见问题 · 注册资本要一次交齐吗")
    assert [(c.source, c.article) for c in r.citations] == [("公司法", "第四十七条")]  # the article is the basis


# --- evidence selection -----------------------------------------------------------------------------
def test_sentences_split_on_full_stops_semicolons_and_items() -> None:
    text = "第十条 下列事项应当登记：（一）名称；（二）住所。其他事项备案。"
    assert split_sentences(text) == ["下列事项应当登记：", "（一）名称；", "（二）住所。", "其他事项备案。"]


@pytest.mark.parametrize(
    ("question", "kind"), [("股东最多几个", "numeric"), ("能不能不设监事", "yesno"), ("法定代表人由谁担任", "other")]
)
def test_question_kind(question: str, kind: str) -> None:
    assert question_kind(question) == kind


def test_a_how_long_question_gets_the_sentence_with_the_time_limit() -> None:
    expander = QueryExpander(PROJECT_ROOT / "knowledge")
    ev = select_evidence("认缴的出资最晚多少年内要缴足", [Passage(chunk=SAMPLE_CHUNKS[0])], expander)
    assert ev is not None and ev.cited == [1]
    assert ev.sentences[0].text.startswith("全体股东认缴的出资额") and "五年内缴足" in ev.text
    assert len(ev.text) <= 120


def test_guides_alone_give_no_evidence() -> None:
    guide = SAMPLE_CHUNKS[0].model_copy(update={"kind": "guide", "id": "guide:x"})
    assert select_evidence("注册资本", [Passage(chunk=guide)], QueryExpander(PROJECT_ROOT / "knowledge")) is None


def test_chat_messages_are_plain_roles() -> None:  # the prompt file renders system / user / assistant turns
    from assistant.prompts import load_prompt

    msgs = load_prompt(PROJECT_ROOT / "prompts", "answer").render(question="q", basis="b", instruction="")
    assert isinstance(msgs[0], ChatMessage) and msgs[0].role == "system" and msgs[-1].content.endswith("依据：b")


def test_only_real_places_and_people_make_a_question_local(settings) -> None:
    from assistant.pipeline.evidence import place_names, unmatched_names

    known = place_names(settings.data_dir)
    assert known("上海浦东新区") and known("深圳市南山区") and known("成都") and known("香港")
    assert not known("高新区") and not known("沾边")
    passages: list[Passage] = []
    assert unmatched_names("深圳市南山区市场监管局明天几点开门", passages, known)
    assert unmatched_names("张三的公司是不是被列入了经营异常名录", passages, known) == ["张三"]
    # the tagger calls these names; they are not places or people
    assert unmatched_names("公司名字里能带跟赌博沾边的字眼吗", passages, known) == []
    assert unmatched_names("高新区、开发区的名字能单独放进公司名称里吗", passages, known) == []
