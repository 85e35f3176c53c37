"""Staff law browser, search and policy digests (一键获取政策要点) over the knowledge base."""

from assistant.policy.catalogue import LawCatalogue, LawLookupError
from assistant.policy.knowledge_base import KnowledgeBase, knowledge_for

__all__ = ["KnowledgeBase", "LawCatalogue", "LawLookupError", "knowledge_for"]
