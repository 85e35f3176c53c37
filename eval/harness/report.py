"""report.md and report.html (self-contained: inline SVG bars per metric / language / category and a latency
histogram; no scripts, no CDN)."""

from __future__ import annotations

import html
from typing import Any

from eval.harness.runs import RunDir
from eval.harness.tasks.base import ItemResult

MAX_FAILURES = 50


def fmt(metric: str, v: Any) -> str:
    if not isinstance(v, int | float):
        return str(v)
    return f"{v:.0f}" if metric.endswith("_ms") else f"{v:.3f}"


def summary_table(rows: list[tuple[str, dict[str, Any]]]) -> str:
    """Markdown: one line per task with its n, headline metrics and gate."""
    out = ["| task | n | metrics | gate |", "|---|---|---|---|"]
    for name, s in rows:
        if "error" in s:
            out.append(f"| {name} | - | {s['error']} | - |")
            continue
        metrics = ", ".join(f"{k} {fmt(k, v)}" for k, v in s.get("metrics", {}).items())
        fails = s.get("gate", {}).get("failures", [])
        gate = "FAIL: " + "; ".join(fails) if fails else ("pass" if s.get("gate", {}).get("thresholds") else "-")
        out.append(f"| {name} | {s.get('n', 0)} | {metrics} | {gate} |")
    return "\n".join(out)


def markdown(summary: dict[str, Any], results: list[ItemResult]) -> str:
    lines = [f"# eval {summary['task']}", "", summary_table([(summary["task"], summary)]), ""]
    for dim, groups in summary.get("breakdowns", {}).items():
        keys = list(dict.fromkeys(k for f in groups.values() for k in f if k != "n"))  # a group may lack one
        lines += [f"## by {dim}", "", f"| {dim} | n | {' | '.join(keys)} |", "|---" * (len(keys) + 2) + "|"]
        for g, f in groups.items():
            lines.append(f"| {g} | {f.get('n', 0):.0f} | {' | '.join(fmt(k, f.get(k, '')) for k in keys)} |")
        lines.append("")
    if summary.get("skipped_lines"):
        lines += ["## skipped dataset lines", "", *[f"- {e}" for e in summary["skipped_lines"]], ""]
    if "judge" in summary:
        lines += ["## LLM judge (reported apart)", "", f"```\n{summary['judge']}\n```", ""]
    failures = [r for r in results if r.passed is False]
    lines += [f"## failures ({len(failures)})", ""]
    for r in failures[:MAX_FAILURES]:
        lines.append(f"- `{r.id}` [{r.lang}/{r.category}] {r.question[:80]} — {'; '.join(r.reasons)[:200]}")
    return "\n".join(lines) + "\n"


def bars(title: str, values: dict[str, float], scale: float | None = None) -> str:
    """A horizontal bar chart as inline SVG (values 0..1 unless ``scale`` is given)."""
    if not values:
        return ""
    top = scale or max(1.0, *values.values())
    h, w, lw = 22, 560, 170
    parts = [f'<svg width="{w}" height="{h * len(values) + 30}" role="img"><text x="0" y="14" font-weight="bold">'
             f"{html.escape(title)}</text>"]  # fmt: skip
    for i, (k, v) in enumerate(values.items()):
        y = 24 + i * h
        bw = max(0.0, (w - lw - 60) * v / top) if top else 0
        parts.append(
            f'<text x="0" y="{y + 14}" font-size="12">{html.escape(k)}</text>'
            f'<rect x="{lw}" y="{y + 2}" width="{bw:.1f}" height="{h - 6}" fill="#1f6feb"/>'
            f'<text x="{lw + bw + 4:.1f}" y="{y + 14}" font-size="12">{fmt(k, v)}</text>'
        )
    return "".join(parts) + "</svg>"


def histogram(values: list[float], bins: int = 12) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    width = (hi - lo) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / width))] += 1
    labels = {f"{lo + i * width:.0f}–{lo + (i + 1) * width:.0f} ms": float(c) for i, c in enumerate(counts)}
    return bars("latency histogram (items per bin)", labels, scale=float(max(counts)))


def html_report(summary: dict[str, Any], results: list[ItemResult]) -> str:
    esc = html.escape
    metrics = summary.get("metrics", {})
    body = [f"<h1>eval {esc(summary['task'])}</h1>", f"<p>items {summary.get('n', 0)}; gate: "
            f"{esc('; '.join(summary.get('gate', {}).get('failures', [])) or 'ok')}</p>"]  # fmt: skip
    body.append(bars("metrics", {k: v for k, v in metrics.items() if not k.endswith("_ms")}))
    shown = [k for k in metrics if not k.endswith("_ms")][:3] or ["passed"]  # the headline metrics
    for dim, groups in summary.get("breakdowns", {}).items():
        for m in shown:
            body.append(bars(f"{m} by {dim}", {g: f[m] for g, f in groups.items() if m in f}))
    body.append(histogram(summary.get("extra", {}).get("latencies_ms", [])))
    if "confusion" in summary.get("extra", {}):
        m = summary["extra"]["confusion"]
        cols = sorted({c for row in m.values() for c in row})
        body.append("<h2>confusion (rows expected, columns predicted)</h2><table><tr><th></th>")
        body.append("".join(f"<th>{esc(c)}</th>" for c in cols) + "</tr>")
        for k, row in sorted(m.items()):
            body.append(f"<tr><th>{esc(k)}</th>" + "".join(f"<td>{row.get(c, '')}</td>" for c in cols) + "</tr>")
        body.append("</table>")
    failures = [r for r in results if r.passed is False][:MAX_FAILURES]
    body.append(f"<h2>failures ({sum(r.passed is False for r in results)})</h2><table>")
    body.append("<tr><th>id</th><th>question</th><th>expected</th><th>got</th><th>reasons</th></tr>")
    for r in failures:
        cells = (r.id, r.question, str(r.expected), str(r.output)[:300], "; ".join(r.reasons))
        body.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    body.append("</table>")
    style = ("body{font-family:sans-serif;max-width:980px;margin:20px auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ddd;padding:3px 6px;font-size:13px;vertical-align:top}"
             "svg{display:block;margin:12px 0}")  # fmt: skip
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>eval {esc(summary["task"])}</title>'
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>")  # fmt: skip


def write_reports(run: RunDir, summary: dict[str, Any], results: list[ItemResult]) -> None:
    (run.path / "report.md").write_text(markdown(summary, results), encoding="utf-8")
    (run.path / "report.html").write_text(html_report(summary, results), encoding="utf-8")
