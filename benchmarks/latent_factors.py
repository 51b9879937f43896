"""Benchmark: radiocausal's LatentFactorModel against MOFA+ (mofapy2) on simulated multi-view data.

The same simulated cohorts (imaging 150 Gaussian features with 10 % of patients missing the whole
view, expression genes, 30 binary mutations; 2 factors shared by all views, 1 imaging+expression,
1 specific to each view; scattered missing values) go through both methods in one run.  Printed
per fit: wall time, CPU time of the process (``cpu_s``: on a busy machine the fairer number;
all BLAS threads count), ``boot_s`` (the part of the wall time spent in the two-level bootstrap
and posterior summaries), mean and minimum matched |r| between true and estimated factors, whether the
shared/specific activity pattern is right, number of active factors, coverage of 90 % intervals
of factor scores (both methods) and of variance explained (radiocausal only: mofapy2 gives no
uncertainty on it).  Variance-explained coverage is reported for the bootstrap-calibrated
intervals (``r2_cover90``) and for the plain mean-field draws (``r2_cover90_mf``); the target is
the R² of the true scores and loadings on the observed data, with the model's definition.

Usage::

    python benchmarks/latent_factors.py                      # 1,000 genes, seeds 0-7, both signals
    python benchmarks/latent_factors.py --genes 1000 20000 --seeds 0 --signal 1.0
    python benchmarks/latent_factors.py --skip-mofa          # when mofapy2 is not installed
    python benchmarks/latent_factors.py --bootstrap 0        # mean-field summaries only (no bootstrap)
    python benchmarks/latent_factors.py --blas-threads 1     # both single-threaded (busy machine)

No data are read or downloaded (``--data`` is accepted for symmetry with the other benchmarks).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import os
import time
import warnings

import numpy as np
import pandas as pd

from radiocausal.models._factors_simulate import simulate_factor_data
from radiocausal.models.factors import LatentFactorModel, _r2_from, align_factors

Z90 = 1.6448536269514722
ACTIVE_R2 = 0.01


def _standardised(sim):
    """Views on one patient index (NaN rows for missing views), Gaussian views z-scored."""
    patients = sim.factors.index
    out = {}
    for v, df in sim.views.items():
        df = df.reindex(patients)
        if sim.likelihoods[v] == "gaussian":
            df = (df - df.mean()) / df.std(ddof=0)
        out[v] = df
    return out


def _pattern_ok(active: pd.DataFrame, order: np.ndarray, truth: pd.DataFrame) -> bool:
    """True factors map to estimated factors active exactly in the true views; no other factor active."""
    if (order < 0).any():
        return False
    matched = active.iloc[order].to_numpy() == truth[active.columns].to_numpy()
    extra = [j for j in range(active.shape[0]) if j not in set(order)]
    return bool(matched.all() and not active.iloc[extra].to_numpy().any())


def _score_coverage(est, sd, truth, order, signs, r, min_r=0.9):
    good = (order >= 0) & (r > min_r)
    e = est[:, order[good]] * signs[good]
    s = sd[:, order[good]]
    t = truth[:, good]
    return float(np.mean(np.abs(t - e) <= Z90 * s))


def _true_r2(model: LatentFactorModel, sim, order, signs) -> np.ndarray:
    """Variance explained by the true factors, with the model's own definition (factors × views)."""
    out = np.full((sim.factors.shape[1], len(model._data)), np.nan)
    z = sim.factors.loc[model.patients_].to_numpy()
    for j, v in enumerate(model._data):
        w = sim.loadings[v.name].to_numpy()
        if v.likelihood == "gaussian":
            w = w / v.scale[:, None]
        off = model._x @ model._state.views[v.name].eb.T
        out[:, j] = _r2_from(v, off, z, w)
    return out


def run_ours(sim, n_factors: int, seed: int, n_bootstrap: int = 20) -> dict:
    t0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LatentFactorModel(n_factors=n_factors, likelihoods=sim.likelihoods, n_bootstrap=n_bootstrap)
        model.fit(sim.views, random_seed=seed)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    scores = model.factor_scores()
    order, signs, r = align_factors(scores, sim.factors)
    truth = sim.factors.loc[scores.index].to_numpy()
    active = model.active_probability() > 0.5
    # coverage of 90 % intervals of variance explained, over the true (factor, view) cells
    # (r2_cover90: bootstrap-calibrated intervals; r2_cover90_mf: the plain mean-field draws)
    true_r2 = _true_r2(model, sim, order, signs)

    def r2_coverage(draws):
        lo = np.quantile(draws, 0.05, axis=0)
        hi = np.quantile(draws, 0.95, axis=0)
        hits = []
        for i in range(len(order)):
            if order[i] < 0:
                continue
            for j, view in enumerate(model.view_names_):
                if sim.activity.iloc[i][view]:
                    hits.append(lo[order[i], j] <= true_r2[i, j] <= hi[order[i], j])
        return float(np.mean(hits)) if hits else np.nan
    return {
        "time_s": elapsed,
        "cpu_s": cpu,
        "boot_s": model.timings_["summaries_s"],
        "mean_r": float(np.mean(np.nan_to_num(r))),  # a lost true factor counts as r = 0
        "min_r": float(np.min(np.nan_to_num(r))),
        "pattern_ok": _pattern_ok(active, order, sim.activity),
        "n_active": int(active.any(axis=1).sum()),
        "z_cover90": _score_coverage(scores.to_numpy(), model.factor_scores_sd().to_numpy(), truth, order, signs, r),
        "r2_cover90": r2_coverage(model._r2_draws),
        "r2_cover90_mf": r2_coverage(model._r2_draws_meanfield),
    }


