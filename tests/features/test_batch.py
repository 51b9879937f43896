from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiocausal.errors import DataError
from radiocausal.features.batch import extract_batch, read_manifest

SETTINGS = {"preset": "ibsi-D", "spacing": None, "families": ["morphology", "statistics", "glcm"]}


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    d = tmp_path_factory.mktemp("cases")
    rng = np.random.default_rng(0)
    rows = []
    for k in range(4):
        arr = rng.normal(50 + 10 * k, 15, size=(8, 10, 10)).round()
        m = np.zeros(arr.shape, np.uint8)
        m[2:6, 2:8, 3:8] = 1
        m[3:5, 3:6, 3:6] = 2
        img = sitk.GetImageFromArray(arr)
        img.SetSpacing((1.0, 1.0, 2.0))
        msk = sitk.GetImageFromArray(m)
        msk.CopyInformation(img)
        sitk.WriteImage(img, str(d / f"p{k}_img.nrrd"))
        sitk.WriteImage(msk, str(d / f"p{k}_msk.nrrd"))
        rows.append({"patient_id": f"p{k}", "image": f"p{k}_img.nrrd", "mask": f"p{k}_msk.nrrd",
                     "label": 1, "site": "A" if k < 2 else "B"})
    rows.append({"patient_id": "p0", "image": "p0_img.nrrd", "mask": "p0_msk.nrrd", "label": 2, "site": "A"})
    rows.append({"patient_id": "broken", "image": "p1_img.nrrd", "mask": "nowhere.nrrd", "label": 1, "site": "B"})
    manifest = pd.DataFrame(rows)
    manifest.to_csv(d / "manifest.csv", index=False)
    return d


def test_manifest_checks(cases):
    df = read_manifest(cases / "manifest.csv")
    assert df["image"].str.startswith(str(cases)).all() and df["label"].tolist() == [1, 1, 1, 1, 2, 1]
    with pytest.raises(DataError, match=r"lacks column\(s\) \['mask'\]"):
        read_manifest(pd.DataFrame({"patient_id": ["a"], "image": ["x"]}))
    with pytest.raises(DataError, match="duplicate"):
        read_manifest(pd.DataFrame({"patient_id": ["a", "a"], "image": ["x", "y"], "mask": ["m", "n"]}))
    with pytest.raises(DataError, match="'label'"):
        read_manifest(pd.DataFrame({"patient_id": ["a"], "image": ["x"], "mask": ["m"], "label": [1.5]}))
    with pytest.raises(DataError, match="empty in row"):
        read_manifest(pd.DataFrame({"patient_id": ["a"], "image": [None], "mask": ["m"]}))
    with pytest.raises(DataError, match="does not exist"):
        read_manifest(cases / "nope.csv")


def test_batch_records_failures_resumes_and_separates_settings(cases, tmp_path):
    out = tmp_path / "out"
    res = extract_batch(cases / "manifest.csv", SETTINGS, out, n_jobs=1, progress=False)
    assert res.n_computed == 6
    assert len(res.features) == 5 and len(res.failures) == 1
    fail = res.failures.iloc[0]
    assert fail["patient_id"] == "broken" and fail["error_type"] == "ImageError" and "nowhere.nrrd" in fail["message"]
    row = res.features.set_index(["patient_id", "label"]).loc[("p0", 2)]
    assert row["site"] == "A" and row["morph_vol_approx"] == 2 * 3 * 3 * 2.0
    assert {"settings_hash", "version_pyradiomics-bhklab", "image_spacing"} <= set(res.features.columns)
    assert (res.out_dir / "features_ibsi.csv").exists() and (res.out_dir / "failures_ibsi.csv").exists()

    # resume: nothing recomputed; a lost case file is recomputed alone
    again = extract_batch(cases / "manifest.csv", SETTINGS, out, n_jobs=1, progress=False)
    assert again.n_computed == 0
    pd.testing.assert_frame_equal(again.features, res.features)
    (res.out_dir / "cases" / "p3__label1__ibsi.json").unlink()
    assert extract_batch(cases / "manifest.csv", SETTINGS, out, n_jobs=1, progress=False).n_computed == 1
    assert extract_batch(cases / "manifest.csv", SETTINGS, out, n_jobs=1, progress=False,
                         retry_failed=True).n_computed == 1

    # other settings: new folder, old results untouched
    other = extract_batch(cases / "manifest.csv", {**SETTINGS, "bin_number": 8}, out, n_jobs=1, progress=False)
    assert other.out_dir != res.out_dir and other.n_computed == 6
    assert (other.features["cm_joint_avg_3D_avg"] != res.features["cm_joint_avg_3D_avg"]).all()
    saved = json.loads((res.out_dir / "settings.json").read_text(encoding="utf-8"))
    assert saved["settings"]["bin_number"] == 32


