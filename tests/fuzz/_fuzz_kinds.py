"""Kinds of argument and the bad (or equivalent) values the fuzz puts in their place.

A ``Kind`` has fixed ``variants`` (each test walks all of them) and a hypothesis strategy
``random`` of values that must all be refused. A ``Variant`` turns the good value into its
replacement and says what must happen:

* ``"refuse"``: one of the library's documented errors, naming the argument;
* ``"same"``: accepted, with the same result as the good value (a NumPy integer for an int,
  a generator for its seed, a copy of a tensor);
* ``"nan"``: accepted and propagated (the NaN policy): some output is NaN.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from hypothesis import strategies as st

import shapely_nn as sn

Expect = Literal["refuse", "same", "nan"]


@dataclass(frozen=True)
class Variant:
    """A replacement for a good value: ``make(good)``, and what must happen."""

    label: str
    make: Callable[[Any], Any]
    expect: Expect = "refuse"


def _const(value: Any) -> Callable[[Any], Any]:
    return lambda _good: value


@dataclass(frozen=True)
class Kind:
    """What an argument is: its fixed variants and a strategy of values it must refuse."""

    name: str
    variants: tuple[Variant, ...]
    random: st.SearchStrategy[Any] = field(default_factory=st.nothing)

    def plus(self, *extra: Variant) -> Kind:
        """This kind with more fixed variants (an out-of-range id where ids are checked)."""
        return Kind(self.name, self.variants + extra, self.random)


def refuse(label: str, value: Any) -> Variant:
    """A fixed bad value."""
    return Variant(label, _const(value))


_NOT_INT = (
    refuse("True", True),
    refuse("False", False),
    refuse("None", None),
    Variant("str", lambda v: str(v)),
    Variant("float", lambda v: float(v) + 0.5),
)
_WRONG_TYPES = st.one_of(st.booleans(), st.none(), st.text(max_size=3), st.lists(st.integers()))

SIZE = Kind(
    "size",
    (
        *_NOT_INT,
        refuse("0", 0),
        refuse("-1", -1),
        Variant("numpy int", lambda v: np.int64(v), "same"),
    ),
    st.one_of(st.integers(max_value=0), st.floats(), _WRONG_TYPES),
)
"""A size, length, count or number of steps: an ``int > 0`` and not a ``bool``."""

COUNT = Kind(
    "count",
    (*_NOT_INT, refuse("-1", -1), Variant("numpy int", lambda v: np.int64(v), "same")),
    st.one_of(st.integers(max_value=-1), st.floats(), _WRONG_TYPES),
)
"""A count that may be zero (warm-up transitions): an ``int >= 0`` and not a ``bool``."""

INDEX = Kind(
    "index",
    (*_NOT_INT, Variant("numpy int", lambda v: np.int64(v), "same")),
    st.one_of(st.floats(), _WRONG_TYPES),
)
"""An int whose range is the callee's business (a start token, an axis): not a ``bool``."""


def _number(low: float, high: float, *, low_open: bool, high_open: bool) -> Kind:
    outside = []
    if math.isfinite(low):
        outside.append(st.floats(max_value=low, exclude_max=not low_open, allow_nan=False))
    if math.isfinite(high):
        outside.append(st.floats(min_value=high, exclude_min=not high_open, allow_nan=False))
    bad = [
        refuse("True", True),
        refuse("None", None),
        Variant("str", lambda v: str(v)),
        refuse("nan", math.nan),
        refuse("inf", math.inf),
        refuse("-inf", -math.inf),
        Variant("numpy float", lambda v: np.float64(v), "same"),
    ]
    if math.isfinite(low):
        bad.append(refuse(f"{low} - 1", low - 1.0))
        if low_open:
            bad.append(refuse(f"{low}", low))
    if math.isfinite(high):
        bad.append(refuse(f"{high} + 1", high + 1.0))
        if high_open:
            bad.append(refuse(f"{high}", high))
    return Kind(
        "number", tuple(bad), st.one_of(*outside, st.just(math.nan), st.booleans(), st.none())
    )


RATE = _number(0.0, 1.0, low_open=False, high_open=False)
"""A probability in ``[0, 1]`` (a dropout rate)."""
RATE_BELOW_ONE = _number(0.0, 1.0, low_open=False, high_open=True)
"""A rate in ``[0, 1)`` (attention dropout, Adam's betas)."""
OPEN_RATE = _number(0.0, 1.0, low_open=True, high_open=True)
"""A probability strictly inside ``(0, 1)`` (NUTS's target acceptance)."""
POSITIVE = _number(0.0, math.inf, low_open=True, high_open=False)
"""A finite real number ``> 0`` (learning rate, eps, temperature, max_norm)."""
NONNEGATIVE = _number(0.0, math.inf, low_open=False, high_open=False)
"""A finite real number ``>= 0`` (momentum, weight decay)."""


