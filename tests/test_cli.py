"""The ``radiocausal`` command line: ``check``, ``models``, ``draw`` and exit statuses."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from radiocausal import cli
from radiocausal.cli import main
from radiocausal.graph import CausalDAG

GRADE_DAG = """# grade confounds
dag {
  EGFR [exposure]
  texture [outcome]
  grade -> EGFR -> texture
  grade -> texture
  EGFR -> necrosis -> texture
  age -> grade
}
"""


@pytest.fixture
def dag_file(tmp_path: Path) -> Path:
    path = tmp_path / "grade_study.dag"
    path.write_text(GRADE_DAG, encoding="utf-8")
    return path


def test_check_valid_set_exits_zero_and_prints_every_section(dag_file, capsys):
    status = main(["check", str(dag_file), "--adjust", "grade"])
    out, err = capsys.readouterr()
    assert status == 0
    assert err == ""
    assert "study: grade_study" in out
    assert "effect: total effect of EGFR on texture" in out
    assert "declared roles:" in out and "EGFR     exposure" in out
    assert "derived roles:" in out
    assert re.search(r"necrosis\s+mediator", out)
    assert re.search(r"grade\s+confounder", out)
    assert "minimal adjustment sets:\n  {grade}\n" in out
    assert "canonical adjustment set: {age, grade}" in out
    assert "optimal adjustment set (O-set): {grade}" in out
    assert "proposed adjustment set {grade} (--adjust): valid" in out
    assert "implied independencies (" in out
    assert "EGFR _||_ age | grade" in out


def test_check_invalid_set_exits_one_with_explanation(dag_file, capsys):
    status = main(["check", str(dag_file), "--adjust", "grade,necrosis"])
    out, _ = capsys.readouterr()
    assert status == 1
    assert "proposed adjustment set {grade, necrosis} (--adjust): NOT valid" in out
    assert "`necrosis` is a mediator on `EGFR -> necrosis -> texture`" in out


def test_check_empty_proposal_and_declared_adjusted(tmp_path, capsys):
    assert main(["check", "tumour_grade_confounding", "--adjust", "", "--no-independencies"]) == 1
    out, _ = capsys.readouterr()
    assert "proposed adjustment set {} (--adjust): NOT valid" in out
    assert "implied independencies" not in out
    path = tmp_path / "declared.dag"
    path.write_text(GRADE_DAG.replace("age -> grade", "age -> grade\n  grade [adjusted]"), encoding="utf-8")
    assert main(["check", str(path)]) == 0
    out, _ = capsys.readouterr()
    assert "proposed adjustment set {grade} (declared [adjusted]): valid" in out


def test_check_without_proposal_exits_zero(capsys):
    assert main(["check", "biopsy_selection"]) == 0
    out, _ = capsys.readouterr()
    assert "selection in force (data from selected patients only): biopsied" in out
    assert "adjustment sets: NONE" in out
    assert "proposed adjustment set: none given" in out


def test_check_reports_why_optimal_set_is_unavailable(capsys):
    assert main(["check", "multi_region_biopsy", "--adjust", "location,patient"]) == 0
    out, _ = capsys.readouterr()
    assert "optimal adjustment set (O-set): unavailable:" in out
    assert "hypoxia" in out.split("optimal adjustment set (O-set): unavailable:")[1].splitlines()[0]


def test_check_json(dag_file, capsys):
    status = main(["check", str(dag_file), "--adjust", "necrosis", "--json"])
    out, _ = capsys.readouterr()
    assert status == 1
    rep = json.loads(out)
    assert rep["exposure"] == ["EGFR"] and rep["outcome"] == ["texture"]
    assert rep["identifiable"] is True
    assert rep["adjustment_sets"]["minimal"] == [["grade"]]
    assert rep["adjustment_sets"]["canonical"] == ["age", "grade"]
    assert rep["adjustment_sets"]["optimal"] == ["grade"]
    assert rep["proposed"]["is_valid"] is False
    assert any("mediator" in p for p in rep["proposed"]["problems"])
    assert rep["derived_roles"]["necrosis"][0] == "mediator"
    assert {"x": "EGFR", "y": "age", "given": ["grade"]} in rep["implied_independencies"]
    dag = CausalDAG.from_dagitty(GRADE_DAG)
    assert rep["adjustment_sets"]["minimal"] == [sorted(s) for s in dag.adjustment_sets()]


def test_check_exposure_outcome_options_and_direct_effect(dag_file, capsys):
    status = main(["check", str(dag_file), "-x", "grade", "-y", "texture", "--adjust", "age", "--json"])
    rep = json.loads(capsys.readouterr().out)
    assert status == 0
    assert rep["exposure"] == ["grade"]
    assert rep["adjustment_sets"]["minimal"] == [[]]
    status = main(["check", str(dag_file), "--effect", "direct", "--adjust", "grade,necrosis", "--json"])
    rep = json.loads(capsys.readouterr().out)
    assert status == 0 and rep["effect"] == "direct"
    assert rep["adjustment_sets"]["optimal"] is None
    assert "total effect" in rep["adjustment_sets"]["optimal_unavailable"]


def test_check_truncates_long_lists(monkeypatch, capsys):
    # 8 independent confounders with two proxies each: 2**8 minimal sets
    lines = ["dag { x [exposure] y [outcome] x -> y"]
    for i in range(8):
        lines.append(f"u{i} [latent] u{i} -> a{i} -> x ; u{i} -> b{i} -> y ; a{i} <- c{i} -> b{i}")
    lines.append("}")
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines)))
    status = main(["check", "-", "--max-sets", "5", "--max-independencies", "3"])
    out, _ = capsys.readouterr()
    assert status == 0
    block = out.split("minimal adjustment sets:\n")[1].split("canonical")[0]
    assert len([ln for ln in block.splitlines() if ln.startswith("  {")]) == 5
    assert "more exist (first 5 shown; raise --max-sets)" in block
    assert "implied independencies (3+):" in out


def test_check_reads_stdin(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(GRADE_DAG))
    assert main(["check", "-", "--adjust", "grade", "--no-independencies"]) == 0
    assert "[<stdin>]" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, text, message",
    [
        (["check", "no_such_thing"], None, "no DAG file or library model named 'no_such_thing'; library models:"),
        (["check", "-"], "dag { a -> b -> a }", "directed cycle: "),
        (["check", "-"], "dag { a -> b ; a [exposure ; }", "(line 1, column"),
        (["check", "-"], "dag { a -> b }", "no exposure: pass --exposure X"),
        (["check", "-", "--exposure", "a"], "dag { a -> b }", "no outcome: pass --outcome Y"),
        (["check", "-", "-x", "a", "-y", "zz"], "dag { a -> b }", "'zz' is not a node"),
        (["check", "-", "-x", "a", "-y", "b", "--adjust", "q"], "dag { a -> b }", "'q' is not a node"),
        (["check", "-", "-x", "a", "-y", "b", "--max-sets", "0"], "dag { a -> b }", "--max-sets must be at least 1"),
        (["check"], None, "the following arguments are required"),
        (["check", "x", "--effect", "sideways"], None, "invalid choice"),
        (["frobnicate"], None, "invalid choice"),
        ([], None, "usage: radiocausal"),
    ],
)
def test_usage_and_input_errors_exit_two_without_traceback(monkeypatch, capsys, argv, text, message):
    if text is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert message in err
    assert "Traceback" not in err and out == ""


def test_check_directory_is_a_usage_error(tmp_path, capsys):
    assert main(["check", str(tmp_path)]) == 2
    assert "not a regular file" in capsys.readouterr().err


def test_role_warnings_go_to_stderr(tmp_path, capsys):
    path = tmp_path / "warned.dag"
    path.write_text("dag { site [batch] x [exposure] y [outcome] age -> site -> x -> y ; site -> y }", encoding="utf-8")
    assert main(["check", str(path), "--no-independencies"]) == 0
    out, err = capsys.readouterr()
    assert "radiocausal: warning: batch node 'site' has causes" in err
    assert main(["check", str(path), "--json", "--no-independencies"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert any("batch node 'site'" in w for w in rep["warnings"])


def test_independencies_section_skipped_gracefully_when_unavailable(monkeypatch, dag_file, capsys):
    monkeypatch.setattr(cli, "_independencies", lambda dag: (None, "not available in this version"))
    assert main(["check", str(dag_file), "--adjust", "grade"]) == 0
    out, _ = capsys.readouterr()
    assert "implied independencies: skipped (not available in this version)" in out
    assert "proposed adjustment set {grade} (--adjust): valid" in out


def test_independencies_fallback_when_module_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "radiocausal.graph.independencies", None)  # import fails

    class NoMethod:
        pass

    rows, why = cli._independencies(NoMethod())
    assert rows is None and "not available" in why


def test_models_subcommand(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "tumour_grade_confounding" in out and "Selection into a biopsied cohort" in out
    assert main(["models", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} >= {"biopsy_selection", "sequencing_batch"}
    assert all(Path(r["path"]).is_file() and r["description"] for r in rows)


def test_draw_subcommand(tmp_path, capsys):
    out_png = tmp_path / "dag.png"
    assert main(["draw", "imaging_genomics_mediator", "-o", str(out_png), "--adjust", "grade", "--dpi", "50"]) == 0
    assert out_png.read_bytes()[:4] == b"\x89PNG"
    assert capsys.readouterr().out.strip() == str(out_png)


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("radiocausal ")


def test_python_dash_m_subprocess(dag_file):
    run = subprocess.run(
        [sys.executable, "-m", "radiocausal.cli", "check", str(dag_file), "--adjust", "necrosis", "--no-independencies"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    assert "NOT valid" in run.stdout
    assert "Traceback" not in run.stderr



def test_check_output_is_identical_across_hash_seeds(dag_file):
    import os

    outs = []
    for seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        run = subprocess.run(
            [sys.executable, "-m", "radiocausal", "check", "sequencing_batch", "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert run.returncode == 0, run.stderr
        outs.append(run.stdout)
    assert outs[0] == outs[1]
    assert json.loads(outs[0])["adjustment_sets"]["minimal"] == [["purity", "scanner"], ["purity", "seq_batch"]]


# ------------------------------------------------------------------------------ analyze and demo
def _tiny_study(tmp_path: Path, extra: str = "") -> Path:
    """A study without images: 20 patients, one mutated gene, the grade DAG; no pairs, no factors."""
    ids = [f"P{i:02d}" for i in range(20)]
    (tmp_path / "patients.csv").write_text(
        "patient_id,grade,age\n" + "".join(f"{p},{i % 3},{50 + i}\n" for i, p in enumerate(ids)))
    (tmp_path / "maf.csv").write_text(
        "Tumor_Sample_Barcode,Hugo_Symbol,Variant_Classification\n"
        + "".join(f"{p},EGFR,Missense_Mutation\n" for p in ids[::3]))
    (tmp_path / "grade.dag").write_text(GRADE_DAG)
    path = tmp_path / "study.toml"
    path.write_text(
        '[study]\nname = "tiny"\ndag = "grade.dag"\n[data]\npatients = "patients.csv"\nmutations = "maf.csv"\n'
        "[factors]\nenabled = false\n" + extra)
    return path


def test_analyze_runs_a_study_and_a_rerun_reuses_every_step(tmp_path, capsys):
    study = _tiny_study(tmp_path)
    assert main(["analyze", str(study), "--quiet"]) == 0
    out, _ = capsys.readouterr()
    assert f"results: {tmp_path / 'results'}" in out
    assert re.search(r"features\s+skipped\s+[\d.]+ s  no images: data.manifest is not given", out)
    assert re.search(r"genomics\s+done", out)
    run = json.loads((tmp_path / "results" / "run.json").read_text(encoding="utf-8"))
    assert list(run["steps"])[:3] == ["inputs", "dag", "features"]
    assert (tmp_path / "results" / "genomics" / "mutations.csv").read_text(encoding="utf-8").count("\n") == 21
    assert main(["analyze", str(study), "--quiet"]) == 0
    out, _ = capsys.readouterr()
    assert re.search(r"genomics\s+done \(reused\)", out) and re.search(r"inputs\s+done \(reused\)", out)
    assert main(["analyze", str(study), "--quiet", "--force", "genomics"]) == 0
    out, _ = capsys.readouterr()
    assert re.search(r"genomics\s+done\s", out) and re.search(r"inputs\s+done \(reused\)", out)


def test_analyze_refuses_a_bad_study_file_with_exit_status_2(tmp_path, capsys):
    study = _tiny_study(tmp_path, "[bayes]\nchains = -1\n")
    assert main(["analyze", str(study)]) == 2
    _, err = capsys.readouterr()
    assert "radiocausal analyze: error: bayes.chains = -1: expected a positive integer" in err
    assert main(["analyze", str(tmp_path / "missing.toml")]) == 2
    assert "does not exist" in capsys.readouterr()[1]
    assert main(["analyze", str(_tiny_study(tmp_path)), "--force", "scans"]) == 2
    assert "--force names unknown step(s) ['scans']" in capsys.readouterr()[1]


def test_analyze_reports_mismatched_patient_ids(tmp_path, capsys):
    study = _tiny_study(tmp_path)
    (tmp_path / "cn.csv").write_text("patient_id,MYC\n" + "".join(f"X{i},0.1\n" for i in range(20)))
    study.write_text(study.read_text(encoding="utf-8").replace('mutations = "maf.csv"', 'mutations = "maf.csv"\ncopy_number = "cn.csv"'))
    assert main(["analyze", str(study), "--quiet"]) == 2
    assert "only 0 patient(s) are in every table" in capsys.readouterr()[1]


def test_demo_refuses_too_few_patients(capsys):
    assert main(["demo", "--n", "5", "--quiet"]) == 2
    assert "--n 5: expected at least 30 patients" in capsys.readouterr()[1]


def test_analyze_records_a_failed_step_skips_what_needs_it_and_exits_1(tmp_path, capsys):
    study = _tiny_study(tmp_path)
    ids = [f"P{i:02d}" for i in range(20)]
    (tmp_path / "counts.csv").write_text("patient_id,ESR1,ERBB2\n" + "".join(f"{p},{-i},5\n" for i, p in enumerate(ids)))
    (tmp_path / "lengths.csv").write_text("gene,length\nESR1,1000\nERBB2,2000\n")
    study.write_text(study.read_text(encoding="utf-8").replace(
        'mutations = "maf.csv"', 'mutations = "maf.csv"\nexpression = "counts.csv"\ngene_lengths = "lengths.csv"'))
    assert main(["analyze", str(study), "--quiet"]) == 1
    out, _ = capsys.readouterr()
    assert re.search(r"genomics\s+failed\s+[\d.]+ s  DataError: ", out)
    assert re.search(r"scan\s+skipped\s+[\d.]+ s  step 'genomics' failed", out)
    assert re.search(r"dag\s+done", out) and re.search(r"report\s+(done|skipped|failed)", out)
    run = json.loads((tmp_path / "results" / "run.json").read_text(encoding="utf-8"))
    assert run["steps"]["genomics"]["status"] == "failed" and run["finished"]
