"""Benchmark: vectorised association scans against a statsmodels per-pair loop.

Run from the repository root::

    python benchmarks/association_scan.py            # the issue's three scenarios (~1-3 min)
    python benchmarks/association_scan.py --quick    # smaller sizes (~20 s)

Scenarios (``--patients`` patients, default 500, 3 continuous covariates each):

* linear, 1,000 features x 1,000 genes;
* linear, 1,000 features x 20,000 genes (target: under 60 s and under 2 GB);
* logistic, 1,000 features x 100 mutations (target: at least 50x faster than the per-pair loop).

For each scenario the script prints the scan's wall time, its peak traced memory (``tracemalloc``,
which follows numpy's buffers; the process' maximum resident size is printed at the end), and the
ratio against ``statsmodels`` ``OLS`` / ``Logit`` fitted one pair at a time, timed in the same run on
``--sample`` random pairs and extrapolated to all pairs.  It also checks on those sampled pairs that
the scan's p-values agree with statsmodels'.  The numba kernel of the logistic scan is compiled
(or loaded from its cache) before timing.  Exit status 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd


def simulate(n: int, p: int, q: int, binary: bool, seed: int):
    rng = np.random.default_rng(seed)
    ids = [f"TCGA-{i:06d}" for i in range(n)]
    cov = pd.DataFrame(rng.normal(size=(n, 3)), index=ids, columns=["age", "batch", "purity"])
    X = rng.normal(size=(n, p)) + 0.3 * cov.to_numpy() @ rng.normal(size=(3, p))
    feats = pd.DataFrame(X, index=ids, columns=[f"feature_{i}" for i in range(p)])
    lin = 0.3 * cov.to_numpy() @ rng.normal(size=(3, q)) + 0.2 * X[:, :1]
    if binary:
        G = (rng.uniform(size=(n, q)) < 1.0 / (1.0 + np.exp(1.0 - lin))).astype(np.float64)
    else:
        G = lin + rng.normal(size=(n, q))
    gen = pd.DataFrame(G, index=ids, columns=[f"gene_{j}" for j in range(q)])
    return feats, gen, cov


def per_pair_loop(feats, gen, cov, test: str, pairs):
    """statsmodels one pair at a time; returns (seconds per pair, p-values)."""
    import statsmodels.api as sm

    model = sm.OLS if test == "linear" else sm.Logit
    cov_c = sm.add_constant(cov)
    pvals = []
    t0 = time.perf_counter()
    for i, j in pairs:
        exog = pd.concat([feats.iloc[:, [i]], cov_c], axis=1)
        y = gen.iloc[:, j]
        fit = model(y, exog).fit(disp=0) if test == "logistic" else model(y, exog).fit()
        pvals.append(fit.pvalues.iloc[0])
    return (time.perf_counter() - t0) / len(pairs), np.asarray(pvals)


def run(name, test, n, p, q, args, targets):
    from radiocausal.stats import association_scan

    feats, gen, cov = simulate(n, p, q, test == "logistic", args.seed)
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = association_scan(feats, gen, test=test, covariates=cov)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rng = np.random.default_rng(args.seed + 1)
    n_sample = min(args.sample, p * q)
    flat = rng.choice(p * q, size=n_sample, replace=False)
    pairs = [(int(k // q), int(k % q)) for k in flat]
    per_pair, ref_p = per_pair_loop(feats, gen, cov, test, pairs)
    ours = res["p_value"].to_numpy()[flat]
    agree = np.allclose(ours, ref_p, rtol=1e-6, atol=1e-300)
    loop_total = per_pair * p * q
    ratio = loop_total / elapsed
    print(
        f"{name:<28} {p:>6} x {q:<6} n={n:<5} scan {elapsed:8.2f} s   peak {peak / 2**20:8.0f} MiB   "
        f"statsmodels {per_pair * 1e3:6.2f} ms/pair -> {loop_total:9.0f} s for all pairs   "
        f"speed-up {ratio:7.0f}x   p-values agree on {n_sample} pairs: {agree}"
    )
    del res
    gc.collect()
    ok = agree
    for what, limit in targets:
        if what == "time":
            met = elapsed < limit
            print(f"    target: under {limit:.0f} s ........................ {'MET' if met else 'MISSED'}")
        elif what == "memory":
            met = peak < limit * 2**30
            print(f"    target: peak under {limit:.0f} GiB ................... {'MET' if met else 'MISSED'}")
        else:
            met = ratio >= limit
            print(f"    target: at least {limit:.0f}x the per-pair loop ....... {'MET' if met else 'MISSED'}")
        ok &= met
    return ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=500)
    ap.add_argument("--sample", type=int, default=200, help="pairs timed with statsmodels per scenario")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="1,000 x 2,000 linear instead of 1,000 x 20,000")
    args = ap.parse_args(argv)

    from radiocausal.stats import association_scan

    # compile (or load) the logistic kernel outside the timings
    f, g, c = simulate(50, 2, 2, True, 0)
    association_scan(f, g, test="logistic", covariates=c)

    n = args.patients
    print(f"association_scan benchmark: {n} patients, 3 covariates; python {sys.version.split()[0]}")
    ok = run("linear", "linear", n, 1000, 1000, args, [])
    q_big = 2000 if args.quick else 20000
    ok &= run("linear (target scale)", "linear", n, 1000, q_big, args,
              [] if args.quick else [("time", 60.0), ("memory", 2.0)])
    ok &= run("logistic", "logistic", n, 1000, 100, args, [("ratio", 50.0)])
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"process maximum resident size: {maxrss:.0f} MiB")
    print("all targets met" if ok else "some target MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
