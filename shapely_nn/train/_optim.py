"""Optimizers on named parameter arrays, and gradient clipping.

An optimizer's ``step(params, grads)`` returns new arrays (the layers are immutable: apply
them with ``model.with_parameters``); its state (momentum, moments) is keyed by name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from shapely_nn._tensor import describe
from shapely_nn.guards import (
    GuardError,
    require_nonnegative_number,
    require_positive_number,
    require_rate,
)
from shapely_nn.layers._base import ParameterNameError

Array = npt.NDArray[Any]


def _few(names: list[str]) -> str:
    return ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")


def _check_names(params: Mapping[str, Array], grads: Mapping[str, Array]) -> None:
    for what, value in (("params", params), ("grads", grads)):
        if not isinstance(value, Mapping):
            raise TypeError(
                f'optimizer: argument "{what}" must be a mapping name -> numpy array '
                f"(model.parameters(), grads.as_dict()), got {describe(value)}"
            )
    if set(params) != set(grads):
        missing = sorted(set(params) - set(grads))
        extra = sorted(set(grads) - set(params))
        raise ParameterNameError(
            f"optimizer: grads missing for {len(missing)} parameters ({_few(missing)}); "
            f"{len(extra)} unknown grads ({_few(extra)})"
        )
    for name, p in params.items():
        for what, array in (("params", p), ("grads", grads[name])):
            if not isinstance(array, np.ndarray):
                raise TypeError(
                    f'optimizer: {what}["{name}"] must be a numpy.ndarray (optimizers work on '
                    f"model.parameters() arrays), got {describe(array)}"
                )
        if grads[name].shape != p.shape:
            raise ValueError(
                f"optimizer: gradient of {name} has shape {list(grads[name].shape)}, "
                f"parameter has {list(p.shape)}"
            )


class SGD:
    """Stochastic gradient descent with optional momentum (PyTorch's formulation)."""

    def __init__(self, lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        require_positive_number(lr=lr)
        require_nonnegative_number(momentum=momentum, weight_decay=weight_decay)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.velocity: dict[str, Array] = {}

    def step(self, params: Mapping[str, Array], grads: Mapping[str, Array]) -> dict[str, Array]:
        """New parameters after one update."""
        _check_names(params, grads)
        out: dict[str, Array] = {}
        for name, p in params.items():
            g = grads[name] + self.weight_decay * p if self.weight_decay else grads[name]
            if self.momentum:
                v = self.velocity.get(name)
                v = g.copy() if v is None else self.momentum * v + g
                self.velocity[name] = v
                g = v
            out[name] = (p - self.lr * g).astype(p.dtype, copy=False)
        return out


class Adam:
    """Adam (Kingma & Ba), bias-corrected, as ``torch.optim.Adam``."""

    def __init__(
        self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8
    ) -> None:
        require_positive_number(lr=lr, eps=eps)
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair of rates in [0, 1), got {describe(betas)}")
        require_rate(**{"betas[0]": betas[0], "betas[1]": betas[1]})
        if max(betas) >= 1:  # a rate of 1 never forgets and divides by zero in the correction
            raise GuardError(f"Adam: betas must be < 1, got {tuple(betas)}")
        self.lr, self.betas, self.eps = lr, betas, eps
        self.t = 0
        self.m: dict[str, Array] = {}
        self.v: dict[str, Array] = {}

    def step(self, params: Mapping[str, Array], grads: Mapping[str, Array]) -> dict[str, Array]:
        """New parameters after one update."""
        _check_names(params, grads)
        self.t += 1
        b1, b2 = self.betas
        correction1 = 1 - b1**self.t
        correction2 = 1 - b2**self.t
        out: dict[str, Array] = {}
        for name, p in params.items():
            g = grads[name]
            m = b1 * self.m.get(name, np.zeros_like(p)) + (1 - b1) * g
            v = b2 * self.v.get(name, np.zeros_like(p)) + (1 - b2) * g * g
            self.m[name], self.v[name] = m, v
            step = self.lr * (m / correction1) / (np.sqrt(v / correction2) + self.eps)
            out[name] = (p - step).astype(p.dtype, copy=False)
        return out


def clip_grad_norm(grads: Mapping[str, Array], max_norm: float) -> tuple[dict[str, Array], float]:
    """Scale all gradients so their joint L2 norm is at most ``max_norm``; returns the norm
    before clipping (as ``torch.nn.utils.clip_grad_norm_``)."""
    require_positive_number(max_norm=max_norm)
    total = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads.values()))
    scale = min(1.0, max_norm / (total + 1e-6))
    if scale >= 1.0:
        return dict(grads), total
    return {k: (g * scale).astype(g.dtype, copy=False) for k, g in grads.items()}, total
