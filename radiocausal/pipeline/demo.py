"""The embedded demo: simulate a radiogenomic cohort with known truth, write its study file, analyse it.

:func:`run_demo` is what ``radiocausal demo`` runs; :func:`write_study_file` writes the study
file for any cohort folder written by :meth:`radiocausal.simulate.Scenario.write_cohort`, and
:func:`truth_table` puts the estimates of a finished analysis next to the simulated truth.

Examples
--------
>>> truth = {"feature_node": "phenotype", "gene_nodes": {"EGFR": "EGFR", "TP53": "other_mutations"},
...          "genes": {"EGFR": {"table": "mutations"}, "TP53": {"table": "mutations"}}}
>>> text = study_text(truth, pairs={"EGFR": ["stat_qcod"]}, fast=True)
>>> print(text.split("[nodes]")[1].split("[[pairs]]")[0].strip())  # doctest: +NORMALIZE_WHITESPACE
features = "phenotype"           # every radiomic feature stands for this node
other = { "mutation" = "other_mutations" }   # a table's columns that are not DAG nodes
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiocausal.pipeline.analyze import AnalysisResult, analyze

__all__ = ["run_demo", "write_study_file", "study_text", "truth_table", "DemoResult", "DEMO_PAIRS", "DEMO_SETTINGS"]

#: The demo's questions: exposure -> feature columns modelled by the Bayesian models.  EGFR
#: raises tumour heterogeneity (texture and intensity spread); KRAS has no effect on the image
#: but is more frequent at the brighter-scanning site (a batch-confounded null).  The first
#: feature of the first pair is the headline and the structural model's do() target: the
#: quartile coefficient of dispersion, a ratio (the sites' intensity scales cancel out, their
#: offsets do not).  EGFR's effect differs between sites and grades on both features, but on this
#: one the additive {grade, site}-adjusted coefficient targets within 0.5 % of the average causal
#: effect and its intervals cover the truth.  EGFR multiplies the intensity variance (second): its
#: effect grows with grade and the site's intensity scale, the residual spread grows with it, and
#: the additive, constant-variance models' intervals are too narrow there (docs/analyze.md,
#: "Effect modification and the variance feature").
DEMO_PAIRS = {"EGFR": ["stat_qcod", "stat_var"], "KRAS": ["stat_mean", "stat_median"]}
#: The demo exposures with a causal path to the image: their feature-level truth is simulated
#: (paired do() cohorts); the others' truth is exactly 0 (no path in the generating DAG).
_CAUSAL = ["EGFR"]
#: Settings of the full and the ``fast`` demo.
DEMO_SETTINGS = {
    False: {"n": 160, "retest": 30, "draws": 500, "tune": 500, "chains": 2, "n_truth": 160},
    True: {"n": 100, "retest": 20, "draws": 200, "tune": 200, "chains": 2, "n_truth": 100},
}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def study_text(truth: Mapping[str, Any], *, pairs: Mapping[str, Sequence[str]] | None = None, fast: bool = False,
               seed: int = 0, files: Mapping[str, str] | None = None, categorical: Sequence[str] = ("site",)) -> str:
    """The study file (TOML text) for a simulated cohort folder, from its ``truth.json`` record.

    ``files`` maps ``data`` keys to paths (an empty string leaves the key out); ``categorical``
    lists the patients table's columns of category codes.
    """
    st = DEMO_SETTINGS[bool(fast)]
    if pairs is None:
        pairs = {x: fs[:1] for x, fs in DEMO_PAIRS.items()} if fast else DEMO_PAIRS
    fnode = truth.get("feature_node", "phenotype")
    columns, other = _node_maps(truth)
    files = files or {}
    lines = [
        "# Study file written by `radiocausal demo` for a simulated cohort (see docs/analyze.md).",
        "[study]",
        'name = "radiogenomic demo"',
        'dag = "cohort.dag"            # the generating DAG, radiomic features as one node',
        'output = "results"',
        "",
        "[data]",
        'patients = "patients.csv"',
        f"categorical = {_toml_value(list(categorical))}   # integer codes that are categories",
    ]
    for key, default in (("manifest", "manifest.csv"), ("retest_manifest", "manifest_retest.csv"),
                         ("mutations", "genomics/mutations_maf.csv"), ("copy_number", "genomics/copy_number.csv"),
                         ("expression", "genomics/expression_counts.csv"),
                         ("gene_lengths", "genomics/gene_lengths.csv"), ("truth", "truth.json")):
        if files.get(key, default):
            lines.append(f"{key} = {_toml_value(files.get(key, default))}")
    lines += ["", "[nodes]", f"features = {_toml_value(fnode)}           # every radiomic feature stands for this node"]
    if other:
        lines.append(f"other = {_toml_value(other)}   # a table's columns that are not DAG nodes")
    if columns:
        lines.append(f"columns = {_toml_value(columns)}")
    lines.append("")
    for x, feats in pairs.items():
        lines += ["[[pairs]]", f"exposure = {_toml_value(x)}", f"outcome = {_toml_value(fnode)}",
                  f"features = {_toml_value(list(feats))}", ""]
    first = next(iter(pairs.values()), [])
    if first:  # one structural model answers do() of every exposure on the first pair's first feature
        lines.append("# do(gene = 1) versus do(gene = 0) on one feature, from one structural model")
        for x in pairs:
            lines += ["[[interventions]]", f"target = {_toml_value(first[0])}", f"set = {{ {x} = 1 }}",
                      f"baseline = {{ {x} = 0 }}", ""]
    lines += [
        "[extraction]", 'preset = "pyradiomics"', "",
        "[stability]", "threshold = 0.75", "",
        "[scan]", 'tests = { mutation = "linear", copy_number = "linear", expression = "linear" }', "fdr = 0.05", "",
        "[bayes]", f"draws = {st['draws']}", f"tune = {st['tune']}", f"chains = {st['chains']}", f"seed = {seed}", "",
        "[factors]", "n_factors = 5", f"seed = {seed}", f"n_bootstrap = {5 if fast else 10}", "",
    ]
    return "\n".join(lines)


_TABLE_KIND = {"mutations": "mutation", "copy_number": "copy_number", "expression": "expression"}


def _node_maps(truth: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(``nodes.columns``, ``nodes.other``) reproducing the simulator's ``gene_nodes``."""
    gene_nodes = {k: v for k, v in truth.get("gene_nodes", {}).items() if k != v}
    tables = {g: _TABLE_KIND.get(str(rec.get("table")), "") for g, rec in truth.get("genes", {}).items()}
    by_kind: dict[str, set[str]] = {}
    for g, nd in gene_nodes.items():
        by_kind.setdefault(tables.get(g, ""), set()).add(nd)
    other = {k: next(iter(v)) for k, v in by_kind.items() if k and len(v) == 1}
    columns = {g: nd for g, nd in gene_nodes.items() if other.get(tables.get(g, "")) != nd}
    return columns, other


