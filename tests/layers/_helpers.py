"""Shared helpers of the recurrent-layer tests: torch oracles, closeness, gradcheck losses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from shapely_nn import Tensor
from shapely_nn.io._torch_rnn import torch_layout
from shapely_nn.layers import GradRecord
from shapely_nn.layers._gru import GRUParameters
from shapely_nn.layers._recurrent_base import RecurrentParameters
from shapely_nn.train._gradcheck import gradcheck

Array = np.ndarray[Any, Any]


def assert_rel_close(ours: Any, theirs: Any, rtol: float = 1e-4, what: str = "") -> None:
    """``|ours - theirs| / max(|ours|, |theirs|) <= rtol`` in the Euclidean norm."""
    a = np.asarray(ours.numpy() if isinstance(ours, Tensor) else ours, dtype=np.float64)
    b = np.asarray(
        theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs, dtype=np.float64
    )
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    scale = max(float(np.linalg.norm(a)), float(np.linalg.norm(b)), 1e-12)
    error = float(np.linalg.norm(a - b)) / scale
    assert error <= rtol, f"{what}: relative error {error:.3g} > {rtol:g}"


def torch_tensor(array: Array, grad: bool = False) -> torch.Tensor:
    """A leaf torch tensor holding a copy of ``array``."""
    return torch.tensor(array.copy(), requires_grad=grad)


def assert_torch_grads(
    module: Any, layer: RecurrentParameters, grads: GradRecord, suffix: str = "_l0"
) -> None:
    """Our grads, mapped to PyTorch's layout, equal ``module``'s parameter grads."""
    ours = torch_layout(layer.with_parameters(grads.as_dict()))
    for name in ("weight_ih", "weight_hh", "bias_ih"):
        assert_rel_close(ours[name], getattr(module, name + suffix).grad, what=name + suffix)
    if isinstance(layer, GRUParameters):  # b_hn is the one hidden bias of ours
        h = layer.hidden_size
        theirs = getattr(module, "bias_hh" + suffix).grad[2 * h :]
        assert_rel_close(ours["bias_hh"][2 * h :], theirs, what="bias_hh" + suffix)


def weighted_sum(weights: list[Array]) -> Callable[[list[Any]], float]:
    """``outputs -> Σ_k sum(outputs[k] * weights[k])``: a loss touching every output."""

    def loss(outputs: list[Any]) -> float:
        return float(sum(np.sum(np.asarray(o) * w) for o, w in zip(outputs, weights, strict=True)))

    return loss


def check_gradients(
    loss: Callable[[], float],
    arrays: Mapping[str, Array],
    analytic: Mapping[str, Any],
) -> None:
    """``gradcheck`` at rel. error 1e-6 with analytic grads given as arrays or Tensors."""
    plain = {k: v.numpy() if isinstance(v, Tensor) else v for k, v in analytic.items()}
    gradcheck(loss, arrays, plain, rtol=1e-6)
