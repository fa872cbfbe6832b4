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
from typing import Any, Generic, TypeVarTuple, overload

import numpy as np
from typing_extensions import TypeVar

from shapely_nn._shape import ShapeError
from shapely_nn._tensor import Tensor, require_tensor
from shapely_nn.guards import require_size
from shapely_nn.layers._activations import NoGrads
from shapely_nn.layers._base import (
    AnyLead as AnyLead,
    GradRecord,
    Layer,
    Rng,
    SameLead as SameLead,
    as_generator,
)
from shapely_nn.layers._chain import (
    Chain as Chain,
    ChainGrads as ChainGrads,
    IdsModule as IdsModule,
    LeadModule as LeadModule,
    Module as Module,
    Parallel as Parallel,
    ParallelGrads as ParallelGrads,
    check_input as check_input,
    describe as describe,
    sizes as sizes,
)
from shapely_nn_dims import Mul

# Feature sizes of a module's input and output (the last axis). They default to ``Any`` so a
# combinator built from a list (``Chain([...])``) is simply untyped.
In = TypeVar("In", bound=int, default=Any)
Out = TypeVar("Out", bound=int, default=Any)
In2 = TypeVar("In2", bound=int, default=Any)
Out2 = TypeVar("Out2", bound=int, default=Any)
N = TypeVar("N", bound=int, default=Any)
X_contra = TypeVar("X_contra", bound=int, contravariant=True, default=Any)
Y_co = TypeVar("Y_co", bound=int, covariant=True, default=Any)
K_co = TypeVar("K_co", bound=AnyLead, covariant=True, default=AnyLead)
K = TypeVar("K", bound=AnyLead, default=AnyLead)
Batch = TypeVarTuple("Batch")
# Leading dims a combinator does not track (a chain may drop or add a time axis).
Lead = tuple[Any, ...]


@dataclass(frozen=True, init=False, eq=False)
class Stack(Chain[In, In, K_co]):
    """``stack(block, n)``: ``n`` copies of a block, each with its own parameters.

    A ``Stack[X, SameLead]`` when the block keeps the leading dims.
    """


# A block that is a chain is also matched as one: pyright's solver widens a literal size that
# sits in both the input and the output of the ``Module`` protocol (``Literal[16]`` to ``int``)
# and then refuses the block; a chain's sizes are read off the class itself.
@overload
def stack(
    make_block: Callable[[np.random.Generator], LeadModule[In, In, K]], n: int, *, rng: Rng
) -> Stack[In, K]: ...
@overload
def stack(
    make_block: Callable[[np.random.Generator], Chain[In, In, K]], n: int, *, rng: Rng
) -> Stack[In, K]: ...
def stack(
    make_block: Callable[[np.random.Generator], LeadModule[In, In, K]], n: int, *, rng: Rng
) -> Stack[In, K]:
    """``n`` independently initialised blocks in sequence; ``make_block(rng)`` builds one.

    A block must keep its width (``Module[X, X]``): the copies feed each other.
    """
    require_size(n=n)
    gens = as_generator(rng).spawn(n)
    return Stack([make_block(g) for g in gens])


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

    @property
    def leading_dims(self) -> SameLead:
        """``SameLead()``: the leading dims pass through."""
        return SameLead()

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

    @property
    def leading_dims(self) -> SameLead:
        """``SameLead()``: the leading dims pass through."""
        return SameLead()

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
