"""Shared latent factors of a simulated radiogenomic cohort with a missing imaging view.

Simulates 200 patients with radiomic features (150, Gaussian; 10 % of patients without imaging
and a scanner shift between two sites), expression (1,000 genes, Gaussian), mutations (30,
binary) and copy number (40 genes, levels 0..4, binomial), fits
:class:`radiocausal.models.factors.LatentFactorModel` with the site as a nuisance covariate,
prints which factors are shared by imaging and genomics with 90 % intervals of the variance they
explain, projects five new patients, uses the first shared factor as the exposure of a simulated
TP53 mutation in a DAG, and saves a heatmap of the variance explained per factor and view.

Usage::

    python examples/latent_factors.py [--out latent_factors.png] [--seed 0]

No data are read or downloaded (``--data`` is accepted for symmetry with the other examples).
"""

from __future__ import annotations

import argparse
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from radiocausal.graph import CausalDAG  # noqa: E402

from radiocausal.models import LatentFactorModel, align_factors, simulate_factor_data  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="latent_factors.png", help="heatmap file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", default=os.environ.get("RADIOCAUSAL_DATA", "../shared/data"), help="unused")
    args = parser.parse_args(argv)

    sim = simulate_factor_data(site_shift=1.5, n_copy_number=40, random_seed=args.seed)
    new_patients = sim.factors.index[-5:]
    train = {v: df.drop(df.index.intersection(new_patients)) for v, df in sim.views.items()}
    new = {v: df.loc[df.index.intersection(new_patients)] for v, df in sim.views.items()}
    n_without_imaging = len(sim.factors) - len(sim.views["imaging"])
    print(f"{len(sim.factors)} patients, {n_without_imaging} without imaging; views:",
          {v: df.shape[1] for v, df in sim.views.items()})

    model = LatentFactorModel(n_factors=10, likelihoods=sim.likelihoods, covariates=sim.covariates)
    model.fit(train, random_seed=args.seed)
    n_active = int((model.active_probability() > 0.5).any(axis=1).sum())
    print(
        f"\n{model.n_factors_} factors kept after pruning (10 requested), {n_active} active in some view "
        f"(posterior probability > 0.5); {model.n_iter_} CAVI sweeps"
    )

    summary = model.variance_explained_summary(prob=0.9)
    summary = summary[summary["p_active"] > 0.5]
    print("\nVariance explained (90 % intervals) where the factor is active:")
    for factor, rows in summary.groupby("factor", sort=False):
        views = ", ".join(f"{r.view} {100 * r.mean:.1f}% [{100 * r.lower:.1f}, {100 * r.upper:.1f}]" for r in rows.itertuples())
        kind = "shared" if len(rows) > 1 else "specific"
        print(f"  {factor:8s} ({kind}): {views}")

    order, _, r = align_factors(model.factor_scores(), sim.factors)
    print("\nmatched |r| with the true factors:", " ".join(f"{x:.3f}" for x in r))

    scores = model.transform(new)
    print("\nNew patients projected onto the fitted factors:")
    print(scores.round(2).to_string())

    # the factor matching the first true shared factor as the exposure of a mutation outcome that
    # is not one of the views (simulated from that true factor)
    shared = model.factor_names_[order[0]]
    rng = np.random.default_rng(args.seed)
    true_axis = sim.factors["true1"].loc[model.patients_]
    tp53 = (rng.random(len(true_axis)) < 1 / (1 + np.exp(-(true_axis - 0.5)))).astype(int)
    table = pd.DataFrame({"site": sim.covariates["site"].loc[model.patients_], "TP53": tp53})
    dag = CausalDAG.from_dagitty("dag { site [batch] TP53 [outcome] site -> TP53 }")
    dag, data = model.add_to_dag(
        dag, table, factors={shared: "shared_axis"}, edges=[("site", "shared_axis"), ("shared_axis", "TP53")],
        roles={"shared_axis": "exposure"},
    )
    print(f"\n{shared} as a DAG node (reliability of its scores "
          f"{data.attrs['factor_reliability']['shared_axis']:.3f}):")
    print(dag.to_dagitty(layout=False))
    print("adjustment set for shared_axis -> TP53:", sorted(dag.adjustment_sets(kind="optimal")[0]))

    ax = model.plot_variance_explained()
    ax.set_title("Variance explained per factor and view")
    ax.figure.tight_layout()
    ax.figure.savefig(args.out, dpi=120)
    plt.close(ax.figure)
    print(f"\nheatmap saved to {args.out}")


if __name__ == "__main__":
    main()
