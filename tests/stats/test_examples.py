"""The TCGA example runs on the shared reference data and finds the known size/risk association."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tcga_brca_scan.py"


def test_tcga_brca_example(shared_data, capsys, monkeypatch):
    from radiocausal.errors import DataWarning

    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), str(shared_data / "tcga_brca"), "--top", "5"])
    with pytest.warns(DataWarning, match="PAM50 Normal"):  # only 4 normal-like tumours among the 84
        with pytest.raises(SystemExit) as stop:
            runpy.run_path(str(EXAMPLE), run_name="__main__")
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "84 patient(s) with both imaging and genomics" in out
    assert "36 MRI phenotypes" in out and "468 tests" in out
    top = out.split("q_family")[1].split("logistic")[0]
    # tumour size tracks the ROR-P / recurrence risk scores (rho about 0.36, p < 1e-3)
    assert "Size/Lesion volume (S1)" in top and ("ROR-P score" in top or "21-gene RS score" in top)


GLIOMA = EXAMPLE.with_name("tcga_glioma_scan.py")


def test_tcga_glioma_example(shared_data, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(GLIOMA), str(shared_data / "tcga_glioma")])
    with pytest.warns(Warning):  # the separated pairs are announced
        with pytest.raises(SystemExit) as stop:
            runpy.run_path(str(GLIOMA), run_name="__main__")
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "857 patients" in out and "190 gene pairs" in out
    co, grade = out.split("glioblastoma vs lower grade")
    # known glioma biology: TP53-ATRX co-occur (astrocytoma), IDH1 is rarer in glioblastoma
    assert "TP53   ATRX  co-occur" in co
    first_grade_row = grade.splitlines()[2].split()
    assert first_grade_row[0] == "IDH1" and float(first_grade_row[1]) < 0.2
