"""Run a study end to end into a results folder, resumably: :func:`analyze` and :class:`AnalysisResult`."""

from __future__ import annotations

import json
import os
import time
import traceback
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from radiocausal.errors import DataError, RadiocausalError, RadiocausalWarning
from radiocausal.pipeline._record import STEPS, RunRecord, step_key
from radiocausal.pipeline.steps import STEP_OBJECTS, Context
from radiocausal.pipeline.study import Study

__all__ = ["analyze", "AnalysisResult", "STEPS", "DEPENDS"]

#: Steps each step reads the outputs of: when one is recomputed, these keys change with it.
DEPENDS = {
    "inputs": (),
    "dag": ("inputs",),
    "features": ("inputs",),
    "stability": ("features",),
    "genomics": ("inputs",),
    "scan": ("dag", "features", "stability", "genomics"),
    "bayes": ("dag", "features", "stability", "genomics", "scan"),
    "interventions": ("bayes",),
    "factors": ("features", "stability", "genomics"),
    "report": (),  # renders whatever the other steps wrote; a missing section says why
}
#: Steps whose failure stops the run (nothing after them can work).
_FATAL = ("inputs", "dag")


@dataclass
class AnalysisResult:
    """The results folder of one :func:`analyze` run, its tables read on first access and kept in memory.

    Attributes
    ----------
    folder : Path
        The results folder (see ``docs/analyze.md`` for its layout).
    study : Study
    steps : dict
        ``run.json``'s step records: ``status`` (``"done"``, ``"skipped"``, ``"failed"``), ``seconds``,
        ``reason``, ``reused`` (taken from an earlier run), ``warnings``.
    """

    folder: Path
    study: Study
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_folder(cls, folder: str | os.PathLike, study: Study | None = None) -> AnalysisResult:
        """Open an existing results folder (its ``run.json``)."""
        folder = Path(folder)
        run = folder / "run.json"
        if not run.is_file():
            raise DataError(f"'{folder}' is not a results folder of radiocausal analyze: no run.json")
        rec = json.loads(run.read_text(encoding="utf-8"))
        if study is None:
            settings = rec.get("settings", {})
            study = Study.from_toml(settings["source"]) if settings.get("source") else None
        return cls(folder, study, rec.get("steps", {}))

    def _csv(self, *parts: str, **kw) -> pd.DataFrame | None:
        p = self.folder.joinpath(*parts)
        return pd.read_csv(p, **kw) if p.is_file() else None

    @property
    def status(self) -> pd.DataFrame:
        """One row per step: status, seconds, reused, reason."""
        rows = [{"step": s, "status": r.get("status"), "seconds": r.get("seconds"), "reused": r.get("reused", False),
                 "reason": r.get("reason", "")} for s, r in self.steps.items()]
        return pd.DataFrame(rows).set_index("step")

    @property
    def failed(self) -> list[str]:
        """Names of the steps that failed."""
        return [s for s, r in self.steps.items() if r.get("status") == "failed"]

    @property
    def warnings(self) -> list[str]:
        """Every warning recorded by the steps, in order."""
        return [w for r in self.steps.values() for w in r.get("warnings", [])]

    @cached_property
    def dag_check(self) -> dict[str, Any] | None:
        p = self.folder / "dag_check.json"
        return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None

    @cached_property
    def features(self) -> pd.DataFrame | None:
        """Extracted features (patients x features)."""
        return self._csv("features", "features.csv", index_col=0)

    @cached_property
    def stability(self) -> pd.DataFrame | None:
        return self._csv("stability", "stability.csv")

    @cached_property
    def scan(self) -> pd.DataFrame | None:
        """The frequentist scan, unadjusted and DAG-adjusted rows."""
        return self._csv("scan", "scan.csv")

    @cached_property
    def effects(self) -> pd.DataFrame | None:
        """Bayesian adjusted and unadjusted effects (with the truth when known)."""
        return self._csv("bayes", "effects.csv")

    @cached_property
    def interventions(self) -> pd.DataFrame | None:
        return self._csv("interventions", "interventions.csv")

    @cached_property
    def variance_explained(self) -> pd.DataFrame | None:
        return self._csv("factors", "variance_explained.csv", index_col=0)

    def inference_data(self, exposure: str, outcome: str, model: str = "adjusted"):
        """The ArviZ InferenceData of one Bayesian model."""
        import arviz as az

        from radiocausal.pipeline.steps import _safe

        p = self.folder / "bayes" / f"{_safe(exposure)}__{_safe(outcome)}__{model}.nc"
        if not p.is_file():
            raise DataError(f"no {model} model of {exposure} -> {outcome} in '{self.folder / 'bayes'}'")
        return az.from_netcdf(p)

    @property
    def report(self) -> Path | None:
        p = self.folder / "report.html"
        return p if p.is_file() else None


def _dependents(changed: set[str]) -> set[str]:
    out = set(changed)
    for s in STEPS:
        if any(d in out for d in DEPENDS[s]):
            out.add(s)
    return out


