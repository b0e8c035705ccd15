r"""Bands over seeds: the comparison repeated on several seeds in a background worker.

For each seed ``s`` the baseline and every compared instrument run to the horizon on
that seed (:class:`~s3sim.viz.cockpit.session.Cockpit`).  The **paired effect** of an
instrument ``i`` on an indicator ``y`` of region ``r`` in year ``t`` is

.. math:: \Delta y_{irt}(s) = y_{irt}(s) - y_{\mathrm{none},rt}(s),

the same-seed difference (common random numbers).  Over the ``n`` seeds finished so far
the band is the mean effect with its 90 % Student-t confidence interval

.. math:: \bar\Delta \pm t_{0.95,\,n-1}\, \frac{s_\Delta}{\sqrt n}

(``scipy.stats.t``); levels (``y`` itself) get the same treatment.  The interval says
how precisely the seeds pin down the expected effect; it narrows as more seeds finish.

The seeds run in one worker *process* (:func:`executor`), at lower priority, so the
advisor's own stepping keeps the web server's interpreter to itself and wins the CPU.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from s3sim.viz.cockpit.session import BASELINE, Cockpit, CockpitSettings

__all__ = [
    "CONFIDENCE",
    "INDICATORS",
    "BandJob",
    "band_summary",
    "executor",
    "indicator_table",
    "simulate_seed",
]

#: Confidence level of the bands.
CONFIDENCE = 0.90

#: Indicators of the comparison: key -> (history column, cumulative?, paired?).
#: Paired indicators are differences from the same-seed baseline.
INDICATORS: dict[str, tuple[str, bool, bool]] = {
    "diversity": ("diversity", False, False),
    "additional_diversity": ("diversity", False, True),
    "additional_entries": ("entries", True, True),
    "additional_mean_pci": ("mean_pci", False, True),
    "budget_spent": ("budget_spent", True, False),
}


def simulate_seed(settings: CockpitSettings, seed: int) -> pd.DataFrame:
    """Run the baseline and the instruments of ``settings`` on ``seed`` to the horizon.

    Parameters
    ----------
    settings
        The cockpit's settings.
    seed
        The seed of this repetition.

    Returns
    -------
    pandas.DataFrame
        :meth:`Cockpit.series` of the finished runs (one row per run, step and region).
    """
    return Cockpit(settings, seed=seed).run_to_end().series()


def indicator_table(series: pd.DataFrame, region: int | None) -> pd.DataFrame:
    """The comparison's indicators for one region (or the mean over regions).

    Parameters
    ----------
    series
        Rows of :meth:`Cockpit.series` (one or several seeds).
    region
        Region index, or None for the mean over all regions.

    Returns
    -------
    pandas.DataFrame
        Long table ``indicator, run, seed, step, value``; paired indicators have no
        baseline rows (their baseline value is 0 by definition).

    Examples
    --------
    >>> s = pd.DataFrame({"run": ["none", "x", "none", "x"], "seed": 1, "step": [0, 0, 1, 1],
    ...                   "region": 0, "diversity": [5, 5, 6, 8], "entries": [0, 0, 1, 3],
    ...                   "mean_pci": 0.0, "budget_spent": [0, 0, 0, 2]})
    >>> t = indicator_table(s, 0)
    >>> t[t.indicator == "additional_entries"].value.tolist()
    [0.0, 2.0]
    """
    rows = series if region is None else series[series["region"] == region]
    columns = sorted({c for c, _, _ in INDICATORS.values()})
    wide = rows.groupby(["run", "seed", "step"])[columns].mean().sort_index()
    cumulated = wide.groupby(level=["run", "seed"]).cumsum()
    out = []
    for key, (column, cumulative, paired) in INDICATORS.items():
        values = (cumulated if cumulative else wide)[column]
        if paired:
            base = values.xs(BASELINE, level="run")
            values = values.drop(index=BASELINE, level="run")
            values = values - base.reindex(values.index.droplevel("run")).to_numpy()
        frame = values.rename("value").reset_index()
        frame.insert(0, "indicator", key)
        out.append(frame)
    table = pd.concat(out, ignore_index=True)
    table["value"] = table["value"].astype(float).round(10)  # no 1e-17 from float noise
    return table


def band_summary(table: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Mean over seeds and its Student-t confidence interval, per indicator, run and step.

    Parameters
    ----------
    table
        :func:`indicator_table` over several seeds.
    confidence
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        ``indicator, run, step, n, mean, low, high``; ``low`` and ``high`` equal the mean
        when fewer than two seeds are in (no interval yet) or the seeds agree exactly.

    Examples
    --------
    >>> t = pd.DataFrame({"indicator": "d", "run": "x", "seed": [1, 2, 3], "step": 5,
    ...                   "value": [1.0, 2.0, 3.0]})
    >>> band_summary(t).round(3)[["n", "mean", "low", "high"]].values.tolist()
    [[3.0, 2.0, 0.314, 3.686]]
    """
    grouped = table.groupby(["indicator", "run", "step"])["value"]
    out = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    sem = out["sd"].fillna(0.0) / np.sqrt(out["n"])
    half = stats.t.ppf(0.5 + confidence / 2, np.maximum(out["n"] - 1, 1)) * sem
    half = np.where(out["n"] >= 2, half, 0.0)
    out["low"] = out["mean"] - half
    out["high"] = out["mean"] + half
    return out.drop(columns="sd")


