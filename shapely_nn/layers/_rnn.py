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

from shapely_nn.layers._base import Array, GradRecord, Rng
from shapely_nn.layers._recurrent_base import (
    HiddenStateCell,
    RecurrentParameters,
    Tape,
    loop_product,
    row_kernels,
    weight_grads,
)
from shapely_nn.layers._workspace import carve

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
    fast = row_kernels(x)
    if fast is not None:
        # rows: h0, then each step's input part, overwritten by its state (see _kernels_numba)
        hs = np.empty(((steps + 1) * n, hidden), dtype=w.dtype)
        hs[:n] = h0
        np.matmul(x.reshape(steps * n, in_size), w[:, :in_size].T, out=hs[n:])
        recurrent = np.empty((n, hidden), dtype=w.dtype)
        blas = loop_product(fast, hidden * hidden * n)
        if blas is None:
            for t in range(steps):
                np.matmul(hs[t * n : (t + 1) * n], w_hh_t, out=recurrent)
                fast.rnn_step(hs[(t + 1) * n : (t + 2) * n], recurrent, b)
        else:
            fast.rnn_loop(hs, recurrent, b, w_hh_t, blas)
        outputs = hs[n:].reshape(steps, n, hidden)
        saved = {"h_rows": hs} if keep else {}
        return Tape(x, (h0,), outputs, (outputs[-1],), w, saved)
    hs = (x.reshape(steps * n, in_size) @ w[:, :in_size].T).reshape(steps, n, hidden)
    hs += b
    recurrent = np.empty((n, hidden), dtype=w.dtype)
    h = h0
    for t in range(steps):
        a = hs[t]
        np.matmul(h, w_hh_t, out=recurrent)
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
    dh = np.zeros((n, hidden), dtype=w.dtype) if grad_h is None else grad_h.copy()
    fast = row_kernels(tape.x)
    if fast is not None:
        # the states as rows h_0 .. h_T: the compiled forward's own array, else a copy
        h_rows = tape.saved.get("h_rows")
        if h_rows is None:
            h_rows = np.concatenate([tape.initial[0][None], hs]).reshape(-1, hidden)
        (d_pre,) = carve(w.dtype, (steps * n, hidden))
        gy = np.ascontiguousarray(grad_y).reshape(steps * n, hidden)
        out_rows = h_rows[n:]
        blas = loop_product(fast, hidden * hidden * n)
        if blas is None:
            for t in range(steps - 1, -1, -1):
                block = slice(t * n, (t + 1) * n)
                fast.rnn_step_back(dh, gy[block], out_rows[block], d_pre[block])
                np.matmul(d_pre[block], w_hh, out=dh)
        else:
            fast.rnn_loop_back(w_hh, dh, gy, out_rows, d_pre, blas)
        dw, db, dx = weight_grads(d_pre, d_pre, x, h_rows, w)
        return dw, db, dx, dh
    d_pre = np.empty_like(hs)
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
