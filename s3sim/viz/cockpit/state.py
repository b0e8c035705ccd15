"""One browser tab's cockpit: the live runs, their background bands and chart templates.

No UI code: :mod:`s3sim.viz.app` renders what :class:`Session` holds.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import pandas as pd

from s3sim.viz.cockpit.bands import BandJob, indicator_table
from s3sim.viz.cockpit.charts import ComparisonTemplate, MapTemplate
from s3sim.viz.cockpit.glossary import policy_label
from s3sim.viz.cockpit.session import BASELINE, MY_DATA, Cockpit, CockpitSettings

__all__ = ["COMPARED_INDICATORS", "Panels", "Session", "readable_error", "summary_rows"]

#: The comparison's panels.
COMPARED_INDICATORS: list[str] = [
    "diversity", "additional_diversity", "additional_entries", "additional_mean_pci",
]


@dataclass(frozen=True)
class Panels:
    """What the cockpit's panels show for one region and year (see :meth:`Session.panels`).

    ``map_data`` and ``comparison_data`` are the charts' named datasets.
    """

    year: int
    map_title: str
    map_subtitle: str
    map_data: dict[str, Any]
    comparison_title: str
    comparison_data: dict[str, Any]
    rows: list[dict[str, str]]


def readable_error(exc: BaseException, settings: CockpitSettings) -> str:
    """One line for the page when the runs cannot be built (e.g. a bad data file).

    Parameters
    ----------
    exc
        What went wrong.
    settings
        The settings that were tried.

    Returns
    -------
    str
        The message, naming the file when the run starts from data.

    Examples
    --------
    >>> s = CockpitSettings(scenario="my_data", data_path="x.csv")
    >>> readable_error(ValueError("no column 'year'"), s)
    "Could not start from your data x.csv: no column 'year'"
    """
    message = " ".join(str(exc).split()) or type(exc).__name__
    cli_hint = message.find("; pass the right name(s) with --")
    if cli_hint >= 0:  # the command line's advice; here the file itself must change
        message = (message[:cli_hint]
                   + "; rename the file's columns to location, product, year, value")
    if settings.scenario == MY_DATA:
        if settings.data_path and settings.data_path in message:
            return f"Could not start from your data: {message}"
        return f"Could not start from your data {settings.data_path or ''}: {message}".replace(
            " :", ":")
    return f"Could not build the runs: {message}"


class Session:
    """The live runs of one browser tab and everything derived from them.

    Parameters
    ----------
    settings
        The first settings (default: :class:`CockpitSettings`).
    pool
        Executor of the bands (default: the shared background worker process).
    """

    def __init__(self, settings: CockpitSettings | None = None,
                 pool: Executor | None = None) -> None:
        self.pool = pool
        self.settings = settings or CockpitSettings()
        self.cockpit = Cockpit(self.settings)
        self.bands = BandJob(self.settings, self.pool)
        self._maps: dict[int, MapTemplate] = {}
        self._comparison = self._new_comparison()
        self._band_cache: tuple[Any, pd.DataFrame | None] = (None, None)

    def _new_comparison(self) -> ComparisonTemplate:
        return ComparisonTemplate(list(self.cockpit.runs), COMPARED_INDICATORS,
                                  self.cockpit.horizon)

    def apply(self, settings: CockpitSettings) -> None:
        """Rebuild the live runs with ``settings`` (year 0) and restart the bands.

        Raises
        ------
        Exception
            Whatever building the runs raised (the previous runs are kept).
        """
        cockpit = Cockpit(settings)
        self.bands.cancel()
        self.settings, self.cockpit = settings, cockpit
        self.bands = BandJob(settings, self.pool)
        self._comparison = self._new_comparison()

    def close(self) -> None:
        """Cancel the bands not started yet (the tab was closed)."""
        self.bands.cancel()

    # ---- charts -------------------------------------------------------------------
    def map_template(self) -> MapTemplate:
        """The map chart of the current product space (built once per product space)."""
        ps = self.cockpit.baseline.product_space
        if id(ps) not in self._maps:
            self._maps = {id(ps): MapTemplate(ps.edges, ps.xy)}
        return self._maps[id(ps)]

    @property
    def comparison_template(self) -> ComparisonTemplate:
        """The comparison chart of the current runs."""
        return self._comparison

    def map_data(self, run: str, region: int) -> tuple[str, str, dict[str, Any]]:
        """Title, subtitle and datasets of the map of ``run`` for ``region`` now."""
        view = self.cockpit.product_view(run, region)
        counts = (f"{int(view['has_rca'].sum())} products with RCA ≥ 1 (cluster colours) · "
                  f"{int(view['prioritised'].sum())} priority domains (ringed in black) · "
                  f"{int(view['new'].sum())} new this year (red stars)")
        title = (f"{self.cockpit.region_label(region)} · {policy_label(run)} · "
                 f"year {self.cockpit.year}")
        return title, counts, self.map_template().datasets(view)

    def comparison_title(self, region: int) -> str:
        """Title of the comparison chart."""
        return (f"{self.cockpit.region_label(region)}: instruments against the same-seed "
                "baseline (line: live seed; dashed line and band: mean and 90 % CI over "
                "seeds)")

    def band_summary(self, region: int) -> pd.DataFrame | None:
        """:meth:`BandJob.summary` for ``region``, recomputed only when a seed came in."""
        key = (id(self.bands), len(self.bands.finished()), region)
        if self._band_cache[0] != key:
            self._band_cache = (key, self.bands.summary(region))
        return self._band_cache[1]

    def panels(self, region: int, run: str) -> Panels:
        """Everything the panels show now, for ``region`` and the map of ``run``.

        Reads the runs under their lock, so a step (Play) never interleaves.
        """
        with self.cockpit.lock:
            cockpit = self.cockpit
            year = cockpit.year
            live = self.live_table(region)
            map_title, map_subtitle, map_data = self.map_data(run, region)
        bands = self.band_summary(region)
        return Panels(
            year=year, map_title=map_title, map_subtitle=map_subtitle, map_data=map_data,
            comparison_title=self.comparison_title(region),
            comparison_data=self._comparison.datasets(live, bands),
            rows=summary_rows(live, bands, year, cockpit.horizon, list(cockpit.runs)),
        )

    def live_table(self, region: int) -> pd.DataFrame:
        """:func:`indicator_table` of the live runs for ``region``."""
        return indicator_table(self.cockpit.series(), region)


def summary_rows(live: pd.DataFrame, bands: pd.DataFrame | None, year: int,
                 horizon: int, runs: list[str] | None = None) -> list[dict[str, str]]:
    """The headline table: per run, where the chosen region stands now and at the horizon.

    Parameters
    ----------
    live
        :func:`indicator_table` of the live seed for the region.
    bands
        :func:`s3sim.viz.cockpit.bands.band_summary` for the region, or None.
    year, horizon
        Current year and last year.
    runs
        Row order (default: as in ``live``).

    Returns
    -------
    list of dict
        One row per run with the columns shown in the page.
    """
    now = live[live["step"] == year].set_index(["indicator", "run"])["value"]
    rows = []
    for run in runs or list(dict.fromkeys(live["run"])):
        def get(key: str, run: str = run) -> float:
            return float(now.get((key, run), math.nan))

        extra = get("additional_entries")
        spent = get("budget_spent")
        cost = spent / extra if extra > 0 else math.nan
        expected = "…"
        if bands is not None and run != BASELINE:
            end = bands[(bands["indicator"] == "additional_entries") & (bands["run"] == run)
                        & (bands["step"] == horizon)]
            if not end.empty:
                r = end.iloc[0]
                expected = f"{r['mean']:+.1f} [{r['low']:+.1f}, {r['high']:+.1f}] ({int(r['n'])})"
        rows.append({
            "instrument": policy_label(run),
            "diversity": f"{get('diversity'):.0f}",
            "Δ diversity": "0 (reference)" if run == BASELINE
            else f"{get('additional_diversity'):+.0f}",
            "Δ entries": "–" if run == BASELINE else f"{extra:+.0f}",
            "budget spent": f"{spent:.1f}",
            "cost per Δ entry": "–" if run == BASELINE or math.isnan(cost) else f"{cost:.2f}",
            f"Δ entries by year {horizon}": "–" if run == BASELINE else expected,
        })
    return rows

