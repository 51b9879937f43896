"""Compiled (numba) building blocks shared by the kernels of several subpackages.

Each is compiled on first use (numba is imported lazily, so ``import radiocausal`` stays light)
and cached on disk.  They are meant to be called from other ``numba.njit`` functions.
"""

from __future__ import annotations

import numpy as np

_CHOLESKY = None


def cholesky_kernel():
    """Compile (once, cached on disk) the in-place Cholesky factorisation of a small SPD matrix.

    ``cholesky(a, low, d)`` reads the lower triangle of ``a[:d, :d]``, writes its factor ``L``
    (``a = L L'``) into the lower triangle of ``low`` and returns ``False`` as soon as a pivot is not
    positive (not positive definite, or NaN), ``True`` otherwise.  It is inlined into its callers,
    so it runs under their fast-math flags.  Used by the Newton steps of the association scans
    (:mod:`radiocausal.stats._engines`) and the batched inverse of the factor model
    (:mod:`radiocausal.models.factors`).
    """
    global _CHOLESKY
    if _CHOLESKY is not None:
        return _CHOLESKY
    import numba

    @numba.njit(cache=True, inline="always")
    def cholesky(a, low, d):  # pragma: no cover - compiled
        for c in range(d):
            acc = a[c, c]
            for j in range(c):
                acc -= low[c, j] * low[c, j]
            if not (acc > 0.0):
                return False
            low[c, c] = np.sqrt(acc)
            for r in range(c + 1, d):
                acc2 = a[r, c]
                for j in range(c):
                    acc2 -= low[r, j] * low[c, j]
                low[r, c] = acc2 / low[c, c]
        return True

    _CHOLESKY = cholesky
    return cholesky
