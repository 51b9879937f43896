"""The steps of :func:`radiocausal.pipeline.analyze`, each reading its inputs from the results folder.

Every step is an object with ``key(ctx)`` (the settings and files it depends on),
``outputs(ctx)`` (the files it writes) and ``run(ctx)`` (returns ``None`` when done, or the reason
it was skipped).  Because each step reads what earlier steps wrote to disk, any step can be reused
from a previous run while the ones after it are recomputed.
"""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiocausal.errors import DataError, IdentificationError, RadiocausalError
from radiocausal.pipeline._tables import (
    GENOMIC_FILES,
    TruthEffects,
    load_features,
    load_genomics,
    node_columns,
    node_of,
    node_table,
    read_indexed,
    read_patients,
    read_truth,
)
from radiocausal.pipeline.study import Intervention, Study

__all__ = ["Context", "STEP_OBJECTS"]


@dataclass
class Context:
    """What a step needs: the study, the results folder, and the progress flag."""

    study: Study
    out: Path
    progress: bool = False
    messages: list[str] = field(default_factory=list)

    def path(self, *parts: str) -> Path:
        return self.out.joinpath(*parts)

    def note(self, message: str) -> None:
        """Record a warning of the current step (:func:`analyze` issues it as a :class:`RadiocausalWarning`)."""
        self.messages.append(message)

    # ------------------------------------------------------------ shared loaders
    def dag(self):
        """The study DAG as checked by the ``dag`` step (``dag.dag``), else as declared."""
        from radiocausal.graph import CausalDAG

        p = self.path("dag.dag")
        return CausalDAG.read(p) if p.is_file() else self.study.load_dag()

    def inputs(self) -> dict[str, Any]:
        return json.loads(self.path("inputs", "inputs.json").read_text(encoding="utf-8"))

    def patients(self) -> pd.DataFrame:
        dag = self.study.load_dag()
        df = read_patients(self.study, dag.batch_nodes)
        ids = self.inputs()["patients"]
        return df.loc[ids]

    def features(self, stable_only: bool = True) -> pd.DataFrame:
        return load_features(self.out, stable_only)

    def genomics(self) -> dict[str, pd.DataFrame]:
        return load_genomics(self.out)

    def truth(self):
        return TruthEffects(read_truth(self.study.data.truth))

    def analysed_patients(self) -> list[str]:
        """Patients with features (when extracted) and every table."""
        ids = list(self.inputs()["patients"])
        fp = self.path("features", "features.csv")
        if fp.is_file():
            have = set(pd.read_csv(fp, usecols=[0]).iloc[:, 0].astype(str))
            ids = [i for i in ids if i in have]
        return ids


# =============================================================================== inputs
class InputsStep:
    name = "inputs"

    def key(self, ctx: Context):
        d = ctx.study.data
        files = [p for p in (d.patients, d.manifest, d.retest_manifest, d.mutations, d.copy_number, d.expression,
                             d.gene_lengths, d.truth) if p is not None]
        return {"data": ctx.study.to_dict()["data"]}, files, []

    def outputs(self, ctx: Context):
        return [ctx.path("inputs", "inputs.json")]

    def run(self, ctx: Context):
        s = ctx.study
        d = s.data
        for what in ("patients", "manifest", "retest_manifest", "mutations", "copy_number", "expression",
                     "gene_lengths", "truth"):
            p = getattr(d, what)
            if p is not None and not p.is_file():
                raise DataError(f"data.{what} = '{p}': the file does not exist")
        patients = read_patients(s)
        ids: dict[str, set[str]] = {"patients": set(patients.index)}
        summary: dict[str, Any] = {"tables": {}}
        summary["tables"]["patients"] = {"rows": len(patients), "columns": list(map(str, patients.columns))}
        if d.manifest is not None:
            from radiocausal.features import read_manifest

            man = read_manifest(d.manifest)
            ids["manifest"] = set(man["patient_id"])
            summary["tables"]["manifest"] = {"rows": len(man)}
            if d.retest_manifest is not None:
                ret = read_manifest(d.retest_manifest)
                extra = sorted(set(ret["patient_id"]) - ids["manifest"])
                if extra:
                    raise DataError(f"data.retest_manifest lists patient(s) {extra[:5]} absent from data.manifest; "
                                    "expected repeat scans of patients of the main manifest")
                summary["tables"]["retest_manifest"] = {"rows": len(ret)}
        if d.mutations is not None:
            maf = pd.read_csv(d.mutations, dtype=str)
            need = ("Tumor_Sample_Barcode", "Hugo_Symbol", "Variant_Classification")
            miss = [c for c in need if c not in maf.columns]
            if miss:
                raise DataError(f"data.mutations '{d.mutations}' lacks column(s) {miss}; expected a MAF-like table "
                                f"with {list(need)}")
            extra = sorted(set(maf["Tumor_Sample_Barcode"]) - ids["patients"])
            if extra:
                ctx.note(f"data.mutations has variants of {len(extra)} patient(s) not in data.patients "
                         f"({', '.join(extra[:5])}); they are ignored")
            summary["tables"]["mutations"] = {"variants": len(maf), "genes": int(maf["Hugo_Symbol"].nunique())}
        for what in ("copy_number", "expression"):
            p = getattr(d, what)
            if p is not None:
                t = read_indexed(p, f"data.{what}")
                ids[what] = set(t.index)
                summary["tables"][what] = {"rows": t.shape[0], "genes": t.shape[1]}
        if d.gene_lengths is not None:
            gl = pd.read_csv(d.gene_lengths)
            if not {"gene", "length"} <= set(gl.columns):
                raise DataError(f"data.gene_lengths '{d.gene_lengths}' needs columns 'gene' and 'length', "
                                f"got {list(gl.columns)}")
        common = set.intersection(*ids.values())
        order = [i for i in patients.index if i in common]
        dropped = {k: sorted(v - common) for k, v in ids.items() if v - common}
        for k, v in dropped.items():
            ctx.note(f"{len(v)} patient(s) of data.{k} are missing from another table and are left out "
                     f"({', '.join(v[:5])}{' ...' if len(v) > 5 else ''})")
        if len(order) < 10:
            raise DataError(f"only {len(order)} patient(s) are in every table ({', '.join(ids)}): "
                            "expected at least 10; check that the patient ids match across the tables")
        summary.update(patients=order, n_patients=len(order), dropped=dropped)
        p = ctx.path("inputs", "inputs.json")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(summary, indent=2), encoding="utf-8")
        if d.truth is not None:
            shutil.copyfile(d.truth, ctx.path("truth.json"))
        return None


