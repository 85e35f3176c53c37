"""Shared fixtures. Tiers: unit (default, fast), integration (real models and stores), browser."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from assistant.domain import Chunk
from assistant.service import Assistant, build_assistant
from assistant.settings import PROJECT_ROOT, Settings
from assistant.store import SessionStore
from assistant.testing import HashEmbedder, InMemoryIndex, ScriptedChat
from ingestion.laws import content_hash
from ingestion.pipeline import ingest_default

DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests may talk to this machine only: any connection elsewhere fails loudly."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else str(address)
        if isinstance(host, str) and not (
            host in ("localhost", "::1", "0.0.0.0") or host.startswith("127.") or host.startswith("/")
        ):
            raise RuntimeError(f"network access to {host} is blocked in tests")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path / "state", data_dir=DATA_DIR, min_relevance=0.0, min_lexical=0.0)


def make_chunk(article: str, text: str, source: str = "公司法", status: str = "current") -> Chunk:
    return Chunk(
        id=f"law:{source}:{article}",
        text=text,
        source=source,
        title=f"中华人民共和国{source}",
        article=article,
        version="2024-07-01",
        status=status,  # type: ignore[arg-type]
        content_hash=content_hash(text),
    )


def add_guide(index: InMemoryIndex, heading: str, body: str) -> Chunk:
    """Put a one-section service guide (常见问题) into ``index`` and return its chunk."""
    guide = Chunk(
        id=f"guide:faq:{heading}",
        text=f"{heading}\n{body}",
        source="常见问题",
        title="常见问题",
        article=heading,
        kind="guide",
    )
    index.upsert([guide], HashEmbedder().embed_passages([guide.text]))
    return guide


SAMPLE_CHUNKS = [
    make_chunk(
        "第四十七条",
        "第四十七条 有限责任公司的注册资本为在公司登记机关登记的全体股东认缴的出资额。"
        "全体股东认缴的出资额由股东按照公司章程的规定自公司成立之日起五年内缴足。",
    ),
    make_chunk("第四十二条", "第四十二条 有限责任公司由一个以上五十个以下股东出资设立。"),
    make_chunk("第七条", "第七条 依照本法设立的有限责任公司，应当在公司名称中标明有限责任公司或者有限公司字样。"),
    make_chunk("第二十三条", "第二十三条 设立有限责任公司，应当有二人以上股东。", status="superseded"),
]


@pytest.fixture
def sample_index() -> InMemoryIndex:
    idx = InMemoryIndex()
    emb = HashEmbedder()
    idx.upsert(SAMPLE_CHUNKS, emb.embed_passages([c.text for c in SAMPLE_CHUNKS]))
    return idx


@pytest.fixture
def make_assistant(settings: Settings, sample_index: InMemoryIndex):  # type: ignore[no-untyped-def]
    from assistant.service import Assistant
    from assistant.wiring import configure

    configure(settings)

    def _make(chat: ScriptedChat) -> Assistant:
        svc = Assistant(
            settings,
            chat=chat,
            embedder=HashEmbedder(),
            index=sample_index,
            store=SessionStore(settings.sqlalchemy_url),
        )
        svc.warm_up()
        return svc

    return _make


# --- real components, shared by the integration and browser tiers -----------------------------
@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    if not DATA_DIR.exists():
        pytest.skip("shared data not beside the checkout")
    return Settings(state_dir=tmp_path_factory.mktemp("state"), data_dir=DATA_DIR)


@pytest.fixture(scope="session")
def ingested(real_settings: Settings) -> Path:
    s = real_settings
    report = ingest_default(s)
    assert report.total > 2000
    return s.state_dir


@pytest.fixture(scope="session")
def real_assistant(real_settings: Settings, ingested: Path) -> Assistant:
    svc = build_assistant(real_settings)
    svc.warm_up()
    return svc
