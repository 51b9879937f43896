"""A simulated demo cohort analysed once per session (the end-to-end fixture of tests/pipeline)."""

from __future__ import annotations

import time
import warnings

import pytest


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """``run_demo(fast=True)`` on 100 patients: the analysis, the truth table and the wall time.

    The tables are read right after the run, so tests that later rerun the study with other
    settings (resumability) do not change what the end-to-end checks see.
    """
    from radiocausal.pipeline.demo import run_demo

    out = tmp_path_factory.mktemp("demo")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        demo = run_demo(out, n=100, random_seed=0, fast=True, n_jobs=2)
    res = demo.analysis
    return {
        "demo": demo,
        "seconds": time.perf_counter() - t0,
        "scan": res.scan,
        "effects": res.effects,
        "interventions": res.interventions,
        "table": demo.table,
        "steps": {k: dict(v) for k, v in res.steps.items()},
    }
