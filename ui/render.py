"""Turn a TurnResult into the widget's Markdown/HTML: the answer, then numbered citations that expand."""

from __future__ import annotations

import html

from assistant.domain import Citation, TurnResult


def citation_html(c: Citation) -> str:
    label = html.escape(f"[{c.n}] 《{c.source}》{c.article}")
    meta = html.escape(f"{c.title}" + (f"（{c.version}）" if c.version else ""))
    quote = html.escape(c.quote).replace("\n", "<br>")
    return (
        f'<details class="db-cite"><summary>{label}</summary>'
        f'<div class="db-cite-title">{meta}</div><blockquote>{quote}</blockquote></details>'
    )


def render_turn(r: TurnResult) -> str:
    body = html.escape(r.answer).replace("\n", "<br>")
    if not r.citations:
        return body
    cites = "".join(citation_html(c) for c in r.citations)
    return f'{body}<div class="db-cites"><div class="db-cites-h">依据 Sources</div>{cites}</div>'
