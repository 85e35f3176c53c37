"""Multi-turn evaluation (issue 5): each dialog of eval/datasets/dialogs_dev.yaml runs as one session.

Scores the router label of every turn (route accuracy, per label) and, on policy turns, the key facts and citations
with the same rules as the answerable items of answer_eval. Run through `python -m eval.answer_eval --dialogs`.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.domain import Citation
from assistant.settings import PROJECT_ROOT, Settings
from eval.answer_eval import (
    AnswerableItem,
    Corpus,
    Observed,
    Reply,
    Runner,
    finish,
    print_timings,
    save,
    score_answerable,
    spread,
    start,
    status_of,
    timing_figures,
)

DIALOGS = PROJECT_ROOT / "eval" / "datasets" / "dialogs_dev.yaml"
ROUTES = ("policy", "registration", "upload", "handoff", "complaint", "smalltalk", "out_of_scope")
Route = Literal["policy", "registration", "upload", "handoff", "complaint", "smalltalk", "out_of_scope"]
# The route a status implies, for pipelines that report a status but no route label.
STATUS_ROUTE = {
    "answered": "policy",
    "answered_extractive": "policy",
    "model_unavailable": "policy",
    "no_answer": "policy",
    "registration": "registration",
    "document_upload": "upload",
    "handed_off": "handoff",
    "complaint_received": "complaint",
    "smalltalk": "smalltalk",
    "out_of_scope": "out_of_scope",
}
TARGETS = {"route_correct": 0.95, "policy_correct": 0.90, "citation_correct": 0.95}


# --- the dataset --------------------------------------------------------------------------------
class DialogTurn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    q: str
    route: Route
    key_facts: list[list[str]] = []  # policy turns: every group must be present; any string of a group will do
    contradicts: list[str] = []
    cite: list[tuple[str, str]] = []  # policy turns: (short law name, article), at least one must be cited

    @model_validator(mode="after")
    def _facts_on_policy_turns_only(self) -> DialogTurn:
        if (self.route == "policy") != bool(self.key_facts and self.cite):
            raise ValueError(f"{self.q}: policy turns need key_facts and cite; other turns take neither")
        return self


class Dialog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    lang: Literal["zh", "yue", "en"]
    turns: list[DialogTurn] = Field(min_length=2, max_length=4)

    def item(self, n: int) -> AnswerableItem:
        """A policy turn as an answerable item, so that it is scored like one."""
        t = self.turns[n]
        return AnswerableItem(
            q=t.q, lang=self.lang, topic=self.id, key_facts=t.key_facts, contradicts=t.contradicts, cite=t.cite
        )


class DialogSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    dialogs: list[Dialog]

    @model_validator(mode="after")
    def _unique_ids(self) -> DialogSet:
        ids = [d.id for d in self.dialogs]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate dialog ids")
        return self


def load_dialogs(path: Path = DIALOGS) -> DialogSet:
    return DialogSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


# --- scoring ------------------------------------------------------------------------------------
def route_of(r: Reply) -> str:
    """The router's label, or the one its status implies when the pipeline reports none."""
    return r.route or STATUS_ROUTE.get(status_of(r), "")


@dataclass
class DialogRow:
    dialog: str
    turn: int
    q: str
    lang: str
    expected_route: str
    route: str
    status: str
    passed: bool  # route right and, on a policy turn, the answer correct
    fact_ok: bool | None  # policy turns only
    citation_ok: bool | None  # policy turns that were answered
    reasons: list[str]
    first_token_s: float | None
    total_s: float
    answer: str
    citations: list[dict[str, Any]] = field(default_factory=list)
    session_id: str = ""


def score_turn(d: Dialog, n: int, obs: Observed, corpus: Corpus) -> DialogRow:
    t, r = d.turns[n], obs.reply
    got = route_of(r)
    reasons = [] if got == t.route else [f"route {got or 'none'}, expected {t.route}"]
    fact_ok = citation_ok = None
    if t.route == "policy":
        v = score_answerable(d.item(n), r, corpus)
        fact_ok, citation_ok = v.passed, v.citation_ok
        reasons += v.reasons
    passed = got == t.route and fact_ok is not False  # citations are judged apart, as for answerable items
    return DialogRow(
        d.id, n, t.q, d.lang, t.route, got, status_of(r), passed, fact_ok, citation_ok, reasons,
        obs.first_token_s, obs.total_s, r.answer, [c.model_dump() for c in r.citations], r.session_id,
    )  # fmt: skip


def run_dialog(runner: Runner, d: Dialog, corpus: Corpus) -> list[DialogRow]:
    """Every turn in one session: the session id the first reply names is sent with the next turns."""
    rows, sid = [], None
    for n, t in enumerate(d.turns):
        obs = runner.run(t.q, session_id=sid)
        sid = obs.reply.session_id or sid
        rows.append(score_turn(d, n, obs, corpus))
    return rows


