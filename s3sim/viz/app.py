"""Interactive dashboard: watch a policy act on the product space (Mesa SolaraViz).

Run it with ``s3sim-dashboard`` (or ``solara run s3sim.viz.app``) and open
http://127.0.0.1:8765.  The sidebar sets the scenario, the policy instrument, its
budget and governance parameters, the region to show and the seed; *Reset*
builds the run with those settings, *Step* advances it one simulated year.

The page shows

* a **status** card: year, region, products with RCA, this year's entries and
  the time the last step took;
* the **product-space map** on the Atlas layout: the chosen region's products
  with RCA coloured by cluster, the current S3 priority domains ringed, this
  year's new entries as red stars (they flash for one step);
* **time series** of diversity, ECI, mean PCI, output, entries and budget spent
  for the chosen region against the other regions;
* a **baseline comparison**: the same seed run without policy (common random
  numbers) stepped alongside, and the paired differences.

The dashboard only imports the model (``s3sim.model``), never the experiment
runner.  :class:`DashboardModel` wraps the policy run and its baseline into the
single Mesa model that SolaraViz drives.
"""

from __future__ import annotations

import dataclasses
import io
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from mesa import Model
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update, update_counter

from s3sim.config import POLICY_NAMES, ModelConfig, PolicyConfig
from s3sim.model import S3Model
from s3sim.scenarios import SCENARIOS
from s3sim.viz.product_space_map import draw_product_space

__all__ = [
    "DEFAULTS",
    "Dashboard",
    "DashboardModel",
    "FigureCard",
    "Page",
    "StatusPanel",
    "model_params",
]

#: Default control values (also the initial model's arguments).
DEFAULTS: dict[str, Any] = {
    "scenario_name": "default",
    "policy": "smart_specialisation",
    "budget": 10.0,
    "signal_noise": 0.5,
    "capture": 0.0,
    "absorptive_threshold": ModelConfig().absorptive_threshold,
    "region": 0,
    "seed": 42,
}

#: Time-series panels: (history column, title, cumulative?).
SERIES: tuple[tuple[str, str, bool], ...] = (
    ("diversity", "Diversity (products with RCA)", False),
    ("eci", "ECI", False),
    ("mean_pci", "Mean PCI of the portfolio", False),
    ("output", "Output", False),
    ("entries", "New entries (cumulative)", True),
    ("budget_spent", "Budget spent (cumulative)", True),
)

_MAX_REGIONS = max(cfg.n_regions for cfg in SCENARIOS.values())


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


