"""Vectorised mass-univariate test engines.

Each engine takes one rectangular block of pairs — ``X`` (n × p features), ``G`` (n × q
genomic columns), ``A`` (n × k design of the covariates *with* the intercept column) — and
returns a dict of (p × q) arrays ``estimate``, ``se``, ``statistic``, ``p_value`` (plus
``converged`` and ``separated`` for the logistic engine).  Pairs that cannot be tested
(constant or collinear columns) get NaN.  Memory is bounded by processing the q genomic columns
(or, for the logistic engine, the p × q pairs) in chunks of at most ``budget`` array elements.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = ["linear_block", "spearman_block", "wilcoxon_block", "logistic_block", "orthonormal_basis"]

#: relative size below which a residual sum of squares counts as zero (column collinear with the
#: covariates): rounding leaves residuals of about 1e-16 of the data's norm, i.e. 1e-32 of its squares
_DEGENERATE = 1e-24


def orthonormal_basis(A: np.ndarray) -> tuple[np.ndarray, int]:
    """Orthonormal basis Q of the column space of ``A`` and its rank (``A`` must have full column rank)."""
    q, r = np.linalg.qr(A, mode="reduced")
    d = np.abs(np.diag(r))
    rank = int(np.sum(d > 1e-10 * max(d.max(initial=0.0), 1.0)))
    return q, rank


def _residualise(M: np.ndarray, Q: np.ndarray) -> np.ndarray:
    return M - Q @ (Q.T @ M)


def _ok_columns(resid_ss: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Non-constant columns whose variance is not (numerically) explained away by the covariates."""
    scale = np.sum(raw * raw, axis=0)
    varies = np.ptp(raw, axis=0) > 0 if raw.shape[0] else np.zeros(raw.shape[1], dtype=bool)
    return varies & (resid_ss > _DEGENERATE * np.maximum(scale, np.finfo(float).tiny))


def _chunks(total: int, size: int):
    size = max(1, int(size))
    for start in range(0, total, size):
        yield slice(start, min(total, start + size))


def _empty(p: int, q: int) -> dict[str, np.ndarray]:
    return {k: np.full((p, q), np.nan) for k in ("estimate", "se", "statistic", "p_value")}


