"""Synthetic tumour images: the simulated causes move what radiomics measures."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
from scipy.stats import spearmanr

from radiocausal.errors import DataError
from radiocausal.features import ExtractionSettings, extract, extract_batch, read_manifest
from radiocausal.simulate import DEFAULT_SITES, batch_confounding, simulate_do, tumour_arrays, write_images

SMALL = ExtractionSettings(families=("statistics", "glcm"), bin_size=10.0, aggregations=("avg",))


def _mask_volume(path: str) -> float:
    m = sitk.ReadImage(path)
    return float(sitk.GetArrayViewFromImage(m).sum() * np.prod(m.GetSpacing()))


def test_same_seed_same_image():
    a = tumour_arrays(1.0, 0.5, 0.0, 0.3, rng=np.random.default_rng(4))
    b = tumour_arrays(1.0, 0.5, 0.0, 0.3, rng=np.random.default_rng(4))
    c = tumour_arrays(1.0, 0.5, 0.0, 0.3, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_mask_volume_increases_with_grade(tmp_path):
    sc = batch_confounding()
    _, truth = sc.simulate(40, random_seed=3, n_truth=1000)
    manifest = write_images(truth.complete, tmp_path, drivers=sc.drivers, site=sc.site, random_seed=3)
    volumes = [_mask_volume(p) for p in manifest["mask"]]
    rho, p = spearmanr(truth.complete["grade"], volumes)
    assert rho > 0.5 and p < 0.01


def test_roughness_lowers_sphericity():
    rough = tumour_arrays(roughness=4.0, rng=np.random.default_rng(0))[1]
    smooth = tumour_arrays(roughness=-4.0, rng=np.random.default_rng(0))[1]
    morph = ExtractionSettings(families=("morphology",))
    s_rough = extract(sitk.GetImageFromArray(rough.astype(float)), sitk.GetImageFromArray(rough), morph)
    s_smooth = extract(sitk.GetImageFromArray(smooth.astype(float)), sitk.GetImageFromArray(smooth), morph)
    assert s_rough["morph_sphericity"] < s_smooth["morph_sphericity"] - 0.05


def test_mutation_raises_extracted_heterogeneity(tmp_path):
    # the same 12 patients under do(EGFR=0) and do(EGFR=1): same noise, only the mutation differs
    sc = batch_confounding()
    arms = {}
    for value in (0, 1):
        table = simulate_do(sc.dag, sc.coefficients, sc.nodes, {"EGFR": value}, 12, random_seed=9)
        table.index = [f"P{i}" for i in range(len(table))]
        man = write_images(table, tmp_path / f"egfr{value}", drivers=sc.drivers, random_seed=9)
        arms[value] = pd.DataFrame([extract(i, m, SMALL) for i, m in zip(man["image"], man["mask"])])
    diff_var = arms[1]["stat_var"] - arms[0]["stat_var"]
    diff_contrast = arms[1]["cm_contrast_3D_avg"] - arms[0]["cm_contrast_3D_avg"]
    assert (diff_var > 0).all()
    assert (diff_contrast > 0).mean() >= 0.9


def test_site_sets_spacing_and_manifest_is_readable(tmp_path):
    table = pd.DataFrame({"grade": [0, 1, 2, 1], "site": [0, 1, 2, 1]}, index=["a", "b", "c", "d"])
    manifest = write_images(table, tmp_path, drivers={"size": "grade"}, site="site", random_seed=0)
    for path, code in zip(manifest["image"], table["site"]):
        assert sitk.ReadImage(path).GetSpacing() == pytest.approx(DEFAULT_SITES[code].spacing)
        assert sitk.ReadImage(path).GetSize() == (48, 48, 24)
    assert len({tuple(DEFAULT_SITES[k].spacing) for k in range(3)}) == 3
    on_disk = read_manifest(tmp_path / "manifest.csv")
    assert on_disk["patient_id"].tolist() == ["a", "b", "c", "d"]
    res = extract_batch(tmp_path / "manifest.csv", SMALL, tmp_path / "features", n_jobs=1, progress=False)
    assert len(res.features) == 4 and res.failures.empty
    assert res.features.set_index("patient_id").loc[["a", "b", "c"], "site"].tolist() == [0, 1, 2]


def test_site_changes_intensity_scale_and_noise():
    base, msk = tumour_arrays(rng=np.random.default_rng(1), site=DEFAULT_SITES[0])
    bright, _ = tumour_arrays(rng=np.random.default_rng(1), site=DEFAULT_SITES[2])
    assert bright[0, :4, :4].mean() < base[0, :4, :4].mean()  # offset -35 outside the tumour
    noisy, _ = tumour_arrays(rng=np.random.default_rng(1), site=DEFAULT_SITES[1])
    assert noisy[0].std() > base[0].std()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"drivers": {"volume": "grade"}}, "unknown key"),
        ({"drivers": {"size": "nope"}}, "'nope'"),
        ({"site": "site", "sites": DEFAULT_SITES[:1]}, "site codes"),
    ],
)
def test_bad_image_input(tmp_path, kwargs, match):
    table = pd.DataFrame({"grade": [0, 1], "site": [0, 1]}, index=["a", "b"])
    with pytest.raises(DataError, match=match):
        write_images(table, tmp_path, **kwargs)


@pytest.mark.slow
def test_two_hundred_patients_are_fast(tmp_path):
    sc = batch_confounding()
    start = time.perf_counter()
    _, truth = sc.simulate(200, random_seed=0, n_truth=20_000)
    write_images(truth.complete, tmp_path, drivers=sc.drivers, site=sc.site, random_seed=0)
    assert time.perf_counter() - start < 30


@pytest.mark.slow
def test_site_makes_a_spurious_intensity_association_that_adjustment_removes(tmp_path):
    # EGFR has no effect on the mean intensity; sites with more mutations scan brighter
    from radiocausal.stats import association_scan

    sc = batch_confounding()
    data, truth = sc.simulate(250, random_seed=21, n_truth=1000)
    manifest = write_images(truth.complete, tmp_path, drivers=sc.drivers, site=sc.site, random_seed=21)
    stats = ExtractionSettings(families=("statistics",), bin_size=10.0)
    mean = pd.DataFrame({"stat_mean": [extract(i, m, stats)["stat_mean"] for i, m in
                                       zip(manifest["image"], manifest["mask"])]}, index=data.index)
    exposure = data[["EGFR"]].astype(float)
    naive = association_scan(exposure, mean, test="linear").iloc[0]
    covs = pd.DataFrame({"grade": data["grade"], "site": data["site"].astype(str)}, index=data.index)
    adjusted = association_scan(exposure, mean, test="linear", covariates=covs).iloc[0]
    assert naive["p_value"] < 1e-6
    assert abs(adjusted["estimate"]) < 3 * adjusted["se"]


def test_write_cohort_folder_round_trips(tmp_path):
    import json

    sc = batch_confounding()
    data, truth, manifest = sc.write_cohort(6, tmp_path, random_seed=2, n_truth=1000)
    back = pd.read_csv(tmp_path / "patients.csv", index_col="patient_id")
    pd.testing.assert_frame_equal(back, data, check_dtype=False)
    record = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert {(c["cause"], c["effect"]) for c in record["coefficients"]} == set(sc.dag.edges)
    assert record["ace"][0]["effect"] == pytest.approx(truth.ace[("EGFR", "texture")])
    assert all(Path(p).is_file() for p in manifest["image"]) and len(manifest) == 6


def test_repeat_scan_of_a_subset_keeps_each_patients_tumour(tmp_path):
    table = pd.DataFrame({"grade": [0.0, 1.0, 2.0]}, index=["a", "b", "c"])
    first = write_images(table, tmp_path, drivers={"size": "grade"}, random_seed=5)
    again = write_images(table, tmp_path, drivers={"size": "grade"}, random_seed=5, repeat=1, patients=["c"],
                         manifest_name="manifest_retest.csv", reposition_mm=0.0)
    assert again["patient_id"].tolist() == ["c"] and again["image"].iloc[0].endswith("c_repeat1_image.nii.gz")
    assert (tmp_path / "manifest_retest.csv").is_file()
    a = sitk.GetArrayFromImage(sitk.ReadImage(first["image"].iloc[2]))
    b = sitk.GetArrayFromImage(sitk.ReadImage(again["image"].iloc[0]))
    ma = sitk.GetArrayFromImage(sitk.ReadImage(first["mask"].iloc[2]))
    mb = sitk.GetArrayFromImage(sitk.ReadImage(again["mask"].iloc[0]))
    np.testing.assert_array_equal(ma, mb)  # no repositioning: the same tumour, voxel for voxel
    assert not np.array_equal(a, b)
    assert np.std(a - b) == pytest.approx(np.sqrt(2) * DEFAULT_SITES[0].noise_sd, rel=0.1)  # only the noise is new


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"repeat": -1}, "repeat"), ({"reposition_mm": -1.0}, "reposition_mm"), ({"patients": ["zz"]}, "zz")],
)
def test_bad_repeat_input(tmp_path, kwargs, match):
    table = pd.DataFrame({"grade": [0, 1]}, index=["a", "b"])
    with pytest.raises(DataError, match=match):
        write_images(table, tmp_path, drivers={"size": "grade"}, **kwargs)
