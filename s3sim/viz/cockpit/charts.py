"""Vega-Lite charts of the cockpit, built with Altair and drawn in the browser.

The browser receives a chart *specification* (JSON: encodings and static data) once and
then only the changing named datasets (:class:`s3sim.viz.vegaview.VegaView`); Vega
(served locally from Solara's CDN cache, see ``docs/dashboard.md``) draws them, and
hover tooltips are answered in the browser, without a round trip to the server.

* :class:`MapTemplate`: the product space with the region's products, priority domains and
  new entries, and a tooltip per product (name, code, cluster, PCI, RCA, density,
  prioritised?, new this year?);
* :class:`ComparisonTemplate`: one panel per indicator, the live seed as a line per run and,
  once the background seeds are in, the band (mean and confidence interval) over seeds.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from s3sim.viz.cockpit.bands import CONFIDENCE
from s3sim.viz.cockpit.glossary import policy_label
from s3sim.viz.product_space_map import CLUSTER_PALETTE

__all__ = ["INDICATOR_TITLES", "RUN_COLOURS", "ComparisonTemplate", "MapTemplate"]

#: Vega-Lite schema of the front-end that draws the charts (vega-lite@5).
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"

#: Colour of each run (colour-blind safe, Okabe-Ito), the baseline in black.
RUN_COLOURS: dict[str, str] = {
    "none": "#000000",
    "smart_specialisation": "#0072B2",
    "generic_subsidy": "#E69F00",
    "picking_winners": "#009E73",
    "research_funding": "#CC79A7",
}

#: Panel titles of the comparison's indicators (with units).
INDICATOR_TITLES: dict[str, str] = {
    "diversity": "Diversity (products with RCA ≥ 1)",
    "additional_diversity": "Additional diversity vs baseline (products)",
    "additional_entries": "Additional new entries, cumulative (products)",
    "additional_mean_pci": "Additional mean PCI of the portfolio (PCI units)",
    "budget_spent": "Budget spent, cumulative (output units)",
}

#: A five-pointed star (SVG path in a unit box) for the new entries.
STAR = ("M0,-1L0.224,-0.309L0.951,-0.309L0.363,0.118L0.588,0.809L0,0.382L-0.588,0.809"
        "L-0.363,0.118L-0.951,-0.309L-0.224,-0.309Z")
_GREY = "#d0d0d0"


def _finish(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """Chart -> Vega-Lite dict for the vega-lite@5 front-end (validated by the tests)."""
    spec = chart.to_dict(validate=False)
    spec["$schema"] = SCHEMA
    return spec


def _yes(mask: pd.Series) -> np.ndarray:
    return np.where(mask.to_numpy(), "yes", "no")


class MapTemplate:
    """The product-space map of one product space, re-filled each year.

    The chart (layers, encodings, tooltips) and the backbone links are built once with
    Altair; :meth:`spec` only swaps in the products' current state, so a new year costs
    a few milliseconds instead of a full Altair build.

    Parameters
    ----------
    edges
        Backbone edges (pairs of product positions) drawn as light grey links.
    xy
        Product positions, shape ``(P, 2)``.
    height
        Height in pixels (the width follows the container).
    """

    def __init__(self, edges: np.ndarray, xy: np.ndarray, height: int = 430) -> None:
        xy = np.asarray(xy, dtype=float)
        e = np.asarray(edges, dtype=int).reshape(-1, 2)
        self.links = pd.DataFrame({"x": xy[e[:, 0], 0], "y": xy[e[:, 0], 1],
                                   "x2": xy[e[:, 1], 0], "y2": xy[e[:, 1], 1]}).round(2)
        bare = alt.Axis(labels=False, ticks=False, grid=False, domain=False, title=None)
        pad = 0.02 * (xy.max(axis=0) - xy.min(axis=0))
        lo, hi = (xy.min(axis=0) - pad).round(2), (xy.max(axis=0) + pad).round(2)
        x = alt.X("x:Q", axis=bare, scale=alt.Scale(domain=[lo[0], hi[0]], nice=False))
        y = alt.Y("y:Q", axis=bare, scale=alt.Scale(domain=[lo[1], hi[1]], nice=False))
        tooltip = [
            alt.Tooltip("product:N", title="product"),
            alt.Tooltip("code:N", title="code"),
            alt.Tooltip("cluster:N", title="cluster"),
            alt.Tooltip("pci:Q", title="PCI", format=".2f"),
            alt.Tooltip("rca:Q", title="RCA", format=".2f"),
            alt.Tooltip("density:Q", title="density", format=".3f"),
            alt.Tooltip("has_rca:N", title="RCA ≥ 1"),
            alt.Tooltip("prioritised:N", title="prioritised"),
            alt.Tooltip("new:N", title="new this year"),
        ]
        nodes = alt.Data(name="nodes")
        link_layer = alt.Chart(alt.Data(name="links")).mark_rule(
            color="#e3e3e3", strokeWidth=0.6).encode(x=x, y=y, x2="x2:Q", y2="y2:Q")
        dots = alt.Chart(nodes).mark_circle(opacity=0.95).encode(
            x=x, y=y,
            color=alt.Color("colour:N", scale=None),
            size=alt.condition("datum.has_rca == 'yes'", alt.value(70), alt.value(40)),
            stroke=alt.condition("datum.prioritised == 'yes'", alt.value("black"),
                                 alt.value("transparent")),
            strokeWidth=alt.condition("datum.prioritised == 'yes'", alt.value(2.2),
                                      alt.value(0)),
            tooltip=tooltip,
        )
        stars = alt.Chart(nodes).transform_filter("datum.new == 'yes'").mark_point(
            shape=STAR, filled=True, color="#e41a1c", stroke="black", strokeWidth=0.6,
            size=320, opacity=1,
        ).encode(x=x, y=y, tooltip=tooltip)
        chart = alt.layer(link_layer, dots, stars).properties(
            width="container", height=height).configure_view(stroke=None)
        self.template = _finish(chart)
        self.template["datasets"] = {"links": self.links.to_dict("records")}
        self.palette = np.array(CLUSTER_PALETTE)

    def nodes(self, view: pd.DataFrame) -> list[dict[str, Any]]:
        """The products' rows of the map (what the tooltip shows), drawing order."""
        order = np.lexsort((view["prioritised"].to_numpy(), view["has_rca"].to_numpy()))
        colour = np.where(view["has_rca"], self.palette[view["cluster"].to_numpy()
                                                        % len(self.palette)], _GREY)
        nodes = pd.DataFrame({
            "product": view["name"], "code": view["code"], "cluster": view["cluster_name"],
            "x": view["x"].round(2), "y": view["y"].round(2),
            "pci": view["pci"].round(3), "rca": view["rca"].round(3),
            "density": view["density"].round(3), "colour": colour,
            "has_rca": _yes(view["has_rca"]), "prioritised": _yes(view["prioritised"]),
            "new": _yes(view["new"]),
        }).iloc[order]
        return nodes.to_dict("records")

    def datasets(self, view: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
        """The map's changing data for one region and run: ``{"nodes": rows}``.

        Parameters
        ----------
        view
            :meth:`s3sim.viz.cockpit.session.Cockpit.product_view`.

        Returns
        -------
        dict
            Products with RCA in their cluster colour, the others light grey, priority
            domains ringed in black, new entries as red stars; a tooltip per product.
        """
        return {"nodes": self.nodes(view)}

    def spec(self, view: pd.DataFrame) -> dict[str, Any]:
        """The complete specification (template and data) of one map."""
        return {**self.template, "datasets": {**self.template["datasets"],
                                              **self.datasets(view)}}


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    return frame[columns].round(6).to_dict("records")


class ComparisonTemplate:
    """Small multiples comparing the instruments, one panel per indicator.

    Built once per set of runs; :meth:`spec` fills in the live seed and the bands.

    Parameters
    ----------
    runs
        Runs in legend order (the baseline first).
    indicators
        Keys of :data:`INDICATOR_TITLES`, in panel order.
    horizon
        Last simulated year: the x axis always spans ``0..horizon``, so year 0 already
        shows where the bands (once in) lead.
    width, height
        Size of one panel in pixels.
    """

    def __init__(self, runs: list[str], indicators: list[str], horizon: int,
                 width: int = 380, height: int = 150) -> None:
        self.labels = {r: policy_label(r) for r in runs}
        self.titles = {i: INDICATOR_TITLES[i] for i in indicators}
        colour = alt.Color(
            "run:N", title=None,
            scale=alt.Scale(domain=[self.labels[r] for r in runs],
                            range=[RUN_COLOURS.get(r, "#666666") for r in runs]),
            legend=alt.Legend(orient="top", direction="horizontal", labelFontSize=12,
                              symbolType="stroke", symbolOpacity=1, symbolStrokeWidth=3),
        )
        x = alt.X("year:Q", title="year",
                  scale=alt.Scale(domain=[0, max(int(horizon), 1)], nice=False),
                  axis=alt.Axis(tickMinStep=1, format="d"))
        number = ".2f"
        band_data = alt.Data(name="bands")
        live_data = alt.Data(name="live")
        band = alt.Chart(band_data).mark_area(opacity=0.18).encode(
            x=x, color=colour, y=alt.Y("low:Q", title=None), y2="high:Q",
            tooltip=[alt.Tooltip("run:N", title="instrument"),
                     alt.Tooltip("year:Q", title="year"),
                     alt.Tooltip("mean:Q", title="mean over seeds", format=number),
                     alt.Tooltip("low:Q", title=f"{CONFIDENCE:.0%} CI low", format=number),
                     alt.Tooltip("high:Q", title=f"{CONFIDENCE:.0%} CI high", format=number),
                     alt.Tooltip("n:Q", title="seeds")],
        )
        mean = alt.Chart(band_data).mark_line(strokeDash=[4, 3], strokeWidth=1.2).encode(
            x=x, color=colour, y=alt.Y("mean:Q", title=None))
        line = alt.Chart(live_data).mark_line(
            strokeWidth=2.4, point=alt.OverlayMarkDef(size=22)).encode(
            x=x, color=colour, y=alt.Y("value:Q", title=None),
            tooltip=[alt.Tooltip("run:N", title="instrument"),
                     alt.Tooltip("year:Q", title="year"),
                     alt.Tooltip("value:Q", title="live seed", format=number)],
        )
        zero = alt.Chart(alt.Data(name="zero")).mark_rule(
            color="#999999", strokeWidth=0.8).encode(y="zero:Q")
        panels = []
        for key, title in self.titles.items():
            def only(chart: alt.Chart, key: str = key) -> alt.Chart:
                return chart.transform_filter(alt.datum.indicator == key)

            layers = [only(band), only(mean), only(line)]
            if key.startswith("additional"):
                layers.insert(0, zero)
            panels.append(alt.layer(*layers).properties(
                width=width, height=height, title=alt.Title(title, fontSize=12)))
        chart = alt.concat(*panels, columns=2).resolve_scale(y="independent")
        self.template = _finish(chart)
        self.template["datasets"] = {"zero": [{"zero": 0}], "live": [], "bands": []}

    def datasets(self, live: pd.DataFrame,
                 bands: pd.DataFrame | None) -> dict[str, list[dict[str, Any]]]:
        """The comparison's data: the live seed and, when available, the bands.

        Parameters
        ----------
        live
            :func:`s3sim.viz.cockpit.bands.indicator_table` of the live seed.
        bands
            :func:`s3sim.viz.cockpit.bands.band_summary` over the finished seeds, or None.

        Returns
        -------
        dict
            ``{"live": rows, "bands": rows}``.
        """
        keys = list(self.titles)
        live = live[live["indicator"].isin(keys)].rename(columns={"step": "year"})
        live = live.assign(run=live["run"].map(self.labels))
        band_rows: list[dict[str, Any]] = []
        if bands is not None and not bands.empty:
            b = bands[bands["indicator"].isin(keys)].rename(columns={"step": "year"})
            b = b.assign(run=b["run"].map(self.labels))
            band_rows = _records(b, ["indicator", "run", "year", "n", "mean", "low", "high"])
        return {"live": _records(live, ["indicator", "run", "year", "value"]),
                "bands": band_rows}

    def spec(self, live: pd.DataFrame, bands: pd.DataFrame | None) -> dict[str, Any]:
        """The complete specification (template and data) of one comparison."""
        return {**self.template, "datasets": {**self.template["datasets"],
                                              **self.datasets(live, bands)}}
