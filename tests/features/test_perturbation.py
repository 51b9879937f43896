from __future__ import annotations

import doctest

import numpy as np
import pytest
import SimpleITK as sitk

import radiocausal.features.perturbation as pert_mod
from radiocausal.errors import DataError
from radiocausal.features import ExtractionSettings, extract
from radiocausal.features.perturbation import estimate_noise, perturb, perturbation_plan, robustness


def _ball(radius=4.0, noise=5.0, seed=0, size=(14, 20, 20)):
    z, y, x = np.indices(size)
    c = np.array(size) / 2
    m = (((x - c[2]) ** 2 + (y - c[1]) ** 2 + ((z - c[0]) * 1.0) ** 2) <= radius**2).astype(np.uint8)
    rng = np.random.default_rng(seed)
    img = sitk.GetImageFromArray(100.0 * m + 20.0 * (x / size[2]) + rng.normal(0, noise, size))
    msk = sitk.GetImageFromArray(m)
    msk.CopyInformation(img)
    return img, msk


def _arr(im):
    return sitk.GetArrayFromImage(im)


def test_noise_estimate_and_addition():
    rng = np.random.default_rng(0)
    img = sitk.GetImageFromArray(rng.normal(0, 4.0, (6, 80, 80)))
    assert estimate_noise(img) == pytest.approx(4.0, rel=0.05)
    ball, msk = _ball(noise=2.0)
    noisy, same = perturb(ball, msk, noise=True, seed=3)
    assert np.array_equal(_arr(same), _arr(msk))
    diff = _arr(noisy) - _arr(ball)
    assert diff.std() == pytest.approx(estimate_noise(ball), rel=0.1)


def test_whole_voxel_translation_shifts_arrays():
    img, msk = _ball()
    moved, mmoved = perturb(img, msk, translation=(1.0, 0.0, 0.0))
    # output(x) = input(x + 1 voxel): arrays shift by one column towards lower x
    np.testing.assert_allclose(_arr(moved)[:, :, :-1], _arr(img)[:, :, 1:], atol=1e-9)
    np.testing.assert_array_equal(_arr(mmoved)[:, :, :-1], _arr(msk)[:, :, 1:])


def test_rotation_keeps_volume_and_sub_voxel_translation_changes_values():
    img, msk = _ball()
    rot_img, rot_msk = perturb(img, msk, rotation=30.0)
    assert _arr(rot_msk).sum() == pytest.approx(_arr(msk).sum(), rel=0.1)
    assert not np.allclose(_arr(rot_img), _arr(img))
    half, _ = perturb(img, msk, translation=(0.5, 0.0, 0.0))
    np.testing.assert_allclose(_arr(half)[:, :, 1:-1], 0.5 * (_arr(img)[:, :, 1:-1] + _arr(img)[:, :, 2:]), atol=1e-9)


@pytest.mark.parametrize("change", [-0.2, 0.1, 0.3])
def test_volume_adaptation_hits_target(change):
    img, msk = _ball()
    _, m2 = perturb(img, msk, volume_change=change, seed=0)
    n0, n1 = _arr(msk).sum(), _arr(m2).sum()
    assert n1 == round(n0 * (1 + change))
    inner, outer = (m2, msk) if change < 0 else (msk, m2)
    assert np.all(_arr(outer)[_arr(inner) > 0] > 0)  # grow contains the original, shrink is inside it


def test_contour_randomisation_changes_contour_only():
    img, msk = _ball(radius=6.0)
    _, m2 = perturb(img, msk, contour=True, seed=5)
    a, b = _arr(msk) > 0, _arr(m2) > 0
    dice = 2 * (a & b).sum() / (a.sum() + b.sum())
    assert 0.8 < dice < 1.0


def test_argument_checks():
    img, msk = _ball()
    with pytest.raises(DataError, match="volume_change"):
        perturb(img, msk, volume_change=-1.0)
    with pytest.raises(DataError, match="translation"):
        perturb(img, msk, translation=(1.0, 0.0))
    with pytest.raises(DataError, match="kinds"):
        perturbation_plan(("blur",))
    with pytest.raises(DataError, match="at least 2 cases"):
        robustness([_ball()], "ibsi-D")


def test_plan_is_reproducible():
    assert perturbation_plan(n=5, seed=1) == perturbation_plan(n=5, seed=1)
    plan = perturbation_plan(("rotation", "translation"), n=4, seed=2)
    assert plan[0] == {} and all(-15 <= p["rotation"] <= 15 and "noise" not in p for p in plan[1:])


def test_robustness_icc_and_filter():
    cases = [_ball(radius=r, seed=i) for i, r in enumerate((3.0, 4.0, 5.0, 6.0))]
    s = ExtractionSettings(discretisation="fixed_bin_number", bin_size=None, bin_number=16,
                           families=("morphology", "statistics"))
    res = robustness(cases, s, kinds=("noise", "rotation", "volume"), n_perturbations=4, seed=0)
    assert len(res.features) == 16 and set(res.features["perturbation"]) == {0, 1, 2, 3}
    first = res.features[(res.features["case"] == 1) & (res.features["perturbation"] == 0)].iloc[0]
    plain = extract(*cases[1], settings=s)
    assert first["stat_mean"] == pytest.approx(plain["stat_mean"])
    # volume differs a lot between balls of radius 3..6 and little under +-20 % perturbations
    assert res.icc.loc["morph_vol_approx", "icc"] > 0.9
    assert "morph_vol_approx" in res.stable() and set(res.stable(0.5)) >= set(res.stable())
    assert res.icc["icc"].notna().sum() > 20


def test_docstring_examples():
    result = doctest.testmod(pert_mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
