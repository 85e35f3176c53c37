"""Domain types: no I/O, imports nothing else of the project."""

from assistant.domain.types import (
    Answer,
    ChatMessage,
    Chunk,
    Citation,
    Passage,
    Status,
    TurnResult,
)

__all__ = ["Answer", "ChatMessage", "Chunk", "Citation", "Passage", "Status", "TurnResult"]
