"""write_report renders every section from a results folder, embeds the figures, escapes user text,
says "Not run" with run.json's reason for missing artefacts, and refuses corrupt files."""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import struct
from pathlib import Path

import pandas as pd
import pytest

from radiocausal.errors import DataError
from radiocausal.report import load_results, write_report

SECTIONS = ("summary", "dag", "stability", "scan", "bayes", "interventions", "factors", "truth")


def _section(page: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}">(.*?)</section>', page, re.S)
    assert m, f"section {sid!r} missing"
    return m.group(1).split("</h2>", 1)[1]  # the body, without the heading


def _text(fragment: str) -> str:
    """Visible text of an HTML fragment (tags dropped, entities decoded, spaces collapsed)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _drop(results_dir: Path, *rels: str) -> None:
    """Remove artefacts a test does not look at (rendering their figures costs time)."""
    for rel in rels:
        (results_dir / rel).unlink()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_every_section_with_its_numbers(rendered: tuple[Path, str]):
    results_dir, page = rendered
    assert (results_dir / "report.html").is_file()
    for sid in SECTIONS:
        _section(page, sid)
    assert "Not run" not in page

    summary = _text(_section(page, "summary"))
    assert "batch_confounding demo" in summary and "0.1.0.dev0" in summary
    assert "time in steps 164.5 s" in summary  # sum of the step times
    assert "bayes done 95.1" in summary and "scan done (reused) 2.3" in summary
    assert "features done 41.2 1 feature(s) with missing or constant values are left out" in summary
    assert "12 features for 40 patients" in summary and "2 genes for 40 patients" in summary
    assert '"icc_threshold": 0.9' in summary  # settings as run

    dag = _text(_section(page, "dag"))
    assert "EGFR → texture" in dag and "grade → texture" in dag
    assert "chosen adjustment set {grade, site} (minimal)" in dag
    assert "all minimal sets {grade, site}" in dag
    # the naive sets' verdicts with the graph engine's explanations
    assert "unadjusted {} NOT valid" in dag
    assert "the back-door path `EGFR <- site -> texture` stays open" in dag
    assert "site only (batch) {site} NOT valid" in dag
    assert "all measured covariates {EGFR, site} NOT valid" in dag
    assert "`EGFR` is a mediator" in dag
    assert "node 'heterogeneity' is latent" in dag  # dag_check warnings

    stab = _text(_section(page, "stability"))
    assert "features assessed 12" in stab and "kept (stable) 7 (58 %)" in stab and "dropped 5" in stab
    assert "ICC threshold 0.9" in stab
    assert "ICC not computable 1 feature(s)" in stab
    assert "original_firstorder_Skewness 0.480 [0.430, 0.510]" in stab

    scan = _text(_section(page, "scan"))
    assert "unadjusted mutation linear 24 24 4" in scan  # 4 site-confounded hits
    assert "DAG-adjusted mutation linear 24 24 1" in scan  # only the real one survives
    assert "unadjusted expression spearman 12 11 0" in scan  # one untestable pair
    assert "original_glcm_Contrast EGFR mutation linear 0.900" in scan
    hits = _section(page, "scan").split("Top hits")[1]
    assert hits.count("<tr>") == 21  # header + 20 rows

    bayes = _text(_section(page, "bayes"))
    assert "EGFR → texture adjusted {grade, site} 1.024 0.151 [0.745, 1.311] 1.002 1650 1.000 yes" in bayes
    assert "EGFR → texture unadjusted {} 1.873 0.139 [1.611, 2.132] 1.001 1830 1.000 no" in bayes
    assert "bayes/EGFR__texture__adjusted.nc" in bayes
    assert _section(page, "bayes").count('class="bad">1.012<') == 1  # R-hat flagged

    iv = _text(_section(page, "interventions"))
    assert "texture do(EGFR=1) − do(EGFR=0) 0.987 0.148 [0.712, 1.270] 1.000 yes" in iv
    assert "heterogeneity do(EGFR=1) − do(EGFR=0) 1.046 0.120 [0.820, 1.271] — —" in iv

    ve = _text(_section(page, "factors"))
    assert "Factor1 31.2 % [28.2, 35.2] 4.1 % [1.1, 8.1] 11.8 % [8.8, 15.8]" in ve
    assert "all factors 39.0 % 30.1 % 27.8 %" in ve

    truth = _text(_section(page, "truth"))
    assert "effect of EGFR on texture (average causal effect) 1.000 1.024 [0.745, 1.311] +0.024 yes" in truth
    assert "1.873 [1.611, 2.132] +0.873 no" in truth
    assert "texture: do(grade=2) − do(grade=0) 1.000 0.941 [0.640, 1.236] -0.059 yes" in truth
    assert "heterogeneity texture 1.0" in truth  # simulated coefficients


def test_true_effects_that_were_not_estimated_are_listed_apart(results_dir: Path):
    _drop(results_dir, "dag.dag", "dag_check.json", "scan/scan.csv", "stability/stability.csv")
    truth = json.loads((results_dir / "truth.json").read_text(encoding="utf-8"))
    truth["ace"].append({"exposure": "site", "outcome": "texture", "effect": 0.25})
    (results_dir / "truth.json").write_text(json.dumps(truth))
    text = _text(_section(write_report(results_dir).read_text(encoding="utf-8"), "truth"))
    assert "did not estimate: site → texture: 0.250." in text
    assert "effect of site on texture" not in text


def test_figures_are_embedded_pngs(rendered: tuple[Path, str]):
    results_dir, page = rendered
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    names = re.findall(r"\(figures/([^)]+\.png)\)", page)
    assert sorted(names) == sorted(
        ["dag_01_EGFR__texture.png", "dag_02_grade__texture.png", "stability.png", "volcano.png", "forest.png",
         "interventions.png", "variance_explained.png"]
    )
    assert len(images) == len(names)
    for b64, name in zip(images, names, strict=True):
        data = base64.b64decode(b64, validate=True)
        width, height = _png_size(data)
        assert 300 <= width <= 2400 and 200 <= height <= 1600, (name, width, height)
        assert data == (results_dir / "figures" / name).read_bytes()
    # self-contained: no script, no external resource
    assert "<script" not in page.lower()
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_user_text_is_escaped(results_dir: Path):
    evil = "<script>alert(1)</script>"
    dag_text = (results_dir / "dag.dag").read_text(encoding="utf-8").replace("}", f'"{evil}" -> texture\n}}')
    (results_dir / "dag.dag").write_text(dag_text)
    check = json.loads((results_dir / "dag_check.json").read_text(encoding="utf-8"))
    check["pairs"][0]["naive"].append(
        {"label": f"adjust for {evil}", "set": [evil], "valid": False, "explanation": f"`{evil}` & <b>bold</b>"}
    )
    (results_dir / "dag_check.json").write_text(json.dumps(check))
    run = json.loads((results_dir / "run.json").read_text(encoding="utf-8"))
    run["study"] = f"study {evil}"
    (results_dir / "run.json").write_text(json.dumps(run))
    scan = pd.read_csv(results_dir / "scan/scan.csv")
    scan.loc[0, "feature"] = "<img src=x onerror=alert(2)>"
    scan.to_csv(results_dir / "scan/scan.csv", index=False)

    page = write_report(results_dir).read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "<img src=x" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in _section(page, "scan")
    assert "&amp; &lt;b&gt;bold&lt;/b&gt;" in _section(page, "dag")
    assert "<title>radiocausal report: study &lt;script&gt;" in page


def test_missing_artefacts_say_not_run_with_the_reason(tmp_path: Path):
    run = {
        "study": "partial",
        "steps": {
            "inputs": {"status": "done", "seconds": 0.2},
            "dag": {"status": "failed", "seconds": 0.1, "reason": "dag.dag: unknown node 'EGFRR'"},
            "stability": {"status": "skipped", "seconds": 0.0, "reason": "no repeat scans in the manifest"},
            "scan": {"status": "skipped", "seconds": 0.0, "reason": "no genomic tables"},
            "bayes": {"status": "done", "seconds": 3.0},
        },
    }
    (tmp_path / "run.json").write_text(json.dumps(run))
    page = write_report(tmp_path).read_text(encoding="utf-8")
    expected = {
        "dag": "step 'dag' failed: dag.dag: unknown node 'EGFRR'",
        "stability": "step 'stability' skipped: no repeat scans in the manifest",
        "scan": "step 'scan' skipped: no genomic tables",
        "bayes": "step 'bayes' is recorded as done in run.json, but bayes/effects.csv is missing",
        "interventions": "step 'interventions' is not recorded in run.json",
        "factors": "step 'factors' is not recorded in run.json",
    }
    for sid, reason in expected.items():
        text = _text(_section(page, sid))
        assert text.startswith("Not run."), sid
        assert reason in text, (sid, text)
    assert '<section id="truth">' not in page  # no truth.json: no truth section
    assert "Not recorded in run.json: features, genomics, interventions, factors." in _text(
        _section(page, "summary")
    )
    assert "<img" not in page


def test_unidentifiable_pair_and_empty_tables(results_dir: Path):
    check = json.loads((results_dir / "dag_check.json").read_text(encoding="utf-8"))
    check["pairs"] = check["pairs"][:1]
    check["pairs"][0].update(identifiable=False, adjustment_set=None, kind=None, minimal_sets=[])
    (results_dir / "dag_check.json").write_text(json.dumps(check))
    for rel in ("scan/scan.csv", "bayes/effects.csv", "interventions/interventions.csv"):
        pd.read_csv(results_dir / rel).head(0).to_csv(results_dir / rel, index=False)
    _drop(results_dir, "stability/stability.csv", "truth.json")
    page = write_report(results_dir).read_text(encoding="utf-8")
    dag = _text(_section(page, "dag"))
    assert "identifiable by adjustment no" in dag and "chosen adjustment set none (not identifiable" in dag
    assert "no adjustment set identifies this effect" in dag
    assert _text(_section(page, "scan")) == "scan/scan.csv lists no test."
    assert _text(_section(page, "bayes")) == "bayes/effects.csv lists no effect."
    assert _text(_section(page, "interventions")) == "interventions/interventions.csv lists no intervention."
    assert sorted(p.name for p in (results_dir / "figures").iterdir()) == ["dag_01_EGFR__texture.png",
                                                                          "variance_explained.png"]


def test_dag_without_its_check_is_drawn_with_the_declared_roles(results_dir: Path):
    _drop(results_dir, "dag_check.json", "scan/scan.csv", "stability/stability.csv", "bayes/effects.csv",
          "interventions/interventions.csv")
    dag = _section(write_report(results_dir).read_text(encoding="utf-8"), "dag")
    assert "step 'dag' is recorded as done in run.json, but dag_check.json is missing" in _text(dag)
    assert "(figures/dag.png)" in dag and "Verdicts" not in dag
    assert sorted(p.name for p in (results_dir / "figures").glob("dag*")) == ["dag.png"]


def test_settings_as_the_pipeline_writes_them(results_dir: Path):
    _drop(results_dir, "dag.dag", "dag_check.json", "bayes/effects.csv", "interventions/interventions.csv",
          "factors/variance_explained_intervals.csv", "factors/variance_explained.csv")
    run = json.loads((results_dir / "run.json").read_text(encoding="utf-8"))
    run["settings"] = {"stability": {"threshold": 0.75, "form": "ICC(3,1)"},
                       "scan": {"fdr": 0.1, "q_method": "holm"}, "factors": {"alpha": 3.0}}
    (results_dir / "run.json").write_text(json.dumps(run))
    page = write_report(results_dir).read_text(encoding="utf-8")
    assert "ICC threshold 0.75" in _text(_section(page, "stability"))
    scan = _text(_section(page, "scan"))
    assert "Significance: Holm FWER: adjusted p (q) ≤ 0.1." in scan  # not the factor model's alpha
    run["settings"]["scan"]["fdr"] = 5
    (results_dir / "run.json").write_text(json.dumps(run))
    shutil.rmtree(results_dir / "figures")
    with pytest.raises(DataError, match=r"run.json: the scan's FDR level .* got 5"):
        write_report(results_dir)
    assert not (results_dir / "figures").exists()  # refused before drawing anything


def test_out_and_title(results_dir: Path, tmp_path: Path):
    _drop(results_dir, "dag.dag", "dag_check.json", "stability/stability.csv", "bayes/effects.csv",
          "interventions/interventions.csv", "factors/variance_explained_intervals.csv", "factors/variance_explained.csv")
    target = write_report(results_dir, out=tmp_path / "elsewhere" / "r.html", title="My <study>")
    assert target == tmp_path / "elsewhere" / "r.html"
    assert "<title>My &lt;study&gt;</title>" in target.read_text(encoding="utf-8")
    assert not (results_dir / "report.html").exists()
    assert (results_dir / "figures" / "volcano.png").is_file()


def test_rerender_drops_stale_figures_and_tolerates_absent_optional_columns(results_dir: Path):
    _drop(results_dir, "dag.dag", "dag_check.json", "scan/scan.csv")
    write_report(results_dir)
    figures = results_dir / "figures"
    (figures / "dag_03_old__pair.png").write_bytes(b"stale")
    (figures / "my_own_plot.png").write_bytes(b"mine")
    (results_dir / "bayes/effects.csv").unlink()
    effects_step = json.loads((results_dir / "run.json").read_text(encoding="utf-8"))
    effects_step["steps"]["bayes"] = {"status": "failed", "seconds": 1.0, "reason": "ConvergenceError: R-hat 1.4"}
    (results_dir / "run.json").write_text(json.dumps(effects_step))
    iv = pd.read_csv(results_dir / "interventions/interventions.csv").drop(columns=["truth", "sd", "baseline"])
    iv.to_csv(results_dir / "interventions/interventions.csv", index=False)

    page = write_report(results_dir).read_text(encoding="utf-8")
    assert not (figures / "forest.png").exists() and not (figures / "dag_03_old__pair.png").exists()
    assert (figures / "my_own_plot.png").read_bytes() == b"mine"
    assert (figures / "interventions.png").is_file()
    assert "step 'bayes' failed: ConvergenceError: R-hat 1.4" in _text(_section(page, "bayes"))
    assert "texture do(EGFR=1) 0.987 — [0.712, 1.270] — —" in _text(_section(page, "interventions"))


def test_load_results_reads_every_artefact(results_dir: Path):
    res = load_results(results_dir)
    assert res.dag.exposures == ("EGFR",)
    assert [p["exposure"] for p in res.dag_check["pairs"]] == ["EGFR", "grade"]
    assert res.scan["adjusted"].dtype == bool and len(res.scan) == 96
    assert res.effects.shape == (4, 11) and res.interventions.shape == (3, 8)
    assert res.variance_explained.shape == (3, 3) and len(res.variance_intervals) == 9
    assert set(res.genomics) == {"mutations", "copy_number", "expression"}
    assert res.truth["ace"][0]["exposure"] == "EGFR"
    assert res.posteriors == ["bayes/EGFR__texture__adjusted.nc"]


def _write(path: Path, text: str) -> None:
    path.write_text(text)


def _edit_csv(path: Path, **changes) -> None:
    df = pd.read_csv(path)
    for col, (row, value) in changes.items():
        df[col] = df[col].astype(object)
        df.loc[row, col] = value
    df.to_csv(path, index=False)


CORRUPTIONS = {
    "garbage scan": ("scan/scan.csv", lambda p: p.write_bytes(b"\x00\xff\xfe garbage \x81\x00"), "scan/scan.csv"),
    "truncated scan": ("scan/scan.csv", lambda p: _write(p, "feature,gene\nx,y\n"), "missing column"),
    "non-numeric estimate": ("scan/scan.csv", lambda p: _edit_csv(p, estimate=(3, "big")), "non-numeric value 'big'"),
    "p above 1": ("scan/scan.csv", lambda p: _edit_csv(p, p_value=(0, 1.5)), "'p_value' must lie in [0, 1]"),
    "bad adjusted flag": ("scan/scan.csv", lambda p: _edit_csv(p, adjusted=(2, "maybe")), "'adjusted' has the value"),
    "inverted HDI": ("bayes/effects.csv", lambda p: _edit_csv(p, **{"hdi_3%": (0, 5.0)}), "inconsistent interval"),
    "unknown model": ("bayes/effects.csv", lambda p: _edit_csv(p, model=(1, "naive")), "'adjusted' or 'unadjusted'"),
    "empty effects": ("bayes/effects.csv", lambda p: _write(p, ""), "the file is empty"),
    "VE above 1": ("factors/variance_explained.csv", lambda p: _write(p, "factor,radiomics\nF1,1.7\n"), "[0, 1]"),
    "interval for unknown view": (
        "factors/variance_explained_intervals.csv",
        lambda p: _write(p, "factor,view,lower,upper\nFactor1,proteomics,0.1,0.2\n"),
        "view 'proteomics'",
    ),
    "ICC above 1": ("stability/stability.csv", lambda p: _edit_csv(p, icc=(0, 1.4)), "cannot exceed 1"),
    "text in features": ("features/features.csv", lambda p: _write(p, "patient_id,f1\nP1,abc\n"), "not numeric"),
    "bad run.json": ("run.json", lambda p: _write(p, "{not json"), "invalid JSON"),
    "bad step status": (
        "run.json",
        lambda p: _write(p, json.dumps({"study": "s", "steps": {"scan": {"status": "running"}}})),
        "steps['scan']['status']",
    ),
    "bad dag": ("dag.dag", lambda p: _write(p, "dag { a -> b -> a }"), "not a valid DAG"),
    "set names unknown node": (
        "dag_check.json",
        lambda p: _write(p, json.dumps({"pairs": [{"exposure": "EGFR", "outcome": "texture", "adjustment_set": ["sex"]}]})),
        "'sex', which is not a node of dag.dag",
    ),
    "truth without effect": ("truth.json", lambda p: _write(p, json.dumps({"ace": [{"exposure": "EGFR"}]})), "ace[0]"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_corrupt_files_raise_data_error_naming_the_file(results_dir: Path, case: str):
    rel, corrupt, problem = CORRUPTIONS[case]
    corrupt(results_dir / rel)
    with pytest.raises(DataError) as info:
        write_report(results_dir)
    message = str(info.value)
    assert message.startswith(f"{rel}:"), message
    assert problem in message, message
    assert not (results_dir / "report.html").exists()


def test_missing_run_json_and_missing_folder(tmp_path: Path):
    with pytest.raises(DataError, match="run.json: not found"):
        write_report(tmp_path)
    with pytest.raises(DataError, match="is not a folder"):
        write_report(tmp_path / "nope")
