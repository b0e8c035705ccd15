"""``s3sim-analyze``: complexity metrics and diversification opportunities for real data.

Reads a long-format table (location, product, year, value) as CSV or Parquet
and writes, for one year, tidy CSV tables and figures into ``--out``::

    locations.csv         location, year, diversity, eci, coi
    products.csv          product, year, ubiquity, pci, name
    location_product.csv  location, product, year, value, rca, mcp, density, cog
    proximity.csv         product_1, product_2, proximity   (upper triangle, > 0)
                          -- the proximities actually used (Atlas or data, --proximity)
    opportunities.csv     location, product, density, pci, cog, quadrant, score, rank, name
    figures/<location>_opportunities.png, figures/<location>_product_space.png

Relatedness (proximity) comes from the Atlas HS92 world product space when every
product is an Atlas HS92 4-digit code (``--proximity atlas``, the default then), else
from the data's own locations (``--proximity data``). ``--density-convention`` picks
the Python (own product included) or Stata (own product left out) density.

Bad input gives one ``s3sim-analyze: error: ...`` line on stderr, exit code 2
and no output directory (it is written to a temporary sibling and renamed into
place only when complete). ``--out`` must be new, empty, or an earlier output of
this command that nobody changed since (its ``.s3sim-output.json`` marker lists
every file with its SHA-256); any other folder is refused, never replaced.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from s3sim.config import ConfigError, check_rca_threshold
from s3sim.io import (
    DataError,
    atomic_output_dir,
    check_replaceable,
    describe_os_error,
    load_trade_table,
    to_matrix,
)
from s3sim.space import metrics

__all__ = ["build_parser", "main"]

PROG = "s3sim-analyze"
PROXIMITY_SOURCES = ("atlas", "data")
TABLES = (
    "locations.csv",
    "products.csv",
    "location_product.csv",
    "proximity.csv",
    "opportunities.csv",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``s3sim-analyze``."""
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Economic-complexity metrics (RCA, proximity, density, ECI/PCI, COI/COG) "
        "and diversification opportunities from long-format trade data.",
        epilog="Outputs are documented in docs/metrics.md.",
    )
    p.add_argument("data", metavar="DATA", help="CSV or Parquet file in long format")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="output directory: new, empty, or an earlier unchanged output of "
                   "this command (then replaced); any other folder is refused")
    p.add_argument("--year", help="year to analyse (default: the latest in the data)")
    p.add_argument("--location-col", default="location", metavar="NAME")
    p.add_argument("--product-col", default="product", metavar="NAME")
    p.add_argument("--year-col", default="year", metavar="NAME")
    p.add_argument("--value-col", default="value", metavar="NAME")
    p.add_argument("--rca-threshold", type=float, default=1.0, metavar="T",
                   help="presence threshold M = RCA >= T (default 1.0)")
    p.add_argument("--top", type=int, default=None, metavar="N",
                   help="keep only the N best-ranked opportunities per location (default: all)")
    p.add_argument("--proximity", choices=PROXIMITY_SOURCES, default=None,
                   help="where relatedness comes from: 'atlas' = the Atlas HS92 world "
                   "product space (the default when every product is an Atlas HS92 "
                   "4-digit code), 'data' = co-occurrence of specialisations in your own "
                   "locations (the default otherwise)")
    p.add_argument("--density-convention", choices=metrics.DENSITY_CONVENTIONS,
                   default="python",
                   help="'python' (default) keeps a product's own proximity in the density "
                   "sums like the ecomplexity Python package; 'stata' leaves it out like "
                   "the Growth Lab's Stata ecomplexity (see docs/metrics.md)")
    p.add_argument("--max-figures", type=int, default=20, metavar="N",
                   help="draw figures for at most N locations, in sorted order (default 20; "
                   "0 = no figures)")
    return p


@dataclass
class Analysis:
    """Everything computed for one year."""

    year: object
    locations: list[str]
    products: list[str]
    X: np.ndarray
    result: metrics.ComplexityResult
    quadrant: np.ndarray
    score: np.ndarray
    names: dict[str, str]
    proximity_source: str = "data"
    proximity_note: str = ""


def _pick_year(df: pd.DataFrame, requested: str | None) -> object:
    """Return the requested year in the data's dtype, or the latest one."""
    years = sorted(df["year"].unique())
    if requested is None:
        return years[-1]
    try:
        value = float(requested)
    except ValueError:
        value = None
    for y in years:
        if value is not None and float(y) == value:
            return y
    listed = ", ".join(str(y) for y in years)
    raise DataError(f"year {requested} is not in the data; available years: {listed}")


