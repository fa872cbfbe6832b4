"""check_package: a user's package checked at call time from its import on; the off switch."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import shapely_nn as sn
from shapely_nn import ShapeError

MODEL = '''
"""A user's model package."""
from __future__ import annotations

from typing import TypeVar

import shapely_nn as sn
from shapely_nn import Tensor

B = TypeVar("B", bound=int)
N = TypeVar("N", bound=int)


def join(x: Tensor[B, N], y: Tensor[B, N]) -> Tensor[B, N]:
    """Buggy: concatenates along the batch axis."""
    return sn.concat([x, y], axis=0)


def untyped(x, y):
    return sn.concat([x, y], axis=0)


class Model:
    def flip(self, x: Tensor[B, N]) -> Tensor[N, B]:
        return x.T

    @property
    def size(self) -> int:
        return 3

    @staticmethod
    def twice(x: Tensor[B]) -> Tensor[B]:
        return x + x
'''


@pytest.fixture
def user_package(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    name = f"usermodels_{request.node.name.replace('[', '_').replace(']', '_')}"
    pkg = tmp_path / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text(MODEL)
    sys.path.insert(0, str(tmp_path))
    try:
        yield name
    finally:
        sys.path.remove(str(tmp_path))
        for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[mod]


def test_checked_package_catches_a_shape_bug(user_package: str) -> None:
    with sn.check_package(user_package) as hook:
        assert hook.active
        module = __import__(user_package)
    assert not hook.active
    with pytest.raises(ShapeError) as err:
        module.join(sn.zeros((2, 3)), sn.zeros((2, 3)))
    assert str(err.value) == (
        "join(): return value has shape [4, 3], expected Tensor[B, N]: "
        'axis 0: B is 2 (from argument "x" axis 0), got 4'
    )


def test_methods_properties_and_staticmethods_keep_working(user_package: str) -> None:
    with sn.check_package(user_package):
        module = __import__(user_package)
    model = module.Model()
    assert model.size == 3
    assert model.flip(sn.zeros((2, 3))).shape == sn.Shape.of(3, 2)
    assert model.twice(sn.ones((2,))).numpy().tolist() == [2.0, 2.0]
    assert getattr(module.join, "__shapechecked__", False)


def test_unannotated_functions_are_left_alone(user_package: str) -> None:
    with sn.check_package(user_package):
        module = __import__(user_package)
    assert module.untyped(sn.zeros((2, 3)), sn.zeros((2, 3))).shape == sn.Shape.of(4, 3)
    assert not hasattr(module.untyped, "__shapechecked__")


def test_unchecked_import_runs_the_bug_silently(user_package: str) -> None:
    module = __import__(user_package)
    assert module.join(sn.zeros((2, 3)), sn.zeros((2, 3))).shape == sn.Shape.of(4, 3)


def test_check_package_after_import_is_refused(user_package: str) -> None:
    __import__(user_package)
    with pytest.raises(RuntimeError, match="is imported already; call check_package before"):
        sn.check_package(user_package)


def test_set_checks_off_installs_nothing(user_package: str) -> None:
    sn.set_checks(False)
    try:
        hook = sn.check_package(user_package)
        assert not hook.active
        module = __import__(user_package)
    finally:
        sn.set_checks(True)
    assert module.join(sn.zeros((2, 3)), sn.zeros((2, 3))).shape == sn.Shape.of(4, 3)


def test_shapechecked_off_returns_the_function_itself() -> None:
    def f(x: sn.Tensor[int]) -> sn.Tensor[int]:
        return x

    sn.set_checks(False)
    try:
        assert sn.shapechecked(f) is f
    finally:
        sn.set_checks(True)
    assert sn.shapechecked(f) is not f


def test_env_var_turns_checks_off_in_a_new_process() -> None:
    code = textwrap.dedent(
        """
        import shapely_nn as sn
        def f(x: sn.Tensor[int]) -> sn.Tensor[int]:
            return x
        print(sn.checks_enabled(), sn.shapechecked(f) is f)
        """
    )
    env = {**os.environ, "SHAPELY_NN_CHECKS": "0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "True"], out.stderr


def test_shapely_nn_itself_can_be_imported_checked() -> None:
    script = str(Path(__file__).parent / "scripts" / "train_step.py")
    plain = subprocess.run([sys.executable, script], capture_output=True, text=True, check=True)
    checked = subprocess.run(
        [sys.executable, script, "checked"], capture_output=True, text=True, check=True
    )
    assert plain.stdout.splitlines()[-1] == "False"
    assert checked.stdout.splitlines()[-1] == "True"  # the layers' methods are wrapped
    assert checked.stdout.splitlines()[0] == plain.stdout.splitlines()[0]  # same loss and grads


@pytest.mark.parametrize(
    ("names", "error", "message"),
    [
        ((None,), TypeError, "a package name must be a str, got None"),
        (("ok_name", 3), TypeError, "a package name must be a str, got int 3"),
        (("",), ValueError, "'' is not a package name"),
        (("a..b",), ValueError, "'a..b' is not a package name"),
    ],
)
def test_a_bad_package_name_is_refused_before_anything_is_installed(
    names: tuple[object, ...], error: type[Exception], message: str
) -> None:
    before = list(sys.meta_path)
    with pytest.raises(error, match=f"^check_package: {message}"):
        sn.check_package(*names)  # type: ignore[arg-type]
    assert sys.meta_path == before
    import json.decoder  # noqa: F401  (a later import still works)
