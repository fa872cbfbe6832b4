"""The two core compositions, ``a >> b`` (``Chain``) and ``a @ b`` (``Parallel``), and the
``Module`` protocol they are typed with.

They live beside ``Layer`` because ``Layer`` offers ``>>`` and ``@``: the layers need them, and
nothing here needs anything above the layers. ``shapely_nn.modules`` adds ``fan``, ``stack``,
``residual`` and ``Concat`` and re-exports these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVarTuple, cast, runtime_checkable

from typing_extensions import TypeVar

from shapely_nn._shape import ShapeError
from shapely_nn._tensor import Tensor, require_tensor
from shapely_nn.layers._base import AnyLead, GradRecord, Layer, SameLead

# Feature sizes of a module's input and output (the last axis). They default to ``Any`` so a
# combinator built from a list (``Chain([...])``) is simply untyped.
In = TypeVar("In", bound=int, default=Any)
Out = TypeVar("Out", bound=int, default=Any)
In2 = TypeVar("In2", bound=int, default=Any)
Out2 = TypeVar("Out2", bound=int, default=Any)
X_contra = TypeVar("X_contra", bound=int, contravariant=True, default=Any)
Y_co = TypeVar("Y_co", bound=int, covariant=True, default=Any)
# Whether a chain keeps its caller's leading dims (``SameLead``) or not (``AnyLead``).
K_co = TypeVar("K_co", bound=AnyLead, covariant=True, default=AnyLead)
# Leading dims a combinator does not track (a chain may drop or add a time axis).
Lead = tuple[Any, ...]
Batch = TypeVarTuple("Batch")


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


class LeadModule(Module[X_contra, Y_co], Protocol[X_contra, Y_co, K_co]):
    """A ``Module`` that says what it does to the leading dims: ``leading_dims`` is a
    ``SameLead`` (they come back out) or an ``AnyLead`` (not tracked).

    The claim is the layer's own (a test holds every ``SameLead`` layer's ``__call__`` to
    ``[*B, In] -> [*B, Out]``): structurally a loosely typed ``__call__`` would match anything.
    """

    @property
    def leading_dims(self) -> K_co:
        """The marker."""
        ...


class IdsModule(Protocol[Y_co]):
    """A part that reads ids and adds the feature axis, ``[*S] -> [*S, Out]`` (an embedding):
    a chain that starts with one has no input feature size."""

    def __call__(self, ids: Tensor[*Batch], /) -> Tensor[*Batch, Y_co]:
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
class Chain(Layer, Generic[In, Out, K_co]):
    """``a >> b >> c``: each part's output is the next one's input (the seeds' SpecChain).

    Statically ``Module[X, Y] >> Module[Y, Z]`` is a ``Chain[X, Z]``; when every part keeps
    the leading dims it is a ``Chain[X, Z, SameLead]``, whose call maps ``[*B, X]`` to
    ``[*B, Z]``. A chain built from a list is a ``Chain[Any, Any]``.

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

    @property
    def leading_dims(self) -> K_co:
        """``SameLead()`` when every part keeps the leading dims."""
        same = all(isinstance(getattr(p, "leading_dims", None), SameLead) for p in self.layers)
        return cast(K_co, SameLead() if same else AnyLead())

    def __call__(self, x: Tensor[*Lead, In]) -> Tensor[*Lead, Out]:
        """Forward pass through every part in turn (a ``SameLead`` chain's result keeps the
        caller's leading dims: the mypy plugin writes them in)."""
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
