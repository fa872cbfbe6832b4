"""``BiRNN``, ``BiLSTM``, ``BiGRU``: ``[T, *B, In] -> [T, *B, H + H]`` (seed ``Bi*ModuleSpec``).

The seeds' definition, exactly: run the forward module over ``x``; run the backward module over
the time-reversed ``x`` and reverse its outputs back; concatenate the two along the features,
forward first. PyTorch: ``nn.RNN/LSTM/GRU(..., bidirectional=True)``, whose ``_reverse``
parameters are the backward module's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, TypeVarTuple

import numpy as np

from shapely_nn._shape import ShapeError
from shapely_nn._tensor import Tensor, describe, require_tensor
from shapely_nn.layers._base import GradRecord, Layer, Rng, as_generator
from shapely_nn.layers._recurrent_base import AnyTensor, RecurrentCache
from shapely_nn.modules._recurrent import GRU, LSTM, RNN, SequenceModule
from shapely_nn_dims import Add

In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)
T = TypeVar("T", bound=int)
Batch = TypeVarTuple("Batch")


@dataclass(frozen=True)
class BidirectionalGrads(GradRecord):
    """Gradients of both directions, named like the sub-layers."""

    forward_layer: GradRecord
    backward_layer: GradRecord


@dataclass(frozen=True)
class BidirectionalCache:
    """Both directions' caches; ``final_state`` is ``(forward final, backward final)``.

    The backward direction's final state is its state after reading ``x[0]``.
    """

    forward: RecurrentCache
    backward: RecurrentCache

    @property
    def final_state(self) -> tuple[Any, Any]:
        """Final state of each direction, as its module's ``run`` returns it."""
        return _public(self.forward.final_state), _public(self.backward.final_state)


def _public(state: tuple[AnyTensor, ...]) -> Any:
    return state[0] if len(state) == 1 else state


@dataclass(frozen=True, init=False, eq=False)
class Bidirectional(Layer, Generic[In, H]):
    """Two sequence modules of one kind, read forward and backward in time.

    ``[T, *B, In] -> [T, *B, H + H]``; ``forward_layer``/``backward_layer`` are the seeds'
    ``forward_lstm``/``backward_lstm`` (``forward_rnn``...).
    """

    forward_layer: SequenceModule
    backward_layer: SequenceModule

    def __init__(self, forward_layer: SequenceModule, backward_layer: SequenceModule) -> None:
        f, b = forward_layer, backward_layer
        for name, part in (("forward_layer", f), ("backward_layer", b)):
            if not isinstance(part, RNN | GRU | LSTM):
                raise TypeError(
                    f"Bidirectional: {name} must be an RNN, GRU or LSTM sequence module, "
                    f"got {describe(part)}"
                )
        if type(f) is not type(b):
            raise TypeError(
                f"Bidirectional: both directions must be one kind, got "
                f"{type(f).__name__} and {type(b).__name__}"
            )
        if (f.input_size, f.hidden_size) != (b.input_size, b.hidden_size):
            raise ShapeError(
                f"Bidirectional: directions differ in size: forward [{f.input_size}, "
                f"{f.hidden_size}], backward [{b.input_size}, {b.hidden_size}]"
            )
        if f.dtype != b.dtype:
            raise TypeError(f"Bidirectional: dtypes differ: {f.dtype} and {b.dtype}")
        object.__setattr__(self, "forward_layer", f)
        object.__setattr__(self, "backward_layer", b)

    @property
    def input_size(self) -> int:
        """Input size ``In``."""
        return self.forward_layer.input_size

    @property
    def hidden_size(self) -> int:
        """Hidden size ``H`` of each direction (the output has ``H + H``)."""
        return self.forward_layer.hidden_size

    @property
    def output_size(self) -> int:
        """``H + H``."""
        return 2 * self.hidden_size

    def __call__(self, x: Tensor[T, *Batch, In]) -> Tensor[T, *Batch, Add[H, H]]:
        """Both directions from zero states, concatenated: ``[T, *B, In] -> [T, *B, H + H]``."""
        return self.run(x)[0]

    def run(
        self, x: Tensor[T, *Batch, In], initial: tuple[Any, Any] | None = None
    ) -> tuple[Tensor[T, *Batch, Add[H, H]], tuple[Any, Any]]:
        """Output and ``(forward final, backward final)`` states, ``[T, *B, In] -> [T, *B, 2H]``.

        ``initial`` is ``(forward initial, backward initial)``, each as its module takes it.
        The inference path: no cache is kept.
        """
        x, init_f, init_b = self._inputs(x, initial)
        y_f, final_f = self.forward_layer.run(x, init_f)  # checks x before it is reversed
        x_reversed: AnyTensor = Tensor(x.numpy()[::-1])
        y_b, final_b = self.backward_layer.run(x_reversed, init_b)
        y = np.concatenate([y_f.numpy(), y_b.numpy()[::-1]], axis=-1)
        return Tensor(y), (final_f, final_b)

    def _inputs(self, x: AnyTensor, initial: tuple[Any, Any] | None) -> tuple[AnyTensor, Any, Any]:
        """Checked ``x`` and each direction's initial state."""
        label = f"Bi{self.forward_layer.kind}[{self.input_size}, {self.hidden_size}]"
        x = require_tensor(label, "x", x)
        if initial is not None and not (isinstance(initial, tuple | list) and len(initial) == 2):
            raise TypeError(
                f'{label}: argument "initial" must be a pair (forward initial, backward '
                f"initial), got {describe(initial)}"
            )
        init_f, init_b = (None, None) if initial is None else initial
        return x, init_f, init_b

    def forward(
        self, x: Tensor[T, *Batch, In], initial: tuple[Any, Any] | None = None
    ) -> tuple[Tensor[T, *Batch, Add[H, H]], BidirectionalCache]:
        """Forward that also returns the cache, ``[T, *B, In] -> [T, *B, H + H]``."""
        x, init_f, init_b = self._inputs(x, initial)
        y_f, cache_f = self.forward_layer.forward(x, init_f)  # checks x before it is reversed
        x_reversed: AnyTensor = Tensor(x.numpy()[::-1])
        y_b, cache_b = self.backward_layer.forward(x_reversed, init_b)
        y = np.concatenate([y_f.numpy(), y_b.numpy()[::-1]], axis=-1)
        return Tensor(y), BidirectionalCache(cache_f, cache_b)

    def backward(
        self, cache: BidirectionalCache, grad_y: Tensor[T, *Batch, Add[H, H]]
    ) -> tuple[BidirectionalGrads, Tensor[T, *Batch, In]]:
        """BPTT of both directions: grads and ``dL/dx`` ``[T, *B, In]``."""
        grads, dx, _ = self.backward_through_time(cache, grad_y)
        return grads, dx

    def backward_through_time(
        self,
        cache: BidirectionalCache,
        grad_y: Tensor[T, *Batch, Add[H, H]] | None,
        grad_final: tuple[Any, Any] | None = None,
    ) -> tuple[BidirectionalGrads, Tensor[T, *Batch, In], tuple[Any, Any]]:
        """Full BPTT: grads, ``dL/dx`` ``[T, *B, In]``, ``dL/d(initial states)`` per direction."""
        hidden = self.hidden_size
        g_f: AnyTensor | None = None
        g_b: AnyTensor | None = None
        if grad_y is not None:
            g = grad_y.numpy()
            expected = (*cache.forward.tape.outputs.shape[:1], *cache.forward.batch, 2 * hidden)
            if g.shape != expected:
                raise ShapeError(
                    f"Bi{self.forward_layer.kind}[{self.input_size}, {hidden}].backward: grad_y "
                    f"has shape {grad_y.shape}, expected {list(expected)}"
                )
            g_f, g_b = Tensor(g[..., :hidden]), Tensor(g[..., hidden:][::-1])
        fin_f, fin_b = (None, None) if grad_final is None else grad_final
        grads_f, dx_f, d0_f = self.forward_layer.backward_through_time(cache.forward, g_f, fin_f)
        grads_b, dx_b, d0_b = self.backward_layer.backward_through_time(cache.backward, g_b, fin_b)
        dx = dx_f.numpy() + dx_b.numpy()[::-1]
        return BidirectionalGrads(grads_f, grads_b), Tensor(dx), (d0_f, d0_b)


