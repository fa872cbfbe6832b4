"""Normal and Categorical: log densities against closed forms, gradients against finite
differences, draws against their moments, shapes refused."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shapely_nn._shape import ShapeError
from shapely_nn.guards import GuardError
from shapely_nn.infer import Categorical, Normal
from shapely_nn.train import gradcheck


def test_normal_log_prob_is_the_gaussian_density(rng: np.random.Generator) -> None:
    loc, scale, value = rng.standard_normal(5), rng.uniform(0.5, 2, 5), rng.standard_normal(5)
    expected = np.log(
        np.exp(-0.5 * ((value - loc) / scale) ** 2) / (scale * math.sqrt(2 * math.pi))
    )
    np.testing.assert_allclose(Normal(loc, scale).log_prob(value), expected, rtol=1e-12)


def test_normal_scalar_scale_is_shared(rng: np.random.Generator) -> None:
    loc, value = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    shared = Normal(loc, 0.7).log_prob(value)
    full = Normal(loc, np.full((3, 4), 0.7)).log_prob(value)
    np.testing.assert_allclose(shared, full, rtol=1e-14)


@pytest.mark.parametrize("scalar_scale", [True, False])
def test_normal_log_prob_gradients_match_finite_differences(
    rng: np.random.Generator, scalar_scale: bool
) -> None:
    loc = rng.standard_normal((3, 2))
    scale = np.array(0.8) if scalar_scale else rng.uniform(0.5, 2.0, (3, 2))
    value = rng.standard_normal((3, 2))

    def loss() -> float:
        return float(Normal(loc, scale).log_prob(value).sum())

    grads = Normal(loc, scale).log_prob_grads(value)
    gradcheck(
        loss,
        {"loc": loc, "scale": scale, "value": value},
        {"loc": grads.loc, "scale": np.asarray(grads.scale), "value": grads.value},
    )
    assert isinstance(grads.scale, float) == scalar_scale


def test_normal_rsample_is_loc_plus_scale_times_its_noise(rng: np.random.Generator) -> None:
    dist = Normal(rng.standard_normal(4), rng.uniform(0.5, 1.5, 4))
    draw, noise = dist.rsample(np.random.default_rng(3))
    np.testing.assert_allclose(draw, dist.loc + dist.scale * noise, rtol=1e-15)
    again = dist.sample(np.random.default_rng(3))
    np.testing.assert_array_equal(draw, again)


def test_normal_draws_have_the_right_moments() -> None:
    dist = Normal(np.full(200_000, 1.5), 0.3)
    draws = dist.sample(np.random.default_rng(0))
    assert abs(draws.mean() - 1.5) < 4 * 0.3 / math.sqrt(draws.size)
    assert abs(draws.std() - 0.3) < 0.005


def test_normal_entropy_is_the_closed_form() -> None:
    assert Normal(np.zeros(3), 2.0).entropy() == pytest.approx(
        3 * (0.5 + 0.5 * math.log(2 * math.pi) + math.log(2.0)), rel=1e-14
    )


def test_normal_refuses_a_value_of_another_shape() -> None:
    with pytest.raises(ShapeError, match=r"Normal.log_prob: value has shape \[3\], expected \[2\]"):
        Normal(np.zeros(2), 1.0).log_prob(np.zeros(3))


def test_normal_refuses_a_scale_that_would_broadcast() -> None:
    with pytest.raises(ShapeError, match=r"Normal: scale has shape \[2\], expected \[2, 2\]"):
        Normal(np.zeros((2, 2)), np.ones(2))


@pytest.mark.parametrize("scale", [0.0, -1.0, math.inf, math.nan])
def test_normal_refuses_a_non_positive_or_non_finite_scale(scale: float) -> None:
    with pytest.raises(ValueError, match="scale must be positive and finite"):
        Normal(np.zeros(2), scale)


def test_categorical_log_prob_is_the_log_softmax_at_the_ids(rng: np.random.Generator) -> None:
    logits = rng.standard_normal((4, 5))
    ids = np.array([0, 4, 2, 2])
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(
        Categorical(logits).log_prob(ids), np.log(p[np.arange(4), ids]), rtol=1e-12
    )


def test_categorical_log_prob_gradient_matches_finite_differences(
    rng: np.random.Generator,
) -> None:
    logits = rng.standard_normal((2, 3, 4))
    ids = rng.integers(0, 4, (2, 3))

    def loss() -> float:
        return float(Categorical(logits).log_prob(ids).sum())

    gradcheck(loss, {"logits": logits}, {"logits": Categorical(logits).log_prob_grads(ids)})


def test_categorical_draws_have_the_right_frequencies() -> None:
    probs = np.array([0.1, 0.0, 0.6, 0.3])
    logits = np.log(np.where(probs > 0, probs, 1e-300))
    dist = Categorical(np.broadcast_to(logits, (100_000, 4)))
    draws = dist.sample(np.random.default_rng(1))
    counts = np.bincount(draws, minlength=4) / draws.size
    assert counts[1] == 0.0
    np.testing.assert_allclose(counts, probs, atol=4 * math.sqrt(0.25 / draws.size))


def test_categorical_draws_are_seeded(rng: np.random.Generator) -> None:
    dist = Categorical(rng.standard_normal((50, 6)))
    a, b = dist.sample(np.random.default_rng(9)), dist.sample(np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (50,) and a.dtype == np.int64


def test_categorical_refuses_ids_of_another_shape() -> None:
    with pytest.raises(ShapeError, match=r"value has shape \[2, 1\], expected \[2\]"):
        Categorical(np.zeros((2, 3))).log_prob(np.zeros((2, 1), dtype=np.int64))


def test_categorical_refuses_ids_out_of_range() -> None:
    with pytest.raises(GuardError, match=r"must be in \[0, 3\)"):
        Categorical(np.zeros((2, 3))).log_prob(np.array([0, 3]))


def test_categorical_refuses_logits_without_categories() -> None:
    with pytest.raises(ShapeError, match="logits must be"):
        Categorical(np.zeros(()))


def test_categorical_refuses_non_finite_logits_as_a_floating_point_error() -> None:
    with pytest.raises(FloatingPointError, match="logits must be finite"):
        Categorical(np.array([[0.0, math.inf]]))
