"""Form specs per entity type (knowledge/forms/<主体类型>.yaml): the fields asked in conversation, their types,
required-ness, the question to ask and why it is needed, in Chinese and English. Validated on load."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

ENTITY_TYPES = ("有限责任公司", "个体工商户", "个人独资企业")
FieldType = Literal[
    "entity_type",
    "scope",
    "industry_code",
    "address",
    "name",
    "amount_wan",
    "people",
    "person_name",
    "role",
    "id_number",
    "phone",
    "period",
    "composition",
]


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang.startswith("en") else self.zh


class Validation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    gt: float | None = None
    max: float | None = None


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    label: Text
    type: FieldType
    required: bool = True
    derived: bool = False  # filled from other fields (industry_code from the scope); asked only if that fails
    default: str | None = None
    min_items: int = 0
    max_items: int = 50
    validate_: Validation | None = Field(default=None, alias="validate")
    ask: Text
    why: Text


class FormSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    entity_type: str
    fields: list[FieldSpec]

    def field(self, key: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.key == key), None)

    @property
    def keys(self) -> list[str]:
        return [f.key for f in self.fields]


@lru_cache(maxsize=8)
def load_spec(knowledge_dir: Path, entity_type: str) -> FormSpec:
    if entity_type not in ENTITY_TYPES:
        raise ValueError(f"no form spec for {entity_type!r}")
    path = Path(knowledge_dir) / "forms" / f"{entity_type}.yaml"
    spec = FormSpec.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    if spec.entity_type != entity_type or len(set(spec.keys)) != len(spec.keys):
        raise ValueError(f"{path}: entity_type mismatch or duplicate keys")
    return spec


@lru_cache(maxsize=2)
def english_activities(knowledge_dir: Path) -> tuple[tuple[str, str], ...]:
    data = yaml.safe_load((Path(knowledge_dir) / "forms" / "activities_en.yaml").read_text(encoding="utf-8"))
    return tuple((str(k), str(v)) for k, v in (data or {}).items())
