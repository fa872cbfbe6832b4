"""``RecurrentStack``: recurrent layers applied in turn, each with its own parameters.

The seeds' multi-layer stacks (``MultiLayerRNN``, ``MultiLayerLSTMModel``): the first layer
maps ``In -> H``, every later one ``H -> H`` (``2H -> H`` per direction when bidirectional).
PyTorch: ``nn.RNN/LSTM/GRU(..., num_layers=n[, bidirectional=True])``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, TypeVarTuple

import numpy as np

from shapely_nn._shape import ShapeError
from shapely_nn._tensor import Tensor, describe, require_tensor
from shapely_nn.guards import require_size
from shapely_nn.layers._base import GradRecord, Layer, Rng, as_generator
from shapely_nn.layers._recurrent_base import AnyTensor, RecurrentCache
from shapely_nn.modules._bidirectional import Bidirectional, BidirectionalCache
from shapely_nn.modules._recurrent import GRU, LSTM, RNN, SequenceModule

In = TypeVar("In", bound=int)
Out = TypeVar("Out", bound=int)
T = TypeVar("T", bound=int)
Batch = TypeVarTuple("Batch")

StackableLayer = SequenceModule | Bidirectional[Any, Any]
_KINDS: dict[str, type[RNN[Any, Any] | GRU[Any, Any] | LSTM[Any, Any]]] = {
    "RNN": RNN,
    "GRU": GRU,
    "LSTM": LSTM,
}


def output_size(layer: StackableLayer) -> int:
    """Features per step a recurrent layer outputs (``H``, or ``H + H`` bidirectional)."""
    return layer.output_size if isinstance(layer, Bidirectional) else layer.hidden_size


@dataclass(frozen=True)
class RecurrentStackGrads(GradRecord):
    """Gradients of every layer, in order (names ``layers.0.…`` like the parameters)."""

    layers: tuple[GradRecord, ...]


@dataclass(frozen=True)
class RecurrentStackCache:
    """Each layer's cache; ``final_state`` lists each layer's final state."""

    layers: tuple[RecurrentCache | BidirectionalCache, ...]

    @property
    def final_state(self) -> list[Any]:
        """Final state of each layer, as that layer's ``run`` returns it."""
        out: list[Any] = []
        for cache in self.layers:
            if isinstance(cache, BidirectionalCache):
                out.append(cache.final_state)
            else:
                state = cache.final_state
                out.append(state[0] if len(state) == 1 else state)
        return out


