"""ChatModel on any OpenAI-compatible endpoint (vLLM, Ollama, a hosted Qwen / DeepSeek / GLM).

Uses plain HTTP (httpx) so no vendor SDK is needed; base URL, model and key come from settings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import httpx

from assistant.domain import ChatMessage
from assistant.errors import UpstreamError


class OpenAICompatibleChat:
    def __init__(self, base_url: str, model: str, api_key: str = "", *, timeout_s: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = timeout_s

    def warm_up(self) -> None:
        return None

    def _payload(self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float, stream: bool) -> dict:
        return {
            "model": self.name,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": stream,
        }

    def complete(self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float = 0.0) -> str:
        try:
            r = httpx.post(
                f"{self.base_url}/chat/completions",
                json=self._payload(messages, max_tokens, temperature, False),
                headers=self._headers,
                timeout=self._timeout,
            )
            r.raise_for_status()
            return str(r.json()["choices"][0]["message"]["content"] or "")
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise UpstreamError("语言模型服务暂不可用", f"Language model service unavailable: {exc}") from exc

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        try:
            with httpx.stream(
                "POST",
                f"{self.base_url}/chat/completions",
                json=self._payload(messages, max_tokens, temperature, True),
                headers=self._headers,
                timeout=self._timeout,
            ) as r:
                r.raise_for_status()
                for line in r.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    delta = json.loads(data)["choices"][0].get("delta", {}).get("content")
                    if delta:
                        yield delta
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise UpstreamError("语言模型服务暂不可用", f"Language model service unavailable: {exc}") from exc
