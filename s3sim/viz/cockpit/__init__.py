"""The advisor's cockpit behind the dashboard (:mod:`s3sim.viz.app`), without any UI code.

* :mod:`~s3sim.viz.cockpit.session`: the settings, and the live runs (a same-seed
  baseline and one run per compared instrument) stepped together;
* :mod:`~s3sim.viz.cockpit.bands`: the same comparison over several seeds, computed in
  a background worker process, summarised as a mean and a confidence interval;
* :mod:`~s3sim.viz.cockpit.charts`: Vega-Lite specifications (built with Altair) of the
  product-space map and of the comparison charts, drawn in the browser;
* :mod:`~s3sim.viz.cockpit.glossary`: the help texts of every control and metric.
"""
