"""Bad input at every public entry point: a documented error naming the argument, or an
accepted value with the correct result.

The registry (``_fuzz_cases``) makes a good call of every public name; each test replaces one
argument at a time with a bad value (``_fuzz_kinds``) and checks the contract:

* an error is one the library raises on purpose: a class it defines (``ShapeError``,
  ``DTypeError``, ``GuardError``, ``ModelFileError``, ``QvrError``...) or a plain ``TypeError``
  or ``ValueError``, raised from the library's own code (not from inside NumPy), whose message
  names the replaced argument (a shape or dtype message may name the callee instead: it says
  which dim);
* never ``AttributeError``, ``KeyError``, ``IndexError`` or another builtin error leaking out;
* an accepted replacement must give the right result: the same as the good value for an
  equivalent one (a NumPy integer, a generator for its seed, a copy), NaN out for NaN in.

Bounded and reproducible: fixed variants are walked exhaustively; hypothesis draws a few more
bad values per case, derandomized, without a deadline.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _fuzz_case import Args, Case
from _fuzz_cases import CASES, NOT_CALLED, PACKAGES, covered_names
from _fuzz_infer import MCMC_EXAMPLES
from _fuzz_kinds import Variant
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import shapely_nn as sn
from shapely_nn.layers import GradRecord, Layer

LIBRARY = str(Path(sn.__file__).parent)
RANDOM_EXAMPLES = 100
"""Hypothesis examples per case, beside the fixed variants; a case that samples asks for
fewer (``Case.examples``). Measured: the whole fuzz takes about 30 s on one core."""


def _flat(y: Any) -> list[np.ndarray]:
    """The values of a result, in order, as arrays (tensors, numbers, models, strings)."""
    if isinstance(y, sn.Tensor):
        return [y.numpy()]
    if isinstance(y, np.ndarray):
        return [y]
    if y is None:
        return []
    if isinstance(y, bool | int | float | str | np.number):
        return [np.asarray(y)]
    if isinstance(y, tuple | list):
        return [a for item in y for a in _flat(item)]
    if isinstance(y, dict):
        return [a for k in sorted(y) for a in _flat(y[k])]
    if isinstance(y, Layer):
        return _flat(y.parameters())
    if hasattr(y, "state_dict"):  # a torch module
        return [v.detach().numpy() for v in y.state_dict().values()]
    return [np.asarray(type(y).__name__)]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> str | None:
    if len(a) != len(b):
        return f"{len(a)} outputs instead of {len(b)}"
    for x, y in zip(a, b, strict=True):
        if x.shape != y.shape or x.dtype != y.dtype:
            return f"output {x.dtype}{list(x.shape)} instead of {y.dtype}{list(y.shape)}"
        if x.dtype.kind in "fc":
            if not np.allclose(x, y, rtol=1e-6, atol=1e-7, equal_nan=True):
                return "different values"
        elif not np.array_equal(x, y):
            return "different values"
    return None


def _raised_in_library(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and frames[-1].filename.startswith(LIBRARY)


def _documented(exc: Exception) -> bool:
    kind = type(exc)
    return kind.__module__.startswith("shapely_nn") or kind in (TypeError, ValueError)


def _judge_error(case: Case, key: str, name: str, exc: Exception) -> str | None:
    """``None`` if ``exc`` keeps the contract, else what is wrong with it."""
    text = f"{type(exc).__name__}: {exc}"
    if not _documented(exc):
        return f"undocumented error {text}"
    if not _raised_in_library(exc):
        where = traceback.extract_tb(exc.__traceback__)[-1].filename
        return f"error raised outside the library ({where}): {text}"
    message = str(exc)
    words = (name, *case.aliases.get(name, ()))
    if isinstance(exc, sn.ShapeError | sn.DTypeError):
        words = (*words, case.callee(key))  # a shape or dtype message names the callee and dim
    if not any(w in message for w in words):
        return f"message does not name {name!r}: {text}"
    return None


def _call(case: Case, args: Args, nan: bool) -> Any:
    if nan:  # the NaN policy: propagate, as NumPy does (no warnings turned into errors)
        with np.errstate(all="ignore"):
            return case.run(args)
    return case.run(args)


def _check_variant(key: str, name: str, variant: Variant, baseline: list[np.ndarray]) -> str | None:
    case = CASES[key]
    if name in case.none_ok and variant.label == "None":
        return None  # None is this argument's documented default (no initial state, no mask)
    args = case.good()
    args[name] = variant.make(args[name])
    try:
        result = _call(case, args, variant.expect == "nan")
    except Exception as exc:
        problem = _judge_error(case, key, name, exc)
        if problem is None and variant.expect != "refuse":
            problem = f"refused an accepted value: {type(exc).__name__}: {exc}"
        return problem
    if variant.expect == "refuse":
        return f"accepted silently (got {type(result).__name__})"
    if variant.expect == "same":
        return _same(_flat(result), baseline)
    floats = [a for a in _flat(result) if a.dtype.kind == "f"]
    if not any(np.isnan(a).any() for a in floats):
        return "NaN in, no NaN out"
    return None


def _baseline(key: str) -> list[np.ndarray]:
    case = CASES[key]
    return _flat(case.run(case.good()))


# ---- the registry is complete --------------------------------------------------------------


def _public_names() -> set[str]:
    names: set[str] = set()
    for package in PACKAGES.values():
        for name in package.__all__:
            obj = getattr(package, name)
            if isinstance(obj, type) and issubclass(obj, GradRecord) and obj is not GradRecord:
                continue  # grad records are built by backward, not called
            names.add(name)
    return names


def test_every_public_name_has_a_case_or_a_reason() -> None:
    public, covered = _public_names(), covered_names()
    assert not covered & set(NOT_CALLED), "a name is both covered and excluded"
    missing = public - covered - set(NOT_CALLED)
    assert not missing, f"no fuzz case for {sorted(missing)}: add one to _fuzz_cases.CASES"
    stale = (covered | set(NOT_CALLED)) - public
    assert not stale, f"cases or reasons for names that are not public: {sorted(stale)}"


# ---- the calls -----------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(CASES))
def test_good_call_is_deterministic(key: str) -> None:
    first, second = _baseline(key), _baseline(key)
    assert first, f"{key}: the good call returned nothing to compare"
    assert _same(first, second) is None


def _params(keys: list[str]) -> list[Any]:
    """The keys, a case with a ``known`` finding as a strict xfail naming it."""
    return [
        pytest.param(k, marks=pytest.mark.xfail(reason=CASES[k].known, strict=True))
        if CASES[k].known
        else k
        for k in keys
    ]


@pytest.mark.parametrize("key", _params(sorted(CASES)))
def test_each_bad_value_is_refused_clearly_or_handled(key: str) -> None:
    baseline = _baseline(key)
    problems = [
        f"{name} = {variant.label}: {problem}"
        for name, kind in CASES[key].kinds.items()
        for variant in kind.variants
        if (problem := _check_variant(key, name, variant, baseline)) is not None
    ]
    assert not problems, f"{key}:\n  " + "\n  ".join(problems)


def _random_keys(examples: int | None) -> list[str]:
    """The cases hypothesis draws for, with ``examples`` random values each (see ``Case``)."""
    return sorted(k for k, c in CASES.items() if c.kinds and not c.known and c.examples == examples)


def _check_random_value(key: str, data: st.DataObject) -> None:
    case = CASES[key]
    name = data.draw(st.sampled_from(sorted(case.kinds)), label="argument")
    value = data.draw(case.kinds[name].random, label=name)
    assume(not (value is None and name in case.none_ok))  # None is that argument's default
    refuse: Callable[[Any], Any] = lambda _good: value  # noqa: E731
    problem = _check_variant(key, name, Variant("random", refuse), [])
    assert problem is None, f"{key}: {name} = {value!r}: {problem}"


def _random_test(examples: int | None) -> Callable[..., None]:
    """A test drawing ``examples`` random bad values (the default: ``RANDOM_EXAMPLES``) for
    each case that asks for that many."""

    @pytest.mark.parametrize("key", _random_keys(examples))
    @settings(
        max_examples=examples or RANDOM_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(data=st.data())
    def test(key: str, data: st.DataObject) -> None:
        _check_random_value(key, data)

    return test


test_random_bad_values_are_refused_clearly = _random_test(None)
test_random_bad_values_are_refused_clearly_in_sampling_calls = _random_test(MCMC_EXAMPLES)


def test_every_case_runs_in_one_of_the_random_tests() -> None:
    drawn = {k for n in (None, MCMC_EXAMPLES) for k in _random_keys(n)}
    assert drawn == {k for k, c in CASES.items() if c.kinds and not c.known}