def write_study_file(cohort_dir: str | os.PathLike, *, pairs: Mapping[str, Sequence[str]] | None = None,
                     fast: bool = False, seed: int = 0) -> Path:
    """Write ``study.toml`` into a simulated cohort folder (reads its ``truth.json``); returns its path."""
    from radiocausal.errors import DataError

    folder = Path(cohort_dir)
    tp = folder / "truth.json"
    if not tp.is_file():
        raise DataError(f"'{folder}' holds no truth.json: expected a cohort folder written by Scenario.write_cohort")
    truth = json.loads(tp.read_text(encoding="utf-8"))
    files = {}
    for key, rel in (("retest_manifest", "manifest_retest.csv"), ("mutations", "genomics/mutations_maf.csv"),
                     ("copy_number", "genomics/copy_number.csv"), ("expression", "genomics/expression_counts.csv"),
                     ("gene_lengths", "genomics/gene_lengths.csv")):
        files[key] = rel if (folder / rel).is_file() else ""
    columns = pd.read_csv(folder / "patients.csv", nrows=0).columns[1:]
    categorical = [c for c in columns if truth.get("nodes", {}).get(c, {}).get("type") == "categorical"]
    path = folder / "study.toml"
    path.write_text(study_text(truth, pairs=pairs, fast=fast, seed=seed, files=files, categorical=categorical),
                    encoding="utf-8")
    return path


@dataclass
class DemoResult:
    """What :func:`run_demo` returns: the analysis and the estimates next to the truth."""

    analysis: AnalysisResult
    table: pd.DataFrame
    study_file: Path


