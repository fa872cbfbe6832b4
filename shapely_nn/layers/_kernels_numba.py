"""Compiled recurrent step kernels (numba): the optional ``fast`` extra.

Imported only through ``_fast.kernels()``, which falls back to the NumPy kernels when numba is
missing or broken. Every function here works on arrays the layer has already checked; the
layouts are the NumPy kernels' (``lstm_run``, ``gru_run``, ``rnn_run``), so a tape from one
path can be reversed by the other.

Why these kernels pay: a NumPy step issues ~10 ufunc calls of ~1 µs fixed cost each, and each
call reads and writes its operands once more; here a step's elementwise work is one pass. For
small sizes (``*_loop``) the recurrent product is written out by hand too and the whole time
loop runs compiled; above ``_fast.FULL_LOOP_MAX_MACS`` each step's product stays with BLAS.

``tanh`` of float32 is a rational approximation (Eigen's and XLA's, within ~3e-7 of the exact
value): numba's ``math.tanh`` is a scalar libm call, ~50x slower than NumPy's vectorised one,
and the approximation vectorises. float64 keeps the exact ``math.tanh``, so the two paths agree
to ~1e-15 there. ``error_model="numpy"`` lets LLVM vectorise the division.

numba is imported through ``importlib`` so that mypy sees a typed interface (numba ships no
types): the decorators are applied by the typed ``_jit`` below.
"""

from __future__ import annotations

import importlib
import inspect
import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

from shapely_nn.layers._base import Array

_numba: Any = importlib.import_module("numba")
_extending: Any = importlib.import_module("numba.extending")
_types: Any = importlib.import_module("numba.core.types")
_llvm_ir: Any = importlib.import_module("llvmlite.ir")

F = TypeVar("F", bound=Callable[..., Any])


def _jit(fn: F, *, reassociate: bool = False) -> F:
    """``numba.njit`` with an on-disk cache; ``reassociate`` lets sums vectorise.

    Only value-safe fast-math flags: fused multiply-adds and division by a reciprocal (within
    an ulp); never ``nnan``/``ninf``, so NaN and inf propagate as in NumPy.
    """
    # unwrap: under check_package("shapely_nn...") every annotated function arrives wrapped
    # in a runtime checker, which numba can neither compile nor cache.
    fn = inspect.unwrap(fn)
    flags = {"contract", "arcp"} | ({"reassoc"} if reassociate else set())
    options = {"cache": True, "nogil": True, "error_model": "numpy", "fastmath": flags}
    return cast(F, _numba.njit(**options)(fn))


# float32 constants: a float64 literal would promote float32 arithmetic to float64.
_HALF = np.float32(0.5)
_ONE = np.float32(1.0)
_ZERO = np.float32(0.0)
_CLAMP = np.float32(7.90531110763549805)
# Eigen's / XLA's rational tanh: odd numerator (x^1..x^13), even denominator (x^0..x^6).
_A = [np.float32(v) for v in (4.89352455891786e-03, 6.37261928875436e-04, 1.48572235717979e-05)]
_A += [np.float32(v) for v in (5.12229709037114e-08, -8.60467152213735e-11)]
_A += [np.float32(v) for v in (2.00018790482477e-13, -2.76076847742355e-16)]
_A1, _A3, _A5, _A7, _A9, _A11, _A13 = _A
_B = [np.float32(v) for v in (4.89352518554385e-03, 2.26843463243900e-03)]
_B += [np.float32(v) for v in (1.18534705686654e-04, 1.19825839466702e-06)]
_B0, _B2, _B4, _B6 = _B


def tanh(x: float) -> float:
    """``tanh`` for the kernels (float32: vectorisable rational form; float64: exact)."""
    return math.tanh(x)


def _tanh32(x: float) -> float:
    # Clamp by comparisons (not min/max) so that NaN propagates as in NumPy.
    v: Any = _CLAMP if x > _CLAMP else x
    v = -_CLAMP if v < -_CLAMP else v
    v2 = v * v
    p = ((((((_A13 * v2 + _A11) * v2 + _A9) * v2 + _A7) * v2 + _A5) * v2 + _A3) * v2 + _A1) * v
    q = ((_B6 * v2 + _B4) * v2 + _B2) * v2 + _B0
    result: float = p / q
    return result