class DashboardModel(Model):
    """A policy run and its same-seed baseline, stepped together for SolaraViz.

    Parameters
    ----------
    scenario_name
        Key of :data:`s3sim.scenarios.SCENARIOS`.
    policy
        Policy instrument, one of :data:`s3sim.config.POLICY_NAMES`.
    budget
        Budget per region and year (output units), as in :class:`PolicyConfig`.
    signal_noise
        Governance quality: noise on perceived scores in the discovery process.
    capture
        Capture by incumbents, in [0, 1].
    absorptive_threshold
        Relatedness density below which spillovers cannot be absorbed.
    region
        Index of the region shown in the map and highlighted in the plots
        (clipped to the scenario's number of regions).
    seed
        Seed shared by the policy run and its baseline (common random numbers).

    Attributes
    ----------
    run : s3sim.model.S3Model
        The run with the chosen policy.
    baseline : s3sim.model.S3Model
        The same scenario and seed without policy; ``run`` itself when the policy
        is ``"none"`` or has no budget (the two would be identical).
    last_step_seconds : float
        Wall time of the last :meth:`step` (both models).
    """

    def __init__(
        self,
        scenario_name: str = DEFAULTS["scenario_name"],
        policy: str = DEFAULTS["policy"],
        budget: float = DEFAULTS["budget"],
        signal_noise: float = DEFAULTS["signal_noise"],
        capture: float = DEFAULTS["capture"],
        absorptive_threshold: float = DEFAULTS["absorptive_threshold"],
        region: int = DEFAULTS["region"],
        seed: int = DEFAULTS["seed"],
    ) -> None:
        seed = int(seed)
        super().__init__(rng=seed)
        config, policy_config, baseline_config = self.build_configs(
            scenario_name, policy, budget, signal_noise, capture, absorptive_threshold
        )
        self.scenario_name = scenario_name
        self.policy_name = policy
        self.budget = float(budget)
        self.signal_noise = float(signal_noise)
        self.capture = float(capture)
        self.absorptive_threshold = float(absorptive_threshold)
        self.seed = seed
        self.config = config
        self.run = S3Model(config=config, policy=policy_config, rng=seed)
        if policy_config.name == "none" or not policy_config.has_budget:
            self.baseline = self.run
        else:
            self.baseline = S3Model(
                config=config,
                policy=baseline_config,
                product_space=self.run.product_space,
                rng=seed,
            )
        self.region = int(np.clip(int(region), 0, len(self.run.region_names) - 1))
        self.last_step_seconds = 0.0
        self.horizon = int(config.steps)
        self.running = self.horizon > 0

    @staticmethod
    def build_configs(
        scenario_name: str,
        policy: str,
        budget: float,
        signal_noise: float,
        capture: float,
        absorptive_threshold: float,
    ) -> tuple[ModelConfig, PolicyConfig, PolicyConfig]:
        """Turn the dashboard's controls into validated configurations.

        Parameters
        ----------
        scenario_name, policy, budget, signal_noise, capture, absorptive_threshold
            As in :class:`DashboardModel`.

        Returns
        -------
        tuple
            ``(model_config, policy_config, baseline_policy_config)``.
        """
        if scenario_name not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario_name!r}; allowed: {', '.join(SCENARIOS)}")
        governance = {
            "signal_noise": float(signal_noise),
            "capture": float(capture),
            "absorptive_threshold": float(absorptive_threshold),
        }
        config = SCENARIOS[scenario_name]
        model_changes = {k: v for k, v in governance.items() if k in _fields(ModelConfig)}
        if model_changes:
            config = config.replace(**model_changes)
        policy_kwargs = {k: v for k, v in governance.items() if k in _fields(PolicyConfig)}
        policy_config = PolicyConfig(name=policy, budget=float(budget), **policy_kwargs)
        baseline_config = PolicyConfig(name="none", **policy_kwargs)
        return config, policy_config, baseline_config

    def step(self) -> None:
        """Advance the policy run and its baseline by one simulated year."""
        start = time.perf_counter()
        self.run.step()
        if self.baseline is not self.run:
            self.baseline.step()
        self.last_step_seconds = time.perf_counter() - start
        if self.run.steps >= self.horizon:
            self.running = False

    # ---- views used by the panels -------------------------------------------------

    @property
    def region_label(self) -> str:
        """Return the name and type of the region shown."""
        r = self.region
        return f"{self.run.region_names[r]} ({self.run.region_types[r]})"

    def region_labels(self) -> list[str]:
        """Labels of all regions, ``"<index>: <name> (<type>)"``."""
        return [
            f"{i}: {name} ({kind})"
            for i, (name, kind) in enumerate(
                zip(self.run.region_names, self.run.region_types, strict=True)
            )
        ]

    def new_entries(self, region: int | None = None) -> np.ndarray:
        """Return the products the region gained RCA in during the last step."""
        region = self.region if region is None else region
        entries = np.asarray(self.run.last_entries, dtype=int).reshape(-1, 2)
        return entries[entries[:, 0] == region, 1]

    def priority_domains(self, region: int | None = None) -> np.ndarray:
        """Return the current S3 priority domains of the region (empty for other policies)."""
        region = self.region if region is None else region
        priorities = getattr(self.run, "priorities", None) or {}
        return np.asarray(priorities.get(region, np.empty(0, dtype=int)), dtype=int)


# ---- drawing (pure matplotlib; no solara) ------------------------------------------


