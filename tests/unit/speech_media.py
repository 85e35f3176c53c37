"""Encode test signals into the containers browsers and phones send (PyAV's bundled FFmpeg)."""

from __future__ import annotations

import io

import av
import numpy as np
import soundfile as sf

FORMATS = {  # name: (container format, audio codec, sample rate)
    "mp3": ("mp3", "libmp3lame", 44100),
    "m4a": ("ipod", "aac", 44100),
    "ogg": ("ogg", "libopus", 48000),
    "webm": ("webm", "libopus", 48000),
}


def tone(seconds: float, rate: int = 16000, freq: float = 220.0, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def wav_bytes(samples: np.ndarray, rate: int = 16000, subtype: str = "PCM_16", channels: int = 1) -> bytes:
    data = np.repeat(samples[:, None], channels, axis=1) if channels > 1 else samples
    buf = io.BytesIO()
    sf.write(buf, data, rate, format="WAV", subtype=subtype)
    return buf.getvalue()


def encode(
    samples: np.ndarray, rate: int, fmt: str, *, video: bool = False, channels: int = 1, bit_rate: int = 0
) -> bytes:
    """``samples`` at ``rate`` → bytes of container ``fmt`` (one of FORMATS, or mp4 with a video track)."""
    container_fmt, codec, out_rate = FORMATS.get(fmt, ("mp4", "aac", 44100))
    buf = io.BytesIO()
    with av.open(buf, mode="w", format=container_fmt) as out:
        if video:
            v = out.add_stream("mpeg4", rate=10)
            v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        layout = "stereo" if channels == 2 else "mono"
        out_rate = 16000 if bit_rate and codec == "libmp3lame" else out_rate
        a = out.add_stream(codec, rate=out_rate, layout=layout)
        if bit_rate:
            a.bit_rate = bit_rate
        resampler = av.AudioResampler(format=a.codec_context.format.name, layout=layout, rate=out_rate)
        src = np.repeat(samples[None, :], channels, axis=0) if channels > 1 else samples[None, :]
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(src.reshape(1, -1) if channels > 1 else src, dtype=np.float32),
            format="flt",
            layout=layout,
        )
        frame.sample_rate = rate
        if video:
            for i in range(int(len(samples) / rate * 10)):
                img = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i % 255, np.uint8), format="rgb24")
                for pkt in v.encode(img):
                    out.mux(pkt)
            for pkt in v.encode(None):
                out.mux(pkt)
        for f in [*resampler.resample(frame), *resampler.resample(None)]:
            for pkt in a.encode(f):
                out.mux(pkt)
        for pkt in a.encode(None):
            out.mux(pkt)
    return buf.getvalue()