def _tanh64(x: float) -> float:
    return math.tanh(x)


def _tanh_overload(x: float) -> Callable[[float], float]:  # x: a numba type
    impl: Callable[[float], float] = inspect.unwrap(_tanh32 if x == _types.float32 else _tanh64)
    return impl


_extending.overload(tanh)(inspect.unwrap(_tanh_overload))


# exp of float32: Cephes' expf (range reduction by ln 2, degree-5 polynomial, 2^n built in the
# exponent bits), within ~1e-7 of the exact value and vectorisable; float64 keeps math.exp.
_LOG2E, _LN2_HI, _LN2_LO = (
    np.float32(1.4426950408889634),
    np.float32(0.693359375),
    np.float32(-2.12194440e-4),
)
_P = [np.float32(v) for v in (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3)]
_P += [np.float32(v) for v in (4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1)]
_P0, _P1, _P2, _P3, _P4, _P5 = _P
_EXP_LO, _EXP_HI = np.float32(-87.3), np.float32(88.3)
_BIAS, _SHIFT = np.int32(127), np.int32(23)


def _as_float32_codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
    return builder.bitcast(args[0], _llvm_ir.FloatType())


def _as_float32_typer(typingctx: Any, bits: Any) -> Any:
    return _types.float32(_types.int32), _as_float32_codegen


# the bits of an int32 read as a float32 (a free bitcast, which vectorises)
_as_float32 = _extending.intrinsic(inspect.unwrap(_as_float32_typer))


def exp(x: float) -> float:
    """``exp`` for the kernels (float32: vectorisable Cephes form; float64: exact)."""
    return math.exp(x)


def _exp32(x: float) -> float:
    v: Any = _EXP_LO if x < _EXP_LO else x
    v = _EXP_HI if v > _EXP_HI else v
    fx = np.floor(v * _LOG2E + _HALF)
    r = v - fx * _LN2_HI
    r = r - fx * _LN2_LO
    y = ((((_P0 * r + _P1) * r + _P2) * r + _P3) * r + _P4) * r + _P5
    y = y * (r * r) + r + _ONE
    result: float = y * _as_float32((np.int32(fx) + _BIAS) << _SHIFT)
    return result


def _exp64(x: float) -> float:
    return math.exp(x)


def _exp_overload(x: float) -> Callable[[float], float]:  # x: a numba type
    impl: Callable[[float], float] = inspect.unwrap(_exp32 if x == _types.float32 else _exp64)
    return impl


_extending.overload(exp)(inspect.unwrap(_exp_overload))


def _matmul(a: Array, b: Array, out: Array) -> None:
    """``out = a @ b`` for small 2-D arrays (vectorised over the contiguous axis)."""
    rows, inner = a.shape
    cols = b.shape[1]
    if cols == 1:  # a matrix-vector product: contiguous dot products
        for i in range(rows):
            s = _ZERO
            for j in range(inner):
                s += a[i, j] * b[j, 0]
            out[i, 0] = s
        return
    for i in range(rows):
        for k in range(cols):
            out[i, k] = _ZERO
        for j in range(inner):
            aij = a[i, j]
            for k in range(cols):
                out[i, k] += aij * b[j, k]


matmul = _jit(_matmul, reassociate=True)


# ---- LSTM (gate rows o, i, f, g; the sigmoid rows o, i, f carry halved weights) ------------
#
# Gates are ``[T, G, N]`` contiguous, as in the NumPy kernels, and a step's block ``[G, N]``
# is passed as such. (Measured: a ``[G, T * N]`` layout, one product for the input part of all
# steps, saves 0.3 ms on the product at B32·T50·H128 but costs the step kernel twice that, its
# rows lying 6 KB apart.)


