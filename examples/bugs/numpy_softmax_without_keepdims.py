"""A NumPy softmax that forgot ``keepdims=True``.

The row sums lose their axis, so they line up with the wrong axis of ``e``.
"""

import numpy as np
from jaxtyping import Float


def softmax(z: Float[np.ndarray, "b n"]) -> Float[np.ndarray, "b n"]:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1)  # E: operands of "/" do not broadcast: last dim is n in one, b in another (ndarray[b, n], ndarray[b])  [shape]


def main() -> None:
    softmax(np.ones((2, 5)))
