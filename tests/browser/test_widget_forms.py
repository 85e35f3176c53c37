"""Playwright drives Debian chromium against an in-process app: fill the form by chat and see it in the panel,
edit, confirm and resume after a reload; upload a generated ID card and accept its fields; send a generated
recording and see its transcript. The chat model is scripted (filling is deterministic); OCR and speech are real
where their models are installed (speech falls back to a scripted recogniser over the real audio path)."""

from __future__ import annotations

import random
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import Settings
from tests.browser.test_widget import CHROMIUM, CHROMIUM_ARGS, SHOTS, free_port
from tests.conftest import DATA_DIR, SAMPLE_CHUNKS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]
QUESTION = "What documents do I need to register a company"
TURNS = [
    "我要注册一个一人有限公司，做室内设计，公司名称叫广州木言设计有限公司",
    "住所在广州市海珠区江南大道中88号1203室，注册资本30万，全部由我出，我叫陈晓明",
    "我自己当执行董事和法定代表人，我老婆刘敏当监事",
    "身份证号：我的440106199704021886，我老婆的44011119910208192X",
]


def _transcriber(settings: Settings) -> Any:
    """Whisper base when installed here, else a scripted recogniser behind the real decoding and VAD."""
    from assistant.provision import model_path
    from assistant.speech.service import SpeechService
    from assistant.speech.testing import ScriptedSpeechEngine
    from assistant.wiring import build_transcriber

    try:
        if model_path(settings.models_dir, "whisper-base-ct2").exists():
            return build_transcriber(settings)
    except Exception:  # not provisioned: the scripted recogniser
        pass
    return SpeechService(ScriptedSpeechEngine(QUESTION, "en"), knowledge_dir=settings.knowledge_dir)


class LiveApp:
    """The app served by uvicorn in a thread; ``restart`` builds a fresh Assistant and app on the same state
    folder and port (a server restart: nothing kept in memory, the browser's origin unchanged)."""

    def __init__(self, settings: Settings) -> None:
        from assistant.wiring import build_document_reader

        self.settings = settings
        self.port = free_port()
        self.transcriber = _transcriber(settings)
        self.reader = build_document_reader(settings)
        self.server: Any = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import uvicorn

        from assistant.api.app import create_app
        from assistant.service import Assistant
        from assistant.store import SessionStore
        from assistant.testing import HashEmbedder, InMemoryIndex, ScriptedChat

        index = InMemoryIndex()
        index.upsert(SAMPLE_CHUNKS, HashEmbedder().embed_passages([c.text for c in SAMPLE_CHUNKS]))
        chat = ScriptedChat(fn=lambda _m: "因此，自公司成立之日起五年内缴足[1]。")
        store = SessionStore(self.settings.sqlalchemy_url)
        svc = Assistant(self.settings, chat=chat, embedder=HashEmbedder(), index=index, store=store)
        svc.warm_up()
        app = create_app(self.settings, svc, transcriber=self.transcriber, document_reader=self.reader)
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 60
        while not self.server.started and time.time() < deadline:
            time.sleep(0.1)
        assert self.server.started, "the app did not start"

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=30)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    from assistant.wiring import configure

    if not DATA_DIR.exists():
        pytest.skip("shared data not beside the checkout")
    settings = Settings(
        state_dir=tmp_path_factory.mktemp("widget-state"), data_dir=DATA_DIR, min_relevance=0.0, min_lexical=0.0
    )
    configure(settings)
    app = LiveApp(settings)
    app.start()
    yield app
    app.stop()


