"""The year's random numbers, drawn up front and passed explicitly to the sub-models.

Draws are fixed-size single-precision arrays, one value per firm slot (or per
potential entrepreneur) whatever happens: a policy that changes which firms attempt
or succeed never shifts anybody's numbers (common random numbers). Draw order within
the ``firms`` stream: six uniforms per slot (attempt, target, success, queue order,
induced attempt, induced target), one exit uniform, one growth normal; within the
``entrants`` stream: six uniforms per potential entrepreneur. When firms weigh private
value (``decision_sharpness > 0``), the ``discovery`` stream adds two "go" uniforms per
slot and per entrepreneur (natural, induced attempt), and, when imitation is on, four
uniforms per potential follower of every (region, product); otherwise it draws nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from s3sim.engine.rng import RandomStreams

__all__ = ["YearDraws", "draw_year"]


@dataclass(frozen=True)
class YearDraws:
    """Random numbers of one year (float32; per slot of capacity C or entrepreneur N).

    Attributes
    ----------
    attempt, target, success, order, induce, induced_target : ndarray (C,)
        Uniforms of incumbent firms.
    exit : ndarray (C,)
        Uniform compared with the exit hazard.
    growth : ndarray (C,)
        Standard-normal growth shock.
    entrant : ndarray (6, N)
        Uniforms of potential entrepreneurs, rows as for incumbents (attempt, target,
        success, order, induce, induced target).
    go, entrant_go : ndarray (2, C) and (2, N), or None
        Uniforms of the private go/no-go decision (natural, induced attempt).
    follow : ndarray (4, k, R, P) or None
        Followers of discoveries: whether each potential follower attempts, and its
        success, queue-order and go uniforms (drawn only when imitation is on).
    """

    attempt: np.ndarray
    target: np.ndarray
    success: np.ndarray
    order: np.ndarray
    induce: np.ndarray
    induced_target: np.ndarray
    exit: np.ndarray
    growth: np.ndarray
    entrant: np.ndarray
    go: np.ndarray | None = None
    entrant_go: np.ndarray | None = None
    follow: np.ndarray | None = None


def draw_year(streams: RandomStreams, capacity: int, n_entrants: int,
              decisions: bool = False, followers: tuple[int, int, int] | None = None
              ) -> YearDraws:
    """Draw the year's firm and entrepreneur numbers (see the module docstring)."""
    firm = streams.firms.random((6, capacity), dtype=np.float32)
    exit_u = streams.firms.random(capacity, dtype=np.float32)
    growth = streams.firms.standard_normal(capacity, dtype=np.float32)
    entrant = streams.entrants.random((6, n_entrants), dtype=np.float32)
    go = entrant_go = None
    if decisions:
        go = streams.discovery.random((2, capacity), dtype=np.float32)
        entrant_go = streams.discovery.random((2, n_entrants), dtype=np.float32)
    follow = None
    if followers is not None:
        follow = streams.discovery.random((4, *followers), dtype=np.float32)
    return YearDraws(*firm, exit=exit_u, growth=growth, entrant=entrant, go=go,
                     entrant_go=entrant_go, follow=follow)
