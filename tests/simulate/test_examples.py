"""The seed-scenario example scripts run end to end on a small cohort."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("script", "args", "expected"),
    [
        ("simulate_grade_confounding.py", ["--n", "40"], ["{grade, IDH1}", "stat_var", "back-door"]),
        ("simulate_selection_collider.py", ["--n", "400", "--n-images", "16"],
         ["IPSW + {smoking}", "no set of observed covariates", "ggo_texture"]),
    ],
)
def test_seed_scenario_example_runs(tmp_path, script, args, expected):
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args, "--out", str(tmp_path), "--seed", "3"],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    for text in expected:
        assert text in run.stdout
    assert "true effect" in run.stdout and "naive" in run.stdout
