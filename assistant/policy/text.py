"""Plain-text renderings of the catalogue, search hits and digests, for the terminal (daoban law | search |
digest). The API returns the models themselves; the 法规检索 tab renders HTML."""

from __future__ import annotations

from assistant.policy.models import ArticleView, Digest, LawArticles, LawInfo, SearchResults

MARK_LABEL = {
    "time_limit": "期限",
    "date": "日期",
    "amount": "金额/比例",
    "number": "数量",
    "reference": "引用",
    "definition": "定义",
}
DUTY_LABEL = {"obligation": "义务", "prohibition": "禁止", "permission": "可以"}


def _notice(notice: str) -> str:
    return f"  【{notice}】" if notice else ""


def laws_text(laws: list[LawInfo]) -> str:
    return "\n".join(
        f"{x.law:24s} {x.version:10s} {x.status_label:4s} {x.article_count:4d} 条  {x.title}{_notice(x.notice)}"
        for x in laws
    )


def articles_text(arts: LawArticles) -> str:
    head = arts.law
    lines = [f"《{head.title}》（{head.version}，{head.status_label}）{_notice(head.notice)}"]
    for group in arts.chapters:
        if group.chapter:
            lines.append(f"\n{group.chapter}")
        lines.extend(f"  {a.article}  {a.preview}" for a in group.articles)
    lines.extend(f"\n其他版本：{e.edition}（{e.status_label}）{_notice(e.notice)}" for e in arts.other_editions)
    return "\n".join(lines)


def article_text(view: ArticleView) -> str:
    lines = [
        f"《{view.law}》{view.article}  {view.title}（{view.version}，{view.status_label}）{_notice(view.notice)}",
        view.chapter,
        view.text,
    ]
    if view.service_steps:
        lines.append(
            f"（{view.service_steps} 个办事指南/常见问题以本条为依据：daoban digest {view.law} {view.article}）"
        )
    for other in view.other_editions:
        lines += ["", article_text(other)]
    return "\n".join(x for x in lines if x is not None)


def search_text(res: SearchResults) -> str:
    if not res.hits:
        return "没有找到相关条文。No results."
    out = []
    for h in res.hits:
        where = f"《{h.law}》{h.article}" if h.kind == "law" else f"[{h.kind}] {h.title}：{h.article}"
        tag = "（条号直达）" if h.match == "reference" else ""
        out.append(f"{h.rank}. {where}{tag}{_notice(h.notice)}\n   {h.snippet}\n   id: {h.id}")
    return "\n".join(out)


def digest_text(d: Digest) -> str:
    label = f"《{d.law}》{d.article}" if d.kind == "law" else f"{d.title}：{d.article}"
    lines = [f"政策要点 · {label}（{d.status_label}）{_notice(d.notice)}"]
    if d.summary:
        lines.append(f"\n概要：{d.summary}")
    elif d.summary_status != "not_requested":
        lines.append(f"\n（概要未生成：{d.summary_status} {d.summary_note}）")
    lines.append("\n要点：")
    for p in d.key_points:
        tags = [f"{MARK_LABEL[m.kind]}:{m.text}" for m in p.marks if m.kind in MARK_LABEL]
        tags += [f"{DUTY_LABEL[x.kind]}({x.modal}):{x.actor or '—'}" for x in p.duties]
        tags += [f"定义:{x.term}" for x in p.definitions]
        lines.append(f"  · [{p.ref}] {p.text}" + (f"\n      {'；'.join(tags)}" if tags else ""))
    if d.service_steps:
        lines.append("\n办事指引：")
        lines.extend(f"  → {s.title}：{s.section}  (id: {s.id})" for s in d.service_steps)
    if d.basis:
        lines.append("\n依据条文：")
        lines.extend(f"  → 《{b.law}》{b.article}" + ("" if b.id else "（未收录）") for b in d.basis)
    return "\n".join(lines)
