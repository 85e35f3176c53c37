"""Whisper through openai-whisper (PyTorch, float32 on CPU), on the checkpoint converted from the
faster-whisper folder (``daoban models install whisper-base-openai``). Imports whisper and torch lazily."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import UpstreamError
from assistant.speech.audio import SAMPLE_RATE
from assistant.speech.faster_whisper_engine import SHORT_CLIP_S, max_tokens
from assistant.speech.prompt import initial_prompt
from assistant.speech.types import Recognition, Segment


class OpenAIWhisperEngine:
    def __init__(
        self,
        checkpoint: Path,
        *,
        knowledge_dir: Path,
        name: str = "whisper-base-openai",
        threads: int = 2,
        beam_size: int = 5,
        languages: tuple[str, ...] = ("zh", "en"),
        use_prompt: bool = True,
        trim_window: bool = True,
        pad_s: float = 5.0,
    ) -> None:
        self.checkpoint = checkpoint
        self.knowledge_dir = knowledge_dir
        self.name = name
        self.threads = threads
        self.beam_size = beam_size
        self.languages = languages
        self.use_prompt = use_prompt
        self.trim_window = trim_window
        self.pad_s = pad_s
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            try:
                import torch
                import whisper
            except ImportError as exc:
                raise UpstreamError(
                    "语音识别组件未安装（openai-whisper / torch）。",
                    "Speech recognition (openai-whisper / torch) is not installed; run scripts/setup.sh.",
                ) from exc
            torch.set_num_threads(self.threads)
            self._model = whisper.load_model(str(self.checkpoint), device="cpu")
            self._model.encoder.forward = _trimmed_encoder(self._model.encoder)
            from whisper.tokenizer import LANGUAGES

            missing = [lang for lang in self.languages if lang not in LANGUAGES]
            if missing or ("yue" in self.languages and self._model.num_languages < 100):
                raise UpstreamError(
                    f"语音模型 {self.name} 不支持语言 {', '.join(missing) or 'yue'}。",
                    f"Speech model {self.name} has no language token for {', '.join(missing) or 'yue'}.",
                )

    def _short(self, samples: np.ndarray, lang: str | None) -> Recognition:
        """One clip of at most 30 s, encoded at its real length (see :func:`_trimmed_encoder`), decoded once."""
        import torch
        import whisper

        model = self._model
        padded = np.concatenate([samples, np.zeros(int(self.pad_s * SAMPLE_RATE), np.float32)])
        mel = whisper.log_mel_spectrogram(torch.from_numpy(padded), model.dims.n_mels)[:, :3000]
        mel = mel[:, : mel.shape[1] // 2 * 2]
        encoded = model.encoder(mel.unsqueeze(0))
        # whisper treats an input of shape (n_audio_ctx, n_audio_state) as encoder output: for this call the
        # context is the trimmed length, so language detection and decoding reuse the one encoding.
        full_ctx = model.dims.n_audio_ctx
        model.dims.n_audio_ctx = int(encoded.shape[1])
        try:
            return self._decode_encoded(model, encoded, lang, round(len(samples) / SAMPLE_RATE, 2))
        finally:
            model.dims.n_audio_ctx = full_ctx

    def _decode_encoded(self, model: Any, encoded: Any, lang: str | None, duration: float) -> Recognition:
        import whisper

        prob = 1.0
        if lang is None:
            _, probs = model.detect_language(encoded)
            allowed = {code: p for code, p in probs[0].items() if code in self.languages} or {"zh": 0.0}
            lang = max(allowed, key=lambda code: allowed[code])
            prob = float(allowed[lang])
        options = whisper.DecodingOptions(
            language=lang,
            beam_size=self.beam_size if self.beam_size > 1 else None,
            temperature=0.0,
            fp16=False,
            without_timestamps=True,
            prompt=initial_prompt(lang, self.knowledge_dir) if self.use_prompt else None,
            sample_len=min(224, max_tokens(duration)),
        )
        result = whisper.decode(model, encoded, options)[0]
        text = result.text.strip()
        return Recognition(
            text=text,
            lang=lang,
            language_probability=prob,
            segments=(Segment(0.0, duration, text),) if text else (),
            no_speech_probability=float(result.no_speech_prob),
        )

    def _long(self, samples: np.ndarray, lang: str | None) -> Recognition:
        import whisper

        model = self._model
        prob = 1.0
        if lang is None:
            mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(samples), model.dims.n_mels)
            _, probs = model.detect_language(mel)
            allowed = {code: p for code, p in probs.items() if code in self.languages} or {"zh": 0.0}
            lang = max(allowed, key=lambda code: allowed[code])
            prob = float(allowed[lang])
        result = model.transcribe(
            samples,
            language=lang,
            beam_size=self.beam_size if self.beam_size > 1 else None,
            temperature=0.0,
            fp16=False,
            condition_on_previous_text=False,
            initial_prompt=initial_prompt(lang, self.knowledge_dir) if self.use_prompt else None,
            verbose=None,
        )
        segments = result.get("segments", [])
        return Recognition(
            text=str(result.get("text", "")).strip(),
            lang=lang,
            language_probability=prob,
            segments=tuple(Segment(round(s["start"], 2), round(s["end"], 2), s["text"].strip()) for s in segments),
            no_speech_probability=min((float(s["no_speech_prob"]) for s in segments), default=1.0),
        )

    def recognize(self, samples: np.ndarray, *, lang: str | None = None) -> Recognition:
        self.warm_up()
        import torch

        with self._lock, torch.inference_mode():
            if self.trim_window and len(samples) <= SHORT_CLIP_S * SAMPLE_RATE:
                return self._short(samples, lang)
            return self._long(samples, lang)


def _trimmed_encoder(encoder: Any) -> Callable[[Any], Any]:
    """openai-whisper's AudioEncoder.forward, accepting fewer than 3000 mel frames (the positional embedding is
    cut to the input's length, as whisper.cpp's audio_ctx does). A full 30 s window gives the same result."""
    import torch.nn.functional as F

    def forward(x: Any) -> Any:
        x = F.gelu(encoder.conv1(x))
        x = F.gelu(encoder.conv2(x)).permute(0, 2, 1)
        x = (x + encoder.positional_embedding[: x.shape[1]]).to(x.dtype)
        for block in encoder.blocks:
            x = block(x)
        return encoder.ln_post(x)

    return forward
