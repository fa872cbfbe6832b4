"""Composition: ``a >> b`` (sequence), ``a @ b`` (parallel over a pair), ``fan``, ``stack``,
``residual`` and ``Concat`` — in the spirit of the quivers DSL (seed 003).

Every combinator is itself a layer: ``__call__``, ``forward``/``backward`` through its parts,
``parameters()`` named by position (``layers.0.weight``, ``heads.2.bias``). The parts' own
boundary checks still run; a combinator adds the checks only it can make (a residual's
output must match its input, a fan's heads must agree on everything but the last axis).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVarTuple, runtime_checkable

import numpy as np
from typing_extensions import TypeVar

from shapely_nn._shape import ShapeError
from shapely_nn._tensor import Tensor, require_tensor
from shapely_nn._typelevel import Mul
from shapely_nn.guards import require_size
from shapely_nn.layers._activations import NoGrads
from shapely_nn.layers._base import GradRecord, Layer, Rng, as_generator

# Feature sizes of a module's input and output (the last axis). They default to ``Any`` so a
# combinator built from a list (``Chain([...])``) is simply untyped.
In = TypeVar("In", bound=int, default=Any)
Out = TypeVar("Out", bound=int, default=Any)
In2 = TypeVar("In2", bound=int, default=Any)
Out2 = TypeVar("Out2", bound=int, default=Any)
N = TypeVar("N", bound=int, default=Any)
X_contra = TypeVar("X_contra", bound=int, contravariant=True, default=Any)
Y_co = TypeVar("Y_co", bound=int, covariant=True, default=Any)
Batch = TypeVarTuple("Batch")
# Leading dims a combinator does not track (a chain may drop or add a time axis).
Lead = tuple[Any, ...]


@runtime_checkable
class Module(Protocol[X_contra, Y_co]):
    """Anything with a forward pass ``[..., In] -> [..., Out]`` (the static view of a part).

    The parameters are feature sizes (the last axis); leading dims are the parts' business.
    Every layer with a one-tensor ``__call__`` is a ``Module`` structurally: ``Linear[3, 4]``
    is a ``Module[3, 4]``, ``LSTM[In, H]`` a ``Module[In, H]``, ``BiLSTM[In, H]`` a
    ``Module[In, H + H]``, so ``a >> b`` type-checks with plain generics.
    """

    def __call__(self, x: Tensor[*Lead, X_contra], /) -> Tensor[*Lead, Y_co]:
        """Forward pass."""
        ...


def sizes(layer: object) -> tuple[int | None, int | None]:
    """The ``(input, output)`` feature sizes a layer declares, where it declares them."""
    pairs = (
        ("in_features", "out_features"),
        ("input_size", "output_size"),
        ("input_size", "hidden_size"),
        ("embed_dim", "embed_dim"),
    )
    for a, b in pairs:
        if hasattr(layer, a) and hasattr(layer, b):
            return getattr(layer, a), getattr(layer, b)
    if isinstance(layer, Chain):
        return sizes(layer.layers[0])[0], sizes(layer.layers[-1])[1]
    return None, None


def describe(layer: object) -> str:
    """``Linear[16, 4]``-style name of a layer for messages and diagrams."""
    a, b = sizes(layer)
    name = type(layer).__name__
    return f"{name}[{a}, {b}]" if a is not None and b is not None else name


def check_input(module: object, x: object) -> None:
    """The input rule at a combinator: a ``Tensor``, or a tuple for a part that reads one.

    A tuple is passed on as it is: the part that reads it (a ``Parallel``, a ``Concat``, a
    model over a pair) checks its elements and names itself.
    """
    parts = x if isinstance(x, tuple | list) else ()
    if not parts or not all(isinstance(p, Tensor | tuple | list) for p in parts):
        require_tensor(describe(module), "x", x)


# ---- sequence -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainGrads(GradRecord):
    """Gradients of each part of a chain, in order."""

    layers: tuple[GradRecord, ...]


@dataclass(frozen=True, init=False, eq=False)
class Chain(Layer, Generic[In, Out]):
    """``a >> b >> c``: each part's output is the next one's input (the seeds' SpecChain).

    Statically ``Module[X, Y] >> Module[Y, Z]`` is a ``Chain[X, Z]``; a chain built from a
    list is a ``Chain[Any, Any]``.

    Where both sides declare feature sizes, a disagreement is refused when the chain is
    built, naming both parts.
    """

    layers: tuple[Any, ...]

    def __init__(self, layers: Sequence[Any]) -> None:
        flat: list[Any] = []
        for part in layers:
            # a >> b >> c is one flat chain; a Stack keeps its blocks whole
            nested = type(self) is Chain and type(part) is Chain
            flat.extend(part.layers if nested else (part,))
        if not flat:
            raise ShapeError(f"{type(self).__name__}: needs at least one part")
        for k in range(1, len(flat)):
            out_size, in_size = sizes(flat[k - 1])[1], sizes(flat[k])[0]
            if out_size is not None and in_size is not None and out_size != in_size:
                raise ShapeError(
                    f"{type(self).__name__}: part {k - 1} ({describe(flat[k - 1])}) outputs "
                    f"{out_size} features, part {k} ({describe(flat[k])}) expects {in_size}"
                )
        object.__setattr__(self, "layers", tuple(flat))

    def __call__(self, x: Tensor[*Lead, In]) -> Tensor[*Lead, Out]:
        """Forward pass through every part in turn."""
        check_input(self, x)
        y: Any = x
        for part in self.layers:
            y = part(y)
        return y  # type: ignore[no-any-return]

    def forward(self, x: Any) -> tuple[Any, tuple[Any, ...]]:
        """Forward pass keeping each part's cache."""
        check_input(self, x)
        caches = []
        for part in self.layers:
            x, cache = part.forward(x)
            caches.append(cache)
        return x, tuple(caches)

    def backward(self, cache: tuple[Any, ...], grad: Any) -> tuple[ChainGrads, Any]:
        """Reverse pass, last part first."""
        grads: list[GradRecord] = []
        for part, part_cache in zip(reversed(self.layers), reversed(cache), strict=True):
            record, grad = part.backward(part_cache, grad)
            grads.append(record)
        return ChainGrads(tuple(reversed(grads))), grad


@dataclass(frozen=True, init=False, eq=False)
class Stack(Chain[In, In]):
    """``stack(block, n)``: ``n`` copies of a block, each with its own parameters."""


def stack(
    make_block: Callable[[np.random.Generator], Module[In, In]], n: int, *, rng: Rng
) -> Stack[In]:
    """``n`` independently initialised blocks in sequence; ``make_block(rng)`` builds one.

    A block must keep its width (``Module[X, X]``): the copies feed each other.
    """
    require_size(n=n)
    gens = as_generator(rng).spawn(n)
    return Stack([make_block(g) for g in gens])


# ---- parallel -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ParallelGrads(GradRecord):
    """Gradients of each branch of a parallel composition."""

    branches: tuple[GradRecord, ...]


@dataclass(frozen=True, init=False, eq=False)
class Parallel(Layer, Generic[In, Out, In2, Out2]):
    """``a @ b``: ``(x1, x2) -> (a(x1), b(x2))``, the monoidal product of the two parts.

    Statically ``Module[X1, Y1] @ Module[X2, Y2]`` is a ``Parallel[X1, Y1, X2, Y2]`` over a
    pair; more branches (``(a @ b) @ c``, ``Parallel([...])``) are typed loosely.
    """

    branches: tuple[Any, ...]

    def __init__(self, branches: Sequence[Any]) -> None:
        if len(branches) < 2:
            raise ShapeError("Parallel: needs at least two branches")
        flat: list[Any] = []
        for part in branches:
            flat.extend(part.branches if type(part) is Parallel else (part,))
        object.__setattr__(self, "branches", tuple(flat))

    def _split(self, xs: Any, what: str) -> tuple[Any, ...]:
        if not isinstance(xs, tuple | list) or len(xs) != len(self.branches):
            got = f"a tuple of {len(xs)}" if isinstance(xs, tuple | list) else type(xs).__name__
            raise ShapeError(
                f"Parallel: {what} must be a tuple of {len(self.branches)} (one per branch), "
                f"got {got}"
            )
        return tuple(xs)

    def __call__(
        self, xs: tuple[Tensor[*Lead, In], Tensor[*Lead, In2]]
    ) -> tuple[Tensor[*Lead, Out], Tensor[*Lead, Out2]]:
        """Each branch on its own input."""
        pairs = zip(self.branches, self._split(xs, "input"), strict=True)
        out: Any = tuple(b(x) for b, x in pairs)
        return out  # type: ignore[no-any-return]

    def __matmul__(self, other: Any) -> Any:
        """``(a @ b) @ c``: one flat product of three or more branches (typed loosely)."""
        return Parallel([self, other])

    def __rshift__(self, other: Any) -> Any:
        """``(a @ b) >> c``: a chain reading a pair (typed loosely)."""
        return Chain([self, other])

    def forward(self, xs: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """Forward pass keeping each branch's cache."""
        pairs = [b.forward(x) for b, x in zip(self.branches, self._split(xs, "input"), strict=True)]
        return tuple(y for y, _ in pairs), tuple(c for _, c in pairs)

    def backward(self, cache: tuple[Any, ...], grad: Any) -> tuple[ParallelGrads, tuple[Any, ...]]:
        """Reverse pass of each branch."""
        grads = self._split(grad, "gradient")
        pairs = [b.backward(c, g) for b, c, g in zip(self.branches, cache, grads, strict=True)]
        return ParallelGrads(tuple(r for r, _ in pairs)), tuple(d for _, d in pairs)


# ---- fan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FanGrads(GradRecord):
    """Gradients of each head."""

    heads: tuple[GradRecord, ...]


@dataclass(frozen=True, init=False, eq=False)
class Fan(Layer, Generic[In, Out]):
    """``fan(head, n)``: ``n`` heads on the same input, outputs joined on the last axis.

    ``[*B, In] -> [*B, n * Out]`` (``Mul[n, Out]`` in the types).
    """

    heads: tuple[Any, ...]

    def __init__(self, heads: Sequence[Any]) -> None:
        if not heads:
            raise ShapeError("Fan: needs at least one head")
        object.__setattr__(self, "heads", tuple(heads))

    @property
    def input_size(self) -> int | None:
        """Feature size every head reads."""
        return sizes(self.heads[0])[0]

    @property
    def output_size(self) -> int | None:
        """Sum of the heads' output sizes."""
        outs = [sizes(h)[1] for h in self.heads]
        return None if any(o is None for o in outs) else sum(o for o in outs if o is not None)

    def _join(self, outputs: list[Tensor[*tuple[Any, ...]]]) -> Tensor[*tuple[Any, ...]]:
        arrays = [o.numpy() for o in outputs]
        lead = arrays[0].shape[:-1]
        for i, a in enumerate(arrays[1:], start=1):
            if a.shape[:-1] != lead:
                raise ShapeError(
                    f"Fan: head {i} output {list(a.shape)} disagrees with head 0 "
                    f"{list(arrays[0].shape)} before the last axis"
                )
        return Tensor(np.concatenate(arrays, axis=-1))

    def __call__(self, x: Tensor[*Batch, In]) -> Tensor[*Batch, Out]:
        """Every head on ``x``, outputs concatenated on the last axis."""
        check_input(self, x)
        return self._join([h(x) for h in self.heads])

    def forward(self, x: Any) -> tuple[Tensor[*tuple[Any, ...]], tuple[Any, ...]]:
        """Forward pass keeping each head's cache and output width."""
        check_input(self, x)
        pairs = [h.forward(x) for h in self.heads]
        widths = tuple(int(y.numpy().shape[-1]) for y, _ in pairs)
        return self._join([y for y, _ in pairs]), (tuple(c for _, c in pairs), widths)

    def backward(self, cache: tuple[Any, ...], grad: Any) -> tuple[FanGrads, Any]:
        """Split the gradient by head, run each head back, add the input gradients."""
        caches, widths = cache
        parts = np.split(grad.numpy(), np.cumsum(widths)[:-1], axis=-1)
        records: list[GradRecord] = []
        total: Any = None
        for head, c, g in zip(self.heads, caches, parts, strict=True):
            record, dx = head.backward(c, Tensor(np.ascontiguousarray(g)))
            records.append(record)
            total = dx.numpy() if total is None else total + dx.numpy()
        return FanGrads(tuple(records)), Tensor(total)


def fan(
    make_head: Callable[[np.random.Generator], Module[In, Out]], n: N, *, rng: Rng
) -> Fan[In, Mul[N, Out]]:
    """``n`` independently initialised heads; ``make_head(rng)`` builds one.

    Statically the output is ``Mul[n, Out]`` features when ``n`` is a literal.
    """
    require_size(n=n)
    return Fan([make_head(g) for g in as_generator(rng).spawn(n)])


# ---- residual and concat ------------------------------------------------------------------


@dataclass(frozen=True)
class ResidualGrads(GradRecord):
    """Gradients of the residual's block."""

    block: GradRecord


@dataclass(frozen=True, eq=False)
class Residual(Layer, Generic[In]):
    """``residual(block)``: ``x + block(x)``; the block must keep the shape."""

    block: Any

    def _add(self, x: Any, y: Any) -> Tensor[*tuple[Any, ...]]:
        if x.numpy().shape != y.numpy().shape:
            raise ShapeError(
                f"residual: the block ({describe(self.block)}) maps {x.shape} to {y.shape}; "
                "a residual block must keep the shape"
            )
        return Tensor(x.numpy() + y.numpy())

    def __call__(self, x: Tensor[*Batch, In]) -> Tensor[*Batch, In]:
        """``x + block(x)``."""
        require_tensor(describe(self), "x", x)
        return self._add(x, self.block(x))

    def forward(self, x: Any) -> tuple[Tensor[*tuple[Any, ...]], Any]:
        """Forward pass keeping the block's cache."""
        require_tensor(describe(self), "x", x)
        y, cache = self.block.forward(x)
        return self._add(x, y), cache

    def backward(self, cache: Any, grad: Any) -> tuple[ResidualGrads, Any]:
        """The gradient flows through the block and around it."""
        record, dx = self.block.backward(cache, grad)
        return ResidualGrads(record), Tensor(dx.numpy() + grad.numpy())


def residual(block: Module[In, In]) -> Residual[In]:
    """``x + block(x)``; the block must keep its width (``Module[X, X]``)."""
    return Residual(block)


@dataclass(frozen=True, eq=False)
class Concat(Layer):
    """Join a tuple of tensors on the last axis: ``([*B, A], [*B, C]) -> [*B, A + C]``."""

    def __call__(self, xs: Sequence[Tensor[*tuple[Any, ...]]]) -> Tensor[*tuple[Any, ...]]:
        """Concatenate on the last axis (every other dim must agree)."""
        from shapely_nn._tensor import concat, require_tensors

        return concat(list(require_tensors("Concat", "xs", xs)), axis=-1)

    def forward(
        self, xs: Sequence[Tensor[*tuple[Any, ...]]]
    ) -> tuple[Tensor[*tuple[Any, ...]], tuple[int, ...]]:
        """Concatenate, remembering the widths."""
        return self(xs), tuple(int(x.numpy().shape[-1]) for x in xs)

    def backward(self, cache: tuple[int, ...], grad: Any) -> tuple[NoGrads, tuple[Any, ...]]:
        """Split the gradient back into the parts."""
        parts = np.split(grad.numpy(), np.cumsum(cache)[:-1], axis=-1)
        return NoGrads(), tuple(Tensor(np.ascontiguousarray(p)) for p in parts)
