"""Figures (matplotlib, no pyplot state) and the SolaraViz dashboard (:mod:`s3sim.viz.app`)."""
