"""``GRUCell[In, H]``: PyTorch's GRU equations with the seeds' ``[x; h]`` weight layout.

::

    r  = sigmoid(W_r [x; h] + b_r)                    (reset)
    z  = sigmoid(W_z [x; h] + b_z)                    (update)
    n  = tanh(W_n[:, :In] x + b_in + r * (W_n[:, In:] h + b_hn))   (candidate)
    h' = (1 - z) * n + z * h

Parameters: ``reset_weights``, ``update_weights``, ``candidate_weights`` ``[H, In + H]`` and
``reset_bias``, ``update_bias``, ``candidate_input_bias``, ``candidate_hidden_bias`` ``[H]``.
The candidate needs two biases because the reset gate multiplies ``W_hn h + b_hn`` only.

PyTorch layout (``nn.GRU``/``nn.GRUCell``, gate order r, z, n):
``weight_ih = [W_r; W_z; W_n][:, :In]``, ``weight_hh = [W_r; W_z; W_n][:, In:]``,
``bias_ih = [b_r; b_z; b_in]``, ``bias_hh = [0; 0; b_hn]``.
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
    flat_gates,
    input_projection,
    loop_product,
    row_kernels,
    saved_as_columns,
    saved_as_rows,
    weight_grads,
)
from shapely_nn.layers._workspace import carve, column_sums

In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)
Batch = TypeVarTuple("Batch")

_WEIGHTS = ("reset_weights", "update_weights", "candidate_weights")
_BIASES = ("reset_bias", "update_bias", "candidate_input_bias", "candidate_hidden_bias")


@dataclass(frozen=True)
class GRUGrads(GradRecord):
    """Gradients of the GRU parameters, one field per parameter."""

    reset_weights: Array
    update_weights: Array
    candidate_weights: Array
    reset_bias: Array
    update_bias: Array
    candidate_input_bias: Array
    candidate_hidden_bias: Array


@dataclass(frozen=True, init=False, eq=False)
class GRUParameters(RecurrentParameters):
    """The GRU gate parameters and the kernel over them."""

    reset_weights: Array
    update_weights: Array
    candidate_weights: Array
    reset_bias: Array
    update_bias: Array
    candidate_input_bias: Array
    candidate_hidden_bias: Array

    kind: ClassVar[str] = "GRU"
    weight_names: ClassVar[tuple[str, ...]] = _WEIGHTS
    bias_names: ClassVar[tuple[str, ...]] = _BIASES
    num_states: ClassVar[int] = 1

    def _run(self, x: Array, initial: tuple[Array, ...], *, keep: bool = True) -> Tape:
        w = np.concatenate([self.reset_weights, self.update_weights, self.candidate_weights])
        b = np.concatenate([self.reset_bias, self.update_bias, self.candidate_input_bias])
        return gru_run(w, b, self.candidate_hidden_bias, x, initial[0], keep=keep)

    def _reverse(
        self, tape: Tape, grad_y: Array, grad_final: tuple[Array | None, ...]
    ) -> tuple[GRUGrads, Array, tuple[Array, ...]]:
        dw, db, db_hn, dx, dh0 = gru_reverse(tape, grad_y, grad_final[0])
        hidden = self.hidden_size
        grads = GRUGrads(
            reset_weights=dw[:hidden],
            update_weights=dw[hidden : 2 * hidden],
            candidate_weights=dw[2 * hidden :],
            reset_bias=db[:hidden],
            update_bias=db[hidden : 2 * hidden],
            candidate_input_bias=db[2 * hidden :],
            candidate_hidden_bias=db_hn,
        )
        return grads, dx, (dh0,)


def gru_run(w: Array, b: Array, b_hn: Array, x: Array, h0: Array, *, keep: bool = True) -> Tape:
    """GRU over ``x`` ``[T, N, In]`` from ``h0``; ``w`` ``[3H, In+H]`` and ``b`` in order r, z, n.

    As in the LSTM kernel, the sigmoid rows are halved so that one ``tanh`` call activates r
    and z; the compiled kernels work on rows, the NumPy loop on transposed blocks (``[3H, N]``
    gates, ``[H, N]`` state), and ``gru_reverse`` reverses a tape of either layout.
    ``keep=False`` (inference) keeps no tape.
    """
    steps, n, in_size = x.shape
    hidden = h0.shape[1]
    # halving is exact in binary floating point: same values as a product with a scale vector,
    # in fewer calls (they add up at small sizes)
    w_scaled = w.copy()
    w_scaled[: 2 * hidden] *= 0.5
    bias = b.copy()
    bias[: 2 * hidden] *= 0.5
    fast = row_kernels(x)
    if fast is not None:
        return _fast_run(fast, w, w_scaled, bias, b_hn, x, h0, keep)
    w_hh = np.ascontiguousarray(w_scaled[:, in_size:])  # [3H, H]
    # hidden_candidate[t] is W_hn h + b_hn (a ring of 1 without a tape); hs[t + 1] is h_t.
    block, hidden_candidate, hs = carve(
        w.dtype,
        (steps * 3 * hidden * n,),
        (steps if keep else 1, hidden, n),
        (steps + 1, hidden, n),
    )
    gates = input_projection(w_scaled[:, :in_size], bias, x, block)
    hs[0] = h0.T
    recurrent = np.empty((3 * hidden, n), dtype=w.dtype)
    m = hidden_candidate.shape[0]
    tmp = np.empty((hidden, n), dtype=w.dtype)
    b_hn_col = b_hn[:, None]
    for t in range(steps):
        a = gates[t]
        rz = a[: 2 * hidden]
        np.matmul(w_hh, hs[t], out=recurrent)
        np.add(rz, recurrent[: 2 * hidden], out=rz)
        np.tanh(rz, out=rz)
        np.multiply(rz, 0.5, out=rz)
        np.add(rz, 0.5, out=rz)
        hn = hidden_candidate[t % m]
        np.add(recurrent[2 * hidden :], b_hn_col, out=hn)
        cand = a[2 * hidden :]
        np.multiply(a[:hidden], hn, out=tmp)
        np.add(cand, tmp, out=cand)
        np.tanh(cand, out=cand)
        # h' = n + z * (h - n)
        np.subtract(hs[t], cand, out=tmp)
        np.multiply(a[hidden : 2 * hidden], tmp, out=tmp)
        np.add(cand, tmp, out=hs[t + 1])
    outputs = np.ascontiguousarray(hs[1:].transpose(0, 2, 1))  # [T, N, H]
    saved = {"gates": gates, "hidden_candidate": hidden_candidate, "hs": hs} if keep else {}
    return Tape(x=x, initial=(h0,), outputs=outputs, final=(outputs[-1],), weights=w, saved=saved)


def _fast_run(
    fast: Any,
    w: Array,
    w_scaled: Array,
    bias: Array,
    b_hn: Array,
    x: Array,
    h0: Array,
    keep: bool,
) -> Tape:
    """``gru_run`` on the compiled kernels, in rows (``_kernels_numba``'s layout)."""
    steps, n, in_size = x.shape
    hidden = h0.shape[1]
    w_hh_t = np.ascontiguousarray(w_scaled[:, in_size:].T)  # [H, 3H]
    # hidden_candidate: W_hn h_{t-1} + b_hn in block t (a ring of one block without a tape)
    gates, hidden_candidate, recurrent = carve(
        w.dtype, (steps * n, 3 * hidden), ((steps if keep else 1) * n, hidden), (n, 3 * hidden)
    )
    # h0, then h_t in block t + 1; its own array, since the outputs are a view of it
    hs = np.empty(((steps + 1) * n, hidden), dtype=w.dtype)
    np.matmul(x.reshape(steps * n, in_size), w_scaled[:, :in_size].T, out=gates)
    hs[:n] = h0
    blas = loop_product(fast, 3 * hidden * hidden * n)
    if blas is None:
        m = hidden_candidate.shape[0] // n
        cand = np.empty(hidden, dtype=w.dtype)
        for t in range(steps):
            h_prev = hs[t * n : (t + 1) * n]
            np.matmul(h_prev, w_hh_t, out=recurrent)
            fast.gru_step(
                gates[t * n : (t + 1) * n],
                recurrent,
                bias,
                b_hn,
                h_prev,
                hidden_candidate[(t % m) * n : (t % m + 1) * n],
                hs[(t + 1) * n : (t + 2) * n],
                cand,
            )
    else:
        fast.gru_loop(gates, recurrent, bias, b_hn, w_hh_t, hidden_candidate, hs, blas)
    outputs = hs[n:].reshape(steps, n, hidden)
    saved = {"gate_rows": gates, "hidden_candidate_rows": hidden_candidate, "h_rows": hs}
    return Tape(
        x=x,
        initial=(h0,),
        outputs=outputs,
        final=(outputs[-1],),
        weights=w,
        saved=saved if keep else {},
    )


# The tape's arrays: the NumPy loop's name -> the compiled kernels' rows.
_SAVED = {"gates": "gate_rows", "hidden_candidate": "hidden_candidate_rows", "hs": "h_rows"}


def gru_reverse(
    tape: Tape, grad_y: Array, grad_h: Array | None
) -> tuple[Array, Array, Array, Array, Array]:
    """BPTT of ``gru_run``: ``(dW [3H, In+H], db [3H], db_hn [H], dx, dh0)``."""
    fast = row_kernels(tape.x)
    if fast is not None:
        return _fast_reverse(fast, tape, grad_y, grad_h)
    x, w = tape.x, tape.weights
    steps, n, in_size = x.shape
    hidden = tape.outputs.shape[2]
    w_hh_t = np.ascontiguousarray(w[:, in_size:].T)  # [H, 3H]
    dh = np.zeros((hidden, n), dtype=w.dtype) if grad_h is None else grad_h.T.copy()
    saved = saved_as_columns(tape, _SAVED)
    gates, hn = saved["gates"], saved["hidden_candidate"]
    # Every work array of the pass from one allocation (fresh separate arrays page-fault;
    # see _workspace): NumPy-path factors and temporaries, gate grads, flat grads, h_{t-1}.
    factors, scratch, grad_y_t, d_hidden, flat_h, flat_n, h_prev = carve(
        w.dtype,
        gates.shape,
        hn.shape,
        hn.shape,
        gates.shape,
        (3 * hidden, steps * n),
        (hidden, steps * n),
        (steps, n, hidden),
    )
    d_cand = _numpy_reverse_loop(saved, grad_y, w_hh_t, dh, (factors, d_hidden, scratch, grad_y_t))
    # [3H, T * N] and [H, T * N], columns in the (t, n) order of x.reshape(T * N, In). The
    # input-side gradient is [d r; d z; d n_pre]: the first two rows of flat_h, then flat_n.
    flat_gates(d_hidden, flat_h)
    flat_gates(d_cand, flat_n)
    h_prev[0] = tape.initial[0]
    h_prev[1:] = tape.outputs[:-1]
    x2 = x.reshape(steps * n, in_size)
    dw = np.empty_like(w)
    np.matmul(flat_h[: 2 * hidden], x2, out=dw[: 2 * hidden, :in_size])
    np.matmul(flat_n, x2, out=dw[2 * hidden :, :in_size])
    np.matmul(flat_h, h_prev.reshape(steps * n, hidden), out=dw[:, in_size:])
    db = np.concatenate([flat_h[: 2 * hidden].sum(axis=1), flat_n.sum(axis=1)])
    db_hn = flat_h[2 * hidden :].sum(axis=1)
    dx = flat_h[: 2 * hidden].T @ w[: 2 * hidden, :in_size]
    dx += flat_n.T @ w[2 * hidden :, :in_size]
    return dw, db, db_hn, dx.reshape(steps, n, in_size), np.ascontiguousarray(dh.T)


def _fast_reverse(
    fast: Any, tape: Tape, grad_y: Array, grad_h: Array | None
) -> tuple[Array, Array, Array, Array, Array]:
    """``gru_reverse`` on the compiled kernels, in rows."""
    x, w = tape.x, tape.weights
    steps, n, in_size = x.shape
    hidden = tape.outputs.shape[2]
    saved = saved_as_rows(tape, _SAVED)
    gates, hn, hs = saved["gate_rows"], saved["hidden_candidate_rows"], saved["h_rows"]
    w_hh = np.ascontiguousarray(w[:, in_size:])  # [3H, H]
    dh = np.zeros((n, hidden), dtype=w.dtype) if grad_h is None else grad_h.copy()
    direct = np.zeros_like(dh)
    # the grads of the input side's pre-activations (r, z, n) and of W_h h + b_h per gate
    d_in, d_hid = carve(w.dtype, (steps * n, 3 * hidden), (steps * n, 3 * hidden))
    gy = np.ascontiguousarray(grad_y).reshape(steps * n, hidden)
    blas = loop_product(fast, 3 * hidden * hidden * n)
    if blas is None:
        for t in range(steps - 1, -1, -1):
            block = slice(t * n, (t + 1) * n)
            dg = d_hid[block]
            fast.gru_step_back(
                dh, direct, gy[block], gates[block], hn[block], hs[block], d_in[block], dg
            )
            np.matmul(dg, w_hh, out=dh)
    else:
        fast.gru_loop_back(w_hh, dh, direct, gy, gates, hn, hs, d_in, d_hid, blas)
    dh += direct
    dw, db, dx = weight_grads(d_in, d_hid, x, hs, w)
    db_hn = np.empty(hidden, dtype=w.dtype)
    column_sums(d_hid[:, 2 * hidden :], db_hn)
    return dw, db, db_hn, dx, dh


def _numpy_reverse_loop(
    saved: dict[str, Array], grad_y: Array, w_hh_t: Array, dh: Array, work: tuple[Array, ...]
) -> Array:
    """The reference BPTT loop: gate grads into ``work[1]`` ``[T, 3H, N]``, ``dh`` in place;
    returns ``d_cand`` ``[T, H, N]`` (a view of ``work[0]``, the factors)."""
    hidden = dh.shape[0]
    gates, hidden_candidate, hs = saved["gates"], saved["hidden_candidate"], saved["hs"]
    r, z, cand = (gates[:, k * hidden : (k + 1) * hidden] for k in range(3))
    # Gradient-independent factors for all steps at once, in one buffer [k_r, k_z, k_n]
    # (fresh large arrays cost page faults):
    #   d z_pre = dh * k_z,  d n_pre = dh * k_n (written over k_n),  d r_pre = d n_pre * k_r.
    factors, d_hidden, scratch, grad_y_t = work
    np.subtract(1, gates, out=factors)
    k_r, k_z, k_n = (factors[:, k * hidden : (k + 1) * hidden] for k in range(3))
    np.multiply(k_r, r, out=k_r)
    np.multiply(k_r, hidden_candidate, out=k_r)
    np.multiply(k_z, z, out=k_z)
    np.multiply(k_z, np.subtract(hs[:-1], cand, out=scratch), out=k_z)
    np.multiply(cand, cand, out=k_n)
    np.subtract(1, k_n, out=k_n)
    np.multiply(k_n, np.subtract(1, z, out=scratch), out=k_n)
    np.copyto(grad_y_t, grad_y.transpose(0, 2, 1))
    # d_hidden: d(W_h h + b_h) per gate: r, z, and r * d n_pre
    direct = np.empty_like(dh)
    for t in range(gates.shape[0] - 1, -1, -1):
        np.add(dh, grad_y_t[t], out=dh)
        dg, d_cand = d_hidden[t], k_n[t]
        np.multiply(dh, k_z[t], out=dg[hidden : 2 * hidden])
        np.multiply(dh, d_cand, out=d_cand)
        np.multiply(d_cand, k_r[t], out=dg[:hidden])
        np.multiply(d_cand, r[t], out=dg[2 * hidden :])
        np.multiply(dh, z[t], out=direct)
        np.matmul(w_hh_t, dg, out=dh)
        np.add(dh, direct, out=dh)
    return k_n


class GRUCell(HiddenStateCell[In, H, GRUGrads], GRUParameters, Generic[In, H]):
    """One GRU step: ``[*B, In]`` and ``h`` ``[*B, H]`` -> ``[*B, H]`` (``nn.GRUCell``).

    The zero state is used when ``h`` is ``None``.
    """

    if TYPE_CHECKING:
        # Other checkers read ``__new__`` (and keep no literal sizes without it); mypy
        # reads ``__init__``. See ``Linear``.
        def __new__(cls, *args: Any, **kwargs: Any) -> GRUCell[Any, Any]: ...

    def __init__(
        self, input_size: In, hidden_size: H, *, rng: Rng, dtype: Any = np.float32
    ) -> None:
        """Fresh parameters ``U(-1/sqrt(H), 1/sqrt(H))`` from ``rng`` (PyTorch's init)."""
        GRUParameters.__init__(self, input_size, hidden_size, rng=rng, dtype=dtype)