# ================================================================================== dag
def _choose_set(dag, x: str, y: str) -> tuple[list[str] | None, str, list[list[str]]]:
    """(chosen set, kind, all minimal sets) for x -> y, the optimal set when it exists."""
    minimal = sorted((sorted(s) for s in dag.adjustment_sets(x, y, kind="minimal")), key=lambda s: (len(s), s))
    if not minimal:
        return None, "none", []
    try:
        opt = dag.adjustment_sets(x, y, kind="optimal")
    except RadiocausalError:
        opt = []
    if opt:
        return sorted(opt[0]), "optimal", minimal
    return minimal[0], "minimal", minimal


def hypothesis_dag(dag, x: str, y: str):
    """``dag`` with the edge ``x -> y`` added when it has no directed path from x to y (else ``dag``).

    A DAG without a causal path asserts that the effect is zero; to *estimate* it (and let the data
    refute the assertion) the model needs the edge.  Adding it changes no back-door path, so the
    adjustment sets are those of the DAG.

    Examples
    --------
    >>> from radiocausal.graph import CausalDAG
    >>> dag = CausalDAG.from_dagitty("dag { site -> KRAS ; site -> phenotype }")
    >>> sorted(hypothesis_dag(dag, "KRAS", "phenotype").edges)
    [('KRAS', 'phenotype'), ('site', 'KRAS'), ('site', 'phenotype')]
    """
    if x in dag.ancestors(y):
        return dag
    out = dag.copy()
    out.add_edge(x, y)
    return out


def check_pairs(dag, pairs: Iterable[tuple[str, str]]) -> tuple[list[dict[str, Any]], list[str]]:
    """The ``pairs`` entries of ``dag_check.json`` and the warnings found while checking.

    Examples
    --------
    >>> from radiocausal.graph import CausalDAG
    >>> dag = CausalDAG.from_dagitty("dag { site [batch] ; site -> KRAS ; site -> phenotype ; KRAS -> phenotype }")
    >>> rows, _ = check_pairs(dag, [("KRAS", "phenotype")])
    >>> rows[0]["adjustment_set"], [(n["label"], n["valid"]) for n in rows[0]["naive"]]
    (['site'], [('unadjusted', False), ('all measured covariates', True), ('batch nodes only', True)])
    """
    rows = []
    notes: list[str] = []
    observed = [v for v in dag.observed_nodes]
    study_dag = dag
    for x, y in pairs:
        for v in (x, y):
            if v not in study_dag:
                raise IdentificationError(f"pair {x} -> {y}: {v!r} is not a node of the DAG (nodes: "
                                          f"{list(study_dag.nodes)})")
        dag = hypothesis_dag(study_dag, x, y)
        if dag is not study_dag:
            notes.append(f"the DAG has no directed path from {x} to {y} (it asserts no effect); the pair is "
                         f"checked and modelled with the edge {x} -> {y} added, to estimate the effect the DAG "
                         "says is zero")
        chosen, kind, minimal = _choose_set(dag, x, y)
        if chosen is not None:
            explanation = str(dag.explain_adjustment(chosen, x, y))
        else:
            measured = sorted(set(observed) - {x, y} - dag.descendants(x))
            explanation = (f"no set of measured nodes identifies the effect of {x} on {y} by adjustment; the "
                           f"non-descendants of {x} would leave:\n{dag.explain_adjustment(measured, x, y)}")
            notes.append(f"pair {x} -> {y} is refused: the DAG cannot identify it by adjustment")
        naive_sets = [("unadjusted", []), ("all measured covariates", sorted(set(observed) - {x, y}))]
        batch = sorted(b for b in dag.batch_nodes if b in observed and b not in (x, y))
        if batch:
            naive_sets.append(("batch nodes only", batch))
        naive = []
        for label, zs in naive_sets:
            e = dag.explain_adjustment(zs, x, y)
            naive.append({"label": label, "set": zs, "valid": bool(e.is_valid), "explanation": str(e)})
        rows.append({"exposure": x, "outcome": y, "identifiable": chosen is not None, "adjustment_set": chosen,
                     "kind": kind, "minimal_sets": minimal, "explanation": explanation, "naive": naive})
    return rows, notes


