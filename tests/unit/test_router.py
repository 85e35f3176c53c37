"""The router: knowledge/router.yaml agrees with the statuses, phrase rules decide the hard cases, exemplars decide
the rest only with a margin, and the step ends non-policy turns with the label's status and reply."""

from collections.abc import Sequence

import numpy as np
import pytest
import yaml
from pydantic import ValidationError

from assistant.domain import Status
from assistant.pipeline.context import TurnContext
from assistant.pipeline.router import POLICY, IntentRouter, Router, RouterConfig
from assistant.pipeline.steps import DomainTerms, Replies
from assistant.settings import PROJECT_ROOT
from assistant.testing import ScriptedChat

pytestmark = pytest.mark.unit
KNOWLEDGE = PROJECT_ROOT / "knowledge"
ROUTED = {
    Status.OUT_OF_SCOPE,
    Status.SMALLTALK,
    Status.HANDED_OFF,
    Status.COMPLAINT_RECEIVED,
    Status.REGISTRATION,
    Status.DOCUMENT_UPLOAD,
}


@pytest.fixture(scope="module")
def rules() -> IntentRouter:
    return IntentRouter.load(KNOWLEDGE)  # no embedder: phrase rules and the default only


def raw_config() -> dict:
    return yaml.safe_load((KNOWLEDGE / "router.yaml").read_text(encoding="utf-8"))


# --- the data agrees with the code -------------------------------------------------------------
def test_every_label_has_a_status_with_a_reply_in_both_languages() -> None:
    config = RouterConfig.load(KNOWLEDGE)
    replies = yaml.safe_load((KNOWLEDGE / "statuses.yaml").read_text(encoding="utf-8"))
    statuses = {Status(spec.status) for name, spec in config.labels.items() if name != POLICY}
    assert statuses == ROUTED
    for status in statuses:
        assert replies[status.value]["zh"] and replies[status.value]["en"], status


def test_every_label_has_chinese_and_english_exemplars_and_no_duplicates() -> None:
    config = RouterConfig.load(KNOWLEDGE)
    seen: dict[str, str] = {}
    for name, spec in config.labels.items():
        assert len(spec.exemplars["zh"]) >= 10 and len(spec.exemplars["en"]) >= 5, name
        for text in spec.exemplars["zh"] + spec.exemplars["en"]:
            assert seen.setdefault(text, name) == name, f"{text!r} is an exemplar of {seen[text]} and {name}"


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"labels": {"handoff": {"status": "nope"}}}, "unknown status"),
        ({"labels": {"handoff": {"always": ["(unclosed"]}}}, "bad pattern"),
        ({"labels": {"handoff": {"exemplars": {}}}}, "no exemplars"),
        ({"surprise": 1}, "Extra inputs"),
        ({"default": "nowhere"}, "must be labels"),
    ],
)
def test_a_broken_router_file_fails_loudly(patch: dict, message: str) -> None:
    data = raw_config()
    for key, value in patch.items():
        if key == "labels":
            for label, fields in value.items():
                data["labels"][label].update(fields)
        else:
            data[key] = value
    with pytest.raises(ValidationError, match=message):
        RouterConfig.model_validate(data)


# --- phrase rules: the hard cases, without any model ---------------------------------------------
@pytest.mark.parametrize(
    ("message", "label"),
    [
        ("我要投诉窗口办事慢", "complaint"),
        ("投诉举报的处理时限是多少", "policy"),
        ("我想注册个公司", "registration"),
        ("注册公司需要什么材料", "policy"),
        ("我想注册公司，需要什么材料？", "policy"),
        ("转人工", "handoff"),
        ("我要找真人", "handoff"),
        ("speak to a person", "handoff"),
        ("我想搵人工", "handoff"),
        ("需要人工审核营业执照吗", "policy"),
        ("人工智能公司怎么注册", "policy"),
        ("你好", "smalltalk"),
        ("谢谢！", "smalltalk"),
        ("你是谁", "smalltalk"),
        ("唔該晒", "smalltalk"),
        ("Thanks!", "smalltalk"),
        ("帮我写首诗", "out_of_scope"),
        ("帮我写首诗夸夸我们公司", "out_of_scope"),
        ("今天天气", "out_of_scope"),
        ("how do I bake a chocolate cake", "out_of_scope"),
        ("帮我写一份奶茶店的商业计划书", "out_of_scope"),
        ("刻公章去哪家店最便宜", "out_of_scope"),
        ("Write me a business plan for a tea shop", "out_of_scope"),
        ("帮我写一份公司章程", "policy"),
        ("上传身份证", "upload"),
        ("點樣開公司", "policy"),
        ("你好，请问开公司要多少钱", "policy"),
        ("I want to register a company", "registration"),
        ("What documents do I need to register a company?", "policy"),
        ("搵中介幫我辦營業執照得唔得", "policy"),
        ("我要开发票", "policy"),
        ("歇业之前要先做什么手续", "policy"),
    ],
)
def test_rules_and_default_route_the_hard_cases(rules: IntentRouter, message: str, label: str) -> None:
    assert rules.classify(message).label == label


def test_without_rule_or_domain_term_the_fallback_is_out_of_scope(rules: IntentRouter) -> None:
    route = rules.classify("给我推荐个好吃的地方")
    assert (route.label, route.by) == ("out_of_scope", "default")


