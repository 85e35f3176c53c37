"""The eval harness: dataset loading (malformed lines), run folders, resume, gate thresholds, reports, compare."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import Settings
from eval.harness import cli
from eval.harness.compare import compare
from eval.harness.config import Bound, ConfigError, EvalConfig, TaskConfig, load_config
from eval.harness.runner import RunRequest, run_task
from eval.harness.runs import RunDir
from eval.harness.tasks import TASKS, TaskUnavailable, get_task
from eval.harness.tasks.base import ItemResult, RunEnv, Task
from eval.harness.tasks.retrieval import ndcg

APPROVAL_LINE = (
    (Path(__file__).resolve().parents[2] / "eval/datasets/approval/dev_name.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()[0]
)


def test_every_registered_task_loads_or_reports_unavailable() -> None:
    for name in TASKS:
        try:
            task = get_task(name)
        except TaskUnavailable as exc:
            assert name in str(exc)
            continue
        assert isinstance(task, Task) and task.name == name


def test_unknown_task_is_unavailable() -> None:
    with pytest.raises(TaskUnavailable, match="unknown task"):
        get_task("nope")


def test_development_sets_load_without_errors() -> None:
    for name in ("retrieval", "routing", "approval", "answer", "refusal", "injection", "latency"):
        task = get_task(name)
        loaded = task.load(task.default_dataset)
        assert loaded.items and not loaded.errors, name
        assert len({it["id"] for it in loaded.items}) == len(loaded.items), f"{name}: ids not unique"


def test_malformed_lines_are_reported_with_their_line_number(tmp_path: Path) -> None:
    f = tmp_path / "routes.jsonl"
    f.write_text(
        '{"q": "开公司要几个股东", "label": "policy", "lang": "zh"}\n'
        "\n"
        '{"q": "broken", "label": \n'
        '{"q": "转人工", "lang": "zh"}\n'
        "[1, 2]\n"
        '{"q": "我要投诉", "label": "complaint", "lang": "zh", "id": "c1"}\n',
        encoding="utf-8",
    )
    loaded = get_task("routing").load(f)
    assert [it["q"] for it in loaded.items] == ["开公司要几个股东", "我要投诉"]
    assert loaded.items[1]["id"] == "c1"
    assert [e.line for e in loaded.errors] == [3, 4, 5]
    assert "not valid JSON" in loaded.errors[0].message and "label" in loaded.errors[1].message


def test_ndcg_counts_each_expected_article_once() -> None:
    from assistant.domain import Passage
    from tests.conftest import make_chunk

    a, b, c = (Passage(chunk=make_chunk(art, f"{art} 文本")) for art in ("第一条", "第二条", "第三条"))
    assert ndcg([a, b], {("公司法", "第一条")}) == 1.0
    assert ndcg([b, a], {("公司法", "第一条")}) == pytest.approx(1 / 1.585, rel=1e-3)
    assert ndcg([c, a, a], {("公司法", "第一条"), ("公司法", "第二条")}) == pytest.approx(
        (1 / 1.585) / (1 + 1 / 1.585), rel=1e-3
    )


class CountingTask(Task):
    """A real task over a tiny JSONL set: passes items whose q is even; counts the items it ran."""

    name = "counting"
    headline = ("even",)

    def __init__(self) -> None:
        self.ran: list[str] = []

    def prepare(self, env: RunEnv) -> Any:
        return env.options.get("stop")

    def run_item(self, stop: Any, item: dict[str, Any]) -> ItemResult:
        self.ran.append(item["id"])
        if item["q"] == "boom":
            raise ValueError("bad item")
        even = int(item["q"]) % 2 == 0
        if stop is not None and len(self.ran) == 3:
            stop.set()  # interrupt after the third item
        return ItemResult(item["id"], even, {"even": float(even)}, lang="zh" if even else "en", question=item["q"])


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[CountingTask, Path]:
    task = CountingTask()
    monkeypatch.setitem(TASKS, "counting", "x")
    monkeypatch.setattr("eval.harness.runner.get_task", lambda _n: task)
    data = tmp_path / "n.jsonl"
    lines = [json.dumps({"id": f"i{n}", "q": str(n)}) for n in range(6)] + ["{oops", json.dumps({"q": "boom"})]
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return task, data


def test_run_writes_the_folder_and_resumes_without_recomputing(
    counting: tuple[CountingTask, Path], settings: Settings, tmp_path: Path
) -> None:
    task, data = counting
    stop = threading.Event()
    cfg = EvalConfig(tasks={"counting": TaskConfig(options={"stop": stop}, thresholds={"even": Bound(min=0.6)})})
    out = run_task(RunRequest("counting", data), settings, cfg, stop=stop, root=tmp_path / "runs")
    assert task.ran == ["i0", "i1", "i2"] and not out.summary["complete"]
    assert out.run.path.name.startswith("counting-") and out.run.path.name.endswith("Z")
    config = json.loads((out.run.path / "config.json").read_text(encoding="utf-8"))
    assert config["task"] == "counting" and config["git_commit"]
    assert not any("key" in k or "password" in k for k in config["settings"])
    assert [e.line for e in out.skipped] == [7]

    stop.clear()
    cfg.tasks["counting"].options = {}
    with (out.run.path / "items.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"id": "i3", "pass')  # a line cut off by the interruption: that item runs again
    again = run_task(RunRequest("counting", resume=out.run.path), settings, cfg, root=tmp_path / "runs")
    assert task.ran[3:] == ["i3", "i4", "i5", task.ran[-1]]
    s = again.summary
    assert s["complete"] and s["n"] == 7
    assert s["counts"]["passed"] == [3, 7]  # 0 2 4 pass; 1 3 5 and the crashing item fail
    assert s["metrics"]["even"] == pytest.approx(3 / 6)
    assert s["gate"]["failures"] == ["even 0.500 < 0.6"]
    assert s["breakdowns"]["lang"]["zh"]["even"] == 1.0
    crashed = [r for r in RunDir(again.run.path).results() if r.question == "boom"]
    assert crashed[0].passed is False and "ValueError" in crashed[0].reasons[0]
    html = (again.run.path / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "http" not in html.split("<body>")[1]
    assert "| counting | 7 |" in (again.run.path / "report.md").read_text(encoding="utf-8")


def _fake_run(root: Path, name: str, passed: dict[str, bool], metric: float) -> RunDir:
    run = RunDir.create(root, name)
    for i, ok in passed.items():
        run.append(ItemResult(i, ok, question=f"q {i}", reasons=[] if ok else ["wrong"]))
    run.write_summary({"task": name, "metrics": {"accuracy": metric}})
    return run


def test_compare_lists_improved_and_regressed_items(tmp_path: Path) -> None:
    a = _fake_run(tmp_path, "routing", {"x": True, "y": False, "z": True}, 0.66)
    b = _fake_run(tmp_path, "routing", {"x": False, "y": True, "z": True, "w": True}, 0.75)
    c = compare(a, b)
    assert [i["id"] for i in c["improved"]] == ["y"] and [i["id"] for i in c["regressed"]] == ["x"]
    assert c["deltas"]["accuracy"]["delta"] == pytest.approx(0.09) and c["only_b"] == 1
    lines: list[str] = []
    assert cli.main("compare", [str(a.path), str(b.path)], settings=Settings(), echo=lines.append) == 0
    assert "regressed (1)" in lines[0]


def test_bad_input_exits_2_with_a_bilingual_message(tmp_path: Path, settings: Settings) -> None:
    lines: list[str] = []
    assert cli.main("nope", [], settings=settings, echo=lines.append) == 2
    assert "未知任务" in lines[0] and "Unknown task" in lines[0]
    bad = tmp_path / "bad.yaml"
    bad.write_text("tasks: {routing: {thresholds: {accuracy: {least: 1}}}}", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config(bad)
    lines.clear()
    assert cli.main("routing", [], settings=settings, config_path=bad, echo=lines.append) == 2
    assert lines[0].startswith("错误：") and "\nError:" in lines[0]
    lines.clear()
    assert cli.main("compare", ["only-one"], settings=settings, echo=lines.append) == 2


def test_approval_task_on_a_jsonl_file_with_a_bad_line(tmp_path: Path, settings: Settings) -> None:
    f = tmp_path / "approval.jsonl"
    f.write_text(APPROVAL_LINE + '\n{"application": 3}\n', encoding="utf-8")
    out = run_task(RunRequest("approval", f), settings, root=tmp_path / "runs")
    assert out.summary["n"] == 1 and out.summary["metrics"]["rule_recall"] == 1.0
    assert out.summary["skipped_lines"] and out.summary["skipped_lines"][0].startswith("line 2:")


def test_gate_config_names_only_fast_tasks() -> None:
    cfg = load_config(cli.GATE_CONFIG)
    assert cfg.no_model and set(cfg.tasks) <= {"routing", "approval", "retrieval", "injection", "refusal"}
    assert all(t.thresholds for t in cfg.tasks.values())


def test_dashboard_runs_a_task_in_the_background_and_shows_a_failure(settings: Settings, tmp_path: Path) -> None:
    import gradio as gr

    from ui.eval_dashboard import build_eval_tab, failures, item_html, list_runs, start_job

    with gr.Blocks() as page:
        build_eval_tab(settings)
    assert len(page.fns) >= 6  # start, stop, tick, refresh, run, failure

    f = tmp_path / "approval.jsonl"
    wrong = json.loads(APPROVAL_LINE) | {"expect_decision": "block"}
    f.write_text(json.dumps(wrong, ensure_ascii=False) + "\n", encoding="utf-8")
    job = start_job(settings, "approval", str(f), None, True)
    for _ in range(600):
        if job.finished:
            break
        threading.Event().wait(0.1)
    assert job.finished and not job.error and job.done == job.total == 1 and job.failed == 1
    name = Path(job.run).name
    assert list_runs(settings) == [name]
    shown = item_html(failures(settings, name)[0])
    assert "期望 Expected" in shown and "expected block" in shown
    bad = start_job(settings, "nope", "", None, True)
    for _ in range(50):
        if bad.finished:
            break
        threading.Event().wait(0.1)
    assert "unknown task" in bad.line()


def test_thresholds_accept_minimums_and_maximums() -> None:
    cfg = EvalConfig.model_validate({"tasks": {"latency": {"thresholds": {"passed": 0.9, "p95_ms": {"max": 500}}}}})
    bounds = cfg.task("latency").thresholds
    assert bounds["passed"].failure("passed", 0.95) is None
    assert bounds["passed"].failure("passed", 0.5) == "passed 0.500 < 0.9"
    assert bounds["p95_ms"].failure("p95_ms", 700.0) == "p95_ms 700.000 > 500.0"
    assert bounds["p95_ms"].failure("p95_ms", None) == "p95_ms: not measured"


def _judge_items() -> list[ItemResult]:
    cite = {"n": 1, "source": "公司法", "article": "第四十七条", "quote": "五年内缴足"}
    return [
        ItemResult(
            "a", True, question="注册资本要一次交齐吗", output="不用，五年内缴足[1]。", detail={"citations": [cite]}
        )
    ]


def test_judge_grades_through_an_openai_compatible_endpoint(tmp_path: Path) -> None:
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from eval.harness.config import JudgeConfig
    from eval.harness.judge import judge_run

    class Grader(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps({"choices": [{"message": {"content": "faithfulness=5 relevance=4"}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            return None

    server = HTTPServer(("127.0.0.1", 0), Grader)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cfg = JudgeConfig(base_url=f"http://127.0.0.1:{server.server_port}/v1", model="judge")
        out = judge_run(RunDir.create(tmp_path, "answer"), _judge_items(), cfg)
    finally:
        server.shutdown()
    assert out["judged"] == 1 and out["faithfulness_mean"] == 5.0 and out["relevance_mean"] == 4.0


def test_judge_unreachable_is_skipped_cleanly(tmp_path: Path) -> None:
    from eval.harness.config import JudgeConfig
    from eval.harness.judge import judge_run

    cfg = JudgeConfig(base_url="http://127.0.0.1:9/v1", model="judge", timeout_s=2)
    out = judge_run(RunDir.create(tmp_path, "answer"), _judge_items(), cfg)
    assert out["skipped"].startswith("judge unavailable") and out["judged"] == 0
    assert not JudgeConfig().configured


def test_daoban_eval_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from assistant.cli import app
    from assistant.settings import get_settings

    monkeypatch.setenv("DAOBAN_STATE_DIR", str(tmp_path / "state"))
    get_settings.cache_clear()
    f = tmp_path / "approval.jsonl"
    f.write_text(APPROVAL_LINE + "\n", encoding="utf-8")
    cfg = tmp_path / "gate.yaml"
    cfg.write_text("tasks: {approval: {thresholds: {rule_recall: 1.01}}}", encoding="utf-8")
    try:
        runner = CliRunner()
        ok = runner.invoke(app, ["eval", "approval", "--dataset", str(f)])
        assert ok.exit_code == 0 and "| approval | 1 |" in ok.output
        below = runner.invoke(app, ["eval", "approval", "--dataset", str(f), "--config", str(cfg)])
        assert below.exit_code == 1 and "FAIL: rule_recall 1.000 < 1.01" in below.output
        assert runner.invoke(app, ["eval", "nope"]).exit_code == 2
        assert len(list((tmp_path / "state" / "eval" / "runs").glob("approval-*"))) == 2
    finally:
        get_settings.cache_clear()


# ------------------------------------------------------------------ the OCR and ASR development sets and tasks

DATASETS_DIR = Path(__file__).resolve().parents[2] / "eval" / "datasets"


def test_ocr_and_asr_dev_sets_are_committed_with_their_media() -> None:
    ocr, asr = get_task("ocr"), get_task("asr")
    o, a = ocr.load(ocr.default_dataset), asr.load(asr.default_dataset)
    assert not o.errors and not a.errors
    for items, key in ((o.items, "image"), (a.items, "audio")):
        assert len({it["id"] for it in items}) == len(items)
        assert all(Path(it[key]).is_file() for it in items), "a media file named in the set is missing"
    assert len(o.items) >= 30 and {it["doc_type"] for it in o.items} >= {
        "id_front", "id_back", "business_licence", "lease_contract", "property_certificate", "application_form"
    }  # fmt: skip
    variants = {it["variant"] for it in o.items}
    assert "clean" in variants and len(variants) >= 5 and all(it["text"] or not it["fields"] for it in o.items)
    assert all(it["fields"] for it in o.items if it["doc_type"] not in ("other", "no_document"))
    langs = [it["lang"] for it in a.items]
    assert langs.count("zh") >= 30 and langs.count("en") >= 30 and langs.count("yue") >= 3
    assert {Path(it["audio"]).suffix for it in a.items} == {".ogg"}
    size = sum(p.stat().st_size for p in (DATASETS_DIR / "media").rglob("*") if p.is_file())
    assert size < 4.5e6, f"media {size / 1e6:.1f} MB: keep the committed sets small"


def test_make_media_regenerates_the_committed_ocr_set(tmp_path: Path) -> None:
    from eval import make_media

    make_media.build("ocr", tmp_path)
    hint = "the committed OCR set differs from eval/docgen.py: run python -m eval.make_media ocr"
    new = (tmp_path / "ocr_dev.jsonl").read_text(encoding="utf-8")
    assert new == (DATASETS_DIR / "ocr_dev.jsonl").read_text(encoding="utf-8"), hint
    for p in sorted((tmp_path / "media" / "ocr").iterdir()):
        assert p.read_bytes() == (DATASETS_DIR / "media" / "ocr" / p.name).read_bytes(), f"{p.name}: {hint}"


def test_ocr_character_accuracy_aligns_each_printed_line_wherever_it_was_read() -> None:
    from eval.harness.tasks.ocr import char_accuracy

    assert char_accuracy("营业执照\n名称 青禾软件有限公司", "名称青禾软件有限公司\n营业执照") == 1.0
    assert char_accuracy("营业执照", "营业执") == pytest.approx(0.75)
    assert char_accuracy("ＡＢ１２", "AB12") == 1.0  # NFKC
    assert char_accuracy("", "anything") is None


class FakeReader:
    """A document reader double that returns a fixed ReadDocument (the task's scoring is under test)."""

    def __init__(self, doc: Any) -> None:
        self.doc, self.read_bytes = doc, 0

    def read(self, data: bytes) -> Any:
        self.read_bytes += len(data)
        return self.doc


def test_ocr_task_scores_type_fields_text_and_check_digits(tmp_path: Path) -> None:
    from assistant.documents.model import DocField, ReadDocument

    img = tmp_path / "scans" / "id.jpg"
    img.parent.mkdir()
    img.write_bytes(b"\xff\xd8not really a jpeg")
    f = tmp_path / "set.jsonl"
    rows = [
        {"image": "scans/id.jpg", "doc_type": "id_front", "text": "姓名\n张伟", "variant": "blur",
         "fields": {"name": "张伟", "id_number": "110105199001011234"}, "valid_checksum": False},
        {"image": "scans/id.jpg", "doc_type": "business_licence", "variant": "clean"},
        {"image": "scans/id.jpg", "variant": "photo", "fields": {"nope": "x"}},
    ]  # fmt: skip
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    task = get_task("ocr")
    loaded = task.load(f)
    assert not loaded.errors and loaded.items[0]["image"] == str(img.resolve())
    doc = ReadDocument(
        doc_type="id_front",
        text="姓名 张伟",
        fields={
            "name": DocField(value="张 伟", confidence=0.99),
            "id_number": DocField(value="110105199001011234", confidence=0.99, state="needs_check"),
        },
    )
    reader = FakeReader(doc)
    results = [task.run_item(reader, it) for it in loaded.items]
    assert reader.read_bytes == 3 * img.stat().st_size
    first, second, third = results
    assert first.passed and first.scores == {
        "type_accuracy": 1.0, "char_accuracy": 1.0, "field_accuracy": 1.0, "check_digit": 1.0
    }  # fmt: skip
    assert not second.passed and second.scores == {"type_accuracy": 0.0}
    assert second.reasons == ["type id_front, expected business_licence"]
    assert third.scores == {"field_accuracy": 0.0} and "field nope" in third.reasons[0]
    s = task.summarise(results)
    assert s.metrics["type_accuracy"] == 0.5 and s.metrics["field_accuracy"] == 0.5
    assert set(s.breakdowns["condition"]) == {"clean", "degraded", "photo"}
    assert "check_digit" not in s.breakdowns["condition"]["clean"]  # a group without the metric shows none, not 0


def test_asr_task_scores_cantonese_on_what_was_heard(tmp_path: Path) -> None:
    from assistant.speech.types import Transcript

    clip = tmp_path / "q.ogg"
    clip.write_bytes(b"OggS")
    f = tmp_path / "asr.jsonl"
    f.write_text(
        json.dumps({"audio": "q.ogg", "text": "我想开间公司", "lang": "yue", "category": "yue_wording"},
                   ensure_ascii=False) + "\n"
        + json.dumps({"audio": "q.ogg", "text": "Do I need a licence?", "lang": "en"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip

    class FakeTranscriber:
        def __init__(self) -> None:
            self.out = [
                Transcript("我想开一家公司", "我想开间公司", "yue", 2.0),
                Transcript("Do I need a permit", "Do I need a permit", "en", 2.0),
            ]

        def transcribe(self, audio: bytes, *, lang: str | None = None, filename: str | None = None) -> Transcript:
            assert audio == b"OggS" and filename == "q.ogg"
            return self.out.pop(0)

    task = get_task("asr")
    items = task.load(f).items
    fake = FakeTranscriber()
    yue, en = (task.run_item(fake, it) for it in items)
    assert yue.scores["error_rate"] == 0.0 and yue.scores["language_id"] == 1.0 and yue.category == "yue_wording"
    assert yue.output == "我想开间公司" and yue.detail["text"] == "我想开一家公司"
    assert en.scores["error_rate"] == pytest.approx(1 / 5) and en.lang == "en" and 0 < en.scores["rtf"] < 1
