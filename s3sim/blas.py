"""One BLAS thread while the model runs (deterministic, and fair on a shared machine)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

__all__ = ["one_blas_thread"]

_BLAS = ThreadpoolController()
_DEPTH = [0]  # nesting of one_blas_thread sections (the limit is process-wide)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread; nested sections reuse the outer limit.

    Setting the limit inspects every loaded BLAS library (about 1 ms), so
    ``S3Model.run`` sets it once for all its years rather than once per year.
    """
    if _DEPTH[0]:
        _DEPTH[0] += 1
        try:
            yield
        finally:
            _DEPTH[0] -= 1
        return
    with _BLAS.limit(limits=1, user_api="blas"):
        _DEPTH[0] = 1
        try:
            yield
        finally:
            _DEPTH[0] = 0
