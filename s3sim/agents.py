"""Mesa agents: firms and research bodies, a thin identity layer over the model's arrays.

The state of every agent lives in numpy arrays owned by the model
(:class:`~s3sim.engine.firms.FirmPopulation`, :class:`~s3sim.engine.research.ResearchSystem`), so
that the yearly dynamics run vectorised. An agent object is created when a firm
enters and removed when it exits; its attributes read its slot of the arrays, so
inspecting an agent always shows the current state. ``agent.cell`` is the agent's
location: the cell of its product in the model's
:class:`mesa.discrete_space.Network` built on the product space.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from mesa.discrete_space import Cell

    from s3sim.model import S3Model

__all__ = ["Firm", "ResearchBody"]


class Firm(mesa.Agent):
    """A firm producing one product in one region.

    Parameters
    ----------
    model : S3Model
        The model owning the firm arrays.
    slot : int
        The firm's index in ``model.firms``.
    """

    model: S3Model

    def __init__(self, model: S3Model, slot: int) -> None:
        super().__init__(model)
        self.slot = int(slot)

    @property
    def region(self) -> int:
        """Index of the firm's region."""
        return int(self.model.firms.region[self.slot])

    @property
    def product(self) -> int:
        """Index of the firm's product in the product space."""
        return int(self.model.firms.product[self.slot])

    @property
    def product_code(self) -> str:
        """Code of the firm's product (HS92 4-digit on the Atlas space)."""
        return str(self.model.product_space.codes[self.product])

    @property
    def size(self) -> float:
        """Yearly output (units of the mean initial firm)."""
        return float(self.model.firms.size[self.slot])

    @property
    def subsidised(self) -> bool:
        """Whether the firm entered with a subsidy."""
        return bool(self.model.firms.subsidised[self.slot])

    @property
    def cell(self) -> Cell:
        """The firm's location: its product's cell in ``model.space``."""
        return self.model.cell_of(self.product)

    def __repr__(self) -> str:
        return (f"Firm(id={self.unique_id}, region={self.region}, "
                f"product={self.product_code}, size={self.size:.3f})")


class ResearchBody(mesa.Agent):
    """A university or public lab with knowledge in a domain of the product space.

    Parameters
    ----------
    model : S3Model
        The model owning the research arrays.
    index : int
        The body's index in ``model.research``.
    """

    model: S3Model

    def __init__(self, model: S3Model, index: int) -> None:
        super().__init__(model)
        self.index = int(index)

    @property
    def region(self) -> int:
        """Index of the home region."""
        return int(self.model.research.region[self.index])

    @property
    def domain(self) -> int:
        """Product index of the knowledge domain."""
        return int(self.model.research.domain[self.index])

    @property
    def knowledge(self) -> float:
        """Current knowledge stock."""
        return float(self.model.research.knowledge[self.index])

    @property
    def funding(self) -> float:
        """Policy funding received this year."""
        return float(self.model.research.funding[self.index])

    @property
    def partners(self) -> list[int]:
        """Indices of collaborating research bodies (other regions)."""
        return list(self.model.research.network.neighbors(self.index))

    @property
    def cell(self) -> Cell:
        """The body's location: its domain's cell in ``model.space``."""
        return self.model.cell_of(self.domain)

    def __repr__(self) -> str:
        return (f"ResearchBody(id={self.unique_id}, region={self.region}, "
                f"domain={self.model.product_space.codes[self.domain]}, "
                f"knowledge={self.knowledge:.3f})")
