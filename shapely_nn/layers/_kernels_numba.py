"""Compiled kernels (numba): the optional ``fast`` extra.

Imported only through ``_fast.kernels()``, which falls back to the NumPy kernels when numba is
missing or broken. Every function here works on arrays the layer has already checked.

Recurrent layers: the whole time loop runs compiled, each step's elementwise work in one fused
pass (a NumPy step issues ~10 ufunc calls of ~1 µs fixed cost each, each reading and writing
its operands once more) and each step's recurrent product by NumPy's own BLAS, called from the
loop (see "products" below). The arrays are rows (see "recurrent kernels"), not the NumPy
loop's transposed blocks; ``lstm_reverse`` and the others convert a tape made by the other path.

Attention and transformer layers: the training path uses the LayerNorm and softmax row kernels;
inference (``layer(x)``, unmasked) runs the heads through ``attention_heads`` and fuses each
bias, residual and layer norm into one pass.

``tanh`` of float32 is a rational approximation (Eigen's and XLA's, within ~3e-7 of the exact
value): numba's ``math.tanh`` is a scalar libm call, ~50x slower than NumPy's vectorised one,
and the approximation vectorises. float64 keeps the exact ``math.tanh``, so the two paths agree
to ~1e-15 there. ``error_model="numpy"`` lets LLVM vectorise the division.

numba is imported through ``importlib`` so that mypy sees a typed interface (numba ships no
types): the decorators are applied by the typed ``_jit`` below.
"""

from __future__ import annotations

import ctypes
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
_llvm_binding: Any = importlib.import_module("llvmlite.binding")

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


# ---- products -------------------------------------------------------------------------------
#
# Why BLAS from compiled code: a step's recurrent product must be BLAS's (measured faster than
# a product written out in the loop at every size, down to [1, 32] @ [32, 128]), and calling it
# per step from Python (``np.matmul`` and a step kernel) costs ~3 µs of dispatch a step, 15 % of
# an RNN's inference at B32·T50·H128. numba reaches BLAS only through SciPy; NumPy's wheels
# bundle OpenBLAS with CBLAS entry points (64-bit integers, named ``scipy_cblas_?gemm64_``),
# found here through the NumPy module that links them and given to LLVM under names of our own.
# Cached code refers to those names, not to addresses, so it loads in any process. Where NumPy
# links no such symbol (another build of it), the names point to a stub that is never called:
# ``HAS_BLAS`` is False, and the layers write small products out and run larger ones per step
# from Python (``_fast.FULL_LOOP_MAX_MACS``), and run attention on their NumPy code.

_ROW_MAJOR, _NO_TRANS, _TRANS = np.int32(101), np.int32(111), np.int32(112)
_GEMM_SYMBOLS = {
    "shapely_nn_sgemm": ("scipy_cblas_sgemm64_", "cblas_sgemm64_"),
    "shapely_nn_dgemm": ("scipy_cblas_dgemm64_", "cblas_dgemm64_"),
}


def _blas_addresses() -> dict[str, int] | None:
    """Our symbol names -> the addresses of NumPy's ILP64 CBLAS ``?gemm``, or ``None``."""
    try:
        library = ctypes.CDLL(importlib.import_module("numpy._core._multiarray_umath").__file__)
    except (ImportError, OSError, TypeError):
        return None
    found: dict[str, int] = {}
    for ours, candidates in _GEMM_SYMBOLS.items():
        for name in candidates:
            function = getattr(library, name, None)
            address = None if function is None else ctypes.cast(function, ctypes.c_void_p).value
            if address:
                found[ours] = address
                break
    return found if len(found) == len(_GEMM_SYMBOLS) else None


def _gemm_signature(real: Any) -> Any:
    p, i32, i64 = _types.voidptr, _types.int32, _types.int64
    return _types.void(i32, i32, i32, i64, i64, i64, real, p, i64, p, i64, real, p, i64)