class DagStep:
    name = "dag"

    def key(self, ctx: Context):
        s = ctx.study
        files = [Path(s.dag)] if Path(s.dag).is_file() else []
        files += [p for p in (s.data.patients, s.data.mutations, s.data.copy_number, s.data.expression) if p]
        return ({"dag": s.dag, "nodes": s.to_dict()["nodes"], "pairs": s.to_dict()["pairs"],
                 "categorical": list(s.data.categorical)}, [*files, ctx.path("inputs", "inputs.json")], [])

    def outputs(self, ctx: Context):
        return [ctx.path("dag.dag"), ctx.path("dag_check.json")]

    def run(self, ctx: Context):
        from radiocausal.graph import CausalDAG

        s = ctx.study
        declared = s.load_dag()
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            conflicts = declared.role_conflicts()
        msgs = [*conflicts, *(str(w.message) for w in rec)]
        patients = read_patients(s, declared.batch_nodes)
        measured_cols = node_columns(s, declared, patients, {})
        measured = set(measured_cols)
        # genomic columns: from the raw tables' headers (normalisation may drop some, not the nodes)
        for kind, path in (("copy_number", s.data.copy_number), ("expression", s.data.expression)):
            if path is not None:
                for c in pd.read_csv(path, nrows=0).columns[1:]:
                    if node_of(s, str(c), kind, declared) in declared:
                        measured.add(node_of(s, str(c), kind, declared))
        if s.data.mutations is not None:
            genes = pd.read_csv(s.data.mutations, usecols=["Hugo_Symbol"], dtype=str)["Hugo_Symbol"].unique()
            measured |= {node_of(s, g, "mutation", declared) for g in genes} & set(declared.nodes)
        fnode = s.nodes.features
        if fnode is not None:
            if fnode not in declared:
                raise DataError(f"nodes.features = {fnode!r} is not a node of the DAG (nodes: {list(declared.nodes)})")
            if s.data.manifest is None:
                raise DataError(f"nodes.features = {fnode!r} but data.manifest is not given: no features to extract")
            measured.add(fnode)
        roles = {v: set(declared.roles(v)) for v in declared.nodes}
        for v in declared.nodes:
            if v not in measured and "latent" not in roles[v]:
                roles[v] = (roles[v] - {"exposure", "outcome", "adjusted"}) | {"latent"}
                msgs.append(f"DAG node {v!r} has no data column: treated as unmeasured ([latent])")
        for p in s.pairs:
            roles.setdefault(p.exposure, set())
            roles.setdefault(p.outcome, set())
        dag = CausalDAG(declared.edges, nodes=declared.nodes, bidirected=declared.bidirected_edges,
                        roles={v: tuple(sorted(r)) for v, r in roles.items() if r}, name=declared.name or s.name)
        pairs = [(p.exposure, p.outcome) for p in s.pairs]
        for x, y in pairs:
            for v in (x, y):
                if v not in dag:
                    raise DataError(f"pairs: {v!r} is not a node of the DAG (nodes: {list(dag.nodes)})")
                if v in dag.latent_nodes:
                    raise DataError(f"pairs: {v!r} has no data column (or is declared latent); expected a measured node")
        rows, notes = check_pairs(dag, pairs)
        msgs += notes
        for m in msgs:
            ctx.note(m)
        # the written DAG carries the pairs' roles so the report can draw them
        for x, y in pairs:
            try:
                dag.add_role(x, "exposure")
                dag.add_role(y, "outcome")
            except RadiocausalError:  # a node that is the exposure of one pair and the outcome of another
                pass
        ctx.path("dag.dag").write_text(dag.to_dagitty(), encoding="utf-8")
        ctx.path("dag_check.json").write_text(json.dumps({"pairs": rows, "warnings": list(dict.fromkeys(msgs))},
                                                         indent=2), encoding="utf-8")
        return None


# ============================================================================= features
def _feature_table(res, manifest_cols: Iterable[str]) -> pd.DataFrame:
    """Numeric feature columns of a BatchResult, index patient_id."""
    df = res.features
    if df.empty:
        return pd.DataFrame(index=pd.Index([], name="patient_id"))
    meta = set(manifest_cols) | {"image", "mask", "settings_hash", "label"}
    cols = [c for c in df.columns if c not in meta and not str(c).startswith("image_")
            and pd.api.types.is_numeric_dtype(df[c])]
    if df["patient_id"].duplicated().any():
        raise DataError("the manifest holds several regions (labels) per patient; the pipeline expects one ROI per "
                        "patient (split the manifest per label)")
    return df.set_index(df["patient_id"].astype(str))[cols].rename_axis("patient_id")


def _extract(ctx: Context, manifest: Path, folder: Path, patients: Iterable[str], what: str) -> pd.DataFrame:
    """Extract the manifest's cases of ``patients`` (resumably) and return their feature table."""
    from radiocausal.features import extract_batch, read_manifest

    s = ctx.study
    man = read_manifest(manifest)
    man = man[man["patient_id"].isin(set(patients))]
    res = extract_batch(man, s.extraction.resolve(), folder, names=s.extraction.names, n_jobs=s.extraction.n_jobs,
                        progress=ctx.progress)
    if len(res.failures):
        f = res.failures
        ctx.note(f"{what}: extraction failed for {len(f)} case(s), left out: "
                 + "; ".join(f"{p}: {t}" for p, t in zip(f["patient_id"][:5], f["error_type"][:5])))
    return _feature_table(res, man.columns)


def _manifest_stamps(path: Path) -> list[Path]:
    from radiocausal.features import read_manifest

    man = read_manifest(path)
    return [Path(p) for p in [*man["image"], *man["mask"]]]


class FeaturesStep:
    name = "features"

    def key(self, ctx: Context):
        s = ctx.study
        if s.data.manifest is None:
            return {"manifest": None}, [], []
        return ({"extraction": s.extraction.resolve().hash, "names": s.extraction.names},
                [s.data.manifest, ctx.path("inputs", "inputs.json")], _manifest_stamps(s.data.manifest))

    def outputs(self, ctx: Context):
        return [ctx.path("features", "features.csv")]

    def run(self, ctx: Context):
        s = ctx.study
        if s.data.manifest is None:
            return "no images: data.manifest is not given"
        feats = _extract(ctx, s.data.manifest, ctx.path("features"), ctx.inputs()["patients"], "data.manifest")
        bad = feats.columns[feats.isna().any() | (feats.nunique() <= 1)].tolist()
        if bad:
            ctx.note(f"{len(bad)} feature(s) with missing or constant values are left out "
                     f"({', '.join(map(str, bad[:5]))}{' ...' if len(bad) > 5 else ''})")
            feats = feats.drop(columns=bad)
        if feats.shape[1] == 0:
            raise DataError("no usable radiomic feature was extracted (all failed, missing or constant)")
        feats.to_csv(ctx.path("features", "features.csv"))
        return None


