"""A program's log joint: closed forms, gradients against finite differences, its trace,
and the errors for values that do not fit the program."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

import shapely_nn as sn
from shapely_nn._shape import ShapeError
from shapely_nn.guards import GuardError
from shapely_nn.qvr import QvrProgram, load
from shapely_nn.train import gradcheck


def _values(program: QvrProgram, x: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    return {k: v.numpy().copy() for k, v in program.trace(x, rng=seed).items()}


def test_log_joint_of_a_normal_kernel_is_the_gaussian_density(
    rng: np.random.Generator, load_regression: Callable[[int, float], QvrProgram]
) -> None:
    program = load_regression(3, 0.5)
    x, y = rng.standard_normal((7, 3)), rng.standard_normal((7, 1))
    params = program.parameters()
    mean = x @ params["layers.0.linear.weight"].T + params["layers.0.linear.bias"]
    expected = np.sum(-0.5 * ((y - mean) / 0.5) ** 2 - math.log(0.5 * math.sqrt(2 * math.pi)))
    assert program.log_joint(x, {"y": y}) == pytest.approx(expected, rel=1e-12)


def test_log_joint_sums_normal_sites_and_the_categorical_observation(
    toy: QvrProgram, toy_input: np.ndarray
) -> None:
    values = _values(toy, toy_input, seed=1)
    layers = toy.module.layers
    h_mean = layers[3](layers[2](layers[1](layers[0](sn.tensor(toy_input))))).numpy()
    z_mean = layers[4](sn.tensor(values["h"])).numpy()
    log_p = layers[5](sn.tensor(values["z"])).numpy()

    def normal(v: np.ndarray, m: np.ndarray, s: float) -> float:
        return float(np.sum(-0.5 * ((v - m) / s) ** 2 - math.log(s * math.sqrt(2 * math.pi))))

    expected = (
        normal(values["h"], h_mean, 0.4)
        + normal(values["z"], z_mean, 0.7)
        + float(log_p[np.arange(6), values["y"]].sum())
    )
    assert toy.log_joint(toy_input, values) == pytest.approx(expected, rel=1e-12)


def test_log_joint_gradients_match_finite_differences(
    toy: QvrProgram, toy_input: np.ndarray
) -> None:
    values = _values(toy, toy_input, seed=2)
    _, param_grads, value_grads = toy.log_joint_and_grads(toy_input, values)
    assert sorted(value_grads) == ["h", "z"]  # ids have no gradient
    arrays = {**toy.parameters(), "h": values["h"], "z": values["z"]}
    result = gradcheck(
        lambda: toy.log_joint(toy_input, values), arrays, {**param_grads, **value_grads}
    )
    assert result.worst <= 1e-6


def test_centers_change_only_the_gradient_into_the_means(
    toy: QvrProgram, toy_input: np.ndarray
) -> None:
    values = _values(toy, toy_input, seed=3)
    plain = toy.log_joint_and_grads(toy_input, values)
    centered = toy.log_joint_and_grads(toy_input, values, {"h": values["h"], "z": values["z"]})
    assert centered[0] == plain[0]
    for name, g in plain[1].items():
        np.testing.assert_array_equal(centered[1][name], g)
    shifted = {"h": values["h"] + 1.0}
    moved = toy.log_joint_and_grads(toy_input, values, shifted)
    assert moved[0] == plain[0]
    np.testing.assert_array_equal(moved[2]["h"], plain[2]["h"])
    assert not np.allclose(moved[1]["layers.3.linear.bias"], plain[1]["layers.3.linear.bias"])


def test_trace_gives_every_site_with_its_log_probability(
    toy: QvrProgram, toy_input: np.ndarray
) -> None:
    trace = toy.trace(toy_input, rng=5)
    assert list(trace) == ["h", "z", "y"]
    assert trace["h"].numpy().shape == (6, 8) and trace["y"].numpy().shape == (6,)
    values = {k: v.numpy() for k, v in trace.items()}
    assert trace.log_prob == pytest.approx(toy.log_joint(toy_input, values), rel=1e-12)
    log_p = toy.module.layers[5](trace["z"]).numpy()
    expected_y = float(log_p[np.arange(6), values["y"]].sum())
    assert trace.sites["y"].log_prob == pytest.approx(expected_y, rel=1e-12)
    assert [s.kind for s in trace.sites.values()] == ["sample", "sample", "observe"]


def test_trace_draws_each_normal_site_around_its_mean_with_its_scale(
    load_regression: Callable[[int, float], QvrProgram],
) -> None:
    program = load_regression(2, 0.5)
    x = np.tile([[0.3, -1.2]], (40_000, 1))
    y = program.trace(x, rng=0)["y"].numpy()
    mean = program(x[:1]).numpy()[0, 0]
    assert abs(y.mean() - mean) < 4 * 0.5 / math.sqrt(y.size)
    assert abs(y.std() - 0.5) < 0.01


def test_trace_is_seeded(toy: QvrProgram, toy_input: np.ndarray) -> None:
    a, b, c = (toy.trace(toy_input, rng=s) for s in (7, 7, 8))
    np.testing.assert_array_equal(a["h"].numpy(), b["h"].numpy())
    assert a.log_prob == b.log_prob and not np.array_equal(a["h"].numpy(), c["h"].numpy())


def test_log_joint_names_a_site_without_a_value(toy: QvrProgram, toy_input: np.ndarray) -> None:
    values = _values(toy, toy_input, seed=1)
    del values["z"]
    with pytest.raises(ValueError, match="no value for site 'z'"):
        toy.log_joint(toy_input, values)


def test_log_joint_names_a_value_for_no_site(toy: QvrProgram, toy_input: np.ndarray) -> None:
    values = {**_values(toy, toy_input, seed=1), "w": np.zeros(3)}
    with pytest.raises(
        ValueError, match=r"value for 'w' is no site of the model \(its sites: h, z, y\)"
    ):
        toy.log_joint(toy_input, values)


def test_log_joint_names_the_site_of_a_value_of_the_wrong_shape(
    toy: QvrProgram, toy_input: np.ndarray
) -> None:
    values = {**_values(toy, toy_input, seed=1), "z": np.zeros((5, 8))}
    with pytest.raises(
        ShapeError, match=r"site 'z': value has shape \[5, 8\], but the model gives \[6, 8\]"
    ):
        toy.log_joint(toy_input, values)


def test_log_joint_refuses_observed_ids_out_of_range(
    toy: QvrProgram, toy_input: np.ndarray
) -> None:
    values = {**_values(toy, toy_input, seed=1), "y": np.full(6, 4)}
    with pytest.raises(GuardError, match=r"must be in \[0, 4\)"):
        toy.log_joint(toy_input, values)


def test_a_site_without_a_density_has_no_log_joint() -> None:
    program = load(
        """
