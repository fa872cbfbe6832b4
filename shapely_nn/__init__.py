"""shapely_nn: tensor shapes in the type system, on NumPy.

The public names are loaded lazily so that ``import shapely_nn.mypy_plugin`` (which mypy
does) stays free of NumPy; type checkers read the explicit imports below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # shape algebra
    "Shape": "_shape",
    "DimEnv": "_shape",
    "ShapeError": "_shape",
    "Dim": "_dims",
    # type-level dims
    "Add": "_typelevel",
    "Mul": "_typelevel",
    "FloorDiv": "_typelevel",
    "AnnotationError": "_typelevel",
    # tensors and ops
    "Tensor": "_tensor",
    "AnyTensor": "_tensor",
    "DTypeError": "_tensor",
    "IndexBoundsError": "_tensor",
    "tensor": "_tensor",
    "zeros": "_tensor",
    "ones": "_tensor",
    "randn": "_tensor",
    "matmul": "_tensor",
    "add": "_tensor",
    "sub": "_tensor",
    "mul": "_tensor",
    "div": "_tensor",
    "broadcast_to": "_tensor",
    "concat": "_tensor",
    "stack": "_tensor",
    "split": "_tensor",
    "transpose": "_tensor",
    "permute": "_tensor",
    "reshape": "_tensor",
    "take": "_tensor",
    "one_hot": "_tensor",
    "sum_": "_tensor",
    "mean": "_tensor",
    "max_": "_tensor",
    "argmax": "_tensor",
    "exp": "_tensor",
    "log": "_tensor",
    "tanh": "_tensor",
    "sigmoid": "_tensor",
    "relu": "_tensor",
    "softmax": "_tensor",
    "log_softmax": "_tensor",
    "logsumexp": "_tensor",
    # runtime checks
    "shapechecked": "_checking",
    "checks_enabled": "_checking",
    "set_checks": "_checking",
    "check_package": "_hook",
    "GuardError": "guards",
}

_SUBMODULES = ("functional", "guards", "io", "layers", "modules", "train")

__all__ = sorted([*_EXPORTS, *_SUBMODULES])

if TYPE_CHECKING:
    from shapely_nn import functional, guards, io, layers, train
    from shapely_nn._checking import checks_enabled, set_checks, shapechecked
    from shapely_nn._dims import Dim
    from shapely_nn._hook import check_package
    from shapely_nn._shape import DimEnv, Shape, ShapeError
    from shapely_nn._tensor import (
        AnyTensor,
        DTypeError,
        IndexBoundsError,
        Tensor,
        add,
        argmax,
        broadcast_to,
        concat,
        div,
        exp,
        log,
        log_softmax,
        logsumexp,
        matmul,
        max_,
        mean,
        mul,
        one_hot,
        ones,
        permute,
        randn,
        relu,
        reshape,
        sigmoid,
        softmax,
        split,
        stack,
        sub,
        sum_,
        take,
        tanh,
        tensor,
        transpose,
        zeros,
    )
    from shapely_nn._typelevel import Add, AnnotationError, FloorDiv, Mul
    from shapely_nn.guards import GuardError


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"shapely_nn.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'shapely_nn' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"shapely_nn.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
