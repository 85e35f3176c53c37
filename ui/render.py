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


def render_answer(answer: str, citations: list[Citation]) -> str:
    body = html.escape(answer).replace("\n", "<br>").replace("*", "&#42;")  # 440****1886 is not Markdown
    if not citations:
        return body
    cites = "".join(citation_html(c) for c in citations)
    return f'{body}<div class="db-cites"><div class="db-cites-h">依据 Sources</div>{cites}</div>'


def render_turn(r: TurnResult) -> str:
    return render_answer(r.answer, r.citations)


def render_stored(message: dict) -> str:
    """A stored message (GET /v1/sessions/{id}/messages) as the widget shows it: an answer with its citations,
    or a staff reply under a 人工客服 label."""
    content = str(message.get("content", ""))
    if message.get("role") == "staff":
        body = html.escape(content).replace("\n", "<br>")
        return f'<div class="db-staff-tag">人工客服 · Staff</div><div class="db-staff-msg">{body}</div>'
    return render_answer(content, [Citation.model_validate(c) for c in message.get("citations") or []])
