"""Compiled kernels reproduce the numpy expressions they replace, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from s3sim.engine.kernels import kernel_row_targets, pairwise_sum
from s3sim.engine.sampling import sample_kernel_rows_numpy


@pytest.mark.parametrize("n", [1, 7, 8, 100, 128, 129, 300, 865, 5000])
def test_pairwise_sum_equals_numpy_row_sums(n: int) -> None:
    rng = np.random.default_rng(n)
    w = rng.lognormal(0.0, 3.0, (50, n))
    expected = w.sum(axis=1)
    got = np.array([pairwise_sum(row, 0, n) for row in w])
    assert np.array_equal(got, expected)


def test_kernel_targets_equal_numpy_sampling() -> None:
    rng = np.random.default_rng(3)
    n_p = 300
    base = rng.random((n_p, n_p)) ** 4
    base[rng.random((n_p, n_p)) < 0.3] = 0.0
    base[7] = 0.0  # a row of zeros samples its last column
    np.fill_diagonal(base, 0.0)
    for _ in range(20):
        market = np.exp(rng.normal(0.0, 1.0, n_p))
        source = rng.integers(0, n_p, 3000).astype(np.int32)
        u = rng.random(3000, dtype=np.float32)
        u = np.where(u == 0, np.float32(0.5), u)
        expected = sample_kernel_rows_numpy(base, market, source, u)
        assert np.array_equal(kernel_row_targets(base, market, source, u), expected)


def test_first_occurrences_equal_numpy_unique() -> None:
    from s3sim.engine.kernels import first_occurrences
    values = np.random.default_rng(5).integers(0, 500, 4000)
    uniq, first = first_occurrences(values, 1000)
    want_uniq, want_first = np.unique(values, return_index=True)
    assert np.array_equal(uniq, want_uniq) and np.array_equal(first, want_first)
    with pytest.raises(ValueError):
        first_occurrences(np.array([3, -1]), 10)
