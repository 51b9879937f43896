"""The main job end to end: a study file in, a results folder (and a report) out.

:class:`Study` reads and validates a study file (TOML: the DAG, the data, the questions, the
settings); :func:`analyze` runs input checks, the DAG check, feature extraction, the stability
filter, genomic normalisation, the frequentist scan, Bayesian adjusted and unadjusted models,
do-interventions, latent factors and the report, each step written to the results folder and
reused on a rerun when nothing it depends on changed.  :func:`run_demo` simulates a cohort with
known truth, writes its study file and analyses it.  See ``docs/analyze.md``.

Examples
--------
>>> from radiocausal.pipeline import STEPS
>>> STEPS[:3]
('inputs', 'dag', 'features')
"""

from radiocausal.pipeline._record import STEPS
from radiocausal.pipeline.analyze import DEPENDS, AnalysisResult, analyze
from radiocausal.pipeline.demo import DemoResult, run_demo, truth_table, write_study_file
from radiocausal.pipeline.steps import check_pairs
from radiocausal.pipeline.study import Study, StudyError

__all__ = [
    "Study",
    "StudyError",
    "analyze",
    "AnalysisResult",
    "STEPS",
    "DEPENDS",
    "check_pairs",
    "run_demo",
    "DemoResult",
    "truth_table",
    "write_study_file",
]
