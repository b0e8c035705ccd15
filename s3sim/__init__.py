"""s3sim: an agent-based laboratory for regional diversification policy.

Firms and research bodies (Mesa agents) live in regions and diversify across a
product space; policy instruments (smart specialisation, generic subsidies,
picking winners, research funding) compete on equal budgets.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("s3sim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
