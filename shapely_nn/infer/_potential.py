"""The one thing MCMC needs from a model: a log density over a flat float64 vector.

A ``Potential`` is what a model becomes once its data are bound: the unknowns flattened into
one vector (named slices back to their sites or parameter paths), a log density with its
gradient, and a way to draw starting points. NUTS works on nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

Vector = NDArray[np.float64]


@dataclass(frozen=True)
class Block:
    """One named unknown inside the flat vector: ``theta[start:start + size]``, reshaped."""

    name: str
    start: int
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        """How many elements of the flat vector this unknown takes."""
        return int(np.prod(self.shape, dtype=np.int64))


@dataclass(frozen=True)
class Potential:
    """A log density (and its gradient) over one flat float64 vector of unknowns."""

    blocks: tuple[Block, ...]
    log_density: Callable[[Vector], tuple[float, Vector]]
    initial: Callable[[np.random.Generator], Vector]

    @property
    def size(self) -> int:
        """The number of unknowns."""
        return sum(b.size for b in self.blocks)

    def unflatten(self, theta: Vector) -> dict[str, Vector]:
        """``{name: value}`` for one flat vector (views of it, in each block's shape)."""
        return {b.name: theta[b.start : b.start + b.size].reshape(b.shape) for b in self.blocks}


class HasPotential(Protocol):
    """A model MCMC can run: it binds its data into a ``Potential``."""

    def potential(self, *data: object) -> Potential:
        """The log density over this model's unknowns, given its data."""
        ...
