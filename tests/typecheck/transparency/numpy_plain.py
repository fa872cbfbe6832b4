"""Plain NumPy without shape annotations: mypy's own types, with or without the plugin."""

import numpy as np
from numpy.typing import NDArray


def layer(x: NDArray[np.float64], w: NDArray[np.float64]) -> NDArray[np.float64]:
    h = np.tanh(x @ w.T)
    reveal_type(h)
    reveal_type(h.sum(axis=-1, keepdims=True))
    reveal_type(np.concatenate([h, h], axis=-1))
    reveal_type(h.reshape(2, -1))
    reveal_type(h[0])
    return h / h.sum(axis=-1, keepdims=True)


zeros = np.zeros((3, 4))
reveal_type(zeros)
reveal_type(zeros.T)
reveal_type(np.einsum("ij,jk->ik", zeros, zeros.T))
reveal_type(zeros + 1)
layer(zeros, "w")