def test_changed_input_file_is_recomputed(cases, tmp_path):
    import os
    import shutil

    manifest = read_manifest(cases / "manifest.csv").iloc[:2].copy()
    img = tmp_path / "copy.nrrd"
    shutil.copy(manifest.at[0, "image"], img)
    manifest.at[0, "image"] = str(img)
    first = extract_batch(manifest, SETTINGS, tmp_path / "o", n_jobs=1, progress=False)
    assert first.n_computed == 2
    assert extract_batch(manifest, SETTINGS, tmp_path / "o", n_jobs=1, progress=False).n_computed == 0
    other = sitk.ReadImage(manifest.at[1, "image"])  # same grid, other intensities
    sitk.WriteImage(other, str(img))
    st = os.stat(img)
    os.utime(img, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    again = extract_batch(manifest, SETTINGS, tmp_path / "o", n_jobs=1, progress=False)
    assert again.n_computed == 1
    assert again.features.loc[0, "stat_mean"] != first.features.loc[0, "stat_mean"]


def test_interrupted_run_continues(cases, tmp_path):
    manifest = read_manifest(cases / "manifest.csv")
    first = extract_batch(manifest.iloc[:2], SETTINGS, tmp_path, n_jobs=1, progress=False)
    assert first.n_computed == 2
    full = extract_batch(manifest, SETTINGS, tmp_path, n_jobs=1, progress=False)
    assert full.n_computed == 4 and len(full.features) == 5


def test_parallel_equals_serial(cases, tmp_path):
    serial = extract_batch(cases / "manifest.csv", SETTINGS, tmp_path / "s", n_jobs=1, progress=False)
    parallel = extract_batch(cases / "manifest.csv", SETTINGS, tmp_path / "p", n_jobs=2, progress=False)
    pd.testing.assert_frame_equal(serial.features, parallel.features)


@pytest.mark.slow
def test_dask_cluster_equals_serial(cases, tmp_path):
    distributed = pytest.importorskip("distributed")
    serial = extract_batch(cases / "manifest.csv", SETTINGS, tmp_path / "s", n_jobs=1, progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cl:
        viadask = extract_batch(cases / "manifest.csv", SETTINGS, tmp_path / "d", scheduler=cl.scheduler_address,
                                progress=False)
    pd.testing.assert_frame_equal(serial.features, viadask.features)
    assert len(viadask.failures) == 1


def test_docstring_examples():
    import doctest

    import radiocausal.features.batch as batch_mod

    result = doctest.testmod(batch_mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_cli_glue(cases, tmp_path):
    import argparse
    import io

    from radiocausal.errors import RadiocausalError
    from radiocausal.features._cli import add_extract_arguments, run_extract

    parser = add_extract_arguments(argparse.ArgumentParser(prog="radiocausal extract"))
    settings = tmp_path / "s.json"
    settings.write_text(json.dumps(SETTINGS))
    args = parser.parse_args([str(cases / "manifest.csv"), "--settings", str(settings), "--out", str(tmp_path / "o"),
                              "--jobs", "1", "--no-progress"])
    buf = io.StringIO()
    assert run_extract(args, stdout=buf) == 1  # the 'broken' case fails
    text = buf.getvalue()
    assert "6 (5 ok, 1 failed; 6 computed now)" in text and "broken" in text and "nowhere.nrrd" in text
    ok = cases / "ok.csv"
    read_manifest(cases / "manifest.csv").iloc[:2].to_csv(ok, index=False)
    args = parser.parse_args([str(ok), "--settings", str(settings), "--out", str(tmp_path / "o"), "--no-progress"])
    assert run_extract(args, stdout=io.StringIO()) == 0
    bad = parser.parse_args([str(ok), "--settings", "ibsi-Q", "--out", str(tmp_path / "o")])
    with pytest.raises(RadiocausalError, match="unknown preset"):
        run_extract(bad, stdout=io.StringIO())


@pytest.mark.slow
def test_killed_run_resumes(cases, tmp_path):
    import subprocess
    import sys
    import time

    out = tmp_path / "killed"
    script = (
        "import sys\n"
        "from radiocausal.features.batch import extract_batch\n"
        f"extract_batch({str(cases / 'manifest.csv')!r}, {SETTINGS!r}, {str(out)!r}, n_jobs=1, progress=False)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            done = list(out.glob("*/cases/*.json"))
            if done or proc.poll() is not None:
                break
            time.sleep(0.05)
        proc.kill()
    finally:
        proc.wait()
    finished = len(list(out.glob("*/cases/*.json")))
    assert 1 <= finished < 6  # killed part-way
    assert not list(out.glob("*/cases/*.tmp"))  # atomic writes: no half-written result left behind
    res = extract_batch(cases / "manifest.csv", SETTINGS, out, n_jobs=1, progress=False)
    assert res.n_computed == 6 - finished and len(res.features) == 5 and len(res.failures) == 1
    fresh = extract_batch(cases / "manifest.csv", SETTINGS, tmp_path / "fresh", n_jobs=1, progress=False)
    pd.testing.assert_frame_equal(res.features, fresh.features)
