"""Decode an uploaded recording into 16 kHz mono float32, with limits on size and duration.

WAV / FLAC / OGG go through soundfile (libsndfile); everything else (MP3, M4A/AAC, browser WebM/Opus, and
any file soundfile refuses) through PyAV, which bundles its own FFmpeg. The container is recognised by its
content, not its name; the name only has to be an audio (or audio-in-video) extension.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np

from assistant.errors import UserError

SAMPLE_RATE = 16_000
AUDIO_EXTENSIONS = frozenset(
    {"wav", "wave", "mp3", "m4a", "aac", "mp4", "ogg", "oga", "opus", "webm", "weba", "flac", "amr", "3gp"}
)
VIDEO_EXTENSIONS = frozenset({"mp4", "mov", "mkv", "avi", "webm", "3gp", "flv", "wmv"})
_SOUNDFILE_MAGIC = (b"RIFF", b"fLaC", b"OggS", b"RF64")


class AudioError(UserError):
    """The upload is not a usable recording; the message says why and what to send instead."""

    code = "invalid_audio"


class AudioTooLarge(AudioError):
    code = "audio_too_large"
    http_status = 413


class AudioTooLong(AudioError):
    code = "audio_too_long"
    http_status = 413


class UnsupportedAudio(AudioError):
    code = "unsupported_media_type"
    http_status = 415


@dataclass(frozen=True)
class AudioLimits:
    max_bytes: int = 20 * 1024 * 1024
    max_seconds: float = 120.0


@dataclass(frozen=True)
class DecodedAudio:
    samples: np.ndarray  # float32, mono, 16 kHz, in [-1, 1]
    source_format: str
    source_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE


_FORMATS_ZH = "WAV、MP3、M4A/AAC、OGG/Opus、WebM"
_FORMATS_EN = "WAV, MP3, M4A/AAC, OGG/Opus, WebM"


def check_name(filename: str | None) -> None:
    """Refuse a file whose extension names no audio format (a .pdf, .jpg, .txt sent as a recording)."""
    if not filename:
        return
    ext = PurePath(filename).suffix.lower().lstrip(".")
    if ext and ext not in AUDIO_EXTENSIONS | VIDEO_EXTENSIONS:
        raise UnsupportedAudio(
            f"不支持的文件类型 .{ext}：请上传录音文件（{_FORMATS_ZH}）。",
            f"Unsupported file type .{ext}: please upload a recording ({_FORMATS_EN}).",
            field="file",
        )


def _too_long(seconds: float, limits: AudioLimits) -> AudioTooLong:
    return AudioTooLong(
        f"录音过长（约 {seconds / 60:.0f} 分钟），语音提问最长 {limits.max_seconds:.0f} 秒，请分段说出您的问题。",
        f"The recording is too long (about {seconds / 60:.0f} min); a voice question may last at most "
        f"{limits.max_seconds:.0f} s. Please ask one question at a time.",
        field="file",
    )


def _corrupt() -> AudioError:
    return AudioError(
        f"无法读取这段录音：文件已损坏或不是音频。请重新录音，或上传 {_FORMATS_ZH} 文件。",
        f"This recording cannot be read: the file is damaged or is not audio. Record again or upload {_FORMATS_EN}.",
        field="file",
    )


def decode(data: bytes, *, filename: str | None = None, limits: AudioLimits | None = None) -> DecodedAudio:
    """Bytes of an uploaded recording → 16 kHz mono float32. Raises an :class:`AudioError` with a bilingual
    message for an empty, oversized, over-long, corrupt, video or non-audio file."""
    limits = limits or AudioLimits()
    check_name(filename)
    if not data:
        raise AudioError("录音文件为空，请重新录音。", "The recording is empty; please record again.", field="file")
    if len(data) > limits.max_bytes:
        raise AudioTooLarge(
            f"录音文件过大（{len(data) / 1e6:.1f} MB，上限 {limits.max_bytes / 1e6:.0f} MB）。",
            f"The recording is too large ({len(data) / 1e6:.1f} MB; limit {limits.max_bytes / 1e6:.0f} MB).",
            field="file",
        )
    if data[:4] in _SOUNDFILE_MAGIC:
        decoded = _decode_soundfile(data, limits)
        if decoded is not None:
            return decoded
    return _decode_av(data, limits)


def _decode_soundfile(data: bytes, limits: AudioLimits) -> DecodedAudio | None:
    """WAV / FLAC / OGG Vorbis via libsndfile; None when it cannot read the file (PyAV then tries)."""
    import soundfile as sf

    try:
        info = sf.info(io.BytesIO(data))
        if info.frames > 0 and info.duration > limits.max_seconds:
            raise _too_long(info.duration, limits)
        samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError, ValueError):  # Opus-in-Ogg on old libsndfile, odd WAV codecs
        return None
    mono = samples.mean(axis=1, dtype=np.float32)
    return DecodedAudio(_resample(mono, int(rate)), str(info.format).lower(), int(rate))


def _resample(mono: np.ndarray, rate: int) -> np.ndarray:
    if rate == SAMPLE_RATE or mono.size == 0:
        return np.ascontiguousarray(mono, dtype=np.float32)
    import av

    frame = av.AudioFrame.from_ndarray(mono.reshape(1, -1).astype(np.float32), format="flt", layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    parts = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)


def _is_picture(stream: object) -> bool:
    """An MP3/M4A cover image is a 'video' stream with the attached_pic disposition; it is not a video."""
    import av

    disposition = getattr(stream, "disposition", 0)
    flag = getattr(getattr(av, "stream", None), "Disposition", None)
    attached = getattr(flag, "attached_pic", 0x400) if flag is not None else 0x400
    try:
        return bool(int(disposition) & int(attached))
    except (TypeError, ValueError):
        return False


def _decode_av(data: bytes, limits: AudioLimits) -> DecodedAudio:
    import av

    try:
        container = av.open(io.BytesIO(data), mode="r")
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise _corrupt() from exc
    with container:
        fmt = container.format.name
        video = [s for s in container.streams.video if not _is_picture(s)]
        audio = list(container.streams.audio)
        if video and fmt not in _IMAGE_FORMATS:
            raise UnsupportedAudio(
                "这是一个视频文件：请只上传录音（可在手机上用录音功能说出问题）。",
                "This is a video file: please upload an audio recording of your question only.",
                field="file",
            )
        if not audio:
            raise _corrupt()
        if container.duration and container.duration / 1e6 > limits.max_seconds:
            raise _too_long(container.duration / 1e6, limits)
        stream = audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        parts: list[np.ndarray] = []
        total, cap = 0, int(limits.max_seconds * SAMPLE_RATE) + SAMPLE_RATE // 2
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    part = out.to_ndarray().reshape(-1)
                    parts.append(part)
                    total += part.size
                if total > cap:  # no (or a lying) duration header: stop decoding a 2-hour file early
                    raise _too_long(total / SAMPLE_RATE, limits)
            for out in resampler.resample(None):
                parts.append(out.to_ndarray().reshape(-1))
        except av.FFmpegError as exc:
            if not parts:
                raise _corrupt() from exc
            # a truncated upload: keep what decoded (browsers sometimes cut the last WebM cluster)
        rate = int(stream.codec_context.sample_rate or SAMPLE_RATE)
    if not parts:
        raise _corrupt()
    samples = np.concatenate(parts).astype(np.float32)
    return DecodedAudio(np.clip(samples, -1.0, 1.0), fmt, rate)


_IMAGE_FORMATS = frozenset({"image2", "png_pipe", "jpeg_pipe", "gif", "webp_pipe", "bmp_pipe", "tiff_pipe"})