def _lstm_cell(a: Array, rec: Array, c_prev: Array, c: Array, tc: Array, h: Array) -> None:
    """One step: input part ``a`` ``[4H, N]`` + ``rec`` -> gates (in ``a``), c, tanh c, h."""
    hidden, n = c.shape
    for j in range(hidden):
        for k in range(n):
            o = _HALF * tanh(a[j, k] + rec[j, k]) + _HALF
            i = _HALF * tanh(a[hidden + j, k] + rec[hidden + j, k]) + _HALF
            f = _HALF * tanh(a[2 * hidden + j, k] + rec[2 * hidden + j, k]) + _HALF
            g = tanh(a[3 * hidden + j, k] + rec[3 * hidden + j, k])
            a[j, k] = o
            a[hidden + j, k] = i
            a[2 * hidden + j, k] = f
            a[3 * hidden + j, k] = g
            cell = f * c_prev[j, k] + i * g
            c[j, k] = cell
            th = tanh(cell)
            tc[j, k] = th
            h[j, k] = o * th


lstm_cell = _jit(_lstm_cell)


def _lstm_loop(w_hh: Array, gates: Array, cells: Array, hs: Array, tcs: Array, rec: Array) -> None:
    """The whole forward loop; ``cells``/``tcs`` may be rings of 2 and 1 (no tape kept)."""
    m_c, m_t = cells.shape[0], tcs.shape[0]
    for t in range(gates.shape[0]):
        matmul(w_hh, hs[t], rec)
        lstm_cell(gates[t], rec, cells[t % m_c], cells[(t + 1) % m_c], tcs[t % m_t], hs[t + 1])


lstm_loop = _jit(_lstm_loop)


def _lstm_cell_back(
    dh: Array, dc: Array, gy: Array, gates: Array, c_prev: Array, tc: Array, dg: Array
) -> None:
    """Reverse of one step, up to the recurrent product: gate grads ``dg`` ``[4H, N]``.

    ``dh`` ``[H, N]`` is the grad of this step's output from the later steps, ``gy`` ``[N, H]``
    the one from the loss; ``dc`` is updated in place to the grad of the previous cell.
    """
    hidden, n = dh.shape
    for j in range(hidden):
        for k in range(n):
            d = dh[j, k] + gy[k, j]
            o = gates[j, k]
            i = gates[hidden + j, k]
            f = gates[2 * hidden + j, k]
            g = gates[3 * hidden + j, k]
            th = tc[j, k]
            dcell = dc[j, k] + d * ((_ONE - th * th) * o)
            dg[j, k] = d * (((_ONE - o) * o) * th)
            dg[hidden + j, k] = dcell * (((_ONE - i) * i) * g)
            dg[2 * hidden + j, k] = dcell * (((_ONE - f) * f) * c_prev[j, k])
            dg[3 * hidden + j, k] = dcell * ((_ONE - g * g) * i)
            dc[j, k] = dcell * f


lstm_cell_back = _jit(_lstm_cell_back)


def _lstm_loop_back(
    w_hh_t: Array,
    dh: Array,
    dc: Array,
    grad_y: Array,
    gates: Array,
    cells: Array,
    tcs: Array,
    d_gates: Array,
) -> None:
    """The whole backward loop; ``dh``/``dc`` in: grads of the final state, out: of the initial."""
    for t in range(gates.shape[0] - 1, -1, -1):
        lstm_cell_back(dh, dc, grad_y[t], gates[t], cells[t], tcs[t], d_gates[t])
        matmul(w_hh_t, d_gates[t], dh)


lstm_loop_back = _jit(_lstm_loop_back)


# ---- GRU (gate rows r, z, n; the sigmoid rows r, z carry halved weights) -------------------


def _gru_cell(a: Array, rec: Array, b_hn: Array, h_prev: Array, hn: Array, h: Array) -> None:
    """One step: gates into ``a``, ``W_hn h + b_hn`` into ``hn``, the new state into ``h``."""
    hidden, n = h.shape
    for j in range(hidden):
        for k in range(n):
            r = _HALF * tanh(a[j, k] + rec[j, k]) + _HALF
            z = _HALF * tanh(a[hidden + j, k] + rec[hidden + j, k]) + _HALF
            hidden_part = rec[2 * hidden + j, k] + b_hn[j]
            cand = tanh(a[2 * hidden + j, k] + r * hidden_part)
            a[j, k] = r
            a[hidden + j, k] = z
            a[2 * hidden + j, k] = cand
            hn[j, k] = hidden_part
            h[j, k] = cand + z * (h_prev[j, k] - cand)


