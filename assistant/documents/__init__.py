"""Uploaded documents (证件与材料识别): OCR, classification, key-value extraction and form proposals."""

from assistant.documents.model import DocField, DocumentError, DocumentTooLarge, Proposal, ReadDocument
from assistant.documents.proposals import facts_of, proposals_for
from assistant.documents.reader import DocumentReader

__all__ = [
    "DocField",
    "DocumentError",
    "DocumentReader",
    "DocumentTooLarge",
    "Proposal",
    "ReadDocument",
    "facts_of",
    "proposals_for",
]
