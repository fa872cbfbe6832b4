"""NumPy's overloaded ops on arrays with dims: the shape whichever item mypy settles on.

The plugin lets mypy try one of an op's dtype overloads where every one would answer alike (an
array of unknown dtype), and weighs an elementwise ufunc's items once for such operands; the
forms below take the other paths (keywords, reflected operators, a known dtype, ``out=``).
"""
from typing import reveal_type

import numpy as np
from jaxtyping import Float


def reflected(x: Float[np.ndarray, "b 3"]) -> Float[np.ndarray, "b 3"]:
    reveal_type(2.0 - x)  # N: Revealed type is "numpy.ndarray[tuple[b, Literal[3]], numpy.dtype[Any]]"
    reveal_type(1 / x)  # N: Revealed type is "numpy.ndarray[tuple[b, Literal[3]], numpy.dtype[Any]]"
    reveal_type(x > 0)  # N: Revealed type is "numpy.ndarray[tuple[b, Literal[3]], numpy.dtype[Any]]"
    return 2.0 * x - x / 2


def keywords(x: Float[np.ndarray, "b t d"]) -> Float[np.ndarray, "b d"]:
    reveal_type(x.sum(axis=1, keepdims=True))  # N: Revealed type is "numpy.ndarray[tuple[b, Literal[1], d], numpy.dtype[Any]]"
    reveal_type(x.max(1))  # N: Revealed type is "numpy.ndarray[tuple[b, d], numpy.dtype[Any]]"
    reveal_type(x.mean(keepdims=False, axis=-1))  # N: Revealed type is "numpy.ndarray[tuple[b, t], numpy.dtype[Any]]"
    return x.mean(axis=1)


def reshapes(x: Float[np.ndarray, "b 12"]) -> Float[np.ndarray, "b 3 4"]:
    b, _ = x.shape
    reveal_type(x.reshape(b, 3, 4))  # N: Revealed type is "numpy.ndarray[tuple[b, Literal[3], Literal[4]], numpy.dtype[Any]]"
    reveal_type(x.reshape((b, 4, 3)))  # N: Revealed type is "numpy.ndarray[tuple[b, Literal[4], Literal[3]], numpy.dtype[Any]]"
    reveal_type(x.reshape(-1))  # N: Revealed type is "numpy.ndarray[tuple[Any], numpy.dtype[Any]]"
    return x.reshape(b, 3, 4)


def ufuncs(x: Float[np.ndarray, "b 3"], y: Float[np.ndarray, "3"]) -> Float[np.ndarray, "b 3"]:
    reveal_type(np.tanh(x - y))  # N: Revealed type is "numpy.ndarray[tuple[b, Literal[3]], numpy.dtype[Any]]"
    reveal_type(np.maximum(x, 0.0))  # N: Revealed type is "numpy.ndarray[tuple[b, Literal[3]], numpy.dtype[Any]]"
    reveal_type(np.add(y, np.exp(x)))  # N: Revealed type is "numpy.ndarray[tuple[b, Literal[3]], numpy.dtype[Any]]"
    reveal_type(np.tanh(x, out=x))  # N: Revealed type is "numpy.ndarray[tuple[b, Literal[3]], numpy.dtype[Any]]"
    return np.exp(np.tanh(x) * y)


def known_dtype(k: np.ndarray[tuple[int, int], np.dtype[np.float64]], x: Float[np.ndarray, "b 3"]) -> None:
    reveal_type(np.tanh(k))  # N: Revealed type is "numpy.ndarray[tuple[Any, Any], numpy.dtype[Any]]"
    reveal_type(k - 1.0)  # N: Revealed type is "numpy.ndarray[tuple[Any, Any], numpy.dtype[numpy.float64]]"
    reveal_type(np.maximum(x, k))  # N: Revealed type is "numpy.ndarray[tuple[b, Literal[3]], numpy.dtype[Any]]"


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3))
    reflected(x)
    keywords(rng.standard_normal((2, 4, 3)))
    reshapes(rng.standard_normal((2, 12)))
    ufuncs(x, rng.standard_normal(3))
    known_dtype(rng.standard_normal((2, 3)), x)
