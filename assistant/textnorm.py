"""Normalise what applicants type before search: traditional → simplified script (OpenCC), written
Cantonese → standard written Chinese (knowledge/lexicon/cantonese.yaml). The original text is kept for the
answer; only the search text is normalised."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=4)
def _cantonese(knowledge_dir: Path) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    path = knowledge_dir / "lexicon" / "cantonese.yaml"
    table = {str(k): str(v) for k, v in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items()}
    if not table:
        return None, {}
    keys = sorted(table, key=len, reverse=True)
    return re.compile("|".join(re.escape(k) for k in keys)), table


def to_simplified(text: str) -> str:
    with _lock:  # OpenCC converters are not documented as thread-safe
        return str(_t2s().convert(text))


def normalise_for_search(text: str, knowledge_dir: Path) -> str:
    simplified = to_simplified(text)
    pattern, table = _cantonese(knowledge_dir)
    return pattern.sub(lambda m: table[m.group(0)], simplified) if pattern else simplified
