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
    from shapely_nn import (
        functional as functional,
        guards as guards,
        io as io,
        layers as layers,
        train as train,
    )
    from shapely_nn._checking import (
        checks_enabled as checks_enabled,
        set_checks as set_checks,
        shapechecked as shapechecked,
    )
    from shapely_nn._dims import (
        Dim as Dim,
    )
    from shapely_nn._hook import (
        check_package as check_package,
    )
    from shapely_nn._shape import (
        DimEnv as DimEnv,
        Shape as Shape,
        ShapeError as ShapeError,
    )
    from shapely_nn._tensor import (
        AnyTensor as AnyTensor,
        DTypeError as DTypeError,
        IndexBoundsError as IndexBoundsError,
        Tensor as Tensor,
        add as add,
        argmax as argmax,
        broadcast_to as broadcast_to,
        concat as concat,
        div as div,
        exp as exp,
        log as log,
        log_softmax as log_softmax,
        logsumexp as logsumexp,
        matmul as matmul,
        max_ as max_,
        mean as mean,
        mul as mul,
        one_hot as one_hot,
        ones as ones,
        permute as permute,
        randn as randn,
        relu as relu,
        reshape as reshape,
        sigmoid as sigmoid,
        softmax as softmax,
        split as split,
        stack as stack,
        sub as sub,
        sum_ as sum_,
        take as take,
        tanh as tanh,
        tensor as tensor,
        transpose as transpose,
        zeros as zeros,
    )
    from shapely_nn._typelevel import AnnotationError as AnnotationError
    from shapely_nn.guards import (
        GuardError as GuardError,
    )
    from shapely_nn_dims import (
        Add as Add,
        FloorDiv as FloorDiv,
        Mul as Mul,
    )


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext shapely_nn``: the ``%%shapecheck`` cell magic (``shapely_nn.notebook``)."""
    from shapely_nn.notebook import load_ipython_extension as load

    load(ipython)


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
