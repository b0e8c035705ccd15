"""Recording a run: per-step arrays in, tidy pandas tables out.

The model hands the recorder a few arrays per step; the recorder keeps them compact
(NumPy arrays, not Python rows) and builds the tables users load:

``regions``
    one row per (step, region): seed, step, region, region_name, region_type, policy,
    diversity, eci, mean_pci, output, employment, n_firms, n_research_bodies,
    entries, exits, related_entries, budget_spent, budget_unspent, firm_entries,
    firm_exits, subsidised_entries.
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

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from s3sim.space import metrics

if TYPE_CHECKING:
    from s3sim.model import S3Model

__all__ = ["Recorder", "related_mask"]


def related_mask(density: np.ndarray, presence: np.ndarray) -> np.ndarray:
    """(region, product) pairs whose density is above the region's median among absent products.

    An entry into such a product counts as *related* (the split used by Balland et al.
    2019 for the relatedness axis of their quadrants).
    """
    absent = ~presence
    masked = np.where(absent, density, np.nan)
    with np.errstate(all="ignore"):
        median = np.nanmedian(masked, axis=1)
    median = np.nan_to_num(median, nan=np.inf)
    return density > median[:, None]


class Recorder:
    """Collects what happens in a run of an :class:`~s3sim.model.S3Model`."""

    def __init__(self, model: S3Model) -> None:
        self.model = model
        self._regions: list[dict[str, np.ndarray]] = []
        self._presence: list[np.ndarray] = []
        self._entries: list[dict[str, np.ndarray]] = []
        self._priorities: list[np.ndarray] = []

    def record_step(self, stats: dict[str, Any]) -> None:
        """Store the state after a step (or the initial state, step 0)."""
        m = self.model
        step = m.steps
        ps = m.product_space
        presence = m.presence
        diversity = presence.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_pci = np.where(diversity > 0, presence @ ps.pci / np.maximum(diversity, 1),
                                np.nan)
        try:
            eci, _ = metrics.eci_pci(presence)
        except ValueError:  # fewer than two diversified regions: ECI undefined
            eci = np.full(m.n_regions, np.nan)
        gained = stats["gained"]
        related = gained & related_mask(stats["density_before"], stats["presence_before"])
        f = m.firms
        subsidised_firms = np.bincount(
            f.region[f.subsidised].astype(np.int64) * m.n_products + f.product[f.subsidised],
            minlength=m.n_regions * m.n_products,
        ).reshape(m.n_regions, m.n_products) > 0
        n_r = m.n_regions
        self._regions.append({
            "step": np.full(n_r, step),
            "region": np.arange(n_r),
            "diversity": diversity,
            "eci": eci,
            "mean_pci": mean_pci,
            "output": m.output_matrix.sum(axis=1),
            "employment": m.regional_employment,
            "n_firms": np.bincount(f.region[f.alive], minlength=n_r),
            "n_research_bodies": m.research.count_by_region(n_r),
            "entries": gained.sum(axis=1),
            "exits": stats["lost"].sum(axis=1),
            "related_entries": related.sum(axis=1),
            "budget_spent": stats["budget_spent"],
            "budget_unspent": stats["budget_unspent"],
            "firm_entries": np.bincount(stats["firm_entry_region"], minlength=n_r),
            "firm_exits": np.bincount(stats["firm_exit_region"], minlength=n_r),
            "subsidised_entries": (gained & subsidised_firms).sum(axis=1),
        })
        r, p = np.nonzero(presence)
        self._presence.append(np.column_stack([np.full(r.size, step), r, p]))
        gr, gp = np.nonzero(gained)
        fr, fp = stats["firm_entry_region"], stats["firm_entry_product"]
        density = stats["density_before"]
        self._entries.append({
            "step": np.full(gr.size + fr.size, step),
            "region": np.concatenate([gr, fr]),
            "product": np.concatenate([gp, fp]),
            "density": np.concatenate([density[gr, gp], density[fr, fp]]),
            "subsidised": np.concatenate([subsidised_firms[gr, gp],
                                          stats["firm_entry_subsidised"]]),
            "event": np.repeat(np.array(["specialisation", "firm_entry"]), [gr.size, fr.size]),
        })
        rows = [np.column_stack([np.full(len(prods), step), np.full(len(prods), region),
                                 prods, np.arange(1, len(prods) + 1)])
                for region, prods in sorted(m.priorities.items()) if len(prods)]
        if rows:
            self._priorities.append(np.vstack(rows))

    # ----------------------------------------------------------------- tables
    def _decorate(self, df: pd.DataFrame, with_product: bool = False) -> pd.DataFrame:
        m = self.model
        df.insert(0, "seed", np.int64(m.seed))
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
        df.insert(df.columns.get_loc("region_type") + 1, "policy", self.model.policy.name)
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
                  np.asarray(self.model.product_space.pci)[df["product"]])
        return self._decorate(df, with_product=True)

    def priorities_frame(self) -> pd.DataFrame:
        """The ``priorities`` table (priority products per step and region, ranked)."""
        data = np.vstack(self._priorities) if self._priorities else np.empty((0, 4), dtype=int)
        df = pd.DataFrame(data.astype(np.int64), columns=["step", "region", "product", "rank"])
        return self._decorate(df, with_product=True)
