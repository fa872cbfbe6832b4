"""``RNNCell[In, H]``: the seeds' tanh RNN cell, ``h' = tanh(W [x; h] + b)``.

Parameters (seed ``RNNSpec``, grads ``Seq2SeqRNNGrads``): ``weight`` ``[H, In + H]`` on the
concatenated ``[x; h]`` and ``bias`` ``[H]``.

PyTorch layout (``nn.RNN``/``nn.RNNCell``, ``nonlinearity="tanh"``): ``weight_ih = W[:, :In]``,
``weight_hh = W[:, In:]``, ``bias_ih = b``, ``bias_hh = 0``.

The kernel (``rnn_run``/``rnn_reverse``) is shared with ``shapely_nn.modules.RNN``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, TypeVarTuple

import numpy as np

from shapely_nn.layers import _fast
from shapely_nn.layers._base import Array, GradRecord, Rng
from shapely_nn.layers._recurrent_base import (
    HiddenStateCell,
    RecurrentParameters,
    Tape,
)

In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)
Batch = TypeVarTuple("Batch")


@dataclass(frozen=True)
class RNNGrads(GradRecord):
    """Gradients of the RNN cell: ``weight`` ``[H, In + H]``, ``bias`` ``[H]`` (seed: dW, db)."""

    weight: Array
    bias: Array


@dataclass(frozen=True, init=False, eq=False)
class RNNParameters(RecurrentParameters):
    """The tanh RNN parameters (seed ``RNNSpec``) and the kernel over them."""

    weight: Array
    bias: Array

    kind: ClassVar[str] = "RNN"
    weight_names: ClassVar[tuple[str, ...]] = ("weight",)
    bias_names: ClassVar[tuple[str, ...]] = ("bias",)
    num_states: ClassVar[int] = 1

    def _run(self, x: Array, initial: tuple[Array, ...], *, keep: bool = True) -> Tape:
        return rnn_run(self.weight, self.bias, x, initial[0], keep=keep)

    def _reverse(
        self, tape: Tape, grad_y: Array, grad_final: tuple[Array | None, ...]
    ) -> tuple[RNNGrads, Array, tuple[Array, ...]]:
        dw, db, dx, dh0 = rnn_reverse(tape, grad_y, grad_final[0])
        return RNNGrads(weight=dw, bias=db), dx, (dh0,)


def rnn_run(w: Array, b: Array, x: Array, h0: Array, *, keep: bool = True) -> Tape:
    """tanh RNN over ``x`` ``[T, N, In]`` from ``h0`` ``[N, H]`` (the outputs are the tape)."""
    steps, n, in_size = x.shape
    hidden = h0.shape[1]
    w_hh_t = np.ascontiguousarray(w[:, in_size:].T)
    hs = (x.reshape(steps * n, in_size) @ w[:, :in_size].T).reshape(steps, n, hidden)
    hs += b
    recurrent = np.empty((n, hidden), dtype=w.dtype)
    fast = _fast.kernels()
    if fast is not None and hidden * hidden * n <= _fast.FULL_LOOP_MAX_MACS:
        fast.rnn_loop(w_hh_t, np.ascontiguousarray(h0), hs, recurrent)
    else:
        h = h0
        for t in range(steps):
            a = hs[t]
            np.matmul(h, w_hh_t, out=recurrent)
            if fast is not None:
                fast.rnn_cell(a, recurrent)
            else:
                np.add(a, recurrent, out=a)
                np.tanh(a, out=a)
            h = a
    return Tape(x=x, initial=(h0,), outputs=hs, final=(hs[-1],), weights=w, saved={})


def rnn_reverse(
    tape: Tape, grad_y: Array, grad_h: Array | None
) -> tuple[Array, Array, Array, Array]:
    """BPTT of ``rnn_run``: ``(dW [H, In+H], db [H], dx [T, N, In], dh0 [N, H])``."""
    x, w, hs = tape.x, tape.weights, tape.outputs
    steps, n, in_size = x.shape
    hidden = hs.shape[2]
    w_hh = np.ascontiguousarray(w[:, in_size:])
    d_pre = np.empty_like(hs)
    dh = np.zeros((n, hidden), dtype=w.dtype) if grad_h is None else grad_h.copy()
    fast = _fast.kernels()
    if fast is not None:
        gy = np.ascontiguousarray(grad_y)
        if hidden * hidden * n <= _fast.FULL_LOOP_MAX_MACS:
            fast.rnn_loop_back(w_hh, dh, gy, hs, d_pre)
        else:
            for t in range(steps - 1, -1, -1):
                fast.rnn_cell_back(dh, gy[t], hs[t], d_pre[t])
                np.matmul(d_pre[t], w_hh, out=dh)
    else:
        derivative = 1 - hs * hs  # tanh' for all steps at once
        for t in range(steps - 1, -1, -1):
            np.add(dh, grad_y[t], out=dh)
            np.multiply(dh, derivative[t], out=d_pre[t])
            np.matmul(d_pre[t], w_hh, out=dh)
    flat = d_pre.reshape(steps * n, hidden)
    h_prev = np.concatenate([tape.initial[0][None], hs[:-1]]).reshape(steps * n, hidden)
    dw = np.concatenate([flat.T @ x.reshape(steps * n, in_size), flat.T @ h_prev], axis=1)
    dx = (flat @ w[:, :in_size]).reshape(steps, n, in_size)
    return dw, flat.sum(axis=0), dx, dh


class RNNCell(HiddenStateCell[In, H, RNNGrads], RNNParameters, Generic[In, H]):
    """One tanh RNN step: ``[*B, In]`` and ``h`` ``[*B, H]`` -> ``[*B, H]`` (``nn.RNNCell``).

    The zero state is used when ``h`` is ``None``.
    """

    if TYPE_CHECKING:
        # Other checkers read ``__new__`` (and keep no literal sizes without it); mypy
        # reads ``__init__``. See ``Linear``.
        def __new__(cls, *args: Any, **kwargs: Any) -> RNNCell[Any, Any]: ...

    def __init__(
        self, input_size: In, hidden_size: H, *, rng: Rng, dtype: Any = np.float32
    ) -> None:
        """Fresh parameters ``U(-1/sqrt(H), 1/sqrt(H))`` from ``rng`` (PyTorch's init)."""
        RNNParameters.__init__(self, input_size, hidden_size, rng=rng, dtype=dtype)
