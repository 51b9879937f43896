"""The TCGA example runs on the shared reference data and finds the known size/risk association."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tcga_brca_scan.py"


def test_tcga_brca_example(shared_data, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), str(shared_data / "tcga_brca"), "--top", "5"])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(EXAMPLE), run_name="__main__")
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "84 patient(s) with both imaging and genomics" in out
    assert "36 MRI phenotypes" in out and "468 tests" in out
    top = out.split("q_family")[1].split("logistic")[0]
    # tumour size tracks the ROR-P / recurrence risk scores (rho about 0.36, p < 1e-3)
    assert "Size/Lesion volume (S1)" in top and ("ROR-P score" in top or "21-gene RS score" in top)
