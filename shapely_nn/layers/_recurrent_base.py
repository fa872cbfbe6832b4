"""Plumbing shared by the recurrent layers: boundary checks, batch flattening, packed weights.

Every recurrent kernel works on raw arrays with the batch dims flattened to one axis ``N``:
a sequence is ``[T, N, In]`` and a state ``[N, H]``. The checks here run once per call, at the
module boundary; nothing in this file runs inside a time loop.

The parameters keep the seeds' layout (one ``[H, In + H]`` weight on the concatenated ``[x; h]``
and one ``[H]`` bias per gate). A kernel packs the gates it needs into one ``[G * H, In + H]``
matrix per call, so the input projection of all steps is one matrix product and the gates of
one step are one more.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar, TypeVarTuple, cast

import numpy as np

from shapely_nn._shape import Shape, ShapeError
from shapely_nn._tensor import (
    DTypeError,
    Tensor,
    array_of,
    describe,
    require_tensor,
    require_tensors,
)
from shapely_nn.guards import require_positive, require_size
from shapely_nn.layers import _fast
from shapely_nn.layers._base import (
    Array,
    GradRecord,
    Layer,
    Rng,
    as_generator,
    require_float_dtype,
    uniform,
)
from shapely_nn.layers._workspace import column_sums
from shapely_nn_dims import Add

AnyTensor = Tensor[*tuple[Any, ...]]


def check_sizes(kind: str, input_size: int, hidden_size: int) -> None:
    """``TypeError`` unless both sizes are ints, ``GuardError`` unless they are positive."""
    require_size(input_size=input_size, hidden_size=hidden_size)


def init_gates(
    gates: tuple[str, ...],
    biases: tuple[str, ...],
    input_size: int,
    hidden_size: int,
    rng: np.random.Generator | int,
    dtype: Any,
) -> dict[str, Array]:
    """PyTorch's RNN init: every weight and bias ``U(-1/sqrt(H), 1/sqrt(H))``."""
    gen = as_generator(rng)
    bound = 1.0 / math.sqrt(hidden_size)
    out: dict[str, Array] = {}
    for name in gates:
        out[name] = uniform(gen, bound, (hidden_size, input_size + hidden_size), dtype)
    for name in biases:
        out[name] = uniform(gen, bound, (hidden_size,), dtype)
    return out


@dataclass(frozen=True)
class Tape:
    """What a recurrent run keeps for its backward pass (kernel-specific arrays in ``saved``)."""

    x: Array  # [T, N, In]
    initial: tuple[Array, ...]  # each [N, H]
    outputs: Array  # [T, N, H]
    final: tuple[Array, ...]  # each [N, H]
    weights: Array  # packed [G * H, In + H], the layout the kernel used
    saved: dict[str, Array]


