"""The seeds' LSTM cell: one vector [x; h; c] of size In + H + H in, [h'; c'] of H + H out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from shapely_nn import Add, Tensor, concat, sigmoid, tanh
from shapely_nn.layers import Linear

B = TypeVar("B", bound=int)
In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)


@dataclass(frozen=True)
class SeedLSTMCell(Generic[In, H]):
    """Candidate and gate projections from the concatenated ``[x; h; c]``."""

    candidate: Linear[Add[In, H, H], Add[H, H]]
    gate: Linear[Add[In, H, H], Add[H, H]]

    def __call__(self, xhc: Tensor[B, Add[In, H, H]]) -> Tensor[B, Add[H, H]]:
        """One step on the concatenated input; returns ``[h'; c']``."""
        return tanh(self.candidate(xhc)) * sigmoid(self.gate(xhc))

    def step(self, x: Tensor[B, In], h: Tensor[B, H], c: Tensor[B, H]) -> Tensor[B, Add[H, H]]:
        """The same step from the three parts."""
        return self(concat([x, h, c]))
