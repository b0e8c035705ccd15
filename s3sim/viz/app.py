"""The dashboard: an advisor's cockpit comparing policy instruments (Solara, offline).

Run it with ``s3sim-dashboard`` (or ``solara run s3sim.viz.app``) and open
http://127.0.0.1:8765.  The page

* starts from a named scenario or from the advisor's own data file (``from_data``),
  with one "my region" selector that every panel follows;
* runs two or more instruments side by side, each against a run without policy on the
  same seed (common random numbers), and steps them together (*Step*, *Play*; play
  stops at the horizon);
* repeats the comparison on several seeds in a background worker process and draws the
  bands (mean and 90 % confidence interval) as they come in;
* draws the product-space map and the comparison charts in the browser (Vega-Lite,
  served locally) with tooltips, and explains every control and metric.

The logic lives in :mod:`s3sim.viz.cockpit`; this module only lays out the page.
"""

from __future__ import annotations

import concurrent.futures
import tempfile
import threading
from pathlib import Path
from typing import Any

import solara

from s3sim.scenarios import SCENARIOS
from s3sim.viz.cockpit.glossary import CONTROLS, METRICS, policy_label
from s3sim.viz.cockpit.session import INSTRUMENTS, MY_DATA, CockpitSettings
from s3sim.viz.cockpit.state import Session, readable_error
from s3sim.viz.vegaview import VegaView

__all__ = ["PLAY_PAUSE_SECONDS", "SCENARIO_LABELS", "Page"]

#: Pause between two years while playing.
PLAY_PAUSE_SECONDS = 0.15

#: What the "Start from" menu shows for each scenario.
SCENARIO_LABELS: dict[str, str] = {
    "default": "Default: 20 mixed regions",
    "cohesion": "Cohesion: many lagging regions",
    "transition": "Transition: weak absorptive capacity",
    "synthetic_small": "Small synthetic economy (fast)",
    MY_DATA: "My own data (file)",
}
_LABEL_TO_SCENARIO = {v: k for k, v in SCENARIO_LABELS.items()}
_LABEL_TO_INSTRUMENT = {policy_label(i): i for i in INSTRUMENTS}
for _name in SCENARIOS:  # scenarios added later still appear
    SCENARIO_LABELS.setdefault(_name, _name)
    _LABEL_TO_SCENARIO.setdefault(_name, _name)


def _div(text: str, name: str, style: str = "") -> solara.Element:
    return solara.v.Html(tag="div", children=[text], class_=f"s3sim-{name}", style_=style)


@solara.component
def Help(text: str, name: str = "", children: list[Any] = []) -> solara.Element:  # noqa: B006
    """Wrap a control with its explanation, shown on hover (``name``: a CSS class)."""
    with solara.Tooltip(text) as tip:
        with solara.Column(gap="0px", children=children,
                           classes=[f"s3sim-{name}"] if name else []):
            pass
    return tip


