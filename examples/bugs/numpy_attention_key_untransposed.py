"""NumPy attention scores against an untransposed key.

``q @ k`` contracts the query's features with the key's time axis; it needs ``k`` swapped.
"""

import numpy as np
from jaxtyping import Float


def scores(
    q: Float[np.ndarray, "b t d"], k: Float[np.ndarray, "b s d"], scale: float
) -> Float[np.ndarray, "b t s"]:
    return q @ k * scale  # E: "@": the left operand's last dim is d, the right operand's dim -2 is s (ndarray[b, t, d] @ ndarray[b, s, d])  [shape]


def main() -> None:
    scores(np.ones((2, 3, 8)), np.ones((2, 4, 8)), 8**-0.5)