class RecurrentParameters(Layer):
    """Base of the recurrent cells and sequence modules: sizes, checks, kernel hooks.

    A subclass is a frozen dataclass of the gate parameters; it provides the kernel
    (``_run`` over ``[T, N, In]`` and ``_reverse``, its BPTT) and the number of state arrays.
    """

    kind: ClassVar[str]
    num_states: ClassVar[int]
    # Gate parameter names, weights first: each weight is ``[H, In + H]`` on ``[x; h]``.
    weight_names: ClassVar[tuple[str, ...]]
    bias_names: ClassVar[tuple[str, ...]]

    def __init__(
        self, input_size: int, hidden_size: int, *, rng: Rng, dtype: Any = np.float32
    ) -> None:
        """Fresh gates ``U(-1/sqrt(H), 1/sqrt(H))`` from ``rng`` (PyTorch's init)."""
        check_sizes(type(self).__name__, input_size, hidden_size)
        dt = require_float_dtype(dtype)
        arrays = init_gates(self.weight_names, self.bias_names, input_size, hidden_size, rng, dt)
        for name, value in arrays.items():
            object.__setattr__(self, name, value)

    @property
    def input_size(self) -> int:
        """Input size ``In``."""
        weight = getattr(self, self.weight_names[0])
        return int(weight.shape[1] - weight.shape[0])

    @property
    def hidden_size(self) -> int:
        """Hidden size ``H``."""
        return int(getattr(self, self.weight_names[0]).shape[0])

    @property
    def dtype(self) -> np.dtype[Any]:
        """The dtype of the parameters (read off one weight: ``Layer.dtype`` walks them all,
        which cost ~30 % of a small layer call, three times per call)."""
        dt: np.dtype[Any] = getattr(self, self.weight_names[0]).dtype
        return dt

    @abstractmethod
    def _run(self, x: Array, initial: tuple[Array, ...], *, keep: bool = True) -> Tape:
        """Forward over ``[T, N, In]`` from states ``[N, H]``; ``keep=False``: no tape."""

    @abstractmethod
    def _reverse(
        self, tape: Tape, grad_y: Array, grad_final: tuple[Array | None, ...]
    ) -> tuple[GradRecord, Array, tuple[Array, ...]]:
        """BPTT: parameter grads, ``dL/dx`` ``[T, N, In]``, ``dL/d(initial states)``."""

    # ---- boundary checks -----------------------------------------------------------------
    def _label(self) -> str:
        return f"{type(self).__name__}[{self.input_size}, {self.hidden_size}]"

    def _check_dtype(self, what: str, a: Array) -> None:
        if a.dtype != self.dtype:
            raise DTypeError(
                f"{self._label()}: {what} dtype {a.dtype} differs from weights {self.dtype}"
            )

    def _check_sequence(self, x: AnyTensor) -> tuple[Array, tuple[int, ...]]:
        """``[T, *B, In]`` -> ``([T, N, In], B)``; guards ``seq_len > 0``."""
        a = array_of(self._label(), "x", x)
        if a.ndim < 2:
            raise ShapeError(
                f"{self._label()} expects a time-major sequence [T, *B, {self.input_size}] "
                f"(rank >= 2), got {x.shape}"
            )
        if a.shape[-1] != self.input_size:
            raise ShapeError(
                f"{self._label()} expects last dim In = {self.input_size}, "
                f"got {a.shape[-1]} in {x.shape}"
            )
        self._check_dtype("input", a)
        require_positive(seq_len=int(a.shape[0]))
        batch = tuple(int(d) for d in a.shape[1:-1])
        return a.reshape(a.shape[0], math.prod(batch), self.input_size), batch

    def _check_step(self, x: AnyTensor, expected: int, what: str) -> tuple[Array, tuple[int, ...]]:
        """``[*B, expected]`` -> ``([N, expected], B)``."""
        a = array_of(self._label(), "x", x)
        if a.ndim == 0 or a.shape[-1] != expected:
            got = "a scalar" if a.ndim == 0 else f"{a.shape[-1]} in {x.shape}"
            raise ShapeError(f"{self._label()} expects last dim {what} = {expected}, got {got}")
        self._check_dtype("input", a)
        batch = tuple(int(d) for d in a.shape[:-1])
        return a.reshape(math.prod(batch), expected), batch

    def _check_states(
        self,
        states: tuple[AnyTensor, ...] | None,
        batch: tuple[int, ...],
        names: tuple[str, ...],
        arg: str = "state",
    ) -> tuple[Array, ...]:
        """Given states ``[*B, H]`` each, or zeros; -> ``[N, H]`` arrays."""
        n, h = math.prod(batch), self.hidden_size
        if states is None:
            return tuple(np.zeros((n, h), dtype=self.dtype) for _ in names)
        checked = require_tensors(self._label(), arg, states, len(names))
        out = []
        for name, s in zip(names, checked, strict=True):
            a = s.numpy()
            if a.shape != (*batch, h):
                raise ShapeError(
                    f"{self._label()} expects state {name} of shape [*B, H] = "
                    f"{Shape((*batch, h))}, got {s.shape}"
                )
            self._check_dtype(f"state {name}", a)
            out.append(a.reshape(n, h))
        return tuple(out)

    def _check_grad(self, what: str, g: AnyTensor, shape: tuple[int, ...]) -> Array:
        a = array_of(f"{self._label()}.backward", what, g)
        if a.shape != shape:
            raise ShapeError(
                f"{self._label()}.backward: {what} has shape {g.shape}, expected {Shape(shape)}"
            )
        return a