# ---- the background worker ----------------------------------------------------------

_EXECUTOR: Executor | None = None


def _exit_with_parent(parent: int) -> None:  # pragma: no cover - runs in the worker
    """Leave when the web server that started this worker is gone (no orphaned work)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _init_worker(parent: int) -> None:  # pragma: no cover - runs in the worker process
    """Lower the worker's priority, one BLAS thread, and tie its life to the server's."""
    try:
        os.nice(10)
    except OSError:
        pass
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def executor() -> Executor:
    """The shared background worker: one process, started on first use, niced.

    A fresh interpreter (``spawn``) is used rather than a fork of the web server, whose
    threads a fork would copy in an undefined state.
    """
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker, initargs=(os.getpid(),),
        )
    return _EXECUTOR


@dataclass
class BandJob:
    """The seeds of one set of settings, submitted to a worker and collected as they end.

    Parameters
    ----------
    settings
        What to run; its :attr:`CockpitSettings.seeds` are submitted one task each.
    pool
        Where to run them (default: :func:`executor`).
    """

    settings: CockpitSettings
    pool: Executor | None = None
    futures: dict[int, Future[pd.DataFrame]] = field(init=False)

    def __post_init__(self) -> None:
        try:
            self.futures = self._submit(self.pool if self.pool is not None else executor())
        except BrokenProcessPool:  # the shared worker died (e.g. killed): start a new one
            if self.pool is not None:
                raise
            global _EXECUTOR
            _EXECUTOR = None
            self.futures = self._submit(executor())

    def _submit(self, pool: Executor) -> dict[int, Future[pd.DataFrame]]:
        return {seed: pool.submit(simulate_seed, self.settings, seed)
                for seed in self.settings.seeds}

    @property
    def total(self) -> int:
        """Number of seeds submitted."""
        return len(self.futures)

    def finished(self) -> list[pd.DataFrame]:
        """Series of the seeds finished without error."""
        return [f.result() for f in self.futures.values()
                if f.done() and not f.cancelled() and f.exception() is None]

    def errors(self) -> list[str]:
        """Messages of the seeds that failed."""
        return [f"seed {seed}: {f.exception()}" for seed, f in self.futures.items()
                if f.done() and not f.cancelled() and f.exception() is not None]

    @property
    def done(self) -> bool:
        """Whether every seed has finished (or failed, or was cancelled)."""
        return all(f.done() for f in self.futures.values())

    def cancel(self) -> None:
        """Cancel the seeds not started yet (a running one finishes and is ignored)."""
        for f in self.futures.values():
            f.cancel()

    def summary(self, region: int | None) -> pd.DataFrame | None:
        """:func:`band_summary` of the finished seeds for a region (None before any)."""
        frames = self.finished()
        if not frames:
            return None
        return band_summary(indicator_table(pd.concat(frames, ignore_index=True), region))