gru_cell = _jit(_gru_cell)


def _gru_loop(w_hh: Array, b_hn: Array, gates: Array, hn: Array, hs: Array, rec: Array) -> None:
    """The whole forward loop; ``hn`` may be a ring of 1 (no tape kept)."""
    m = hn.shape[0]
    for t in range(gates.shape[0]):
        matmul(w_hh, hs[t], rec)
        gru_cell(gates[t], rec, b_hn, hs[t], hn[t % m], hs[t + 1])


gru_loop = _jit(_gru_loop)


def _gru_cell_back(
    dh: Array,
    direct: Array,
    gy: Array,
    gates: Array,
    hn: Array,
    h_prev: Array,
    dg: Array,
    d_cand: Array,
) -> None:
    """Reverse of one step, up to the recurrent product.

    In: ``dh`` (the product of the later step) + ``direct`` (its ``dh * z``) + ``gy``.
    Out: ``dg`` ``[3H, N]`` (grads of ``W_h h + b_h`` per gate), ``d_cand`` (grad of the
    candidate's pre-activation) and the new ``direct``.
    """
    hidden, n = dh.shape
    for j in range(hidden):
        for k in range(n):
            d = (dh[j, k] + direct[j, k]) + gy[k, j]
            r = gates[j, k]
            z = gates[hidden + j, k]
            cand = gates[2 * hidden + j, k]
            dg[hidden + j, k] = d * (((_ONE - z) * z) * (h_prev[j, k] - cand))
            dn = d * ((_ONE - cand * cand) * (_ONE - z))
            d_cand[j, k] = dn
            dg[j, k] = dn * (((_ONE - r) * r) * hn[j, k])
            dg[2 * hidden + j, k] = dn * r
            direct[j, k] = d * z


gru_cell_back = _jit(_gru_cell_back)


def _gru_loop_back(
    w_hh_t: Array,
    dh: Array,
    direct: Array,
    grad_y: Array,
    gates: Array,
    hn: Array,
    hs: Array,
    d_hidden: Array,
    d_cand: Array,
) -> None:
    """The whole backward loop; ``dh + direct`` at the end is the grad of the initial state."""
    for t in range(gates.shape[0] - 1, -1, -1):
        gru_cell_back(dh, direct, grad_y[t], gates[t], hn[t], hs[t], d_hidden[t], d_cand[t])
        matmul(w_hh_t, d_hidden[t], dh)


gru_loop_back = _jit(_gru_loop_back)


# ---- tanh RNN (rows [N, H]) -----------------------------------------------------------------


def _rnn_cell(a: Array, rec: Array) -> None:
    """``a = tanh(a + rec)`` in place."""
    n, hidden = a.shape
    for k in range(n):
        for j in range(hidden):
            a[k, j] = tanh(a[k, j] + rec[k, j])


rnn_cell = _jit(_rnn_cell)


def _rnn_loop(w_hh_t: Array, h0: Array, hs: Array, rec: Array) -> None:
    """The whole forward loop: ``hs[t] = tanh(hs[t] + hs[t - 1] @ W_hh^T)``."""
    for t in range(hs.shape[0]):
        matmul(h0 if t == 0 else hs[t - 1], w_hh_t, rec)
        rnn_cell(hs[t], rec)


rnn_loop = _jit(_rnn_loop)


def _rnn_cell_back(dh: Array, gy: Array, h: Array, d_pre: Array) -> None:
    """``d_pre = (dh + gy) * (1 - h^2)``."""
    n, hidden = dh.shape
    for k in range(n):
        for j in range(hidden):
            d_pre[k, j] = (dh[k, j] + gy[k, j]) * (_ONE - h[k, j] * h[k, j])


rnn_cell_back = _jit(_rnn_cell_back)