def split_concat(label: str, a: Array, sizes: tuple[int, ...], what: str) -> list[Array]:
    """Split the last axis of ``a`` into ``sizes``, or ``ShapeError`` naming the sum."""
    total = sum(sizes)
    if a.ndim == 0 or a.shape[-1] != total:
        got = "a scalar" if a.ndim == 0 else f"{a.shape[-1]} in {Shape(a.shape)}"
        raise ShapeError(f"{label} expects last dim {what} = {total}, got {got}")
    bounds = np.cumsum(sizes)[:-1]
    return list(np.split(a, bounds, axis=-1))


def input_projection(w_x: Array, b: Array, x: Array, block: Array) -> Array:
    """Input part of every step's gates, ``[G, In] @ x_t^T + b``: ``[T, G, N]`` in ``block``.

    ``T`` products ``[G, In] @ [In, N]`` into a contiguous ``[T, G, N]``, so that each step's
    gate block is contiguous for the ufuncs and for the compiled kernels alike.
    """
    steps, n, _ = x.shape
    gates = block.reshape(steps, w_x.shape[0], n)
    np.matmul(w_x, x.transpose(0, 2, 1), out=gates)
    gates += b[:, None]
    return gates


def flat_gates(d_gates: Array, out: Array) -> None:
    """Gate gradients ``[T, G, N]`` into ``out`` ``[G, T * N]``, columns in the ``(t, n)`` order
    of ``x.reshape(T * N, In)``: the layout of the weight and input gradient products."""
    steps, rows, n = d_gates.shape
    np.copyto(out.reshape(rows, steps, n), d_gates.transpose(1, 0, 2))


# ---- the compiled kernels' layout: rows (see _kernels_numba) ----------------------------


def row_kernels(x: Array) -> Any:
    """The compiled kernels for a time loop over ``x`` ``[T, N, In]``, or ``None`` (NumPy's).

    An empty batch (``N = 0``) runs on NumPy: the compiled loops count steps in blocks of
    ``N`` rows.
    """
    return _fast.kernels() if x.shape[1] else None


def loop_product(fast: Any, macs: int) -> bool | None:
    """How a compiled time loop takes a recurrent product of ``macs`` multiply-adds.

    ``True``: NumPy's BLAS called from the loop (faster than a product written out at every
    size measured, down to ``[1, 32] @ [32, 128]``); where the kernels cannot reach BLAS,
    ``False``: written out in the loop (small sizes), ``None``: ``np.matmul`` per step from
    Python.
    """
    if fast.HAS_BLAS:
        return True
    return False if macs <= _fast.FULL_LOOP_MAX_MACS else None


def time_major_rows(blocks: Array) -> Array:
    """``[T, C, N]`` (the NumPy loop's layout) -> rows ``[T * N, C]`` (a copy)."""
    return np.ascontiguousarray(blocks.transpose(0, 2, 1)).reshape(-1, blocks.shape[1])


def blocks_of_columns(rows: Array, n: int) -> Array:
    """Rows ``[T * N, C]`` -> ``[T, C, N]`` (a copy), the inverse of ``time_major_rows``."""
    return np.ascontiguousarray(rows.reshape(-1, n, rows.shape[1]).transpose(0, 2, 1))


