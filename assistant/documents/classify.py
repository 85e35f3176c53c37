"""Document classification from the recognised text: weighted keywords per type (data in doc_types.yaml)."""

from __future__ import annotations

from assistant.documents.spec import Specs, norm


def scores(text: str, specs: Specs) -> dict[str, float]:
    t = norm(text)
    return {name: sum(w for pat, w in spec.keywords if pat.search(t)) for name, spec in specs.types.items()}


def classify(text: str, specs: Specs) -> str:
    """One of the spec's types, ``other`` (text but no type scores enough) or ``no_document`` (no text)."""
    t = norm(text)
    if sum(1 for c in t if c.isalnum()) < specs.min_text_chars:
        return "no_document"
    by_type = scores(t, specs)
    best = max(by_type, key=lambda k: by_type[k])
    return best if by_type[best] >= specs.min_score else "other"
