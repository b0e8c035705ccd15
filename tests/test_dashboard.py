"""The dashboard (advisor's cockpit): its logic, and a real browser with no internet.

The fast tests check the cockpit's logic without a browser: instruments compared on a
common seed, the horizon, the bands over seeds, the start from the advisor's data (and
a readable message for a bad file), and that the charts are valid Vega-Lite 5.

The browser test starts ``s3sim-dashboard`` on a free localhost port and drives it in
Debian's headless Chromium through Playwright, with every non-localhost request
aborted (so the page can only render from the locally installed front-end).  It
measures the click-to-new-year time, hovers the product-space map, compares three
instruments with bands over seeds, starts from a data file written here (first a bad
one), and plays a small economy to its horizon.  ``S3SIM_UPDATE_SCREENSHOT=1``
refreshes ``docs/figures/dashboard.png``.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pytest
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "docs" / "figures" / "dashboard.png"
EXAMPLE = ROOT / "s3sim" / "data" / "example_regions.csv"
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


def _require(module: str) -> Any:
    """Import ``module`` or fail saying how to install it (the dashboard tests never skip
    for a missing Python package: ``make test`` installs the dashboard extra)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        pytest.fail(
            f"{module} is not importable ({exc}): pip install -e '.[test,dashboard]' "
            "&& python scripts/install_dashboard_assets.py"
        )


class InlinePool:
    """An executor that runs each task at once (the fast tests need no worker process)."""

    def submit(self, fn: Any, *args: Any) -> Future:
        future: Future = Future()
        future.set_result(fn(*args))
        return future


class IdlePool:
    """An executor that never runs its tasks (for tests that do not look at the bands)."""

    def submit(self, fn: Any, *args: Any) -> Future:
        return Future()


def _small(**changes: Any) -> Any:
    session = _require("s3sim.viz.cockpit.session")
    return session.CockpitSettings(scenario="synthetic_small", seed=5, band_seeds=3).replace(
        **changes)


# ---- the cockpit's logic ---------------------------------------------------------------


def test_instruments_run_on_the_baseline_seed_and_stop_at_the_horizon() -> None:
    session = _require("s3sim.viz.cockpit.session")
    from s3sim.model import S3Model

    settings = _small(instruments=("smart_specialisation", "generic_subsidy"))
    cockpit = session.Cockpit(settings)
    assert list(cockpit.runs) == ["none", "smart_specialisation", "generic_subsidy"]
    first = {name: m.presence.copy() for name, m in cockpit.runs.items()}
    for name in first:  # year 0: the same economy in every run
        np.testing.assert_array_equal(first[name], first["none"])
    assert cockpit.runs["smart_specialisation"].policy_config.budget_share == 0.01
    cockpit.run_to_end()
    assert cockpit.year == cockpit.horizon == 20
    assert cockpit.step() is False and cockpit.year == 20  # play stops at the horizon
    # the cockpit's baseline is the model run without policy on the same seed
    alone = S3Model(settings.model_config(), "none", rng=5).run(20)
    pd.testing.assert_frame_equal(cockpit.baseline.history_frame(), alone.history_frame())
    # and the instruments did something: more entries than the baseline in total
    series = cockpit.series()
    totals = series.groupby("run")["entries"].sum()
    assert totals["generic_subsidy"] > totals["none"]


def test_settings_reject_an_empty_comparison() -> None:
    session = _require("s3sim.viz.cockpit.session")
    with pytest.raises(session.InstrumentChoiceError, match="at least one"):
        session.CockpitSettings(instruments=())
    with pytest.raises(session.InstrumentChoiceError, match="none"):
        session.CockpitSettings(instruments=("none",))


