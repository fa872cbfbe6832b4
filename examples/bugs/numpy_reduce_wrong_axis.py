"""A NumPy mean over the features instead of over time.

Averaging a time-major sequence over time drops axis 0, not the last one.
"""

import numpy as np
from jaxtyping import Float


def mean_over_time(h: Float[np.ndarray, "t b d"]) -> Float[np.ndarray, "b d"]:
    return h.mean(axis=-1)  # E: Return value ndarray[t, b] does not match the declared ndarray[b, d]: dim 0 is t, expected b  [shape]


def main() -> None:
    mean_over_time(np.ones((5, 2, 3)))