def atlas_proximity(products: Sequence[str]) -> tuple[np.ndarray | None, list[str]]:
    r"""Proximity between ``products`` in the Atlas HS92 world product space.

    Codes are read as HS92 4-digit codes (``101`` -> ``0101``). The proximities are
    s3sim's derivation from the Atlas backbone and layout
    (:meth:`s3sim.space.product_space.ProductSpace.atlas`, ``docs/product_space.md``),
    with :math:`\phi_{pp} = 1` on the diagonal as in the co-occurrence definition.

    Returns
    -------
    phi : numpy.ndarray or None
        ``(P, P)`` matrix in the order of ``products``; None when some are not Atlas codes.
    missing : list of str
        The products that are not Atlas HS92 4-digit codes.
    """
    from s3sim.space.product_space import ProductSpace
    from s3sim.viz.opportunities import hs4_code

    ps = ProductSpace.atlas()
    index = {str(c): i for i, c in enumerate(ps.codes)}
    pos = [index.get(hs4_code(p) or "") for p in products]
    missing = [p for p, i in zip(products, pos, strict=True) if i is None]
    if missing:
        return None, missing
    idx = np.asarray(pos, dtype=np.int64)
    phi = np.array(ps.proximity[np.ix_(idx, idx)], dtype=float)
    np.fill_diagonal(phi, 1.0)
    return phi, []


def _choose_proximity(products: list[str], requested: str | None
                      ) -> tuple[np.ndarray | None, str, str]:
    """Proximity matrix (None = from the data), its source and a one-line note."""
    if requested == "data":
        return None, "data", "measured from the data (--proximity data)"
    phi, missing = atlas_proximity(products)
    if phi is not None:
        why = "--proximity atlas" if requested == "atlas" else "default: all codes are HS92"
        return phi, "atlas", f"Atlas HS92 world product space ({why})"
    examples = ", ".join(repr(p) for p in missing[:3])
    if requested == "atlas":
        raise DataError(
            f"--proximity atlas needs Atlas HS92 4-digit product codes, but {len(missing)} of "
            f"{len(products)} products are not (e.g. {examples}); recode them to HS92 or use "
            "--proximity data to measure relatedness from your own locations")
    return None, "data", (f"measured from the data: {len(missing)} of {len(products)} "
                          f"products are not Atlas HS92 codes (e.g. {examples})")


def analyse(df: pd.DataFrame, year: object, threshold: float, proximity: str | None = None,
            density_convention: str = "python") -> Analysis:
    """Compute all metrics, quadrants and scores for one year.

    Parameters
    ----------
    proximity : {"atlas", "data"} or None
        Source of relatedness; None picks "atlas" when every product is an Atlas HS92
        code, else "data".
    density_convention : {"python", "stata"}
        See :func:`s3sim.space.metrics.density`.
    """
    from s3sim.viz.opportunities import atlas_hs92_names

    X, locations, products = to_matrix(df, year)
    if len(locations) < 2:
        raise DataError(
            f"year {year} has only one location ({locations[0]!r}); complexity needs at least 2"
        )
    phi, source, note = _choose_proximity(products, proximity)
    try:
        res = metrics.complexity(X, threshold=threshold, phi=phi,
                                 density_convention=density_convention)
    except ValueError as exc:
        raise DataError(f"year {year}: {exc}") from None
    quadrant = metrics.relatedness_complexity_quadrant(res.density, res.pci, res.mcp)
    score = metrics.opportunity_score(res.density, res.pci, res.cog, res.mcp)
    return Analysis(year, locations, products, X, res, quadrant, score,
                    atlas_hs92_names(products), source, note)


def _tables(a: Analysis, top: int | None) -> dict[str, pd.DataFrame]:
    """Build the five output tables."""
    r, n_loc, n_prod = a.result, len(a.locations), len(a.products)
    loc_rep = np.repeat(a.locations, n_prod)
    prod_rep = np.tile(a.products, n_loc)
    names = [a.names.get(p, "") for p in a.products]
    locations = pd.DataFrame({"location": a.locations, "year": a.year,
                              "diversity": r.diversity.astype(int), "eci": r.eci, "coi": r.coi})
    products = pd.DataFrame({"product": a.products, "year": a.year,
                             "ubiquity": r.ubiquity.astype(int), "pci": r.pci, "name": names})
    lp = pd.DataFrame({"location": loc_rep, "product": prod_rep, "year": a.year,
                       "value": a.X.ravel(), "rca": r.rca.ravel(), "mcp": r.mcp.ravel(),
                       "density": r.density.ravel(), "cog": r.cog.ravel()})
    i, j = np.nonzero(np.triu(r.proximity, k=1))
    prox = pd.DataFrame({"product_1": np.asarray(a.products)[i],
                         "product_2": np.asarray(a.products)[j],
                         "proximity": r.proximity[i, j]})
    return {"locations.csv": locations, "products.csv": products,
            "location_product.csv": lp, "proximity.csv": prox,
            "opportunities.csv": _opportunities(a, loc_rep, prod_rep, top)}


def _opportunities(a: Analysis, loc_rep: np.ndarray, prod_rep: np.ndarray,
                   top: int | None) -> pd.DataFrame:
    """Absent products per location with quadrant, score and rank (1 = best)."""
    r = a.result
    opp = pd.DataFrame({
        "location": loc_rep, "product": prod_rep,
        "density": r.density.ravel(),
        "pci": np.broadcast_to(r.pci, r.mcp.shape).ravel(),
        "cog": r.cog.ravel(), "quadrant": a.quadrant.ravel(), "score": a.score.ravel(),
        "mcp": r.mcp.ravel(),
    })
    opp = opp[opp["mcp"] == 0].drop(columns="mcp")
    opp = opp.sort_values(["location", "score", "product"], ascending=[True, False, True],
                          kind="mergesort")
    opp["rank"] = opp.groupby("location").cumcount() + 1
    if top is not None:
        opp = opp[opp["rank"] <= top]
    opp["name"] = [a.names.get(p, "") for p in opp["product"]]
    return opp.reset_index(drop=True)