def _t_from_products(cross, xx, gg, df):
    """Slope, SE, t and two-sided p of ``g ~ x`` on residualised data, from the inner products."""
    beta = cross / xx[:, None]
    rss = np.maximum(gg[None, :] - cross * beta, 0.0)
    se = np.sqrt(rss / df / xx[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = beta / se
    p = 2.0 * special.stdtr(df, -np.abs(t))
    return beta, se, t, p


def linear_block(X, G, A, budget: int) -> dict[str, np.ndarray]:
    """OLS ``G[:, j] ~ 1 + X[:, i] + covariates``: slope of the feature, its SE, t and p (df = n - k - 1)."""
    n, p = X.shape
    q = G.shape[1]
    Q, k = orthonormal_basis(A)
    df = n - k - 1
    out = _empty(p, q)
    Xr = _residualise(X, Q)
    xx = np.sum(Xr * Xr, axis=0)
    okx = _ok_columns(xx, X)
    step = budget // max(p + 2 * n, 1)
    for sl in _chunks(q, step):
        Gc = G[:, sl]
        Gr = _residualise(Gc, Q)
        gg = np.sum(Gr * Gr, axis=0)
        okg = _ok_columns(gg, Gc)
        cross = Xr.T @ Gr
        with np.errstate(divide="ignore", invalid="ignore"):
            beta, se, t, pv = _t_from_products(cross, xx, gg, df)
        ok = okx[:, None] & okg[None, :]
        for key, val in zip(("estimate", "se", "statistic", "p_value"), (beta, se, t, pv)):
            out[key][:, sl] = np.where(ok, val, np.nan)
    return out


def _rank(M: np.ndarray) -> np.ndarray:
    return stats.rankdata(M, axis=0, method="average") if M.size else M.astype(float)


def spearman_block(X, G, A, budget: int) -> dict[str, np.ndarray]:
    """Spearman's rho (partial rho given the covariates, all variables ranked), t-test with n - 2 - k df.

    ``estimate`` is rho, ``se`` is ``sqrt((1 - rho**2) / df)`` and ``statistic`` the t value.
    """
    n, p = X.shape
    q = G.shape[1]
    A_rank = A.copy()
    if A.shape[1] > 1:
        A_rank[:, 1:] = _rank(A[:, 1:])
    Q, k = orthonormal_basis(A_rank)
    df = n - k - 1
    out = _empty(p, q)
    RX = _rank(X)
    Xr = _residualise(RX, Q)
    xx = np.sum(Xr * Xr, axis=0)
    okx = _ok_columns(xx, RX)
    step = budget // max(p + 2 * n, 1)
    for sl in _chunks(q, step):
        RG = _rank(G[:, sl])
        Gr = _residualise(RG, Q)
        gg = np.sum(Gr * Gr, axis=0)
        okg = _ok_columns(gg, RG)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (Xr.T @ Gr) / np.sqrt(xx[:, None] * gg[None, :])
            r = np.clip(r, -1.0, 1.0)
            se = np.sqrt((1.0 - r * r) / df)
            t = r / se
        pv = 2.0 * special.stdtr(df, -np.abs(t))
        ok = okx[:, None] & okg[None, :]
        for key, val in zip(("estimate", "se", "statistic", "p_value"), (r, se, t, pv)):
            out[key][:, sl] = np.where(ok, val, np.nan)
    return out


def wilcoxon_block(X, G, A, budget: int) -> dict[str, np.ndarray]:
    """Wilcoxon rank-sum (Mann–Whitney) of each feature between mutated (1) and wild-type (0) samples.

    Normal approximation with tie correction and continuity correction, as
    ``scipy.stats.mannwhitneyu(x[g == 1], x[g == 0], method="asymptotic")``.  ``estimate`` is
    ``U / (n1 * n0)``: the probability that a mutated sample has the larger feature value (ties
    count one half; 0.5 under the null); ``se`` is its standard deviation under the null;
    ``statistic`` is the continuity-corrected z.
    """
    n, p = X.shape
    q = G.shape[1]
    out = _empty(p, q)
    R = _rank(X)
    # tie term sum(t^3 - t) per feature
    ties = np.zeros(p)
    for i in range(p):  # loop over features (not pairs): counts of tied values
        _, counts = np.unique(X[:, i], return_counts=True)
        ties[i] = np.sum(counts.astype(float) ** 3 - counts)
    step = budget // max(p + 2 * n, 1)
    for sl in _chunks(q, step):
        Gc = G[:, sl]
        n1 = Gc.sum(axis=0)
        n0 = n - n1
        U1 = R.T @ Gc - (n1 * (n1 + 1) / 2.0)[None, :]
        mu = (n1 * n0 / 2.0)[None, :]
        var = (n1 * n0 / 12.0)[None, :] * ((n + 1) - (ties / (n * (n - 1)))[:, None])
        with np.errstate(divide="ignore", invalid="ignore"):
            sd = np.sqrt(var)
            dev = U1 - mu
            z = (dev - 0.5 * np.sign(dev)) / sd
            z_abs = (np.abs(dev) - 0.5) / sd
            pv = np.minimum(1.0, 2.0 * special.ndtr(-z_abs))
            est = U1 / (n1 * n0)[None, :]
            se = sd / (n1 * n0)[None, :]
        ok = (var > 0) & ((n1 > 0) & (n0 > 0))[None, :]
        for key, val in zip(("estimate", "se", "statistic", "p_value"), (est, se, z, pv)):
            out[key][:, sl] = np.where(ok, val, np.nan)
    return out


#: |linear predictor| beyond which a fitted probability is numerically 0 or 1 (as R's glm warns)
SEPARATION_ETA = 30.0


def logistic_block(X, G, A, budget: int, *, max_iter: int = 50, tol: float = 1e-10) -> dict[str, np.ndarray]:
    """Logistic regression ``G[:, j] ~ 1 + X[:, i] + covariates`` by Newton–Raphson, all pairs at once.

    ``estimate`` is the log odds ratio per unit of the feature, ``se`` its Wald standard error
    (inverse observed information), ``statistic`` the Wald z and ``p_value`` its two-sided normal
    p-value, as ``statsmodels.api.Logit(...).fit()`` reports them.  ``converged`` is False when the
    parameters still moved after ``max_iter`` iterations; ``separated`` is True when a fitted
    probability is numerically 0 or 1 (``|linear predictor| > 30``), i.e. (quasi-)complete
    separation, where the maximum-likelihood estimate does not exist.  Both get NaN results.
    """
    n, p = X.shape
    q = G.shape[1]
    out = _empty(p, q)
    out["converged"] = np.zeros((p, q), dtype=bool)
    out["separated"] = np.zeros((p, q), dtype=bool)
    out["attempted"] = np.zeros((p, q), dtype=bool)
    kA = A.shape[1]
    d = kA + 1
    Q, _ = orthonormal_basis(A)
    # the feature, standardised for conditioning (Newton's method is affine invariant)
    mean = X.mean(axis=0)
    sd = X.std(axis=0)
    sd_safe = np.where(sd > 0, sd, 1.0)
    XS = ((X - mean) / sd_safe).T.copy()  # (p, n)
    xr = _residualise(XS.T, Q)
    okx = _ok_columns(np.sum(xr * xr, axis=0), XS.T) & (sd > 0)
    Y = G.T.astype(float)  # (q, n)
    ybar = Y.mean(axis=1)
    oky = (ybar > 0) & (ybar < 1)
    AA = np.einsum("ia,ib->iab", A, A).reshape(n, kA * kA)
    total = p * q
    step = max(1, budget // (8 * n))
    for sl in _chunks(total, step):
        idx = np.arange(sl.start, sl.stop)
        fi, gj = idx // q, idx % q
        good = okx[fi] & oky[gj]
        idx, fi, gj = idx[good], fi[good], gj[good]
        if idx.size == 0:
            continue
        m = idx.size
        beta = np.zeros((m, d))  # [feature, A...]
        # start at the null model without covariates: intercept (A's first column) = logit(mean)
        beta[:, 1] = special.logit(ybar[gj])
        active = np.ones(m, dtype=bool)
        converged = np.zeros(m, dtype=bool)
        cov00 = np.full(m, np.nan)
        separated = np.zeros(m, dtype=bool)
        for _ in range(max_iter):
            act = np.flatnonzero(active)
            if act.size == 0:
                break
            b = beta[act]
            x = XS[fi[act]]
            y = Y[gj[act]]
            eta = b[:, :1] * x + b[:, 1:] @ A.T
            sep = np.abs(eta).max(axis=1) > SEPARATION_ETA
            mu = special.expit(eta)
            w = mu * (1.0 - mu)
            r = y - mu
            wx = w * x
            H = np.empty((act.size, d, d))
            H[:, 0, 0] = np.sum(wx * x, axis=1)
            hxa = wx @ A
            H[:, 0, 1:] = hxa
            H[:, 1:, 0] = hxa
            H[:, 1:, 1:] = (w @ AA).reshape(act.size, kA, kA)
            g = np.empty((act.size, d))
            g[:, 0] = np.sum(r * x, axis=1)
            g[:, 1:] = r @ A
            rhs = np.zeros((act.size, d, 2))
            rhs[:, :, 0] = g
            rhs[:, 0, 1] = 1.0
            sol = _batched_solve(H, rhs)
            delta = sol[:, :, 0]
            cov00[act] = sol[:, 0, 1]
            finite = np.all(np.isfinite(sol[:, :, 0]), axis=1)
            beta[act[finite]] += delta[finite]
            small = np.max(np.abs(delta), axis=1) <= tol * (1.0 + np.max(np.abs(b), axis=1))
            done = finite & small
            converged[act[done]] = True
            separated[act[sep]] = True
            stop = done | sep | ~finite
            active[act[stop]] = False
        ok = converged & ~separated & (cov00 > 0)
        est = beta[:, 0] / sd_safe[fi]
        se = np.sqrt(np.where(ok, cov00, np.nan)) / sd_safe[fi]
        z = est / se
        pv = 2.0 * special.ndtr(-np.abs(z))
        out["converged"][fi, gj] = converged & ~separated
        out["separated"][fi, gj] = separated
        out["attempted"][fi, gj] = True
        for key, val in zip(("estimate", "se", "statistic", "p_value"), (est, se, z, pv)):
            out[key][fi, gj] = np.where(ok, val, np.nan)
    return out


def _batched_solve(H: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve each ``H[i] @ s = rhs[i]``; singular systems give NaN instead of failing the batch."""
    try:
        return np.linalg.solve(H, rhs)
    except np.linalg.LinAlgError:
        out = np.full(rhs.shape, np.nan)
        for i in range(H.shape[0]):  # rare fallback: only when some system is exactly singular
            try:
                out[i] = np.linalg.solve(H[i], rhs[i])
            except np.linalg.LinAlgError:
                pass
        return out