object S : FinSet 3
object H : Real 2
morphism e : S -> H [role=embed]
program p : S -> H
sample h <- e
return h
""",
        dtype=np.float64,
    )
    ids = np.array([0, 2])
    np.testing.assert_array_equal(program.trace(ids, rng=0)["h"].numpy(), program(ids).numpy())
    with pytest.raises(ValueError, match="site 'h' has no density"):
        program.log_joint(ids, {"h": program(ids).numpy()})


def test_a_site_ending_in_a_fan_or_a_stack_is_normal_with_its_last_kernels_scale() -> None:
    program = load(
        """
object S : FinSet 3
object H : Real 4
object Half : Real 2
morphism e : S -> H [role=embed]
morphism head : H -> Half [replicate=2, scale=0.3] ~ Normal
morphism head2 : H -> Half [replicate=2, scale=0.2] ~ Normal
morphism k : H -> H [scale=0.6] ~ Normal
let block = fan(head2) >> k
program p : S -> H
sample a <- e >> fan(head)
sample b <- stack(block, 2)(a)
return b
""",
        dtype=np.float64,
    )
    ids = np.array([0, 2, 1])
    trace = program.trace(ids, rng=0)
    a, b = trace["a"].numpy(), trace["b"].numpy()
    mean_a = program.module.layers[1](program.module.layers[0](sn.tensor(ids))).numpy()
    mean_b = program.module.layers[2](sn.tensor(a)).numpy()

    def normal(v: np.ndarray, m: np.ndarray, s: float) -> float:
        return float(np.sum(-0.5 * ((v - m) / s) ** 2 - math.log(s * math.sqrt(2 * math.pi))))

    expected = normal(a, mean_a, 0.3) + normal(b, mean_b, 0.6)
    assert program.log_joint(ids, {"a": a, "b": b}) == pytest.approx(expected, rel=1e-12)