# ============================================================================ stability
class StabilityStep:
    name = "stability"

    def key(self, ctx: Context):
        s = ctx.study
        if s.data.retest_manifest is None or s.data.manifest is None:
            return {"retest": None}, [], []
        return ({"stability": s.to_dict()["stability"], "extraction": s.extraction.resolve().hash,
                 "names": s.extraction.names},
                [s.data.retest_manifest, ctx.path("features", "features.csv")],
                _manifest_stamps(s.data.retest_manifest))

    def outputs(self, ctx: Context):
        return [ctx.path("stability", "stability.csv")]

    def run(self, ctx: Context):
        from radiocausal.features import feature_icc

        s = ctx.study
        if s.data.retest_manifest is None:
            return "no repeat scans: data.retest_manifest is not given"
        if not ctx.path("features", "features.csv").is_file():
            return "no features were extracted"
        test = load_features(ctx.out, stable_only=False)
        retest = _extract(ctx, s.data.retest_manifest, ctx.path("stability", "extraction"), test.index,
                          "data.retest_manifest")
        both = [i for i in retest.index if i in test.index]
        if len(both) < 3:
            raise DataError(f"only {len(both)} patient(s) have a usable repeat scan: expected at least 3 for the ICC")
        cols = [c for c in test.columns if c in retest.columns]
        long = pd.concat([test.loc[both, cols].copy().assign(session=1), retest.loc[both, cols].copy().assign(session=2)])
        long = long.rename_axis("patient_id").reset_index()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            iccs = feature_icc(long, "patient_id", "session", cols, form=s.stability.form)
        table = iccs.rename_axis("feature").reset_index()
        table["stable"] = np.isfinite(table["icc"]) & (table["icc"] >= s.stability.threshold)
        ctx.path("stability").mkdir(parents=True, exist_ok=True)
        table.to_csv(ctx.path("stability", "stability.csv"), index=False)
        n_stable = int(table["stable"].sum())
        if n_stable == 0:
            raise DataError(f"no feature reaches the stability threshold ICC >= {s.stability.threshold} "
                            f"(best ICC {np.nanmax(table['icc']):.3f}); lower stability.threshold")
        return None


# ============================================================================= genomics
class GenomicsStep:
    name = "genomics"

    def key(self, ctx: Context):
        d = ctx.study.data
        files = [p for p in (d.mutations, d.copy_number, d.expression, d.gene_lengths) if p is not None]
        return {"genomics": ctx.study.to_dict()["genomics"]}, [*files, ctx.path("inputs", "inputs.json")], []

    def outputs(self, ctx: Context):
        d = ctx.study.data
        names = [GENOMIC_FILES[k] for k, p in (("mutation", d.mutations), ("copy_number", d.copy_number),
                                                ("expression", d.expression)) if p is not None]
        return [ctx.path("genomics", n) for n in names]

    def run(self, ctx: Context):
        from radiocausal.genomics import copy_number_categories, filter_low_expression, log2_1p, mutation_matrix, to_tpm

        s = ctx.study
        d, g = s.data, s.genomics
        if d.mutations is None and d.copy_number is None and d.expression is None:
            return "no genomic tables: data.mutations, data.copy_number and data.expression are not given"
        ids = ctx.inputs()["patients"]
        folder = ctx.path("genomics")
        folder.mkdir(parents=True, exist_ok=True)
        if d.mutations is not None:
            maf = pd.read_csv(d.mutations, dtype=str)
            maf = maf[maf["Tumor_Sample_Barcode"].isin(set(ids))]
            mut = mutation_matrix(maf, samples=ids)
            counts = mut.sum()
            rare = mut.columns[(counts < g.min_mutated) | (len(mut) - counts < g.min_mutated)].tolist()
            if rare:
                ctx.note(f"{len(rare)} mutation gene(s) with fewer than genomics.min_mutated = {g.min_mutated} "
                         f"mutated (or wild-type) patients are left out ({', '.join(rare[:5])}"
                         f"{' ...' if len(rare) > 5 else ''})")
            mut.drop(columns=rare).astype(int).rename_axis("patient_id").to_csv(folder / GENOMIC_FILES["mutation"])
        if d.copy_number is not None:
            cn = read_indexed(d.copy_number, "data.copy_number").loc[ids]
            codes = copy_number_categories(cn, scale=g.copy_number_scale, as_codes=True)
            if codes.isna().any().any():
                bad = codes.columns[codes.isna().any()].tolist()
                ctx.note(f"copy-number gene(s) with missing values are left out: {', '.join(bad[:5])}")
                codes = codes.drop(columns=bad)
            const = codes.columns[codes.nunique() <= 1].tolist()
            if const:
                ctx.note(f"copy-number gene(s) in one state only are left out: {', '.join(const[:5])}")
                codes = codes.drop(columns=const)
            codes.astype(int).rename_axis("patient_id").to_csv(folder / GENOMIC_FILES["copy_number"])
        if d.expression is not None:
            counts = read_indexed(d.expression, "data.expression").loc[ids]
            gl = pd.read_csv(d.gene_lengths)
            lengths = pd.Series(gl["length"].to_numpy(dtype=float), index=gl["gene"].astype(str))
            tpm = to_tpm(counts, lengths)
            kept = filter_low_expression(tpm, g.min_tpm, g.min_fraction)
            gone = sorted(set(tpm.columns) - set(kept.columns))
            if gone:
                ctx.note(f"{len(gone)} lowly expressed gene(s) left out (TPM < {g.min_tpm} in more than "
                         f"{1 - g.min_fraction:.0%} of patients)")
            log2_1p(kept).rename_axis("patient_id").to_csv(folder / GENOMIC_FILES["expression"])
        return None


# ================================================================================= scan
_SCAN_COLUMNS = ["feature", "gene", "kind", "test", "adjusted", "adjustment_set", "estimate", "se", "statistic",
                 "p_value", "q_value"]


def _one_scan(features, genes, test, covariates=None, **kw) -> pd.DataFrame:
    """association_scan oriented so that a linear estimate is the feature's change per unit of the gene."""
    from radiocausal.stats import association_scan

    if test == "linear":
        if "adjust" in kw:
            kw["dag_exposure"] = "features"
        res = association_scan(genes, features, "linear", covariates, **kw)
        return res.rename(columns={"feature": "gene", "gene": "feature"})
    return association_scan(features, genes, test, covariates, **kw)


