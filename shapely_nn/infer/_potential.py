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

from shapely_nn.guards import describe, require_nonnegative

Vector = NDArray[np.float64]


@dataclass(frozen=True)
class Block:
    """One named unknown inside the flat vector: ``theta[start:start + size]``, reshaped."""

    name: str
    start: int
    shape: tuple[int, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"Block: name must be a str, got {describe(self.name)}")
        require_nonnegative(start=self.start)
        shape = tuple(self.shape) if isinstance(self.shape, tuple | list) else None
        if shape is None:
            raise TypeError(f"Block: shape must be a tuple of ints, got {describe(self.shape)}")
        require_nonnegative(**{f"shape[{i}]": d for i, d in enumerate(shape)})
        object.__setattr__(self, "start", int(self.start))
        object.__setattr__(self, "shape", tuple(int(d) for d in shape))

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

    def __post_init__(self) -> None:
        blocks = tuple(self.blocks) if isinstance(self.blocks, tuple | list) else None
        if blocks is None or not all(isinstance(b, Block) for b in blocks):
            raise TypeError(
                f"Potential: blocks must be a tuple of Block, got {describe(self.blocks)}"
            )
        end = 0
        for i, block in enumerate(blocks):
            if block.start != end:  # the blocks tile the flat vector, in order
                raise ValueError(
                    f"Potential: blocks[{i}] ({block.name!r}) starts at {block.start}, "
                    f"expected {end} (the blocks tile the flat vector in order)"
                )
            end += block.size
        for name in ("log_density", "initial"):
            if not callable(getattr(self, name)):
                raise TypeError(
                    f"Potential: {name} must be a callable, got {describe(getattr(self, name))}"
                )
        object.__setattr__(self, "blocks", blocks)

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