def test_intent_by_rules_names_only_non_policy_rule_hits(rules: IntentRouter) -> None:
    assert rules.intent_by_rules("谢谢") == "smalltalk"
    assert rules.intent_by_rules("需要什么材料") is None
    assert rules.intent_by_rules("那个体户呢") is None


# --- exemplars: nearest neighbours, with a margin ------------------------------------------------
AXES = {  # the double's direction per label: complaint and policy lie close to registration
    "registration": [1.0, 0.0, 0.0, 0.0],
    "complaint": [0.96, 0.28, 0.0, 0.0],
    "policy": [0.96, 0.0, 0.28, 0.0],
}


class TableEmbedder:
    """Embedder port double: every exemplar points along its label's axis; other texts as given in ``queries``."""

    name = "table"
    dim = 4

    def __init__(self, labels: dict[str, str], queries: dict[str, Sequence[float]]) -> None:
        other = [0.0, 0.0, 0.0, 1.0]
        self.vectors = {t: self._unit(AXES.get(label, other)) for t, label in labels.items()}
        self.vectors.update({t: self._unit(v) for t, v in queries.items()})

    @staticmethod
    def _unit(v: Sequence[float]) -> np.ndarray:
        a = np.asarray(v, dtype=np.float32)
        return a / np.linalg.norm(a)

    def warm_up(self) -> None:
        return None

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.vectors[t] for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_queries(texts)


def exemplar_router(queries: dict[str, Sequence[float]]) -> IntentRouter:
    config = RouterConfig.load(KNOWLEDGE)
    labels = {t: name for name, spec in config.labels.items() for ts in spec.exemplars.values() for t in ts}
    return IntentRouter(config, DomainTerms(KNOWLEDGE), KNOWLEDGE, TableEmbedder(labels, queries))


def test_a_clear_nearest_label_wins_without_a_rule() -> None:
    route = exemplar_router({"随便说点什么": [1.0, 0.0, 0.0, 0.05]}).classify("随便说点什么")
    assert (route.label, route.by) == ("registration", "exemplar") and route.score > 0.99


def test_a_close_call_between_labels_falls_back_to_the_default() -> None:
    route = exemplar_router({"随便说点什么": [1.0, 0.14, 0.0, 0.0]}).classify("随便说点什么")  # as near complaint
    assert (route.label, route.by) == ("out_of_scope", "default")


def test_too_far_from_every_exemplar_falls_back_to_the_default() -> None:
    route = exemplar_router({"随便说点什么": [1.0, 0.0, 0.0, 1.0]}).classify("随便说点什么")
    assert route.by == "default"


def test_with_domain_terms_an_exemplar_must_beat_policy_by_the_domain_margin() -> None:
    near = [1.0, 0.0, 0.07, 0.0]  # registration first, policy a little behind (within domain_margin)
    router = exemplar_router({"随便这事儿": near, "公司这事儿": near})
    assert router.classify("随便这事儿").label == "registration"
    assert (router.classify("公司这事儿").label, router.classify("公司这事儿").by) == (POLICY, "default")


# --- the pipeline step and the service ---------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "lang", "status", "needle"),
    [
        ("转人工", "zh", Status.HANDED_OFF, "人工"),
        ("I want to file a complaint", "en", Status.COMPLAINT_RECEIVED, "feedback"),
        ("上传身份证", "zh", Status.DOCUMENT_UPLOAD, "上传"),
        ("你好", "zh", Status.SMALLTALK, "导办"),
    ],
)
def test_router_step_stops_with_the_labels_status_and_reply(
    rules: IntentRouter, message: str, lang: str, status: Status, needle: str
) -> None:
    ctx = TurnContext(session_id="s", message=message, lang=lang, question=message)
    Router(rules, Replies(KNOWLEDGE))(ctx)
    assert ctx.status == status and needle in ctx.answer and ctx.route and "route" in ctx.timings_ms


def test_router_step_lets_policy_questions_through(rules: IntentRouter) -> None:
    ctx = TurnContext(session_id="s", message="注册资本要一次交齐吗", question="注册资本要一次交齐吗")
    Router(rules, Replies(KNOWLEDGE))(ctx)
    assert ctx.route == POLICY and not ctx.stopped


@pytest.mark.parametrize(
    ("message", "status", "route"),
    [
        ("我想注册个公司", Status.FORM_FILLING, "registration"),  # issue 6: registration starts form filling
        ("Hello!", Status.SMALLTALK, "smalltalk"),
        ("帮我写首诗", Status.OUT_OF_SCOPE, "out_of_scope"),
    ],
)
def test_routed_turns_never_call_the_model_and_are_saved(make_assistant, message: str, status: Status, route: str):
    chat = ScriptedChat(["不应调用"])
    svc = make_assistant(chat)
    r = svc.ask(message)
    assert (r.status, r.route) == (status, route) and r.answer and not chat.calls and not r.citations
    assert [m["status"] for m in svc.store.messages(r.session_id)] == ["", status.value]


def test_a_policy_question_gets_the_policy_route(make_assistant) -> None:
    r = make_assistant(ScriptedChat(fn=lambda m: "五年内缴足[1]。")).ask("注册资本要一次交齐吗")
    assert r.route == POLICY and r.citations
