"""Guardrails (安全防护): injection/jailbreak screening, a sensitive-word screen, PII masking."""

from assistant.guardrails.injection import DocumentScreen, InjectionScreen, Verdict, screen_document_text
from assistant.guardrails.pii import Vault, display, mask, restore
from assistant.guardrails.sensitive import SensitiveScreen, WordHit

__all__ = [
    "DocumentScreen",
    "InjectionScreen",
    "SensitiveScreen",
    "Vault",
    "Verdict",
    "WordHit",
    "display",
    "mask",
    "restore",
    "screen_document_text",
]