class ScanStep:
    name = "scan"

    def key(self, ctx: Context):
        s = ctx.study
        files = [ctx.path("features", "features.csv"), ctx.path("stability", "stability.csv"), ctx.path("dag.dag"),
                 ctx.path("inputs", "inputs.json"), s.data.patients,
                 *(ctx.path("genomics", n) for n in GENOMIC_FILES.values())]
        return {"scan": s.to_dict()["scan"], "nodes": s.to_dict()["nodes"],
                "categorical": list(s.data.categorical)}, files, []

    def outputs(self, ctx: Context):
        return [ctx.path("scan", "scan.csv")]

    def run(self, ctx: Context):
        from radiocausal.stats import adjust_pvalues

        s = ctx.study
        if not ctx.path("features", "features.csv").is_file():
            return "no radiomic features (the features step did not run)"
        gen = ctx.genomics()
        if not gen:
            return "no genomic tables"
        dag = ctx.dag()
        ids = ctx.analysed_patients()
        feats = ctx.features().loc[ids]
        patients = ctx.patients().loc[ids]
        fnode = s.nodes.features
        covs, _ = node_table(s, dag, patients, gen, ids)
        covs = covs.drop(columns=[c for c in covs.columns if c in dag.latent_nodes or c == fnode], errors="ignore")
        parts = []
        for kind, table in gen.items():
            table = table.loc[ids]
            test = s.scan.tests[kind]
            res = _one_scan(feats, table, test, q_method=s.scan.q_method)
            parts.append(res.assign(kind=kind, test=test, adjusted=False, adjustment_set=""))
            if fnode is None:
                ctx.note("nodes.features is not set: the DAG-adjusted scan needs the node the features stand for")
                continue
            by_node: dict[str, list[str]] = {}
            unmapped = []
            for c in table.columns:
                nd = node_of(s, str(c), kind, dag)
                (by_node.setdefault(nd, []) if nd in dag and nd not in dag.latent_nodes else unmapped).append(str(c))
            if unmapped:
                ctx.note(f"{len(unmapped)} {kind} column(s) are not DAG nodes and have no adjusted test "
                         f"({', '.join(unmapped[:5])}{' ...' if len(unmapped) > 5 else ''}); map them in nodes.columns")
            for nd, cols in by_node.items():
                mapping = {**{f: fnode for f in feats.columns}, **{c: nd for c in cols}}
                cov = covs.drop(columns=[nd], errors="ignore")
                cov = cov[[c for c in cov.columns if c not in cols]]
                try:
                    r = _one_scan(feats, table[cols], test, cov if cov.shape[1] else None, adjust=dag,
                                  dag_nodes=mapping, q_method=s.scan.q_method)
                except (IdentificationError, DataError) as exc:
                    ctx.note(f"adjusted {kind} scan of {nd} ({', '.join(cols[:3])}): not run: {exc}")
                    continue
                sets = r["adjustment_set"].astype(str).str.strip("{}").str.replace(", ", ";")
                parts.append(r.assign(kind=kind, test=test, adjusted=True, adjustment_set=sets))
        scan = pd.concat(parts, ignore_index=True)
        for c in ("feature", "gene", "adjustment_set"):
            scan[c] = scan[c].astype(str)
        for (kind, adj), idx in scan.groupby(["kind", "adjusted"]).groups.items():
            scan.loc[idx, "q_value"] = adjust_pvalues(scan.loc[idx, "p_value"].to_numpy(), s.scan.q_method)
        ctx.path("scan").mkdir(parents=True, exist_ok=True)
        extra = [c for c in scan.columns if c not in _SCAN_COLUMNS]
        scan[_SCAN_COLUMNS + extra].to_csv(ctx.path("scan", "scan.csv"), index=False)
        return None


# ================================================================================ bayes
def _modelled_features(ctx: Context, exposure: str, features: tuple[str, ...] | None, available) -> list[str]:
    """The feature columns modelled for a pair: the listed ones, else the top adjusted-scan hits."""
    s = ctx.study
    if features is not None:
        missing = [f for f in features if f not in available]
        if missing:
            ctx.note(f"pair {exposure}: feature(s) {missing} are not among the analysed (stable) features; skipped")
        return [f for f in features if f in available]
    scan_p = ctx.path("scan", "scan.csv")
    if scan_p.is_file():
        scan = pd.read_csv(scan_p)
        dag = ctx.dag()
        ours = np.array([node_of(s, g, k, dag) == exposure for g, k in zip(scan["gene"].astype(str),
                                                                            scan["kind"].astype(str))], dtype=bool)
        mine = scan[ours & scan["adjusted"].astype(bool)]
        if not len(mine):
            mine = scan[ours]
        ranked = mine.sort_values("p_value")["feature"].astype(str)
        top = [f for f in dict.fromkeys(ranked) if f in available]
        if top:
            return top[: s.bayes.max_features]
    return list(available)[: s.bayes.max_features]


def _pair_plan(ctx: Context) -> list[dict[str, Any]]:
    """Every (exposure, outcome node, outcome column) model to fit, with the adjustment set."""
    s = ctx.study
    check = json.loads(ctx.path("dag_check.json").read_text(encoding="utf-8"))
    fnode = s.nodes.features
    feats = ctx.features() if ctx.path("features", "features.csv").is_file() else None
    plan = []
    for pair, row in zip(s.pairs, check["pairs"]):
        if not row["identifiable"]:
            ctx.note(f"pair {pair.exposure} -> {pair.outcome} refused: {row['explanation']}")
            continue
        if pair.outcome == fnode:
            if feats is None:
                ctx.note(f"pair {pair.exposure} -> {pair.outcome}: no features were extracted; skipped")
                continue
            for f in _modelled_features(ctx, pair.exposure, pair.features, feats.columns):
                plan.append({"exposure": pair.exposure, "node": pair.outcome, "column": f, "set": row["adjustment_set"]})
        else:
            plan.append({"exposure": pair.exposure, "node": pair.outcome, "column": pair.outcome,
                         "set": row["adjustment_set"]})
    return plan