def _slug(name: str) -> str:
    """File-name-safe version of a location label."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "location"


def _figures(a: Analysis, outdir: Path, max_figures: int) -> tuple[int, str]:
    """Draw the per-location figures; return (locations drawn, layout source)."""
    if max_figures <= 0:
        return 0, "none"
    from s3sim.viz.opportunities import (
        plot_opportunity_scatter,
        plot_product_space_map,
        product_space_layout,
    )

    r = a.result
    layout = product_space_layout(a.products, r.proximity)
    figdir = outdir / "figures"
    figdir.mkdir()
    finite = np.isfinite(r.pci)
    pci_split = float(np.median(r.pci[finite])) if finite.any() else 0.0
    used: set[str] = set()
    for i, loc in enumerate(a.locations[:max_figures]):
        slug = _slug(loc)
        while slug in used:
            slug += "_"
        used.add(slug)
        absent = r.mcp[i] == 0
        order = np.argsort(-np.nan_to_num(a.score[i], nan=-np.inf), kind="stable")
        order = order[absent[order]]
        d_split = float(np.median(r.density[i, absent])) if absent.any() else 0.0
        plot_opportunity_scatter(
            figdir / f"{slug}_opportunities.png", loc, r.density[i, order], r.pci[order],
            a.quadrant[i, order], d_split, pci_split,
            labels=[a.names.get(a.products[k], a.products[k]) for k in order])
        plot_product_space_map(figdir / f"{slug}_product_space.png", loc, layout,
                               a.products, r.mcp[i], r.pci)
    return min(max_figures, len(a.locations)), layout.source


def _check_out(out: Path) -> None:
    """Refuse to replace a folder holding anything this command did not write."""
    check_replaceable(out, what="--out")


def run(args: argparse.Namespace) -> list[str]:
    """Run the analysis and return the summary lines."""
    out = Path(args.out)
    _check_out(out)
    check_rca_threshold(args.rca_threshold, name="--rca-threshold")
    df = load_trade_table(args.data, location_col=args.location_col,
                          product_col=args.product_col, year_col=args.year_col,
                          value_col=args.value_col)
    year = _pick_year(df, args.year)
    a = analyse(df, year, args.rca_threshold, args.proximity, args.density_convention)
    try:
        with atomic_output_dir(out, tool=PROG) as tmp:
            for name, table in _tables(a, args.top).items():
                table.to_csv(tmp / name, index=False)
            n_fig, source = _figures(a, tmp, args.max_figures)
    except OSError as exc:
        raise DataError(describe_os_error(exc, out)) from None
    notes = [f"  note: {n}" for n in df.attrs.get("notes", [])]
    return notes + _summary(a, out, n_fig, source, args)


def _summary(a: Analysis, out: Path, n_fig: int, source: str,
             args: argparse.Namespace) -> list[str]:
    """Human-readable summary of a finished run."""
    r = a.result
    n_mcp = int(r.mcp.sum())
    finite = np.isfinite(r.eci)
    best = (f"{a.locations[int(np.nanargmax(r.eci))]} ({np.nanmax(r.eci):.2f})"
            if finite.any() else "n/a (ECI undefined: no location has a distinctive mix)")
    lines = [
        f"{PROG}: {len(a.locations)} locations x {len(a.products)} products, year {a.year} "
        f"(RCA threshold {args.rca_threshold:g}; {n_mcp} location-product specialisations)",
        f"  highest ECI: {best}; "
        f"mean diversity {r.diversity.mean():.1f}",
        f"  proximity: {a.proximity_note}; density convention: {r.density_convention}",
        f"  tables: {', '.join(TABLES)}",
    ]
    if n_fig:
        layout = {"atlas-hs92": "Atlas HS92 product-space layout",
                  "spring-mst": "spring layout of the proximity maximum spanning tree"}[source]
        lines.append(f"  figures: {2 * n_fig} PNG for {n_fig} of {len(a.locations)} locations "
                     f"({layout})")
    lines.append(f"  written to {out.absolute()}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``s3sim-analyze``; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.top is not None and args.top < 1:
        return _fail("--top must be >= 1")
    try:
        lines = run(args)
    except (DataError, ConfigError) as exc:
        return _fail(_one_line(exc))
    except OSError as exc:
        return _fail(describe_os_error(exc))
    except KeyboardInterrupt:
        return _fail("interrupted; no output was written (the --out folder is unchanged)",
                     code=130)
    print("\n".join(lines))
    return 0


def _one_line(exc: BaseException) -> str:
    """Render an exception as a single line."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return " ".join(str(exc).split()) or type(exc).__name__


def _fail(message: str, code: int = 2) -> int:
    """Print one error line on stderr and return the exit code (2: bad input)."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
