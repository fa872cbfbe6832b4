"""Shape rules of the tensor ops, each stated once.

A rule takes shapes (and static arguments) and returns the result ``Shape`` or a reason
string; the caller raises. The runtime ops use these rules on concrete shapes, and since
they work on symbolic dims too they are the specification the plugin's computed shapes follow.
"""

from __future__ import annotations

from collections.abc import Sequence

from shapely_nn._dims import DimLike, add, format_dim
from shapely_nn._shape import Shape

Rule = Shape | str


def _name(d: DimLike) -> str:
    return format_dim(d)


def same_shape(op: str, left: Shape, right: Shape) -> str | None:
    """Elementwise ops: the shapes must be equal (no implicit broadcasting)."""
    if left == right:
        return None
    if left.rank != right.rank:
        return (
            f"{op}: shapes differ in rank: left {left} has rank {left.rank}, right {right} has "
            f"rank {right.rank} (broadcasting is explicit: use broadcast_to or broadcast=True)"
        )
    for axis, (a, b) in enumerate(zip(left, right, strict=True)):
        if a != b:
            return (
                f"{op}: shapes differ at axis {axis}: left {left} has {_name(a)}, right {right} "
                f"has {_name(b)} (broadcasting is explicit: use broadcast_to or broadcast=True)"
            )
    return None


def broadcast(op: str, left: Shape, right: Shape) -> Rule:
    """NumPy broadcasting, when asked for: trailing dims equal or one of them 1."""
    rank = max(left.rank, right.rank)
    out: list[DimLike] = []
    for i in range(1, rank + 1):
        a = left.dims[-i] if i <= left.rank else 1
        b = right.dims[-i] if i <= right.rank else 1
        if a == b or b == 1:
            out.append(a)
        elif a == 1:
            out.append(b)
        else:
            return (
                f"{op}: cannot broadcast at axis {-i}: left {left} has {_name(a)}, right {right} "
                f"has {_name(b)}"
            )
    return Shape(tuple(reversed(out)))


def broadcast_to(shape: Shape, target: Shape) -> str | None:
    """``broadcast_to``: ``shape`` must broadcast to exactly ``target``."""
    if shape.rank > target.rank:
        return f"broadcast_to: {shape} has more dims than the target {target}"
    for i in range(1, shape.rank + 1):
        a, b = shape.dims[-i], target.dims[-i]
        if a != b and a != 1:
            return (
                f"broadcast_to: axis {-i} of {shape} is {_name(a)}, target {target} has "
                f"{_name(b)} (only a dim of 1 broadcasts)"
            )
    return None


def matmul(left: Shape, right: Shape) -> Rule:
    """``[*B, N, K] @ [K, M] -> [*B, N, M]``; ``[*B, N, K] @ [*B, K, M]``; vectors drop a dim."""
    if left.rank == 0 or right.rank == 0:
        return f"matmul: operands must have rank >= 1, got left {left} and right {right}"
    r_axis = 0 if right.rank == 1 else -2
    if left.dims[-1] != right.dims[r_axis]:
        return (
            f"matmul: inner dims differ: left {left} has {_name(left.dims[-1])} at axis -1, "
            f"right {right} has {_name(right.dims[r_axis])} at axis {r_axis}"
        )
    if right.rank == 1:
        return Shape(left.dims[:-1])
    if left.rank == 1:
        return Shape((*right.dims[:-2], right.dims[-1]))
    right_batch = right.dims[:-2]
    left_batch = left.dims[:-2]
    if right_batch and right_batch != left_batch:
        return (
            f"matmul: batch dims differ: left {left} has {Shape(left_batch)}, right {right} has "
            f"{Shape(right_batch)} (a right operand of rank 2 is shared across the batch)"
        )
    return Shape._trusted((*left_batch, left.dims[-2], right.dims[-1]))


def concat(shapes: Sequence[Shape], axis: int) -> Rule:
    """All ranks equal, all dims equal but ``axis``; the result's ``axis`` is the sum."""
    if not shapes:
        return "concat: needs at least one tensor"
    first = shapes[0]
    if first.rank == 0:
        return "concat: cannot concatenate scalars (rank 0)"
    if not -first.rank <= axis < first.rank:
        return f"concat: axis {axis} is out of range for {first} (rank {first.rank})"
    ax = axis % first.rank
    for i, s in enumerate(shapes[1:], start=1):
        if s.rank != first.rank:
            return f"concat: tensor {i} has shape {s} of rank {s.rank}, tensor 0 has {first}"
        for j, (a, b) in enumerate(zip(first, s, strict=True)):
            if j != ax and a != b:
                return (
                    f"concat: dims off the concat axis {axis} must agree: tensor 0 {first} has "
                    f"{_name(a)} at axis {j}, tensor {i} {s} has {_name(b)}"
                )
    return first.replace(ax, add(*(s.dims[ax] for s in shapes)))


