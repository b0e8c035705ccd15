"""The cockpit's settings and its live runs: a baseline and the compared instruments.

Every instrument is run on the **same seed** as a run without policy (the baseline),
so the difference between them at any year is the effect of the instrument alone
(common random numbers: the natural draws of firms are identical in all runs; see
``docs/policies.md``).  The cockpit only uses the public API of
:class:`s3sim.model.S3Model`.

Examples
--------
>>> settings = CockpitSettings(scenario="synthetic_small", instruments=("generic_subsidy",))
>>> cockpit = Cockpit(settings)
>>> cockpit.year, cockpit.horizon, list(cockpit.runs)
(0, 20, ['none', 'generic_subsidy'])
>>> cockpit.step() and cockpit.year
1
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from s3sim.config import POLICY_NAMES, ModelConfig, PolicyConfig
from s3sim.model import S3Model
from s3sim.scenarios import SCENARIOS

__all__ = [
    "BASELINE",
    "MY_DATA",
    "SERIES_COLUMNS",
    "Cockpit",
    "CockpitSettings",
    "InstrumentChoiceError",
]

#: Name of the run without policy that every instrument is compared with.
BASELINE = "none"
#: The ``scenario`` value meaning "start from the advisor's own data file".
MY_DATA = "my_data"
#: Per (run, step, region) columns the cockpit keeps from the model's history.
SERIES_COLUMNS: tuple[str, ...] = (
    "diversity", "eci", "mean_pci", "output", "entries", "budget_spent",
    "subsidised_entries",
)
#: Instruments the cockpit can compare (every policy but the baseline).
INSTRUMENTS: tuple[str, ...] = tuple(p for p in POLICY_NAMES if p != BASELINE)


class InstrumentChoiceError(ValueError):
    """No instrument (or an unknown one) was chosen for the comparison."""


@dataclass(frozen=True)
class CockpitSettings:
    """Everything that defines the compared runs (the region shown is not part of it).

    Parameters
    ----------
    scenario
        A key of :data:`s3sim.scenarios.SCENARIOS`, or :data:`MY_DATA` to start from
        ``data_path`` (the ``from_data`` scenario: every location of the table becomes
        a region with its RCA >= 1 products as initial portfolio).
    data_path
        The advisor's long-format table (``location, product, year, value``; CSV or
        Parquet), used when ``scenario == MY_DATA``.
    instruments
        The policy instruments compared (each against the same-seed baseline).
    budget_share
        Yearly budget of every instrument in every region as a share of the region's
        initial output (``PolicyConfig.budget_share``; the command line's default is
        0.01).
    signal_noise, capture
        Governance of the priority-setting process (``PolicyConfig``).
    absorptive_threshold
        ``ModelConfig.absorptive_threshold``.
    seed
        Seed of the live runs; the bands use ``seed, seed + 1, ..., seed + band_seeds - 1``.
    band_seeds
        Number of seeds of the bands computed in the background.
    """

    scenario: str = "default"
    data_path: str | None = None
    instruments: tuple[str, ...] = ("smart_specialisation", "generic_subsidy")
    budget_share: float = 0.01
    signal_noise: float = 0.5
    capture: float = 0.0
    absorptive_threshold: float = ModelConfig().absorptive_threshold
    seed: int = 42
    band_seeds: int = 8

    def __post_init__(self) -> None:
        chosen = tuple(dict.fromkeys(str(i) for i in self.instruments))
        unknown = [i for i in chosen if i not in INSTRUMENTS]
        if unknown:
            raise InstrumentChoiceError(
                f"unknown instrument(s) {', '.join(unknown)}; allowed: {', '.join(INSTRUMENTS)}"
            )
        if not chosen:
            raise InstrumentChoiceError("choose at least one instrument to compare")
        object.__setattr__(self, "instruments", chosen)
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "band_seeds", max(1, int(self.band_seeds)))

    def replace(self, **changes: Any) -> CockpitSettings:
        """Return a copy with ``changes`` applied."""
        return replace(self, **changes)

    @property
    def seeds(self) -> list[int]:
        """Seeds of the bands (the live seed first)."""
        return [self.seed + k for k in range(self.band_seeds)]

    def model_config(self) -> ModelConfig:
        """The economy: a named scenario or the advisor's data (``from_data``).

        Raises
        ------
        s3sim.config.ConfigError
            Unknown scenario, no file given, or an invalid parameter.
        """
        from s3sim.config import ConfigError

        if self.scenario == MY_DATA:
            if not self.data_path:
                raise ConfigError("my data: choose a file (columns location, product, year, "
                                  "value; CSV or Parquet)")
            base = ModelConfig(product_space="from_data", initial_data=str(self.data_path))
        elif self.scenario in SCENARIOS:
            base = SCENARIOS[self.scenario]
        else:
            raise ConfigError(f"unknown scenario {self.scenario!r}; allowed: "
                              f"{', '.join([*SCENARIOS, MY_DATA])}")
        return base.replace(absorptive_threshold=float(self.absorptive_threshold))

    def policy_config(self, name: str) -> PolicyConfig:
        """The instrument ``name`` with the cockpit's budget share and governance."""
        if name == BASELINE:
            return PolicyConfig(name=BASELINE)
        return PolicyConfig(name=name, budget_share=float(self.budget_share),
                            signal_noise=float(self.signal_noise), capture=float(self.capture))


