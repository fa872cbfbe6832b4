"""A NumPy head split whose sizes do not multiply back.

Four heads of 12 features are 48, not the 64 the model has.
"""

import numpy as np
from jaxtyping import Float


def split_heads(x: Float[np.ndarray, "b t 64"]) -> Float[np.ndarray, "b t 4 12"]:
    b, t, _ = x.shape
    return x.reshape(b, t, 4, 12)  # E: reshape: ndarray[b, t, 64] has 64*b*t elements, the new shape (b, t, 4, 12) has 48*b*t  [shape]


def main() -> None:
    split_heads(np.ones((2, 3, 64)))
