"""The CTranslate2 → openai-whisper conversion on a tiny synthetic Whisper, and the derived model's provisioning."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from assistant import provision
from assistant.errors import ModelMissingError
from assistant.speech.convert import read_ct2, to_openai

D, FF, VOCAB, CTX_A, CTX_T = 8, 32, 11, 6, 5  # Whisper's MLP is 4 x d


def _tiny_whisper(layers: int = 2) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    v: dict[str, np.ndarray] = {}

    def lin(name: str, out: int, inp: int) -> None:
        v[f"{name}/weight"] = rng.normal(size=(out, inp)).astype(np.float16)
        v[f"{name}/bias"] = rng.normal(size=(out,)).astype(np.float16)

    def norm(name: str) -> None:
        v[f"{name}/gamma"] = np.ones(D, np.float16)
        v[f"{name}/beta"] = np.zeros(D, np.float16)

    v["encoder/conv1/weight"] = rng.normal(size=(D, 4, 3)).astype(np.float16)
    v["encoder/conv1/bias"] = np.zeros(D, np.float16)
    v["encoder/conv2/weight"] = rng.normal(size=(D, D, 3)).astype(np.float16)
    v["encoder/conv2/bias"] = np.zeros(D, np.float16)
    v["encoder/position_encodings/encodings"] = np.zeros((CTX_A, D), np.float16)
    v["decoder/position_encodings/encodings"] = np.zeros((CTX_T, D), np.float16)
    v["decoder/embeddings/weight"] = rng.normal(size=(VOCAB, D)).astype(np.float16)
    v["encoder/num_heads"] = np.array(2, np.int16)
    v["decoder/num_heads"] = np.array(2, np.int16)
    for part in ("encoder", "decoder"):
        norm(f"{part}/layer_norm")
        for i in range(layers):
            p = f"{part}/layer_{i}"
            lin(f"{p}/self_attention/linear_0", 3 * D, D)
            lin(f"{p}/self_attention/linear_1", D, D)
            norm(f"{p}/self_attention/layer_norm")
            lin(f"{p}/ffn/linear_0", FF, D)
            lin(f"{p}/ffn/linear_1", D, FF)
            norm(f"{p}/ffn/layer_norm")
            if part == "decoder":
                lin(f"{p}/attention/linear_0", D, D)
                lin(f"{p}/attention/linear_1", 2 * D, D)
                lin(f"{p}/attention/linear_2", D, D)
                norm(f"{p}/attention/layer_norm")
    return v


def _write_ct2(path: Path, v: dict[str, np.ndarray]) -> None:
    ids = {np.dtype(np.float32): 0, np.dtype(np.int8): 1, np.dtype(np.int16): 2, np.dtype(np.float16): 4}

    def text(s: str) -> bytes:
        return struct.pack("H", len(s) + 1) + s.encode() + b"\0"

    out = struct.pack("I", 6) + text("WhisperSpec") + struct.pack("I", 3) + struct.pack("I", len(v))
    for name, a in v.items():
        out += text(name) + struct.pack("B", a.ndim) + b"".join(struct.pack("I", d) for d in a.shape)
        out += struct.pack("B", ids[a.dtype]) + struct.pack("I", a.nbytes) + a.tobytes()
    out += struct.pack("I", 1) + text("decoder/projection/weight") + text("decoder/embeddings/weight")
    path.write_bytes(out)


def test_ct2_tensors_map_onto_openai_whisper_names_and_dims(tmp_path: Path) -> None:
    v = _tiny_whisper()
    _write_ct2(tmp_path / "model.bin", v)
    read = read_ct2(tmp_path / "model.bin")
    assert np.array_equal(read["decoder/projection/weight"], v["decoder/embeddings/weight"])  # alias resolved
    dims, sd = to_openai(read)
    assert dims == {
        "n_mels": 4, "n_audio_ctx": CTX_A, "n_audio_state": D, "n_audio_head": 2, "n_audio_layer": 2,
        "n_vocab": VOCAB, "n_text_ctx": CTX_T, "n_text_state": D, "n_text_head": 2, "n_text_layer": 2,
    }  # fmt: skip
    fused = v["encoder/layer_1/self_attention/linear_0/weight"]
    assert np.array_equal(sd["encoder.blocks.1.attn.key.weight"], fused[D : 2 * D])
    assert "encoder.blocks.1.attn.key.bias" not in sd  # openai-whisper's key projection has no bias
    kv = v["decoder/layer_0/attention/linear_1/weight"]
    assert np.array_equal(sd["decoder.blocks.0.cross_attn.value.weight"], kv[D:])
    assert sd["decoder.ln.weight"].shape == (D,) and sd["encoder.ln_post.bias"].shape == (D,)
    # openai-whisper's own model of these dimensions accepts exactly these tensors (strict load)
    torch = pytest.importorskip("torch")
    whisper_model = pytest.importorskip("whisper.model")
    model = whisper_model.Whisper(whisper_model.ModelDimensions(**dims))
    model.load_state_dict({k: torch.from_numpy(np.array(a, np.float32)) for k, a in sd.items()}, strict=True)


def test_a_file_that_is_not_a_whisper_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(struct.pack("I", 6) + struct.pack("H", 8) + b"Bert...\0" + bytes(16))
    with pytest.raises(ValueError, match="not a Whisper model"):
        read_ct2(path)


def test_the_openai_checkpoint_is_derived_and_trusted_through_its_source(tmp_path: Path) -> None:
    spec = provision.CATALOGUE["whisper-base-openai"]
    with pytest.raises(ModelMissingError) as exc:
        provision.model_path(tmp_path, "whisper-base-openai")
    assert "daoban models install whisper-base-openai" in exc.value.message_en
    target = tmp_path / spec.target
    target.write_bytes(b"checkpoint")
    st = target.stat()
    marker = target.with_name(target.name + ".verified.json")
    good = provision.CATALOGUE["whisper-base-ct2"].sha256
    marker.write_text(json.dumps({"sha256": "x", "source_sha256": good, "size": st.st_size, "mtime": st.st_mtime}))
    assert provision.model_path(tmp_path, "whisper-base-openai") == target
    marker.write_text(json.dumps({"sha256": "x", "source_sha256": "0" * 64, "size": st.st_size, "mtime": st.st_mtime}))
    with pytest.raises(ModelMissingError):
        provision.model_path(tmp_path, "whisper-base-openai")  # made from an unverified source: not trusted
