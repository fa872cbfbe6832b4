"""An ``np.einsum`` that writes its output axes in the wrong order.

Attention scores are [batch, query, key]: ``->bts``, not ``->bst``.
"""

import numpy as np
from jaxtyping import Float


def scores(q: Float[np.ndarray, "b t d"], k: Float[np.ndarray, "b s d"]) -> Float[np.ndarray, "b t s"]:
    return np.einsum("btd,bsd->bst", q, k)  # E: Return value ndarray[b, s, t] does not match the declared ndarray[b, t, s]: dim 1 is s, expected t  [shape]


def main() -> None:
    scores(np.ones((2, 3, 8)), np.ones((2, 4, 8)))