def _no_gemm(
    order: int,
    trans_a: int,
    trans_b: int,
    m: int,
    n: int,
    k: int,
    alpha: float,
    a: int,
    lda: int,
    b: int,
    ldb: int,
    beta: float,
    c: int,
    ldc: int,
) -> None:
    """Stands in for a BLAS that could not be found; never called (``HAS_BLAS`` is False)."""


def _bind_blas() -> bool:
    """Give LLVM our ``?gemm`` names; whether they are NumPy's BLAS (else never-called stubs)."""
    addresses = _blas_addresses()
    for name, real in (("shapely_nn_sgemm", _types.float32), ("shapely_nn_dgemm", _types.float64)):
        if addresses is None:
            address = _numba.cfunc(_gemm_signature(real))(inspect.unwrap(_no_gemm)).address
        else:
            address = addresses[name]
        _llvm_binding.add_symbol(name, address)
    return addresses is not None


HAS_BLAS = _bind_blas()
_sgemm = _types.ExternalFunction("shapely_nn_sgemm", _gemm_signature(_types.float32))
_dgemm = _types.ExternalFunction("shapely_nn_dgemm", _gemm_signature(_types.float64))


def _address_codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
    array = context.make_array(signature.args[0])(context, builder, args[0])
    pointer = builder.gep(array.data, [args[1]])
    return builder.bitcast(pointer, context.get_value_type(_types.voidptr))


def _address_typer(typingctx: Any, array: Any, offset: Any) -> Any:
    return _types.voidptr(array, _types.intp), _address_codegen


# the address of an array's element at a flat offset, for BLAS
_address = _extending.intrinsic(inspect.unwrap(_address_typer))


def gemm_at(
    trans_a: bool,
    trans_b: bool,
    m: int,
    n: int,
    k: int,
    a: Array,
    a_at: int,
    lda: int,
    b: Array,
    b_at: int,
    ldb: int,
    c: Array,
    c_at: int,
    ldc: int,
) -> None:
    """``C = op(A) @ op(B)`` through NumPy's BLAS, ``C`` ``[m, n]``, ``op(A)`` ``[m, k]``.

    Each matrix is row-major inside a C-contiguous array of one dtype: it starts at flat
    element ``*_at`` and its rows are ``ld*`` elements apart; ``op`` transposes when asked.
    """

    def block(x: Array, at: int, rows: int, cols: int, ld: int) -> Array:
        flat = x.reshape(-1)[at:]
        return np.lib.stride_tricks.as_strided(
            flat, (rows, cols), (ld * x.itemsize, x.itemsize), writeable=True
        )

    a_block = block(a, a_at, k, m, lda).T if trans_a else block(a, a_at, m, k, lda)
    b_block = block(b, b_at, n, k, ldb).T if trans_b else block(b, b_at, k, n, ldb)
    block(c, c_at, m, n, ldc)[...] = a_block @ b_block


def _gemm_at_with(gemm: Any, one: Any, zero: Any) -> Callable[..., None]:
    """``gemm_at``'s implementation on one of the bound BLAS functions (``?gemm``), with its
    ``alpha = 1`` and ``beta = 0`` in that function's dtype."""

    def impl(
        trans_a: bool,
        trans_b: bool,
        m: int,
        n: int,
        k: int,
        a: Array,
        a_at: int,
        lda: int,
        b: Array,
        b_at: int,
        ldb: int,
        c: Array,
        c_at: int,
        ldc: int,
    ) -> None:
        if m > 0 and n > 0:
            op_a = _TRANS if trans_a else _NO_TRANS
            op_b = _TRANS if trans_b else _NO_TRANS
            a_p, b_p, c_p = _address(a, a_at), _address(b, b_at), _address(c, c_at)
            gemm(_ROW_MAJOR, op_a, op_b, m, n, k, one, a_p, lda, b_p, ldb, zero, c_p, ldc)

    return impl


_gemm_at32 = _gemm_at_with(_sgemm, _ONE, _ZERO)
_gemm_at64 = _gemm_at_with(_dgemm, 1.0, 0.0)


