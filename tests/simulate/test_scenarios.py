"""Scenarios: feature-level truth by paired do() cohorts, the radiogenomic cohort folder, seed scenarios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radiocausal.errors import ModelError, UnknownNodeError
from radiocausal.features import ExtractionSettings
from radiocausal.simulate import batch_confounding

STATS = ExtractionSettings(families=("statistics",), bin_size=10.0)


def test_feature_effects_are_paired_and_exact_for_a_node_without_image_path():
    sc = batch_confounding()
    # texture is a table-level node that drives no image property: common random numbers give exactly 0
    null = sc.feature_effects("texture", STATS, n=6, random_seed=3, features=["stat_var", "stat_mean"])
    assert null["effect"].tolist() == [0.0, 0.0] and null["se"].tolist() == [0.0, 0.0]
    egfr = sc.feature_effects("EGFR", STATS, n=6, random_seed=3).set_index("feature")
    assert {"stat_var", "stat_mean", "stat_kurt"} <= set(egfr.index)
    assert egfr.loc["stat_var", "effect"] > 3 * egfr.loc["stat_var", "se"] > 0
    again = sc.feature_effects("EGFR", STATS, n=6, random_seed=3).set_index("feature")
    assert egfr.equals(again)
    assert egfr.attrs["exposure"] == "EGFR" and egfr.attrs["contrast"] == (0.0, 1.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"exposure": "BRAF"}, UnknownNodeError, "BRAF"),
        ({"contrast": (0, 2)}, ModelError, "codes 0..1"),
        ({"features": ["no_such_feature"]}, ModelError, "no_such_feature"),
    ],
)
def test_feature_effects_bad_input(kwargs, error, match):
    args = {"exposure": "EGFR", "settings": STATS, "n": 2, "random_seed": 0, **kwargs}
    with pytest.raises(error, match=match):
        batch_confounding().feature_effects(**args)


def test_radiogenomic_cohort_folder_follows_the_contract(tmp_path):
    import json

    from radiocausal.features import read_manifest
    from radiocausal.genomics import copy_number_categories, mutation_matrix, to_tpm
    from radiocausal.graph import CausalDAG
    from radiocausal.simulate import radiogenomic_cohort

    sc = radiogenomic_cohort()
    data, truth, manifest = sc.write_cohort(
        12, tmp_path, random_seed=4, retest=0.25, n_truth=2000, feature_effects=["EGFR"], settings=STATS,
        n_feature_effects=4,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cohort.dag", "genomics", "images", "manifest.csv", "manifest_retest.csv", "patients.csv", "truth.json"
    ]
    patients = pd.read_csv(tmp_path / "patients.csv", index_col="patient_id")
    assert list(patients.columns) == ["site", "grade", "seq_batch"] and len(patients) == 12
    retest = read_manifest(tmp_path / "manifest_retest.csv")
    assert len(retest) == 3 and set(retest["patient_id"]) <= set(patients.index)
    assert list(retest.columns[:8]) == list(read_manifest(tmp_path / "manifest.csv").columns[:8])

    g = tmp_path / "genomics"
    maf = pd.read_csv(g / "mutations_maf.csv")
    mut = mutation_matrix(maf, samples=patients.index, genes=sorted(set(maf["Hugo_Symbol"])))
    assert mut["EGFR"].tolist() == data["EGFR"].tolist() and mut["KRAS"].tolist() == data["KRAS"].tolist()
    cn = pd.read_csv(g / "copy_number.csv", index_col="patient_id")
    counts = pd.read_csv(g / "expression_counts.csv", index_col="patient_id")
    lengths = pd.read_csv(g / "gene_lengths.csv")
    assert list(lengths.columns) == ["gene", "length"] and list(lengths["gene"]) == list(counts.columns)
    assert to_tpm(counts, lengths.set_index("gene")["length"]).shape == counts.shape
    assert copy_number_categories(cn).shape == cn.shape
    assert pd.api.types.is_integer_dtype(counts.to_numpy().dtype) and (counts.to_numpy() >= 0).all()

    record = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    dag = CausalDAG.from_dagitty((tmp_path / "cohort.dag").read_text(encoding="utf-8"))
    columns = set(maf["Hugo_Symbol"]) | set(cn.columns) | set(counts.columns)
    assert set(record["gene_nodes"]) == set(record["genes"]) >= columns
    assert all(node in dag for node in record["gene_nodes"].values())
    assert record["feature_node"] == "phenotype" and "phenotype" in dag.outcomes
    tables = pd.Series({k: v["table"] for k, v in record["genes"].items()}).value_counts()
    assert tables["mutations"] >= 20 and tables["copy_number"] >= 10 and tables["expression"] >= 50
    roles = {k: v["role"] for k, v in record["genes"].items()}
    assert roles["EGFR"] == "causal" and roles["KRAS"] == "batch_confounded_null" and roles["TP53"] == "null"
    ace = {(a["exposure"], a["outcome"]): a["effect"] for a in record["ace"]}
    assert ace[("KRAS", "phenotype")] == 0.0 and ace[("EGFR", "phenotype")] == pytest.approx(1.0)
    fx = pd.DataFrame(record["feature_effects"]).set_index("feature")
    assert set(fx["exposure"]) == {"EGFR"} and fx.loc["stat_var", "effect"] > 0


def test_retest_scans_are_the_same_tumour_with_new_noise(tmp_path):
    import SimpleITK as sitk

    from radiocausal.simulate import radiogenomic_cohort

    sc = radiogenomic_cohort()
    _, truth, manifest = sc.write_cohort(6, tmp_path, random_seed=2, retest=6, n_truth=500)
    retest = pd.read_csv(tmp_path / "manifest_retest.csv")
    for pid, img, msk in retest[["patient_id", "image", "mask"]].itertuples(index=False):
        first = manifest.set_index("patient_id").loc[pid]
        a = sitk.GetArrayFromImage(sitk.ReadImage(str(first["image"])))
        b = sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / img)))
        ma = sitk.GetArrayFromImage(sitk.ReadImage(str(first["mask"])))
        mb = sitk.GetArrayFromImage(sitk.ReadImage(str(tmp_path / msk)))
        assert not np.array_equal(a, b)
        assert abs(int(mb.sum()) - int(ma.sum())) <= 0.05 * ma.sum()
        assert a[ma > 0].mean() == pytest.approx(b[mb > 0].mean(), rel=0.05)


def test_radiogenomic_tables_carry_the_true_genomic_links():
    # tables level, many patients: the driven genes move by their coefficients, the others do not
    from radiocausal.genomics import log2_1p, to_tpm
    from radiocausal.simulate import radiogenomic_cohort

    sc = radiogenomic_cohort()
    data, truth = sc.simulate(4000, random_seed=5, n_truth=1000)
    tables = sc.genomics.tables(truth.complete, random_seed=5)
    counts = tables["expression_counts"]
    expr = log2_1p(to_tpm(counts, tables["gene_lengths"].set_index("gene")["length"]))
    X = np.column_stack([np.ones(len(data)), data["EGFR"], data["KRAS"]])
    beta, *_ = np.linalg.lstsq(X, expr["DUSP6"].to_numpy(), rcond=None)
    assert beta[1] == pytest.approx(1.2, abs=0.1) and beta[2] == pytest.approx(1.0, abs=0.1)
    by_grade = expr["MKI67"].groupby(data["grade"].to_numpy()).mean()
    assert np.diff(by_grade.to_numpy()) == pytest.approx([0.9, 0.9], abs=0.15)
    kras_by_site = data["KRAS"].groupby(data["site"]).mean()
    assert kras_by_site[1] > kras_by_site[0] + 0.2 > kras_by_site[2] + 0.25
    # a null gene: frequency as specified, independent of site
    maf = tables["mutations_maf"]
    tp53 = pd.Series(0, index=data.index).add(
        maf[(maf["Hugo_Symbol"] == "TP53") & (maf["Variant_Classification"] != "Silent")
            & (maf["Variant_Classification"] != "Intron")].groupby("Tumor_Sample_Barcode").size(), fill_value=0)
    assert tp53.mean() == pytest.approx(0.42, abs=0.03)
    assert tables["copy_number"]["MYC"].to_numpy() == pytest.approx(data["MYC"].to_numpy(), abs=1e-4)


def test_grade_confounding_naive_is_biased_and_grade_idh1_recovers_the_truth():
    from radiocausal.graph import CausalDAG
    from radiocausal.simulate import grade_confounding, standardised_effect

    sc = grade_confounding()
    assert set(sc.dag.edges) == set(CausalDAG.load("tumour_grade_confounding").edges)
    data, truth = sc.simulate(20_000, random_seed=1, n_truth=50_000)
    true = truth.ace[("EGFR", "texture")]
    assert true == pytest.approx(0.5, abs=1e-9)
    grade = data[["grade"]].astype(str)
    est = {label: standardised_effect(data["texture"], data["EGFR"], covs).iloc[0]
           for label, covs in [("naive", None), ("grade", grade), ("grade+IDH1", grade.assign(IDH1=data["IDH1"]))]}
    # standard errors are about 0.015 at this n
    assert est["naive"]["estimate"] - true > 0.5
    assert est["grade"]["estimate"] - true > 0.1
    assert est["grade+IDH1"]["estimate"] == pytest.approx(true, abs=3 * est["grade+IDH1"]["se"])


def test_selection_collider_has_no_adjustment_set_and_ipsw_recovers_the_truth():
    from radiocausal.graph import CausalDAG
    from radiocausal.simulate import selection_collider, selection_weights, standardised_effect

    sc = selection_collider()
    assert set(sc.dag.edges) == set(CausalDAG.load("biopsy_selection").edges)
    assert sc.dag.adjustment_sets() == []
    data, truth = sc.simulate(6000, random_seed=2, n_truth=50_000, keep_screened=True)
    true = truth.ace[("EGFR", "ggo_texture")]
    screened = truth.screened
    assert screened["biopsied"].sum() == 6000 and screened["biopsied"].iloc[-1] == 1
    pd.testing.assert_frame_equal(
        screened[screened["biopsied"] == 1].drop(columns="biopsied").reset_index(drop=True),
        truth.complete.drop(columns="biopsied").reset_index(drop=True),
    )
    smoking = data[["smoking"]]
    smoking_adjusted = standardised_effect(data["ggo_texture"], data["EGFR"], smoking).iloc[0]
    # selection model on the screened population: smoking and nodule size are known for everyone
    weights = selection_weights(screened, "biopsied", ["smoking", "nodule_size"], data)
    assert weights.index.equals(data.index) and weights.sum() == pytest.approx(len(screened), rel=0.05)
    ipsw = standardised_effect(data["ggo_texture"], data["EGFR"], smoking, weights).iloc[0]
    # sampling sd: about 0.02 (adjusted) and 0.03 (weighted) at this n
    assert true - smoking_adjusted["estimate"] > 3 * smoking_adjusted["se"]
    assert ipsw["estimate"] == pytest.approx(true, abs=3 * ipsw["se"])
    assert abs(ipsw["estimate"] - true) < abs(smoking_adjusted["estimate"] - true)
