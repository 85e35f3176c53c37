"""Sessions and messages (SQLAlchemy; SQLite by default, PostgreSQL by URL)."""

from assistant.store.db import SessionStore

__all__ = ["SessionStore"]