def _gemm_at_overload(
    trans_a: bool,
    trans_b: bool,
    m: int,
    n: int,
    k: int,
    a: Array,
    a_at: int,
    lda: int,
    b: Array,
    b_at: int,
    ldb: int,
    c: Array,
    c_at: int,
    ldc: int,
) -> Callable[..., None]:
    # numba types, annotated as the stub's parameters (numba compares the two signatures)
    impl = _gemm_at32 if a.dtype == _types.float32 else _gemm_at64
    return cast(Callable[..., None], inspect.unwrap(impl))


_extending.overload(gemm_at)(inspect.unwrap(_gemm_at_overload))


def _gemm(a: Array, b: Array, out: Array) -> None:
    """``out = a @ b`` through NumPy's BLAS; C-contiguous 2-D arrays of one dtype."""
    m, k = a.shape
    n = b.shape[1]
    gemm_at(False, False, m, n, k, a, 0, k, b, 0, n, out, 0, n)


gemm = _jit(_gemm)


def _matmul(a: Array, b: Array, out: Array) -> None:
    """``out = a @ b`` for small rows, written out (vectorised along the rows of ``b``)."""
    rows, inner = a.shape
    cols = b.shape[1]
    for i in range(rows):
        for k in range(cols):
            out[i, k] = _ZERO
        for j in range(inner):
            aij = a[i, j]
            for k in range(cols):
                out[i, k] += aij * b[j, k]


matmul = _jit(_matmul)


def _product(a: Array, b: Array, out: Array, blas: bool) -> None:
    """``out = a @ b``: BLAS's product, or the one written out (small sizes, or no BLAS)."""
    if blas:
        gemm(a, b, out)
    else:
        matmul(a, b, out)


product = _jit(_product)


# ---- recurrent kernels: rows [N, G*H] -------------------------------------------------------
#
# Layout: a time loop's arrays are rows, ``[T * N, G * H]`` (gates) and ``[(T + 1) * N, H]``
# (states, the initial one first), so that the input projection of all steps, the recurrent
# product of one step and the weight and input gradients are each one BLAS product in the
# floor's own shapes, the outputs are a view of the states, and no step transposes anything.
# Step ``t``'s block is rows ``t * N .. (t + 1) * N``. The biases are added in the step kernels
# (one pass fewer). Without a tape (inference) the per-step arrays are rings of one block (two
# for the LSTM's cell state), so that both paths run the same arithmetic, with the same results.
#
# Two rules keep every inner loop vectorised (measured: 2-7x slower otherwise): indices are
# unsigned (``_U``), since numba wraps a signed index around when negative, a select per access
# that stops LLVM; and no loop writes an array it reads at another column offset (a gate's
# activation back over its pre-activation while reading the others', say), since LLVM cannot
# tell those apart. A training step therefore activates its gates in place first, in loops of
# their own, and combines them after.

_U = np.uintp
Index = int | np.unsignedinteger[Any]


def _step_rows(a: Array, t: int, n: int) -> Array:
    """Block ``t`` of ``n`` rows."""
    return a[t * n : (t + 1) * n]


step_rows = _jit(_step_rows)


def _sigmoid_halved_(
    a: Array, rec: Array, bias: Array, k: Index, start: Index, size: Index
) -> None:
    """In place, row ``k``, columns ``start .. start + size``: ``a <- sigmoid`` of the gate whose
    halved pre-activation is ``a + bias + rec``."""
    for j in range(_U(size)):
        col = j + _U(start)
        a[k, col] = _HALF * tanh((a[k, col] + bias[col]) + rec[k, col]) + _HALF


sigmoid_halved_ = _jit(_sigmoid_halved_)


def _tanh_(a: Array, rec: Array, bias: Array, k: Index, start: Index, size: Index) -> None:
    """In place, row ``k``, columns ``start .. start + size``: ``a <- tanh(a + bias + rec)``."""
    for j in range(_U(size)):
        col = j + _U(start)
        a[k, col] = tanh((a[k, col] + bias[col]) + rec[k, col])


tanh_ = _jit(_tanh_)


# ---- LSTM (gate columns o, i, f, g; the sigmoid gates o, i, f carry halved weights) ----------