def run_mofa(sim, n_factors: int, seed: int, convergence: str = "fast", blas_threads: int | None = None) -> dict:
    from mofapy2.run.entry_point import entry_point
    from threadpoolctl import threadpool_limits

    data = _standardised(sim)
    names = list(data)
    t0, c0 = time.perf_counter(), time.process_time()
    limits = threadpool_limits(limits=blas_threads, user_api="blas") if blas_threads else contextlib.nullcontext()
    with limits, contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ent = entry_point()
        ent.set_data_options(scale_views=False)
        ent.set_data_matrix(
            [[data[v].to_numpy()] for v in names],
            likelihoods=[sim.likelihoods[v] for v in names],
            views_names=names,
            samples_names=[list(map(str, sim.factors.index))],
        )
        ent.set_model_options(factors=n_factors, spikeslab_weights=True, ard_weights=True)
        ent.set_train_options(iter=1000, convergence_mode=convergence, seed=seed, quiet=True, verbose=False)
        ent.build()
        ent.run()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    exp = ent.model.getExpectations()
    ez = exp["Z"]["E"]
    sd = np.sqrt(np.maximum(exp["Z"]["E2"] - ez**2, 0))
    scores = pd.DataFrame(ez, index=sim.factors.index)
    order, signs, r = align_factors(scores, sim.factors)
    r2 = ent.model.calculate_variance_explained()[0]  # views × factors
    active = pd.DataFrame(r2.T > ACTIVE_R2, columns=names)
    return {
        "time_s": elapsed,
        "cpu_s": cpu,
        "boot_s": np.nan,
        "mean_r": float(np.mean(np.nan_to_num(r))),  # a lost true factor counts as r = 0
        "min_r": float(np.min(np.nan_to_num(r))),
        "pattern_ok": _pattern_ok(active, order, sim.activity),
        "n_active": int(active.any(axis=1).sum()),
        "z_cover90": _score_coverage(ez, sd, sim.factors.to_numpy(), order, signs, r),
        "r2_cover90": np.nan,
        "r2_cover90_mf": np.nan,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genes", type=int, nargs="+", default=[1000])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(8)))
    parser.add_argument("--signal", type=float, nargs="+", default=[1.0, 0.5])
    parser.add_argument("--factors", type=int, default=10, help="requested factors (truth has 6)")
    parser.add_argument("--skip-mofa", action="store_true")
    parser.add_argument("--bootstrap", type=int, default=20, help="n_bootstrap of LatentFactorModel (0: mean-field only)")
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="limit mofapy2's BLAS threads (radiocausal uses 1 by default); 1 gives a fair comparison on a busy machine",
    )
    parser.add_argument(
        "--mofa-convergence",
        default="fast",
        choices=["fast", "medium", "slow"],
        help="mofapy2 convergence_mode (its 'fast' default stops early on wide data)",
    )
    parser.add_argument("--data", default=os.environ.get("RADIOCAUSAL_DATA", "../shared/data"), help="unused")
    args = parser.parse_args(argv)

    have_mofa = not args.skip_mofa
    if have_mofa:
        try:
            import mofapy2  # noqa: F401
        except ImportError:
            print("mofapy2 is not installed: running radiocausal only")
            have_mofa = False

    rows = []
    for genes in args.genes:
        for signal in args.signal:
            for seed in args.seeds:
                sim = simulate_factor_data(n_genes=genes, signal=signal, random_seed=seed)
                mofa = functools.partial(run_mofa, convergence=args.mofa_convergence, blas_threads=args.blas_threads)
                ours = functools.partial(run_ours, n_bootstrap=args.bootstrap)
                methods = [("radiocausal", ours)] + ([("mofapy2", mofa)] if have_mofa else [])
                for name, fn in methods:
                    res = fn(sim, args.factors, seed)
                    rows.append({"method": name, "genes": genes, "signal": signal, "seed": seed, **res})
                    print(
                        " ".join(f"{key}={val:.3f}" if isinstance(val, float) else f"{key}={val}" for key, val in rows[-1].items()),
                        flush=True,
                    )
    table = pd.DataFrame(rows)
    summary = table.groupby(["genes", "signal", "method"]).agg(
        time_s=("time_s", "mean"),
        cpu_s=("cpu_s", "mean"),
        boot_s=("boot_s", "mean"),
        mean_r=("mean_r", "mean"),
        min_r=("min_r", "min"),
        pattern_ok=("pattern_ok", "mean"),
        n_active=("n_active", "mean"),
        z_cover90=("z_cover90", "mean"),
        r2_cover90=("r2_cover90", "mean"),
        r2_cover90_mf=("r2_cover90_mf", "mean"),
    )
    print("\nSummary (means over seeds; pattern_ok = fraction of seeds with the right pattern)")
    print(summary.to_string(float_format="%.3f"))


if __name__ == "__main__":
    main()
