"""Virtual biopsy on TCGA-BRCA: ER status, PR status and PAM50 subtype from 36 DCE-MRI phenotypes.

Honest nested cross-validation (repeated stratified 5-fold outside, stratified inner folds for the
penalty), a clinical-only baseline (age, T2 or more) on the same folds, calibration and a
permutation test against label shuffling.

Usage::

    python examples/virtual_biopsy_tcga_brca.py /work/shared/data/tcga_brca/ [--model elastic_net]
        [--repeats 5] [--permutations 19] [--plots out_dir]

The data folder (or ``$RADIOCAUSAL_DATA/tcga_brca``) holds ``tcga_brca_mri_features_clinical_91.csv``
(TCIA "TCGA-Breast-Radiogenomics", CC BY 3.0) and ``Perou-TCGA-BRCA-metadata.csv`` (PAM50 calls).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import pandas as pd

from radiocausal.predict import cross_validate

MRI_FILE = "tcga_brca_mri_features_clinical_91.csv"
PAM50_FILE = "Perou-TCGA-BRCA-metadata.csv"
#: The 36 computer-extracted phenotypes end with their code in parentheses: (K1) ... (S5), (G3).
PHENOTYPE = re.compile(r"\((?:K|E|T|G|M|S)\d+\)$")


def load(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Features (36 columns), clinical covariates and targets, indexed by TCGA barcode."""
    table = pd.read_csv(folder / MRI_FILE).set_index("CLID")
    features = table[[c for c in table.columns if PHENOTYPE.search(c)]].astype(float)
    if features.shape[1] != 36:
        raise SystemExit(f"expected 36 MRI phenotypes in {MRI_FILE}, found {features.shape[1]}")
    # in this release the 'pathologic_stage' column holds the T category (T1, T1b, T1c, T2, T3);
    # T3 (3 patients) is merged with T2 so that every training fold sees every level
    t_category = table["pathologic_stage"].str.extract(r"^T(\d)")[0].astype(int)
    clinical = pd.DataFrame({"age": table["Age"].astype(float), "t2_or_more": (t_category >= 2).astype(float)})
    targets = pd.DataFrame({"ER": table["ER_status"], "PR": table["PR_status"]})
    pam50 = pd.read_csv(folder / PAM50_FILE).set_index("CLID")["Pam50.Call"]
    targets["PAM50"] = pam50.reindex(targets.index)
    return features, clinical, targets


def main(argv: list[str] | None = None) -> int:
    default = Path(os.environ.get("RADIOCAUSAL_DATA", "../shared/data")) / "tcga_brca"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=default, help="folder with the TCGA-BRCA tables")
    parser.add_argument("--model", default="elastic_net",
                        choices=["elastic_net", "lasso", "ridge", "bayesian_horseshoe"])
    parser.add_argument("--repeats", type=int, default=5, help="repeats of the outer 5-fold CV")
    parser.add_argument("--permutations", type=int, default=19, help="label shufflings (first repeat's folds)")
    parser.add_argument("--plots", type=Path, default=None, help="folder for reliability plots (PNG)")
    args = parser.parse_args(argv)
    if not (args.data / MRI_FILE).exists():
        parser.error(f"{args.data / MRI_FILE} not found; pass the tcga_brca folder")
    features, clinical, targets = load(args.data)
    print(f"{features.shape[0]} patients x {features.shape[1]} MRI phenotypes; clinical baseline: age, T2+")
    if args.plots is not None:
        args.plots.mkdir(parents=True, exist_ok=True)

    for name in ["ER", "PR", "PAM50"]:
        y = targets[name].dropna()
        if name == "PAM50":
            # Normal-like calls (n=4 here) are too few for 5-fold stratification and usually
            # reflect normal-tissue contamination of the RNA sample, so they are left out.
            y = y[y != "Normal"]
        X, cov = features.loc[y.index], clinical.loc[y.index]
        start = time.perf_counter()
        res = cross_validate(X, y, model=args.model, covariates=cov, n_splits=5, n_repeats=args.repeats,
                             random_state=0, pos_label="Positive" if name != "PAM50" else None)
        # the imaging-only model on the same folds, to separate what the images add
        img = cross_validate(X, y, model=args.model, n_splits=5, n_repeats=args.repeats, random_state=0,
                             pos_label="Positive" if name != "PAM50" else None)
        p_value = img.permutation_pvalue(n_permutations=args.permutations)
        counts = ", ".join(f"{k}: {v}" for k, v in y.value_counts().items())
        print(f"\n== {name} ({len(y)} patients; {counts}) ==")
        for label, r in (("imaging only", img), ("clinical only", res.baseline), ("imaging + clinical", res)):
            lo, hi = r.auc_ci
            line = f"  {label:<19} AUC {r.auc:.3f} [{lo:.3f}, {hi:.3f}]"
            blo, bhi = r.balanced_accuracy_ci
            line += f"; balanced accuracy {r.balanced_accuracy:.3f} [{blo:.3f}, {bhi:.3f}]"
            if r.task == "binary":
                line += f"; calibration slope {r.calibration_slope:.2f}, intercept {r.calibration_intercept:+.2f}"
            print(line)
        gain, (glo, ghi) = res.improvement()
        print(f"  imaging adds to clinical: AUC {gain:+.3f} [{glo:+.3f}, {ghi:+.3f}] (paired by fold)")
        print(f"  permutation p-value (imaging only, {args.permutations} shufflings): {p_value:.3f}")
        top = img.selection_frequency.head(5)
        print("  most often selected: " + "; ".join(f"{k} ({v:.0%})" for k, v in top.items()))
        if args.plots is not None:
            import matplotlib.pyplot as plt

            if img.task == "binary":
                plt.close(img.plot_calibration(args.plots / f"calibration_{name}.png"))
            plt.close(img.plot_selection_frequency(args.plots / f"selection_{name}.png", top=15))
        print(f"  ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
