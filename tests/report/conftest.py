"""A synthetic but realistic `radiocausal analyze` results folder for the report tests.

The DAG is the simulator's batch_confounding scenario, the DAG check is computed from it with the
graph engine, truth.json is written by the simulator, and the scan / effects / interventions /
factor tables follow the results-folder contract with numbers that tell the scenario's story
(site-confounded EGFR associations significant unadjusted, gone after adjustment; the adjusted
posterior covering the true effect 1.0, the unadjusted one not).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radiocausal.report import STEPS
from radiocausal.simulate import batch_confounding

FEATURES = [f"original_glcm_{n}" for n in ("Contrast", "Correlation", "JointEnergy", "Idm")] + [
    f"original_firstorder_{n}" for n in ("Mean", "Entropy", "Skewness", "Kurtosis")
] + ["original_shape_VoxelVolume", "original_shape_Sphericity", "original_glszm_ZonePercentage", "original_ngtdm_Busyness"]
GENES = {"EGFR": "mutation", "KRAS": "mutation", "MYC": "copy_number", "VIM": "expression"}
ICC = [0.97, 0.95, 0.62, 0.93, 0.99, 0.91, 0.48, 0.71, 0.995, 0.88, 0.93, float("nan")]
ICC_THRESHOLD = 0.9
# EGFR -> texture (truth 1.0) and grade -> texture (truth 0.5)
EFFECTS = [
    # exposure, outcome, model, set, mean, sd, lo, hi, r_hat, ess, truth
    ("EGFR", "texture", "adjusted", "grade;site", 1.024, 0.151, 0.745, 1.311, 1.002, 1650.0, 1.0),
    ("EGFR", "texture", "unadjusted", "", 1.873, 0.139, 1.611, 2.132, 1.001, 1830.0, 1.0),
    ("grade", "texture", "adjusted", "", 0.468, 0.083, 0.311, 0.622, 1.012, 380.0, 0.5),
    ("grade", "texture", "unadjusted", "", 0.471, 0.081, 0.320, 0.626, 1.000, 1720.0, 0.5),
]
INTERVENTIONS = [
    ("texture", "do(EGFR=1)", "do(EGFR=0)", 0.987, 0.148, 0.712, 1.270, 1.0),
    ("texture", "do(grade=2)", "do(grade=0)", 0.941, 0.160, 0.640, 1.236, 1.0),
    ("heterogeneity", "do(EGFR=1)", "do(EGFR=0)", 1.046, 0.120, 0.820, 1.271, float("nan")),
]
VIEWS = ["radiomics", "expression", "mutations"]
VE = [[0.312, 0.041, 0.118], [0.057, 0.226, 0.009], [0.021, 0.034, 0.151]]


def _bh(p: np.ndarray) -> np.ndarray:
    n = len(p)
    order = np.argsort(p)
    q = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(q[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


def _scan_table(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for adjusted in (False, True):
        part = []
        for f_i, feature in enumerate(FEATURES):
            for gene, kind in GENES.items():
                # texture-like features carry the site-confounded EGFR signal unadjusted; after
                # adjusting for {grade, site} only the real (smaller) effect on contrast remains
                if gene == "EGFR" and f_i < 4:
                    est = (0.9 - 0.1 * f_i) if not adjusted else (0.35 if f_i == 0 else 0.03 * f_i)
                    se = 0.09
                else:
                    est = float(rng.normal(0.0, 0.06))
                    se = 0.1
                test = {"mutation": "linear", "copy_number": "ordinal", "expression": "spearman"}[kind]
                part.append([feature, gene, kind, test, adjusted, "grade;site" if adjusted else "", est, se])
        df = pd.DataFrame(part, columns=["feature", "gene", "kind", "test", "adjusted", "adjustment_set", "estimate", "se"])
        from scipy import stats

        df["statistic"] = df["estimate"] / df["se"]
        df["p_value"] = 2 * stats.norm.sf(np.abs(df["statistic"]))
        df.loc[(df["feature"] == FEATURES[-1]) & (df["gene"] == "VIM"), ["estimate", "se", "statistic", "p_value"]] = np.nan
        p = df["p_value"].to_numpy()
        q = np.full(len(p), np.nan)
        ok = np.isfinite(p)
        q[ok] = _bh(p[ok])
        df["q_value"] = q
        rows.append(df)
    return pd.concat(rows, ignore_index=True)


def _dag_check(dag) -> dict:
    pairs = []
    for x, y, naive in (
        ("EGFR", "texture", [("unadjusted", []), ("site only (batch)", ["site"]), ("all measured covariates", ["grade", "site"])]),
        ("grade", "texture", [("unadjusted", []), ("all measured covariates", ["EGFR", "site"])]),
    ):
        minimal = [sorted(s) for s in dag.adjustment_sets(x, y)]
        chosen = minimal[0]
        pairs.append(
            {
                "exposure": x,
                "outcome": y,
                "identifiable": True,
                "adjustment_set": chosen,
                "kind": "minimal",
                "minimal_sets": minimal,
                "explanation": str(dag.explain_adjustment(chosen, x, y)),
                "naive": [
                    {
                        "label": label,
                        "set": s,
                        "valid": dag.is_adjustment_set(s, x, y),
                        "explanation": str(dag.explain_adjustment(s, x, y)),
                    }
                    for label, s in naive
                ],
            }
        )
    return {"pairs": pairs, "warnings": ["node 'heterogeneity' is latent: its effect is estimated through texture only"]}


def build_results(root: Path, *, with_posterior: bool = True) -> Path:
    """Write every artefact of the contract into ``root``; returns ``root``."""
    rng = np.random.default_rng(7)
    root.mkdir(parents=True, exist_ok=True)
    scenario = batch_confounding()
    dag = scenario.dag
    seconds = dict(zip(STEPS, (0.4, 0.1, 41.2, 3.5, 0.8, 2.3, 95.1, 12.7, 8.4, 0.0), strict=True))
    run = {
        "study": "batch_confounding demo",
        "radiocausal_version": "0.1.0.dev0",
        "started": "2026-11-24T10:00:00+00:00",
        "finished": "2026-11-24T10:02:45+00:00",
        "steps": {s: {"status": "done", "seconds": seconds[s], "warnings": []} for s in STEPS},
        "settings": {
            "dag": "batch_confounding.dag",
            "pairs": [["EGFR", "texture"], ["grade", "texture"]],
            "extraction": {"settings": "ibsi-C"},
            "stability": {"icc_threshold": ICC_THRESHOLD},
            "scan": {"fdr": 0.05},
            "bayes": {"draws": 500, "tune": 500, "chains": 2},
        },
    }
    run["steps"]["features"]["warnings"] = ["1 feature(s) with missing or constant values are left out (ngl_dc_perc_3D)"]
    run["steps"]["scan"]["reused"] = True
    (root / "run.json").write_text(json.dumps(run, indent=2))
    (root / "dag.dag").write_text(dag.to_dagitty())
    (root / "dag_check.json").write_text(json.dumps(_dag_check(dag), indent=2))

    patients = pd.Index([f"P{i:03d}" for i in range(40)], name="patient_id")
    (root / "features").mkdir()
    pd.DataFrame(rng.normal(size=(40, len(FEATURES))), index=patients, columns=FEATURES).to_csv(root / "features/features.csv")
    (root / "stability").mkdir()
    icc = np.array(ICC)
    pd.DataFrame(
        {
            "feature": FEATURES,
            "icc": icc,
            "ci_low": icc - 0.05,
            "ci_high": np.minimum(icc + 0.03, 1.0),
            "stable": np.nan_to_num(icc, nan=0.0) >= ICC_THRESHOLD,
        }
    ).to_csv(root / "stability/stability.csv", index=False)
    (root / "genomics").mkdir()
    pd.DataFrame(rng.integers(0, 2, size=(40, 2)), index=patients, columns=["EGFR", "KRAS"]).to_csv(root / "genomics/mutations.csv")
    pd.DataFrame(rng.integers(-2, 3, size=(40, 1)), index=patients, columns=["MYC"]).to_csv(root / "genomics/copy_number.csv")
    pd.DataFrame(rng.gamma(2.0, 2.0, size=(40, 1)), index=patients, columns=["VIM"]).to_csv(root / "genomics/expression.csv")
    (root / "scan").mkdir()
    _scan_table(rng).to_csv(root / "scan/scan.csv", index=False)

    (root / "bayes").mkdir()
    cols = ["exposure", "outcome", "model", "adjustment_set", "mean", "sd", "hdi_3%", "hdi_97%", "r_hat", "ess_bulk", "truth"]
    pd.DataFrame(EFFECTS, columns=cols).to_csv(root / "bayes/effects.csv", index=False)
    if with_posterior:
        import arviz as az

        idata = az.from_dict(posterior={"b_exposure": rng.normal(1.0, 0.15, size=(2, 50))})
        idata.to_netcdf(str(root / "bayes/EGFR__texture__adjusted.nc"))
    (root / "interventions").mkdir()
    pd.DataFrame(
        INTERVENTIONS, columns=["target", "intervention", "baseline", "mean", "sd", "hdi_3%", "hdi_97%", "truth"]
    ).to_csv(root / "interventions/interventions.csv", index=False)

    (root / "factors").mkdir()
    ve = pd.DataFrame(VE, index=pd.Index(["Factor1", "Factor2", "Factor3"], name="factor"), columns=VIEWS)
    ve.to_csv(root / "factors/variance_explained.csv")
    pd.DataFrame(
        [(f, v, max(ve.loc[f, v] - 0.03, 0.0), ve.loc[f, v] + 0.04) for f in ve.index for v in VIEWS],
        columns=["factor", "view", "lower", "upper"],
    ).to_csv(root / "factors/variance_explained_intervals.csv", index=False)
    pd.DataFrame(rng.normal(size=(40, 3)), index=patients, columns=ve.index).to_csv(root / "factors/scores.csv")

    cohort = root.parent / (root.name + "_cohort")
    scenario.write_cohort(3, cohort, random_seed=0, n_truth=2000)
    shutil.copy(cohort / "truth.json", root / "truth.json")
    shutil.rmtree(cohort)
    return root


@pytest.fixture(scope="session")
def _pristine_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_results(tmp_path_factory.mktemp("report") / "results")


@pytest.fixture
def results_dir(_pristine_results: Path, tmp_path: Path) -> Path:
    """A fresh copy of the complete results folder (tests may change or break files)."""
    return Path(shutil.copytree(_pristine_results, tmp_path / "results"))


@pytest.fixture(scope="session")
def rendered(_pristine_results: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A copy of the complete results folder rendered once: (folder, page text). Read only."""
    from radiocausal.report import write_report

    root = Path(shutil.copytree(_pristine_results, tmp_path_factory.mktemp("rendered") / "results"))
    return root, write_report(root).read_text(encoding="utf-8")
