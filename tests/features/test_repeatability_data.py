"""Real-data check: test-retest ICCs on QIN-PROSTATE-Repeatability (examples/repeatability_radiomics.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "repeatability_radiomics.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("repeatability_radiomics", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sessions(example, shared_data):
    return example.load_sessions(shared_data / "repeatability" / example.FILE)


@pytest.mark.slow
def test_per_roi_counts(example, shared_data):
    summary = example.main(shared_data).set_index("roi")
    assert set(summary.index) == {"WholeGland", "PeripheralZone", "TumorROI_PZ_1", "NormalROI_PZ_1"}
    assert (summary["icc>0.90"] <= summary["icc>0.75"]).all()
    assert (summary["icc>0.75"] < summary["features"]).all() and (summary["icc>0.75"] > 0).all()
    # whole-gland and peripheral-zone ROIs (15 patients) have repeatable features; the small
    # normal-tissue ROI (7 patients with both sessions) has none above 0.90
    assert summary.loc["WholeGland", "icc>0.90"] > 0 and summary.loc["PeripheralZone", "icc>0.90"] > 0
    assert summary.loc["WholeGland", "patients"] == 15


def test_whole_gland_volume_is_repeatable(example, sessions):
    table = example.repeatability_table(sessions, "WholeGland")
    vol = table.loc["original_shape_Volume"]
    assert vol["icc"] > 0.9 and vol["ci_low"] < vol["icc"] < vol["ci_high"]


def test_agrees_with_pingouin_on_real_data(example, sessions):
    pg = pytest.importorskip("pingouin")
    table = example.repeatability_table(sessions, "PeripheralZone")
    sub = sessions[sessions["segmentedStructure"] == "PeripheralZone"]
    for feat in ["original_glcm_Contrast"]:
        ref = pg.intraclass_corr(sub, targets="patient", raters="session", ratings=feat).set_index("Type")
        assert table.loc[feat, "icc"] == pytest.approx(ref.loc["ICC(1,1)", "ICC"], rel=1e-9)
    assert np.isfinite(table["icc"]).all()
