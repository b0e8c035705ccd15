"""Independent random streams for one simulation run, all derived from one seed.

Every source of randomness in the model draws from its own
:class:`numpy.random.Generator`, spawned from a single
:class:`numpy.random.SeedSequence`. Because the streams are independent, a policy
that changes how firms behave never shifts the draws of the market or of the
research system, and a policy's own draws (noisy signals) never shift anybody
else's: runs with the same seed and different policies share every draw the policy
does not affect (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["STREAM_NAMES", "RandomStreams"]

STREAM_NAMES: tuple[str, ...] = (
    "init", "market", "firms", "entrants", "research", "policy", "suitability", "discovery",
)
"""Stream names, in spawn order. New streams are only ever appended: the i-th child of a
SeedSequence does not depend on how many children are spawned, so existing streams keep
their draws."""


@dataclass(frozen=True)
class RandomStreams:
    """Named, independent generators spawned from one seed.

    Attributes
    ----------
    seed : int
        The root seed (the entropy of the :class:`~numpy.random.SeedSequence`).
    init, market, firms, entrants, research, policy, suitability, discovery : Generator
        One stream per process of the model.
    """

    seed: int
    init: np.random.Generator
    market: np.random.Generator
    firms: np.random.Generator
    entrants: np.random.Generator
    research: np.random.Generator
    policy: np.random.Generator
    suitability: np.random.Generator
    discovery: np.random.Generator

    @classmethod
    def from_seed(cls, seed: int | None) -> RandomStreams:
        """Spawn the streams from ``seed`` (``None`` draws fresh entropy, recorded in ``seed``)."""
        root = np.random.SeedSequence(seed)
        children = root.spawn(len(STREAM_NAMES))
        gens = {name: np.random.Generator(np.random.PCG64(child))
                for name, child in zip(STREAM_NAMES, children, strict=True)}
        return cls(seed=int(root.entropy), **gens)  # type: ignore[arg-type]
