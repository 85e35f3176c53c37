"""Prompt files (prompts/*.md): YAML front matter declaring variables, then ``## role`` sections.

``render`` fails loudly on a missing variable, an undeclared one, or a declared one the text never uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from assistant.domain import ChatMessage

_VAR = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_SECTION = re.compile(r"^## (system|user|assistant)\s*$", re.MULTILINE)


class PromptError(ValueError):
    pass


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: int
    variables: tuple[str, ...]
    sections: tuple[tuple[str, str], ...]  # (role, text)

    def used_variables(self) -> set[str]:
        return {v for _, text in self.sections for v in _VAR.findall(text)}

    def render(self, **values: str) -> list[ChatMessage]:
        declared = set(self.variables)
        missing = declared - values.keys()
        extra = values.keys() - declared
        if missing or extra:
            raise PromptError(f"prompt {self.name}: missing {sorted(missing)}, unexpected {sorted(extra)}")
        out = []
        for role, text in self.sections:
            rendered = _VAR.sub(lambda m: str(values[m.group(1)]), text).strip()
            out.append(ChatMessage(role=role, content=rendered))  # type: ignore[arg-type]
        return out


def parse_prompt(text: str, name: str) -> PromptTemplate:
    if not text.startswith("---"):
        raise PromptError(f"prompt {name}: missing front matter")
    _, front, body = text.split("---", 2)
    meta = yaml.safe_load(front) or {}
    parts = _SECTION.split(body)
    sections = tuple((parts[i], parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2))
    if not sections:
        raise PromptError(f"prompt {name}: no '## system' / '## user' sections")
    tpl = PromptTemplate(
        name=str(meta.get("name", name)),
        version=int(meta.get("version", 1)),
        variables=tuple(meta.get("variables") or ()),
        sections=sections,
    )
    used = tpl.used_variables()
    if used != set(tpl.variables):
        raise PromptError(f"prompt {name}: declared {sorted(tpl.variables)} but the text uses {sorted(used)}")
    return tpl


@lru_cache(maxsize=64)
def load_prompt(prompts_dir: Path, name: str) -> PromptTemplate:
    path = prompts_dir / f"{name}.md"
    if not path.exists():
        raise PromptError(f"prompt file not found: {path}")
    return parse_prompt(path.read_text(encoding="utf-8"), name)
