"""Decoding uploads into 16 kHz mono float32, and the clear errors for files that are not a usable recording."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.errors import UserError
from assistant.speech.audio import (
    SAMPLE_RATE,
    AudioError,
    AudioLimits,
    AudioTooLarge,
    AudioTooLong,
    UnsupportedAudio,
    decode,
)
from tests.unit.speech_media import FORMATS, encode, tone, wav_bytes


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_browser_and_phone_formats_decode_to_16k_mono(fmt: str) -> None:
    audio = decode(encode(tone(2.0, 22050), 22050, fmt), filename=f"question.{fmt}")
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert audio.duration_s == pytest.approx(2.0, abs=0.1)  # codec priming may add a few ms
    # the 220 Hz tone survives resampling: its level stays near 0.3 (RMS 0.21)
    assert float(np.sqrt(np.mean(audio.samples**2))) == pytest.approx(0.3 / np.sqrt(2), rel=0.15)


def test_wav_stereo_44k_float_is_mixed_down_and_resampled() -> None:
    audio = decode(wav_bytes(tone(1.5, 44100), 44100, subtype="FLOAT", channels=2), filename="a.wav")
    assert audio.source_rate == 44100 and audio.duration_s == pytest.approx(1.5, abs=0.01)
    assert len(audio.samples) == pytest.approx(1.5 * SAMPLE_RATE, abs=2)


def test_content_decides_the_format_not_the_name() -> None:
    """An MP3 saved as .wav (phones do this) is still read."""
    audio = decode(encode(tone(1.0, 16000), 16000, "mp3"), filename="recording.wav")
    assert audio.source_format == "mp3" and audio.duration_s == pytest.approx(1.0, abs=0.1)


def test_empty_and_corrupt_files_get_a_bilingual_message() -> None:
    with pytest.raises(AudioError) as empty:
        decode(b"", filename="a.wav")
    assert "为空" in empty.value.message_zh and "empty" in empty.value.message_en
    for junk in (b"RIFF\x00\x00garbage" * 10, bytes(range(256)) * 40, b"%PDF-1.7\n" + bytes(5000)):
        with pytest.raises(AudioError) as bad:
            decode(junk, filename="a.wav")
        assert bad.value.code == "invalid_audio" and "损坏" in bad.value.message_zh
        assert "damaged" in bad.value.message_en and bad.value.http_status == 422


def test_a_truncated_browser_upload_keeps_what_decoded() -> None:
    data = encode(tone(3.0, 48000), 48000, "webm")
    audio = decode(data[: len(data) * 2 // 3], filename="a.webm")
    assert 1.0 < audio.duration_s < 3.0


def test_a_video_is_refused() -> None:
    with pytest.raises(UnsupportedAudio) as exc:
        decode(encode(tone(1.0, 44100), 44100, "mp4", video=True), filename="clip.mp4")
    assert exc.value.http_status == 415 and "视频" in exc.value.message_zh and "video" in exc.value.message_en


@pytest.mark.parametrize("name", ["scan.pdf", "photo.JPG", "notes.txt", "setup.exe"])
def test_a_non_audio_extension_is_refused_before_decoding(name: str) -> None:
    with pytest.raises(UnsupportedAudio) as exc:
        decode(wav_bytes(tone(1.0)), filename=name)
    assert "WAV" in exc.value.message_zh and exc.value.field == "file"


def test_size_limit() -> None:
    with pytest.raises(AudioTooLarge) as exc:
        decode(wav_bytes(tone(2.0)), limits=AudioLimits(max_bytes=10_000))
    assert exc.value.http_status == 413 and "MB" in exc.value.message_en


@pytest.mark.parametrize("fmt", ["wav", "webm"])
def test_a_recording_over_the_duration_limit_is_refused(fmt: str) -> None:
    """A WAV header states its length; a browser WebM often has none, so decoding stops at the limit."""
    long = tone(8.0, 16000, level=0.05)
    data = wav_bytes(long) if fmt == "wav" else encode(long, 16000, "webm")
    with pytest.raises(AudioTooLong) as exc:
        decode(data, filename=f"a.{fmt}", limits=AudioLimits(max_seconds=5))
    assert "5 秒" in exc.value.message_zh and "at most 5 s" in exc.value.message_en
    assert isinstance(exc.value, UserError)


def test_a_two_hour_recording_is_refused_from_its_header() -> None:
    """Two hours of 16 kbit/s MP3 (14 MB, under the size limit): refused by the stated length, without decoding."""
    import time

    ten_seconds = encode(np.zeros(16000 * 10, np.float32), 16000, "mp3", bit_rate=16000)
    two_hours = ten_seconds * 720
    assert len(two_hours) < AudioLimits().max_bytes
    t0 = time.perf_counter()
    with pytest.raises(AudioTooLong) as exc:
        decode(two_hours, filename="meeting.mp3")
    assert "120 秒" in exc.value.message_zh and "at most 120 s" in exc.value.message_en
    assert time.perf_counter() - t0 < 5  # generous; it is milliseconds: nothing was decoded
