"""``LSTMCell[In, H]``: the seeds' LSTM cell, gates on the concatenated ``[x; h]``.

Each gate (forget, input, candidate, output) has a weight ``[H, In + H]`` and a bias ``[H]``::

    f = sigmoid(W_f [x; h] + b_f)    i = sigmoid(W_i [x; h] + b_i)
    g = tanh(W_g [x; h] + b_g) o = sigmoid(W_o [x; h] + b_o)
    c' = f * c + i * g         h' = o * tanh(c')

PyTorch layout (``nn.LSTM``/``nn.LSTMCell``): ``weight_ih = [W_i; W_f; W_g; W_o][:, :In]``,
``weight_hh = [W_i; W_f; W_g; W_o][:, In:]``, ``bias_ih = [b_i; b_f; b_g; b_o]``, ``bias_hh = 0``
(PyTorch's two biases only ever appear summed).

The kernel here (``lstm_run``/``lstm_reverse``) is shared with the sequence module
``shapely_nn.modules.LSTM``: the cell is the sequence of length 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, TypeVarTuple, cast

import numpy as np

from shapely_nn._tensor import Tensor
from shapely_nn.layers._base import Array, GradRecord, Rng
from shapely_nn.layers._recurrent_base import (
    RecurrentCache,
    RecurrentParameters,
    Tape,
    concat_backward,
    concat_call,
    concat_forward,
    flat_gates,
    input_projection,
    loop_product,
    row_kernels,
    run_backward,
    run_forward,
    run_inference,
    saved_as_columns,
    saved_as_rows,
    weight_grads,
)
from shapely_nn.layers._workspace import carve
from shapely_nn_dims import Add

In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)
Batch = TypeVarTuple("Batch")

# Kernel gate order: the three sigmoid gates first (one activation call), and input, forget,
# candidate contiguous (their gradients all scale dL/dc, one broadcast product).
_KERNEL_ORDER = ("output", "input", "forget", "candidate")
_WEIGHTS = ("forget_weights", "input_weights", "candidate_weights", "output_weights")
_BIASES = ("forget_bias", "input_bias", "candidate_bias", "output_bias")


@dataclass(frozen=True)
class LSTMGrads(GradRecord):
    """Gradients of the LSTM gates, named like the parameters (seed: ``d_forget_weights``...).

    The fields mirror ``LSTMParameters`` (without the seed's ``d_`` prefix) so that
    ``grads.as_dict()`` has exactly the keys of ``layer.parameters()``.
    """

    forget_weights: Array
    forget_bias: Array
    input_weights: Array
    input_bias: Array
    candidate_weights: Array
    candidate_bias: Array
    output_weights: Array
    output_bias: Array


@dataclass(frozen=True, init=False, eq=False)
class LSTMParameters(RecurrentParameters):
    """The LSTM gate parameters (seed ``LSTMSpec``) and the kernel over them."""

    forget_weights: Array
    forget_bias: Array
    input_weights: Array
    input_bias: Array
    candidate_weights: Array
    candidate_bias: Array
    output_weights: Array
    output_bias: Array

    kind: ClassVar[str] = "LSTM"
    weight_names: ClassVar[tuple[str, ...]] = _WEIGHTS
    bias_names: ClassVar[tuple[str, ...]] = _BIASES
    num_states: ClassVar[int] = 2

    def _packed(self) -> tuple[Array, Array]:
        """Weights ``[4H, In + H]`` and bias ``[4H]`` in kernel order (o, i, f, g)."""
        w = np.concatenate([getattr(self, f"{g}_weights") for g in _KERNEL_ORDER])
        b = np.concatenate([getattr(self, f"{g}_bias") for g in _KERNEL_ORDER])
        return w, b

    def _run(self, x: Array, initial: tuple[Array, ...], *, keep: bool = True) -> Tape:
        w, b = self._packed()
        return lstm_run(w, b, x, initial[0], initial[1], keep=keep)

    def _reverse(
        self, tape: Tape, grad_y: Array, grad_final: tuple[Array | None, ...]
    ) -> tuple[LSTMGrads, Array, tuple[Array, ...]]:
        dw, db, dx, dh0, dc0 = lstm_reverse(tape, grad_y, grad_final[0], grad_final[1])
        hidden = self.hidden_size
        fields: dict[str, Array] = {}
        for k, gate in enumerate(_KERNEL_ORDER):
            fields[f"{gate}_weights"] = dw[k * hidden : (k + 1) * hidden]
            fields[f"{gate}_bias"] = db[k * hidden : (k + 1) * hidden]
        return LSTMGrads(**fields), dx, (dh0, dc0)


def lstm_run(w: Array, b: Array, x: Array, h0: Array, c0: Array, *, keep: bool = True) -> Tape:
    """LSTM over ``x`` ``[T, N, In]`` from ``h0, c0`` ``[N, H]``; weights in kernel order.

    ``sigmoid(a) = (1 + tanh(a / 2)) / 2``: the sigmoid rows of the packed weights are halved
    once, so one ``tanh`` call activates all four gates of a step. ``keep=False`` is the
    inference path: no tape is kept (the returned ``Tape`` has empty ``saved``).

    The compiled kernels, when enabled, work on rows (see ``_kernels_numba``); the NumPy loop
    on transposed states ``[H, N]`` and gates ``[4H, N]``, so that every gate is a contiguous
    block (NumPy is several times slower on strided slices of small arrays). ``lstm_reverse``
    reverses a tape of either layout on either path.
    """
    hidden = h0.shape[1]
    # halving is exact in binary floating point: same values as a product with a scale vector,
    # in fewer calls (they add up at small sizes)
    w_scaled = w.copy()
    w_scaled[: 3 * hidden] *= 0.5
    bias = b.copy()
    bias[: 3 * hidden] *= 0.5
    fast = row_kernels(x)
    if fast is not None:
        return _fast_run(fast, w, w_scaled, bias, x, h0, c0, keep)
    steps, n, in_size = x.shape
    w_hh = np.ascontiguousarray(w_scaled[:, in_size:])  # [4H, H]
    # cells[t + 1] is c_t and hs[t + 1] is h_t, transposed (rings of 2 and 1 without a tape).
    ring = 0 if keep else 1
    block, cells, hs, tanh_cells = carve(
        w.dtype,
        (steps * 4 * hidden * n,),
        (2 if ring else steps + 1, hidden, n),
        (steps + 1, hidden, n),
        (1 if ring else steps, hidden, n),
    )
    gates = input_projection(w_scaled[:, :in_size], bias, x, block)
    cells[0] = c0.T
    hs[0] = h0.T
    recurrent = np.empty((4 * hidden, n), dtype=w.dtype)
    _numpy_loop(w_hh, gates, cells, hs, tanh_cells, recurrent)
    outputs = np.ascontiguousarray(hs[1:].transpose(0, 2, 1))  # [T, N, H]
    saved = {"gates": gates, "cells": cells, "tanh_cells": tanh_cells} if keep else {}
    return Tape(
        x=x,
        initial=(h0, c0),
        outputs=outputs,
        final=(outputs[-1], np.ascontiguousarray(cells[steps % cells.shape[0]].T)),
        weights=w,
        saved=saved,
    )


def _fast_run(
    fast: Any,
    w: Array,
    w_scaled: Array,
    bias: Array,
    x: Array,
    h0: Array,
    c0: Array,
    keep: bool,
) -> Tape:
    """``lstm_run`` on the compiled kernels, in rows (``_kernels_numba``'s layout)."""
    steps, n, in_size = x.shape
    hidden = h0.shape[1]
    w_hh_t = np.ascontiguousarray(w_scaled[:, in_size:].T)  # [H, 4H]
    # cells: c0, then c_t in block t + 1 (a ring of two blocks without a tape); tanh_cells:
    # tanh c_t in block t (a ring of one block without a tape)
    gates, cells, tanh_cells, recurrent = carve(
        w.dtype,
        (steps * n, 4 * hidden),
        ((steps + 1 if keep else 2) * n, hidden),
        ((steps if keep else 1) * n, hidden),
        (n, 4 * hidden),
    )
    # h0, then h_t in block t + 1; its own array, since the outputs are a view of it
    hs = np.empty(((steps + 1) * n, hidden), dtype=w.dtype)
    np.matmul(x.reshape(steps * n, in_size), w_scaled[:, :in_size].T, out=gates)
    hs[:n] = h0
    cells[:n] = c0
    blas = loop_product(fast, 4 * hidden * hidden * n)
    if blas is None:
        m_c, m_t = cells.shape[0] // n, tanh_cells.shape[0] // n
        for t in range(steps):
            np.matmul(hs[t * n : (t + 1) * n], w_hh_t, out=recurrent)
            c_prev, c = (cells[(s % m_c) * n : (s % m_c + 1) * n] for s in (t, t + 1))
            fast.lstm_step(
                gates[t * n : (t + 1) * n],
                recurrent,
                bias,
                c_prev,
                c,
                tanh_cells[(t % m_t) * n : (t % m_t + 1) * n],
                hs[(t + 1) * n : (t + 2) * n],
            )
    else:
        fast.lstm_loop(gates, recurrent, bias, w_hh_t, cells, tanh_cells, hs, blas)
    outputs = hs[n:].reshape(steps, n, hidden)
    last = steps % (cells.shape[0] // n)
    saved = {"gate_rows": gates, "cell_rows": cells, "tanh_cell_rows": tanh_cells, "h_rows": hs}
    return Tape(
        x=x,
        initial=(h0, c0),
        outputs=outputs,
        final=(outputs[-1], cells[last * n : (last + 1) * n].copy()),
        weights=w,
        saved=saved if keep else {},
    )


def _numpy_loop(
    w_hh: Array, gates: Array, cells: Array, hs: Array, tanh_cells: Array, recurrent: Array
) -> None:
    """The reference time loop (``cells``/``tanh_cells`` may be rings, see ``lstm_run``)."""
    hidden = hs.shape[1]
    m_c, m_t = cells.shape[0], tanh_cells.shape[0]
    product = np.empty_like(hs[0])
    for t in range(gates.shape[0]):
        a = gates[t]
        np.matmul(w_hh, hs[t], out=recurrent)
        np.add(a, recurrent, out=a)
        np.tanh(a, out=a)
        sig = a[: 3 * hidden]
        np.multiply(sig, 0.5, out=sig)
        np.add(sig, 0.5, out=sig)
        c = cells[(t + 1) % m_c]
        np.multiply(a[2 * hidden : 3 * hidden], cells[t % m_c], out=c)
        np.multiply(a[hidden : 2 * hidden], a[3 * hidden :], out=product)
        np.add(c, product, out=c)
        tc = tanh_cells[t % m_t]
        np.tanh(c, out=tc)
        np.multiply(a[:hidden], tc, out=hs[t + 1])


# The tape's arrays: the NumPy loop's name -> the compiled kernels' rows.
_SAVED = {"gates": "gate_rows", "cells": "cell_rows", "tanh_cells": "tanh_cell_rows"}


def _saved_as_rows(tape: Tape) -> dict[str, Array]:
    """As ``saved_as_rows``, with the hidden states' rows, which the NumPy loop keeps as the
    outputs after the initial state."""
    if "gate_rows" in tape.saved:
        return tape.saved
    h_rows = np.concatenate([tape.initial[0][None], tape.outputs])
    return {**saved_as_rows(tape, _SAVED), "h_rows": h_rows.reshape(-1, h_rows.shape[-1])}


def lstm_reverse(
    tape: Tape, grad_y: Array, grad_h: Array | None, grad_c: Array | None
) -> tuple[Array, Array, Array, Array, Array]:
    """BPTT of ``lstm_run``: ``(dW [4H, In+H], db [4H], dx, dh0, dc0)`` in kernel order."""
    fast = row_kernels(tape.x)
    if fast is not None:
        return _fast_reverse(fast, tape, grad_y, grad_h, grad_c)
    x, w = tape.x, tape.weights
    steps, n, in_size = x.shape
    hidden = tape.outputs.shape[2]
    w_hh_t = np.ascontiguousarray(w[:, in_size:].T)  # [H, 4H]
    dh = np.zeros((hidden, n), dtype=w.dtype) if grad_h is None else grad_h.T.copy()
    dc = np.zeros((hidden, n), dtype=w.dtype) if grad_c is None else grad_c.T.copy()
    saved = saved_as_columns(tape, _SAVED)
    gates, tcs = saved["gates"], saved["tanh_cells"]
    # Every work array of the pass from one allocation (fresh separate arrays page-fault;
    # see _workspace): gate grads, two NumPy-path temporaries, the flat grads, h_{t-1}.
    d_gates, out_to_cell, grad_y_t, flat, h_prev = carve(
        w.dtype, gates.shape, tcs.shape, tcs.shape, (4 * hidden, steps * n), (steps, n, hidden)
    )
    _numpy_reverse_loop(saved, grad_y, w_hh_t, dh, dc, (d_gates, out_to_cell, grad_y_t))
    flat_gates(d_gates, flat)  # [4H, T * N]
    h_prev[0] = tape.initial[0]
    h_prev[1:] = tape.outputs[:-1]
    dw = np.concatenate(
        [flat @ x.reshape(steps * n, in_size), flat @ h_prev.reshape(steps * n, hidden)], axis=1
    )
    dx = (flat.T @ w[:, :in_size]).reshape(steps, n, in_size)
    return dw, flat.sum(axis=1), dx, np.ascontiguousarray(dh.T), np.ascontiguousarray(dc.T)


def _fast_reverse(
    fast: Any, tape: Tape, grad_y: Array, grad_h: Array | None, grad_c: Array | None
) -> tuple[Array, Array, Array, Array, Array]:
    """``lstm_reverse`` on the compiled kernels, in rows."""
    x, w = tape.x, tape.weights
    steps, n, in_size = x.shape
    hidden = tape.outputs.shape[2]
    saved = _saved_as_rows(tape)
    w_hh = np.ascontiguousarray(w[:, in_size:])  # [4H, H]
    dh = np.zeros((n, hidden), dtype=w.dtype) if grad_h is None else grad_h.copy()
    dc = np.zeros((n, hidden), dtype=w.dtype) if grad_c is None else grad_c.copy()
    (d_gates,) = carve(w.dtype, (steps * n, 4 * hidden))
    gy = np.ascontiguousarray(grad_y).reshape(steps * n, hidden)
    gates, cells, tcs = saved["gate_rows"], saved["cell_rows"], saved["tanh_cell_rows"]
    blas = loop_product(fast, 4 * hidden * hidden * n)
    if blas is None:
        for t in range(steps - 1, -1, -1):
            block = slice(t * n, (t + 1) * n)
            dg = d_gates[block]
            fast.lstm_step_back(dh, dc, gy[block], gates[block], cells[block], tcs[block], dg)
            np.matmul(dg, w_hh, out=dh)
    else:
        fast.lstm_loop_back(w_hh, dh, dc, gy, gates, cells, tcs, d_gates, blas)
    return (*weight_grads(d_gates, d_gates, x, saved["h_rows"], w), dh, dc)


def _numpy_reverse_loop(
    saved: dict[str, Array],
    grad_y: Array,
    w_hh_t: Array,
    dh: Array,
    dc: Array,
    work: tuple[Array, ...],
) -> None:
    """The reference BPTT loop: gate gradients into ``work[0]`` ``[T, 4H, N]``; ``dh``/``dc``
    updated in place; ``work[1:]`` are two ``[T, H, N]`` temporaries."""
    hidden = dh.shape[0]
    gates, cells, tanh_cells = saved["gates"], saved["cells"], saved["tanh_cells"]
    o, i, f, g = (gates[:, k * hidden : (k + 1) * hidden] for k in range(4))
    # Every factor that does not depend on the incoming gradient, for all steps at once:
    # d(pre-activation) = dh * factor (output gate) or dc * factor (input, forget, candidate).
    # One buffer holds the factors, and the loop overwrites each with its gate gradient: large
    # fresh arrays cost page faults, so this pass allocates as few as it can.
    factors, out_to_cell, grad_y_t = work
    np.subtract(1, gates, out=factors)
    sig_slope = factors[:, : 3 * hidden]
    np.multiply(sig_slope, gates[:, : 3 * hidden], out=sig_slope)
    np.multiply(factors[:, :hidden], tanh_cells, out=factors[:, :hidden])
    np.multiply(factors[:, hidden : 2 * hidden], g, out=factors[:, hidden : 2 * hidden])
    np.multiply(factors[:, 2 * hidden : 3 * hidden], cells[:-1], out=sig_slope[:, 2 * hidden :])
    k_g = factors[:, 3 * hidden :]
    np.multiply(g, g, out=k_g)
    np.subtract(1, k_g, out=k_g)
    np.multiply(k_g, i, out=k_g)
    np.multiply(tanh_cells, tanh_cells, out=out_to_cell)  # dc += dh * o * tanh'(c)
    np.subtract(1, out_to_cell, out=out_to_cell)
    np.multiply(out_to_cell, o, out=out_to_cell)
    np.copyto(grad_y_t, grad_y.transpose(0, 2, 1))
    dc_from_h = np.empty_like(dc)
    lo_o, hi_o = 0, hidden
    dc_blocks = [(k * hidden, (k + 1) * hidden) for k in range(1, 4)]
    for t in range(gates.shape[0] - 1, -1, -1):
        np.add(dh, grad_y_t[t], out=dh)
        np.multiply(dh, out_to_cell[t], out=dc_from_h)
        np.add(dc, dc_from_h, out=dc)
        dg = factors[t]  # factors in, gate gradients out
        np.multiply(dh, dg[lo_o:hi_o], out=dg[lo_o:hi_o])
        for lo, hi in dc_blocks:
            np.multiply(dc, dg[lo:hi], out=dg[lo:hi])
        np.multiply(dc, f[t], out=dc)
        np.matmul(w_hh_t, dg, out=dh)


class LSTMCell(LSTMParameters, Generic[In, H]):
    """One LSTM step: ``[*B, In]`` and state ``([*B, H], [*B, H])`` -> ``([*B, H], [*B, H])``.

    PyTorch ``nn.LSTMCell``; the zero state is used when ``state`` is ``None``.
    """

    if TYPE_CHECKING:
        # Other checkers read ``__new__`` (and keep no literal sizes without it); mypy
        # reads ``__init__``. See ``Linear``.
        def __new__(cls, *args: Any, **kwargs: Any) -> LSTMCell[Any, Any]: ...

    def __init__(
        self, input_size: In, hidden_size: H, *, rng: Rng, dtype: Any = np.float32
    ) -> None:
        """Fresh parameters ``U(-1/sqrt(H), 1/sqrt(H))`` from ``rng`` (PyTorch's init)."""
        super().__init__(input_size, hidden_size, rng=rng, dtype=dtype)

    def __call__(
        self,
        x: Tensor[*Batch, In],
        state: tuple[Tensor[*Batch, H], Tensor[*Batch, H]] | None = None,
    ) -> tuple[Tensor[*Batch, H], Tensor[*Batch, H]]:
        """One step, ``[*B, In], ([*B, H], [*B, H]) -> ([*B, H], [*B, H])`` (no cache kept)."""
        a, batch = self._check_step(x, self.input_size, "In")
        _, (h, c) = run_inference(self, a[None], batch, state)
        return h, c

    def forward(
        self,
        x: Tensor[*Batch, In],
        state: tuple[Tensor[*Batch, H], Tensor[*Batch, H]] | None = None,
    ) -> tuple[tuple[Tensor[*Batch, H], Tensor[*Batch, H]], RecurrentCache]:
        """One step that also returns its cache, ``[*B, In] -> ([*B, H], [*B, H])``."""
        a, batch = self._check_step(x, self.input_size, "In")
        _, cache = run_forward(self, a[None], batch, state)
        h, c = cache.final_state
        return (h, c), cache

    def backward(
        self, cache: RecurrentCache, grad_state: tuple[Tensor[*Batch, H], Tensor[*Batch, H]]
    ) -> tuple[LSTMGrads, Tensor[*Batch, In], tuple[Tensor[*Batch, H], Tensor[*Batch, H]]]:
        """Reverse step: grads, ``dL/dx`` ``[*B, In]`` and ``dL/d(h, c)`` ``[*B, H]`` each."""
        grads, dx, (dh, dc) = run_backward(self, cache, None, grad_state)
        return cast(LSTMGrads, grads), Tensor(dx.reshape(*cache.batch, -1)), (dh, dc)

    # ---- the seed's cell module spec: [x; h; c] -> [h'; c'] --------------------------------
    def call_concat(self, xhc: Tensor[*Batch, Add[In, H, H]]) -> Tensor[*Batch, Add[H, H]]:
        """The seed's ``LSTMCellModuleSpec``: ``[*B, In + H + H] -> [*B, H + H]`` (``[h'; c']``)."""
        return concat_call(self, xhc, "In + H + H")

    def forward_concat(
        self, xhc: Tensor[*Batch, Add[In, H, H]]
    ) -> tuple[Tensor[*Batch, Add[H, H]], RecurrentCache]:
        """``call_concat`` that also returns its cache, ``[*B, In + H + H] -> [*B, H + H]``."""
        return concat_forward(self, xhc, "In + H + H")

    def backward_concat(
        self, cache: RecurrentCache, grad_y: Tensor[*Batch, Add[H, H]]
    ) -> tuple[LSTMGrads, Tensor[*Batch, Add[In, H, H]]]:
        """Reverse of ``forward_concat``: grads and ``dL/d[x; h; c]`` ``[*B, In + H + H]``."""
        grads, dv = concat_backward(self, cache, grad_y)
        return cast(LSTMGrads, grads), dv