@dataclass(eq=False)
class Cockpit:
    """The live runs: the baseline and one run per instrument, on one seed, in step.

    Parameters
    ----------
    settings
        What to run.
    seed
        Overrides ``settings.seed`` (the background bands run other seeds).

    Attributes
    ----------
    runs : dict of str to S3Model
        ``{"none": baseline, instrument: run, ...}`` in the order of the settings.
    last_step_seconds : float
        Wall time of the last :meth:`step` of all runs.

    Raises
    ------
    s3sim.config.ConfigError
        Bad settings or an unreadable data file (the message names the file and the fix).
    """

    settings: CockpitSettings
    seed: int | None = None
    runs: dict[str, S3Model] = field(init=False)
    last_step_seconds: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        seed = self.settings.seed if self.seed is None else int(self.seed)
        self.seed = seed
        config = self.settings.model_config()
        baseline = S3Model(config, self.settings.policy_config(BASELINE), rng=seed)
        self.runs = {BASELINE: baseline}
        for name in self.settings.instruments:
            self.runs[name] = S3Model(config, self.settings.policy_config(name),
                                      product_space=baseline.product_space, rng=seed)
        self.horizon = int(config.steps)
        self._lock = threading.Lock()

    @property
    def lock(self) -> threading.Lock:
        """Held while the runs step; hold it to read a consistent year of every run."""
        return self._lock

    # ---- time ---------------------------------------------------------------------
    @property
    def baseline(self) -> S3Model:
        """The run without policy."""
        return self.runs[BASELINE]

    @property
    def year(self) -> int:
        """Simulated years so far (0 before the first step)."""
        return int(self.baseline.steps)

    @property
    def finished(self) -> bool:
        """Whether the horizon (``ModelConfig.steps``) is reached."""
        return self.year >= self.horizon

    def step(self) -> bool:
        """Advance every run by one year, unless the horizon is reached.

        Returns
        -------
        bool
            True when a year was simulated, False at the horizon (nothing happens).
        """
        with self._lock:
            if self.finished:
                return False
            start = time.perf_counter()
            for model in self.runs.values():
                model.step()
            self.last_step_seconds = time.perf_counter() - start
            return True

    def run_to_end(self) -> Cockpit:
        """Step until the horizon; return ``self``."""
        while self.step():
            pass
        return self

    # ---- regions ------------------------------------------------------------------
    @property
    def region_names(self) -> list[str]:
        """Region names (from the data file when the run starts from data)."""
        return [str(n) for n in self.baseline.region_names]

    @property
    def region_types(self) -> list[str]:
        """Region types: leading, intermediate or lagging."""
        return [str(t) for t in self.baseline.region_types]

    def region_label(self, region: int) -> str:
        """``"<name> (<type>)"`` of a region index."""
        return f"{self.region_names[region]} ({self.region_types[region]})"

    # ---- what the panels show -----------------------------------------------------
    def series(self) -> pd.DataFrame:
        """History of every run so far: one row per (run, step, region).

        Returns
        -------
        pandas.DataFrame
            Columns ``run, seed, step, region`` and :data:`SERIES_COLUMNS`; ``region`` is
            the region index.
        """
        frames = []
        for name, model in self.runs.items():
            frame = model.history_frame()
            frame = frame[["step", "region", *SERIES_COLUMNS]].copy()
            if not pd.api.types.is_numeric_dtype(frame["region"]):
                frame["region"] = frame["region"].map(
                    {n: i for i, n in enumerate(model.region_names)})
            frame.insert(0, "run", name)
            frame.insert(1, "seed", self.seed)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def product_view(self, run: str, region: int) -> pd.DataFrame:
        """What the map shows for one run and region, one row per product.

        Returns
        -------
        pandas.DataFrame
            ``code, name, cluster, cluster_name, x, y, pci, rca, density, has_rca,
            prioritised, new`` where ``density`` is the region's relatedness density
            around the product (share of the product's proximity to products the region
            has RCA in), ``prioritised`` marks the current priority domains and ``new``
            the products the region gained RCA in during the last step.
        """
        model = self.runs[run]
        ps = model.product_space
        xy = np.asarray(ps.xy, dtype=float)
        entries = np.asarray(model.last_entries, dtype=int).reshape(-1, 2)
        new = np.zeros(ps.n_products, dtype=bool)
        new[entries[entries[:, 0] == region, 1]] = True
        prioritised = np.zeros(ps.n_products, dtype=bool)
        priorities = (model.priorities or {}).get(region)
        if priorities is not None:
            prioritised[np.asarray(priorities, dtype=int)] = True
        names = ps.cluster_names
        cluster = np.asarray(ps.cluster, dtype=int)
        return pd.DataFrame({
            "code": np.asarray(ps.codes).astype(str),
            "name": np.asarray(ps.names).astype(str),
            "cluster": cluster,
            "cluster_name": [names[c] for c in cluster],
            "x": xy[:, 0],
            "y": xy[:, 1],
            "pci": np.asarray(ps.pci, dtype=float),
            "rca": np.asarray(model.rca[region], dtype=float),
            "density": np.asarray(model.density[region], dtype=float),
            "has_rca": np.asarray(model.presence[region], dtype=bool),
            "prioritised": prioritised,
            "new": new,
        })