def draw_map(model: DashboardModel, fig: Figure | None = None) -> Figure:
    """Draw the product-space map of the chosen region.

    Parameters
    ----------
    model
        The dashboard model.
    fig
        Figure to draw into (a new 7.5 x 5.4 inch figure by default).

    Returns
    -------
    matplotlib.figure.Figure
        The Atlas layout drawn by :func:`s3sim.viz.product_space_map.draw_product_space`:
        the region's products with RCA in their cluster colour (others grey), the
        current S3 priority domains ringed in black, and the products entered in
        the last step as red stars (they flash for one step).
    """
    fig = fig if fig is not None else Figure(figsize=(7.5, 5.4))
    fig.subplots_adjust(left=0.01, right=0.99, top=0.95, bottom=0.01)
    ax = fig.add_subplot()
    ps = model.run.product_space
    xy = np.asarray(ps.xy, dtype=float)
    present = np.asarray(model.run.presence[model.region], dtype=bool)
    priorities = model.priority_domains()
    entries = model.new_entries()
    marked = np.zeros(len(xy), dtype=bool)
    marked[priorities] = True
    draw_product_space(ps, ax=ax, highlight=present, marked=marked, legend=False)
    handles = [
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            ms=6,
            mfc="#0072B2",
            mec="none",
            label=f"RCA ≥ 1 ({int(present.sum())}), cluster colours",
        ),
        Line2D([], [], ls="", marker="o", ms=5, mfc="#d9d9d9", mec="none", label="no RCA"),
    ]
    if priorities.size:
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                ms=8,
                mfc="none",
                mec="black",
                mew=1.4,
                label=f"S3 priority domains ({priorities.size})",
            )
        )
    if entries.size:
        ax.scatter(
            xy[entries, 0],
            xy[entries, 1],
            s=220,
            marker="*",
            c="#e41a1c",
            edgecolors="black",
            linewidths=0.6,
            zorder=5,
        )
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="*",
                ms=11,
                mfc="#e41a1c",
                mec="black",
                mew=0.6,
                label=f"new this year ({entries.size})",
            )
        )
    ax.legend(handles=handles, loc="lower left", fontsize=8, framealpha=0.85)
    ax.set_title(
        f"{model.region_label} · year {model.run.steps} · {model.policy_name}", fontsize=10
    )
    return fig


def _light_axes(ax: Any, title: str) -> None:
    """Title an axes and keep its ticks few (tick labels dominate drawing time)."""
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    ax.locator_params(axis="y", nbins=4)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))


def _history(model: Any) -> pd.DataFrame:
    frame = model.history_frame()
    return frame if frame is not None else pd.DataFrame()


def _region_key(frame: pd.DataFrame, model: DashboardModel) -> Any:
    """Value of the history's ``region`` column for the chosen region (index or name)."""
    if "region" in frame and not pd.api.types.is_numeric_dtype(frame["region"]):
        return model.run.region_names[model.region]
    return model.region


def _region_series(frame: pd.DataFrame, column: str, cumulative: bool) -> pd.DataFrame:
    """Wide table (step x region) of one history column, optionally cumulated."""
    wide = frame.pivot_table(index="step", columns="region", values=column, aggfunc="sum")
    wide = wide.sort_index()
    return wide.cumsum() if cumulative else wide


def draw_time_series(model: DashboardModel, fig: Figure | None = None) -> Figure:
    """Draw the time-series panels: the chosen region against the others.

    Parameters
    ----------
    model
        The dashboard model.
    fig
        Figure to draw into (a new one by default).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per entry of :data:`SERIES`; the chosen region in colour, each
        other region as a thin grey line and their mean dashed.
    """
    fig = fig if fig is not None else Figure(figsize=(9.0, 5.2))
    fig.subplots_adjust(left=0.06, right=0.99, top=0.94, bottom=0.09, wspace=0.28, hspace=0.3)
    axes = fig.subplots(2, 3, sharex=True).ravel()
    frame = _history(model.run)
    name = _region_key(frame, model)
    for ax, (column, title, cumulative) in zip(axes, SERIES, strict=True):
        _light_axes(ax, title)
        if frame.empty or column not in frame:
            continue
        wide = _region_series(frame, column, cumulative)
        others = wide.drop(columns=[name], errors="ignore")
        if not others.empty:
            ax.plot(others.index, others.to_numpy(), color="0.75", linewidth=0.5)
            ax.plot(
                others.index,
                others.mean(axis=1),
                "k--",
                linewidth=1.2,
                label="other regions (mean)",
            )
        if name in wide:
            ax.plot(
                wide.index,
                wide[name],
                color="#1f77b4",
                linewidth=2.2,
                label=model.run.region_names[model.region],
            )
    axes[0].legend(fontsize=7, loc="best")
    for ax in axes[3:]:
        ax.set_xlabel("year", fontsize=8)
    return fig


