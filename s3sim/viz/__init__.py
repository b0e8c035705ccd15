"""Figures (matplotlib, no pyplot state) and the Solara dashboard (:mod:`s3sim.viz.app`)."""
