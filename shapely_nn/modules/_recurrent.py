"""Sequence modules ``RNN[In, H]``, ``LSTM[In, H]``, ``GRU[In, H]`` (seed ``*ModuleSpec``).

Time-major: ``[T, *B, In] -> [T, *B, H]``, any number of batch dims (none included). The
initial state is zero unless given. Each module holds the same parameters as its cell (same
names, same layout, so ``grads.as_dict()`` matches ``parameters()``), and runs the cell's kernel:
the input projection of all steps is one matrix product, each step one more for the gates,
and the checks run once, at the call boundary.

* ``module(x)`` is the seeds' module spec: the output sequence only.
* ``module.run(x, initial)`` also returns the final state (``h``, or ``(h, c)`` for the LSTM).
* ``forward(x, initial) -> (y, cache)`` / ``backward(cache, grad_y) -> (grads, dx)`` is the
  layer protocol; ``backward_through_time(cache, grad_y, grad_final)`` is the full BPTT that
  also takes the gradient of the final state and returns the one of the initial state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar, TypeVarTuple, cast

import numpy as np

from shapely_nn._tensor import Tensor, require_tensor
from shapely_nn.layers._base import GradRecord, Rng
from shapely_nn.layers._gru import GRUCell, GRUGrads, GRUParameters
from shapely_nn.layers._lstm import LSTMCell, LSTMGrads, LSTMParameters
from shapely_nn.layers._recurrent_base import (
    AnyTensor,
    RecurrentCache,
    RecurrentParameters,
    run_backward,
    run_forward,
    run_inference,
)
from shapely_nn.layers._rnn import RNNCell, RNNGrads, RNNParameters

In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)
T = TypeVar("T", bound=int)
Batch = TypeVarTuple("Batch")
P = TypeVar("P", bound=RecurrentParameters)
G = TypeVar("G", bound=GradRecord)


def from_parameters(cls: type[P], source: RecurrentParameters) -> P:
    """A ``cls`` sharing the parameter arrays of ``source`` (cell <-> sequence module)."""
    out = object.__new__(cls)
    for name, value in vars(source).items():
        object.__setattr__(out, name, value)
    return out


def _forward(
    layer: RecurrentParameters, x: AnyTensor, initial: tuple[AnyTensor, ...] | None
) -> tuple[AnyTensor, RecurrentCache]:
    x3, batch = layer._check_sequence(x)
    y, cache = run_forward(layer, x3, batch, initial, "initial")
    return Tensor(y), cache


def _infer(
    layer: RecurrentParameters, x: AnyTensor, initial: tuple[AnyTensor, ...] | None
) -> tuple[AnyTensor, tuple[AnyTensor, ...]]:
    """The inference path: outputs and final state, no tape kept."""
    x3, batch = layer._check_sequence(x)
    y, final = run_inference(layer, x3, batch, initial, "initial")
    return Tensor(y), final


def _backward(
    layer: RecurrentParameters,
    cache: RecurrentCache,
    grad_y: AnyTensor | None,
    grad_final: tuple[AnyTensor, ...] | None,
) -> tuple[GradRecord, AnyTensor, tuple[AnyTensor, ...]]:
    grads, dx, d_initial = run_backward(layer, cache, grad_y, grad_final)
    return grads, Tensor(dx.reshape(dx.shape[0], *cache.batch, -1)), d_initial


class _HiddenStateSequence(Generic[In, H, G]):
    """What ``RNN`` and ``GRU`` share: one state ``h``; ``G`` is the grad record."""

    def __call__(self, x: Tensor[T, *Batch, In]) -> Tensor[T, *Batch, H]:
        """Output sequence from the zero state, ``[T, *B, In] -> [T, *B, H]`` (no cache kept)."""
        return _infer(cast(RecurrentParameters, self), x, None)[0]

    def run(
        self, x: Tensor[T, *Batch, In], h0: Tensor[*Batch, H] | None = None
    ) -> tuple[Tensor[T, *Batch, H], Tensor[*Batch, H]]:
        """Output sequence and final ``h``, ``[T, *B, In], [*B, H] -> [T, *B, H], [*B, H]``."""
        layer = cast(RecurrentParameters, self)
        state = None if h0 is None else (require_tensor(layer._label(), "h0", h0),)
        y, final = _infer(layer, x, state)
        return y, final[0]

    def forward(
        self, x: Tensor[T, *Batch, In], h0: Tensor[*Batch, H] | None = None
    ) -> tuple[Tensor[T, *Batch, H], RecurrentCache]:
        """Forward that also returns the cache, ``[T, *B, In] -> [T, *B, H]``."""
        layer = cast(RecurrentParameters, self)
        state = None if h0 is None else (require_tensor(layer._label(), "h0", h0),)
        return _forward(layer, x, state)

    def backward(
        self, cache: RecurrentCache, grad_y: Tensor[T, *Batch, H]
    ) -> tuple[G, Tensor[T, *Batch, In]]:
        """BPTT from ``dL/dy`` ``[T, *B, H]``: grads and ``dL/dx`` ``[T, *B, In]``."""
        grads, dx, _ = self.backward_through_time(cache, grad_y)
        return grads, dx

    def backward_through_time(
        self,
        cache: RecurrentCache,
        grad_y: Tensor[T, *Batch, H] | None,
        grad_final: Tensor[*Batch, H] | None = None,
    ) -> tuple[G, Tensor[T, *Batch, In], Tensor[*Batch, H]]:
        """Full BPTT: grads, ``dL/dx`` ``[T, *B, In]`` and ``dL/dh0`` ``[*B, H]``."""
        finals = None if grad_final is None else (grad_final,)
        layer = cast(RecurrentParameters, self)
        grads, dx, (dh0,) = _backward(layer, cache, grad_y, finals)
        return cast(G, grads), dx, dh0


class RNN(_HiddenStateSequence[In, H, RNNGrads], RNNParameters, Generic[In, H]):
    """tanh RNN over a sequence, ``[T, *B, In] -> [T, *B, H]`` (``nn.RNN``, one layer)."""

    if TYPE_CHECKING:
        # Other checkers read ``__new__`` (and keep no literal sizes without it); mypy
        # reads ``__init__``. See ``Linear``.
        def __new__(cls, *args: Any, **kwargs: Any) -> RNN[Any, Any]: ...

    def __init__(
        self, input_size: In, hidden_size: H, *, rng: Rng, dtype: Any = np.float32
    ) -> None:
        """Fresh parameters ``U(-1/sqrt(H), 1/sqrt(H))`` from ``rng`` (PyTorch's init)."""
        RNNParameters.__init__(self, input_size, hidden_size, rng=rng, dtype=dtype)

    @classmethod
    def from_cell(cls, cell: RNNCell[In, H]) -> RNN[In, H]:
        """The sequence module running ``cell`` (sharing its arrays)."""
        return from_parameters(cls, cell)

    @property
    def cell(self) -> RNNCell[In, H]:
        """The one-step cell with these parameters."""
        return from_parameters(RNNCell, self)


class GRU(_HiddenStateSequence[In, H, GRUGrads], GRUParameters, Generic[In, H]):
    """GRU over a sequence, ``[T, *B, In] -> [T, *B, H]`` (``nn.GRU``, one layer)."""

    if TYPE_CHECKING:
        # Other checkers read ``__new__`` (and keep no literal sizes without it); mypy
        # reads ``__init__``. See ``Linear``.
        def __new__(cls, *args: Any, **kwargs: Any) -> GRU[Any, Any]: ...

    def __init__(
        self, input_size: In, hidden_size: H, *, rng: Rng, dtype: Any = np.float32
    ) -> None:
        """Fresh parameters ``U(-1/sqrt(H), 1/sqrt(H))`` from ``rng`` (PyTorch's init)."""
        GRUParameters.__init__(self, input_size, hidden_size, rng=rng, dtype=dtype)

    @classmethod
    def from_cell(cls, cell: GRUCell[In, H]) -> GRU[In, H]:
        """The sequence module running ``cell`` (sharing its arrays)."""
        return from_parameters(cls, cell)

    @property
    def cell(self) -> GRUCell[In, H]:
        """The one-step cell with these parameters."""
        return from_parameters(GRUCell, self)


class LSTM(LSTMParameters, Generic[In, H]):
    """LSTM over a sequence, ``[T, *B, In] -> [T, *B, H]`` (``nn.LSTM``, one layer)."""

    if TYPE_CHECKING:
        # Other checkers read ``__new__`` (and keep no literal sizes without it); mypy
        # reads ``__init__``. See ``Linear``.
        def __new__(cls, *args: Any, **kwargs: Any) -> LSTM[Any, Any]: ...

    def __init__(
        self, input_size: In, hidden_size: H, *, rng: Rng, dtype: Any = np.float32
    ) -> None:
        """Fresh parameters ``U(-1/sqrt(H), 1/sqrt(H))`` from ``rng`` (PyTorch's init)."""
        super().__init__(input_size, hidden_size, rng=rng, dtype=dtype)

    @classmethod
    def from_cell(cls, cell: LSTMCell[In, H]) -> LSTM[In, H]:
        """The sequence module running ``cell`` (sharing its arrays)."""
        return from_parameters(cls, cell)

    @property
    def cell(self) -> LSTMCell[In, H]:
        """The one-step cell with these parameters."""
        return from_parameters(LSTMCell, self)

    def __call__(self, x: Tensor[T, *Batch, In]) -> Tensor[T, *Batch, H]:
        """Output sequence from the zero state, ``[T, *B, In] -> [T, *B, H]`` (no cache kept)."""
        return _infer(self, x, None)[0]

    def run(
        self,
        x: Tensor[T, *Batch, In],
        initial: tuple[Tensor[*Batch, H], Tensor[*Batch, H]] | None = None,
    ) -> tuple[Tensor[T, *Batch, H], tuple[Tensor[*Batch, H], Tensor[*Batch, H]]]:
        """Output sequence and final ``(h, c)``, ``[T, *B, In] -> [T, *B, H], 2 x [*B, H]``."""
        y, (h, c) = _infer(self, x, initial)
        return y, (h, c)

    def forward(
        self,
        x: Tensor[T, *Batch, In],
        initial: tuple[Tensor[*Batch, H], Tensor[*Batch, H]] | None = None,
    ) -> tuple[Tensor[T, *Batch, H], RecurrentCache]:
        """Forward that also returns the cache, ``[T, *B, In] -> [T, *B, H]``."""
        return _forward(self, x, initial)

    def backward(
        self, cache: RecurrentCache, grad_y: Tensor[T, *Batch, H]
    ) -> tuple[LSTMGrads, Tensor[T, *Batch, In]]:
        """BPTT from ``dL/dy`` ``[T, *B, H]``: grads and ``dL/dx`` ``[T, *B, In]``."""
        grads, dx, _ = self.backward_through_time(cache, grad_y)
        return grads, dx

    def backward_through_time(
        self,
        cache: RecurrentCache,
        grad_y: Tensor[T, *Batch, H] | None,
        grad_final: tuple[Tensor[*Batch, H], Tensor[*Batch, H]] | None = None,
    ) -> tuple[LSTMGrads, Tensor[T, *Batch, In], tuple[Tensor[*Batch, H], Tensor[*Batch, H]]]:
        """Full BPTT: grads, ``dL/dx`` ``[T, *B, In]`` and ``dL/d(h0, c0)`` ``[*B, H]`` each."""
        grads, dx, (dh0, dc0) = _backward(self, cache, grad_y, grad_final)
        return cast(LSTMGrads, grads), dx, (dh0, dc0)


SequenceModule = RNN[Any, Any] | GRU[Any, Any] | LSTM[Any, Any]
"""Any single-direction recurrent sequence module."""