def _copy(t: Any) -> Any:
    return sn.tensor(np.array(t.numpy()))


def _nan_like(t: Any) -> Any:
    return sn.tensor(np.full(t.numpy().shape, np.nan, dtype=t.numpy().dtype))


_NOT_TENSOR = (
    Variant("ndarray", lambda t: np.array(t.numpy())),
    refuse("None", None),
    Variant("list", lambda t: t.numpy().tolist()),
    refuse("float", 1.0),
    refuse("str", "x"),
    Variant("copy", _copy, "same"),
)
_NOT_TENSOR_RANDOM = st.one_of(
    st.none(),
    st.floats(),
    st.integers(),
    st.text(max_size=3),
    st.lists(st.floats(allow_nan=False), max_size=4),
    st.builds(np.zeros, st.tuples(st.integers(0, 3), st.integers(0, 3))),
)


def _widen(t: Any) -> Any:
    a = t.numpy()
    return sn.tensor(np.concatenate([a, a[..., :1]], axis=-1))


TENSOR = Kind(
    "tensor",
    (
        *_NOT_TENSOR,
        Variant("int64 tensor", lambda t: sn.tensor(np.zeros(t.numpy().shape, np.int64))),
        Variant("scalar tensor", lambda t: sn.tensor(np.array(1.0, t.numpy().dtype))),
        Variant("one more feature", _widen),
        Variant("all NaN", _nan_like, "nan"),
    ),
    _NOT_TENSOR_RANDOM,
)
"""A float tensor with a fixed feature size (a layer's input)."""

ELEMENTWISE = Kind(
    "elementwise tensor",
    (
        *_NOT_TENSOR,
        Variant("int64 tensor", lambda t: sn.tensor(np.zeros(t.numpy().shape, np.int64))),
        Variant("all NaN", _nan_like, "nan"),
    ),
    _NOT_TENSOR_RANDOM,
)
"""A float tensor of any shape (an activation's input)."""

OPERAND = Kind("operand", _NOT_TENSOR, _NOT_TENSOR_RANDOM)
"""A tensor an op takes in any dtype: only the input rule is fuzzed."""

IDS = Kind(
    "ids",
    (
        *_NOT_TENSOR,
        Variant("float tensor", lambda t: sn.tensor(t.numpy().astype(np.float32) + 0.5)),
    ),
    _NOT_TENSOR_RANDOM,
)
"""An int64 tensor of token ids."""


ARRAY_IDS = Kind(
    "ids, arrays accepted",
    (
        Variant("ndarray", lambda t: np.array(t.numpy()), "same"),
        Variant("list", lambda t: t.numpy().tolist(), "same"),
        refuse("None", None),
        refuse("str", "x"),
        Variant("copy", _copy, "same"),
    ),
    st.one_of(st.none(), st.text(max_size=3)),
)
"""Token ids where arrays are documented to be accepted (``QvrProgram.forward``)."""


def _first(pair: Any) -> Any:
    return pair[0]


PAIR = Kind(
    "pair",
    (
        refuse("None", None),
        Variant("first only", _first),
        Variant("ndarray inside", lambda p: (np.array(p[0].numpy()), p[1])),
        Variant("None inside", lambda p: (p[0], None)),
        Variant("three", lambda p: (p[0], p[1], p[1])),
        Variant("list", lambda p: [p[0], p[1]], "same"),
    ),
    st.one_of(st.none(), st.integers(), st.tuples(st.none(), st.none()), st.text(max_size=3)),
)
"""A ``(source, target)`` pair of tensors."""

TENSOR_LIST = Kind(
    "tensors",
    (
        refuse("None", None),
        Variant("one tensor", _first),
        Variant("ndarray inside", lambda p: [np.array(p[0].numpy()), *p[1:]]),
        Variant("None inside", lambda p: [p[0], None]),
        refuse("empty", []),
        Variant("tuple", tuple, "same"),
    ),
    st.one_of(st.none(), st.integers(), st.lists(st.none(), min_size=1), st.just([])),
)
"""A list of one or more tensors (``concat``, ``Concat``)."""

_INTS_VARIANTS = (
    refuse("None", None),
    refuse("str", "ab"),
    Variant("bool inside", lambda s: (True, *s[1:])),
    Variant("float inside", lambda s: (float(s[0]) + 0.5, *s[1:])),
    Variant("None inside", lambda s: (None, *s[1:])),
    Variant("numpy ints", lambda s: tuple(np.int64(d) for d in s), "same"),
    Variant("list", list, "same"),
)
_INTS_RANDOM = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=3),
    st.lists(st.one_of(st.floats(), st.booleans(), st.none()), min_size=1, max_size=3),
)

