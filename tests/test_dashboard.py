"""Browser test of the dashboard: a real server, Debian's Chromium, no internet.

The test starts ``s3sim-dashboard`` on a free localhost port, opens it in headless
Chromium driven by Playwright with every non-localhost request aborted (so the
page can only render from the locally installed front-end), switches the policy,
resets, steps the model and checks from the page that the map and the plots were
drawn and changed.  Set ``S3SIM_UPDATE_SCREENSHOT=1`` to refresh
``docs/figures/dashboard.png`` from the run.
"""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "docs" / "figures" / "dashboard.png"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

# JavaScript: fetch an <img>'s bytes and return (length, 32-bit hash, natural width).
FINGERPRINT_JS = """async (img) => {
    const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
    let h = 0;
    for (let i = 0; i < bytes.length; i++) { h = (Math.imul(h, 31) + bytes[i]) >>> 0; }
    return [bytes.length, h, img.naturalWidth];
}"""


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("Debian's chromium not found: run scripts/install_dashboard_assets.py")
    return path


def _require(module: str) -> Any:
    """Import ``module`` or fail saying how to install it (the browser test never skips
    for a missing Python package: ``make test`` installs the dashboard extra)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        pytest.fail(
            f"{module} is not importable ({exc}): pip install -e '.[test,dashboard]' "
            "&& python scripts/install_dashboard_assets.py"
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"dashboard server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:  # not listening yet: retry until the deadline
            time.sleep(0.5)
            continue
        time.sleep(0.5)
    pytest.fail(f"dashboard server not up after {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run ``s3sim-dashboard`` on a free localhost port; yield its URL."""
    _require("solara")
    _require("mesa.visualization")
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    port = _free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "s3sim.cli.dashboard",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_http(url, proc, log, timeout=120)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def _choose(page, select_label: str, option_text: str) -> None:
    """Pick ``option_text`` in the Vuetify select whose label is ``select_label``."""
    from playwright.sync_api import expect

    select = page.locator(".v-select").filter(has_text=select_label)
    select.locator(".v-select__slot").click()
    page.locator(".menuable__content__active .v-list-item").filter(
        has_text=option_text
    ).first.click()
    expect(select).to_contain_text(option_text)


@pytest.mark.parametrize("policy", ["none", "smart_specialisation", "picking_winners"])
def test_dashboard_model_steps_and_draws(policy: str) -> None:
    """The wrapper model steps the run and its baseline; every panel draws."""
    app = _require("s3sim.viz.app")
    model = app.DashboardModel(scenario_name="synthetic_small", policy=policy, region=99, seed=3)
    assert model.region == len(model.run.region_names) - 1  # clipped
    assert (model.baseline is model.run) == (policy == "none")
    for _ in range(2):
        model.step()
    assert model.run.steps == 2 and model.baseline.steps == 2 and model.steps == 2
    for draw in (app.draw_map, app.draw_time_series, app.draw_baseline):
        assert draw(model).axes
    info = app.summary(model)
    assert info["year"] == 2 and info["step_ms"] > 0


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_dashboard_renders_offline_and_steps(server: str, tmp_path: Path) -> None:
    chromium = _chromium()
    playwright_api = _require("playwright.sync_api")
    expect = playwright_api.expect

    blocked: list[str] = []
    failed_assets: list[str] = []
    page_errors: list[str] = []

    def route(request_route) -> None:
        host = urlparse(request_route.request.url).hostname
        if host in LOCAL_HOSTS:
            request_route.continue_()
        else:
            blocked.append(request_route.request.url)
            request_route.abort()

    def on_response(response) -> None:
        if "/_solara/cdn/" in response.url and response.status >= 400:
            failed_assets.append(f"{response.status} {response.url}")

    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1300})
            page.set_default_timeout(60_000)
            page.route("**/*", route)
            page.on("response", on_response)
            page.on("pageerror", lambda exc: page_errors.append(str(exc)))

            page.goto(server)
            year = page.locator(".s3sim-year")
            expect(year).to_contain_text("Year 0 of", timeout=120_000)
            expect(year).to_contain_text("policy smart_specialisation")
            expect(page.get_by_text("Time: 0.0")).to_be_visible()

            def fingerprints() -> dict[str, list[int]]:
                result = {}
                for name in ("map", "timeseries", "baseline"):
                    img = page.locator(f"img.s3sim-{name}")
                    expect(img).to_have_count(1)
                    result[name] = img.evaluate(FINGERPRINT_JS)
                return result

            before = fingerprints()
            for name, (size, _, width) in before.items():
                assert size > 5_000 and width > 300, f"{name} panel not drawn: {before}"

            # switch the instrument; SolaraViz applies parameters on Reset
            _choose(page, "Policy instrument", "picking_winners")
            page.get_by_role("button", name="Reset").click()
            expect(year).to_contain_text("policy picking_winners", timeout=120_000)
            expect(page.get_by_text("Time: 0.0")).to_be_visible()

            for step in range(1, 4):
                page.get_by_role("button", name="Step").click()
                expect(page.get_by_text(f"Time: {step}.0")).to_be_visible(timeout=60_000)
            expect(year).to_contain_text("Year 3 of")

            def changed(name: str, old: list[int], timeout: float = 30.0) -> list[int]:
                """Poll until the panel's image differs from ``old``; return the new one."""
                deadline = time.monotonic() + timeout
                while True:
                    new = fingerprints()[name]
                    if new[:2] != old[:2] or time.monotonic() > deadline:
                        return new
                    time.sleep(0.5)

            after = {name: changed(name, before[name]) for name in before}
            for name in before:
                assert after[name][:2] != before[name][:2], f"{name} panel did not change"
                assert after[name][2] > 300, f"{name} panel not drawn after stepping"

            # the region switch in the status card redraws the map without a reset
            region = page.locator(".s3sim-region")
            region_before = region.inner_text()
            _choose(page, "Region shown", "(lagging)")
            expect(region).not_to_have_text(region_before)
            expect(region).to_contain_text("(lagging)")
            expect(year).to_contain_text("Year 3 of")
            assert changed("map", after["map"])[:2] != after["map"][:2], (
                "map did not follow the region"
            )

            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            if os.environ.get("S3SIM_UPDATE_SCREENSHOT"):
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()

    assert not failed_assets, f"front-end assets not served locally: {failed_assets}"
    assert not page_errors, f"JavaScript errors on the page: {page_errors}"
    # the page rendered with the internet cut off; say what it tried to reach, if anything
    print(f"blocked non-local requests: {blocked}")
