"""Reading the study's tables and mapping their columns to DAG nodes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from radiocausal.errors import DataError
from radiocausal.pipeline.study import Study

#: Where each normalised genomic table is written, per kind.
GENOMIC_FILES = {"mutation": "mutations.csv", "copy_number": "copy_number.csv", "expression": "expression.csv"}
#: Which table wins when several columns stand for one node (clinical first).
KIND_PREFERENCE = ("clinical", "mutation", "copy_number", "expression")


def read_indexed(path: Path, what: str, id_column: str | None = None) -> pd.DataFrame:
    """A CSV with patients as rows: index from ``id_column`` (or the first column), ids as text."""
    if not path.is_file():
        raise DataError(f"{what} file '{path}' does not exist")
    df = pd.read_csv(path)
    if df.empty:
        raise DataError(f"{what} file '{path}' has no rows")
    col = id_column if id_column is not None else df.columns[0]
    if col not in df.columns:
        raise DataError(f"{what} file '{path}' has no column {col!r}; its columns are {list(df.columns)[:10]}")
    df[col] = df[col].astype(str)
    dup = df[col][df[col].duplicated()].tolist()
    if dup:
        raise DataError(f"{what} file '{path}' lists patient id(s) {dup[:5]} more than once")
    return df.set_index(col).rename_axis("patient_id")


def read_patients(study: Study, batch_nodes=()) -> pd.DataFrame:
    """The clinical/batch table; declared categorical columns and batch columns as text categories."""
    df = read_indexed(study.data.patients, "data.patients", study.data.id_column)
    missing = [c for c in study.data.categorical if c not in df.columns]
    if missing:
        raise DataError(f"data.categorical names {missing}, not columns of '{study.data.patients}' "
                        f"(columns: {list(df.columns)})")
    cats = set(study.data.categorical) | {c for c in df.columns if study.nodes.node_of(c) in set(batch_nodes)}
    for c in df.columns:
        if c in cats or not pd.api.types.is_numeric_dtype(df[c]):
            df[c] = df[c].astype(str)
    return df


def read_truth(path: Path | None) -> dict:
    if path is None or not Path(path).is_file():
        return {}
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"data.truth file '{path}' is not valid JSON: {exc}") from None


class TruthEffects(dict):
    """(exposure, outcome or feature) -> true effect, from a simulator's ``truth.json``.

    Effects recorded in ``ace`` and ``feature_effects``; and, for an exposure that has no directed
    path to the feature node in the generating DAG, exactly 0 on every feature (nothing it could
    change reaches the image).

    Examples
    --------
    >>> t = TruthEffects({"dag": "dag { EGFR -> phenotype ; site -> KRAS ; site -> phenotype }",
    ...                   "feature_node": "phenotype", "gene_nodes": {"KRAS": "KRAS", "EGFR": "EGFR"},
    ...                   "feature_effects": [{"exposure": "EGFR", "feature": "stat_var", "effect": 160.0}]})
    >>> t.get(("EGFR", "stat_var")), t.get(("KRAS", "stat_mean")), t.get(("EGFR", "stat_mean"))
    (160.0, 0.0, None)
    """

    def __init__(self, truth: dict):
        super().__init__()
        for row in truth.get("ace", []) or []:
            self[(str(row["exposure"]), str(row["outcome"]))] = float(row["effect"])
        for row in truth.get("feature_effects", []) or []:
            self[(str(row["exposure"]), str(row["feature"]))] = float(row["effect"])
        self.null_exposures: set[str] = set()
        fnode = truth.get("feature_node")
        if fnode and truth.get("dag"):
            from radiocausal.graph import CausalDAG

            dag = CausalDAG.from_dagitty(truth["dag"])
            if fnode in dag:
                causes = dag.ancestors(fnode)
                nodes = dict(truth.get("gene_nodes", {}))
                self.null_exposures = {c for c, nd in nodes.items() if nd in dag and nd not in causes}
                self.null_exposures |= {v for v in dag.nodes if v not in causes and v != fnode}

    def get(self, key, default=None):
        if key in self:
            return self[key]
        if key[0] in self.null_exposures:
            return 0.0
        return default


def node_of(study: Study, column: str, kind: str, dag=None) -> str:
    """The node a column of table ``kind`` stands for (see :meth:`NodeMap.node_of`)."""
    return study.nodes.node_of(column, kind, set(dag.nodes) if dag is not None else ())


def load_features(out: Path, stable_only: bool = True) -> pd.DataFrame:
    """``features/features.csv`` restricted to the stable features when the stability step ran."""
    feats = pd.read_csv(out / "features" / "features.csv", index_col=0)
    feats.index = feats.index.astype(str)
    stab = out / "stability" / "stability.csv"
    if stable_only and stab.is_file():
        s = pd.read_csv(stab)
        keep = [f for f in s.loc[s["stable"].astype(bool), "feature"] if f in feats.columns]
        feats = feats[keep]
    return feats


def load_genomics(out: Path) -> dict[str, pd.DataFrame]:
    """The normalised genomic tables present in ``genomics/``, by kind."""
    res = {}
    for kind, name in GENOMIC_FILES.items():
        p = out / "genomics" / name
        if p.is_file():
            df = pd.read_csv(p, index_col=0)
            df.index = df.index.astype(str)
            res[kind] = df
    return res


def node_columns(study: Study, dag, patients: pd.DataFrame, genomics: dict[str, pd.DataFrame]):
    """Map each DAG node to the data columns standing for it.

    Returns ``{node: [(kind, column), ...]}`` in :data:`KIND_PREFERENCE` order, for every node
    that some clinical or genomic column stands for.
    """
    found: dict[str, list[tuple[str, str]]] = {}
    tables = {"clinical": patients, **genomics}
    for kind in KIND_PREFERENCE:
        df = tables.get(kind)
        if df is None:
            continue
        for c in df.columns:
            nd = node_of(study, str(c), kind, dag)
            if nd in dag:
                found.setdefault(nd, []).append((kind, str(c)))
    return found


def node_table(study: Study, dag, patients: pd.DataFrame, genomics: dict[str, pd.DataFrame],
               patients_ids) -> tuple[pd.DataFrame, dict[str, str]]:
    """One column per measured node (the preferred table's column), and nodes that stand for several columns.

    Returns the table (index = patients) and ``{node: reason}`` for nodes that cannot be one column.
    """
    cols = node_columns(study, dag, patients, genomics)
    tables = {"clinical": patients, **genomics}
    data = {}
    ambiguous = {}
    for nd, pairs in cols.items():
        kind = pairs[0][0]
        same = [c for k, c in pairs if k == kind]
        if len(same) > 1:
            ambiguous[nd] = f"node {nd!r} stands for {len(same)} {kind} columns ({', '.join(same[:5])}...)"
            continue
        data[nd] = tables[kind].loc[list(patients_ids), same[0]]
    return pd.DataFrame(data, index=pd.Index(list(patients_ids), name="patient_id")), ambiguous
