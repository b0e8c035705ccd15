"""Starting a simulation from a region's real data (the ``from_data`` scenario).

An advisor's long-format trade (or patent) table — columns ``location, product,
year, value`` as read by :func:`s3sim.io.load_trade_table` — becomes the model's
initial state:

* every location becomes a region; its initial portfolio is the set of products in
  which it has RCA >= 1 in the chosen year (Balassa 1965);
* regions are typed by their ECI (Hidalgo & Hausmann 2009) in terciles: top third
  ``leading``, bottom third ``lagging``, the rest ``intermediate``;
* firms are allocated in proportion to each location's total value;
* the product space is the Atlas HS92 one when the products are HS92 4-digit codes
  found there (unmatched codes are dropped and counted in the metadata), otherwise
  it is built from the data by co-occurrence of RCA
  (:meth:`s3sim.space.product_space.ProductSpace.from_trade`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from s3sim.config import ConfigError
from s3sim.io import DataError, load_trade_table, to_matrix
from s3sim.space import metrics
from s3sim.space.product_space import ProductSpace

if TYPE_CHECKING:
    from s3sim.config import ModelConfig

__all__ = ["ATLAS_MATCH_SHARE", "InitialState", "load_initial_state"]

ATLAS_MATCH_SHARE = 0.8
"""Use the Atlas product space when at least this share of the data's products are in it."""


@dataclass
class InitialState:
    """Regions and their portfolios read from data."""

    product_space: ProductSpace
    region_names: list[str]
    region_types: np.ndarray
    portfolios: list[np.ndarray]
    firm_weights: np.ndarray
    info: dict[str, object] = field(default_factory=dict)


def _type_by_eci(presence: np.ndarray) -> np.ndarray:
    eci, _ = metrics.eci_pci(presence)
    eci = np.nan_to_num(eci, nan=-np.inf)
    rank = np.argsort(np.argsort(-eci, kind="stable"), kind="stable")
    n = presence.shape[0]
    third = n / 3.0
    return np.where(rank < third, "leading", np.where(rank >= n - third, "lagging",
                                                       "intermediate"))


def load_initial_state(config: ModelConfig, product_space: ProductSpace | None = None
                       ) -> InitialState:
    """Read ``config.initial_data`` and turn it into regions, types and portfolios.

    Raises
    ------
    ConfigError
        If the file is missing or malformed (the :class:`~s3sim.io.DataError` message
        is kept), if the year is absent, or if no product matches the product space.
    """
    path = config.initial_data
    try:
        df = load_trade_table(path)
        year = config.initial_year if config.initial_year is not None else df["year"].max()
        X, locations, products = to_matrix(df, year)
    except (DataError, OSError) as exc:
        raise ConfigError(f"initial_data: {exc}") from None
    if product_space is None:
        atlas = ProductSpace.atlas()
        matched = np.isin(products, atlas.codes).mean()
        if config.product_space == "atlas" or matched >= ATLAS_MATCH_SHARE:
            product_space = atlas
        else:
            product_space = ProductSpace.from_trade(df, year=year)
    index = {code: i for i, code in enumerate(product_space.codes)}
    columns = np.array([index.get(p, -1) for p in products])
    keep = columns >= 0
    if not keep.any():
        raise ConfigError(
            f"initial_data: none of the {len(products)} products of {path} is in the product "
            f"space ({product_space.source}); use product codes of that space, e.g. HS92 "
            "4-digit codes such as '0101' for the Atlas"
        )
    X_ps = np.zeros((len(locations), product_space.n_products))
    X_ps[:, columns[keep]] = X[:, keep]
    presence = metrics.rca(X_ps) >= 1.0
    portfolios = []
    for r in range(len(locations)):
        held = np.flatnonzero(presence[r])
        if held.size == 0:  # no RCA anywhere: start from its largest product
            held = np.array([int(np.argmax(X_ps[r]))])
        portfolios.append(held)
    totals = X_ps.sum(axis=1)
    weights = np.where(totals > 0, totals, totals[totals > 0].min() if (totals > 0).any() else 1)
    return InitialState(
        product_space=product_space,
        region_names=list(locations),
        region_types=_type_by_eci(presence),
        portfolios=portfolios,
        firm_weights=weights / weights.sum(),
        info={"year": year, "unmatched_products": int((~keep).sum())},
    )