def evaluate(runner: Runner, corpus: Corpus, dialogs: Sequence[Dialog], echo: bool = True) -> list[DialogRow]:
    rows: list[DialogRow] = []
    for k, d in enumerate(dialogs, 1):
        got = run_dialog(runner, d, corpus)
        rows += got
        if echo:
            for r in got:
                mark = "ok  " if r.passed else "FAIL"
                head = f"[{k}/{len(dialogs)}] {mark} {d.id[:24]:24s} t{r.turn}"
                print(f"{head} {r.total_s:5.1f}s {r.expected_route:>12s} -> {r.route:12s} {r.q[:40]}", flush=True)
    return rows


def is_dialog_run(saved: Path) -> bool:
    return bool(json.loads(saved.read_text(encoding="utf-8")).get("args", {}).get("dialogs"))


def rescore(saved: Path, data: DialogSet, corpus: Corpus) -> list[DialogRow]:
    """Score the replies of an earlier dialog run again (after editing the dataset) without asking the model."""
    by_id = {d.id: d for d in data.dialogs}
    rows = []
    for r in json.loads(saved.read_text(encoding="utf-8"))["rows"]:
        d = by_id.get(r["dialog"])
        if d is None or r["turn"] >= len(d.turns) or d.turns[r["turn"]].q != r["q"]:
            print(f"not in the dataset any more: {r['dialog']} turn {r['turn']}: {r['q']}")
            continue
        cites = [Citation.model_validate(c) for c in r.get("citations", [])]
        reply = Reply(r["status"], r["answer"], cites, route=r["route"], session_id=r.get("session_id", ""))
        rows.append(score_turn(d, r["turn"], Observed(reply, r["first_token_s"], r["total_s"]), corpus))
    return rows


# --- report -------------------------------------------------------------------------------------
def summary(rows: list[DialogRow]) -> dict[str, Any]:
    policy = [r for r in rows if r.expected_route == "policy"]
    answered = [r for r in policy if r.citation_ok is not None]
    dialogs: dict[str, bool] = {}
    for r in rows:
        dialogs[r.dialog] = dialogs.get(r.dialog, True) and r.passed
    figures: dict[str, Any] = {
        "route_correct": (sum(r.route == r.expected_route for r in rows), len(rows)),
        "policy_correct": (sum(bool(r.fact_ok) for r in policy), len(policy)),
        "citation_correct": (sum(bool(r.citation_ok) for r in answered), len(answered)),
        "turns_passed": (sum(r.passed for r in rows), len(rows)),
        "dialogs_passed": (sum(dialogs.values()), len(dialogs)),
    }
    for route in ROUTES:
        sel = [r for r in rows if r.expected_route == route]
        figures[f"route_{route}"] = (sum(r.route == route for r in sel), len(sel))
    figures["confusions"] = dict(
        Counter(f"{r.expected_route}->{r.route or 'none'}" for r in rows if r.route != r.expected_route)
    )
    figures["statuses"] = dict(Counter(r.status for r in rows))
    first = [r.first_token_s for r in rows if r.first_token_s is not None]
    figures |= timing_figures(first, [r.total_s for r in policy], [r.total_s for r in rows])
    return figures


def _pct(hits: int, total: int) -> str:
    return f"{hits}/{total} = {100 * hits / total:.1f} %" if total else "n/a"


def print_report(rows: list[DialogRow]) -> None:
    f = summary(rows)
    print("\n== figures (dialogs) ==")
    for key in ("route_correct", "policy_correct", "citation_correct"):
        print(f"{key:20s} {_pct(*f[key]):24s} (target >= {100 * TARGETS[key]:.0f} %)")
    print(f"{'turns_passed':20s} {_pct(*f['turns_passed'])}")
    print(f"{'dialogs_passed':20s} {_pct(*f['dialogs_passed'])}")
    for route in ROUTES:
        print(f"  route {route:14s} {_pct(*f[f'route_{route}'])}")
    print(f"confusions           {f['confusions']}")
    print(f"statuses             {f['statuses']}")
    print_timings(f, answers="policy turns")
    failures = [r for r in rows if not r.passed or r.citation_ok is False]
    print(f"\n== failures ({len(failures)}) ==")
    for r in failures:
        head = " ".join(r.answer.split())[:90]
        print(f"- [{r.dialog} t{r.turn}/{r.lang}] {r.q}\n    {r.status}: {'; '.join(r.reasons)}\n    > {head}")


def main(args: argparse.Namespace, settings: Settings) -> None:
    dialogs = spread(load_dialogs(args.dialogs).dialogs, args.limit)
    runner = start(args, settings, len(dialogs), "dialogs")
    rows = evaluate(runner, Corpus.from_settings(settings), dialogs)
    print_report(rows)
    finish(save(rows, settings, args, figures=summary(rows), name="dialog_eval"))
