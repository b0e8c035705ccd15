"""Starting a simulation from a region's real data (the ``from_data`` scenario).

An advisor's long-format trade (or patent) table — columns ``location, product,
year, value`` as read by :func:`s3sim.io.load_trade_table` — becomes the model's
initial state:

* every location becomes a region; its initial portfolio is the set of products in
  which it has RCA >= 1 in the chosen year (Balassa 1965);
* regions are typed by their ECI (Hidalgo & Hausmann 2009) in terciles: top third
  ``leading``, bottom third ``lagging``, the rest ``intermediate``;
* firms are allocated in proportion to each location's total value;
* product codes are normalised first (:func:`s3sim.io.normalise_product_codes`:
  ``101``, ``101.0`` and ``0101`` are one HS4 product);
* the product space is chosen by an explicit rule, stated in the log and in the
  result's metadata (``product_space.initial_data``), never by a silent fallback:

  ========================  ===========================================================
  requested space           data codes found in the Atlas HS92 space (share ``s``)
  ========================  ===========================================================
  ``atlas``                 ``s >= 0.8``: Atlas, unmatched codes dropped and counted;
                            otherwise an error
  ``from_data`` (auto)      ``s = 1``: Atlas; ``s >= 0.8``: Atlas, unmatched dropped
                            and counted; ``s = 0``: built from the data by
                            co-occurrence of RCA
                            (:meth:`~s3sim.space.product_space.ProductSpace.from_trade`);
                            ``0 < s < 0.8``: an error (a mix of classifications)
  a given ``ProductSpace``  ``s >= 0.8`` of its codes, otherwise an error
  ========================  ===========================================================
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from s3sim.config import ConfigError
from s3sim.io import DataError, load_trade_table, to_matrix
from s3sim.space import metrics
from s3sim.space.product_space import ProductSpace

if TYPE_CHECKING:
    from s3sim.config import ModelConfig

__all__ = ["ATLAS_MATCH_SHARE", "InitialState", "choose_product_space", "load_initial_state"]

log = logging.getLogger(__name__)
_STATED: set[tuple[str, str]] = set()

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


def _examples(codes: list[str]) -> str:
    return ", ".join(repr(c) for c in codes[:3]) + (" ..." if len(codes) > 3 else "")


def choose_product_space(products: list[str], requested: str, path: str,
                         df: object = None, year: object = None,
                         given: ProductSpace | None = None) -> tuple[ProductSpace, str]:
    """Pick the product space for data products by the rule in the module docstring.

    Returns
    -------
    (ProductSpace, str)
        The space and one sentence stating which space is used and what was dropped.

    Raises
    ------
    ConfigError
        When the codes do not match the requested space.
    """
    if given is not None:
        space, name = given, f"the given product space ({given.source})"
    elif requested == "synthetic":
        raise ConfigError(
            "initial_data: a synthetic product space has no product codes to match the data "
            "against; use product_space=from_data (or atlas) with initial_data")
    else:
        space, name = ProductSpace.atlas(), "the Atlas HS92 product space"
    known = set(space.codes.tolist())
    unmatched = [p for p in products if p not in known]
    n, k = len(products), len(products) - len(unmatched)
    share = k / n if n else 0.0
    if given is None and requested == "from_data" and k == 0:
        space = ProductSpace.from_trade(df, year=year)
        return space, (f"product space built from the data ({space.n_products} products; "
                       f"none of its codes are Atlas HS92 codes)")
    if share >= ATLAS_MATCH_SHARE:
        dropped = (f"; {len(unmatched)} code(s) not in it dropped ({_examples(unmatched)})"
                   if unmatched else "")
        return space, f"{name} ({k} of {n} data product codes matched{dropped})"
    hint = ("fix the codes (HS92 4-digit codes such as '0101'), or pass product codes of "
            "one classification so the space can be built from the data")
    if given is None and requested == "atlas":
        hint = ("fix the codes (HS92 4-digit codes such as '0101'), or use "
                "product_space=from_data to build the space from the data")
    raise ConfigError(
        f"initial_data: only {k} of {n} product codes of '{path}' are in {name} "
        f"(unmatched e.g. {_examples(unmatched)}); at least {ATLAS_MATCH_SHARE:.0%} must "
        f"match, and no fallback is guessed: {hint}")


def load_initial_state(config: ModelConfig, product_space: ProductSpace | None = None
                       ) -> InitialState:
    """Read ``config.initial_data`` and turn it into regions, types and portfolios.

    Raises
    ------
    ConfigError
        If the file is missing or malformed (the :class:`~s3sim.io.DataError` message
        is kept), if the year is absent, or if the products do not match the product
        space (see the module docstring for the rule).
    """
    path = config.initial_data
    try:
        df = load_trade_table(path)
        year = config.initial_year if config.initial_year is not None else df["year"].max()
        X, locations, products = to_matrix(df, year)
    except (DataError, OSError) as exc:
        text = str(exc)
        head, sep, _ = text.partition("; pass the right name(s) with --")
        if sep:  # the CLI's column options do not exist here: the columns must be renamed
            text = f"{head}; rename the columns to location, product, year, value"
        raise ConfigError(f"initial_data: {text}") from None
    space, statement = choose_product_space(products, config.product_space, str(path), df,
                                            year, given=product_space)
    notes = list(df.attrs.get("notes", []))
    key = (str(path), statement)
    if key not in _STATED:  # once per process, not once per seed
        _STATED.add(key)
        log.warning("initial_data %s: using %s%s", path, statement,
                    "".join(f"; {n}" for n in notes))
    if product_space is None:  # a copy, so the cached Atlas space is not modified
        space = copy.copy(space)
        info = {"path": str(path), "year": np.asarray(year).item(), "statement": statement,
                "notes": notes}
        # a copy with one more metadata entry (ProductSpace is immutable by __setattr__)
        object.__setattr__(space, "_metadata", {**space.metadata, "initial_data": info})
    product_space = space
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
        info={"year": year, "unmatched_products": int((~keep).sum()),
              "product_space": statement, "notes": notes},
    )