INTS = Kind("ints", _INTS_VARIANTS, _INTS_RANDOM)
"""A tuple of ints whose values the callee checks (axes, sizes, a reshape target with -1)."""

SHAPE = Kind(
    "shape",
    (*_INTS_VARIANTS, Variant("negative inside", lambda s: (-1, *s[1:]))),
    _INTS_RANDOM,
)
"""A concrete shape: a tuple of ints ``>= 0``."""

RNG = Kind(
    "rng",
    (
        refuse("True", True),
        refuse("None", None),
        refuse("-1", -1),
        refuse("str", "0"),
        refuse("float", 1.5),
        Variant("generator", lambda seed: np.random.default_rng(seed), "same"),
    ),
    st.one_of(st.integers(max_value=-1), st.floats(), st.text(max_size=3), st.booleans()),
)
"""A ``numpy.random.Generator`` or an int seed ``>= 0`` (good value: an int seed)."""


def _is_float_dtype(text: str) -> bool:
    """``"f"``, ``"f8"``, ``"double"``...: legal dtype spellings the random strings may hit.

    NumPy's deprecated aliases (``"a"``) count too, so they are not drawn: NumPy warns about
    them before the library can refuse them (a known gap, reported, in files not owned here).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            return np.dtype(text) in (np.dtype(np.float32), np.dtype(np.float64))
    except DeprecationWarning:
        return True
    except (TypeError, ValueError, SyntaxError):
        return False


DTYPE = Kind(
    "dtype",
    (
        refuse("None", None),
        refuse("int64", np.int64),
        refuse("float16", "float16"),
        refuse("bool", bool),
        refuse("nonsense", "nope"),
        refuse("3", 3),
        Variant("np.dtype", lambda d: np.dtype(d), "same"),
    ),
    st.one_of(st.text(max_size=4).filter(lambda s: not _is_float_dtype(s)), st.integers()),
)
"""A parameter dtype: float32 or float64."""


TENSOR_DTYPE = Kind(
    "tensor dtype",
    (
        refuse("float16", "float16"),
        refuse("nonsense", "nope"),
        refuse("3", 3),
        refuse("complex", np.complex64),
        Variant("np.dtype", lambda d: np.dtype(d), "same"),
    ),
    st.sampled_from(["float16", "int8", "uint8", "nope", "complex64"]),
)
"""A tensor dtype: float32, float64, int64 or bool."""


def choice(options: Sequence[str]) -> Kind:
    """One of a few names (an encoder kind, an inference rule)."""
    return Kind(
        "choice",
        (refuse("None", None), refuse("nonsense", "nope"), refuse("3", 3), refuse("True", True)),
        st.text(max_size=6).filter(lambda s: s not in options),
    )


FLAG = Kind(
    "flag",
    (refuse("None", None), refuse("str", "no"), refuse("0", 0), refuse("1", 1)),
    st.one_of(st.none(), st.text(max_size=3), st.integers(), st.floats()),
)
"""A switch: ``True`` or ``False``, nothing that merely converts to one."""

NAMES = Kind(
    "names",
    (refuse("None inside", (None,)), refuse("int inside", (3,)), refuse("empty", ())),
    st.tuples(st.one_of(st.none(), st.integers(), st.floats())),
)
"""Package names: one or more strings."""

PATH = Kind(
    "path",
    (refuse("None", None), refuse("3", 3), refuse("bytes", b"m.snn"), refuse("list", ["m"])),
    st.one_of(st.none(), st.integers(), st.floats()),
)
"""A file path: a ``str`` or an ``os.PathLike`` (the good value "" means: the test's own)."""

OBJECT = Kind(
    "object",
    (refuse("None", None), refuse("3", 3), refuse("str", "x"), refuse("ndarray", np.zeros(2))),
    st.one_of(st.none(), st.integers(), st.text(max_size=3)),
)
"""A module, an optimizer or a callable: the wrong kind of object is refused."""


def _real_array(nan: Expect) -> Kind:
    return Kind(
        "real array",
        (
            refuse("None", None),
            refuse("str", "x"),
            Variant("object array", lambda a: np.full(np.shape(a), None)),
            Variant("bool array", lambda a: np.asarray(a) > 0),
            Variant("list", lambda a: np.asarray(a).tolist(), "same"),
            Variant("tensor", lambda a: sn.tensor(np.array(a)), "same"),
            Variant("all NaN", lambda a: np.full(np.shape(a), np.nan), nan),
        ),
        st.one_of(st.none(), st.text(max_size=3)),
    )


REAL_ARRAY = _real_array("nan")
"""Real numbers as an array, a list or a tensor, NaN propagated (a Normal's ``loc``)."""
FINITE_ARRAY = _real_array("refuse")
"""Real, finite numbers as an array, a list or a tensor (a Categorical's logits)."""
