"""Vectorised mass-univariate test engines.

Each engine takes one rectangular block of pairs — ``X`` (n × p features), ``G`` (n × q
genomic columns), ``A`` (n × k design of the covariates *with* the intercept column) — and
returns a dict of (p × q) arrays ``estimate``, ``se``, ``statistic``, ``p_value`` (plus
``converged``, ``separated`` and ``attempted`` for the Newton engines).  Pairs that cannot be
tested (constant or collinear columns) get NaN.  The closed-form engines (linear, Spearman,
Wilcoxon) process the q genomic columns in chunks of at most ``budget`` array elements; the
Newton engines (logistic, ordinal) fit pair by pair inside a compiled numba kernel, whose working
memory is O(n) per pair, so they ignore ``budget``.
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
    """Slope, SE, t and two-sided p of ``g ~ x`` on residualised data, from the inner products.

    Works in place on ``cross`` (which becomes the slope) to keep chunk memory low.
    """
    beta = cross
    beta /= xx[:, None]
    rss = cross * cross  # = beta^2, then rss = gg - beta^2 * xx
    rss *= -xx[:, None]
    rss += gg[None, :]
    np.maximum(rss, 0.0, out=rss)
    rss /= df * xx[:, None]
    se = np.sqrt(rss, out=rss)
    t = beta / se
    p = np.abs(t)
    np.negative(p, out=p)
    p = special.stdtr(df, p, out=p)
    p *= 2.0
    return beta, se, t, p


def _store(out: dict[str, np.ndarray], sl, ok: np.ndarray, values) -> None:
    for key, val in zip(("estimate", "se", "statistic", "p_value"), values):
        target = out[key][:, sl]
        target[...] = val
        target[~ok] = np.nan


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
        _store(out, sl, okx[:, None] & okg[None, :], (beta, se, t, pv))
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
        _store(out, sl, okx[:, None] & okg[None, :], (r, se, t, pv))
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
        _store(out, sl, (var > 0) & ((n1 > 0) & (n0 > 0))[None, :], (est, se, z, pv))
    return out


#: |linear predictor| beyond which a fitted probability is numerically 0 or 1 (as R's glm warns)
SEPARATION_ETA = 30.0

_NEWTON = None


def _newton_direction():
    """Compile (once, cached on disk) the Newton step shared by the logistic and ordinal kernels.

    ``newton_direction(H, g, L, delta, e0, d)`` factors the information matrix ``H`` (lower
    triangle read) as ``L L'``, writes ``delta = H^-1 g`` and returns ``(H^-1)[0, 0] = |L^-1 e_0|^2``,
    the exposure coefficient's variance; it returns -1 when ``H`` is not positive definite.
    """
    global _NEWTON
    if _NEWTON is not None:
        return _NEWTON
    import numba

    from radiocausal._kernels import cholesky_kernel

    cholesky = cholesky_kernel()

    @numba.njit(cache=True, fastmath=True)
    def newton_direction(H, g, L, delta, e0, d):  # pragma: no cover
        if not cholesky(H, L, d):
            return -1.0
        for a in range(d):
            acc = g[a]
            for c in range(a):
                acc -= L[a, c] * delta[c]
            delta[a] = acc / L[a, a]
        for a in range(d - 1, -1, -1):
            acc = delta[a]
            for c in range(a + 1, d):
                acc -= L[c, a] * delta[c]
            delta[a] = acc / L[a, a]
        v = 0.0
        for a in range(d):
            acc = 1.0 if a == 0 else 0.0
            for c in range(a):
                acc -= L[a, c] * e0[c]
            e0[a] = acc / L[a, a]
            v += e0[a] * e0[a]
        return v

    _NEWTON = newton_direction
    return _NEWTON


_KERNEL = None


def _logistic_kernel():
    """Compile (once, cached on disk) the per-pair Newton–Raphson kernel, parallel over pairs."""
    global _KERNEL
    if _KERNEL is not None:
        return _KERNEL
    import numba

    newton_direction = _newton_direction()

    @numba.njit(parallel=True, cache=True, fastmath=True)
    def kernel(XS, Y, AT, B0, okx, oky, max_iter, tol, sep_eta, est, var, conv, sep, attempted):  # pragma: no cover
        p, n = XS.shape
        q = Y.shape[0]
        kA = AT.shape[0]
        d = kA + 1
        for t in numba.prange(p * q):
            i = t // q
            j = t % q
            if not (okx[i] and oky[j]):
                continue
            attempted[i, j] = True
            x = XS[i]
            y = Y[j]
            beta = np.zeros(d)
            beta[1:] = B0[j]
            H = np.zeros((d, d))
            L = np.zeros((d, d))
            g = np.zeros(d)
            delta = np.zeros(d)
            e0 = np.zeros(d)
            eta = np.empty(n)
            w = np.empty(n)
            r = np.empty(n)
            converged = False
            separated = False
            max_eta = 0.0
            v00 = np.nan
            for _ in range(max_iter):
                b0 = beta[0]
                for s in range(n):
                    eta[s] = b0 * x[s]
                for a in range(kA):
                    ba = beta[a + 1]
                    row = AT[a]
                    for s in range(n):
                        eta[s] += ba * row[s]
                max_eta = 0.0
                for s in range(n):
                    max_eta = max(max_eta, abs(eta[s]))
                for s in range(n):
                    mu = 1.0 / (1.0 + np.exp(-eta[s]))
                    w[s] = mu * (1.0 - mu)
                    r[s] = y[s] - mu
                # information matrix (lower triangle) and score, as sums over patients
                for a in range(d):
                    ra = x if a == 0 else AT[a - 1]
                    acc = 0.0
                    for s in range(n):
                        acc += r[s] * ra[s]
                    g[a] = acc
                    for c in range(a + 1):
                        rc = x if c == 0 else AT[c - 1]
                        acc = 0.0
                        for s in range(n):
                            acc += w[s] * ra[s] * rc[s]
                        H[a, c] = acc
                # delta = H^-1 g and v00 = (H^-1)[0, 0], by Cholesky; negative when H is not PD
                v00 = newton_direction(H, g, L, delta, e0, d)
                if v00 < 0.0:
                    break
                step = 0.0
                scale = 0.0
                for a in range(d):
                    step = max(step, abs(delta[a]))
                    scale = max(scale, abs(beta[a]))
                    beta[a] += delta[a]
                if step <= tol * (1.0 + scale):
                    converged = True
                    break
            # no maximum-likelihood estimate: the parameters diverge while fitted probabilities
            # reach 0 or 1 (a converged fit may legitimately have a few extreme fitted values)
            separated = (not converged) and max_eta > sep_eta
            sep[i, j] = separated
            conv[i, j] = converged and not separated
            if converged and not separated:
                est[i, j] = beta[0]
                var[i, j] = v00

    _KERNEL = kernel
    return kernel


def logistic_block(X, G, A, budget: int, *, max_iter: int = 50, tol: float = 1e-10) -> dict[str, np.ndarray]:
    """Logistic regression ``G[:, j] ~ 1 + X[:, i] + covariates`` by Newton–Raphson, every pair.

    The fits run in a compiled kernel (numba), in parallel over pairs, with no Python loop over
    pairs and O(p * q) memory for the results only.  ``estimate`` is the log odds ratio per unit of
    the feature, ``se`` its Wald standard error (inverse observed information), ``statistic`` the
    Wald z and ``p_value`` its two-sided normal p-value, as ``statsmodels.api.Logit(...).fit()``
    reports them.  ``converged`` is False when the parameters still moved after ``max_iter``
    iterations (or the information matrix became singular); ``separated`` is True when, in
    addition, fitted probabilities have reached 0 or 1 numerically (``|linear predictor| > 30``):
    (quasi-)complete separation, where the maximum-likelihood estimate does not exist.  Both get
    NaN results.  (A converged fit may have a few extreme fitted values, e.g. from an outlying
    feature value; it is kept, as statsmodels keeps it.)
    """
    n, p = X.shape
    q = G.shape[1]
    kernel = _logistic_kernel()
    # the feature, standardised for conditioning (Newton's method is affine invariant)
    mean = X.mean(axis=0)
    sd = X.std(axis=0)
    sd_safe = np.where(sd > 0, sd, 1.0)
    XS = np.ascontiguousarray(((X - mean) / sd_safe).T)  # (p, n)
    Q, _ = orthonormal_basis(A)
    xr = _residualise(XS.T, Q)
    okx = _ok_columns(np.sum(xr * xr, axis=0), XS.T) & (sd > 0)
    Y = np.ascontiguousarray(G.T, dtype=float)  # (q, n)
    ybar = Y.mean(axis=1)
    oky = (ybar > 0) & (ybar < 1)
    B0 = _null_logistic(Y, A, oky)  # start every pair of gene j at gene j's covariates-only fit
    est = np.full((p, q), np.nan)
    var = np.full((p, q), np.nan)
    conv = np.zeros((p, q), dtype=bool)
    separated = np.zeros((p, q), dtype=bool)
    attempted = np.zeros((p, q), dtype=bool)
    kernel(_writable(XS, float), _writable(Y, float), _writable(A.T, float), _writable(B0, float),
           _writable(okx, bool), _writable(oky, bool), int(max_iter), float(tol), SEPARATION_ETA,
           est, var, conv, separated, attempted)
    ok = conv & (var > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = np.where(ok, est / sd_safe[:, None], np.nan)
        se = np.where(ok, np.sqrt(np.where(ok, var, np.nan)) / sd_safe[:, None], np.nan)
        z = estimate / se
    pv = 2.0 * special.ndtr(-np.abs(z))
    return {"estimate": estimate, "se": se, "statistic": z, "p_value": pv, "converged": conv,
            "separated": separated, "attempted": attempted}


def _writable(a: np.ndarray, dtype=None) -> np.ndarray:
    """C-contiguous, writable array (one numba signature: pandas may hand out read-only views)."""
    return np.require(a, dtype=dtype, requirements=["C", "W"])


def _null_logistic(Y: np.ndarray, A: np.ndarray, oky: np.ndarray, max_iter: int = 30) -> np.ndarray:
    """Covariates-only logistic fit ``y_j ~ A`` for every gene j (rows of ``Y``), vectorised IRLS.

    Used as starting values; falls back to (logit(mean), 0, ...) where the fit fails.
    """
    q, n = Y.shape
    k = A.shape[1]
    ybar = Y.mean(axis=1)
    B = np.zeros((q, k))
    with np.errstate(divide="ignore"):
        B[:, 0] = np.where(oky, special.logit(np.clip(ybar, 1e-12, 1 - 1e-12)), 0.0)
    if k == 1:
        return B  # the intercept-only MLE is exact
    start = B.copy()
    AA = np.einsum("ia,ib->iab", A, A).reshape(n, k * k)
    for _ in range(max_iter):
        mu = special.expit(B @ A.T)
        w = mu * (1.0 - mu)
        H = (w @ AA).reshape(q, k, k)
        g = (Y - mu) @ A
        step = _batched_solve(H, g[:, :, None])[:, :, 0]
        step[~np.isfinite(step).all(axis=1)] = 0.0
        B += step
        if np.max(np.abs(step), initial=0.0) < 1e-8:
            break
    with np.errstate(over="ignore", invalid="ignore"):
        bad = ~np.isfinite(B).all(axis=1) | ~(np.abs(B @ A.T).max(axis=1) <= SEPARATION_ETA) | ~oky
    B[bad] = start[bad]
    return B


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


_ORDINAL_KERNEL = None


def _ordinal_kernel():
    """Compile (once, cached) the per-pair proportional-odds Newton kernel."""
    global _ORDINAL_KERNEL
    if _ORDINAL_KERNEL is not None:
        return _ORDINAL_KERNEL
    import numba

    newton_direction = _newton_direction()

    @numba.njit(cache=True, inline="always")
    def _cdf(v):  # pragma: no cover
        if v >= 0:
            return 1.0 / (1.0 + np.exp(-v))
        e = np.exp(v)
        return e / (1.0 + e)

    @numba.njit(cache=True)
    def _loglik(x, ZT, y, beta, K, kZ):  # pragma: no cover
        n = x.size
        ll = 0.0
        for s in range(n):
            eta = beta[0] * x[s]
            for a in range(kZ):
                eta += beta[1 + a] * ZT[a, s]
            k = y[s]
            up = _cdf(beta[1 + kZ + k] - eta) if k < K - 1 else 1.0
            lo = _cdf(beta[1 + kZ + k - 1] - eta) if k > 0 else 0.0
            pr = up - lo
            if not (pr > 0.0):
                return -np.inf
            ll += np.log(pr)
        return ll

    @numba.njit(cache=True)
    def kernel(XS, Y, K, ZT, theta0, okx, oky, max_iter, tol, sep_eta, est, var, conv, sep, attempted):  # pragma: no cover
        p, n = XS.shape
        q = Y.shape[0]
        kZ = ZT.shape[0]
        for t in range(p * q):
            i = t // q
            j = t % q
            if not (okx[i] and oky[j]):
                continue
            attempted[i, j] = True
            Kj = K[j]
            d = 1 + kZ + Kj - 1
            x = XS[i]
            y = Y[j]
            beta = np.zeros(d)
            for k in range(Kj - 1):
                beta[1 + kZ + k] = theta0[j, k]
            H = np.zeros((d, d))
            L = np.zeros((d, d))
            g = np.zeros(d)
            row = np.zeros(1 + kZ)
            delta = np.zeros(d)
            e0 = np.zeros(d)
            trial = np.zeros(d)
            converged = False
            max_eta = 0.0
            v00 = np.nan
            ll = _loglik(x, ZT, y, beta, Kj, kZ)
            for _ in range(max_iter):
                H[:, :] = 0.0
                g[:] = 0.0
                max_eta = 0.0
                for s in range(n):
                    row[0] = x[s]
                    eta = beta[0] * x[s]
                    for a in range(kZ):
                        row[1 + a] = ZT[a, s]
                        eta += beta[1 + a] * ZT[a, s]
                    k = y[s]
                    iu = 1 + kZ + k  # index of theta_k (upper threshold)
                    il = iu - 1  # index of theta_{k-1}
                    has_up = k < Kj - 1
                    has_lo = k > 0
                    fa = 0.0
                    fpa = 0.0
                    Fa = 1.0
                    if has_up:
                        va = beta[iu] - eta
                        max_eta = max(max_eta, abs(va))
                        Fa = _cdf(va)
                        fa = Fa * (1.0 - Fa)
                        fpa = fa * (1.0 - 2.0 * Fa)
                    fb = 0.0
                    fpb = 0.0
                    Fb = 0.0
                    if has_lo:
                        vb = beta[il] - eta
                        max_eta = max(max_eta, abs(vb))
                        Fb = _cdf(vb)
                        fb = Fb * (1.0 - Fb)
                        fpb = fb * (1.0 - 2.0 * Fb)
                    pr = Fa - Fb
                    if pr < 1e-300:
                        pr = 1e-300
                    ua = fa / pr
                    ub = fb / pr
                    ge = -(ua - ub)  # dl/deta
                    hee = (fpa - fpb) / pr - (ua - ub) * (ua - ub)  # d2l/deta2
                    # score and observed information (negative Hessian) over [beta_x, gamma..., theta...]
                    for a in range(1 + kZ):
                        g[a] += ge * row[a]
                        for c in range(a + 1):
                            H[a, c] -= hee * row[a] * row[c]
                    if has_up:
                        g[iu] += ua
                        H[iu, iu] -= fpa / pr - ua * ua
                        hue = -fpa / pr + ua * (ua - ub)  # d2l/dtheta_k deta
                        for a in range(1 + kZ):
                            H[iu, a] -= hue * row[a]
                    if has_lo:
                        g[il] -= ub
                        H[il, il] -= -fpb / pr - ub * ub
                        hle = fpb / pr - ub * (ua - ub)
                        for a in range(1 + kZ):
                            H[il, a] -= hle * row[a]
                    if has_up and has_lo:
                        H[iu, il] -= ua * ub
                # Cholesky of the information (lower triangle as filled: row index >= column index)
                v00 = newton_direction(H, g, L, delta, e0, d)
                if v00 < 0.0:
                    break
                # step halving keeps the thresholds ordered and the likelihood from decreasing
                step_scale = 1.0
                new_ll = -np.inf
                for _h in range(40):
                    for a in range(d):
                        trial[a] = beta[a] + step_scale * delta[a]
                    new_ll = _loglik(x, ZT, y, trial, Kj, kZ)
                    if new_ll >= ll - 1e-10 * (1.0 + abs(ll)):
                        break
                    step_scale *= 0.5
                if new_ll < ll - 1e-10 * (1.0 + abs(ll)):
                    break  # no step improves the likelihood: leave unconverged
                step = 0.0
                scale = 0.0
                for a in range(d):
                    step = max(step, abs(trial[a] - beta[a]))
                    scale = max(scale, abs(beta[a]))
                    beta[a] = trial[a]
                ll = new_ll
                if step <= tol * (1.0 + scale):
                    converged = True
                    break
            separated = (not converged) and max_eta > sep_eta
            sep[i, j] = separated
            conv[i, j] = converged and not separated
            if converged and not separated:
                est[i, j] = beta[0]
                var[i, j] = v00

    _ORDINAL_KERNEL = kernel
    return kernel


def ordinal_block(X, G, A, budget: int, *, max_iter: int = 50, tol: float = 1e-10) -> dict[str, np.ndarray]:
    """Proportional-odds (ordinal logistic) regression ``G[:, j] ~ X[:, i] + covariates``, every pair.

    ``P(G <= k) = expit(theta_k - beta * x - gamma . z)`` with one threshold per observed level of
    the gene (levels are the sorted distinct values; unobserved levels are skipped).  ``estimate``
    is ``beta``, the log cumulative odds ratio of a *higher* level per unit of the feature, with
    Wald SE, z and p as ``statsmodels`` ``OrderedModel(distr="logit")`` reports them.  Newton's
    method with step halving, started at the covariate-free thresholds; flags as in
    :func:`logistic_block`.
    """
    n, p = X.shape
    q = G.shape[1]
    kernel = _ordinal_kernel()
    mean = X.mean(axis=0)
    sd = X.std(axis=0)
    sd_safe = np.where(sd > 0, sd, 1.0)
    XS = np.ascontiguousarray(((X - mean) / sd_safe).T)
    Q, _ = orthonormal_basis(A)
    xr = _residualise(XS.T, Q)
    okx = _ok_columns(np.sum(xr * xr, axis=0), XS.T) & (sd > 0)
    # covariates without the intercept column (the thresholds take its place), centred
    Z = A[:, 1:] - A[:, 1:].mean(axis=0)
    ZT = np.ascontiguousarray(Z.T, dtype=float)
    Y = np.empty((q, n), dtype=np.int64)
    K = np.empty(q, dtype=np.int64)
    for j in range(q):  # per gene (not per pair): relabel the observed levels 0..K-1
        levels, inv = np.unique(G[:, j], return_inverse=True)
        Y[j] = inv
        K[j] = levels.size
    kmax = int(K.max(initial=1))
    theta0 = np.zeros((q, max(kmax - 1, 1)))
    for j in range(q):
        cum = np.cumsum(np.bincount(Y[j], minlength=K[j]))[:-1] / n
        theta0[j, : K[j] - 1] = special.logit(cum)
    oky = K >= 2
    est = np.full((p, q), np.nan)
    var = np.full((p, q), np.nan)
    conv = np.zeros((p, q), dtype=bool)
    separated = np.zeros((p, q), dtype=bool)
    attempted = np.zeros((p, q), dtype=bool)
    kernel(_writable(XS, float), _writable(Y, np.int64), _writable(K, np.int64), _writable(ZT, float),
           _writable(theta0, float), _writable(okx, bool), _writable(oky, bool), int(max_iter), float(tol),
           SEPARATION_ETA, est, var, conv, separated, attempted)
    ok = conv & (var > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = np.where(ok, est / sd_safe[:, None], np.nan)
        se = np.where(ok, np.sqrt(np.where(ok, var, np.nan)) / sd_safe[:, None], np.nan)
        z = estimate / se
    pv = 2.0 * special.ndtr(-np.abs(z))
    return {"estimate": estimate, "se": se, "statistic": z, "p_value": pv, "converged": conv,
            "separated": separated, "attempted": attempted}