def _rnn_loop_back(w_hh: Array, dh: Array, grad_y: Array, hs: Array, d_pre: Array) -> None:
    """The whole backward loop; ``dh`` ends as the grad of the initial state."""
    for t in range(hs.shape[0] - 1, -1, -1):
        rnn_cell_back(dh, grad_y[t], hs[t], d_pre[t])
        matmul(d_pre[t], w_hh, dh)


rnn_loop_back = _jit(_rnn_loop_back)


# ---- LayerNorm rows [N, D] (the NumPy versions are in _layernorm.py) -----------------------
#
# One pass for the sums and one for the output, where NumPy takes ~8 calls; the row sums run
# with re-association (vectorised). A scalar is stored into an array of the rows' dtype and
# read back, so that float32 rows are not promoted to float64 by a float64 scalar.


def _layernorm_rows(
    rows: Array, eps: float, normalized: Array, inv_std: Array, scalar: Array
) -> None:
    """``normalized = (rows - mean) / sqrt(var + eps)``, ``inv_std`` ``[N]``; may be in place."""
    n, size = rows.shape
    for i in range(n):
        s = _ZERO
        for j in range(size):
            s += rows[i, j]
        scalar[0] = s / size
        mean = scalar[0]
        v = _ZERO
        for j in range(size):
            d = rows[i, j] - mean
            normalized[i, j] = d
            v += d * d
        scalar[0] = v / size + eps
        scalar[0] = _ONE / math.sqrt(scalar[0])
        inv = scalar[0]
        inv_std[i] = inv
        for j in range(size):
            normalized[i, j] *= inv


layernorm_rows = _jit(_layernorm_rows, reassociate=True)


def _scale_shift_rows(normalized: Array, weight: Array, bias: Array, out: Array) -> None:
    """``out = normalized * weight + bias``."""
    n, size = normalized.shape
    for i in range(n):
        for j in range(size):
            out[i, j] = normalized[i, j] * weight[j] + bias[j]


scale_shift_rows = _jit(_scale_shift_rows)


def _layernorm_back_rows(
    g: Array,
    normalized: Array,
    inv_std: Array,
    weight: Array,
    d_weight: Array,
    d_bias: Array,
    out: Array,
    scalar: Array,
) -> None:
    """Reverse on rows: ``d_weight``, ``d_bias`` ``[D]`` and ``dL/dx`` into ``out`` (may be ``g``).

    ``dx = inv_std * (g_hat - mean(g_hat) - normalized * mean(g_hat * normalized))``.
    """
    n, size = g.shape
    for j in range(size):
        d_weight[j] = _ZERO
        d_bias[j] = _ZERO
    for i in range(n):
        sg = _ZERO
        sgx = _ZERO
        for j in range(size):
            gij = g[i, j]
            x = normalized[i, j]
            d_bias[j] += gij
            d_weight[j] += gij * x
            gh = gij * weight[j]
            sg += gh
            sgx += gh * x
        scalar[0] = sg / size
        scalar[1] = sgx / size
        mean_g, mean_gx, inv = scalar[0], scalar[1], inv_std[i]
        for j in range(size):
            out[i, j] = (g[i, j] * weight[j] - (normalized[i, j] * mean_gx + mean_g)) * inv


layernorm_back_rows = _jit(_layernorm_back_rows, reassociate=True)


# ---- softmax rows (attention weights without a mask; the NumPy version is in _attention.py) --


def _softmax_rows(rows: Array, scale: Array) -> None:
    """In place: ``rows <- softmax(rows * scale[0])`` over each row (one array, one pass)."""
    n, m = rows.shape
    s = scale[0]
    for i in range(n):
        peak = rows[i, 0] * s
        for j in range(1, m):
            v = rows[i, j] * s
            peak = v if v > peak else peak
        total = _ZERO
        for j in range(m):
            e = exp(rows[i, j] * s - peak)
            rows[i, j] = e
            total += e
        inv = _ONE / total
        for j in range(m):
            rows[i, j] *= inv


softmax_rows = _jit(_softmax_rows, reassociate=True)
