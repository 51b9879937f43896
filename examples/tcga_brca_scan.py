"""TCGA-BRCA radiogenomic scan: 36 DCE-MRI phenotypes against receptor status, PAM50 subtype and risk.

Usage (the data are not shipped with radiocausal)::

    python examples/tcga_brca_scan.py /work/shared/data/tcga_brca/
    python examples/tcga_brca_scan.py            # uses $RADIOCAUSAL_DATA/tcga_brca or ../shared/data/tcga_brca

What it does:

1. reads the MRI table (91 patients: kinetics K1-K7, enhancement variance E1-E4, texture T1-T14,
   morphology G1-G3, margin M1-M3, size S1-S5, plus ER/PR/HER2 status and age) and the PAM50 table
   (100 patients: subtype call, ROR-P risk, proliferation and recurrence scores) and joins them by
   TCGA patient id, reporting who is missing on which side;
2. scans every phenotype against every molecular variable with the test its type calls for:
   binary (ER+, PR+, HER2 IHC 3+, each PAM50 subtype against the rest) with the Wilcoxon rank-sum
   test, continuous (ROR-P score, proliferation, 21-gene score) with Spearman's rho, ordinal
   (ROR-P group low/med/high, HER2 IHC score 0-3+) by proportional-odds regression;
3. controls the false discovery rate (Benjamini-Hochberg) over the whole family of tests, prints the
   top associations, and re-tests the binary ones by logistic regression adjusted for age.

Data: TCIA TCGA-Breast-Radiogenomics (DOI 10.7937/K9/TCIA.2014.8SIPIY6G) and UNC PAM50 calls, CC BY 3.0.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from radiocausal.genomics import join_by_patient
from radiocausal.stats import adjust_pvalues, association_scan

MRI_FILE = "tcga_brca_mri_features_clinical_91.csv"
PAM50_FILE = "Perou-TCGA-BRCA-metadata.csv"


def default_folder() -> Path:
    root = Path(os.environ.get("RADIOCAUSAL_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
    return root / "tcga_brca"


def load(folder: Path):
    mri = pd.read_csv(folder / MRI_FILE)
    pam50 = pd.read_csv(folder / PAM50_FILE)
    feature_cols = list(mri.columns[4:40])  # the 36 computer-extracted phenotypes
    clinical = mri[["CLID", "Age", "ER_status", "PR_status", "HER2_status"]]
    joined = join_by_patient(mri[["CLID", *feature_cols]], pam50.merge(clinical, on="CLID"),
                             imaging_id="CLID", genomics_id="CLID")
    return joined, feature_cols


def molecular_tables(gen: pd.DataFrame):
    binary = pd.DataFrame(index=gen.index)
    binary["ER+"] = (gen["ER_status"] == "Positive").astype(float)
    binary["PR+"] = (gen["PR_status"] == "Positive").astype(float)
    binary["HER2 IHC 3+"] = (gen["HER2_status"].astype(str) == "3+").astype(float)
    for subtype in sorted(gen["Pam50.Call"].unique()):
        binary[f"PAM50 {subtype}"] = (gen["Pam50.Call"] == subtype).astype(float)
    continuous = pd.DataFrame(index=gen.index)
    continuous["ROR-P score"] = gen["ROR_P"]
    continuous["proliferation (UNC)"] = gen["UNC_Prolif"]
    continuous["21-gene RS score"] = gen["GHI_RS Score"]
    ordinal = pd.DataFrame(index=gen.index)
    ordinal["ROR-P group"] = pd.Categorical(gen["ROR-P Group"], categories=["low", "med", "high"], ordered=True)
    ordinal["HER2 IHC score"] = pd.Categorical(gen["HER2_status"].astype(str), categories=["0", "1+", "2+", "3+"],
                                               ordered=True)
    return binary, continuous, ordinal


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", type=Path, default=None, help="folder holding the TCGA-BRCA CSV files")
    ap.add_argument("--top", type=int, default=15, help="associations to print")
    ap.add_argument("--fdr", type=float, default=0.05)
    args = ap.parse_args(argv)
    folder = args.folder or default_folder()
    if not (folder / MRI_FILE).exists():
        print(f"error: {folder / MRI_FILE} not found; pass the tcga_brca data folder", file=sys.stderr)
        return 2

    joined, feature_cols = load(folder)
    print(joined)
    feats = joined.imaging[feature_cols]
    binary, continuous, ordinal = molecular_tables(joined.genomics)
    print(f"{feats.shape[1]} MRI phenotypes x {binary.shape[1]} binary + {continuous.shape[1]} continuous + "
          f"{ordinal.shape[1]} ordinal molecular variables on {len(feats)} patients\n")

    wil = association_scan(feats, binary, test="wilcoxon").assign(test="wilcoxon (AUC)")
    spe = association_scan(feats, continuous, test="spearman").assign(test="spearman (rho)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # separated fits are flagged in the table
        ordi = association_scan(feats, ordinal, test="ordinal").assign(test="ordinal (log cOR)")
    family = pd.concat([wil, spe, ordi.drop(columns=["converged", "separated"])], ignore_index=True)
    for col in ("feature", "gene"):
        family[col] = family[col].astype(str)
    family["q_family"] = adjust_pvalues(family["p_value"], "bh")
    n_sig = int((family["q_family"] <= args.fdr).sum())
    print(f"{len(family)} tests; {n_sig} with BH q <= {args.fdr} over the whole family\n")
    top = family.sort_values("p_value").head(args.top)
    with pd.option_context("display.width", 160, "display.max_colwidth", 48):
        print(top[["feature", "gene", "test", "estimate", "p_value", "q_family"]].to_string(
            index=False, formatters={"estimate": "{:.3f}".format, "p_value": "{:.2e}".format,
                                     "q_family": "{:.3f}".format}))

    # the binary associations again, by logistic regression adjusted for age
    age = joined.genomics[["Age"]].astype(float)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        logi = association_scan(feats, binary, test="logistic", covariates=age)
    flagged = int((~logi["converged"]).sum())
    best = logi.sort_values("p_value").head(5)
    print(f"\nlogistic regression (mutation-style: molecular status ~ phenotype + age), top 5 "
          f"({flagged} fits flagged as separated or not converged; {len(caught)} warning(s)):")
    best = best.assign(odds_ratio_per_sd=np.exp(best["estimate"] * feats.std().reindex(best["feature"].astype(str)).to_numpy()))
    print(best[["feature", "gene", "odds_ratio_per_sd", "p_value", "q_value"]].to_string(
        index=False, formatters={"odds_ratio_per_sd": "{:.2f}".format, "p_value": "{:.2e}".format,
                                 "q_value": "{:.3f}".format}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
