"""The eval config file (YAML): defaults, per-task dataset / limit / options / thresholds, and the optional judge.

no_model: true              # defaults for every task (the CLI flags override them)
server: null
tasks:
  retrieval:
    dataset: eval/datasets/retrieval_dev.yaml
    limit: 40
    options: {k: 5}
    thresholds: {recall@5: 0.75, mrr@10: {min: 0.5}, p95_ms: {max: 400}}
judge:                      # optional LLM judge (OpenAI-compatible); skipped when not configured
  base_url: http://127.0.0.1:8080/v1
  model: qwen2.5-7b-instruct
  api_key_env: DAOBAN_JUDGE_API_KEY
  tasks: [answer]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.errors import UserError
from assistant.settings import PROJECT_ROOT


class Bound(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min: float | None = None
    max: float | None = None

    def failure(self, metric: str, value: float | None) -> str | None:
        if value is None:
            return f"{metric}: not measured"
        if self.min is not None and value < self.min:
            return f"{metric} {value:.3f} < {self.min}"
        if self.max is not None and value > self.max:
            return f"{metric} {value:.3f} > {self.max}"
        return None


class TaskConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dataset: Path | None = None
    limit: int | None = Field(default=None, ge=1)
    no_model: bool | None = None
    options: dict[str, Any] = {}
    thresholds: dict[str, Bound] = {}

    @field_validator("thresholds", mode="before")
    @classmethod
    def _numbers_are_minimums(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {k: {"min": b} if isinstance(b, int | float) else b for k, b in v.items()}
        return v


class JudgeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    base_url: str = ""
    model: str = ""
    api_key_env: str = "DAOBAN_JUDGE_API_KEY"  # the key is read from this variable, never from the file
    tasks: list[str] = ["answer"]
    limit: int | None = Field(default=None, ge=1)
    timeout_s: float = 60.0

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.model)


class EvalConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    no_model: bool = False
    server: str | None = None
    tasks: dict[str, TaskConfig] = {}
    judge: JudgeConfig = JudgeConfig()

    def task(self, name: str) -> TaskConfig:
        return self.tasks.get(name, TaskConfig())


class ConfigError(UserError):
    code = "eval_config"


def resolve(path: Path) -> Path:
    """Relative dataset paths are read from the project root (where the dev sets live), else as given."""
    return path if path.is_absolute() or path.exists() else PROJECT_ROOT / path


def load_config(path: Path | None) -> EvalConfig:
    if path is None:
        return EvalConfig()
    try:
        data = yaml.safe_load(resolve(path).read_text(encoding="utf-8")) or {}
        return EvalConfig.model_validate(data)
    except OSError as exc:
        raise ConfigError(f"读不到评测配置 {path}", f"Cannot read the eval config {path}: {exc.strerror}") from exc
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"评测配置 {path} 格式有误", f"The eval config {path} is invalid: {exc}") from exc