def analyze(
    study: Study | str | os.PathLike,
    *,
    output: str | os.PathLike | None = None,
    force: bool | Iterable[str] = False,
    progress: bool = False,
) -> AnalysisResult:
    """Run every step of a study into its results folder, reusing what an earlier run finished.

    Steps, in order (:data:`STEPS`): ``inputs`` (files exist, patient ids match) -> ``dag``
    (adjustment sets and verdicts on naive sets per pair) -> ``features`` (resumable extraction)
    -> ``stability`` (ICC on repeat scans) -> ``genomics`` (normalisation) -> ``scan``
    (unadjusted and DAG-adjusted, FDR) -> ``bayes`` (adjusted and unadjusted models) ->
    ``interventions`` (do() with a structural model) -> ``factors`` (latent factors) -> ``report``.
    A step is reused when its settings, its input files and the steps it reads are unchanged and
    its outputs exist; ``force`` recomputes all steps (``True``) or the named ones and those after
    them that read their outputs.  A failing step is recorded (``status="failed"``, with the
    reason) and the steps that need it are skipped; the others still run.  Failures of ``inputs``
    or ``dag`` raise.

    Parameters
    ----------
    study : Study or path of a study file (TOML)
    output : path, optional
        Results folder overriding the study's ``study.output``.
    force : bool or iterable of step names
    progress : bool
        Show progress bars (tqdm, on stderr) for the steps and the long ones inside them.

    Returns
    -------
    AnalysisResult

    Raises
    ------
    StudyError, DataError, GraphError
        An invalid study file, missing or inconsistent input files, a DAG that does not fit the
        study (these stop the run at its first steps).
    """
    from radiocausal import __version__

    if not isinstance(study, Study):
        study = Study.from_toml(study)
    if output is not None:
        study = study.with_output(output)
    if isinstance(force, bool):
        forced = set(STEPS) if force else set()
    else:
        forced = set(force)
        bad = sorted(forced - set(STEPS))
        if bad:
            raise DataError(f"force names unknown step(s) {bad}; expected some of {list(STEPS)}")
        forced = _dependents(forced)
    out = Path(study.output)
    out.mkdir(parents=True, exist_ok=True)
    settings = {**study.to_dict(), "source": str(study.source) if study.source else None}
    record = RunRecord(out, study.name, __version__, settings)
    ctx = Context(study, out, progress)
    from tqdm.auto import tqdm

    blocked: dict[str, str] = {}
    bar = tqdm(STEP_OBJECTS, desc="radiocausal analyze", unit="step", disable=not progress)
    try:
        for step in bar:
            name = step.name
            bar.set_postfix_str(name)
            missing = [d for d in DEPENDS[name] if d in blocked]
            if missing:
                record.set(name, {"status": "skipped", "seconds": 0.0,
                                  "reason": f"step {missing[0]!r} failed: {blocked[missing[0]]}"})
                blocked[name] = f"needs {missing[0]!r}"
                continue
            ctx.messages = []
            prev = None
            t0 = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                # a note on how PyTensor was installed, not on the analysis: kept out of run.json
                warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
                try:
                    k_settings, k_files, k_stamps = step.key(ctx)
                    key = step_key({"version": __version__, "settings": k_settings}, k_files, k_stamps)
                    prev = None if name in forced else record.reusable(name, key, step.outputs(ctx))
                    if prev is not None:
                        entry = {**prev, "reused": True}
                    else:
                        reason = step.run(ctx)
                        entry = {"status": "done" if reason is None else "skipped",
                                 "seconds": round(time.perf_counter() - t0, 3), "key": key}
                        if reason is not None:
                            entry["reason"] = reason
                        entry["outputs"] = [str(p.relative_to(out)) for p in step.outputs(ctx) if p.exists()]
                except Exception as exc:  # noqa: BLE001 - recorded, and fatal for the first steps
                    if name in _FATAL or not isinstance(exc, (RadiocausalError, ValueError, RuntimeError,
                                                              ArithmeticError, LookupError, OSError)):
                        record.set(name, {"status": "failed", "seconds": round(time.perf_counter() - t0, 3),
                                          "reason": f"{type(exc).__name__}: {exc}"})
                        raise
                    entry = {"status": "failed", "seconds": round(time.perf_counter() - t0, 3),
                             "reason": f"{type(exc).__name__}: {exc}",
                             "traceback": traceback.format_exc(limit=8)}
                    blocked[name] = entry["reason"]
            msgs = list(dict.fromkeys([*ctx.messages, *(str(w.message) for w in caught
                                                        if issubclass(w.category, UserWarning))]))
            if prev is None:
                entry["warnings"] = msgs
            for w in caught:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            for m in dict.fromkeys(ctx.messages):
                warnings.warn(f"{name}: {m}", RadiocausalWarning, stacklevel=2)
            record.set(name, entry)
    finally:
        bar.close()
    record.finish()  # "finished" stays null in run.json when a fatal error stopped the run
    return AnalysisResult(out, study, record.data["steps"])
