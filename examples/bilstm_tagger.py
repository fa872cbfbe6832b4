"""A sequence tagger: embedding, a bidirectional recurrent layer, a per-step head.

The bidirectional output is ``[T, H + H]`` (forward and backward states joined), so the head
is sized ``2 * H``; sizing it ``H`` is one of the gallery bugs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as L, TypeVar

from shapely_nn import Add, Tensor, concat, log_softmax, stack
from shapely_nn.layers import Embedding, GRUCell, Linear

T = TypeVar("T", bound=int)


@dataclass(frozen=True)
class Tagger:
    """Vocabulary 5000, embeddings 64, hidden 32 each way, 17 tags."""

    embed: Embedding[L[5000], L[64]]
    forward: GRUCell[L[64], L[32]]
    backward: GRUCell[L[64], L[32]]
    head: Linear[Add[L[32], L[32]], L[17]]

    def states(self, cell: GRUCell[L[64], L[32]], xs: list[Tensor[L[64]]]) -> list[Tensor[L[32]]]:
        """Run one direction over the steps."""
        h = cell(xs[0])
        out = [h]
        for x in xs[1:]:
            h = cell(x, h)
            out.append(h)
        return out

    def __call__(self, ids: Tensor[L[3]]) -> Tensor[L[3], L[17]]:
        """Tag log-probabilities for a sentence of three words."""
        x = self.embed(ids)
        steps = [x[0], x[1], x[2]]
        fwd = self.states(self.forward, steps)
        bwd = self.states(self.backward, steps[::-1])[::-1]
        joined = stack([concat([f, b]) for f, b in zip(fwd, bwd, strict=True)])
        return log_softmax(self.head(joined))


def build() -> Tagger:
    """A seeded tagger."""
    return Tagger(
        Embedding(5000, 64, rng=0),
        GRUCell(64, 32, rng=1),
        GRUCell(64, 32, rng=2),
        Linear(64, 17, rng=3),
    )


def bilstm_features(fwd: Tensor[T, L[32]], bwd: Tensor[T, L[32]]) -> Tensor[T, L[64]]:
    """The seeds' Bi-LSTM output for any sequence length: ``[T, H + H]``."""
    return concat([fwd, bwd], axis=-1)
