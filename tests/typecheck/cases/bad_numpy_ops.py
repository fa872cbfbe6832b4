"""NumPy ops on jaxtyping-annotated arrays: what NumPy itself would refuse is a shape error."""
import numpy as np
from jaxtyping import Float, Int


def matmul(x: Float[np.ndarray, "b 3"], w: Float[np.ndarray, "4 5"], v: Float[np.ndarray, "5"]) -> None:
    x @ w  # E: "@": the left operand's last dim is 3, the right operand's dim -2 is 4 (ndarray[b, 3] @ ndarray[4, 5])  [shape]
    np.matmul(x, w)  # E: np.matmul: the left operand's last dim is 3, the right operand's dim -2 is 4 (ndarray[b, 3] @ ndarray[4, 5])  [shape]
    np.dot(x, w)  # E: np.dot: the left operand's last dim is 3, the right operand's dim -2 is 4 (ndarray[b, 3] @ ndarray[4, 5])  [shape]
    w @ v
    x @ 2.0  # E: "@": a scalar cannot be a matmul operand (ndarray[b, 3] @ ndarray[()])  [shape]


def broadcast(x: Float[np.ndarray, "b 3"], y: Float[np.ndarray, "4"], z: Float[np.ndarray, "c 3"], one: Float[np.ndarray, "1 3"]) -> None:
    x + y  # E: operands of "+" do not broadcast: last dim is 3 in one, 4 in another (ndarray[b, 3], ndarray[4])  [shape]
    x * z  # E: operands of "*" do not broadcast: dim -2 is b in one, c in another (ndarray[b, 3], ndarray[c, 3])  [shape]
    np.add(x, y)  # E: operands of np.add do not broadcast: last dim is 3 in one, 4 in another (ndarray[b, 3], ndarray[4])  [shape]
    np.maximum(x, y)  # E: operands of np.maximum do not broadcast: last dim is 3 in one, 4 in another (ndarray[b, 3], ndarray[4])  [shape]
    np.where(x > 0, x, y)  # E: operands of np.where do not broadcast: last dim is 3 in one, 4 in another (ndarray[b, 3], ndarray[b, 3], ndarray[4])  [shape]
    x + one
    x - 1.0


def axes(x: Float[np.ndarray, "b t d"]) -> None:
    x.sum(axis=3)  # E: sum: axis 3 is out of range for [b, t, d] (rank 3)  [shape]
    np.mean(x, axis=-4)  # E: np.mean: axis -4 is out of range for [b, t, d] (rank 3)  [shape]
    x.swapaxes(0, 5)  # E: swapaxes: axis 5 is out of range for [b, t, d] (rank 3)  [shape]
    x.transpose(0, 1)  # E: transpose: axes [0, 1] are not a permutation of ndarray[b, t, d]  [shape]
    np.transpose(x, (0, 1, 1))  # E: np.transpose: axes [0, 1, 1] are not a permutation of ndarray[b, t, d]  [shape]
    np.moveaxis(x, 0, 3)  # E: np.moveaxis: axis 3 is out of range for [b, t, d] (rank 3)  [shape]


def joining(a: Float[np.ndarray, "b 3"], c: Float[np.ndarray, "b 4"], d: Float[np.ndarray, "b"]) -> None:
    np.concatenate([a, c], axis=0)  # E: np.concatenate: dims off axis 0 must agree: array 0 ndarray[b, 3] has 3 at dim 1, array 1 ndarray[b, 4] has 4  [shape]
    np.concatenate([a, d], axis=-1)  # E: np.concatenate: array 1 ndarray[b] has rank 1, array 0 ndarray[b, 3] has rank 2  [shape]
    np.concatenate([a, c], axis=2)  # E: np.concatenate: axis 2 is out of range for [b, 3] (rank 2)  [shape]
    np.stack([a, c])  # E: np.stack: array 1 ndarray[b, 4] differs from array 0 ndarray[b, 3]: all must have one shape  [shape]
    np.split(c, 3, axis=-1)  # E: np.split: dim -1 of ndarray[b, 4] is 4, which 3 equal parts do not divide  [shape]


def reshaping(x: Float[np.ndarray, "b 6"], y: Float[np.ndarray, "4 6"]) -> None:
    b, _ = x.shape
    x.reshape(b, 4)  # E: reshape: ndarray[b, 6] has 6*b elements, the new shape (b, 4) has 4*b  [shape]
    y.reshape(5, -1)  # E: reshape: ndarray[4, 6] has 24 elements, not a multiple of 5 ((5, -1))  [shape]
    y.reshape(-1, -1)  # E: reshape: (-1, -1) is not a shape (one -1 at most)  [shape]
    y.reshape(3, 8)