def test_bands_repeat_the_live_seed_and_give_a_t_interval() -> None:
    bands = _require("s3sim.viz.cockpit.bands")
    session = _require("s3sim.viz.cockpit.session")
    settings = _small(instruments=("generic_subsidy",))
    job = bands.BandJob(settings, InlinePool())
    assert job.done and job.total == 3 and not job.errors()
    frames = job.finished()
    live = session.Cockpit(settings).run_to_end().series()
    pd.testing.assert_frame_equal(frames[0], live)  # seed 5 in the worker == the live run
    table = bands.indicator_table(pd.concat(frames), region=2)
    summary = job.summary(region=2)
    cell = summary[(summary.indicator == "additional_entries") & (summary.step == 20)].iloc[0]
    values = table[(table.indicator == "additional_entries") & (table.step == 20)]["value"]
    assert cell["n"] == 3 and values.size == 3
    low, high = stats.t.interval(0.9, 2, loc=values.mean(), scale=stats.sem(values))
    assert cell["mean"] == pytest.approx(values.mean())
    assert (cell["low"], cell["high"]) == (pytest.approx(low), pytest.approx(high))
    # paired: the additional entries are the policy run's minus the baseline's
    one = frames[1][frames[1].region == 2]
    by_run = one[one.step <= 20].groupby("run")["entries"].sum()
    second = table[(table.seed == 6) & (table.indicator == "additional_entries")
                   & (table.step == 20)]["value"].item()
    assert second == by_run["generic_subsidy"] - by_run["none"]


def test_start_from_own_data_and_a_bad_file_is_a_message(tmp_path: Path) -> None:
    state = _require("s3sim.viz.cockpit.state")
    session_mod = _require("s3sim.viz.cockpit.session")
    data = pd.read_csv(EXAMPLE, dtype={"product": str})
    mine = tmp_path / "my_regions.csv"
    data[data.location.isin([f"Region {c}" for c in "ABCDEFGH"])].to_csv(mine, index=False)
    bad = tmp_path / "bad.csv"
    bad.write_text("region;code;amount\nA;0101;3\n")

    s = state.Session(_small(instruments=("generic_subsidy",)), pool=IdlePool())
    before = s.cockpit
    settings = s.settings.replace(scenario=session_mod.MY_DATA, data_path=str(bad))
    with pytest.raises(Exception) as info:
        s.apply(settings)
    message = state.readable_error(info.value, settings)
    assert "bad.csv" in message and "\n" not in message
    assert s.cockpit is before  # the previous runs are kept

    s.apply(settings.replace(data_path=str(mine), band_seeds=2))
    assert s.cockpit.region_names == [f"Region {c}" for c in "ABCDEFGH"]
    assert s.cockpit.horizon == 50 and s.bands.total == 2
    view = s.cockpit.product_view("generic_subsidy", 2)
    has_rca = data[(data.location == "Region C")]
    assert view["has_rca"].sum() > 0 and len(view) >= has_rca["product"].nunique() // 2


def _vega_lite_5_validator() -> Any:
    jsonschema = _require("jsonschema")
    from solara.server import settings as solara_settings

    path = Path(solara_settings.assets.proxy_cache_dir) / "vega-lite@5" / "build" / (
        "vega-lite-schema.json")
    if not path.is_file():
        pytest.fail(f"{path} missing: run scripts/install_dashboard_assets.py")
    return jsonschema.Draft7Validator(json.loads(path.read_text()))


def test_charts_are_valid_vega_lite_5_with_the_product_tooltip() -> None:
    state = _require("s3sim.viz.cockpit.state")
    settings = _small(instruments=("smart_specialisation", "picking_winners"))
    s = state.Session(settings, pool=InlinePool())
    for _ in range(4):
        s.cockpit.step()
    validator = _vega_lite_5_validator()
    title, subtitle, data = s.map_data("smart_specialisation", 1)
    assert title.endswith("Smart specialisation · year 4") and "priority domains" in subtitle
    spec = s.map_template().spec(s.cockpit.product_view("smart_specialisation", 1))
    errors = [e.message for e in validator.iter_errors(spec)]
    assert not errors, errors[:3]
    nodes = data["nodes"]
    assert nodes == spec["datasets"]["nodes"]
    model = s.cockpit.runs["smart_specialisation"]
    assert len(nodes) == model.product_space.n_products
    assert sum(n["prioritised"] == "yes" for n in nodes) == len(model.priorities[1])
    entered = model.last_entries[model.last_entries[:, 0] == 1, 1]
    assert sum(n["new"] == "yes" for n in nodes) == entered.size
    codes = {n["code"]: n for n in nodes}
    p = int(entered[0]) if entered.size else 0
    node = codes[str(model.product_space.codes[p])]
    assert node["product"] == str(model.product_space.names[p])
    assert node["density"] == pytest.approx(model.density[1, p], abs=1e-3)
    tooltip = {t["title"] for layer in spec["layer"][1:] for t in layer["encoding"]["tooltip"]}
    assert {"product", "code", "PCI", "density", "prioritised", "new this year"} <= tooltip

    live = s.live_table(1)
    comparison = s.comparison_template.spec(live, s.bands.summary(1))
    errors = [e.message for e in validator.iter_errors(comparison)]
    assert not errors, errors[:3]
    assert {r["year"] for r in comparison["datasets"]["live"]} == set(range(5))
    assert {r["n"] for r in comparison["datasets"]["bands"]} == {3}
    # no float noise offsets in the charts (the old "1e-17" axis label)
    assert all(abs(r["value"]) == 0 or abs(r["value"]) > 1e-9
               for r in comparison["datasets"]["live"])


