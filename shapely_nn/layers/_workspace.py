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
import os
import sys
import threading
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
    raw = _reuse(used) if _POOL_BYTES > 0 else None
    if raw is None:
        raw = np.empty(used + _HUGE_PAGE, dtype=np.uint8)
        if _POOL_BYTES > 0:
            _keep(raw)
    skip = -raw.ctypes.data % _HUGE_PAGE
    return raw[skip : skip + nbytes].view(dtype)


# ---- reuse of large blocks ------------------------------------------------------------------
#
# Why: a block this large is its own ``mmap``, so every call used to fault all its pages in
# afresh. With huge pages on ``madvise``, such a fault compacts memory in the faulting thread
# whenever other code (here, torch between our calls) has left physical memory fragmented: in
# the recurrent benchmark the LSTM's fwd+bwd (~240 MB of work memory at B64·T100·I256·H512)
# then spent a median ~300 ms per call in the kernel, against ~680 ms of arithmetic. A block
# whose views are all gone is handed out again instead, its pages already backed.
#
# A block is free when only the pool refers to it: every view carved from it holds it as its
# ``base``, so a tape or a result that still uses the memory keeps it out of reuse.

# Free blocks kept beyond this many bytes in all are released; SHAPELY_NN_WORKSPACE_MB=0
# turns the reuse off (every call then allocates afresh, as NumPy does).
_POOL_BYTES = int(float(os.environ.get("SHAPELY_NN_WORKSPACE_MB", "512")) * (1 << 20))
_pool: list[Array] = []  # raw uint8 blocks, least recently handed out first
_pool_lock = threading.Lock()


def _refs(k: int) -> int:
    return sys.getrefcount(_pool[k])


# References to a pooled block nobody else holds, as ``_refs`` counts them (measured rather
# than assumed: what ``getrefcount`` sees of its argument differs between interpreters).
_pool.append(np.empty(1, dtype=np.uint8))
_FREE_REFS = _refs(0)
_pool.clear()


def _reuse(used: int) -> Array | None:
    """A free pooled block that holds ``used`` aligned bytes without wasting over half."""
    with _pool_lock:
        best, best_room = -1, 0
        for k in range(len(_pool)):
            room = _pool[k].size - _HUGE_PAGE
            if (
                used <= room <= 2 * used
                and (best < 0 or room < best_room)
                and _refs(k) <= _FREE_REFS
            ):
                best, best_room = k, room
        if best < 0:
            return None
        raw = _pool.pop(best)
        _pool.append(raw)  # most recently handed out last
        return raw


def _keep(raw: Array) -> None:
    """Pool a fresh block; release the least recently used free ones beyond the budget."""
    with _pool_lock:
        _pool.append(raw)
        total = sum(b.size for b in _pool)
        k = 0
        while total > _POOL_BYTES and k < len(_pool) - 1:
            if _refs(k) <= _FREE_REFS:
                total -= _pool.pop(k).size
            else:
                k += 1


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