def saved_as_rows(tape: Tape, names: dict[str, str]) -> dict[str, Array]:
    """The tape's arrays in the compiled kernels' rows, ``names`` mapping each array of the
    NumPy loop to its rows' name (converted only if the NumPy loop made the tape)."""
    if next(iter(names.values())) in tape.saved:
        return tape.saved
    return {rows: time_major_rows(tape.saved[blocks]) for blocks, rows in names.items()}


def saved_as_columns(tape: Tape, names: dict[str, str]) -> dict[str, Array]:
    """The tape's arrays in the NumPy loop's layout (converted only if the compiled kernels
    made the tape); ``names`` as for ``saved_as_rows``."""
    if next(iter(names)) in tape.saved:
        return tape.saved
    n = tape.x.shape[1]
    return {blocks: blocks_of_columns(tape.saved[rows], n) for blocks, rows in names.items()}


def weight_grads(
    d_input: Array, d_hidden: Array, x: Array, h_rows: Array, w: Array
) -> tuple[Array, Array, Array]:
    """``(dW [G, In + H], db [G], dx [T, N, In])`` from the gradients of the pre-activations.

    ``d_input`` / ``d_hidden`` ``[T * N, G]`` are those of the input and of the hidden side
    (the same array except for the GRU's candidate), ``h_rows`` the states ``h_0 .. h_T`` as
    rows ``[(T + 1) * N, H]``. Each result is one product, written where it belongs.
    """
    rows, in_size = d_input.shape[0], x.shape[2]
    x_rows = x.reshape(rows, in_size)
    dw = np.empty_like(w)
    np.matmul(d_input.T, x_rows, out=dw[:, :in_size])
    np.matmul(d_hidden.T, h_rows[:rows], out=dw[:, in_size:])
    db = np.empty(w.shape[0], dtype=w.dtype)
    column_sums(d_input, db)
    dx = np.matmul(d_input, w[:, :in_size]).reshape(x.shape)
    return dw, db, dx


# ---- drivers shared by the cells and the sequence modules ----------------------------------


@dataclass(frozen=True)
class RecurrentCache:
    """What ``forward`` keeps for ``backward``: the kernel tape and the batch dims ``B``.

    ``final_state`` holds the state after the last step (``[*B, H]`` tensors: ``(h,)`` for
    RNN/GRU, ``(h, c)`` for LSTM).
    """

    tape: Tape
    batch: tuple[int, ...]
    final_state: tuple[AnyTensor, ...]


def state_names(layer: RecurrentParameters) -> tuple[str, ...]:
    """``("h",)`` or ``("h", "c")``."""
    return ("h", "c")[: layer.num_states]


def run_forward(
    layer: RecurrentParameters,
    x3: Array,
    batch: tuple[int, ...],
    state: tuple[AnyTensor, ...] | None,
    arg: str = "state",
) -> tuple[Array, RecurrentCache]:
    """Run the kernel on ``[T, N, In]``; -> outputs ``[T, *B, H]`` (array) and the cache.

    ``arg`` is the caller's name for ``state``, for messages.
    """
    initial = layer._check_states(state, batch, state_names(layer), arg)
    tape = with_fallback(lambda: layer._run(x3, initial))
    y, final = _outputs(layer, tape, x3.shape[0], batch)
    return y, RecurrentCache(tape, batch, final)


def run_inference(
    layer: RecurrentParameters,
    x3: Array,
    batch: tuple[int, ...],
    state: tuple[AnyTensor, ...] | None,
    arg: str = "state",
) -> tuple[Array, tuple[AnyTensor, ...]]:
    """``run_forward`` without a tape: outputs ``[T, *B, H]`` and the final state."""
    initial = layer._check_states(state, batch, state_names(layer), arg)
    tape = with_fallback(lambda: layer._run(x3, initial, keep=False))
    return _outputs(layer, tape, x3.shape[0], batch)