def truth_table(result: AnalysisResult) -> pd.DataFrame:
    """Estimates of each modelled (exposure, feature) next to the simulated truth.

    Columns: ``exposure``, ``feature``, ``truth``, ``scan_unadjusted`` and its ``q`` value,
    ``scan_adjusted`` (DAG set) and its ``q``, ``bayes_unadjusted``, ``bayes_adjusted`` with its
    94 % HDI (``hdi_3%``, ``hdi_97%``) and ``covers`` (whether that interval holds the truth).
    Scan estimates are the feature's mean difference per unit of the gene (linear test).
    """
    eff = result.effects
    if eff is None:
        return pd.DataFrame()
    scan = result.scan
    rows = []
    for (x, f), grp in eff.groupby(["exposure", "outcome"], sort=False):
        row: dict[str, Any] = {"exposure": x, "feature": f, "truth": grp["truth"].iloc[0]}
        if scan is not None:
            sel = scan[(scan["gene"].astype(str) == x) & (scan["feature"].astype(str) == f)]
            for adj, label in ((False, "scan_unadjusted"), (True, "scan_adjusted")):
                s = sel[sel["adjusted"].astype(bool) == adj]
                row[label] = s["estimate"].iloc[0] if len(s) else np.nan
                row[f"{label}_q"] = s["q_value"].iloc[0] if len(s) else np.nan
        for model in ("unadjusted", "adjusted"):
            m = grp[grp["model"] == model]
            row[f"bayes_{model}"] = m["mean"].iloc[0] if len(m) else np.nan
            if model == "adjusted" and len(m):
                row["hdi_3%"], row["hdi_97%"] = m["hdi_3%"].iloc[0], m["hdi_97%"].iloc[0]
        t = row["truth"]
        row["covers"] = bool(np.isfinite(t) and row.get("hdi_3%", np.nan) <= t <= row.get("hdi_97%", np.nan))
        rows.append(row)
    return pd.DataFrame(rows)


def run_demo(
    out_dir: str | os.PathLike,
    *,
    n: int | None = None,
    random_seed: int = 0,
    fast: bool = False,
    force: bool = False,
    progress: bool = False,
    n_jobs: int | None = None,
) -> DemoResult:
    """Simulate the embedded cohort into ``out_dir``, write ``study.toml``, analyse it.

    The cohort is :func:`radiocausal.simulate.radiogenomic_cohort` (scanner site confounding
    KRAS and the image, grade confounding EGFR, real images with repeat scans, genomic tables);
    its truth for the modelled features is computed by the simulator from paired ``do()``
    cohorts.  A folder that already holds the cohort is reused (``force`` re-simulates).

    Parameters
    ----------
    out_dir : path
    n : int, optional
        Patients (default 160, or 100 with ``fast``).
    random_seed : int
    fast : bool
        Fewer patients and posterior draws (for tests and a first look).
    force : bool
        Re-simulate the cohort and recompute every step.
    progress : bool
        Progress bars on stderr.
    n_jobs : int, optional
        Extraction workers for the truth (default: all cores).

    Returns
    -------
    DemoResult
    """
    from radiocausal.errors import DataError
    from radiocausal.simulate import radiogenomic_cohort

    st = DEMO_SETTINGS[bool(fast)]
    n = st["n"] if n is None else n
    if isinstance(n, bool) or not isinstance(n, int) or n < 30:
        raise DataError(f"n = {n!r}: expected an integer of at least 30 patients")
    out = Path(out_dir)
    stamp = {"n": n, "random_seed": random_seed, "fast": bool(fast)}
    stamp_file = out / "demo.json"
    same = (stamp_file.is_file() and json.loads(stamp_file.read_text(encoding="utf-8")) == stamp
            and (out / "truth.json").is_file())
    if force or not same:
        out.mkdir(parents=True, exist_ok=True)
        features = sorted({f for fs in DEMO_PAIRS.values() for f in fs})
        radiogenomic_cohort().write_cohort(
            n, out, random_seed=random_seed, retest=min(st["retest"], n), feature_effects=_CAUSAL,
            settings="pyradiomics", n_feature_effects=min(n, st["n_truth"]), n_jobs=n_jobs or os.cpu_count() or 1,
        )
        _check_feature_truth(out / "truth.json", features)  # KRAS: no path to the image, truth 0
        stamp_file.write_text(json.dumps(stamp), encoding="utf-8")
    study_file = write_study_file(out, fast=fast, seed=random_seed)
    result = analyze(study_file, force=force, progress=progress)
    return DemoResult(result, truth_table(result), study_file)


def _check_feature_truth(path: Path, features: Sequence[str]) -> None:
    """Make sure the simulator recorded the truth of every demo feature for every demo exposure."""
    rec = json.loads(path.read_text(encoding="utf-8"))
    have = {(r["exposure"], r["feature"]) for r in rec.get("feature_effects", [])}
    missing = [(x, f) for x in _CAUSAL for f in features if (x, f) not in have]
    if missing:
        from radiocausal.errors import DataError

        raise DataError(f"the simulator recorded no feature-level truth for {missing}")
