"""TCGA glioma (LGG + GBM): mutation co-occurrence and mutation vs grade, a genomics-only scan.

Usage (the data are not shipped with radiocausal)::

    python examples/tcga_glioma_scan.py /work/shared/data/tcga_glioma/
    python examples/tcga_glioma_scan.py      # uses $RADIOCAUSAL_DATA/tcga_glioma or ../shared/data/tcga_glioma

1. Co-occurrence: every mutation against every other by logistic regression (gene B ~ gene A +
   age), so the estimate is the age-adjusted log odds ratio of carrying B when A is mutated; pairs
   with an empty cell (never or always co-mutated) are flagged as separated, not reported as
   infinite odds ratios.  FDR over the distinct pairs.
2. Grade: glioblastoma (grade IV) vs lower-grade glioma against each mutation, by logistic
   regression adjusted for age (GBM ~ mutation + age), and age itself by the rank-sum test.

Data: TCGA LGG/GBM mutation calls (UCI "Glioma Grading Clinical and Mutation Features",
Tasci et al. 2022), CC BY 4.0.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from radiocausal.stats import adjust_pvalues, association_scan

DATA_FILE = "TCGA_GBM_LGG_Mutations_all.csv"


def default_folder() -> Path:
    root = Path(os.environ.get("RADIOCAUSAL_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    return root / "tcga_glioma"


def load(folder: Path):
    raw = pd.read_csv(folder / DATA_FILE, encoding="utf-8-sig")
    raw = raw.set_index("Case_ID")
    genes = list(raw.columns[raw.columns.get_loc("Race") + 1:])
    mutations = (raw[genes] == "MUTATED").astype(float)
    years = raw["Age_at_diagnosis"].str.extract(r"(\d+) years(?: (\d+) days)?").astype(float)
    age = (years[0] + years[1].fillna(0) / 365.25).rename("age")
    clinical = pd.DataFrame({"age": age, "GBM": (raw["Grade"] == "GBM").astype(float)})
    keep = age.notna()
    return mutations[keep], clinical[keep], int((~keep).sum())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", type=Path, default=None, help="folder holding the glioma CSV file")
    ap.add_argument("--top", type=int, default=10)
    args = ap.parse_args(argv)
    folder = args.folder or default_folder()
    if not (folder / DATA_FILE).exists():
        print(f"error: {folder / DATA_FILE} not found; pass the tcga_glioma data folder", file=sys.stderr)
        return 2
    mutations, clinical, dropped = load(folder)
    print(f"{len(mutations)} patients ({dropped} without age dropped), {mutations.shape[1]} genes; "
          f"{int(clinical['GBM'].sum())} GBM, {int((1 - clinical['GBM']).sum())} LGG\n")

    # 1. co-occurrence
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        co = association_scan(mutations, mutations, test="logistic", covariates=clinical[["age"]])
    co["feature"], co["gene"] = co["feature"].astype(str), co["gene"].astype(str)
    order = {g: i for i, g in enumerate(mutations.columns)}
    co = co[co["feature"].map(order) < co["gene"].map(order)].copy()  # each unordered pair once
    co["q_value"] = adjust_pvalues(co["p_value"], "bh")
    n_sep = int(co["separated"].sum())
    print(f"co-occurrence: {len(co)} gene pairs, {int((co['q_value'] <= 0.05).sum())} with BH q <= 0.05, "
          f"{n_sep} without a finite odds ratio (separated){'; ' + str(len(caught)) + ' warning(s)' if caught else ''}")
    top = co.sort_values("p_value").head(args.top).assign(
        odds_ratio=lambda d: np.exp(d["estimate"]),
        relation=lambda d: np.where(d["estimate"] > 0, "co-occur", "exclusive"),
    )
    print(top[["feature", "gene", "relation", "odds_ratio", "p_value", "q_value"]].to_string(
        index=False, formatters={"odds_ratio": "{:.2f}".format, "p_value": "{:.1e}".format,
                                 "q_value": "{:.1e}".format}))

    # 2. grade
    grade = association_scan(mutations, clinical[["GBM"]], test="logistic", covariates=clinical[["age"]])
    grade = grade.assign(odds_ratio=np.exp(grade["estimate"])).sort_values("p_value")
    print("\nglioblastoma vs lower grade, by mutation (logistic, adjusted for age):")
    print(grade.head(args.top)[["feature", "odds_ratio", "p_value", "q_value"]].to_string(
        index=False, formatters={"odds_ratio": "{:.2f}".format, "p_value": "{:.1e}".format,
                                 "q_value": "{:.1e}".format}))
    age_test = association_scan(clinical[["age"]], clinical[["GBM"]], test="wilcoxon")
    print(f"\nage, GBM vs LGG (rank-sum): P(older | GBM) = {age_test['estimate'].iloc[0]:.2f}, "
          f"p = {age_test['p_value'].iloc[0]:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
