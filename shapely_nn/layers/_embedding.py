"""``Embedding[Vocab, Embed]``: a lookup table ``weight`` ``[Vocab, Embed]`` (seed ``embedding``).

Two paths, as in the seed (``Seq2SeqEmbeddingSpec``):

* token ids (``__call__``): ``[*S]`` int64 -> ``[*S, Embed]``, row ``weight[id]``; an id outside
  ``[0, Vocab)`` (negative ones included) gives the **zero vector**, as the seed specifies.
  This path is not differentiable (ids are discrete; use the one-hot path to train).
* one-hot rows / token distributions (``forward_onehot``): ``[*S, Vocab] -> [*S, Embed]``,
  ``y = x @ weight``, with its backward ``backward_onehot`` (the seed's ``backwardOnehot``).

PyTorch: ``nn.Embedding(Vocab, Embed)`` with the same ``weight``; it agrees on in-range ids
(PyTorch raises on out-of-range ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, TypeVarTuple

import numpy as np

from shapely_nn._shape import ShapeError
from shapely_nn._tensor import DTypeError, Tensor, array_of
from shapely_nn.guards import require_size
from shapely_nn.layers._base import Array, GradRecord, Layer, Rng, as_generator, require_float_dtype

Vocab = TypeVar("Vocab", bound=int)
Embed = TypeVar("Embed", bound=int)
Seq = TypeVarTuple("Seq")


@dataclass(frozen=True)
class EmbeddingGrads(GradRecord):
    """Gradient of the table, ``weight`` ``[Vocab, Embed]`` (seed ``Seq2SeqEmbeddingGrads``)."""

    weight: Array


@dataclass(frozen=True, init=False, eq=False)
class Embedding(Layer, Generic[Vocab, Embed]):
    """Token embedding: ids ``[*S] -> [*S, Embed]``; one-hot rows ``[*S, Vocab] -> [*S, Embed]``.

    Initialised ``N(0, 1)`` like PyTorch's ``nn.Embedding``.
    """

    weight: Array

    if TYPE_CHECKING:
        # For checkers other than mypy (pyright widens ``Embedding(8, 32)`` to
        # ``Embedding[int, int]``, which no ``Embedding[L[8], L[32]]`` accepts): they read
        # ``__new__``, mypy reads ``__init__`` and keeps the literal sizes.
        def __new__(cls, *args: Any, **kwargs: Any) -> Embedding[Any, Any]: ...

    def __init__(
        self, vocab_size: Vocab, embed_dim: Embed, *, rng: Rng, dtype: Any = np.float32
    ) -> None:
        require_size(vocab_size=vocab_size, embed_dim=embed_dim)
        dt = require_float_dtype(dtype)
        table = as_generator(rng).standard_normal((vocab_size, embed_dim)).astype(dt)
        object.__setattr__(self, "weight", table)

    @property
    def vocab_size(self) -> int:
        """Vocabulary size ``Vocab``."""
        return int(self.weight.shape[0])

    @property
    def embed_dim(self) -> int:
        """Embedding size ``Embed``."""
        return int(self.weight.shape[1])

    def _label(self) -> str:
        return f"Embedding[{self.vocab_size}, {self.embed_dim}]"

    def __call__(self, ids: Tensor[*Seq]) -> Tensor[*Seq, Embed]:
        """Look up token ids, ``[*S] -> [*S, Embed]``; out-of-range ids give zero vectors."""
        a = array_of("Embedding", "ids", ids)
        if a.dtype.kind not in "iu":
            raise DTypeError(
                f"{self._label()} takes integer token ids, got dtype {a.dtype}; "
                "use forward_onehot for one-hot rows"
            )
        valid = (a >= 0) & (a < self.vocab_size)
        # Gather with a clipped index, then zero the rows whose id was out of range.
        out = self.weight[np.where(valid, a, 0)]
        out[~valid] = 0
        return Tensor(out)

    def _check_onehot(self, x: Tensor[*tuple[Any, ...]]) -> Array:
        a = array_of("Embedding.forward_onehot", "onehot", x)
        if a.ndim == 0 or a.shape[-1] != self.vocab_size:
            got = "a scalar" if a.ndim == 0 else f"{a.shape[-1]} in {x.shape}"
            raise ShapeError(
                f"{self._label()} expects one-hot rows with last dim Vocab = {self.vocab_size}, "
                f"got {got}"
            )
        if a.dtype != self.weight.dtype:
            raise DTypeError(
                f"{self._label()}: one-hot dtype {a.dtype} differs from weight {self.weight.dtype}"
            )
        return a

    def forward_onehot(self, onehot: Tensor[*Seq, Vocab]) -> Tensor[*Seq, Embed]:
        """Embed one-hot rows or token distributions, ``[*S, Vocab] -> [*S, Embed]``: ``x @ E``."""
        return Tensor(self._check_onehot(onehot) @ self.weight)

    def backward_onehot(
        self, onehot: Tensor[*Seq, Vocab], grad_y: Tensor[*Seq, Embed]
    ) -> tuple[EmbeddingGrads, Tensor[*Seq, Vocab]]:
        """Reverse of ``forward_onehot``: ``dE = Σ x ⊗ dY`` and ``dx = dY @ Eᵀ`` ``[*S, Vocab]``."""
        x = self._check_onehot(onehot)
        g = array_of("Embedding.backward_onehot", "grad_y", grad_y)
        if g.shape != (*x.shape[:-1], self.embed_dim):
            raise ShapeError(
                f"{self._label()}.backward_onehot: grad_y has shape {grad_y.shape}, expected "
                f"{[*x.shape[:-1], self.embed_dim]}"
            )
        x2 = x.reshape(-1, self.vocab_size)
        g2 = g.reshape(-1, self.embed_dim)
        return EmbeddingGrads(weight=x2.T @ g2), Tensor(g @ self.weight.T)