def _pair(cls: type[RNN[Any, Any] | GRU[Any, Any] | LSTM[Any, Any]], *args: Any, **kw: Any) -> Any:
    gen = as_generator(kw.pop("rng"))
    return cls(*args, rng=gen, **kw), cls(*args, rng=gen, **kw)


class BiRNN(Bidirectional[In, H]):
    """Bidirectional tanh RNN, ``[T, *B, In] -> [T, *B, H + H]`` (seed ``BiRNNModuleSpec``)."""

    if TYPE_CHECKING:
        # For checkers other than mypy (see Linear.__new__).
        def __new__(cls, *args: Any, **kwargs: Any) -> BiRNN[Any, Any]: ...

    def __init__(
        self, input_size: In, hidden_size: H, *, rng: Rng, dtype: Any = np.float32
    ) -> None:
        super().__init__(*_pair(RNN, input_size, hidden_size, rng=rng, dtype=dtype))


class BiLSTM(Bidirectional[In, H]):
    """Bidirectional LSTM, ``[T, *B, In] -> [T, *B, H + H]`` (seed ``BiLSTMModuleSpec``)."""

    if TYPE_CHECKING:
        # For checkers other than mypy (see Linear.__new__).
        def __new__(cls, *args: Any, **kwargs: Any) -> BiLSTM[Any, Any]: ...

    def __init__(
        self, input_size: In, hidden_size: H, *, rng: Rng, dtype: Any = np.float32
    ) -> None:
        super().__init__(*_pair(LSTM, input_size, hidden_size, rng=rng, dtype=dtype))


class BiGRU(Bidirectional[In, H]):
    """Bidirectional GRU, ``[T, *B, In] -> [T, *B, H + H]``."""

    if TYPE_CHECKING:
        # For checkers other than mypy (see Linear.__new__).
        def __new__(cls, *args: Any, **kwargs: Any) -> BiGRU[Any, Any]: ...

    def __init__(
        self, input_size: In, hidden_size: H, *, rng: Rng, dtype: Any = np.float32
    ) -> None:
        super().__init__(*_pair(GRU, input_size, hidden_size, rng=rng, dtype=dtype))