def _paired(model: DashboardModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """History of the run and of its baseline, aligned on (step, region)."""
    run = _history(model.run)
    base = run if model.baseline is model.run else _history(model.baseline)
    return run, base


def draw_baseline(model: DashboardModel, fig: Figure | None = None) -> Figure:
    """Draw the comparison with the same-seed baseline (no policy).

    Parameters
    ----------
    model
        The dashboard model.
    fig
        Figure to draw into (a new one by default).

    Returns
    -------
    matplotlib.figure.Figure
        Paired differences (policy − baseline) of diversity and of the portfolio's
        mean PCI for the chosen region and the mean over all regions (ECI is
        standardised within each run, so its paired difference is not shown), and
        cumulative entries of both runs.
    """
    fig = fig if fig is not None else Figure(figsize=(12.0, 3.0))
    fig.subplots_adjust(left=0.06, right=0.99, top=0.9, bottom=0.16, wspace=0.28)
    axes = fig.subplots(1, 3)
    run, base = _paired(model)
    name = _region_key(run, model)
    titles = (
        "Δ diversity (policy − baseline)",
        "Δ mean PCI of the portfolio (policy − baseline)",
        "New entries, cumulative (all regions)",
    )
    for ax, title in zip(axes, titles, strict=True):
        _light_axes(ax, title)
        ax.set_xlabel("year", fontsize=8)
    if run.empty:
        return fig
    for ax, column in zip(axes[:2], ("diversity", "mean_pci"), strict=True):
        if column not in run:
            continue
        diff = (_region_series(run, column, False) - _region_series(base, column, False)).round(10)
        ax.axhline(0.0, color="0.6", linewidth=0.8)
        ax.plot(diff.index, diff.mean(axis=1), "k--", linewidth=1.4, label="all regions (mean)")
        if name in diff:
            ax.plot(
                diff.index,
                diff[name],
                color="#1f77b4",
                linewidth=2.0,
                label=model.run.region_names[model.region],
            )
    axes[0].legend(fontsize=7, loc="best")
    if "entries" in run:
        for frame, label, style in ((run, model.policy_name, "-"), (base, "baseline", "--")):
            total = frame.groupby("step")["entries"].sum().sort_index().cumsum()
            ax = axes[2]
            ax.plot(total.index, total.to_numpy(), style, linewidth=1.8, label=label)
        axes[2].legend(fontsize=7, loc="best")
    return fig


def summary(model: DashboardModel) -> dict[str, Any]:
    """Headline numbers for the status panel.

    Parameters
    ----------
    model
        The dashboard model.

    Returns
    -------
    dict
        ``year``, ``region``, ``diversity``, ``entries``, ``priorities``,
        ``extra_entries`` (policy − baseline, all regions, cumulative),
        ``budget_spent`` (all regions, cumulative), ``step_ms``.
    """
    run, base = _paired(model)
    extra = spent = 0.0
    if not run.empty and "entries" in run:
        extra = float(run["entries"].sum() - base["entries"].sum())
    if not run.empty and "budget_spent" in run:
        spent = float(run["budget_spent"].sum())
    return {
        "year": int(model.run.steps),
        "region": model.region_label,
        "diversity": int(np.asarray(model.run.presence[model.region]).sum()),
        "entries": int(model.new_entries().size),
        "priorities": int(model.priority_domains().size),
        "extra_entries": extra,
        "budget_spent": spent,
        "step_ms": 1000.0 * model.last_step_seconds,
    }


# ---- solara components ---------------------------------------------------------------


def _png(fig: Figure, name: str) -> solara.Element:
    """Render a figure to PNG bytes and show it at the width of its container."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    return solara.Image(buffer.getvalue(), format="png", width="100%", classes=[f"s3sim-{name}"])


def _div(text: str, name: str) -> solara.Element:
    return solara.v.Html(tag="div", children=[text], class_=f"s3sim-{name}")


@solara.component
def StatusPanel(model: DashboardModel) -> solara.Element:
    """Show the year, region, headline numbers and an instant region switch."""
    update_counter.get()
    info = summary(model)
    labels = model.region_labels()

    def choose(label: str) -> None:
        model.region = labels.index(label)
        force_update()

    with solara.Card("Status", margin=0) as card:
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            with solara.Column(style={"min-width": "280px"}):
                solara.Select(
                    label="Region shown (switches at once)",
                    value=labels[model.region],
                    values=labels,
                    on_value=choose,
                )
            with solara.Column(gap="2px"):
                _div(
                    f"Year {info['year']} of {model.horizon} · scenario {model.scenario_name} · "
                    f"policy {model.policy_name} · seed {model.seed}",
                    "year",
                )
                _div(
                    f"budget {model.budget:g} per region-year · signal noise "
                    f"{model.signal_noise:g} · capture {model.capture:g} · absorptive "
                    f"threshold {model.absorptive_threshold:g}",
                    "params",
                )
                _div(
                    f"{info['region']}: {info['diversity']} products with RCA, "
                    f"{info['entries']} new this year, {info['priorities']} priority domains",
                    "region",
                )
                _div(
                    f"All regions vs same-seed baseline: {info['extra_entries']:+.0f} entries "
                    f"for {info['budget_spent']:.0f} spent · last step "
                    f"{info['step_ms']:.0f} ms",
                    "baseline-summary",
                )
    return card


@solara.component
def FigureCard(model: DashboardModel, title: str, draw: Callable[[DashboardModel], Figure],
               key: str) -> solara.Element:
    """A card showing the figure ``draw(model)`` returns, redrawn after every step."""
    update_counter.get()
    with solara.Card(title, margin=0) as card:
        _png(draw(model), key)
    return card


def _map_title(model: DashboardModel) -> str:
    name = model.config.product_space
    return "Product space (Atlas HS92 layout)" if name == "atlas" else f"Product space ({name})"


@solara.component
def Dashboard(model: DashboardModel) -> solara.Element:
    """Lay out the panels: status on top, map beside the time series, baseline below."""
    with solara.Column(gap="12px", style={"padding": "12px"}) as column:
        StatusPanel(model)
        with solara.Columns([6, 6], gutters_dense=True):
            FigureCard(model, _map_title(model), draw_map, "map")
            FigureCard(model, "Chosen region against the others", draw_time_series,
                       "timeseries")
        FigureCard(model, "Policy run against its same-seed baseline", draw_baseline,
                   "baseline")
    return column


#: SolaraViz controls; they take effect on *Reset*.
model_params: dict[str, Any] = {
    "scenario_name": {
        "type": "Select",
        "value": DEFAULTS["scenario_name"],
        "values": list(SCENARIOS),
        "label": "Scenario",
    },
    "policy": {
        "type": "Select",
        "value": DEFAULTS["policy"],
        "values": list(POLICY_NAMES),
        "label": "Policy instrument",
    },
    "budget": {
        "type": "SliderFloat",
        "value": DEFAULTS["budget"],
        "min": 0.0,
        "max": 50.0,
        "step": 1.0,
        "label": "Budget per region and year",
    },
    "signal_noise": {
        "type": "SliderFloat",
        "value": DEFAULTS["signal_noise"],
        "min": 0.0,
        "max": 2.0,
        "step": 0.1,
        "label": "Governance: signal noise",
    },
    "capture": {
        "type": "SliderFloat",
        "value": DEFAULTS["capture"],
        "min": 0.0,
        "max": 1.0,
        "step": 0.05,
        "label": "Governance: capture by incumbents",
    },
    "absorptive_threshold": {
        "type": "SliderFloat",
        "value": DEFAULTS["absorptive_threshold"],
        "min": 0.0,
        "max": 0.5,
        "step": 0.01,
        "label": "Absorptive threshold",
    },
    "region": {
        "type": "SliderInt",
        "value": DEFAULTS["region"],
        "min": 0,
        "max": _MAX_REGIONS - 1,
        "step": 1,
        "label": "Region shown (index)",
    },
    "seed": {
        "type": "SliderInt",
        "value": DEFAULTS["seed"],
        "min": 0,
        "max": 999,
        "step": 1,
        "label": "Seed",
    },
}


@solara.component
def Page() -> solara.Element:
    """Serve the dashboard page (what ``solara run s3sim.viz.app`` shows).

    Mesa's :func:`~mesa.visualization.SolaraViz` draws the app bar and the sidebar
    (run controls, model parameters, step counter) and rebuilds the model on
    *Reset*; the panels are laid out by :func:`Dashboard` and follow the same
    reactive model.  Each browser session gets its own :class:`DashboardModel`.
    """
    initial = solara.use_memo(DashboardModel, [])
    model = solara.use_reactive(initial)
    with solara.Column(gap="0px") as main:
        SolaraViz(
            model,
            components=[],
            model_params=model_params,
            name="s3sim: policies on the product space",
            play_interval=300,
        )
        Dashboard(model.value)
    return main
