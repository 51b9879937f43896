"""The study file: one TOML file naming the data, the DAG, the questions and the settings.

A study is read with :meth:`Study.from_toml` (or built from a mapping with
:meth:`Study.from_dict`) and validated at once: every error names the key, the bad value and
what was expected.  Paths are relative to the study file's folder.  The reference with a full
annotated example is ``docs/analyze.md``.

Examples
--------
>>> study = Study.from_dict({
...     "study": {"name": "demo", "dag": "tumour_grade_confounding"},
...     "data": {"patients": "patients.csv", "manifest": "manifest.csv"},
...     "pairs": [{"exposure": "IDH1", "outcome": "texture"}],
... }, base="/data/study")
>>> study.name, study.output.as_posix(), study.pairs[0].exposure
('demo', '/data/study/results', 'IDH1')
>>> Study.from_dict({"study": {"name": "x", "dag": "d.dag"}, "data": {"patients": "p.csv"},
...                  "bayes": {"draws": -5}})
Traceback (most recent call last):
...
radiocausal.pipeline.study.StudyError: bayes.draws = -5: expected a positive integer
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from radiocausal.errors import DataError

__all__ = [
    "Study",
    "StudyError",
    "Pair",
    "Intervention",
    "DataFiles",
    "NodeMap",
    "ExtractionSpec",
    "StabilitySpec",
    "GenomicsSpec",
    "ScanSpec",
    "BayesSpec",
    "FactorSpec",
    "GENOMIC_KINDS",
    "SCAN_TESTS_BY_KIND",
]

#: The genomic tables a study may name, in the order they are processed.
GENOMIC_KINDS = ("mutation", "copy_number", "expression")
#: Tests allowed per genomic kind in the frequentist scan (first = default).
SCAN_TESTS_BY_KIND = {
    "mutation": ("linear", "logistic", "wilcoxon"),
    "copy_number": ("linear", "spearman", "ordinal"),
    "expression": ("linear", "spearman"),
}
_SAMPLERS = ("auto", "pymc", "nutpie")
_Q_METHODS = ("bh", "by", "holm", "bonferroni", "hochberg", "storey")


class StudyError(DataError):
    """A study file that cannot be read or does not validate (names the key, value and expectation)."""


# ------------------------------------------------------------------------------ small validators
def _fail(key: str, value: Any, expected: str) -> StudyError:
    return StudyError(f"{key} = {value!r}: expected {expected}")


def _table(raw: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    return _checked(raw.get(key, {}), key, allowed)


def _checked(value: Any, key: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    """``value`` as a table whose keys are among ``allowed`` (``key`` names it in errors)."""
    if not isinstance(value, Mapping):
        raise _fail(key, value, "a table")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise StudyError(f"{key}: unknown key(s) {unknown}; expected some of {sorted(allowed)}")
    return dict(value)


def _str(table: Mapping[str, Any], prefix: str, key: str, default: Any = None, *, required: bool = False) -> Any:
    if key not in table:
        if required:
            raise StudyError(f"{prefix}.{key} is missing: expected a non-empty string")
        return default
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"{prefix}.{key}", value, "a non-empty string")
    return value.strip()


def _choice(table: Mapping[str, Any], prefix: str, key: str, choices: tuple[str, ...], default: str) -> str:
    value = table.get(key, default)
    if value not in choices:
        raise _fail(f"{prefix}.{key}", value, f"one of {list(choices)}")
    return value


def _int(table: Mapping[str, Any], prefix: str, key: str, default: int | None, *, minimum: int = 1) -> int | None:
    value = table.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise _fail(f"{prefix}.{key}", value, what)
    return value


def _float(table: Mapping[str, Any], prefix: str, key: str, default: float, lo: float, hi: float,
           *, open_low: bool = False) -> float:
    value = table.get(key, default)
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok:
        ok = (lo < value if open_low else lo <= value) and value <= hi
    if not ok:
        bracket = "(" if open_low else "["
        raise _fail(f"{prefix}.{key}", value, f"a number in {bracket}{lo}, {hi}]")
    return float(value)


def _bool(table: Mapping[str, Any], prefix: str, key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise _fail(f"{prefix}.{key}", value, "true or false")
    return value


def _names(table: Mapping[str, Any], prefix: str, key: str, default: Any = None) -> list[str] | None:
    value = table.get(key, default)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(f"{prefix}.{key}", value, "a list of non-empty strings")
    return list(value)


def _mapping(table: Mapping[str, Any], prefix: str, key: str) -> dict[str, Any]:
    value = table.get(key, {})
    if not isinstance(value, Mapping):
        raise _fail(f"{prefix}.{key}", value, "a table")
    return dict(value)


# ------------------------------------------------------------------------------------ the parts
@dataclass(frozen=True)
class DataFiles:
    """Input files (absolute paths); only ``patients`` is required."""

    patients: Path
    id_column: str = "patient_id"
    categorical: tuple[str, ...] = ()
    manifest: Path | None = None
    retest_manifest: Path | None = None
    mutations: Path | None = None
    copy_number: Path | None = None
    expression: Path | None = None
    gene_lengths: Path | None = None
    truth: Path | None = None


@dataclass(frozen=True)
class NodeMap:
    """How data columns map to DAG nodes.

    ``features`` is the node every radiomic feature stands for; ``columns`` maps any other column
    (clinical or genomic) to a node; a column named after a node is that node.
    """

    features: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    other: dict[str, str] = field(default_factory=dict)

    def node_of(self, column: str, kind: str = "clinical", nodes=()) -> str:
        """The DAG node a column of table ``kind`` stands for.

        ``columns["kind:column"]``, else ``columns[column]``, else the column itself when it is a
        node (or ``nodes`` is empty), else ``other[kind]`` (the node standing for the table's
        remaining columns), else the column itself.

        Examples
        --------
        >>> m = NodeMap("phenotype", {"MYC_log2": "MYC"}, {"mutation": "other_mutations"})
        >>> m.node_of("MYC_log2", "copy_number"), m.node_of("TP53", "mutation", {"EGFR", "other_mutations"})
        ('MYC', 'other_mutations')
        """
        for key in (f"{kind}:{column}", column):
            if key in self.columns:
                return self.columns[key]
        if nodes and column not in nodes and kind in self.other:
            return self.other[kind]
        return column


@dataclass(frozen=True)
class Pair:
    """One exposure -> outcome question for the Bayesian models.

    When ``outcome`` is the feature node, ``features`` lists the feature columns modelled (default:
    the stable features most strongly associated in the adjusted scan, up to ``bayes.max_features``).
    """

    exposure: str
    outcome: str
    features: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Intervention:
    """``do(set)`` versus ``do(baseline)`` on ``target`` (a DAG node or a feature column)."""

    target: str
    set: dict[str, Any]
    baseline: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        return "do(" + ", ".join(f"{k}={v}" for k, v in self.set.items()) + ")"

    @property
    def baseline_label(self) -> str:
        if self.baseline is None:
            return ""
        return "do(" + ", ".join(f"{k}={v}" for k, v in self.baseline.items()) + ")"


@dataclass(frozen=True)
class ExtractionSpec:
    """A preset name and/or :class:`~radiocausal.features.ExtractionSettings` fields overriding it."""

    preset: str | None = "pyradiomics"
    settings: dict[str, Any] = field(default_factory=dict)
    names: str = "ibsi"
    n_jobs: int | None = None

    def resolve(self):
        """The :class:`~radiocausal.features.ExtractionSettings` these name (validated)."""
        from radiocausal.features import ExtractionSettings, get_settings

        if self.preset is None:
            return ExtractionSettings.from_dict(self.settings)
        base = get_settings(self.preset)
        return base.replace(**self.settings) if self.settings else base


@dataclass(frozen=True)
class StabilitySpec:
    threshold: float = 0.75
    form: str = "ICC(1,1)"


@dataclass(frozen=True)
class GenomicsSpec:
    min_tpm: float = 1.0
    min_fraction: float = 0.2
    copy_number_scale: str = "log2"
    min_mutated: int = 3


@dataclass(frozen=True)
class ScanSpec:
    tests: dict[str, str] = field(default_factory=lambda: {k: v[0] for k, v in SCAN_TESTS_BY_KIND.items()})
    fdr: float = 0.05
    q_method: str = "bh"


@dataclass(frozen=True)
class BayesSpec:
    draws: int = 500
    tune: int = 500
    chains: int = 2
    seed: int = 0
    sampler: str = "auto"
    target_accept: float | None = None
    max_features: int = 3
    models: tuple[str, ...] = ("adjusted", "unadjusted")


@dataclass(frozen=True)
class FactorSpec:
    enabled: bool = True
    n_factors: int = 5
    seed: int = 0
    max_iter: int = 1000
    n_bootstrap: int = 10
    views: tuple[str, ...] = ("radiomics", "expression", "mutations", "copy_number")


_FACTOR_VIEWS = ("radiomics", "expression", "mutations", "copy_number")


# ----------------------------------------------------------------------------------------- Study
@dataclass(frozen=True)
class Study:
    """A validated study: what :func:`radiocausal.pipeline.analyze` runs.

    Attributes
    ----------
    name : str
    dag : str
        Path of a dagitty file (absolute) or the name of a library study DAG (``models/``).
    output : Path
        The results folder.
    data, nodes, pairs, interventions, extraction, stability, genomics, scan, bayes, factors
        The parts of the study file (see ``docs/analyze.md``).
    source : Path or None
        The study file it was read from.
    """

    name: str
    dag: str
    output: Path
    data: DataFiles
    nodes: NodeMap = field(default_factory=NodeMap)
    pairs: tuple[Pair, ...] = ()
    interventions: tuple[Intervention, ...] | None = None
    extraction: ExtractionSpec = field(default_factory=ExtractionSpec)
    stability: StabilitySpec = field(default_factory=StabilitySpec)
    genomics: GenomicsSpec = field(default_factory=GenomicsSpec)
    scan: ScanSpec = field(default_factory=ScanSpec)
    bayes: BayesSpec = field(default_factory=BayesSpec)
    factors: FactorSpec = field(default_factory=FactorSpec)
    source: Path | None = None

    # ------------------------------------------------------------------ readers
    @classmethod
    def from_toml(cls, path: str | os.PathLike) -> Study:
        """Read and validate a study file.

        Raises
        ------
        StudyError
            Unreadable TOML, unknown or missing keys, values of the wrong type or out of range,
            an extraction preset or field that :mod:`radiocausal.features` rejects.
        """
        path = Path(path)
        if not path.is_file():
            raise StudyError(f"study file '{path}' does not exist")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise StudyError(f"study file '{path}' is not valid TOML: {exc}") from None
        study = cls.from_dict(raw, base=path.resolve().parent)
        return _replace(study, source=path.resolve())

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], base: str | os.PathLike = ".") -> Study:
        """Validate a study given as a mapping (the TOML document); relative paths are taken from ``base``."""
        if not isinstance(raw, Mapping):
            raise StudyError(f"study = {type(raw).__name__}: expected a mapping of tables")
        top = ("study", "data", "nodes", "pairs", "interventions", "extraction", "stability", "genomics", "scan",
               "bayes", "factors")
        unknown = sorted(set(raw) - set(top))
        if unknown:
            raise StudyError(f"unknown top-level key(s) {unknown}; expected some of {list(top)}")
        base = Path(base)

        def path_of(value: str) -> Path:
            p = Path(value).expanduser()
            return p if p.is_absolute() else base / p

        st = _table(raw, "study", ("name", "dag", "output"))
        name = _str(st, "study", "name", required=True)
        dag = _str(st, "study", "dag", required=True)
        dag_path = path_of(dag)
        if dag.endswith(".dag") or "/" in dag or dag_path.exists():
            dag = str(dag_path)
        output = path_of(_str(st, "study", "output", "results"))

        d = _table(raw, "data", ("patients", "id_column", "categorical", "manifest", "retest_manifest", "mutations",
                                 "copy_number", "expression", "gene_lengths", "truth"))
        files = {k: path_of(_str(d, "data", k)) if k in d else None
                 for k in ("manifest", "retest_manifest", "mutations", "copy_number", "expression", "gene_lengths",
                           "truth")}
        if files["expression"] is not None and files["gene_lengths"] is None:
            raise StudyError("data.gene_lengths is missing: expected a CSV of gene lengths (columns gene, length) "
                             "for the expression counts named in data.expression")
        if files["retest_manifest"] is not None and files["manifest"] is None:
            raise StudyError("data.retest_manifest is given but data.manifest is not: expected the main manifest too")
        data = DataFiles(
            patients=path_of(_str(d, "data", "patients", required=True)),
            id_column=_str(d, "data", "id_column", "patient_id"),
            categorical=tuple(_names(d, "data", "categorical", []) or ()),
            **files,
        )

        n = _table(raw, "nodes", ("features", "columns", "other"))
        columns = _mapping(n, "nodes", "columns")
        other = _mapping(n, "nodes", "other")
        for what, table in (("columns", columns), ("other", other)):
            for k, v in table.items():
                if not isinstance(v, str) or not v:
                    raise _fail(f"nodes.{what}.{k}", v, "the name of a DAG node (string)")
        bad = sorted(set(other) - {"clinical", *GENOMIC_KINDS})
        if bad:
            raise StudyError(f"nodes.other: unknown table kind(s) {bad}; expected some of "
                             f"{['clinical', *GENOMIC_KINDS]}")
        nodes = NodeMap(features=_str(n, "nodes", "features"), columns=columns, other=other)

        pairs_raw = raw.get("pairs", [])
        if not isinstance(pairs_raw, list):
            raise _fail("pairs", pairs_raw, "an array of tables ([[pairs]])")
        pairs = []
        for i, p in enumerate(pairs_raw):
            pt = _checked(p, f"pairs[{i}]", ("exposure", "outcome", "features"))
            outcome = _str(pt, f"pairs[{i}]", "outcome", nodes.features)
            if outcome is None:
                raise StudyError(f"pairs[{i}].outcome is missing: expected a DAG node (or set nodes.features)")
            feats = _names(pt, f"pairs[{i}]", "features")
            pairs.append(Pair(_str(pt, f"pairs[{i}]", "exposure", required=True), outcome,
                              tuple(feats) if feats is not None else None))

        interventions = None
        if "interventions" in raw:
            iv_raw = raw["interventions"]
            if not isinstance(iv_raw, list):
                raise _fail("interventions", iv_raw, "an array of tables ([[interventions]])")
            interventions = []
            for i, iv in enumerate(iv_raw):
                key = f"interventions[{i}]"
                it = _checked(iv, key, ("target", "set", "baseline"))
                set_ = _mapping(it, key, "set")
                if not set_:
                    raise _fail(f"{key}.set", it.get("set"), "a non-empty table node = value")
                baseline = _mapping(it, key, "baseline") if "baseline" in it else None
                if baseline is not None and set(baseline) != set(set_):
                    raise _fail(f"{key}.baseline", baseline, f"values for the same nodes as set ({sorted(set_)})")
                for part, values in (("set", set_), ("baseline", baseline or {})):
                    for k, v in values.items():
                        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
                            raise _fail(f"{key}.{part}.{k}", v, "a number or a category name")
                interventions.append(Intervention(_str(it, key, "target", required=True), set_, baseline))
            interventions = tuple(interventions)

        e = _table(raw, "extraction", ("preset", "settings", "names", "n_jobs"))
        preset = e.get("preset", "pyradiomics" if "settings" not in e else None)
        if preset is not None and (not isinstance(preset, str) or not preset):
            raise _fail("extraction.preset", preset, "a preset name (string)")
        extraction = ExtractionSpec(
            preset=preset,
            settings=_mapping(e, "extraction", "settings"),
            names=_choice(e, "extraction", "names", ("ibsi", "pyradiomics"), "ibsi"),
            n_jobs=_int(e, "extraction", "n_jobs", None),
        )
        try:
            extraction.resolve()
        except DataError as exc:
            raise StudyError(f"extraction: {exc}") from None

        s = _table(raw, "stability", ("threshold", "form"))
        from radiocausal.features.stability import ICC_FORMS, _ALIASES

        form = s.get("form", "ICC(1,1)")
        if form not in ICC_FORMS and form not in _ALIASES:
            raise _fail("stability.form", form, f"one of {list(ICC_FORMS)}")
        stability = StabilitySpec(threshold=_float(s, "stability", "threshold", 0.75, -1.0, 1.0), form=form)

        g = _table(raw, "genomics", ("min_tpm", "min_fraction", "copy_number_scale", "min_mutated"))
        genomics = GenomicsSpec(
            min_tpm=_float(g, "genomics", "min_tpm", 1.0, 0.0, float("inf")),
            min_fraction=_float(g, "genomics", "min_fraction", 0.2, 0.0, 1.0),
            copy_number_scale=_choice(g, "genomics", "copy_number_scale", ("log2", "absolute", "gistic"), "log2"),
            min_mutated=_int(g, "genomics", "min_mutated", 3, minimum=0),
        )

        sc = _table(raw, "scan", ("tests", "fdr", "q_method"))
        tests_raw = _mapping(sc, "scan", "tests")
        unknown = sorted(set(tests_raw) - set(GENOMIC_KINDS))
        if unknown:
            raise StudyError(f"scan.tests: unknown genomic kind(s) {unknown}; expected some of {list(GENOMIC_KINDS)}")
        tests = {k: v[0] for k, v in SCAN_TESTS_BY_KIND.items()}
        for k, v in tests_raw.items():
            if v not in SCAN_TESTS_BY_KIND[k]:
                raise _fail(f"scan.tests.{k}", v, f"one of {list(SCAN_TESTS_BY_KIND[k])}")
            tests[k] = v
        scan = ScanSpec(tests=tests, fdr=_float(sc, "scan", "fdr", 0.05, 0.0, 1.0, open_low=True),
                        q_method=_choice(sc, "scan", "q_method", _Q_METHODS, "bh"))

        b = _table(raw, "bayes", ("draws", "tune", "chains", "seed", "sampler", "target_accept", "max_features",
                                  "models"))
        models = _names(b, "bayes", "models", ["adjusted", "unadjusted"])
        bad = [m for m in models if m not in ("adjusted", "unadjusted")]
        if bad or not models:
            raise _fail("bayes.models", models, "a non-empty list of 'adjusted' and/or 'unadjusted'")
        ta = b.get("target_accept")
        if ta is not None:
            ta = _float(b, "bayes", "target_accept", 0.9, 0.5, 1.0, open_low=True)
        bayes = BayesSpec(
            draws=_int(b, "bayes", "draws", 500), tune=_int(b, "bayes", "tune", 500),
            chains=_int(b, "bayes", "chains", 2), seed=_int(b, "bayes", "seed", 0, minimum=0),
            sampler=_choice(b, "bayes", "sampler", _SAMPLERS, "auto"), target_accept=ta,
            max_features=_int(b, "bayes", "max_features", 3), models=tuple(dict.fromkeys(models)),
        )

        f = _table(raw, "factors", ("enabled", "n_factors", "seed", "max_iter", "n_bootstrap", "views"))
        views = _names(f, "factors", "views", list(_FACTOR_VIEWS))
        bad = [v for v in views if v not in _FACTOR_VIEWS]
        if bad:
            raise _fail("factors.views", views, f"a list of some of {list(_FACTOR_VIEWS)}")
        factors = FactorSpec(
            enabled=_bool(f, "factors", "enabled", True), n_factors=_int(f, "factors", "n_factors", 5),
            seed=_int(f, "factors", "seed", 0, minimum=0), max_iter=_int(f, "factors", "max_iter", 1000),
            n_bootstrap=_int(f, "factors", "n_bootstrap", 10, minimum=0), views=tuple(views),
        )
        return cls(name=name, dag=dag, output=output, data=data, nodes=nodes, pairs=tuple(pairs),
                   interventions=interventions, extraction=extraction, stability=stability, genomics=genomics,
                   scan=scan, bayes=bayes, factors=factors)

    # ------------------------------------------------------------------ helpers
    def to_dict(self) -> dict[str, Any]:
        """The study as a JSON-ready mapping (paths as strings): the settings recorded in ``run.json``."""

        def clean(value: Any) -> Any:
            if isinstance(value, Path):
                return str(value)
            if isinstance(value, Mapping):
                return {str(k): clean(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [clean(v) for v in value]
            return value

        return clean(asdict(self))

    def with_output(self, output: str | os.PathLike) -> Study:
        """A copy writing its results to ``output``."""
        return _replace(self, output=Path(output))

    def load_dag(self):
        """The study DAG (:class:`~radiocausal.graph.CausalDAG`) from its file or the library."""
        from radiocausal.graph import CausalDAG
        from radiocausal.graph.library import list_models, load_model

        path = Path(self.dag)
        if path.is_file():
            return CausalDAG.read(path)
        if self.dag in list_models():
            return load_model(self.dag)
        raise StudyError(
            f"study.dag = {self.dag!r}: expected a dagitty file (relative to the study file) or a library model "
            f"({', '.join(list_models())})"
        )


def _replace(study: Study, **changes: Any) -> Study:
    import dataclasses

    return dataclasses.replace(study, **changes)
