"""Compiled (numba) kernels that reproduce numpy hot paths bit for bit.

A kernel here replaces a numpy expression only when it performs the same
floating-point operations in the same order, so the engine's outputs do not change
(``tests/test_engine_reference.py``, ``tests/test_kernels.py``):

- :func:`pairwise_sum` is numpy's pairwise summation of a contiguous float64 vector
  (``numpy/_core/src/umath/loops_utils.h.src``: blocks of 128 summed with 8
  accumulators, halves split at multiples of 8), which ``ndarray.sum(axis=-1)`` uses
  for each row of a C-contiguous matrix;
- :func:`kernel_row_targets` is ``sampling.row_cdf`` + ``sampling.sample_rows`` on the
  rows ``base[rows] * market`` without materialising the (rows x P) CDF matrix.

Compiled once per machine (``cache=True``: the compile cost, ~1-2 s, is paid by the
first process and read back from ``__pycache__`` afterwards).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["MAX_PAIRWISE", "first_occurrences", "kernel_row_targets", "pairwise_sum",
           "sum_rows"]

_BLOCK = 128  # numpy's PW_BLOCKSIZE


@numba.njit(cache=True, nogil=True)
def _block_sum(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover - compiled
    """Leaf of numpy's pairwise sum (``n <= 128``)."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    m = n - n % 8
    i = 8
    while i < m:
        j = lo + i
        r0 += a[j]
        r1 += a[j + 1]
        r2 += a[j + 2]
        r3 += a[j + 3]
        r4 += a[j + 4]
        r5 += a[j + 5]
        r6 += a[j + 6]
        r7 += a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


# numpy recurses (halves split at multiples of 8); numba's cache cannot hold recursive
# functions, so each level of the recursion is its own function (7 levels: n < 16,384)


@numba.njit(cache=True, nogil=True)
def _pw1(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover - compiled
    if n <= _BLOCK:
        return _block_sum(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _block_sum(a, lo, n2) + _block_sum(a, lo + n2, n - n2)


@numba.njit(cache=True, nogil=True)
def _pw2(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover - compiled
    if n <= _BLOCK:
        return _block_sum(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pw1(a, lo, n2) + _pw1(a, lo + n2, n - n2)


@numba.njit(cache=True, nogil=True)
def _pw3(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover - compiled
    if n <= _BLOCK:
        return _block_sum(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pw2(a, lo, n2) + _pw2(a, lo + n2, n - n2)


@numba.njit(cache=True, nogil=True)
def _pw4(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover - compiled
    if n <= _BLOCK:
        return _block_sum(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pw3(a, lo, n2) + _pw3(a, lo + n2, n - n2)


@numba.njit(cache=True, nogil=True)
def _pw5(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover - compiled
    if n <= _BLOCK:
        return _block_sum(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pw4(a, lo, n2) + _pw4(a, lo + n2, n - n2)


@numba.njit(cache=True, nogil=True)
def _pw6(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover - compiled
    if n <= _BLOCK:
        return _block_sum(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pw5(a, lo, n2) + _pw5(a, lo + n2, n - n2)


@numba.njit(cache=True, nogil=True)
def _pw7(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover - compiled
    if n <= _BLOCK:
        return _block_sum(a, lo, n)
    n2 = n // 2
    n2 -= n2 % 8
    return _pw6(a, lo, n2) + _pw6(a, lo + n2, n - n2)


MAX_PAIRWISE = _BLOCK * 2 ** 7
"""Longest vector :func:`pairwise_sum` handles (numpy's recursion depth 7)."""


@numba.njit(cache=True, nogil=True)
def pairwise_sum(a: np.ndarray, lo: int, n: int) -> float:  # pragma: no cover - compiled
    """``a[lo:lo + n].sum()`` as numpy computes it for contiguous float64 (n < MAX_PAIRWISE)."""
    return _pw7(a, lo, n)


@numba.njit(cache=True, nogil=True)
def kernel_row_targets(base: np.ndarray, market: np.ndarray, source: np.ndarray,
                       u: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """One column per draw with weight ``base[source[i], q] * market[q]``.

    Equal to ``sample_rows(row_cdf(base[rows] * market), inverse, u, P)`` with
    ``rows, inverse = np.unique(source, return_inverse=True)``: row ``k`` (the k-th
    distinct source, ascending) has the flat CDF ``k + cumsum(w)_j / sum(w)`` (``sum``
    pairwise, as numpy's), and each draw takes the first column whose value exceeds
    ``k + u`` (``searchsorted(side="right")``), capped at ``P - 1``.
    """
    n_rows, width = base.shape
    rank = np.full(n_rows, -1, dtype=np.int64)
    for s in source:
        rank[s] = 0
    k = 0
    for p in range(n_rows):  # distinct sources in ascending order, as np.unique
        if rank[p] >= 0:
            rank[p] = k
            k += 1
    n_distinct = k
    counts = np.zeros(n_distinct + 1, dtype=np.int64)
    for s in source:
        counts[rank[s] + 1] += 1
    for j in range(n_distinct):
        counts[j + 1] += counts[j]
    order = np.empty(source.size, dtype=np.int64)
    fill = counts[:-1].copy()
    for i in range(source.size):
        r = rank[source[i]]
        order[fill[r]] = i
        fill[r] += 1
    out = np.empty(source.size, dtype=np.int64)
    w = np.empty(width)
    cum = np.empty(width)
    row_of = np.empty(n_distinct, dtype=np.int64)
    for p in range(n_rows):
        if rank[p] >= 0:
            row_of[rank[p]] = p
    for k in range(n_distinct):
        p = row_of[k]
        for q in range(width):
            w[q] = base[p, q] * market[q]
        total = pairwise_sum(w, 0, width)
        if total == 0.0:
            total = 1.0
        offset = float(k)
        acc = 0.0
        for q in range(width):
            acc += w[q]
            cum[q] = acc
        for t in range(counts[k], counts[k + 1]):
            i = order[t]
            key = offset + np.float64(u[i])
            lo, hi = 0, width
            while lo < hi:  # first q whose CDF value cum[q] / total + k exceeds key
                mid = (lo + hi) >> 1
                if cum[mid] / total + offset <= key:
                    lo = mid + 1
                else:
                    hi = mid
            out[i] = min(lo, width - 1)
    return out


@numba.njit(cache=True, nogil=True)
def first_occurrences(values: np.ndarray, n_values: int
                      ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """``np.unique(values, return_index=True)`` for integers in ``[0, n_values)``.

    The distinct values ascending and the index of each one's first occurrence, by a
    pass over a table of ``n_values`` instead of a sort (integers: exact).
    """
    first = np.full(n_values, -1, dtype=np.int64)
    for i in range(values.size):
        v = values[i]
        if v < 0 or v >= n_values:
            raise ValueError("first_occurrences: value out of range")
        if first[v] < 0:
            first[v] = i
    n = 0
    for v in range(n_values):
        if first[v] >= 0:
            n += 1
    uniq = np.empty(n, dtype=np.int64)
    index = np.empty(n, dtype=np.int64)
    k = 0
    for v in range(n_values):
        if first[v] >= 0:
            uniq[k] = v
            index[k] = first[v]
            k += 1
    return uniq, index


@numba.njit(cache=True, nogil=True)
def sum_rows(a: np.ndarray, rows: np.ndarray) -> np.ndarray:  # pragma: no cover - compiled
    """``a[rows].sum(axis=0)`` without the gathered copy (numpy adds the rows in order)."""
    out = np.zeros(a.shape[1])
    for r in rows:
        for j in range(a.shape[1]):
            out[j] += a[r, j]
    return out
