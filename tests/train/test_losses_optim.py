"""Losses against PyTorch and finite differences; optimizers and clipping against torch.optim."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import shapely_nn as sn
from shapely_nn import ShapeError
from shapely_nn.guards import GuardError
from shapely_nn.layers import Linear
from shapely_nn.train import (
    SGD,
    Adam,
    NonFiniteLossError,
    clip_grad_norm,
    cross_entropy,
    cross_entropy_onehot,
    fit,
    gradcheck,
    language_model_loss,
    mse,
    sequence_cross_entropy,
)


def test_cross_entropy_matches_torch_with_padding_mask(rng: np.random.Generator) -> None:
    logits = rng.standard_normal((5, 3, 7))
    ids = rng.integers(0, 7, size=(5, 3))
    keep = rng.random((5, 3)) > 0.3
    loss, grad = cross_entropy(sn.tensor(logits), sn.tensor(ids), mask=sn.tensor(keep))
    zt = torch.tensor(logits, requires_grad=True)
    target = torch.tensor(np.where(keep, ids, -100))
    expected = torch.nn.functional.cross_entropy(zt.reshape(-1, 7), target.reshape(-1))
    expected.backward()
    assert loss == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(grad.numpy(), zt.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_sequence_losses_are_the_masked_mean_over_steps(rng: np.random.Generator) -> None:
    logits = sn.tensor(rng.standard_normal((4, 2, 5)))
    ids = sn.tensor(rng.integers(0, 5, size=(4, 2)))
    keep = sn.tensor(np.array([[True, True], [True, False], [True, True], [False, False]]))
    loss, grad = sequence_cross_entropy(logits, ids, mask=keep)
    log_p = logits.numpy() - np.log(np.exp(logits.numpy()).sum(-1, keepdims=True))
    picked = np.take_along_axis(log_p, ids.numpy()[..., None], -1)[..., 0]
    assert loss == pytest.approx(float(-picked[keep.numpy()].mean()), rel=1e-12)
    assert language_model_loss(logits, ids, mask=keep)[0] == loss
    np.testing.assert_array_equal(grad.numpy()[3], 0.0)
    with pytest.raises(ShapeError, match="logits must be \\[T, \\*B, C\\], got \\[5\\]"):
        sequence_cross_entropy(sn.zeros((5,)), sn.tensor([1]))


def test_cross_entropy_gradcheck(rng: np.random.Generator) -> None:
    logits = rng.standard_normal((4, 5))
    ids = sn.tensor(rng.integers(0, 5, size=4))
    _, grad = cross_entropy(sn.tensor(logits), ids)
    t = sn.tensor(logits)
    gradcheck(lambda: cross_entropy(t, ids)[0], {"logits": t.numpy()}, {"logits": grad.numpy()})


def test_cross_entropy_checks_ids_and_shapes() -> None:
    with pytest.raises(
        GuardError, match="every id in targets must be in \\[0, 3\\): targets\\[1\\] = 3"
    ):
        cross_entropy(sn.zeros((2, 3)), sn.tensor([0, 3]))
    with pytest.raises(
        ShapeError, match="cross_entropy: targets has shape \\[3\\], expected \\[2\\]"
    ):
        cross_entropy(sn.zeros((2, 3)), sn.tensor([0, 1, 2]))


def test_cross_entropy_onehot_matches_ids_version(rng: np.random.Generator) -> None:
    logits = sn.tensor(rng.standard_normal((6, 4)))
    ids = sn.tensor(rng.integers(0, 4, size=6))
    onehot = sn.one_hot(ids, 4, dtype=np.float64)
    a, ga = cross_entropy(logits, ids)
    b, gb = cross_entropy_onehot(logits, onehot)
    assert a == pytest.approx(b, rel=1e-12)
    np.testing.assert_allclose(ga.numpy(), gb.numpy(), atol=1e-14)


def test_mse_matches_torch(rng: np.random.Generator) -> None:
    p, t = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    loss, grad = mse(sn.tensor(p), sn.tensor(t))
    pt = torch.tensor(p, requires_grad=True)
    expected = torch.nn.functional.mse_loss(pt, torch.tensor(t))
    expected.backward()
    assert loss == pytest.approx(expected.item(), rel=1e-12)
    np.testing.assert_allclose(grad.numpy(), pt.grad.numpy(), rtol=1e-12)


def _torch_run(opt_factory: Any, steps: int, start: np.ndarray, grads: list[np.ndarray]) -> Any:
    p = torch.nn.Parameter(torch.tensor(start))
    opt = opt_factory([p])
    for g in grads[:steps]:
        opt.zero_grad()
        p.grad = torch.tensor(g)
        opt.step()
    return p.detach().numpy()


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda: SGD(0.1), lambda ps: torch.optim.SGD(ps, lr=0.1)),
        (lambda: SGD(0.1, momentum=0.9), lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
        (lambda: Adam(0.01), lambda ps: torch.optim.Adam(ps, lr=0.01)),
    ],
    ids=["sgd", "sgd-momentum", "adam"],
)
def test_optimizers_match_torch(ours: Any, theirs: Any, rng: np.random.Generator) -> None:
    start = rng.standard_normal((3, 2))
    grads = [rng.standard_normal((3, 2)) for _ in range(5)]
    opt = ours()
    params = {"w": start}
    for g in grads:
        params = opt.step(params, {"w": g})
    np.testing.assert_allclose(params["w"], _torch_run(theirs, 5, start, grads), rtol=1e-10)


def test_optimizer_refuses_mismatched_grads() -> None:
    with pytest.raises(KeyError, match="grads missing for 1 parameters \\(b\\); 0 unknown"):
        SGD(0.1).step({"w": np.zeros(2), "b": np.zeros(1)}, {"w": np.zeros(2)})


def test_clip_grad_norm_matches_torch(rng: np.random.Generator) -> None:
    grads = {"a": rng.standard_normal((3,)) * 5, "b": rng.standard_normal((2, 2)) * 5}
    clipped, norm = clip_grad_norm(grads, 1.0)
    params = [torch.nn.Parameter(torch.zeros_like(torch.tensor(g))) for g in grads.values()]
    for p, g in zip(params, grads.values(), strict=True):
        p.grad = torch.tensor(g)
    expected = torch.nn.utils.clip_grad_norm_(params, 1.0)
    assert norm == pytest.approx(expected.item(), rel=1e-12)
    for p, g in zip(params, clipped.values(), strict=True):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-12)


def _regression_data(seed: int) -> list[tuple[Any, Any]]:
    gen = np.random.default_rng(seed)
    w = gen.standard_normal((3, 2))
    batches = []
    for _ in range(8):
        x = gen.standard_normal((16, 3)).astype(np.float32)
        batches.append((sn.tensor(x), sn.tensor((x @ w).astype(np.float32))))
    return batches


def _mse_step(model: Linear[Any, Any], batch: tuple[Any, Any]) -> tuple[float, Any]:
    x, y = batch
    pred, cache = model.forward(x)
    loss, grad = mse(pred, y)
    grads, _ = model.backward(cache, grad)
    return loss, grads


def test_fit_learns_and_is_deterministic() -> None:
    data = _regression_data(0)
    runs = [
        fit(Linear(3, 2, rng=1), data, _mse_step, Adam(0.05), epochs=30, rng=2, progress=False)
        for _ in range(2)
    ]
    (_, losses), (_, again) = runs
    assert losses == again
    assert losses[-1] < 0.01 * losses[0]
    other_seed = fit(
        Linear(3, 2, rng=1), data, _mse_step, Adam(0.05), epochs=2, rng=3, progress=False
    )[1]
    assert other_seed != losses[:2]


def test_fit_stops_naming_the_step_where_the_loss_stops_being_finite() -> None:
    data = _regression_data(0)
    x, y = data[5]
    poisoned = x.numpy().copy()
    poisoned[0, 0] = np.nan  # NaN in the data propagates to the loss (the NaN policy)
    data[5] = (sn.tensor(poisoned), y)
    first_visit = int(np.flatnonzero(np.random.default_rng(4).permutation(len(data)) == 5)[0])
    model = Linear(3, 2, rng=1)
    with np.errstate(invalid="ignore"), pytest.raises(NonFiniteLossError) as caught:
        fit(model, data, _mse_step, SGD(0.01), epochs=3, rng=4, progress=False)
    message = str(caught.value)
    assert message.startswith(
        f"fit: the loss stopped being finite at epoch 1, step {first_visit + 1} of 8 (data[5]): "
        "loss = nan."
    )
    assert isinstance(caught.value, FloatingPointError)


def test_nan_inputs_propagate_through_a_layer() -> None:
    layer = Linear(3, 2, rng=0)
    x = np.ones((2, 3), np.float32)
    x[1, 0] = np.nan
    with np.errstate(invalid="ignore"):
        y = layer(sn.tensor(x)).numpy()
    np.testing.assert_array_equal(np.isnan(y), [[False, False], [True, True]])


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"epochs": 0}, GuardError, "^epochs > 0 does not hold: epochs = 0$"),
        ({"epochs": True}, TypeError, "^epochs must be an int, got bool True"),
        ({"epochs": 1, "clip": -1.0}, GuardError, "^clip > 0 does not hold: clip = -1.0$"),
        ({"epochs": 1, "rng": -1}, GuardError, "^rng >= 0 does not hold: rng = -1$"),
    ],
)
def test_fit_refuses_bad_counts_rates_and_seeds(kwargs: Any, error: Any, text: str) -> None:
    args = {"rng": 0, **kwargs}
    with pytest.raises(error, match=text):
        fit(Linear(3, 2, rng=1), _regression_data(0), _mse_step, SGD(0.1), progress=False, **args)


def test_fit_refuses_an_empty_data_set_and_a_non_model() -> None:
    with pytest.raises(GuardError, match=r"^len\(data\) > 0 does not hold: len\(data\) = 0$"):
        fit(Linear(3, 2, rng=1), [], _mse_step, SGD(0.1), epochs=1, rng=0, progress=False)
    with pytest.raises(TypeError, match='^fit: argument "model" must be a shapely_nn layer'):
        fit(np.zeros(3), _regression_data(0), _mse_step, SGD(0.1), epochs=1, rng=0)  # type: ignore[type-var]
