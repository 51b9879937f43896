"""Read and check a results folder written by ``radiocausal analyze``.

Every reader raises :class:`~radiocausal.errors.DataError` naming the file (relative to the
results folder) and what is wrong with it; a missing optional file gives ``None``.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiocausal.errors import DataError, GraphError, RoleWarning

__all__ = ["STEPS", "Results", "load_results"]

#: The steps of ``radiocausal analyze``, in the order they run.
STEPS = ("inputs", "dag", "features", "stability", "genomics", "scan", "bayes", "interventions", "factors", "report")
STEP_STATUSES = ("done", "skipped", "failed")
EFFECT_MODELS = ("adjusted", "unadjusted")
GENOMIC_TABLES = ("mutations", "copy_number", "expression")


@dataclass
class Results:
    """The artefacts of one ``radiocausal analyze`` run, checked; ``None`` when a file is absent.

    Attributes
    ----------
    root : Path
        The results folder.
    run : dict
        ``run.json`` (``study``, ``radiocausal_version``, ``started``, ``finished``, ``steps``,
        ``settings``); ``steps`` maps each step to ``{"status", "seconds", "reason"}``.
    dag : CausalDAG or None
        ``dag.dag``.
    dag_check : dict or None
        ``dag_check.json`` with ``pairs`` and ``warnings``.
    features : DataFrame or None
        ``features/features.csv`` (patients x features).
    stability : DataFrame or None
        ``stability/stability.csv``.
    genomics : dict of str to DataFrame
        The normalised genomic tables present (``mutations``, ``copy_number``, ``expression``).
    scan, effects, interventions : DataFrame or None
        ``scan/scan.csv``, ``bayes/effects.csv``, ``interventions/interventions.csv``.
    posteriors : list of str
        The InferenceData files ``bayes/*.nc`` (relative paths).
    variance_explained : DataFrame or None
        ``factors/variance_explained.csv`` (factors x views).
    variance_intervals : DataFrame or None
        ``factors/variance_explained_intervals.csv``.
    truth : dict or None
        ``truth.json``.
    figures_written : list of str
        File names in ``figures/`` drawn by the rendering under way (filled by ``write_report``).
    """

    root: Path
    run: dict[str, Any]
    dag: Any = None
    dag_check: dict[str, Any] | None = None
    features: pd.DataFrame | None = None
    stability: pd.DataFrame | None = None
    genomics: dict[str, pd.DataFrame] = field(default_factory=dict)
    scan: pd.DataFrame | None = None
    effects: pd.DataFrame | None = None
    posteriors: list[str] = field(default_factory=list)
    interventions: pd.DataFrame | None = None
    variance_explained: pd.DataFrame | None = None
    variance_intervals: pd.DataFrame | None = None
    truth: dict[str, Any] | None = None
    #: figures written by the report being rendered (file names in ``figures/``)
    figures_written: list[str] = field(default_factory=list, repr=False)

    def step(self, name: str) -> dict[str, Any] | None:
        """The record of step ``name`` in ``run.json``, or ``None`` when it is not recorded."""
        return self.run["steps"].get(name)

    def not_run_reason(self, step: str, artefact: str) -> str:
        """Why the artefact ``artefact`` of ``step`` is absent, in words, from ``run.json``."""
        rec = self.step(step)
        if rec is None:
            return f"step '{step}' is not recorded in run.json (no {artefact})"
        status = rec["status"]
        if status in ("skipped", "failed"):
            return f"step '{step}' {status}: {rec.get('reason') or 'no reason recorded in run.json'}"
        return f"step '{step}' is recorded as {status} in run.json, but {artefact} is missing"

    def setting(self, section: str, names: tuple[str, ...], anywhere: tuple[str, ...] = ()) -> Any:
        """The run's setting: the first of ``names`` in ``settings[section]``, else the first of the
        (unambiguous) ``anywhere`` names at any depth of ``settings``; ``None`` when absent.

        >>> r = Results(root=Path("."), run={"settings": {"scan": {"fdr": 0.1}, "models": {"alpha": 2}}})
        >>> r.setting("scan", ("fdr", "alpha")), r.setting("factors", ("alpha",)), r.setting("x", (), ("fdr",))
        (0.1, None, 0.1)
        """
        settings = self.run.get("settings") or {}
        found = None
        if isinstance(settings.get(section), dict):
            found = next((settings[section][n] for n in names if settings[section].get(n) is not None), None)
        return found if found is not None else _find_key(settings, anywhere)


def _find_key(obj: Any, names: tuple[str, ...]) -> Any:
    if isinstance(obj, dict):
        for n in names:
            if n in obj and not isinstance(obj[n], (dict, list)):
                return obj[n]
        for v in obj.values():
            found = _find_key(v, names)
            if found is not None:
                return found
    return None


# ------------------------------------------------------------------------------------- helpers
def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _read_json(root: Path, rel: str) -> Any:
    path = root / rel
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise _not_utf8(rel, exc) from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{rel}: invalid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None


def _first(mask: Any) -> int | None:
    """Index of the first true entry of ``mask``, or ``None``."""
    idx = np.flatnonzero(np.asarray(mask))
    return int(idx[0]) if idx.size else None


def _not_utf8(rel: str, exc: UnicodeDecodeError) -> DataError:
    return DataError(f"{rel}: not UTF-8 text ({exc.reason} at byte {exc.start})")


def _require(cond: bool, rel: str, problem: str) -> None:
    if not cond:
        raise DataError(f"{rel}: {problem}")


def _is_str_list(x: Any) -> bool:
    return isinstance(x, list) and all(isinstance(s, str) for s in x)


def _read_csv(root: Path, rel: str, index_col: int | None = None) -> pd.DataFrame:
    path = root / rel
    try:
        df = pd.read_csv(path, index_col=index_col, keep_default_na=True)
    except UnicodeDecodeError as exc:
        raise _not_utf8(rel, exc) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{rel}: the file is empty (expected a CSV table with a header)") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{rel}: not a readable CSV table ({str(exc).strip()})") from None
    return df


_TRUE = {"true", "1", "yes", "1.0"}
_FALSE = {"false", "0", "no", "0.0"}


def _columns(df: pd.DataFrame, rel: str, spec: dict[str, str]) -> pd.DataFrame:
    """Check and convert columns. Kinds: ``str``, ``str?`` (NaN -> ""), ``float`` (finite),
    ``float?`` (NaN allowed), ``bool``.  A ``?`` column may be absent (filled with NaN / "")."""
    df = df.assign(**{c: np.nan for c, kind in spec.items() if kind.endswith("?") and c not in df.columns})
    missing = [c for c in spec if c not in df.columns]
    if missing:
        raise DataError(
            f"{rel}: missing column(s) {', '.join(map(repr, missing))}; expected {', '.join(spec)}, "
            f"found {', '.join(map(repr, map(str, df.columns[:12])))}"
        )
    out = df.copy()
    for col, kind in spec.items():
        s = out[col]
        if kind in ("str", "str?"):
            if kind == "str" and (row := _first(s.isna())) is not None:
                raise DataError(f"{rel}: column {col!r} is empty on data row {row + 1}")
            out[col] = s.map(lambda v: "" if isinstance(v, float) and math.isnan(v) else str(v))
        elif kind in ("float", "float?"):
            num = pd.to_numeric(s, errors="coerce")
            bad = num.isna() & s.notna()
            if (row := _first(bad.to_numpy())) is not None:
                raise DataError(f"{rel}: column {col!r} has the non-numeric value {s.iloc[row]!r} on data row {row + 1}")
            if kind == "float" and (row := _first(num.isna())) is not None:
                raise DataError(f"{rel}: column {col!r} is empty on data row {row + 1} (a number is expected)")
            if col != "statistic" and (row := _first(np.isinf(num.to_numpy(dtype=float)))) is not None:
                raise DataError(f"{rel}: column {col!r} is infinite on data row {row + 1}")
            out[col] = num.astype(float)
        elif kind == "bool":
            if s.dtype == bool:
                continue

            def to_bool(v: Any, col: str = col) -> bool:
                key = str(v).strip().lower()
                if key in _TRUE:
                    return True
                if key in _FALSE:
                    return False
                raise DataError(f"{rel}: column {col!r} has the value {v!r}; expected True or False")

            out[col] = s.map(to_bool).astype(bool)
        else:  # pragma: no cover - programming error
            raise AssertionError(kind)
    return out


def _check_probability(df: pd.DataFrame, rel: str, cols: tuple[str, ...]) -> None:
    for col in cols:
        v = df[col].to_numpy(dtype=float)
        bad = np.isfinite(v) & ((v < 0) | (v > 1))
        if (row := _first(bad)) is not None:
            raise DataError(f"{rel}: column {col!r} must lie in [0, 1], got {v[row]!r} on data row {row + 1}")


def _check_intervals(df: pd.DataFrame, rel: str, low: str, high: str) -> None:
    lo, hi = df[low].to_numpy(dtype=float), df[high].to_numpy(dtype=float)
    if (row := _first(lo > hi)) is not None:
        raise DataError(f"{rel}: inconsistent interval on data row {row + 1}: {low}={lo[row]!r} > {high}={hi[row]!r}")


# ------------------------------------------------------------------------------------- readers
def _read_run(root: Path) -> dict[str, Any]:
    rel = "run.json"
    if not (root / rel).is_file():
        raise DataError(f"{rel}: not found in the results folder {os.fspath(root)!r}; is this a `radiocausal analyze` output?")
    run = _read_json(root, rel)
    _require(isinstance(run, dict), rel, f"expected a JSON object, got {type(run).__name__}")
    _require(isinstance(run.get("study"), str), rel, f"'study' must be a string, got {run.get('study')!r}")
    steps = run.get("steps", {})
    _require(isinstance(steps, dict), rel, f"'steps' must be an object mapping step names to records, got {type(steps).__name__}")
    clean = {}
    for name, rec in steps.items():
        _require(isinstance(rec, dict), rel, f"steps[{name!r}] must be an object, got {rec!r}")
        status = rec.get("status")
        _require(
            status in STEP_STATUSES, rel, f"steps[{name!r}]['status'] must be one of {', '.join(STEP_STATUSES)}, got {status!r}"
        )
        seconds = rec.get("seconds")
        _require(
            seconds is None or (isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and seconds >= 0),
            rel,
            f"steps[{name!r}]['seconds'] must be a non-negative number, got {seconds!r}",
        )
        reason = rec.get("reason")
        _require(reason is None or isinstance(reason, str), rel, f"steps[{name!r}]['reason'] must be a string, got {reason!r}")
        notes = rec.get("warnings", [])
        _require(_is_str_list(notes), rel, f"steps[{name!r}]['warnings'] must be a list of strings, got {notes!r}")
        clean[str(name)] = {**rec, "status": status, "seconds": seconds, "reason": reason, "warnings": notes}
    settings = run.get("settings", {})
    _require(settings is None or isinstance(settings, dict), rel, f"'settings' must be an object, got {type(settings).__name__}")
    for key in ("radiocausal_version", "started", "finished"):
        _require(run.get(key) is None or isinstance(run[key], str), rel, f"{key!r} must be a string, got {run.get(key)!r}")
    return {**run, "steps": clean, "settings": settings or {}}


def _read_dag(root: Path) -> Any:
    from radiocausal.graph import CausalDAG

    rel = "dag.dag"
    try:
        text = (root / rel).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(rel, exc) from None
    try:
        with warnings.catch_warnings():
            # role conflicts were reported by the DAG check step (dag_check.json warnings)
            warnings.simplefilter("ignore", RoleWarning)
            return CausalDAG.from_dagitty(text)
    except GraphError as exc:
        raise DataError(f"{rel}: not a valid DAG in dagitty text: {exc}") from None


def _check_set(x: Any, rel: str, where: str, dag: Any, nullable: bool = False) -> None:
    if nullable and x is None:
        return
    _require(_is_str_list(x), rel, f"{where} must be a list of node names, got {x!r}")
    if dag is not None:
        unknown = [v for v in x if v not in dag]
        if unknown:
            raise DataError(f"{rel}: {where} names {unknown[0]!r}, which is not a node of dag.dag")


def _read_dag_check(root: Path, dag: Any) -> dict[str, Any]:
    rel = "dag_check.json"
    doc = _read_json(root, rel)
    _require(isinstance(doc, dict), rel, f"expected a JSON object, got {type(doc).__name__}")
    pairs = doc.get("pairs", [])
    _require(isinstance(pairs, list), rel, f"'pairs' must be a list, got {type(pairs).__name__}")
    for i, p in enumerate(pairs):
        where = f"pairs[{i}]"
        _require(isinstance(p, dict), rel, f"{where} must be an object, got {p!r}")
        for key in ("exposure", "outcome"):
            _require(isinstance(p.get(key), str), rel, f"{where}[{key!r}] must be a node name, got {p.get(key)!r}")
            if dag is not None:
                _require(p[key] in dag, rel, f"{where}[{key!r}] = {p[key]!r} is not a node of dag.dag")
        where = f"pairs[{i}] ({p['exposure']} -> {p['outcome']})"
        _require(isinstance(p.get("identifiable", True), bool), rel, f"{where}['identifiable'] must be true or false")
        _check_set(p.get("adjustment_set"), rel, f"{where}['adjustment_set']", dag, nullable=True)
        minimal = p.get("minimal_sets", [])
        _require(isinstance(minimal, list), rel, f"{where}['minimal_sets'] must be a list of sets, got {minimal!r}")
        for j, s in enumerate(minimal):
            _check_set(s, rel, f"{where}['minimal_sets'][{j}]", dag)
        for key in ("kind", "explanation"):
            _require(p.get(key) is None or isinstance(p[key], str), rel, f"{where}[{key!r}] must be a string, got {p.get(key)!r}")
        naive = p.get("naive", [])
        _require(isinstance(naive, list), rel, f"{where}['naive'] must be a list, got {naive!r}")
        for j, v in enumerate(naive):
            w = f"{where}['naive'][{j}]"
            _require(isinstance(v, dict), rel, f"{w} must be an object, got {v!r}")
            _require(isinstance(v.get("label"), str), rel, f"{w}['label'] must be a string, got {v.get('label')!r}")
            _check_set(v.get("set"), rel, f"{w}['set']", dag)
            _require(isinstance(v.get("valid"), bool), rel, f"{w}['valid'] must be true or false, got {v.get('valid')!r}")
            _require(
                v.get("explanation") is None or isinstance(v["explanation"], str),
                rel,
                f"{w}['explanation'] must be a string, got {v.get('explanation')!r}",
            )
    warn = doc.get("warnings", [])
    _require(_is_str_list(warn), rel, f"'warnings' must be a list of strings, got {warn!r}")
    return {**doc, "pairs": pairs, "warnings": warn}


def _read_numeric_table(root: Path, rel: str) -> pd.DataFrame:
    df = _read_csv(root, rel, index_col=0)
    _require(df.shape[1] > 0, rel, "no data columns after the index column")
    non_numeric = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    if non_numeric:
        c = non_numeric[0]
        bad = pd.to_numeric(df[c], errors="coerce").isna() & df[c].notna()
        example = df[c][bad].iloc[0] if bad.any() else df[c].iloc[0]
        raise DataError(f"{rel}: column {str(c)!r} is not numeric (value {example!r}); every column after the index must be")
    if not df.index.is_unique:
        raise DataError(f"{rel}: duplicated index value {df.index[df.index.duplicated()][0]!r}")
    return df


def _read_stability(root: Path) -> pd.DataFrame:
    rel = "stability/stability.csv"
    df = _columns(_read_csv(root, rel), rel, {"feature": "str", "icc": "float?", "ci_low": "float?", "ci_high": "float?", "stable": "bool"})
    for col in ("icc", "ci_low", "ci_high"):
        v = df[col].to_numpy(dtype=float)
        bad = np.isfinite(v) & (v > 1 + 1e-9)
        if (row := _first(bad)) is not None:
            raise DataError(f"{rel}: column {col!r} is an ICC and cannot exceed 1, got {v[row]!r} on data row {row + 1}")
    return df


def _read_scan(root: Path) -> pd.DataFrame:
    rel = "scan/scan.csv"
    spec = {
        "feature": "str",
        "gene": "str",
        "kind": "str",
        "test": "str",
        "adjusted": "bool",
        "adjustment_set": "str?",
        "estimate": "float?",
        "se": "float?",
        "statistic": "float?",
        "p_value": "float?",
        "q_value": "float?",
    }
    df = _columns(_read_csv(root, rel), rel, spec)
    _check_probability(df, rel, ("p_value", "q_value"))
    return df


def _read_effects(root: Path) -> pd.DataFrame:
    rel = "bayes/effects.csv"
    spec = {
        "exposure": "str",
        "outcome": "str",
        "model": "str",
        "adjustment_set": "str?",
        "mean": "float",
        "sd": "float?",
        "hdi_3%": "float",
        "hdi_97%": "float",
        "r_hat": "float?",
        "ess_bulk": "float?",
        "truth": "float?",
    }
    df = _columns(_read_csv(root, rel), rel, spec)
    bad = ~df["model"].isin(EFFECT_MODELS)
    if (row := _first(bad.to_numpy())) is not None:
        raise DataError(f"{rel}: column 'model' must be 'adjusted' or 'unadjusted', got {df['model'].iloc[row]!r} on data row {row + 1}")
    dup = df.duplicated(["exposure", "outcome", "model"])
    if dup.any():
        r = df[dup].iloc[0]
        raise DataError(f"{rel}: more than one {r['model']} row for {r['exposure']} -> {r['outcome']}")
    _check_intervals(df, rel, "hdi_3%", "hdi_97%")
    return df


def _read_interventions(root: Path) -> pd.DataFrame:
    rel = "interventions/interventions.csv"
    spec = {
        "target": "str",
        "intervention": "str",
        "baseline": "str?",
        "mean": "float",
        "sd": "float?",
        "hdi_3%": "float",
        "hdi_97%": "float",
        "truth": "float?",
    }
    df = _columns(_read_csv(root, rel), rel, spec)
    _check_intervals(df, rel, "hdi_3%", "hdi_97%")
    return df


def _read_variance(root: Path) -> pd.DataFrame:
    rel = "factors/variance_explained.csv"
    df = _read_numeric_table(root, rel)
    _require(len(df) > 0, rel, "no factor rows (expected one row per factor, one column per view)")
    v = df.to_numpy(dtype=float)
    bad = ~np.isfinite(v) | (v < -1e-9) | (v > 1 + 1e-9)
    if bad.any():
        i, j = (int(a[0]) for a in np.nonzero(bad))
        raise DataError(
            f"{rel}: the fraction of variance explained must lie in [0, 1], got {v[i, j]!r} "
            f"for factor {df.index[i]!r}, view {df.columns[j]!r}"
        )
    df.index = df.index.map(str)
    df.columns = df.columns.map(str)
    return df


def _read_variance_intervals(root: Path, ve: pd.DataFrame | None) -> pd.DataFrame:
    rel = "factors/variance_explained_intervals.csv"
    df = _columns(_read_csv(root, rel), rel, {"factor": "str", "view": "str", "lower": "float", "upper": "float"})
    _check_intervals(df, rel, "lower", "upper")
    if ve is not None:
        for col, names, what in (("factor", ve.index, "factor"), ("view", ve.columns, "view")):
            unknown = sorted(set(df[col]) - set(names))
            if unknown:
                raise DataError(f"{rel}: {what} {unknown[0]!r} is not in factors/variance_explained.csv")
    return df


def _read_truth(root: Path) -> dict[str, Any]:
    rel = "truth.json"
    doc = _read_json(root, rel)
    _require(isinstance(doc, dict), rel, f"expected a JSON object, got {type(doc).__name__}")
    ace = doc.get("ace", [])
    _require(isinstance(ace, list), rel, f"'ace' must be a list, got {ace!r}")
    for i, a in enumerate(ace):
        _require(
            isinstance(a, dict)
            and isinstance(a.get("exposure"), str)
            and isinstance(a.get("outcome"), str)
            and isinstance(a.get("effect"), (int, float))
            and not isinstance(a.get("effect"), bool),
            rel,
            f"ace[{i}] must be an object with exposure, outcome (strings) and effect (a number), got {a!r}",
        )
    coefs = doc.get("coefficients", [])
    _require(isinstance(coefs, list), rel, f"'coefficients' must be a list, got {coefs!r}")
    for i, c in enumerate(coefs):
        _require(
            isinstance(c, dict) and isinstance(c.get("cause"), str) and isinstance(c.get("effect"), str) and "value" in c,
            rel,
            f"coefficients[{i}] must be an object with cause, effect and value, got {c!r}",
        )
    return {**doc, "ace": ace, "coefficients": coefs}


def load_results(results_dir: str | os.PathLike) -> Results:
    """Read and check every artefact of a ``radiocausal analyze`` results folder.

    Parameters
    ----------
    results_dir : path
        The folder; only ``run.json`` is required.

    Returns
    -------
    Results

    Raises
    ------
    DataError
        When ``run.json`` is missing, or a file is corrupt or inconsistent (the message names the
        file and the problem).

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (out / "run.json").write_text(json.dumps({"study": "demo", "steps": {
    ...     "scan": {"status": "skipped", "seconds": 0.0, "reason": "no genomic tables"}}}))
    >>> res = load_results(out)
    >>> res.scan is None, res.not_run_reason("scan", "scan/scan.csv")
    (True, "step 'scan' skipped: no genomic tables")
    """
    root = Path(results_dir)
    if not root.is_dir():
        raise DataError(f"results_dir={os.fspath(results_dir)!r} is not a folder (expected a `radiocausal analyze` output)")
    res = Results(root=root, run=_read_run(root))
    if (root / "dag.dag").is_file():
        res.dag = _read_dag(root)
    if (root / "dag_check.json").is_file():
        res.dag_check = _read_dag_check(root, res.dag)
    if (root / "features/features.csv").is_file():
        res.features = _read_numeric_table(root, "features/features.csv")
    if (root / "stability/stability.csv").is_file():
        res.stability = _read_stability(root)
    for name in GENOMIC_TABLES:
        rel = f"genomics/{name}.csv"
        if (root / rel).is_file():
            res.genomics[name] = _read_numeric_table(root, rel)
    if (root / "scan/scan.csv").is_file():
        res.scan = _read_scan(root)
    if (root / "bayes/effects.csv").is_file():
        res.effects = _read_effects(root)
    if (root / "bayes").is_dir():
        res.posteriors = sorted(_rel(root, p) for p in (root / "bayes").glob("*.nc"))
    if (root / "interventions/interventions.csv").is_file():
        res.interventions = _read_interventions(root)
    if (root / "factors/variance_explained.csv").is_file():
        res.variance_explained = _read_variance(root)
    if (root / "factors/variance_explained_intervals.csv").is_file():
        res.variance_intervals = _read_variance_intervals(root, res.variance_explained)
    if (root / "truth.json").is_file():
        res.truth = _read_truth(root)
    return res