def _outputs(
    layer: RecurrentParameters, tape: Tape, steps: int, batch: tuple[int, ...]
) -> tuple[Array, tuple[AnyTensor, ...]]:
    shape = (*batch, layer.hidden_size)
    final: tuple[AnyTensor, ...] = tuple(Tensor(s.reshape(shape)) for s in tape.final)
    return tape.outputs.reshape(steps, *shape), final


R = TypeVar("R")


def with_fallback(run: Callable[[], R]) -> R:
    """``run()``; if a compiled kernel fails to compile, warn once and rerun on NumPy."""
    try:
        return run()
    except Exception as err:
        if not _fast.is_compile_failure(err) or _fast.kernels() is None:
            raise
        _fast.disable_after_failure(err)
        return run()


def run_backward(
    layer: RecurrentParameters,
    cache: RecurrentCache,
    grad_y: AnyTensor | None,
    grad_final: tuple[AnyTensor, ...] | None,
) -> tuple[GradRecord, Array, tuple[AnyTensor, ...]]:
    """BPTT from ``dL/dy`` ``[T, *B, H]`` and ``dL/d(final state)``; ``None`` means zero.

    -> parameter grads, ``dL/dx`` ``[T, N, In]`` and ``dL/d(initial state)`` ``[*B, H]`` each.
    """
    tape, hidden = cache.tape, layer.hidden_size
    steps, n = tape.outputs.shape[:2]
    shape = (*cache.batch, hidden)
    if grad_y is None:
        gy = np.zeros((steps, n, hidden), dtype=tape.outputs.dtype)
    else:
        gy = layer._check_grad("grad_y", grad_y, (steps, *shape)).reshape(steps, n, hidden)
    names = state_names(layer)
    finals: tuple[Array | None, ...] = (None,) * len(names)
    if grad_final is not None:
        if not isinstance(grad_final, tuple | list) or len(grad_final) != len(names):
            raise TypeError(
                f"{layer._label()}.backward: expected grads for the final state "
                f"({', '.join(names)}), got {describe(grad_final)}"
            )
        finals = tuple(
            layer._check_grad(f"grad of final {name}", g, shape).reshape(n, hidden)
            for name, g in zip(names, grad_final, strict=True)
        )
    grads, dx, d_initial = with_fallback(lambda: layer._reverse(tape, gy, finals))
    return grads, dx, tuple(Tensor(d.reshape(shape)) for d in d_initial)


def _concat_inputs(
    layer: RecurrentParameters, v: AnyTensor, what: str
) -> tuple[Array, tuple[int, ...], tuple[AnyTensor, ...]]:
    hidden = layer.hidden_size
    parts = split_concat(
        layer._label(),
        array_of(layer._label(), "xh", v),
        (layer.input_size, *(hidden,) * layer.num_states),
        what,
    )
    x, batch = layer._check_step(Tensor(parts[0]), layer.input_size, "In")
    states: tuple[AnyTensor, ...] = tuple(Tensor(p) for p in parts[1:])
    return x, batch, states


def concat_forward(
    layer: RecurrentParameters, v: AnyTensor, what: str
) -> tuple[AnyTensor, RecurrentCache]:
    """The seeds' cell module spec: ``[*B, In + k*H]`` (``[x; h(; c)]``) -> ``[*B, k*H]``."""
    x, batch, states = _concat_inputs(layer, v, what)
    _, cache = run_forward(layer, x[None], batch, states)
    return Tensor(np.concatenate([s.numpy() for s in cache.final_state], axis=-1)), cache


def concat_call(layer: RecurrentParameters, v: AnyTensor, what: str) -> AnyTensor:
    """``concat_forward`` without a cache (the inference path)."""
    x, batch, states = _concat_inputs(layer, v, what)
    _, final = run_inference(layer, x[None], batch, states)
    return Tensor(np.concatenate([s.numpy() for s in final], axis=-1))


