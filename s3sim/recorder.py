"""Recording a run: per-step arrays in, tidy pandas tables out.

The facade hands the recorder the engine state and each year's
:class:`~s3sim.engine.step.StepResult`; the recorder keeps them compact
(NumPy arrays, not Python rows) and builds the tables users load:

``regions``
    one row per (step, region): seed, step, region, region_name, region_type, policy,
    diversity, eci, mean_pci, output, employment, n_firms, n_research_bodies,
    entries, exits, related_entries, budget_spent, budget_unspent, firm_entries,
    firm_exits, subsidised_entries, established (new established specialisations),
    discoveries (attempts that were the region's first at a product), private_cost
    (attempt costs paid by firms, net of grants), public_input_spent, admin_spent,
    labour_force, applications (for a grant), grants (made and used),
    idiosyncratic_value (the firms' idiosyncratic net value of the attempts they made,
    :func:`s3sim.engine.discovery.idiosyncratic_value`).
``presence``
    one row per (step, region, product) with RCA >= 1.
``entries``
    one row per new regional specialisation (``event = "specialisation"``) and per new
    firm (``event = "firm_entry"``): seed, step, region, product, density (relatedness
    density of the region to the product at the start of the step), pci, subsidised.
``priorities``
    one row per (step, region, priority product) with its rank.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from s3sim.engine.observation import available_budget
from s3sim.space import metrics
from s3sim.space.metrics import related_mask

if TYPE_CHECKING:
    from s3sim.engine.state import EconomyState
    from s3sim.engine.step import StepResult

__all__ = ["Recorder", "related_mask"]


class Recorder:
    """Collects what happens in a run of the engine (Mesa-free).

    Parameters
    ----------
    state : EconomyState
        The run's state (read for names, seed and the product space).
    policy_name : str
        Written in the ``policy`` column of the ``regions`` table.
    """

    def __init__(self, state: EconomyState, policy_name: str) -> None:
        self.state = state
        self.policy_name = policy_name
        self._regions: list[dict[str, np.ndarray]] = []
        self._presence: list[np.ndarray] = []
        self._entries: list[dict[str, np.ndarray]] = []
        self._priorities: list[np.ndarray] = []

    def record_step(self, result: StepResult | None,
                    priorities: dict[int, np.ndarray]) -> None:
        """Store the state after a step (``result``), or the initial state (``None``)."""
        m = self.state
        step = m.step
        n_r, n_p = m.n_regions, m.n_products
        measured = m.measured
        presence = measured.presence
        diversity = presence.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_pci = np.where(diversity > 0,
                                presence @ m.space.pci / np.maximum(diversity, 1), np.nan)
        try:
            eci = metrics.eci(presence)
        except ValueError:  # fewer than two diversified regions: ECI undefined
            eci = np.full(n_r, np.nan)
        if result is None:
            empty = np.empty(0, dtype=np.int64)
            gained = lost = np.zeros((n_r, n_p), dtype=bool)
            density_before, presence_before = measured.density, presence
            spent = unspent = np.zeros(n_r)
            fr, fp, fs, exit_region = empty, empty, np.empty(0, dtype=bool), empty
            zeros = np.zeros(n_r)
            established = discoveries = np.zeros(n_r, dtype=np.int64)
            private_cost = input_spent = admin_spent = idiosyncratic = zeros
            applications = grants = np.zeros(n_r, dtype=np.int64)
        else:
            gained, lost = result.gained, result.lost
            density_before, presence_before = result.density_before, result.presence_before
            spent = result.budget_spent
            unspent = available_budget(m) - spent
            fr, fp, fs = result.entry_region, result.entry_product, result.entry_subsidised
            exit_region = result.exit_region
            established, discoveries = result.established, result.discoveries
            private_cost, input_spent = result.private_cost, result.public_input_spent
            admin_spent = result.admin_spent
            applications, grants = result.applications, result.grants
            idiosyncratic = result.idiosyncratic_value
        related = gained & related_mask(density_before, presence_before)
        f = m.firms
        subsidised_firms = np.bincount(
            f.region[f.subsidised].astype(np.int64) * n_p + f.product[f.subsidised],
            minlength=n_r * n_p,
        ).reshape(n_r, n_p) > 0
        self._regions.append({
            "step": np.full(n_r, step),
            "region": np.arange(n_r),
            "diversity": diversity,
            "eci": eci,
            "mean_pci": mean_pci,
            "output": measured.output.sum(axis=1),
            "employment": measured.employment,
            "n_firms": np.bincount(f.region[f.alive], minlength=n_r),
            "n_research_bodies": m.research.count_by_region(n_r),
            "entries": gained.sum(axis=1),
            "exits": lost.sum(axis=1),
            "related_entries": related.sum(axis=1),
            "budget_spent": spent,
            "budget_unspent": unspent,
            "firm_entries": np.bincount(fr, minlength=n_r),
            "firm_exits": np.bincount(exit_region, minlength=n_r),
            "subsidised_entries": (gained & subsidised_firms).sum(axis=1),
            "established": established,
            "discoveries": discoveries,
            "private_cost": private_cost,
            "public_input_spent": input_spent,
            "admin_spent": admin_spent,
            "labour_force": np.array(m.labour_force, dtype=float),
            "applications": applications,
            "grants": grants,
            "idiosyncratic_value": idiosyncratic,
        })
        r, p = np.nonzero(presence)
        self._presence.append(np.column_stack([np.full(r.size, step), r, p]))
        gr, gp = np.nonzero(gained)
        self._entries.append({
            "step": np.full(gr.size + fr.size, step),
            "region": np.concatenate([gr, fr]),
            "product": np.concatenate([gp, fp]),
            "density": np.concatenate([density_before[gr, gp], density_before[fr, fp]]),
            "subsidised": np.concatenate([subsidised_firms[gr, gp], fs]),
            "event": np.repeat(np.array(["specialisation", "firm_entry"]), [gr.size, fr.size]),
        })
        rows = [np.column_stack([np.full(len(prods), step), np.full(len(prods), region),
                                 prods, np.arange(1, len(prods) + 1)])
                for region, prods in sorted(priorities.items()) if len(prods)]
        if rows:
            self._priorities.append(np.vstack(rows))

    # ----------------------------------------------------------------- tables
    def _decorate(self, df: pd.DataFrame, with_product: bool = False) -> pd.DataFrame:
        m = self.state
        df.insert(0, "seed", np.int64(m.streams.seed))
        names = np.asarray(m.region_names)
        if "region" in df:
            df.insert(df.columns.get_loc("region") + 1, "region_name", names[df["region"]])
            df.insert(df.columns.get_loc("region_name") + 1, "region_type",
                      np.asarray(m.region_types)[df["region"]])
        if with_product:
            codes = np.asarray(m.product_space.codes)
            df.insert(df.columns.get_loc("product") + 1, "product_code", codes[df["product"]])
        return df

    def regions_frame(self) -> pd.DataFrame:
        """The ``regions`` table (one row per step and region)."""
        cols = {k: np.concatenate([d[k] for d in self._regions]) for k in self._regions[0]}
        df = pd.DataFrame(cols)
        df = self._decorate(df)
        df.insert(df.columns.get_loc("region_type") + 1, "policy", self.policy_name)
        return df

    def presence_frame(self) -> pd.DataFrame:
        """The ``presence`` table (RCA >= 1 pairs per step)."""
        data = np.vstack(self._presence) if self._presence else np.empty((0, 3), dtype=int)
        df = pd.DataFrame(data.astype(np.int64), columns=["step", "region", "product"])
        return self._decorate(df, with_product=True)

    def entries_frame(self) -> pd.DataFrame:
        """The ``entries`` table (new specialisations and new firms)."""
        cols = {k: np.concatenate([d[k] for d in self._entries]) for k in self._entries[0]}
        df = pd.DataFrame(cols)
        df["step"] = df["step"].astype(np.int64)
        df["region"] = df["region"].astype(np.int64)
        df["product"] = df["product"].astype(np.int64)
        df.insert(df.columns.get_loc("density") + 1, "pci",
                  np.asarray(self.state.product_space.pci)[df["product"]])
        return self._decorate(df, with_product=True)

    def priorities_frame(self) -> pd.DataFrame:
        """The ``priorities`` table (priority products per step and region, ranked)."""
        data = np.vstack(self._priorities) if self._priorities else np.empty((0, 4), dtype=int)
        df = pd.DataFrame(data.astype(np.int64), columns=["step", "region", "product", "rank"])
        return self._decorate(df, with_product=True)
