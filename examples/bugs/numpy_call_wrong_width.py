"""A NumPy model that feeds a 32-wide encoding to a 64-wide head.

Calls between jaxtyping-annotated functions bind each named dim per call, as at run time.
"""

import numpy as np
from jaxtyping import Float


def head(x: Float[np.ndarray, "b 64"], w: Float[np.ndarray, "64 10"]) -> Float[np.ndarray, "b 10"]:
    return x @ w


def model(x: Float[np.ndarray, "b 32"], w: Float[np.ndarray, "64 10"]) -> Float[np.ndarray, "b 10"]:
    return head(x, w)  # E: "head" expects dim 1 = 64, got 32 in argument "x" (ndarray[b, 32])  [shape]


def main() -> None:
    model(np.ones((2, 32)), np.ones((64, 10)))