def _analysis_data(ctx: Context):
    """(node table of every measured node, ambiguous nodes, feature table) on the analysed patients."""
    ids = ctx.analysed_patients()
    dag = ctx.dag()
    table, ambiguous = node_table(ctx.study, dag, ctx.patients().loc[ids], {k: v.loc[ids] for k, v in
                                                                             ctx.genomics().items()}, ids)
    feats = ctx.features().loc[ids] if ctx.path("features", "features.csv").is_file() else None
    return dag, table, ambiguous, feats


def _model_data(table, feats, node: str, column: str, needed: Iterable[str], ambiguous: dict[str, str]):
    bad = [ambiguous[v] for v in needed if v in ambiguous]
    if bad:
        raise DataError("; ".join(bad) + ": map one column to it in nodes.columns")
    cols = [v for v in needed if v != node]
    missing = [v for v in cols if v not in table.columns]
    if missing:
        raise DataError(f"node(s) {missing} have no data column")
    data = table[cols].copy()
    data[node] = feats[column] if feats is not None and column in feats.columns else table[column]
    return data


class BayesStep:
    name = "bayes"

    def key(self, ctx: Context):
        s = ctx.study
        files = [ctx.path("features", "features.csv"), ctx.path("stability", "stability.csv"), ctx.path("dag.dag"),
                 ctx.path("dag_check.json"), ctx.path("inputs", "inputs.json"),
                 s.data.patients, *(ctx.path("genomics", n) for n in GENOMIC_FILES.values())]
        if any(p.features is None for p in s.pairs):  # features chosen from the scan's top hits
            files.append(ctx.path("scan", "scan.csv"))
        if s.data.truth is not None:
            files.append(s.data.truth)
        return {"bayes": s.to_dict()["bayes"], "pairs": s.to_dict()["pairs"], "nodes": s.to_dict()["nodes"],
                "categorical": list(s.data.categorical)}, files, []

    def outputs(self, ctx: Context):
        return [ctx.path("bayes", "effects.csv")]

    def run(self, ctx: Context):
        from radiocausal.graph import CausalDAG
        from radiocausal.models import AssociationModel, effect_summary

        s = ctx.study
        if not s.pairs:
            return "no exposure/outcome pairs in the study file ([[pairs]])"
        plan = _pair_plan(ctx)
        if not plan:
            return "no identifiable pair to model"
        dag, table, ambiguous, feats = _analysis_data(ctx)
        truth = ctx.truth()
        folder = ctx.path("bayes")
        folder.mkdir(parents=True, exist_ok=True)
        index_p = folder / "index.json"
        index = json.loads(index_p.read_text(encoding="utf-8")) if index_p.is_file() else {}
        b = s.bayes
        from tqdm.auto import tqdm

        jobs = [(job, m) for job in plan for m in b.models]
        rows = []
        for job, which in tqdm(jobs, desc="radiocausal bayes", unit="model", disable=not ctx.progress):
            x, node, col = job["exposure"], job["node"], job["column"]
            try:
                if which == "adjusted":
                    hdag = hypothesis_dag(dag, x, node)
                    # batch nodes: those the set needs, and those that shift the outcome (precision);
                    # a batch node that cannot reach the outcome only adds a weakly identified intercept
                    batch = [v for v in hdag.batch_nodes if v not in hdag.latent_nodes
                             and (v in job["set"] or v in hdag.ancestors(node))]
                    model = AssociationModel(hdag, x, node, adjustment=job["set"], batch=batch,
                                             nuts_sampler=b.sampler)
                    needed = [x, node, *model.adjustment_set_, *model.batch_]
                else:
                    naive = CausalDAG([(x, node)], name="unadjusted")
                    model = AssociationModel(naive, x, node, adjustment=[], batch=[], nuts_sampler=b.sampler)
                    needed = [x, node]
                data = _model_data(table, feats, node, col, dict.fromkeys(needed), ambiguous)
            except RadiocausalError as exc:
                ctx.note(f"{which} model of {x} -> {col}: not fitted: {exc}")
                continue
            nc = folder / f"{_safe(x)}__{_safe(col)}__{which}.nc"
            key = _hash_frame(data, {**s.to_dict()["bayes"], "set": sorted(model.adjustment_set_),
                                     "batch": list(model.batch_)})
            import arviz as az

            if nc.is_file() and index.get(nc.name) == key:
                idata = az.from_netcdf(nc)
            else:
                try:
                    idata = model.fit(data, draws=b.draws, tune=b.tune, chains=b.chains, random_seed=b.seed,
                                      target_accept=b.target_accept)
                except RadiocausalError as exc:
                    ctx.note(f"{which} model of {x} -> {col}: fit failed: {exc}")
                    continue
                idata.to_netcdf(nc)
                index[nc.name] = key
                index_p.write_text(json.dumps(index, indent=2), encoding="utf-8")
            summ = effect_summary(idata).iloc[0]
            rows.append({"exposure": x, "outcome": col, "model": which,
                         "adjustment_set": ";".join(sorted(model.adjustment_set_ | set(model.batch_))),
                         "mean": summ["mean"], "sd": summ["sd"], "hdi_3%": summ["hdi_3%"], "hdi_97%": summ["hdi_97%"],
                         "r_hat": summ["r_hat"], "ess_bulk": summ["ess_bulk"],
                         "truth": truth.get((x, col), np.nan)})
        if not rows:
            raise DataError("no Bayesian model could be fitted (see the step's warnings)")
        pd.DataFrame(rows).to_csv(folder / "effects.csv", index=False)
        return None


def _safe(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9._-]", "_", str(name))