def indexing(x: Float[np.ndarray, "b 3"], table: Float[np.ndarray, "v d"], ids: Int[np.ndarray, "t"]) -> None:
    x[0, 1, 2]  # E: index: 3 indices for ndarray[b, 3] of rank 2  [shape]
    table[ids, 0, 1]  # E: index: 3 indices for ndarray[v, d] of rank 2  [shape]


def einsum(q: Float[np.ndarray, "b t 8"], k: Float[np.ndarray, "b s 4"]) -> None:
    np.einsum("btd,bsd->bts", q, k)  # E: np.einsum: subscript "d" is 8 in one operand, 4 in operand 1 ndarray[b, s, 4]  [shape]
    np.einsum("btd,bs->bts", q, k)  # E: np.einsum: operand 1 "bs" has 2 subscripts, the array ndarray[b, s, 4] has rank 3  [shape]
    np.einsum("btd->btx", q)  # E: np.einsum: output subscript of "btd->btx" names no input subscript  [shape]
    np.einsum("btd,bsd->bts", q)  # E: np.einsum: "btd,bsd->bts" names 2 operands, got 1  [shape]


def returned(x: Float[np.ndarray, "b 3"]) -> Float[np.ndarray, "b 4"]:
    return np.tanh(x)  # E: Return value ndarray[b, 3] does not match the declared ndarray[b, 4]: dim 1 is 3, expected 4  [shape]


def assigned(x: Float[np.ndarray, "b 3"]) -> None:
    y: Float[np.ndarray, "b 3 1"] = x * 2.0  # E: Assigned value ndarray[b, 3] does not match the declared ndarray[b, 3, 1]: rank 2, expected rank 3  [shape]
    z: Float[np.ndarray, "3"] = np.zeros((4,))  # E: Assigned value ndarray[4] does not match the declared ndarray[3]: dim 0 is 4, expected 3  [shape]


def plain_names(x: Float[np.ndarray, "b 3"]) -> Float[np.ndarray, "b 4"]:
    y: Float[np.ndarray, "b 3 1"] = x  # E: Assigned value ndarray[b, 3] does not match the declared ndarray[b, 3, 1]: rank 2, expected rank 3  [shape]
    return x  # E: Return value ndarray[b, 3] does not match the declared ndarray[b, 4]: dim 1 is 3, expected 4  [shape]


def callee(x: Float[np.ndarray, "b n"], y: Float[np.ndarray, "b n"]) -> Float[np.ndarray, "n"]:
    return (x * y).sum(axis=0)


def calls(x: Float[np.ndarray, "b 3"], y: Float[np.ndarray, "b 4"], z: Float[np.ndarray, "c 3"]) -> None:
    callee(x, y)  # E: "callee" expects dim 1 n = 3 (bound by argument "x"), got 4 in argument "y" (ndarray[b, 4])  [shape]
    callee(x, z)  # E: "callee" expects dim 0 = b (bound by argument "x"), got c in argument "y" (ndarray[c, 3])  [shape]
    callee(np.zeros((2, 3)), np.zeros((2, 3)))


def same_batch(x: Float[np.ndarray, "*batch 3"], y: Float[np.ndarray, "*batch 3"]) -> None: ...


def variadic_calls(a: Float[np.ndarray, "b t 3"], c: Float[np.ndarray, "b 3"]) -> None:
    same_batch(a, a)
    same_batch(a, c)  # E: "same_batch" expects dims [b, t] from dim 0 (bound by argument "x"), got [b] in argument "y" (ndarray[b, 3])  [shape]


def malformed(
    a: Float[np.ndarray, "b +"],  # E: jaxtyping dims "b +": "+": not a dim, a size or a Python expression of dims  [shape]
    c: Float[np.ndarray, "*a *b"],  # E: jaxtyping dims "*a *b": at most one variadic dim (*name or ...) per array  [shape]
    d: Float[np.ndarray, "a,b"],  # E: jaxtyping dims "a,b": "a,b": dims are separated by spaces, not commas  [shape]
    e: Float[np.ndarray, "#_"],  # E: jaxtyping dims "#_": "#_": a dim cannot be both anonymous (_) and broadcastable (#)  [shape]
    f: Float[np.ndarray, "b**2 min(b,c) x.y"],
) -> None: ...