def stack(shapes: Sequence[Shape], axis: int) -> Rule:
    """All shapes equal; a new axis of length ``len(shapes)`` is inserted at ``axis``."""
    if not shapes:
        return "stack: needs at least one tensor"
    first = shapes[0]
    for i, s in enumerate(shapes[1:], start=1):
        if s != first:
            return f"stack: tensor {i} has shape {s}, tensor 0 has {first}: all must be equal"
    if not -first.rank - 1 <= axis <= first.rank:
        return f"stack: axis {axis} is out of range for a new axis of {first}"
    ax = axis % (first.rank + 1)
    return Shape((*first.dims[:ax], len(shapes), *first.dims[ax:]))


def split(shape: Shape, sizes: Sequence[int], axis: int) -> list[Shape] | str:
    """The sizes must add up to the dim at ``axis``."""
    if shape.rank == 0:
        return "split: cannot split a scalar"
    if not -shape.rank <= axis < shape.rank:
        return f"split: axis {axis} is out of range for {shape} (rank {shape.rank})"
    if any(s < 0 for s in sizes):
        return f"split: sizes must be non-negative, got {list(sizes)}"
    dim = shape.dims[axis]
    if sum(sizes) != dim:
        return (
            f"split: sizes {list(sizes)} add up to {sum(sizes)}, but axis {axis} of {shape} "
            f"has {_name(dim)}"
        )
    return [shape.replace(axis, s) for s in sizes]


def permute(shape: Shape, axes: Sequence[int]) -> Rule:
    """``axes`` must be a permutation of ``range(rank)`` (negative axes allowed)."""
    rank = shape.rank
    if len(axes) != rank:
        return f"permute: {shape} has rank {rank}, got {len(axes)} axes {list(axes)}"
    if any(not -rank <= a < rank for a in axes):
        return f"permute: axes {list(axes)} out of range for {shape} (rank {rank})"
    normal = [a % rank for a in axes]
    if sorted(normal) != list(range(rank)):
        return f"permute: axes {list(axes)} are not a permutation of 0..{rank - 1}"
    return Shape(tuple(shape.dims[a] for a in normal))


def transpose(shape: Shape, axis0: int, axis1: int) -> Rule:
    """Swap two axes."""
    rank = shape.rank
    for a in (axis0, axis1):
        if not -rank <= a < rank:
            return f"transpose: axis {a} is out of range for {shape} (rank {rank})"
    order = list(range(rank))
    i, j = axis0 % rank, axis1 % rank
    order[i], order[j] = order[j], order[i]
    return Shape(tuple(shape.dims[a] for a in order))


def reshape(shape: Shape, target: Sequence[int]) -> Rule:
    """Same number of elements; at most one ``-1``, inferred."""
    if not shape.is_concrete:
        return f"reshape: needs a concrete shape, got {shape}"
    size = shape.size
    assert isinstance(size, int)
    unknown = [i for i, d in enumerate(target) if d == -1]
    if len(unknown) > 1:
        return f"reshape: at most one -1 is allowed, got {list(target)}"
    if any(d < -1 for d in target):
        return f"reshape: dims must be non-negative or -1, got {list(target)}"
    known = 1
    for d in target:
        if d != -1:
            known *= d
    if unknown:
        if known == 0 or size % known:
            return (
                f"reshape: cannot reshape {shape} ({size} elements) into {list(target)}: "
                f"{size} is not a multiple of {known}"
            )
        dims = list(target)
        dims[unknown[0]] = size // known
        return Shape(tuple(dims))
    if known != size:
        return (
            f"reshape: cannot reshape {shape} ({size} elements) into {list(target)} "
            f"({known} elements)"
        )
    return Shape(tuple(target))


def reduce(op: str, shape: Shape, axis: int | tuple[int, ...] | None, keepdims: bool) -> Rule:
    """Reductions remove (or keep as 1) the named axes; ``None`` reduces all."""
    rank = shape.rank
    axes = tuple(range(rank)) if axis is None else (axis,) if isinstance(axis, int) else axis
    for a in axes:
        if not -rank <= a < rank:
            return f"{op}: axis {a} is out of range for {shape} (rank {rank})"
    normal = {a % rank for a in axes}
    if len(normal) != len(axes):
        return f"{op}: repeated axis in {axes}"
    if keepdims:
        return Shape(tuple(1 if i in normal else d for i, d in enumerate(shape.dims)))
    return Shape(tuple(d for i, d in enumerate(shape.dims) if i not in normal))


def take(shape: Shape, index_shape: Shape, axis: int) -> Rule:
    """Gather along ``axis``: that dim is replaced by the index tensor's dims."""
    if shape.rank == 0:
        return "take: cannot index a scalar"
    if not -shape.rank <= axis < shape.rank:
        return f"take: axis {axis} is out of range for {shape} (rank {shape.rank})"
    ax = axis % shape.rank
    return Shape((*shape.dims[:ax], *index_shape.dims, *shape.dims[ax + 1 :]))