@dataclass(frozen=True, init=False, eq=False)
class RecurrentStack(Layer, Generic[In, Out]):
    """Recurrent layers in sequence, ``[T, *B, In] -> [T, *B, Out]``, independent parameters."""

    layers: tuple[StackableLayer, ...]

    def __init__(self, layers: Sequence[StackableLayer]) -> None:
        if not layers:
            raise ShapeError("RecurrentStack: needs at least one layer")
        for k in range(1, len(layers)):
            got, expected = layers[k].input_size, output_size(layers[k - 1])
            if got != expected:
                raise ShapeError(
                    f"RecurrentStack: layer {k} takes In = {got}, but layer {k - 1} outputs "
                    f"{expected}"
                )
        object.__setattr__(self, "layers", tuple(layers))

    @classmethod
    def build(
        cls,
        kind: str,
        input_size: int,
        hidden_size: int,
        num_layers: int,
        *,
        rng: Rng,
        bidirectional: bool = False,
        dtype: Any = np.float32,
    ) -> RecurrentStack[Any, Any]:
        """``num_layers`` fresh ``"RNN"``/``"LSTM"``/``"GRU"`` layers (``nn.LSTM(num_layers=)``)."""
        require_size(num_layers=num_layers)
        module = _KINDS.get(kind)
        if module is None:
            raise ValueError(
                f"RecurrentStack.build: kind must be one of {sorted(_KINDS)}, got {kind!r}"
            )
        gen = as_generator(rng)
        layers: list[StackableLayer] = []
        size = input_size
        for _ in range(num_layers):
            if bidirectional:
                fwd = module(size, hidden_size, rng=gen, dtype=dtype)
                bwd = module(size, hidden_size, rng=gen, dtype=dtype)
                layers.append(Bidirectional(fwd, bwd))
            else:
                layers.append(module(size, hidden_size, rng=gen, dtype=dtype))
            size = output_size(layers[-1])
        return cls(layers)

    @property
    def input_size(self) -> int:
        """Input size ``In`` (the first layer's)."""
        return self.layers[0].input_size

    @property
    def output_size(self) -> int:
        """Output size ``Out`` (the last layer's)."""
        return output_size(self.layers[-1])

    def __call__(self, x: Tensor[T, *Batch, In]) -> Tensor[T, *Batch, Out]:
        """Every layer in turn from zero states, ``[T, *B, In] -> [T, *B, Out]``."""
        return self.run(x)[0]

    def run(
        self, x: Tensor[T, *Batch, In], initial: Sequence[Any] | None = None
    ) -> tuple[Tensor[T, *Batch, Out], list[Any]]:
        """Output and each layer's final state; ``initial`` gives each layer's initial state.

        The inference path: no cache is kept.
        """
        x = self._check_inputs(x, initial)
        finals: list[Any] = []
        h: Any = x
        for k, layer in enumerate(self.layers):
            h, final = layer.run(h, None if initial is None else initial[k])
            finals.append(final)
        return h, finals

    def _check_inputs(self, x: AnyTensor, initial: Sequence[Any] | None) -> AnyTensor:
        x = require_tensor("RecurrentStack", "x", x)
        if initial is not None and not isinstance(initial, tuple | list):
            raise TypeError(
                f'RecurrentStack: argument "initial" must be a list of states (one per layer), '
                f"got {describe(initial)}"
            )
        if initial is not None and len(initial) != len(self.layers):
            raise ShapeError(
                f"RecurrentStack: expected {len(self.layers)} initial states (one per layer), "
                f"got {len(initial)}"
            )
        return x

    def forward(
        self, x: Tensor[T, *Batch, In], initial: Sequence[Any] | None = None
    ) -> tuple[Tensor[T, *Batch, Out], RecurrentStackCache]:
        """Forward that also returns the cache, ``[T, *B, In] -> [T, *B, Out]``."""
        x = self._check_inputs(x, initial)
        caches = []
        h: Any = x
        for k, layer in enumerate(self.layers):
            h, cache = layer.forward(h, None if initial is None else initial[k])
            caches.append(cache)
        return h, RecurrentStackCache(tuple(caches))

    def backward(
        self, cache: RecurrentStackCache, grad_y: Tensor[T, *Batch, Out]
    ) -> tuple[RecurrentStackGrads, Tensor[T, *Batch, In]]:
        """BPTT through every layer: grads and ``dL/dx`` ``[T, *B, In]``."""
        grads, dx, _ = self.backward_through_time(cache, grad_y)
        return grads, dx

    def backward_through_time(
        self,
        cache: RecurrentStackCache,
        grad_y: Tensor[T, *Batch, Out] | None,
        grad_final: Sequence[Any] | None = None,
    ) -> tuple[RecurrentStackGrads, Tensor[T, *Batch, In], list[Any]]:
        """Full BPTT: grads, ``dL/dx``, and ``dL/d(initial state)`` of each layer."""
        n = len(self.layers)
        if grad_final is not None and len(grad_final) != n:
            raise ShapeError(
                f"RecurrentStack: expected {n} final-state grads, got {len(grad_final)}"
            )
        grads: list[GradRecord] = [GradRecord()] * n
        d_initial: list[Any] = [None] * n
        g: Any = grad_y
        for k in range(n - 1, -1, -1):
            fin = None if grad_final is None else grad_final[k]
            grads[k], g, d_initial[k] = self.layers[k].backward_through_time(
                cache.layers[k],  # type: ignore[arg-type]
                g,
                fin,
            )
        return RecurrentStackGrads(tuple(grads)), g, d_initial
