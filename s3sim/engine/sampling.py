"""Inverse-transform sampling of one column per row from non-negative weight rows."""

from __future__ import annotations

import numpy as np

from s3sim.engine.kernels import MAX_PAIRWISE, kernel_row_targets

__all__ = ["row_cdf", "sample_kernel_rows", "sample_kernel_rows_numpy", "sample_rows",
           "sample_subsidised"]


def row_cdf(weights: np.ndarray) -> np.ndarray:
    """Flat, offset row CDFs of a non-negative weight matrix (see :func:`sample_rows`).

    A row of zeros gets a CDF of zeros (it samples its last column).
    """
    totals = weights.sum(axis=1, keepdims=True)
    totals[totals == 0] = 1.0
    cdf = np.cumsum(weights, axis=1) / totals
    cdf += np.arange(weights.shape[0])[:, None]
    return cdf.ravel()


def sample_rows(cdf_flat: np.ndarray, rows: np.ndarray, u: np.ndarray, width: int) -> np.ndarray:
    """Draw one column per row from row-wise CDFs stored flat with a row offset.

    ``cdf_flat[r * width + j] = r + CDF_r(j)`` is increasing, so a single
    ``searchsorted`` samples every row at once.

    Examples
    --------
    >>> cdf = row_cdf(np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]))
    >>> sample_rows(cdf, np.array([0, 0, 1]), np.array([0.2, 0.7, 0.9]), 3).tolist()
    [0, 2, 1]
    """
    pos = np.searchsorted(cdf_flat, rows + u, side="right")
    return np.minimum(pos - rows * width, width - 1)


def sample_kernel_rows(base: np.ndarray, market: np.ndarray, source: np.ndarray,
                       u: np.ndarray) -> np.ndarray:
    """One column per draw with weights ``base[source, q] * market[q]``.

    The compiled :func:`s3sim.engine.kernels.kernel_row_targets` builds one CDF row
    at a time for the distinct sources only, with the same floating-point operations as
    :func:`sample_kernel_rows_numpy` (the same draws give the same columns; the one
    exception is a uniform of exactly 0 where the flat CDF is not monotone at a row
    boundary, in which ``searchsorted`` returned column -1 and the kernel returns the
    row's first column with positive weight).
    """
    if (source.size and base.flags.c_contiguous and base.dtype == np.float64
            and base.shape[1] < MAX_PAIRWISE):
        return kernel_row_targets(base, np.ascontiguousarray(market, dtype=np.float64),
                                  np.ascontiguousarray(source),
                                  np.ascontiguousarray(u))
    return sample_kernel_rows_numpy(base, market, source, u)


def sample_kernel_rows_numpy(base: np.ndarray, market: np.ndarray, source: np.ndarray,
                             u: np.ndarray) -> np.ndarray:
    """Reference numpy version of :func:`sample_kernel_rows` (CDFs of the needed rows only)."""
    rows, inverse = np.unique(source, return_inverse=True)
    return sample_rows(row_cdf(base[rows] * market), inverse, u, base.shape[1])


def sample_subsidised(base: np.ndarray, market: np.ndarray, sigma: np.ndarray,
                      source: np.ndarray, region: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Targets drawn with weight ``base[source, q] * market[q] * sigma[region, q]``.

    Only the columns subsidised somewhere are materialised (a few for targeted
    instruments, all for a horizontal subsidy).
    """
    if source.size == 0:
        return source.astype(np.int64)
    cols = np.flatnonzero(sigma.any(axis=0))
    weights = base[np.ix_(source, cols)] * (market[cols] * sigma[np.ix_(region, cols)])
    idx = sample_rows(row_cdf(weights), np.arange(source.size), u, cols.size)
    return cols[idx]
