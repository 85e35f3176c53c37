"""Ingestion: files (Markdown, text, HTML, PDF, DOCX, CSV, JSONL) → chunks (by article / section / record)
→ embed what changed → one atomic write; idempotent by content hash, bad files reported by name."""
