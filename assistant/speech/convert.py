"""Convert a faster-whisper (CTranslate2) Whisper folder into an openai-whisper checkpoint.

CTranslate2's ``model.bin`` is a flat list of named tensors (format version 6: name, shape, dtype, bytes;
then aliases). Whisper's tensors map one to one onto openai-whisper's state dict, except that
CTranslate2 fuses query/key/value (self-attention) and key/value (cross-attention) into one matrix each;
they are split here, and the key bias (openai-whisper has none) is dropped. ``whisper.load_model(path)``
then loads the result strictly, so a wrong name or shape fails loudly.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

import numpy as np

_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def read_ct2(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a CTranslate2 ``model.bin`` (aliases resolved), as read-only numpy arrays."""
    buf = path.read_bytes()
    pos = 0

    def take(fmt: str) -> int:
        nonlocal pos
        (value,) = struct.unpack_from(fmt, buf, pos)
        pos += struct.calcsize(fmt)
        return int(value)

    def text() -> str:
        nonlocal pos
        n = take("H")
        s = buf[pos : pos + n - 1].decode("utf-8")
        pos += n
        return s

    version = take("I")
    if version != 6:
        raise ValueError(f"unsupported CTranslate2 binary version {version}")
    spec = text()
    if spec != "WhisperSpec":
        raise ValueError(f"not a Whisper model: {spec}")
    take("I")  # spec revision
    out: dict[str, np.ndarray] = {}
    for _ in range(take("I")):
        name = text()
        shape = tuple(take("I") for _ in range(take("B")))
        dtype = np.dtype(_DTYPES[take("B")])
        nbytes = take("I")
        out[name] = np.frombuffer(buf, dtype, nbytes // dtype.itemsize, pos).reshape(shape)
        pos += nbytes
    for _ in range(take("I")):
        alias, target = text(), text()
        out[alias] = out[target]
    return out


def _linear(sd: dict[str, np.ndarray], dst: str, v: dict[str, np.ndarray], src: str, *, bias: bool = True) -> None:
    sd[f"{dst}.weight"] = v[f"{src}/weight"]
    if bias:
        sd[f"{dst}.bias"] = v[f"{src}/bias"]


def _norm(sd: dict[str, np.ndarray], dst: str, v: dict[str, np.ndarray], src: str) -> None:
    sd[f"{dst}.weight"] = v[f"{src}/gamma"]
    sd[f"{dst}.bias"] = v[f"{src}/beta"]


def _split(sd: dict[str, np.ndarray], dst: str, names: tuple[str, ...], v: dict[str, np.ndarray], src: str) -> None:
    """A fused projection → one linear per name; 'key' has no bias in openai-whisper."""
    weights = np.split(v[f"{src}/weight"], len(names))
    biases = np.split(v[f"{src}/bias"], len(names))
    for name, w, b in zip(names, weights, biases, strict=True):
        sd[f"{dst}.{name}.weight"] = w
        if name != "key":
            sd[f"{dst}.{name}.bias"] = b


def _block(sd: dict[str, np.ndarray], dst: str, v: dict[str, np.ndarray], src: str, *, cross: bool) -> None:
    _split(sd, f"{dst}.attn", ("query", "key", "value"), v, f"{src}/self_attention/linear_0")
    _linear(sd, f"{dst}.attn.out", v, f"{src}/self_attention/linear_1")
    _norm(sd, f"{dst}.attn_ln", v, f"{src}/self_attention/layer_norm")
    if cross:
        _linear(sd, f"{dst}.cross_attn.query", v, f"{src}/attention/linear_0")
        _split(sd, f"{dst}.cross_attn", ("key", "value"), v, f"{src}/attention/linear_1")
        _linear(sd, f"{dst}.cross_attn.out", v, f"{src}/attention/linear_2")
        _norm(sd, f"{dst}.cross_attn_ln", v, f"{src}/attention/layer_norm")
    _linear(sd, f"{dst}.mlp.0", v, f"{src}/ffn/linear_0")
    _linear(sd, f"{dst}.mlp.2", v, f"{src}/ffn/linear_1")
    _norm(sd, f"{dst}.mlp_ln", v, f"{src}/ffn/layer_norm")


def _layers(v: dict[str, np.ndarray], part: str) -> int:
    return len({k.split("/")[1] for k in v if re.match(rf"{part}/layer_\d+/", k)})


def to_openai(v: dict[str, np.ndarray]) -> tuple[dict[str, int], dict[str, np.ndarray]]:
    """(dims, state dict) of the openai-whisper model equivalent to the CTranslate2 tensors ``v``."""
    sd: dict[str, np.ndarray] = {}
    for conv in ("conv1", "conv2"):
        _linear(sd, f"encoder.{conv}", v, f"encoder/{conv}")
    sd["encoder.positional_embedding"] = v["encoder/position_encodings/encodings"]
    n_audio, n_text = _layers(v, "encoder"), _layers(v, "decoder")
    for i in range(n_audio):
        _block(sd, f"encoder.blocks.{i}", v, f"encoder/layer_{i}", cross=False)
    _norm(sd, "encoder.ln_post", v, "encoder/layer_norm")
    sd["decoder.token_embedding.weight"] = v["decoder/embeddings/weight"]
    sd["decoder.positional_embedding"] = v["decoder/position_encodings/encodings"]
    for i in range(n_text):
        _block(sd, f"decoder.blocks.{i}", v, f"decoder/layer_{i}", cross=True)
    _norm(sd, "decoder.ln", v, "decoder/layer_norm")
    embed = v["decoder/embeddings/weight"]
    dims = {
        "n_mels": int(v["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(v["encoder/conv1/weight"].shape[0]),
        "n_audio_head": int(v["encoder/num_heads"]),
        "n_audio_layer": n_audio,
        "n_vocab": int(embed.shape[0]),
        "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(embed.shape[1]),
        "n_text_head": int(v["decoder/num_heads"]),
        "n_text_layer": n_text,
    }
    return dims, sd


def convert(ct2_dir: Path, target: Path) -> Path:
    """Write ``target`` (an openai-whisper ``.pt`` checkpoint) from the faster-whisper folder ``ct2_dir``."""
    import torch

    dims, sd = to_openai(read_ct2(ct2_dir / "model.bin"))
    state: dict[str, Any] = {k: torch.from_numpy(np.array(a, dtype=np.float16)) for k, a in sd.items()}
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    torch.save({"dims": dims, "model_state_dict": state}, partial)
    partial.replace(target)
    return target