@pytest.fixture(scope="module")
def app_url(live: LiveApp) -> str:
    return live.url


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The question spoken by espeak-ng (a WAV file)."""
    wav = tmp_path_factory.mktemp("voice") / "question.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), QUESTION], check=True, timeout=60)
    return wav


@pytest.fixture(scope="module")
def browser(spoken: Path) -> Iterator[Any]:
    """Chromium whose (fake) microphone plays the spoken question."""
    from playwright.sync_api import sync_playwright

    mic = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
    args = [*CHROMIUM_ARGS, *mic, f"--use-file-for-fake-audio-capture={spoken}"]
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        yield b
        b.close()


def _phone(browser: Any, url: str) -> Any:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN")
    page.goto(f"{url}/ui/", wait_until="domcontentloaded")
    expect(page.locator("#db-header")).to_contain_text("导办", timeout=60_000)
    return page


def _say(page: Any, text: str, expect_in_chat: str) -> None:
    from playwright.sync_api import expect

    page.locator("#db-input textarea").fill(text)
    page.locator("#db-send").click()
    expect(page.locator("#db-chat")).to_contain_text(expect_in_chat, timeout=60_000)


def test_chat_fills_the_panel_edit_confirm_and_resume(live: LiveApp, browser: Any) -> None:
    from playwright.sync_api import expect

    page = _phone(browser, live.url)
    form = page.locator("#db-form")
    _say(page, TURNS[0], "广州木言设计有限公司")
    expect(form).to_contain_text("广州木言设计有限公司", timeout=30_000)
    expect(form).to_contain_text("待补充")
    for text, seen in zip(TURNS[1:], ("陈晓明", "刘敏", "4401"), strict=True):
        page.locator("#db-input textarea").fill(text)
        page.locator("#db-send").click()
        expect(form).to_contain_text(seen, timeout=60_000)
    expect(page.locator("#db-confirm")).to_be_hidden()  # the phone is still missing

    page.locator("#db-edit-field input").click()
    page.get_by_role("option", name="联系电话").click()
    page.locator("#db-edit-value textarea, #db-edit-value input").first.fill("13900139002")
    page.locator("#db-edit").click()
    expect(form).to_contain_text("139****9002", timeout=30_000)
    expect(form).to_contain_text("审查结论")
    expect(form.locator("a.db-doc-confirmation")).to_contain_text("简明信息核对表")
    page.locator("#db-confirm").click()
    expect(page.locator("#db-form-note")).to_contain_text("已确认提交", timeout=30_000)
    expect(form).to_contain_text("回执")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "widget-form-confirmed.png"), full_page=True)

    page.reload(wait_until="domcontentloaded")  # the session id lives in the browser: chat and form come back
    expect(page.locator("#db-chat")).to_contain_text("广州木言设计有限公司", timeout=60_000)
    expect(page.locator("#db-form")).to_contain_text("回执", timeout=30_000)
    live.restart()  # and after a server restart (same state folder, same origin)
    page.reload(wait_until="domcontentloaded")
    expect(page.locator("#db-chat")).to_contain_text("广州木言设计有限公司", timeout=60_000)
    expect(page.locator("#db-form")).to_contain_text("回执", timeout=30_000)
    page.close()


def test_upload_an_id_card_and_accept_its_fields(app_url: str, browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from eval.docgen import id_front

    card = id_front(random.Random(3))
    image = tmp_path / "id-front.png"
    image.write_bytes(card.png())
    page = _phone(browser, app_url)
    with page.expect_file_chooser() as chooser:
        page.locator("#db-upload").click()
    chooser.value.set_files(str(image))
    preview = page.locator("#db-doc-view")
    expect(preview).to_contain_text("居民身份证", timeout=120_000)
    expect(preview).to_contain_text(card.truth["name"])
    expect(preview).to_contain_text(card.truth["id_number"])
    page.screenshot(path=str(SHOTS / "widget-upload-preview.png"), full_page=True)
    page.locator("#db-doc-accept").click()
    expect(page.locator("#db-chat")).to_contain_text("📎", timeout=30_000)
    form = page.locator("#db-form")
    expect(form).to_contain_text(card.truth["name"], timeout=30_000)
    expect(form).to_contain_text("证件识别")
    expect(page.locator("#db-doc")).to_be_hidden()
    page.close()


def test_an_uploaded_recording_lands_in_the_box_for_correction(app_url: str, browser: Any, spoken: Path) -> None:
    from playwright.sync_api import expect

    page = _phone(browser, app_url)
    voice = page.locator("#db-voice")
    voice.get_by_role("button", name=re.compile("Upload file|上传")).first.click()  # the recorder's upload source
    voice.locator("input[type=file]").set_input_files(str(spoken))
    expect(page.locator("#db-voice-note")).to_contain_text("请核对", timeout=120_000)
    expect(page.locator("#db-input textarea")).to_have_value(re.compile("register", re.I), timeout=5_000)
    page.screenshot(path=str(SHOTS / "widget-voice.png"), full_page=True)
    page.close()


def test_hold_to_talk_records_the_microphone_and_sends_the_corrected_question(app_url: str, browser: Any) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.grant_permissions(["microphone"])
    page = context.new_page()
    page.goto(f"{app_url}/ui/", wait_until="domcontentloaded")
    talk = page.locator("#db-talk")
    expect(talk).to_be_visible(timeout=60_000)
    box = talk.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#db-voice .record-button")).to_be_visible(timeout=30_000)
    page.mouse.down()  # held for the length of the question
    expect(page.locator("#db-voice .stop-button")).to_be_visible(timeout=30_000)  # recording
    page.wait_for_timeout(4_000)
    page.mouse.up()
    expect(page.locator("#db-voice-note")).to_contain_text("请核对", timeout=120_000)
    heard = page.locator("#db-input textarea").input_value()
    assert heard.strip()
    page.locator("#db-input textarea").fill("注册资本要一次交齐吗")  # corrected by hand, then sent as the question
    page.locator("#db-send").click()
    expect(page.locator("#db-chat")).to_contain_text("注册资本要一次交齐吗", timeout=60_000)
    expect(page.locator("#db-chat")).to_contain_text("五年内缴足", timeout=60_000)
    context.close()
