"""The study-file parser: good files, and bad ones rejected with the key, the value and what was expected."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from radiocausal.pipeline import Study, StudyError

GOOD = """
[study]
name = "lung radiogenomics"
dag = "study.dag"
output = "out"

[data]
patients = "patients.csv"
categorical = ["site"]
manifest = "manifest.csv"
retest_manifest = "manifest_retest.csv"
mutations = "genomics/maf.csv"
expression = "genomics/counts.csv"
gene_lengths = "genomics/lengths.csv"

[nodes]
features = "phenotype"
columns = { "MYC_log2" = "MYC" }
other = { mutation = "other_mutations" }

[[pairs]]
exposure = "EGFR"
features = ["stat_var"]

[[pairs]]
exposure = "KRAS"
outcome = "phenotype"

[[interventions]]
target = "stat_var"
set = { EGFR = 1 }
baseline = { EGFR = 0 }

[extraction]
preset = "ibsi-C"
settings = { bin_size = 50.0 }

[stability]
threshold = 0.8
form = "ICC(3,1)"

[scan]
tests = { mutation = "logistic", expression = "spearman" }
fdr = 0.1

[bayes]
draws = 300
sampler = "pymc"

[factors]
enabled = false
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "study.dag").write_text("dag { EGFR -> phenotype }")
    path = tmp_path / "study.toml"
    path.write_text(text)
    return path


def test_good_file_is_read_with_paths_relative_to_it(tmp_path):
    study = Study.from_toml(write(tmp_path, GOOD))
    assert study.name == "lung radiogenomics"
    assert study.dag == str(tmp_path.resolve() / "study.dag")
    assert study.output == tmp_path.resolve() / "out"
    assert study.data.mutations == tmp_path.resolve() / "genomics/maf.csv"
    assert study.data.copy_number is None
    assert study.data.categorical == ("site",)
    assert study.nodes.node_of("MYC_log2", "copy_number") == "MYC"
    assert study.nodes.node_of("TP53", "mutation", {"EGFR", "other_mutations"}) == "other_mutations"
    assert [(p.exposure, p.outcome, p.features) for p in study.pairs] == [
        ("EGFR", "phenotype", ("stat_var",)), ("KRAS", "phenotype", None)]
    iv = study.interventions[0]
    assert (iv.target, iv.label, iv.baseline_label) == ("stat_var", "do(EGFR=1)", "do(EGFR=0)")
    settings = study.extraction.resolve()
    assert settings.bin_size == 50.0 and settings.interpolator == "linear"   # ibsi-C with one override
    assert study.stability.threshold == 0.8
    assert study.scan.tests == {"mutation": "logistic", "copy_number": "linear", "expression": "spearman"}
    assert study.scan.fdr == 0.1
    assert (study.bayes.draws, study.bayes.tune, study.bayes.sampler) == (300, 500, "pymc")
    assert study.factors.enabled is False
    assert study.to_dict()["data"]["patients"] == str(tmp_path.resolve() / "patients.csv")


def test_minimal_file_takes_the_defaults_and_a_library_dag(tmp_path):
    path = write(tmp_path, '[study]\nname = "m"\ndag = "tumour_grade_confounding"\n[data]\npatients = "p.csv"\n')
    study = Study.from_toml(path)
    assert study.dag == "tumour_grade_confounding"
    assert study.load_dag().name == "tumour_grade_confounding"
    assert study.pairs == () and study.interventions is None
    assert study.extraction.preset == "pyradiomics"
    assert study.output == tmp_path.resolve() / "results"


@pytest.mark.parametrize(
    "change, message",
    [
        (("[bayes]\ndraws = 300", "[bayes]\ndraws = 0"), "bayes.draws = 0: expected a positive integer"),
        (('sampler = "pymc"', 'sampler = "stan"'), "bayes.sampler = 'stan': expected one of ['auto', 'pymc', 'nutpie']"),
        (("fdr = 0.1", "fdr = 1.5"), "scan.fdr = 1.5: expected a number in (0.0, 1.0]"),
        (('mutation = "logistic"', 'mutation = "spearman"'),
         "scan.tests.mutation = 'spearman': expected one of ['linear', 'logistic', 'wilcoxon']"),
        (("threshold = 0.8", 'threshold = "high"'), "stability.threshold = 'high': expected a number in [-1.0, 1.0]"),
        (('form = "ICC(3,1)"', 'form = "kappa"'), "stability.form = 'kappa': expected one of"),
        (('preset = "ibsi-C"', 'preset = "ibsi-Z"'), "extraction: settings='ibsi-Z': unknown preset"),
        (("bin_size = 50.0", "bin_sise = 50.0"), "extraction:"),
        (('name = "lung radiogenomics"\n', ""), "study.name is missing: expected a non-empty string"),
        (('gene_lengths = "genomics/lengths.csv"\n', ""), "data.gene_lengths is missing"),
        (("[factors]\nenabled = false", "[factors]\nenabled = 1"), "factors.enabled = 1: expected true or false"),
        (("[factors]\nenabled = false", "[factor]\nenabled = false"), "unknown top-level key(s) ['factor']"),
        (("[scan]\n", "[scan]\nalpha = 1\n"), "scan: unknown key(s) ['alpha']"),
        (('exposure = "KRAS"', 'exposure = ""'), "pairs[1].exposure = '': expected a non-empty string"),
        (("baseline = { EGFR = 0 }", "baseline = { KRAS = 0 }"), "interventions[0].baseline = {'KRAS': 0}"),
        (('exposure = "KRAS"', 'exposure = "KRAS"\nfeature = "x"'), "pairs[1]: unknown key(s) ['feature']"),
        (("set = { EGFR = 1 }", "set = { EGFR = true }"), "interventions[0].set.EGFR = True"),
        (('other = { mutation = "other_mutations" }', 'other = { methylation = "x" }'),
         "nodes.other: unknown table kind(s) ['methylation']"),
    ],
)
def test_bad_values_name_the_key_the_value_and_the_expectation(tmp_path, change, message):
    old, new = change
    assert old in GOOD
    with pytest.raises(StudyError, match=re.escape(message)):
        Study.from_toml(write(tmp_path, GOOD.replace(old, new, 1)))


def test_unreadable_files(tmp_path):
    with pytest.raises(StudyError, match="does not exist"):
        Study.from_toml(tmp_path / "nope.toml")
    with pytest.raises(StudyError, match="is not valid TOML"):
        Study.from_toml(write(tmp_path, "[study\nname = 1"))
    study = Study.from_toml(write(tmp_path, GOOD.replace('dag = "study.dag"', 'dag = "no_such_model"')))
    with pytest.raises(StudyError, match="study.dag = 'no_such_model': expected a dagitty file"):
        study.load_dag()