def concat_backward(
    layer: RecurrentParameters, cache: RecurrentCache, grad_y: AnyTensor
) -> tuple[GradRecord, AnyTensor]:
    """Reverse of ``concat_forward``: grads and ``dL/d[x; h(; c)]``."""
    hidden, k = layer.hidden_size, layer.num_states
    g = layer._check_grad("grad of the new state", grad_y, (*cache.batch, k * hidden))
    grad_final: tuple[AnyTensor, ...] = tuple(
        Tensor(g[..., j * hidden : (j + 1) * hidden]) for j in range(k)
    )
    grads, dx, d_state = run_backward(layer, cache, None, grad_final)
    parts = [dx.reshape(*cache.batch, layer.input_size), *(d.numpy() for d in d_state)]
    return grads, Tensor(np.concatenate(parts, axis=-1))


In = TypeVar("In", bound=int)
H = TypeVar("H", bound=int)
G = TypeVar("G", bound=GradRecord)
Batch = TypeVarTuple("Batch")


class HiddenStateCell(Generic[In, H, G]):
    """What ``RNNCell`` and ``GRUCell`` share: one state ``h``; ``G`` is the grad record."""

    def __call__(
        self, x: Tensor[*Batch, In], h: Tensor[*Batch, H] | None = None
    ) -> Tensor[*Batch, H]:
        """One step, ``[*B, In], [*B, H] -> [*B, H]`` (no cache kept)."""
        layer = cast(RecurrentParameters, self)
        a, batch = layer._check_step(x, layer.input_size, "In")
        state = None if h is None else (require_tensor(layer._label(), "h", h),)
        return run_inference(layer, a[None], batch, state)[1][0]

    def forward(
        self, x: Tensor[*Batch, In], h: Tensor[*Batch, H] | None = None
    ) -> tuple[Tensor[*Batch, H], RecurrentCache]:
        """One step that also returns its cache, ``[*B, In], [*B, H] -> [*B, H]``."""
        layer = cast(RecurrentParameters, self)
        a, batch = layer._check_step(x, layer.input_size, "In")
        state = None if h is None else (require_tensor(layer._label(), "h", h),)
        _, cache = run_forward(layer, a[None], batch, state)
        return cache.final_state[0], cache

    def backward(
        self, cache: RecurrentCache, grad_h: Tensor[*Batch, H]
    ) -> tuple[G, Tensor[*Batch, In], Tensor[*Batch, H]]:
        """Reverse step: grads, ``dL/dx`` ``[*B, In]`` and ``dL/dh`` ``[*B, H]``."""
        layer = cast(RecurrentParameters, self)
        grads, dx, (dh,) = run_backward(layer, cache, None, (grad_h,))
        return cast(G, grads), Tensor(dx.reshape(*cache.batch, -1)), dh

    # ---- the seed's cell module spec: [x; h] -> h' -----------------------------------------
    def call_concat(self, xh: Tensor[*Batch, Add[In, H]]) -> Tensor[*Batch, H]:
        """The seed's cell module spec on ``[x; h]``: ``[*B, In + H] -> [*B, H]``."""
        return concat_call(cast(RecurrentParameters, self), xh, "In + H")

    def forward_concat(
        self, xh: Tensor[*Batch, Add[In, H]]
    ) -> tuple[Tensor[*Batch, H], RecurrentCache]:
        """``call_concat`` that also returns its cache, ``[*B, In + H] -> [*B, H]``."""
        return concat_forward(cast(RecurrentParameters, self), xh, "In + H")

    def backward_concat(
        self, cache: RecurrentCache, grad_y: Tensor[*Batch, H]
    ) -> tuple[G, Tensor[*Batch, Add[In, H]]]:
        """Reverse of ``forward_concat``: grads and ``dL/d[x; h]`` ``[*B, In + H]``."""
        grads, dv = concat_backward(cast(RecurrentParameters, self), cache, grad_y)
        return cast(G, grads), dv