def _hash_frame(df: pd.DataFrame, settings: dict[str, Any]) -> str:
    import hashlib

    h = hashlib.sha256(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    h.update(",".join(map(str, df.columns)).encode())
    return h.hexdigest()


# ======================================================================== interventions
def structural_dag(dag, target: str, exposures: Iterable[str] | None = None):
    """The DAG a StructuralModel fits to answer do() on ``target``.

    The ancestors of ``target``, with latent nodes projected out: a latent node is replaced by
    edges from its parents to its children, and by bidirected edges between its children when it
    has several (they share an unobserved cause); so a latent mediator (EGFR -> heterogeneity ->
    texture) becomes a direct edge, while a latent confounder stays a confounder.  With
    ``exposures``, only what the g-formula simulates is kept: the nodes between the exposures and
    the target, with edges from their parents; every other node is held at its observed value, so
    its own mechanism is not needed (its incoming edges are dropped).

    Examples
    --------
    >>> from radiocausal.graph import CausalDAG
    >>> dag = CausalDAG.from_dagitty("dag { h [latent] ; EGFR -> h -> texture ; grade -> h ; grade -> EGFR ; "
    ...                              "age -> grade ; EGFR -> necrosis }")
    >>> sorted(structural_dag(dag, "texture").edges)
    [('EGFR', 'texture'), ('age', 'grade'), ('grade', 'EGFR'), ('grade', 'texture')]
    >>> sorted(structural_dag(dag, "texture", ["EGFR"]).edges)
    [('EGFR', 'texture'), ('grade', 'texture')]
    """
    from radiocausal.graph import CausalDAG

    keep = set(dag.ancestors(target)) | {target}
    parents = {v: set(dag.parents(v)) & keep for v in keep}
    bidirected = {frozenset(e) for e in dag.bidirected_edges if set(e) <= keep}
    order = [v for v in dag.nodes if v in keep]
    for lat in [v for v in order if v in set(dag.latent_nodes)]:
        children = [v for v in order if lat in parents[v]]
        for c in children:
            parents[c] = (parents[c] - {lat}) | parents[lat]
        bidirected |= {frozenset((a, b)) for i, a in enumerate(children) for b in children[i + 1:]}
        for pair in [e for e in bidirected if lat in e]:
            other = next(iter(pair - {lat}))
            bidirected.discard(pair)
            bidirected |= {frozenset((other, c)) for c in children if c != other}
        del parents[lat]
        order.remove(lat)
    if exposures is not None:
        xs = set(exposures)
        children: dict[str, set[str]] = {v: set() for v in order}
        for v in order:
            for p in parents[v]:
                children[p].add(v)
        reach, stack = set(), list(xs)
        while stack:
            for c in children.get(stack.pop(), ()):
                if c not in reach:
                    reach.add(c)
                    stack.append(c)
        simulated = reach - xs  # every remaining node is an ancestor of the target
        parents = {v: (parents[v] if v in simulated else set()) for v in order}
        keep = simulated | {p for v in simulated for p in parents[v]}
        order = [v for v in order if v in keep]
        bidirected = {e for e in bidirected if e <= keep}
    edges = [(p, v) for v in order for p in sorted(parents[v])]
    return CausalDAG(edges, nodes=order, bidirected=[tuple(sorted(e)) for e in bidirected],
                     roles={v: tuple(r for r in dag.roles(v) if r != "latent") for v in order if dag.roles(v)},
                     name=dag.name)


def _default_interventions(ctx: Context, table: pd.DataFrame) -> list[Intervention]:
    """do(X=1) vs do(X=0) for each binary exposure of a fitted pair, on its first modelled outcome column.

    One structural model is fitted per target, so the default stays at one target per exposure
    (the top hit of the adjusted scan); list more in ``[[interventions]]``.
    """
    out = []
    eff = ctx.path("bayes", "effects.csv")
    targets: dict[str, list[str]] = {}
    if eff.is_file():
        e = pd.read_csv(eff)
        for x, col in zip(e["exposure"].astype(str), e["outcome"].astype(str)):
            targets.setdefault(x, [])
            if col not in targets[x]:
                targets[x].append(col)
    for x, cols in targets.items():
        if x in table.columns and set(pd.unique(table[x].dropna())) <= {0, 1}:
            out.append(Intervention(cols[0], {x: 1}, {x: 0}))
    return out


class InterventionsStep:
    name = "interventions"

    def key(self, ctx: Context):
        settings, files, _ = BayesStep().key(ctx)
        iv = ctx.study.to_dict()["interventions"]
        return {**settings, "interventions": iv}, [*files, ctx.path("bayes", "effects.csv")], []

    def outputs(self, ctx: Context):
        return [ctx.path("interventions", "interventions.csv")]

    def run(self, ctx: Context):
        from radiocausal.models import StructuralModel

        s = ctx.study
        dag, table, ambiguous, feats = _analysis_data(ctx)
        ivs = list(s.interventions) if s.interventions is not None else _default_interventions(ctx, table)
        if not ivs:
            return ("no interventions: none in the study file ([[interventions]]) and no binary exposure among the "
                    "fitted pairs")
        truth = ctx.truth()
        fnode = s.nodes.features
        b = s.bayes
        by_target: dict[str, list[Intervention]] = {}
        for iv in ivs:
            by_target.setdefault(iv.target, []).append(iv)
        rows = []
        from tqdm.auto import tqdm

        import arviz as az

        for target, group in tqdm(by_target.items(), desc="radiocausal do()", unit="model", disable=not ctx.progress):
            node = fnode if feats is not None and target in feats.columns else target
            if node not in dag:
                ctx.note(f"intervention target {target!r} is neither a DAG node nor an analysed feature; skipped")
                continue
            full = dag
            for iv in group:
                for x in iv.set:
                    if x in full and x != node:
                        full = hypothesis_dag(full, x, node)
            scm = StructuralModel(structural_dag(full, node), nuts_sampler=b.sampler)
            usable = []
            for iv in group:  # identification is a property of the graph: refuse before fitting
                try:
                    scm.intervene(iv.set, iv.baseline, target=node)
                except IdentificationError as exc:
                    ctx.note(f"{iv.label} on {target}: refused: {exc}")
                    continue
                except RadiocausalError as exc:
                    if "not fitted" not in str(exc):
                        ctx.note(f"{iv.label} on {target}: refused: {exc}")
                        continue
                usable.append(iv)
            if not usable:
                continue
            # fit only the mechanisms the g-formula simulates (identification was checked on the full DAG)
            sub = structural_dag(full, node, [x for iv in usable for x in iv.set])
            try:
                data = _model_data(table, feats, node, target, sub.nodes, ambiguous)
                scm = StructuralModel(sub, nuts_sampler=b.sampler)
                scm.fit(data, draws=b.draws, tune=b.tune, chains=b.chains, random_seed=b.seed,
                        **({"target_accept": b.target_accept} if b.target_accept else {}))
            except RadiocausalError as exc:
                ctx.note(f"interventions on {target}: structural model not fitted: {exc}")
                continue
            for iv in usable:
                try:
                    draws = scm.intervene(iv.set, iv.baseline, target=node, random_seed=b.seed)
                except RadiocausalError as exc:
                    ctx.note(f"{iv.label} on {target}: refused: {exc}")
                    continue
                vals = np.asarray(draws).ravel()
                lo, hi = az.hdi(vals, hdi_prob=0.94)
                tr = np.nan
                if len(iv.set) == 1 and iv.baseline is not None:
                    (x, v1), (v0,) = next(iter(iv.set.items())), tuple(iv.baseline.values())
                    if (v1, v0) == (1, 0):
                        tr = truth.get((x, target), np.nan)
                rows.append({"target": target, "intervention": iv.label, "baseline": iv.baseline_label,
                             "mean": float(vals.mean()), "sd": float(vals.std(ddof=1)), "hdi_3%": float(lo),
                             "hdi_97%": float(hi), "truth": tr})
        if not rows:
            return "every intervention was refused or could not be fitted (see the step's warnings)"
        ctx.path("interventions").mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(ctx.path("interventions", "interventions.csv"), index=False)
        return None


# ============================================================================== factors
class FactorsStep:
    name = "factors"

    def key(self, ctx: Context):
        s = ctx.study
        files = [ctx.path("features", "features.csv"), ctx.path("stability", "stability.csv"),
                 ctx.path("inputs", "inputs.json"), ctx.path("dag.dag"), s.data.patients,
                 *(ctx.path("genomics", n) for n in GENOMIC_FILES.values())]
        return {"factors": s.to_dict()["factors"], "nodes": s.to_dict()["nodes"]}, files, []

    def outputs(self, ctx: Context):
        return [ctx.path("factors", n) for n in ("variance_explained.csv", "variance_explained_intervals.csv",
                                                 "scores.csv")]

    def run(self, ctx: Context):
        from radiocausal.models import LatentFactorModel

        s = ctx.study
        f = s.factors
        if not f.enabled:
            return "factors.enabled = false"
        ids = ctx.analysed_patients()
        views: dict[str, pd.DataFrame] = {}
        liks: dict[str, str] = {}
        gen = ctx.genomics()
        sources = {"radiomics": ctx.features().loc[ids] if ctx.path("features", "features.csv").is_file() else None,
                   "expression": gen.get("expression"), "mutations": gen.get("mutation"),
                   "copy_number": gen.get("copy_number")}
        for v in f.views:
            df = sources.get(v)
            if df is None or df.shape[1] == 0:
                continue
            df = df.loc[ids].astype(float)
            if v == "mutations":
                liks[v] = "bernoulli"
            else:
                sd = df.std(ddof=0).replace(0, np.nan)
                df = ((df - df.mean()) / sd).dropna(axis=1, how="all")
                liks[v] = "gaussian"
            views[v] = df
        if len(views) < 2:
            return f"fewer than two views have data (factors.views = {list(f.views)}; available: {sorted(views)})"
        dag = ctx.dag()
        patients = ctx.patients().loc[ids]
        batch_cols = [c for c in patients.columns if node_of(s, c, "clinical", dag) in dag.batch_nodes]
        cov = patients[batch_cols] if batch_cols else None
        model = LatentFactorModel(n_factors=f.n_factors, likelihoods=liks, covariates=cov, max_iter=f.max_iter,
                                  n_bootstrap=f.n_bootstrap)
        model.fit(views, random_seed=f.seed)
        folder = ctx.path("factors")
        folder.mkdir(parents=True, exist_ok=True)
        # the bias-corrected posterior mean can dip just below 0 for an inactive factor: report it as 0
        model.variance_explained().clip(0.0, 1.0).to_csv(folder / "variance_explained.csv")
        summ = model.variance_explained_summary()
        summ[["lower", "upper"]] = summ[["lower", "upper"]].clip(0.0, 1.0)
        summ[["factor", "view", "lower", "upper"]].to_csv(folder / "variance_explained_intervals.csv", index=False)
        model.factor_scores().rename_axis("patient_id").to_csv(folder / "scores.csv")
        return None


# =============================================================================== report
class ReportStep:
    name = "report"

    def key(self, ctx: Context):
        from radiocausal.pipeline._record import STEPS

        files = [p for p in sorted(ctx.out.rglob("*")) if p.is_file() and p.suffix in (".csv", ".json", ".dag", ".nc")
                 and p.name != "run.json" and "extraction" not in p.parts and p.parent.name != "cases"
                 and not (p.parent.parent == ctx.path("features"))]
        return {"steps": list(STEPS)}, files, []

    def outputs(self, ctx: Context):
        return [ctx.path("report.html")]

    def run(self, ctx: Context):
        try:
            from radiocausal.report import write_report
        except ImportError as exc:
            return f"the report module is not available in this version of radiocausal ({exc})"
        write_report(ctx.out)
        return None


STEP_OBJECTS = (InputsStep(), DagStep(), FeaturesStep(), StabilityStep(), GenomicsStep(), ScanStep(), BayesStep(),
                InterventionsStep(), FactorsStep(), ReportStep())