def test_summary_rows_cost_per_additional_entry() -> None:
    state = _require("s3sim.viz.cockpit.state")
    live = pd.DataFrame({
        "indicator": ["diversity", "diversity", "additional_diversity", "additional_entries",
                      "budget_spent", "budget_spent"],
        "run": ["none", "x", "x", "x", "none", "x"], "seed": 1, "step": 3,
        "value": [10.0, 14.0, 4.0, 5.0, 0.0, 2.5],
    })
    rows = state.summary_rows(live, None, 3, 10, ["none", "x"])
    assert rows[0]["instrument"] == "No policy (baseline)"
    assert rows[1]["cost per Δ entry"] == "0.50"
    assert rows[1]["Δ entries"] == "+5"


def test_every_setting_and_metric_is_explained() -> None:
    glossary = _require("s3sim.viz.cockpit.glossary")
    session = _require("s3sim.viz.cockpit.session")
    from dataclasses import fields

    assert {f.name for f in fields(session.CockpitSettings)} <= set(glossary.CONTROLS)
    for term in ("RCA", "ECI", "PCI", "density", "capture", "absorptive threshold",
                 "deadweight", "cost per additional entry"):
        assert len(glossary.METRICS[term]) > 40
    assert glossary.policy_label("picking_winners") == "Picking winners"


def test_page_renders_steps_and_switches_region(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page itself, rendered in Python (no browser): year 0, a step, the region menu."""
    solara = _require("solara")
    bands = _require("s3sim.viz.cockpit.bands")
    monkeypatch.setattr(bands, "executor", IdlePool)
    app = _require("s3sim.viz.app")
    import ipyvuetify as v

    _box, rc = solara.render(app.Page(), handle_error=False)

    def text(name: str) -> str:
        return str(rc.find(v.Html, class_=f"s3sim-{name}").widget.children[0])

    def soon(name: str, check: Any) -> str:
        """The panels are prepared in a thread after each change: wait for them."""
        deadline = time.monotonic() + 30
        while not check(text(name)) and time.monotonic() < deadline:
            time.sleep(0.05)
        return text(name)

    assert text("year") == "Year 0 of 50"
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert text("year") == "Year 1 of 50"  # at once, in the click's own render
    assert soon("summary-help", lambda t: t.startswith("Now: year 1"))
    region = rc.find(v.Select, label="My region").widget
    assert text("map-title").startswith(region.items[0])
    region.v_model = region.items[3]  # the one region selector: the map follows
    title = soon("map-title", lambda t: t.startswith(region.items[3]))
    assert title.startswith(region.items[3]) and title.endswith("year 1")
    rc.close()


# ---- the browser test ---------------------------------------------------------------------


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("Debian's chromium not found: run scripts/install_dashboard_assets.py")
    return path


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
            pass
        time.sleep(0.5)
    pytest.fail(f"dashboard server not up after {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run ``s3sim-dashboard`` on a free localhost port; yield its URL."""
    _require("solara")
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    port = _free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "s3sim.cli.dashboard", "--host", "127.0.0.1", "--port",
             str(port)],
            stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_http(url, proc, log, timeout=120)
        yield url
    finally:  # the server and its background worker (same process group)
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=wait)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue


