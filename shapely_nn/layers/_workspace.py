"""Work arrays of one forward or backward pass, carved from a single allocation.

Used by the recurrent kernels and the attention / transformer layers.

Why: NumPy advises transparent huge pages for an allocation from 4 MiB on, so one large block
faults in a handful of 2 MiB pages, where a dozen separate medium arrays fault in thousands of
4 KiB pages, fresh on every call once the C allocator has trimmed them. On the benchmark
machine those faults were a third of an LSTM's forward+backward time at B32·T50·H128, and
more than a quarter of a transformer encoder layer's at B32·T50·E128.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from shapely_nn.layers._base import Array

Shape = tuple[int, ...]

_HUGE_PAGE = 2 << 20


def _block(size: int, dtype: np.dtype[Any]) -> Array:
    """``size`` uninitialised elements; a large block starts and ends on 2 MiB boundaries.

    Why: the kernel backs only whole, aligned 2 MiB ranges with huge pages, and ``malloc``
    returns a block 16 bytes past a 4 KiB page, so an unaligned block faults its first and last
    partial 2 MiB in 4 KiB pages: ~500 faults a block, ~10 % of a transformer layer's
    fwd+bwd at B32·T50·E128. The padding around the aligned range is never touched, so it
    costs address space only.
    """
    nbytes = size * dtype.itemsize
    if nbytes < 2 * _HUGE_PAGE:
        return np.empty(size, dtype=dtype)
    used = -(-nbytes // _HUGE_PAGE) * _HUGE_PAGE
    raw = np.empty(used + _HUGE_PAGE, dtype=np.uint8)
    skip = -raw.ctypes.data % _HUGE_PAGE
    return raw[skip : skip + nbytes].view(dtype)


def carve(dtype: Any, *shapes: Shape) -> list[Array]:
    """Uninitialised arrays of these shapes, all views into one allocation.

    Offsets are rounded to 64 bytes for the BLAS kernels. The views never overlap, so NumPy's
    overlap check does not copy when one is the ``out=`` of an operation on others.
    """
    named = carve_named(dtype, {str(i): shape for i, shape in enumerate(shapes)})
    return list(named.values())


def carve_named(
    dtype: Any, shapes: dict[str, Shape], masks: dict[str, Shape] | None = None
) -> dict[str, Array]:
    """Like ``carve``, by name; ``masks`` are boolean arrays carved from the same block.

    A boolean mask is a byte view of a stretch of the block, so a relu or dropout mask of the
    size of a hidden layer does not cost an allocation (and its page faults) of its own.
    """
    return carve_phased(dtype, shapes, [({}, masks or {})])


def carve_phased(
    dtype: Any,
    common: dict[str, Shape],
    phases: list[tuple[dict[str, Shape], dict[str, Shape]]],
) -> dict[str, Array]:
    """Like ``carve_named``, for temporaries of passes that are never alive at the same time.

    ``common`` arrays get their own storage; each phase's ``(arrays, boolean masks)`` is laid
    over one shared stretch after them, sized for the largest phase. Fewer pages to fault:
    a transformer layer's backward needs the feed-forward temporaries only until the
    attention's begin.
    """
    dt = np.dtype(dtype)
    align = max(1, 64 // dt.itemsize)
    plan: list[tuple[str, int, int, Shape, bool]] = []  # name, start, elements, shape, mask

    def lay_out(start: int, shapes: dict[str, Shape], masks: dict[str, Shape]) -> int:
        for name, shape in shapes.items():
            plan.append((name, start, math.prod(shape), shape, False))
            start += -(-math.prod(shape) // align) * align
        for name, shape in masks.items():
            size = -(-math.prod(shape) // dt.itemsize)
            plan.append((name, start, size, shape, True))
            start += -(-size // align) * align
        return start

    shared = lay_out(0, common, {})
    total = max([shared, *(lay_out(shared, arrays, masks) for arrays, masks in phases)])
    block = _block(total, dt)
    out: dict[str, Array] = {}
    for name, start, size, shape, is_mask in plan:
        piece = block[start : start + size]
        if is_mask:
            out[name] = piece.view(np.bool_)[: math.prod(shape)].reshape(shape)
        else:
            out[name] = piece.reshape(shape)
    return out


def column_sums(rows: Array, out: Array) -> None:
    """``out = rows.sum(axis=0)`` for ``[N, D]`` rows, as a BLAS product with a ones vector.

    Why: a bias gradient is a column sum; the product is faster than ``add.reduce`` over
    axis 0 and writes straight into its (carved) result.
    """
    np.matmul(np.ones(rows.shape[0], dtype=rows.dtype), rows, out=out)
