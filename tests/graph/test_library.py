"""The study-DAG library in ``models/``: every model parses, documents itself and gives the verdict it claims."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from radiocausal.errors import GraphError, RoleWarning
from radiocausal.graph import CausalDAG
from radiocausal.graph import library
from radiocausal.graph.library import list_models, load_model, model_description, model_path, models_dir

EXPECTED_DESIGNS = {
    "tumour_grade_confounding",
    "biopsy_selection",
    "scanner_site_batch",
    "sequencing_batch",
    "multi_region_biopsy",
    "imaging_genomics_mediator",
}


def _claimed_sets(header: str) -> list[frozenset[str]]:
    line = re.search(r"^Minimal adjustment sets \(total effect\): (.*)$", header, re.M)
    assert line, "header lacks the 'Minimal adjustment sets (total effect):' line"
    text = line.group(1).strip()
    if text.startswith("none"):
        return []
    return sorted(
        (frozenset(v.strip() for v in grp.split(",") if v.strip()) for grp in re.findall(r"\{([^}]*)\}", text)),
        key=lambda s: (len(s), sorted(s)),
    )


def test_library_lists_the_classic_designs():
    names = list_models()
    assert EXPECTED_DESIGNS <= set(names)
    assert names == sorted(names)
    # in a source checkout: models/ at the project root (directly, or through the package-data symlink)
    project_models = Path(__file__).resolve().parents[2] / "models"
    assert models_dir().resolve() == project_models.resolve()


@pytest.mark.parametrize("name", sorted(EXPECTED_DESIGNS))
def test_model_parses_without_role_conflicts_and_matches_its_header(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RoleWarning)
        dag = load_model(name)
    assert isinstance(dag, CausalDAG)
    assert dag.name == name
    assert dag.role_conflicts() == []
    header = model_description(name)
    assert len(header.splitlines()) >= 8, "the header should say what study the DAG describes"
    exposure = re.search(r"^Exposure: (\S+)", header, re.M)
    outcome = re.search(r"^Outcome:\s+(\S+)", header, re.M)
    assert exposure and outcome
    assert dag.exposures == (exposure.group(1),)
    assert dag.outcomes == (outcome.group(1),)
    # the effect exists in the graph, and the claimed minimal sets are the computed ones
    assert set(dag.descendants(dag.exposures)) & set(dag.outcomes)
    assert dag.adjustment_sets(include=[]) == _claimed_sets(header)
    # every node named in the header's claims exists in the graph
    for s in _claimed_sets(header):
        assert s <= set(dag.nodes)
    # text round trip
    assert CausalDAG.from_dagitty(dag.to_dagitty()) == dag


def test_models_show_their_teaching_point():
    grade = load_model("tumour_grade_confounding")
    assert not grade.is_adjustment_set(["grade"])
    assert "IDH1" in str(grade.explain_adjustment(["grade"]))

    mediator = load_model("imaging_genomics_mediator")
    assert "mediator" in mediator.derived_roles()["necrosis"]
    assert not mediator.is_adjustment_set(["grade", "necrosis"])
    assert mediator.adjustment_sets(effect="direct", include=[]) == [frozenset({"grade", "necrosis", "tumour_size"})]

    biopsy = load_model("biopsy_selection")
    assert biopsy.selected_nodes == ("biopsied",)
    assert biopsy.adjustment_sets(include=[]) == []
    assert biopsy.adjustment_sets(selection=[], include=[]) == [frozenset({"smoking"})]

    batch = load_model("scanner_site_batch")
    assert set(batch.batch_nodes) == {"site", "kernel"}
    assert "precision" in batch.derived_roles()["kernel"]
    assert "kernel" in batch.adjustment_sets(kind="optimal", include=[])[0]

    seq = load_model("sequencing_batch")
    assert seq.bidirected_edges == (("seq_batch", "scanner"),)
    assert "instrument" in seq.derived_roles()["RIN"]

    regions = load_model("multi_region_biopsy")
    assert regions.latent_nodes == ("hypoxia",)
    assert not regions.is_adjustment_set(["location", "patient", "proliferation"])


def test_load_model_accepts_suffix_and_rejects_unknown_names():
    assert load_model("sequencing_batch.dag") == load_model("sequencing_batch")
    assert model_path("sequencing_batch").is_file()
    with pytest.raises(GraphError, match="unknown study DAG.*available: .*tumour_grade_confounding"):
        load_model("no_such_design")
    with pytest.raises(GraphError, match="unknown study DAG"):
        load_model("../pyproject")
    with pytest.raises(GraphError, match="non-empty string"):
        load_model("")


def test_missing_library_is_reported(monkeypatch, tmp_path):
    monkeypatch.setattr(library, "_candidate_dirs", lambda: [tmp_path / "a", tmp_path / "b"])
    with pytest.raises(FileNotFoundError, match="no study-DAG library"):
        list_models()


def test_package_data_location_takes_precedence(monkeypatch, tmp_path):
    pkg = tmp_path / "pkg_models"
    pkg.mkdir()
    (pkg / "tiny.dag").write_text("# A tiny test study.\ndag { a [exposure] b [outcome] a -> b }\n", encoding="utf-8")
    monkeypatch.setattr(library, "_candidate_dirs", lambda: [pkg, tmp_path / "elsewhere"])
    assert list_models() == ["tiny"]
    assert load_model("tiny").adjustment_sets() == [frozenset()]
    assert model_description("tiny") == "A tiny test study."


def test_example_script_checks_a_model(tmp_path, capsys):
    import runpy

    script = Path(__file__).resolve().parents[2] / "examples" / "check_study_dag.py"
    namespace = runpy.run_path(str(script), run_name="example")
    png = tmp_path / "mediator.png"
    status = namespace["main"](["imaging_genomics_mediator", "--adjust", "grade,necrosis", "--png", str(png)])
    out = capsys.readouterr().out
    assert status == 1
    assert "`necrosis` is a mediator" in out
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert namespace["main"](["tumour_grade_confounding", "--adjust", "grade,IDH1", "--png", str(png)]) == 0
    import matplotlib.pyplot as plt

    plt.close("all")
