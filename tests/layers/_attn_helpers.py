"""Helpers of the activation/normalisation/attention/transformer tests: torch oracle, gradcheck."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

from shapely_nn import Tensor
from shapely_nn.layers import Layer
from shapely_nn.train._gradcheck import gradcheck

Array = np.ndarray[Any, Any]


def as_array(value: Any) -> Array:
    """A float64 NumPy copy of a Tensor, torch tensor or array."""
    if isinstance(value, Tensor):
        value = value.numpy()
    if isinstance(value, torch.Tensor):
        value = value.detach().numpy()
    return np.asarray(value, dtype=np.float64)


def assert_rel_close(ours: Any, theirs: Any, rtol: float = 1e-4, what: str = "") -> None:
    """``|ours - theirs| / max(|ours|, |theirs|) <= rtol`` in the Euclidean norm."""
    a, b = as_array(ours), as_array(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    scale = max(float(np.linalg.norm(a)), float(np.linalg.norm(b)), 1e-30)
    error = float(np.linalg.norm(a - b)) / scale
    assert error <= rtol, f"{what}: relative error {error:.3g} > {rtol:g}"


def leaf(array: Array, grad: bool = True) -> torch.Tensor:
    """A leaf torch tensor holding a copy of ``array``."""
    return torch.tensor(np.array(array), requires_grad=grad)


def randomized(layer: Any, rng: np.random.Generator, scale: float = 0.5) -> Any:
    """``layer`` with every parameter replaced by random values (so norms/biases are not 1/0)."""
    params = layer.parameters()
    fresh = {
        name: (rng.standard_normal(a.shape) * scale).astype(a.dtype) for name, a in params.items()
    }
    return layer.with_parameters(fresh)


def torch_name(name: str) -> str:
    """Our dotted parameter name as PyTorch spells it (``in_proj.weight`` -> ``in_proj_weight``)."""
    return name.replace("in_proj.weight", "in_proj_weight").replace("in_proj.bias", "in_proj_bias")


def assert_param_grads_match(module: Any, grads: Mapping[str, Array], rtol: float = 1e-4) -> None:
    """Every parameter gradient of the torch module equals ours, and no parameter is missed."""
    theirs = {name: p.grad for name, p in module.named_parameters()}
    ours = {torch_name(name): g for name, g in grads.items()}
    assert set(ours) == set(theirs), f"names differ: {sorted(set(ours) ^ set(theirs))}"
    for name, grad in ours.items():
        assert theirs[name] is not None, f"torch computed no gradient for {name}"
        assert_rel_close(grad, theirs[name], rtol, what=name)


def weighting(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> Array:
    """Random upstream gradient: the loss is ``sum(y * w)``."""
    return rng.standard_normal(shape).astype(dtype)


def check_layer_gradients(
    layer: Layer,
    run: Callable[[], Any],
    inputs: Mapping[str, Array],
    analytic_params: Mapping[str, Array],
    analytic_inputs: Mapping[str, Any],
    weights: Any,
) -> None:
    """Gradcheck (rel. 1e-6) of ``sum(run() * weights)`` in every parameter and input array.

    ``run`` must read ``layer``'s parameter arrays and the ``inputs`` arrays, which are perturbed
    in place. ``weights`` is one array or a tuple matching a tuple output.
    """

    def loss() -> float:
        out = run()
        if isinstance(out, tuple):
            return float(sum(np.sum(as_array(o) * w) for o, w in zip(out, weights, strict=True)))
        return float(np.sum(as_array(out) * weights))

    arrays = {f"param {k}": v for k, v in layer.parameters().items()}
    arrays.update({f"input {k}": v for k, v in inputs.items()})
    analytic = {f"param {k}": v for k, v in analytic_params.items()}
    analytic.update({f"input {k}": as_array(v) for k, v in analytic_inputs.items()})
    gradcheck(loss, arrays, analytic, rtol=1e-6)
