"""Whisper through faster-whisper (CTranslate2, int8 on CPU): the fast engine. Imports faster_whisper lazily."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import UpstreamError
from assistant.speech.audio import SAMPLE_RATE
from assistant.speech.prompt import initial_prompt
from assistant.speech.types import Recognition, Segment

SHORT_CLIP_S = 29.0  # clips up to this long are encoded in one trimmed window


def max_tokens(seconds: float) -> int:
    """A ceiling on the tokens a clip can hold (fast speech is ~6 Chinese characters a second, a few tokens
    each): a decoder caught in a repetition loop stops there instead of filling 448 tokens."""
    return int(12 * seconds) + 16


class FasterWhisperEngine:
    def __init__(
        self,
        model_dir: Path,
        *,
        knowledge_dir: Path,
        name: str = "whisper-base-ct2",
        threads: int = 2,
        beam_size: int = 5,
        compute_type: str = "int8",
        languages: tuple[str, ...] = ("zh", "en"),
        use_prompt: bool = True,
        trim_window: bool = True,
        pad_s: float = 5.0,
        prompt_style: str = "full",
        hotwords: bool = False,
        patience: float = 1.0,
        long_options: dict[str, Any] | None = None,
    ) -> None:
        self.model_dir = model_dir
        self.knowledge_dir = knowledge_dir
        self.name = name
        self.threads = threads
        self.beam_size = beam_size
        self.compute_type = compute_type
        self.languages = languages
        self.use_prompt = use_prompt
        self.trim_window = trim_window
        self.pad_s = pad_s
        self.prompt_style = prompt_style  # full | preamble | terms (prompt.initial_prompt)
        self.hotwords = hotwords  # the domain terms in faster-whisper's hotwords slot, before the prompt
        self.patience = patience
        # extra keyword arguments of faster-whisper's transcribe() for the windowed path (clips over 29 s, or
        # all clips with trim_window False): vad_filter, temperature fallback, hotwords, … (eval/bench_asr.py)
        self.long_options = dict(long_options or {})
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise UpstreamError(
                    "语音识别组件未安装（faster-whisper）。", "Speech recognition (faster-whisper) is not installed."
                ) from exc
            self._model = WhisperModel(
                str(self.model_dir), device="cpu", compute_type=self.compute_type, cpu_threads=self.threads
            )
            missing = [lang for lang in self.languages if lang not in self._model.supported_languages]
            if missing:
                raise UpstreamError(
                    f"语音模型 {self.name} 不支持语言 {', '.join(missing)}（粤语 yue 需要 large-v3 等模型）。",
                    f"Speech model {self.name} has no language token for {', '.join(missing)} "
                    "(Cantonese 'yue' needs large-v3 or similar).",
                )

    def _detect(self, encoded: Any) -> tuple[str, float]:
        """The likeliest allowed language from an encoder output (zh when none is allowed)."""
        probs = self._model.model.detect_language(encoded)[0]  # [("<|zh|>", p), ...]
        allowed = [(tok[2:-2], p) for tok, p in probs if tok[2:-2] in self.languages] or [("zh", 0.0)]
        code, prob = max(allowed, key=lambda cp: cp[1])
        return code, float(prob)

    def _short(self, samples: np.ndarray, lang: str | None) -> Recognition:
        """One clip of at most 30 s: encode only its real length plus ``pad_s`` of silence (less padding lets
        the decoder loop at the cut), once; identify the language on that encoder output and decode from it.
        Whisper pads every window to 30 s: a 4 s question costs the encoder about 3 times less this way."""
        import ctranslate2
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        model = self._model
        padded = np.concatenate([samples, np.zeros(int(self.pad_s * SAMPLE_RATE), np.float32)])
        feats = model.feature_extractor(padded)[:, :3000]
        feats = feats[:, : feats.shape[1] // 2 * 2]
        encoded = model.model.encode(
            ctranslate2.StorageView.from_array(np.ascontiguousarray(feats[None], dtype=np.float32)), to_cpu=False
        )
        prob = 1.0
        if lang is None:
            lang, prob = self._detect(encoded)
        tok = Tokenizer(model.hf_tokenizer, True, task="transcribe", language=lang)
        prompt: list[int] = []
        if self.use_prompt or self.hotwords:  # as faster-whisper's get_prompt: hotwords, then the prompt
            text = initial_prompt(lang, self.knowledge_dir, self.prompt_style) if self.use_prompt else ""
            if self.hotwords:
                text = initial_prompt(lang, self.knowledge_dir, "terms") + " " + text
            prompt = [tok.sot_prev, *tok.encode(" " + text.strip())[-(223):]]
        prompt += [*tok.sot_sequence, tok.no_timestamps]
        result = model.model.generate(
            encoded,
            [prompt],
            beam_size=self.beam_size,
            patience=self.patience,
            max_length=min(448, len(prompt) + max_tokens(len(samples) / SAMPLE_RATE)),  # the prompt counts
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=get_suppressed_tokens(tok, [-1]),
        )[0]
        text = tok.decode(result.sequences_ids[0]).strip() if result.sequences_ids else ""
        duration = round(len(samples) / SAMPLE_RATE, 2)
        return Recognition(
            text=text,
            lang=lang,
            language_probability=prob,
            segments=(Segment(0.0, duration, text),) if text else (),
            no_speech_probability=float(result.no_speech_prob),
        )

    def _long(self, samples: np.ndarray, lang: str | None) -> Recognition:
        """Over 30 s: faster-whisper's own windowing, with the language identified on the first window."""
        prob = 1.0
        if lang is None:
            _, _, probs = self._model.detect_language(samples)
            allowed = [(code, p) for code, p in probs if code in self.languages] or [("zh", 0.0)]
            lang, prob = max(allowed, key=lambda cp: cp[1])
        options: dict[str, Any] = {
            "beam_size": self.beam_size,
            "patience": self.patience,
            "best_of": 1,
            "temperature": 0.0,
            "condition_on_previous_text": False,
            "initial_prompt": initial_prompt(lang, self.knowledge_dir, self.prompt_style) if self.use_prompt else None,
            "hotwords": initial_prompt(lang, self.knowledge_dir, "terms") if self.hotwords else None,
        }
        segments, _ = self._model.transcribe(samples, language=lang, **{**options, **self.long_options})
        found = list(segments)
        return Recognition(
            text="".join(s.text for s in found).strip(),
            lang=lang,
            language_probability=float(prob),
            segments=tuple(Segment(round(s.start, 2), round(s.end, 2), s.text.strip()) for s in found),
            no_speech_probability=min((s.no_speech_prob for s in found), default=1.0),
        )

    def recognize(self, samples: np.ndarray, *, lang: str | None = None) -> Recognition:
        self.warm_up()
        with self._lock:  # one decode at a time: the cores are shared with the chat model
            if self.trim_window and len(samples) <= SHORT_CLIP_S * SAMPLE_RATE:
                return self._short(samples, lang)
            return self._long(samples, lang)