def _lstm_step(
    a: Array, rec: Array, bias: Array, c_prev: Array, c: Array, tc: Array, h: Array
) -> None:
    """One step: ``a`` [N, 4H] (input part) + ``bias`` + ``rec`` -> activations (in ``a``),
    ``c``, ``tanh c`` (into ``tc``) and ``h`` [N, H]."""
    n, hidden = c.shape
    h1 = _U(hidden)
    h2, h3 = h1 + h1, h1 + h1 + h1
    for k in range(_U(n)):
        sigmoid_halved_(a, rec, bias, k, 0, h3)
        tanh_(a, rec, bias, k, h3, h1)
        for j in range(h1):
            cell = a[k, j + h2] * c_prev[k, j] + a[k, j + h1] * a[k, j + h3]
            th = tanh(cell)
            c[k, j] = cell
            tc[k, j] = th
            h[k, j] = a[k, j] * th


lstm_step = _jit(_lstm_step)


def _lstm_loop(
    gates: Array,
    rec: Array,
    bias: Array,
    w_hh_t: Array,
    cells: Array,
    tcs: Array,
    hs: Array,
    blas: bool,
) -> None:
    """The whole forward loop on rows; ``cells``/``tcs`` may be rings of two and one blocks."""
    n = rec.shape[0]
    m_c, m_t = cells.shape[0] // n, tcs.shape[0] // n
    for t in range(gates.shape[0] // n):
        product(step_rows(hs, t, n), w_hh_t, rec, blas)
        c_prev, c = step_rows(cells, t % m_c, n), step_rows(cells, (t + 1) % m_c, n)
        tc, h = step_rows(tcs, t % m_t, n), step_rows(hs, t + 1, n)
        lstm_step(step_rows(gates, t, n), rec, bias, c_prev, c, tc, h)


lstm_loop = _jit(_lstm_loop)


def _lstm_step_back(
    dh: Array, dc: Array, gy: Array, gates: Array, c_prev: Array, tc: Array, dg: Array
) -> None:
    """Reverse of one step, up to the recurrent product: gate grads ``dg`` [N, 4H].

    ``dh`` [N, H] is the grad of this step's output from the later steps, ``gy`` the one from
    the loss; ``dc`` is updated in place to the grad of the previous cell. Each gate's block of
    a row is a view of its own (measured: twice as fast as offsets into the whole row).
    """
    n, hidden = dh.shape
    h1 = _U(hidden)
    h2, h3 = h1 + h1, h1 + h1 + h1
    for k in range(_U(n)):
        dh_k, dc_k, gy_k, c_prev_k, tc_k = dh[k], dc[k], gy[k], c_prev[k], tc[k]
        g_k, dg_k = gates[k], dg[k]
        o, i, f, g = g_k[:h1], g_k[h1:h2], g_k[h2:h3], g_k[h3:]
        d_o, d_i, d_f, d_g = dg_k[:h1], dg_k[h1:h2], dg_k[h2:h3], dg_k[h3:]
        for j in range(h1):
            d = dh_k[j] + gy_k[j]
            th = tc_k[j]
            dcell = dc_k[j] + d * ((_ONE - th * th) * o[j])
            d_o[j] = d * (((_ONE - o[j]) * o[j]) * th)
            d_i[j] = dcell * (((_ONE - i[j]) * i[j]) * g[j])
            d_f[j] = dcell * (((_ONE - f[j]) * f[j]) * c_prev_k[j])
            d_g[j] = dcell * ((_ONE - g[j] * g[j]) * i[j])
            dc_k[j] = dcell * f[j]


lstm_step_back = _jit(_lstm_step_back)


def _lstm_loop_back(
    w_hh: Array,
    dh: Array,
    dc: Array,
    gy: Array,
    gates: Array,
    cells: Array,
    tcs: Array,
    d_gates: Array,
    blas: bool,
) -> None:
    """The whole backward loop; ``dh``/``dc`` in: grads of the final state, out: of the initial."""
    n = dh.shape[0]
    for t in range(gates.shape[0] // n - 1, -1, -1):
        dg = step_rows(d_gates, t, n)
        gy_t, gates_t = step_rows(gy, t, n), step_rows(gates, t, n)
        lstm_step_back(dh, dc, gy_t, gates_t, step_rows(cells, t, n), step_rows(tcs, t, n), dg)
        product(dg, w_hh, dh, blas)


lstm_loop_back = _jit(_lstm_loop_back)


# ---- GRU (gate columns r, z, n; the sigmoid gates r, z carry halved weights) ---------------


def _gru_step(
    a: Array,
    rec: Array,
    bias: Array,
    b_hn: Array,
    h_prev: Array,
    hn: Array,
    h: Array,
    cand: Array,
) -> None:
    """One step: ``a`` [N, 3H] (input part) + ``bias`` and ``rec`` -> activations (in ``a``),
    ``W_hn h + b_hn`` (into ``hn``) and the new state ``h``.

    ``cand`` [H] is scratch: the candidates go there first, then over their column block.
    """
    n, hidden = h.shape
    h1 = _U(hidden)
    h2 = h1 + h1
    for k in range(_U(n)):
        sigmoid_halved_(a, rec, bias, k, 0, h2)
        for j in range(h1):
            hidden_part = rec[k, j + h2] + b_hn[j]
            candidate = tanh((a[k, j + h2] + bias[j + h2]) + a[k, j] * hidden_part)
            h[k, j] = candidate + a[k, j + h1] * (h_prev[k, j] - candidate)
            hn[k, j] = hidden_part
            cand[j] = candidate
        for j in range(h1):
            a[k, j + h2] = cand[j]


gru_step = _jit(_gru_step)


def _gru_loop(
    gates: Array,
    rec: Array,
    bias: Array,
    b_hn: Array,
    w_hh_t: Array,
    hn: Array,
    hs: Array,
    blas: bool,
) -> None:
    """The whole forward loop on rows; ``hn`` may be a ring of one block (no tape)."""
    n = rec.shape[0]
    m = hn.shape[0] // n
    cand = np.empty(hs.shape[1], dtype=hs.dtype)
    for t in range(gates.shape[0] // n):
        h_prev = step_rows(hs, t, n)
        product(h_prev, w_hh_t, rec, blas)
        a, h = step_rows(gates, t, n), step_rows(hs, t + 1, n)
        gru_step(a, rec, bias, b_hn, h_prev, step_rows(hn, t % m, n), h, cand)


gru_loop = _jit(_gru_loop)


def _gru_step_back(
    dh: Array,
    direct: Array,
    gy: Array,
    gates: Array,
    hn: Array,
    h_prev: Array,
    d_in: Array,
    d_hid: Array,
) -> None:
    """Reverse of one step, up to the recurrent product.

    In: ``dh`` (the product of the later step) + ``direct`` (its ``dh * z``) + ``gy``.
    Out: the grads of the input side's pre-activations ``d_in`` [N, 3H] (r, z, n), those of
    ``W_h h + b_h`` per gate ``d_hid`` [N, 3H], and the new ``direct``. Each gate's block of a
    row is a view of its own, as in ``lstm_step_back``.
    """
    n, hidden = dh.shape
    h1 = _U(hidden)
    h2 = h1 + h1
    for k in range(_U(n)):
        dh_k, direct_k, gy_k, hn_k, h_prev_k = dh[k], direct[k], gy[k], hn[k], h_prev[k]
        g_k, in_k, hid_k = gates[k], d_in[k], d_hid[k]
        r, z, cand = g_k[:h1], g_k[h1:h2], g_k[h2:]
        in_r, in_z, in_n = in_k[:h1], in_k[h1:h2], in_k[h2:]
        hid_r, hid_z, hid_n = hid_k[:h1], hid_k[h1:h2], hid_k[h2:]
        for j in range(h1):
            d = (dh_k[j] + direct_k[j]) + gy_k[j]
            dz = d * (((_ONE - z[j]) * z[j]) * (h_prev_k[j] - cand[j]))
            dn = d * ((_ONE - cand[j] * cand[j]) * (_ONE - z[j]))
            dr = dn * (((_ONE - r[j]) * r[j]) * hn_k[j])
            in_r[j] = dr
            in_z[j] = dz
            in_n[j] = dn
            hid_r[j] = dr
            hid_z[j] = dz
            hid_n[j] = dn * r[j]
            direct_k[j] = d * z[j]


gru_step_back = _jit(_gru_step_back)


def _gru_loop_back(
    w_hh: Array,
    dh: Array,
    direct: Array,
    gy: Array,
    gates: Array,
    hn: Array,
    hs: Array,
    d_in: Array,
    d_hid: Array,
    blas: bool,
) -> None:
    """The whole backward loop; ``dh + direct`` at the end is the grad of the initial state."""
    n = dh.shape[0]
    for t in range(gates.shape[0] // n - 1, -1, -1):
        dg = step_rows(d_hid, t, n)
        gy_t, gates_t, hn_t = step_rows(gy, t, n), step_rows(gates, t, n), step_rows(hn, t, n)
        h_prev, d_in_t = step_rows(hs, t, n), step_rows(d_in, t, n)
        gru_step_back(dh, direct, gy_t, gates_t, hn_t, h_prev, d_in_t, dg)
        product(dg, w_hh, dh, blas)


gru_loop_back = _jit(_gru_loop_back)


# ---- tanh RNN -------------------------------------------------------------------------------


def _rnn_step(a: Array, rec: Array, bias: Array) -> None:
    """``a = tanh(a + bias + rec)`` in place (``a``: the input part, then the new state)."""
    for k in range(_U(a.shape[0])):
        tanh_(a, rec, bias, k, 0, a.shape[1])


rnn_step = _jit(_rnn_step)


def _rnn_loop(hs: Array, rec: Array, bias: Array, w_hh_t: Array, blas: bool) -> None:
    """The whole forward loop: rows of ``hs`` are ``h0``, then each step's input part -> state."""
    n = rec.shape[0]
    for t in range(hs.shape[0] // n - 1):
        product(step_rows(hs, t, n), w_hh_t, rec, blas)
        rnn_step(step_rows(hs, t + 1, n), rec, bias)


rnn_loop = _jit(_rnn_loop)


def _rnn_step_back(dh: Array, gy: Array, h: Array, d_pre: Array) -> None:
    """``d_pre = (dh + gy) * (1 - h^2)``."""
    n, hidden = dh.shape
    for k in range(_U(n)):
        for j in range(_U(hidden)):
            d_pre[k, j] = (dh[k, j] + gy[k, j]) * (_ONE - h[k, j] * h[k, j])


rnn_step_back = _jit(_rnn_step_back)


def _rnn_loop_back(w_hh: Array, dh: Array, gy: Array, hs: Array, d_pre: Array, blas: bool) -> None:
    """The whole backward loop over output rows ``hs``; ``dh`` ends as the initial state's grad."""
    n = dh.shape[0]
    for t in range(hs.shape[0] // n - 1, -1, -1):
        dp = step_rows(d_pre, t, n)
        rnn_step_back(dh, step_rows(gy, t, n), step_rows(hs, t, n), dp)
        product(dp, w_hh, dh, blas)


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


# ---- inference kernels of the attention and transformer layers (unmasked, no tape) ----------


def _softmax_columns_(scores_t: Array, s: float, peak: Array, total: Array) -> None:
    """In place: each column of ``scores_t`` [Tk, W] <- ``softmax(column * s)``.

    Why columns: a row-wise maximum is a serial chain of comparisons (LLVM vectorises a
    select reduction only with ``nnan``, which the kernels never assume), while the maxima
    of all columns at once are one vector comparison per row. ``peak``, ``total``: [W] scratch.
    """
    rows, width = _U(scores_t.shape[0]), _U(scores_t.shape[1])
    for i in range(width):
        peak[i] = scores_t[0, i]
    for j in range(_U(1), rows):
        for i in range(width):
            v = scores_t[j, i]
            peak[i] = v if v > peak[i] else peak[i]
    for i in range(width):
        peak[i] *= s
        total[i] = _ZERO
    for j in range(rows):
        for i in range(width):
            e = exp(scores_t[j, i] * s - peak[i])
            scores_t[j, i] = e
            total[i] += e
    for i in range(width):
        total[i] = _ONE / total[i]
    for j in range(rows):
        for i in range(width):
            scores_t[j, i] *= total[i]


softmax_columns_ = _jit(_softmax_columns_)


def _attention_heads(
    q: Array,
    q_col: int,
    k: Array,
    k_col: int,
    v: Array,
    v_col: int,
    heads: int,
    scale: Array,
    out: Array,
    tq: int,
    tk: int,
) -> None:
    """``out`` [N * Tq, E] <- ``softmax(q k^T * scale[0]) v`` per sequence and head.

    ``q`` holds rows [N * Tq, *] with the heads' queries side by side from column ``q_col``;
    ``k`` and ``v`` rows [N * Tk, *] likewise. BLAS reads each head in place (no head is copied
    out of its rows), and one sequence's and head's scores stay in cache from their product
    through the softmax to the next product. They are held transposed, ``k q^T`` [Tk, Tq]
    (see ``softmax_columns_``), with rows padded to whole vectors: no loop has a remainder.
    """
    rows, e = out.shape
    dh = e // heads
    lq, lk, lv = q.shape[1], k.shape[1], v.shape[1]
    s = scale[0]
    width = (tq + 15) // 16 * 16
    # the padding columns stay finite (zeros, then their softmax) and are never read
    scores_t = np.zeros((tk, width), dtype=out.dtype)
    peak, total = np.empty(width, dtype=out.dtype), np.empty(width, dtype=out.dtype)
    for b in range(rows // tq):
        for h in range(heads):
            q_at, k_at = b * tq * lq + q_col + h * dh, b * tk * lk + k_col + h * dh
            gemm_at(False, True, tk, tq, dh, k, k_at, lk, q, q_at, lq, scores_t, 0, width)
            softmax_columns_(scores_t, s, peak, total)
            v_at, out_at = b * tk * lv + v_col + h * dh, b * tq * e + h * dh
            gemm_at(True, False, tq, dh, tk, scores_t, 0, width, v, v_at, lv, out, out_at, e)


attention_heads = _jit(_attention_heads)


def _add_layernorm_rows(
    a: Array, residual: Array, bias: Array, weight: Array, shift: Array, eps: Array, out: Array
) -> None:
    """``out = layernorm(a + bias + residual) * weight + shift`` per row [N, D], in one pass.

    ``eps`` is a one-element array of the rows' dtype (a float64 scalar would promote float32).
    """
    n, size = a.shape
    d = _U(size)
    scalar = np.empty(1, dtype=out.dtype)
    for i in range(_U(n)):
        total = _ZERO
        for j in range(d):
            x = (a[i, j] + bias[j]) + residual[i, j]
            out[i, j] = x
            total += x
        scalar[0] = total / size
        mean = scalar[0]
        squares = _ZERO
        for j in range(d):
            x = out[i, j] - mean
            out[i, j] = x
            squares += x * x
        scalar[0] = squares / size + eps[0]
        scalar[0] = _ONE / math.sqrt(scalar[0])
        inv = scalar[0]
        for j in range(d):
            out[i, j] = (out[i, j] * inv) * weight[j] + shift[j]


add_layernorm_rows = _jit(_add_layernorm_rows, reassociate=True)


def _bias_relu_rows(a: Array, bias: Array) -> None:
    """In place: ``a <- max(a + bias, 0)`` per row (NaN stays NaN, as ``np.maximum``)."""
    n, size = a.shape
    for i in range(_U(n)):
        for j in range(_U(size)):
            x = a[i, j] + bias[j]
            a[i, j] = _ZERO if x < _ZERO else x


bias_relu_rows = _jit(_bias_relu_rows)
