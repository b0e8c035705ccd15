"""A Vega-Lite chart widget whose data change in place (no rebuild per simulated year).

Solara's own ``VegaLite`` widget re-embeds the whole chart whenever its specification
changes: Vega-Lite compiles it again and Vega rebuilds the view, which on this
project's machine takes most of a second for the 865-product map.  :class:`VegaView`
embeds :attr:`~VegaView.spec` once and afterwards only replaces the named
:attr:`~VegaView.datasets` in the running Vega view (``view.data(name, values)``,
``view.runAsync()``).  The front-end (``vegaview.vue``) loads Vega, Vega-Lite and
vega-embed from Solara's local CDN cache, like Solara's widget.
"""

from __future__ import annotations

from pathlib import Path

import ipyvuetify as v
import traitlets

__all__ = ["VegaView"]


class VegaView(v.VuetifyTemplate):
    """A Vega-Lite chart: a fixed ``spec`` and its changing named ``datasets``.

    Attributes
    ----------
    spec : dict
        The Vega-Lite specification (may carry static datasets, e.g. the map's links).
    datasets : dict of str to list of dict
        Named datasets swapped into the view on every change.
    revision : int
        A label of the data shown (the dashboard uses the year); the page exposes the
        last one drawn as ``data-revision`` on the chart element (for tests).
    """

    template_file = str(Path(__file__).with_name("vegaview.vue"))
    spec = traitlets.Dict().tag(sync=True)
    datasets = traitlets.Dict().tag(sync=True)
    revision = traitlets.Int(0).tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)

    @traitlets.default("cdn")
    def _cdn(self) -> str | None:
        import solara.settings

        return None if solara.settings.assets.proxy else str(solara.settings.assets.cdn)
