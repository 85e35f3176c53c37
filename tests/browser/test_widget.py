"""Playwright drives Debian chromium against the running app: ask, see a cited answer, screenshot."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
SHOTS = PROJECT_ROOT / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(real_settings: Settings, ingested: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "DAOBAN_STATE_DIR": str(ingested), "DAOBAN_DATA_DIR": str(real_settings.data_dir)}
    cli = Path(sys.executable).with_name("daoban")
    log = (ingested / "server.log").open("w")
    proc = subprocess.Popen(
        [str(cli), "serve", "--no-ingest", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300
    try:
        while time.time() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"server exited: {(ingested / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        else:
            pytest.fail("server did not become healthy")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_applicant_asks_and_sees_a_cited_answer(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    health = httpx.get(f"{server}/healthz").json()
    assert health["status"] == "ok" and health["index_chunks"] > 2000
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN")
        page.goto(f"{server}/ui/", wait_until="domcontentloaded")
        expect(page.locator("#db-header")).to_contain_text("导办", timeout=60_000)
        page.locator("#db-input textarea").fill("注册资本要一次交齐吗")
        page.locator("#db-send").click()
        cite = page.locator(".db-cite summary").first
        expect(cite).to_contain_text("第四十七条", timeout=240_000)
        expect(cite).to_contain_text("公司法")
        cite.click()  # the citation expands to the quoted article
        expect(page.locator(".db-cite blockquote").first).to_contain_text("五年内缴足")
        page.screenshot(path=str(SHOTS / "widget-cited-answer.png"), full_page=True)
        browser.close()
    assert (SHOTS / "widget-cited-answer.png").stat().st_size > 10_000


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_applicant_checks_an_application_and_gets_documents(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    base = (PROJECT_ROOT / "eval" / "datasets" / "approval" / "base_llc.json").read_text(encoding="utf-8")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN")
        page.goto(f"{server}/ui/", wait_until="domcontentloaded")
        page.get_by_role("tab", name="审批预检").click(timeout=60_000)
        page.locator("#db-app-json textarea").fill(base.replace("广州青禾软件有限公司", "广州最佳软件有限公司"))
        page.locator("#db-check").click()
        expect(page.locator("#db-decision")).to_contain_text("审查结论", timeout=60_000)
        expect(page.locator("#db-decision")).to_contain_text("最佳")  # the misleading word is explained
        expect(page.locator("#db-docs")).to_contain_text("简明信息核对表", timeout=60_000)
        expect(page.locator("#db-docs")).to_contain_text("公司章程")
        page.screenshot(path=str(SHOTS / "widget-approval.png"), full_page=True)
        browser.close()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_applicant_asks_for_a_person_and_staff_replies_from_the_console(server: str, ingested: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    env = {**os.environ, "DAOBAN_STATE_DIR": str(ingested), "DAOBAN_STAFF_PASSWORD": "browser-staff-pw"}
    made = subprocess.run(
        [str(Path(sys.executable).with_name("daoban")), "staff", "create", "window1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN")
        phone.goto(f"{server}/ui/", wait_until="domcontentloaded")
        phone.locator("#db-handoff").click(timeout=60_000)
        chat = phone.locator("#db-chat")
        expect(chat).to_contain_text("工单号", timeout=60_000)
        ticket_no = chat.inner_text().split("工单号：")[1].split()[0].strip()
        assert ticket_no.isdigit()

        desk = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        assert httpx.get(f"{server}/v1/staff/tickets").status_code == 401  # the queue is staff only
        desk.goto(f"{server}/staff/", wait_until="domcontentloaded")
        desk.locator("input[type=text]").first.fill("window1", timeout=60_000)
        desk.locator("input[type=password]").fill("browser-staff-pw")
        desk.locator("button").filter(has_text=re.compile("Login|登录")).first.click()
        desk.locator("#db-tk-pick input").click(timeout=60_000)
        desk.get_by_role("option", name=f"{ticket_no} · 转人工").click()
        expect(desk.locator("#db-tk-view")).to_contain_text(f"工单 {ticket_no}", timeout=30_000)
        desk.locator("#db-tk-claim").click()
        expect(desk.locator("#db-tk-view")).to_contain_text("window1", timeout=30_000)
        desk.locator("#db-tk-reply textarea").fill("您好，我是登记窗口的工作人员，请问需要办理什么业务？")
        desk.locator("#db-tk-send").click()
        expect(desk.locator("#db-tk-notice")).to_contain_text("回复已发送", timeout=30_000)
        desk.screenshot(path=str(SHOTS / "staff-ticket.png"), full_page=True)

        # the applicant's widget picks the reply up by its poll, in the same conversation
        expect(chat.locator(".db-staff-tag")).to_be_visible(timeout=30_000)
        expect(chat).to_contain_text("登记窗口的工作人员")
        phone.screenshot(path=str(SHOTS / "widget-staff-reply.png"), full_page=True)
        browser.close()
    token = httpx.post(f"{server}/v1/staff/login", json={"name": "window1", "password": "browser-staff-pw"}).json()[
        "token"
    ]
    t = httpx.get(f"{server}/v1/staff/tickets/{ticket_no}", headers={"Authorization": f"Bearer {token}"}).json()
    assert t["status"] == "claimed" and t["replies"] == 1 and t["transcript"][-1]["role"] == "staff"
