"""``to_torch``: the equivalent ``torch.nn`` module carrying the same parameters.

PyTorch is an optional extra, imported lazily. Each layer registers its mapping with
``@to_torch.register`` in a ``_torch_*.py`` file of this package, imported below.
"""

from __future__ import annotations

import functools
from typing import Any

from shapely_nn.layers import Linear
from shapely_nn.layers._base import require_module


def require_torch() -> Any:
    """Import torch, or explain how to get it."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "shapely_nn.io.to_torch needs PyTorch: pip install 'shapely_nn[test]' (CPU build)"
        ) from exc
    return torch


def as_parameter(torch: Any, array: Any) -> Any:
    """A ``torch.nn.Parameter`` holding a copy of ``array``."""
    return torch.nn.Parameter(torch.from_numpy(array.copy()))


@functools.singledispatch
def to_torch(module: object) -> Any:
    """The ``torch.nn`` module equivalent to ``module``, with equal parameters."""
    require_module("to_torch", module)
    raise TypeError(f"to_torch: no PyTorch mapping for {type(module).__name__}")


@to_torch.register
def _linear(module: Linear) -> Any:  # type: ignore[type-arg]
    torch = require_torch()
    out = torch.nn.Linear(
        module.in_features, module.out_features, dtype=_torch_dtype(torch, module.weight.dtype)
    )
    out.weight = as_parameter(torch, module.weight)
    out.bias = as_parameter(torch, module.bias)
    return out


def _torch_dtype(torch: Any, dtype: Any) -> Any:
    return torch.float64 if str(dtype) == "float64" else torch.float32


# Mappings registered by other files (imported for their @to_torch.register side effect).
import shapely_nn.io._torch_attention  # noqa: E402, F401
from shapely_nn.io import _torch_rnn  # noqa: E402, F401
