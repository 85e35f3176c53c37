"""Config files agree with each other and with the code."""

import pytest
import yaml

from assistant.domain import Status
from assistant.prompts import PromptError, load_prompt, parse_prompt
from assistant.settings import PROJECT_ROOT

pytestmark = pytest.mark.unit
KNOWLEDGE = PROJECT_ROOT / "knowledge"
PROMPTS = PROJECT_ROOT / "prompts"


def test_every_status_has_a_reply_in_both_languages() -> None:
    table = yaml.safe_load((KNOWLEDGE / "statuses.yaml").read_text(encoding="utf-8"))
    for status in Status:
        assert status.value in table, status
        assert set(table[status.value]) == {"zh", "en"}
    needs_text = set(Status) - {Status.ANSWERED}
    assert all(table[s.value]["zh"] and table[s.value]["en"] for s in needs_text)


def test_every_prompt_file_parses_and_declares_exactly_what_it_uses() -> None:
    files = sorted(PROMPTS.glob("*.md"))
    assert files
    for f in files:
        tpl = load_prompt(PROMPTS, f.stem)
        assert tpl.used_variables() == set(tpl.variables)


def test_prompt_render_refuses_missing_and_unexpected_variables() -> None:
    tpl = load_prompt(PROMPTS, "answer")
    with pytest.raises(PromptError):
        tpl.render(question="q")
    with pytest.raises(PromptError):
        tpl.render(question="q", basis="b", instruction="", extra="x")
    msgs = tpl.render(question="Q?", basis="[1] P", instruction="")
    assert msgs[0].role == "system" and msgs[-1].role == "user" and "Q?" in msgs[-1].content


def test_prompt_declaring_an_unused_variable_is_rejected() -> None:
    with pytest.raises(PromptError):
        parse_prompt("---\nname: x\nvariables: [a, b]\n---\n## user\n{{a}}\n", "x")


def test_lexicon_and_law_table_are_well_formed() -> None:
    syn = yaml.safe_load((KNOWLEDGE / "lexicon" / "query_synonyms.yaml").read_text(encoding="utf-8"))
    assert all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(t, str) for t in v) for k, v in syn.items()
    )
    laws = yaml.safe_load((KNOWLEDGE / "laws.yaml").read_text(encoding="utf-8"))
    for old, new in laws["superseded"].items():
        assert old != new and "(" in old and "(" in new
