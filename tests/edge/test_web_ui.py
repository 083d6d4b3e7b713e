"""The web UI (edge/web): served by the edge, and its API client trading through the public API
under Node.js as the page does in a browser (accounts, signed orders, wallet, streams)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import httpx
import pytest

from edge.app import WEB_UI
from tests.e2e.platform import REPO
from tests.edge.conftest import Exchange

SCRIPTS = ("app.js", "binance.js")


def _node() -> str:
    node = shutil.which("node")
    assert node is not None, "Node.js runs the web UI's client in these tests: install it"
    return node


def test_the_page_and_its_files_are_served(exchange: Exchange) -> None:
    with httpx.Client(base_url=exchange.url, timeout=10) as http:
        page = http.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert '<script type="module" src="/web/app.js"></script>' in page.text
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        for name, kind in (("app.js", "javascript"), ("binance.js", "javascript"), ("style.css", "text/css")):
            served = http.get("/web/" + name)
            assert served.status_code == 200 and kind in served.headers["content-type"], name
            assert served.content == (WEB_UI / name).read_bytes()
            assert served.headers["x-content-type-options"] == "nosniff"
        # the UI takes nothing from the API's namespace: unknown paths still get Binance's error
        missing = http.get("/web/nothing.js")
        assert (missing.status_code, missing.json()["code"]) == (404, -1000)


@pytest.mark.parametrize("script", SCRIPTS)
def test_the_scripts_parse(script: str) -> None:
    # as ES modules, as the page loads them (a plain --check would guess the kind of file)
    source = (WEB_UI / script).read_text()
    checked = subprocess.run([_node(), "--input-type=module", "--check"], input=source, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_every_element_the_ui_script_uses_is_on_the_page() -> None:
    used = set(re.findall(r'\$\("([\w-]+)"\)', (WEB_UI / "app.js").read_text()))
    on_page = set(re.findall(r'id="([\w-]+)"', (WEB_UI / "index.html").read_text()))
    assert used and used <= on_page, sorted(used - on_page)


def test_the_ui_client_trades_through_the_public_api(exchange: Exchange) -> None:
    flow = REPO / "tests" / "edge" / "web_ui_flow.mjs"
    ran = subprocess.run(
        [_node(), "--experimental-websocket", "--no-warnings", str(flow), exchange.url, str(WEB_UI / "binance.js")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr[-3000:]
    seen = json.loads(ran.stdout.strip().splitlines()[-1])
    assert seen["refused"] == -1013 and 0.49 < seen["eth"] <= 0.5


def test_the_ui_helpers_format_explain_and_keep_open_orders() -> None:
    units = REPO / "tests" / "edge" / "web_ui_units.mjs"
    ran = subprocess.run([_node(), str(units), str(WEB_UI / "binance.js")], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert json.loads(ran.stdout.strip().splitlines()[-1]) == {"ok": True}
