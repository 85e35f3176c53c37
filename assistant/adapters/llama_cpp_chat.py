"""ChatModel on a local GGUF file through llama-cpp-python (CPU)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.domain import ChatMessage
from assistant.errors import ModelMissingError, UpstreamError


class LlamaCppChat:
    def __init__(self, model_path: Path, *, threads: int = 2, context: int = 4096, name: str = "") -> None:
        self.model_path = Path(model_path)
        self.threads = threads
        self.context = context
        self.name = name or self.model_path.stem
        self._llm: Any = None
        self._lock = threading.Lock()  # llama.cpp contexts are not thread-safe

    def warm_up(self) -> None:
        if self._llm is not None:
            return
        try:
            from llama_cpp import Llama
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelMissingError(
                "未安装 llama-cpp-python，请运行 scripts/setup.sh",
                "llama-cpp-python is not installed; run scripts/setup.sh",
            ) from exc
        if not self.model_path.exists():
            raise ModelMissingError(f"模型文件不存在：{self.model_path}", f"Model file missing: {self.model_path}")
        self._llm = Llama(
            model_path=str(self.model_path),
            n_ctx=self.context,
            n_threads=self.threads,
            n_threads_batch=self.threads,
            n_batch=256,
            verbose=False,
        )

    def _messages(self, messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
        return [{"role": m.role, "content": m.content} for m in messages]

    def prime(self, messages: Sequence[ChatMessage]) -> None:
        """Evaluate ``messages`` once so the KV cache holds their prefix: llama-cpp-python reuses the longest
        common prefix of the next prompt, so a fixed system + few-shot part is paid for at start-up only."""
        for _ in self.stream(messages, max_tokens=1):
            pass

    def complete(self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float = 0.0) -> str:
        return "".join(self.stream(messages, max_tokens=max_tokens, temperature=temperature))

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        self.warm_up()
        with self._lock:
            try:
                chunks = self._llm.create_chat_completion(
                    messages=self._messages(messages),
                    max_tokens=max_tokens,
                    temperature=temperature,
                    top_p=1.0,
                    repeat_penalty=1.05,
                    seed=0,
                    stream=True,
                )
                for chunk in chunks:
                    delta = chunk["choices"][0].get("delta", {}).get("content")
                    if delta:
                        yield delta
            except ValueError as exc:  # e.g. prompt longer than the context window
                raise UpstreamError("模型无法处理该请求", f"The model could not process the request: {exc}") from exc
