"""Initial prompts for Whisper: domain vocabulary (注册资本, 经营范围, 个体工商户 …) from
knowledge/lexicon/asr_vocabulary.txt, in Simplified script so Chinese output stays Simplified."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=4)
def initial_prompts(knowledge_dir: Path) -> dict[str, str]:
    """{'zh': Chinese prompt, 'en': English prompt}."""
    zh: list[str] = []
    en: list[str] = []
    path = knowledge_dir / "lexicon" / "asr_vocabulary.txt"
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("en:"):
            en.append(line[3:].strip())
        else:
            zh.append(line)
    return {
        "zh": "以下是关于企业登记的普通话提问，用简体中文书写：" + "、".join(zh) + "。",
        "en": "Questions about registering a business in China: " + ", ".join(en) + ".",
    }


@lru_cache(maxsize=4)
def _prompt_terms(knowledge_dir: Path) -> tuple[str, ...]:
    text = initial_prompts(knowledge_dir)["zh"]
    return tuple(text.split("：", 1)[1].rstrip("。").split("、"))


def echoes_prompt(text: str, knowledge_dir: Path) -> bool:
    """Whisper, given audio it cannot make out, may copy its prompt: prompt terms with next to nothing else,
    a long 、-list of them, or the prompt's opening words is an echo, not a question."""
    found = [term for term in _prompt_terms(knowledge_dir) if term in text]
    rest = text
    for term in sorted(found, key=len, reverse=True):
        rest = rest.replace(term, "")
    rest = re.sub(r"[^\u4e00-\u9fff]", "", rest)  # what is left besides prompt terms and punctuation
    lists = text.count("、")
    return text.lstrip().startswith("以下是") or (len(found) >= 2 and (lists >= 4 or len(rest) <= 2))


PROMPT_STYLES = ("full", "preamble", "terms")


def initial_prompt(lang: str, knowledge_dir: Path, style: str = "full") -> str:
    """``style``: full (a preamble sentence and the domain terms), preamble (the sentence only: keeps the
    script and punctuation, no vocabulary) or terms (the vocabulary only, as faster-whisper's hotwords)."""
    prompts = initial_prompts(knowledge_dir)
    text = prompts["en"] if lang == "en" else prompts["zh"]
    head, _, terms = text.partition(":" if lang == "en" else "：")
    if style == "preamble":
        return head + ("." if lang == "en" else "。")
    if style == "terms":
        return terms.strip().rstrip("。.")
    if style != "full":
        raise ValueError(f"unknown prompt style {style!r}; one of {PROMPT_STYLES}")
    return text
