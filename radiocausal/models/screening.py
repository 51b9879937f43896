"""Bayesian screening of many feature x gene pairs by adaptive shrinkage of their estimates.

A full NUTS model over hundreds of pairs is too slow here, so screening works on the per-pair
estimates and standard errors of an association scan (Stephens 2017, "False discovery rates: a
new deal", the *ash* model): the true effects share a prior that is a point mass at zero plus a
scale mixture of zero-mean normals on a fixed grid of scales, whose weights are estimated by
maximum (penalised) likelihood with EM.  Each pair then has a closed-form posterior (a mixture of
normals), from which come the posterior mean, the local false sign rate (lfsr), the posterior
probability of an effect larger than a relevance threshold, and q-values that control the
Bayesian false discovery (false sign) rate.  Keep the full hierarchical model for the top pairs.

Discoveries are by default the pairs whose lfsr is at most the threshold at which the expected
false sign rate under the fitted prior equals ``alpha`` (the Bayes-optimal rule for the marginal
FDR, Sun & Cai 2007, with the expectation in closed form through Owen's T function).  The s-value
rule (the largest set whose mean lfsr is at most ``alpha``) holds the posterior FDR at ``alpha`` in
every data set, but with few discoveries the last pair it adds moves that mean by a few hundredths,
so on average it spends only part of the budget: with 200 pairs, 15 % of them non-null and the
*true* prior, it stopped at a mean false discovery proportion of 0.078 against a target of 0.1,
and found fewer true effects than Benjamini-Hochberg; the threshold rule reached 0.093 and more
power than BH.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from radiocausal.errors import DataError, ModelError

__all__ = ["ScreeningResult", "adaptive_shrinkage"]


@dataclass
class ScreeningResult:
    """Fitted shrinkage prior and per-pair posterior summaries.

    Attributes
    ----------
    table : DataFrame
        One row per pair (index from the input): ``estimate``, ``se``, ``posterior_mean``,
        ``posterior_sd``, ``p_null`` (posterior probability of exactly zero, the local fdr),
        ``lfsr``, ``p_relevant`` (posterior probability that ``|effect| > threshold``),
        ``qvalue`` (Bayesian FDR of the set of pairs with a smaller or equal lfsr) and
        ``discovery`` (``lfsr <= lfsr_threshold``).
    grid : ndarray
        Prior scales of the normal components (0 = the point mass).
    weights : ndarray
        Estimated prior weights of the components.
    pi0 : float
        Estimated proportion of null pairs (the weight of the point mass).
    lfsr_threshold : float
        The lfsr cut-off of the discoveries (they are the pairs with ``lfsr <= lfsr_threshold``);
        ``nan`` when nothing is discovered.
    decision : str
        The decision rule that set ``discovery`` (``"threshold"`` or ``"svalue"``).
    """

    table: pd.DataFrame
    grid: np.ndarray
    weights: np.ndarray
    pi0: float
    lfsr_threshold: float = float("nan")
    decision: str = "threshold"


def _grid(betahat: np.ndarray, se: np.ndarray, mult: float) -> np.ndarray:
    lo = np.min(se) / 10.0
    hi = 2.0 * np.sqrt(max(np.max(betahat**2 - se**2), lo**2 * 4))
    m = int(np.ceil(np.log(hi / lo) / np.log(mult))) + 1
    return np.concatenate([[0.0], lo * mult ** np.arange(m)])


def _lfsr_positive(c: np.ndarray, s: np.ndarray, grid: np.ndarray, w: np.ndarray) -> np.ndarray:
    """P(effect <= 0 | estimate = c) for c >= 0 under the prior (grid, w); broadcasts c against s."""
    g2 = grid**2
    var = g2 + s[..., None] ** 2
    ll = -0.5 * c[..., None] ** 2 / var - 0.5 * np.log(var) + np.log(np.where(w > 0, w, 1e-300))
    post = np.exp(ll - ll.max(axis=-1, keepdims=True))
    post /= post.sum(axis=-1, keepdims=True)
    shrink = g2 / var
    sdk = np.sqrt(np.where(g2 > 0, g2 * s[..., None] ** 2 / var, 1.0))
    p_nonpos = np.where(g2 > 0, special.ndtr(-shrink * c[..., None] / sdk), 1.0)
    return (post * p_nonpos).sum(axis=-1)


def _lfsr_cutoff(lfsr: np.ndarray, s: np.ndarray, grid: np.ndarray, w: np.ndarray, alpha: float) -> float:
    """Largest lfsr threshold whose expected false sign rate under the prior is at most alpha.

    For a threshold t, pair i is selected when |estimate| >= c_i(t) (lfsr falls with |estimate|
    under a symmetric unimodal prior).  Over data sets drawn from the prior with the same standard
    errors, the expected number of selections is sum_i P(|b_i| >= c_i) and the expected number of
    false signs 2 sum_i P(b_i >= c_i, effect <= 0); per normal component of scale g, with
    sigma^2 = g^2 + s^2 and h = c / sigma, the latter is Phi(-h) / 2 - T(h, g / s) (Owen's T), and
    Phi(-h) for the point mass.  The ratio (marginal FDR) grows with t; bisection over the
    observed lfsr values finds the largest admissible one.
    """
    smax = np.max(grid) / np.min(s)
    zmax = 15.0 + 8.0 * smax
    z = np.concatenate([np.linspace(0.0, 15.0, 151), np.geomspace(15.0, zmax, 31)[1:]])  # fine where decided
    s_pz = np.broadcast_to(s[:, None], (s.size, z.size))
    table = np.log(np.clip(_lfsr_positive(z[None, :] * s_pz, s_pz, grid, w), 1e-300, None))  # (p, Z), non-increasing
    sig = np.sqrt(grid[None, :] ** 2 + s[:, None] ** 2)
    a = grid[None, :] / s[:, None]

    def mfdr(t: float) -> float:
        lt = np.log(max(t, 1e-300))
        # invert each monotone row by linear interpolation between the grid points around lt
        j = np.clip((table > lt).sum(axis=1), 1, z.size - 1)
        r = np.arange(s.size)
        hi_, lo_ = table[r, j - 1], table[r, j]
        frac = np.where(hi_ > lo_, (hi_ - lt) / np.where(hi_ > lo_, hi_ - lo_, 1.0), 1.0)
        c = z[j - 1] + frac.clip(0.0, 1.0) * (z[j] - z[j - 1])
        c = np.where(table[:, 0] <= lt, 0.0, np.where(table[:, -1] > lt, zmax, c))
        h = (c * s)[:, None] / sig
        tail = special.ndtr(-h)
        false = np.where(grid[None, :] > 0, 0.5 * tail - special.owens_t(h, a), tail)
        selected = (w * tail).sum()
        return (w * false).sum() / selected if selected > 0 else np.inf

    cand = np.unique(lfsr)
    lo, hi = -1, cand.size
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if mfdr(float(cand[mid])) <= alpha:
            lo = mid
        else:
            hi = mid
    return float(cand[lo]) if lo >= 0 else float("nan")


def adaptive_shrinkage(
    estimate,
    se,
    *,
    alpha: float = 0.05,
    threshold: float = 0.0,
    decision: str = "threshold",
    null_penalty: float = 10.0,
    grid_mult: float = np.sqrt(2.0),
    max_iter: int = 1000,
    tol: float = 1e-8,
    index=None,
) -> ScreeningResult:
    """Adaptive shrinkage (Stephens 2017) of per-pair effect estimates, with lfsr and Bayesian FDR decisions.

    Parameters
    ----------
    estimate, se : array-like of float
        Per-pair effect estimates and their standard errors (e.g. from an association scan).
    alpha : float
        Target false discovery (false sign) rate of the discoveries.
    decision : {"threshold", "svalue"}
        ``"threshold"`` (default): discoveries are the pairs with lfsr at most the largest
        threshold whose expected false sign rate, over data sets drawn from the fitted prior with
        these standard errors, is at most ``alpha`` (Sun & Cai 2007); FDR control on average over
        data sets, the most powerful such rule.  ``"svalue"``: the largest set whose mean lfsr
        (``qvalue``) is at most ``alpha``, which holds the posterior FDR of every data set but is
        conservative when discoveries are few.
    threshold : float
        Relevance threshold for ``p_relevant`` (posterior probability that ``|effect| > threshold``).
    null_penalty : float
        Dirichlet penalty on the null weight (ash's default 10): errs towards more nulls, so the
        estimated ``pi0`` is conservative.
    grid_mult : float
        Ratio between successive prior scales.
    index : sequence, optional
        Row labels (default: the index of ``estimate`` if it is a Series).

    Returns
    -------
    ScreeningResult

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> beta = np.r_[np.zeros(180), rng.normal(0, 1.5, 20)]
    >>> se = np.full(200, 0.3)
    >>> res = adaptive_shrinkage(beta + se * rng.normal(size=200), se, alpha=0.05)
    >>> 0.8 < res.pi0 < 1.0, int(res.table["discovery"].iloc[:180].sum()) <= 2
    (True, True)
    """
    if index is None and isinstance(estimate, pd.Series):
        index = estimate.index
    b = np.asarray(estimate, dtype=float).ravel()
    s = np.asarray(se, dtype=float).ravel()
    if b.shape != s.shape or b.size == 0:
        raise DataError(f"estimate and se must be non-empty and of equal length, got {b.size} and {s.size}")
    if not (np.all(np.isfinite(b)) and np.all(np.isfinite(s))) or np.any(s <= 0):
        raise DataError("estimate must be finite and se finite and positive for every pair")
    if not 0 < alpha < 1:
        raise ModelError(f"alpha must be in (0, 1), got {alpha!r}")
    if threshold < 0:
        raise ModelError(f"threshold must be >= 0, got {threshold!r}")
    if decision not in ("threshold", "svalue"):
        raise ModelError(f"decision must be 'threshold' or 'svalue', got {decision!r}")
    if grid_mult <= 1:
        raise ModelError(f"grid_mult must be > 1, got {grid_mult!r}")
    grid = _grid(b, s, grid_mult)
    sd = np.sqrt(grid[None, :] ** 2 + s[:, None] ** 2)  # (p, K)
    loglik = stats.norm.logpdf(b[:, None], 0.0, sd)
    lmax = loglik.max(axis=1, keepdims=True)
    lik = np.exp(loglik - lmax)
    K = grid.size
    w = np.full(K, 1.0 / K)
    prior_count = np.ones(K)
    prior_count[0] = null_penalty
    for _ in range(max_iter):
        post = lik * w
        post /= post.sum(axis=1, keepdims=True)
        new = post.sum(axis=0) + prior_count - 1.0
        new = np.clip(new, 0.0, None)
        new /= new.sum()
        if np.max(np.abs(new - w)) < tol:
            w = new
            break
        w = new
    post = lik * w
    post /= post.sum(axis=1, keepdims=True)  # (p, K) component responsibilities
    # component posteriors: N(m_k, v_k); the point mass stays at 0
    g2 = grid[None, :] ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(g2 > 0, 1.0 / (1.0 / np.where(g2 > 0, g2, 1.0) + 1.0 / s[:, None] ** 2), 0.0)
    m = v * b[:, None] / s[:, None] ** 2
    sdk = np.sqrt(v)
    mean = (post * m).sum(axis=1)
    second = (post * (v + m**2)).sum(axis=1)
    psd = np.sqrt(np.clip(second - mean**2, 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        p_pos = np.where(sdk > 0, stats.norm.sf(0.0, m, np.where(sdk > 0, sdk, 1.0)), 0.0)
        p_rel = np.where(
            sdk > 0,
            stats.norm.sf(threshold, m, np.where(sdk > 0, sdk, 1.0))
            + stats.norm.cdf(-threshold, m, np.where(sdk > 0, sdk, 1.0)),
            0.0,
        )
    p_null = post[:, 0]
    P_pos = (post * p_pos).sum(axis=1)
    P_neg = 1.0 - P_pos - p_null
    lfsr = np.minimum(P_pos + p_null, P_neg + p_null).clip(0.0, 1.0)
    p_relevant = (post * p_rel).sum(axis=1).clip(0.0, 1.0)
    order = np.argsort(lfsr, kind="stable")
    q_sorted = np.cumsum(lfsr[order]) / np.arange(1, b.size + 1)
    q = np.empty_like(lfsr)
    q[order] = q_sorted
    if decision == "svalue":
        discovery = q <= alpha
        t_lfsr = float(lfsr[discovery].max()) if discovery.any() else float("nan")
    else:
        t_lfsr = _lfsr_cutoff(lfsr, s, grid, w, alpha)
        discovery = lfsr <= t_lfsr if np.isfinite(t_lfsr) else np.zeros(b.size, dtype=bool)
    table = pd.DataFrame(
        {
            "estimate": b,
            "se": s,
            "posterior_mean": mean,
            "posterior_sd": psd,
            "p_null": p_null,
            "lfsr": lfsr,
            "p_relevant": p_relevant,
            "qvalue": q,
            "discovery": discovery,
        },
        index=index,
    )
    return ScreeningResult(table=table, grid=grid, weights=w, pi0=float(w[0]), lfsr_threshold=t_lfsr,
                           decision=decision)
