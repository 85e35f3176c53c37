"""Ingestion: load → clean → chunk (by article / heading) → embed → write; idempotent by content hash."""