class Opaque:
    """A value handed to a component without Reacton walking into it.

    Reacton looks for child elements inside every list and dict of a component's
    arguments; the charts' data (thousands of rows) would be walked on every render.
    Wrapped, they are compared by identity and never walked.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


@solara.component
def Chart(spec: Opaque, data: Opaque, revision: int, name: str) -> solara.Element:
    """A Vega-Lite chart drawn in the browser; only its data travel on each update."""
    widget = solara.use_memo(VegaView, [])

    def push() -> None:
        if widget.spec is not spec.value:
            widget.spec = spec.value
        widget.datasets = data.value
        widget.revision = int(revision)

    solara.use_effect(push, [spec, data, revision])
    return solara.Div(children=[widget], classes=[f"s3sim-{name}"], style={"width": "100%"})


def _html_table(rows: list[dict[str, str]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{k}</th>" for k in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td style='padding:2px 8px'>{v}</td>" for v in row.values()) + "</tr>"
        for row in rows
    )
    return (f"<div style='overflow-x:auto'><table class='s3sim-summary' style='font-size:0.85em'>"
            f"<tr>{head}</tr>{body}</table></div>")


@solara.component
def Controls(draft: solara.Reactive[CockpitSettings], applied: CockpitSettings,
             on_apply: Any, error: str) -> solara.Element:
    """The settings card: where to start from, what to compare, budget and governance."""
    settings = draft.value

    def set_(**changes: Any) -> None:
        try:
            draft.value = settings.replace(**changes)
        except ValueError:  # e.g. no instrument left: keep the last valid choice
            pass

    def on_upload(info: Any) -> None:
        folder = Path(tempfile.mkdtemp(prefix="s3sim-upload-"))
        path = folder / Path(str(info["name"])).name
        path.write_bytes(info["data"] or b"")
        set_(scenario=MY_DATA, data_path=str(path))

    with solara.Card("Settings", subtitle="Hover any control for an explanation.", margin=0,
                     classes=["s3sim-settings"]) as card:
        with Help(CONTROLS["scenario"]):
            solara.Select(label="Start from", values=list(SCENARIO_LABELS.values()),
                          value=SCENARIO_LABELS[settings.scenario],
                          on_value=lambda v: set_(scenario=_LABEL_TO_SCENARIO[v]),
                          classes=["s3sim-scenario"])
        # always rendered (hidden unless "my data"), so the controls below keep their places
        with solara.Div(style={} if settings.scenario == MY_DATA else {"display": "none"},
                        classes=["s3sim-my-data"]):
            with Help(CONTROLS["data_path"]):
                solara.InputText("Data file (path on this computer)",
                                 value=settings.data_path or "", continuous_update=False,
                                 on_value=lambda v: set_(data_path=v.strip() or None),
                                 classes=["s3sim-data-path"])
            solara.FileDrop(label="… or drop a CSV / Parquet file here", on_file=on_upload,
                            lazy=False)
        with Help(CONTROLS["instruments"]):
            solara.SelectMultiple("Instruments to compare",
                                  values=[policy_label(i) for i in settings.instruments],
                                  all_values=[policy_label(i) for i in INSTRUMENTS],
                                  on_value=lambda v: set_(instruments=tuple(
                                      _LABEL_TO_INSTRUMENT[x] for x in v)),
                                  classes=["s3sim-instruments"])
        with Help(CONTROLS["budget_share"]):
            solara.SliderFloat(
                f"Budget: {100 * settings.budget_share:g} % of initial output per year",
                value=100 * settings.budget_share, min=0.0, max=5.0, step=0.25,
                on_value=lambda v: set_(budget_share=v / 100))
        with Help(CONTROLS["signal_noise"]):
            solara.SliderFloat(f"Governance: signal noise {settings.signal_noise:g}",
                               value=settings.signal_noise, min=0.0, max=2.0, step=0.1,
                               on_value=lambda v: set_(signal_noise=v))
        with Help(CONTROLS["capture"]):
            solara.SliderFloat(f"Governance: capture by incumbents {settings.capture:g}",
                               value=settings.capture, min=0.0, max=1.0, step=0.05,
                               on_value=lambda v: set_(capture=v))
        with Help(CONTROLS["absorptive_threshold"]):
            solara.SliderFloat(f"Absorptive threshold {settings.absorptive_threshold:g}",
                               value=settings.absorptive_threshold, min=0.0, max=0.5,
                               step=0.01, on_value=lambda v: set_(absorptive_threshold=v))
        with Help(CONTROLS["seed"]):
            solara.InputInt("Seed", value=settings.seed, on_value=lambda v: set_(seed=v))
        with Help(CONTROLS["band_seeds"], "band-seeds"):
            solara.SliderInt(f"Seeds for the bands: {settings.band_seeds}",
                             value=settings.band_seeds, min=2, max=20,
                             on_value=lambda v: set_(band_seeds=v))
        changed = settings != applied
        with Help(CONTROLS["apply"]):
            solara.Button("Apply: restart at year 0", on_click=on_apply,
                          color="primary" if changed else None, classes=["s3sim-apply"])
        if changed:
            _div("Settings changed: press Apply to run them.", "pending",
                 "color:#b45309;font-size:0.85em")
        if error:
            solara.Error(error, classes=["s3sim-error"])
    return card


@solara.component
def Glossary() -> solara.Element:
    """Every metric and control explained in one sentence or two."""
    with solara.Details("What the numbers mean (glossary)") as details:
        for term, text in METRICS.items():
            _div(f"{term}: {text}", "glossary-term", "font-size:0.9em;margin:2px 0")
    return details


@solara.component
def Page() -> solara.Element:
    """Serve the cockpit (what ``solara run s3sim.viz.app`` shows); one per browser tab.

    The settings live here; the runs' state (year, play, map) lives in :func:`Cockpit`,
    so a step re-renders only that part of the page.
    """
    session: Session = solara.use_memo(Session, [])
    draft = solara.use_reactive(session.settings)
    region, set_region = solara.use_state(0)
    error, set_error = solara.use_state("")
    _version, set_version = solara.use_state(0)  # re-renders after Apply
    solara.use_effect(lambda: session.close, [])

    def apply() -> None:
        settings = draft.value
        names_before = session.cockpit.region_names
        try:
            session.apply(settings)
        except Exception as exc:  # a bad file or parameter: say so in the page, keep running
            set_error(readable_error(exc, settings))
            return
        set_error("")
        names = session.cockpit.region_names
        keep = names_before[region] if region < len(names_before) else None
        set_region(names.index(keep) if keep in names else 0)
        set_version(lambda v: v + 1)

    with solara.Columns([3, 9], style={"padding": "8px"}) as page:
        with solara.Column(gap="12px"):
            Controls(draft, session.settings, apply, error)
            Glossary()
        Cockpit(session, session.cockpit, min(region, len(session.cockpit.region_names) - 1),
                set_region)
    return page


@solara.component
def Cockpit(session: Session, cockpit: Any, region: int, on_region: Any) -> solara.Element:
    """The runs: region, year, Step / Play, the map, the table and the comparison."""
    _tick, set_tick = solara.use_state(0)  # re-renders after a step
    band_tick, set_band_tick = solara.use_state((0, 0))
    playing, set_playing = solara.use_state(False)
    map_run, set_map_run = solara.use_state(session.settings.instruments[0])
    solara.use_effect(lambda: set_playing(False), [cockpit])  # new runs start paused

    def step() -> None:
        if cockpit.step():
            set_tick(lambda t: t + 1)

    def play_loop(cancel: threading.Event) -> None:
        while playing and not cancel.is_set():
            if not cockpit.step():
                break
            set_tick(lambda t: t + 1)
            cancel.wait(PLAY_PAUSE_SECONDS)
        if not cancel.is_set():
            set_playing(False)

    solara.use_thread(play_loop, dependencies=[playing, cockpit], intrusive_cancel=False)

    def wait_for_bands(cancel: threading.Event) -> None:
        job = session.bands
        while not cancel.is_set():
            pending = [f for f in job.futures.values() if not f.done()]
            set_band_tick((id(job), job.total - len(pending)))
            if not pending:
                return
            concurrent.futures.wait(pending, timeout=0.5,
                                    return_when=concurrent.futures.FIRST_COMPLETED)

    solara.use_thread(wait_for_bands, dependencies=[session.bands], intrusive_cancel=False)

    runs = list(cockpit.runs)
    shown = map_run if map_run in runs else runs[1]
    year = cockpit.year
    # The click handler only steps the runs and re-renders the year and the buttons; the
    # panels' data are prepared in a thread afterwards and drawn when ready, so the year
    # is on screen as soon as the models have stepped.
    first = solara.use_memo(lambda: session.panels(region, shown), [])
    panels, set_panels = solara.use_state(first)

    def prepare(cancel: threading.Event) -> None:
        result = session.panels(region, shown)
        if not cancel.is_set():
            set_panels(result)

    solara.use_thread(prepare, dependencies=[cockpit, year, region, shown, band_tick],
                      intrusive_cancel=False)
    map_data = solara.use_memo(lambda: Opaque(panels.map_data), [panels])
    comparison_data = solara.use_memo(lambda: Opaque(panels.comparison_data), [panels])
    map_template = solara.use_memo(lambda: Opaque(session.map_template().template),
                                   [session.map_template()])
    comparison_template = solara.use_memo(
        lambda: Opaque(session.comparison_template.template), [session.comparison_template])
    labels = [cockpit.region_label(i) for i in range(len(cockpit.region_names))]
    done = len(session.bands.finished())

    with solara.Column(gap="12px") as main:
        with solara.Card(margin=0, classes=["s3sim-statusbar"]):
            with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
                with solara.Column(style={"min-width": "300px"}):
                    with Help(CONTROLS["region"]):
                        solara.Select(label="My region", values=labels,
                                      value=labels[region],
                                      on_value=lambda v: on_region(labels.index(v)),
                                      classes=["s3sim-region"])
                _div(f"Year {year} of {cockpit.horizon}", "year",
                     "font-size:1.4em;font-weight:600;margin:0 16px")
                with Help(CONTROLS["step"]):
                    solara.Button("Step", on_click=step, disabled=cockpit.finished,
                                  classes=["s3sim-step"])
                with Help(CONTROLS["play"]):
                    solara.Button("Pause" if playing else "Play",
                                  on_click=lambda: set_playing(not playing),
                                  disabled=cockpit.finished and not playing,
                                  classes=["s3sim-play"])
            _div(
                f"{SCENARIO_LABELS.get(session.settings.scenario, '')} · budget "
                f"{100 * session.settings.budget_share:g} % of initial output per year · "
                f"seed {session.settings.seed} · bands: {done} of {session.bands.total} "
                f"seeds done · last step {1000 * cockpit.last_step_seconds:.0f} ms"
                + (" · horizon reached" if cockpit.finished else ""),
                "status", "font-size:0.9em;color:#444",
            )
            for message in session.bands.errors()[:1]:
                solara.Warning(f"bands: {message}")
        with solara.Columns([7, 5]):
            with solara.Card(margin=0):
                with Help(CONTROLS["map_run"]):
                    solara.ToggleButtonsSingle(
                        value=shown, on_value=set_map_run,
                        children=[solara.Button(policy_label(r), value=r, small=True)
                                  for r in runs],
                    )
                _div(panels.map_title, "map-title", "font-weight:600;margin-top:6px")
                _div(panels.map_subtitle, "map-subtitle", "font-size:0.85em;color:#444")
                Chart(map_template, map_data, panels.year, "map")
                _div("Hover a product for its name, code, PCI, RCA, density and whether "
                     "it is prioritised or new this year.", "map-help",
                     "font-size:0.85em;color:#555")
            with solara.Card("Where my region stands", margin=0):
                solara.HTML(tag="div", unsafe_innerHTML=_html_table(panels.rows))
                _div(f"Now: year {panels.year}, live seed. Δ = policy run minus the "
                     "baseline on the same seed (what the instrument changed); entries = "
                     "products the region gained RCA ≥ 1 in; budget in output units. "
                     f"Last column: mean [90 % CI] (number of seeds) of the Δ entries by "
                     f"year {cockpit.horizon}, over the seeds finished so far.",
                     "summary-help", "font-size:0.85em;color:#555;margin-top:6px")
        with solara.Card(margin=0):
            _div(panels.comparison_title, "comparison-title", "font-weight:600")
            Chart(comparison_template, comparison_data, panels.year, "comparison")
            _div(METRICS["band"] + " " + METRICS["ECI"], "comparison-help",
                 "font-size:0.85em;color:#555")
    return main

