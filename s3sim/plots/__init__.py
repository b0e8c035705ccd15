"""Figures for s3sim analyses (matplotlib, no pyplot state)."""