# JavaScript: click Step and time (ms, in the page) until the year label changes, and until
# the map and the comparison have drawn the new year (their data-revision is the year).
STEP_JS = """async () => {
    const year = document.querySelector('.s3sim-year');
    const before = year.textContent;
    const t0 = performance.now();
    const seen = new Promise(res => {
        const obs = new MutationObserver(() => {
            if (year.textContent !== before) { obs.disconnect(); res(performance.now() - t0); }
        });
        obs.observe(year, {childList: true, characterData: true, subtree: true});
    });
    document.querySelector('.s3sim-step').click();
    const tYear = await seen;
    const now = year.textContent.match(/Year (\\d+)/)[1];
    const drawn = (sel) => new Promise(res => {
        const poll = () => {
            const el = document.querySelector(sel + ' .s3sim-vega');
            if (el && el.dataset.revision === now) res(performance.now() - t0);
            else setTimeout(poll, 5);
        };
        poll();
    });
    return [tYear, await drawn('.s3sim-map'), await drawn('.s3sim-comparison')];
}"""


def _choose(page: Any, select_class: str, option_text: str) -> None:
    """Pick ``option_text`` in the Vuetify select carrying ``select_class``."""
    page.locator(f".{select_class} .v-select__slot").first.click()
    page.locator(".menuable__content__active .v-list-item").filter(
        has_text=option_text).first.click()


def _hover_product(page: Any, timeout: float = 20.0) -> str:
    """Move the mouse over the map until Vega's tooltip shows a product; return its text."""
    tip = page.locator("#vg-tooltip-element")
    box = page.locator(".s3sim-map canvas").bounding_box()
    assert box is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for fy in np.linspace(0.15, 0.95, 17):
            for fx in np.linspace(0.05, 0.95, 19):
                page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
                if tip.count() and "visible" in (tip.get_attribute("class") or "") and (
                        "PCI" in tip.inner_text()):
                    return tip.inner_text()
    pytest.fail("no product tooltip on the map")


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_cockpit_in_the_browser_offline(server: str, tmp_path: Path) -> None:
    chromium = _chromium()
    playwright_api = _require("playwright.sync_api")
    expect = playwright_api.expect
    expect.set_options(timeout=60_000)  # a loaded 2-core machine can be slow; never flaky
    blocked: list[str] = []
    failed_assets: list[str] = []
    page_errors: list[str] = []

    def route(request_route: Any) -> None:
        if urlparse(request_route.request.url).hostname in LOCAL_HOSTS:
            request_route.continue_()
        else:
            blocked.append(request_route.request.url)
            request_route.abort()

    def on_response(response: Any) -> None:
        if "/_solara/cdn/" in response.url and response.status >= 400:
            failed_assets.append(f"{response.status} {response.url}")

    data = pd.read_csv(EXAMPLE, dtype={"product": str})
    mine = tmp_path / "my_regions.csv"
    data[data.location.isin([f"Region {c}" for c in "ABCDEFGHIJ"])].to_csv(mine, index=False)
    bad = tmp_path / "not_a_trade_table.csv"
    bad.write_text("region;code;amount\nA;0101;3\n")

    laps: list[tuple[str, float]] = []
    start = time.monotonic()

    def lap(name: str) -> None:
        laps.append((name, round(time.monotonic() - start, 1)))

    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1250})
            page.set_default_timeout(60_000)
            page.route("**/*", route)
            page.on("response", on_response)
            page.on("pageerror", lambda exc: page_errors.append(str(exc)))
            page.goto(server)

            # year 0 is a full view: map, comparison axes over the whole horizon, table
            year = page.locator(".s3sim-year")
            expect(year).to_have_text("Year 0 of 50", timeout=120_000)
            page.locator(".s3sim-map canvas").wait_for()
            page.locator(".s3sim-comparison canvas").wait_for()
            table = page.locator(".s3sim-summary")
            for label in ("No policy (baseline)", "Smart specialisation", "Generic subsidy"):
                expect(table).to_contain_text(label)

            lap("year 0 shown")
            expect(page.locator(".s3sim-data-path")).to_be_hidden()  # only for "my data"
            # click-to-new-year at the default scale (20 regions, 5,000 firms, 865 products,
            # baseline + 2 instruments), the bands computing in the background meanwhile
            timings = []
            for _ in range(8):
                timings.append(page.evaluate(STEP_JS))
                page.wait_for_timeout(150)
            expect(year).to_have_text("Year 8 of 50")
            medians = {name: statistics.median(t[k] for t in timings)
                       for k, name in enumerate(("year", "map", "comparison"))}
            print(f"click-to-new-year, ms (year label, map redrawn, comparison redrawn): "
                  f"{[[round(x) for x in t] for t in timings]}; medians {medians}")
            (tmp_path / "step_timings.json").write_text(json.dumps(
                {"timings_ms": timings, "median_ms": medians}))

            lap("8 timed steps")
            # the map answers a hover with the product's facts
            text = _hover_product(page)
            for field in ("product", "code", "PCI", "RCA", "density", "prioritised",
                          "new this year"):
                assert field in text, text

            lap("hover")
            status = page.locator("div.s3sim-status")
            if os.environ.get("S3SIM_UPDATE_SCREENSHOT"):  # the README's view: bands all in
                expect(status).to_contain_text("bands: 8 of 8 seeds done", timeout=900_000)
                page.wait_for_timeout(1500)
                _hover_product(page)
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOT), full_page=True)
                lap("screenshot")

            # compare three instruments with bands over 3 seeds, on the small economy (its
            # seeds take a second each, so the bands arrive within the test)
            _choose(page, "s3sim-scenario", "Small synthetic economy")
            _choose(page, "s3sim-instruments", "Picking winners")
            page.keyboard.press("Escape")
            page.locator(".s3sim-band-seeds .v-slider__thumb-container").focus()
            page.keyboard.press("Home")
            page.keyboard.press("ArrowRight")
            expect(page.locator(".s3sim-settings")).to_contain_text("Seeds for the bands: 3")
            page.locator(".s3sim-apply").click()
            expect(table).to_contain_text("Picking winners")
            expect(year).to_have_text("Year 0 of 20")
            expect(status).to_contain_text("bands: 3 of 3 seeds done", timeout=180_000)
            for _ in range(12):
                page.locator(".s3sim-step").click()
            expect(year).to_have_text("Year 12 of 20")
            lap("3 instruments, bands in, 12 steps")
            # the expected additional entries by the horizon, with their interval
            rows = table.locator("tr")
            expect(rows).to_have_count(5)
            for row in range(2, 5):
                assert "[" in rows.nth(row).inner_text() and "(3)" in rows.nth(row).inner_text()
            assert "Δ entries by year 20" in rows.nth(0).inner_text()

            # start from the advisor's data: a bad file first (a message, no crash)
            _choose(page, "s3sim-scenario", "My own data (file)")
            expect(page.locator(".s3sim-data-path")).to_be_visible()
            path_field = page.locator(".s3sim-data-path input")
            path_field.fill(str(bad))
            path_field.press("Enter")
            page.locator(".s3sim-apply").click()
            error = page.locator(".s3sim-error")
            expect(error).to_contain_text("not_a_trade_table.csv")
            expect(year).to_have_text("Year 12 of 20")  # the previous runs carry on
            path_field.fill(str(mine))
            path_field.press("Enter")
            page.locator(".s3sim-apply").click()
            expect(error).to_have_count(0, timeout=60_000)
            expect(year).to_have_text("Year 0 of 50")
            _choose(page, "s3sim-region", "Region C")
            expect(page.locator(".s3sim-region")).to_contain_text("Region C")
            page.locator(".s3sim-step").click()
            expect(year).to_have_text("Year 1 of 50")
            expect(page.locator(".s3sim-region")).to_contain_text("Region C")

            lap("own data")
            # play stops at the horizon (a small economy of 20 years)
            _choose(page, "s3sim-scenario", "Small synthetic economy")
            page.locator(".s3sim-apply").click()
            expect(year).to_have_text("Year 0 of 20", timeout=60_000)
            page.locator(".s3sim-play").click()
            expect(year).to_have_text("Year 20 of 20", timeout=90_000)
            expect(page.locator(".s3sim-play")).to_be_disabled()
            page.wait_for_timeout(1000)
            expect(year).to_have_text("Year 20 of 20")
            lap("played to the horizon")
        finally:
            browser.close()

    assert not failed_assets, f"front-end assets not served locally: {failed_assets}"
    assert not page_errors, f"JavaScript errors on the page: {page_errors}"
    assert all(math.isfinite(v) for v in medians.values())
    print(f"blocked non-local requests: {blocked}; seconds since start: {laps}")
