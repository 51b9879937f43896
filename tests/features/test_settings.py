from __future__ import annotations

import doctest
import json

import pytest

import radiocausal.features.io
import radiocausal.features.settings as settings_mod
from radiocausal.errors import DataError
from radiocausal.features.settings import PRESETS, ExtractionSettings, SettingsError, get_settings


def test_presets_present_and_named():
    assert set(PRESETS) == {"pyradiomics", "ibsi-digital-phantom", "ibsi-A", "ibsi-B", "ibsi-C", "ibsi-D", "ibsi-E"}
    for name, s in PRESETS.items():
        assert s.name == name
        assert get_settings(name) is s


def test_ibsi_configurations_match_the_reference_manual():
    a, b, c, d, e = (get_settings(f"ibsi-{k}") for k in "ABCDE")
    assert a.spacing is None and a.resegment_range == (-500, 400) and a.bin_size == 25
    assert a.dimensions == ("2D", "2.5D") and a.round_intensities
    assert b.spacing == (2.0, 2.0, None) and b.interpolator == "linear" and b.bin_number == 32
    assert c.spacing == (2.0, 2.0, 2.0) and c.resegment_range == (-1000, 400) and c.bin_size == 25
    assert d.resegment_range is None and d.resegment_sigma == 3 and d.bin_number == 32
    assert e.interpolator == "cubic" and e.resegment_range == (-1000, 400) and e.resegment_sigma == 3
    ph = get_settings("ibsi-digital-phantom")
    assert ph.spacing is None and ph.bin_size == 1 and ph.dimensions == ("2D", "2.5D", "3D")
    py = get_settings("pyradiomics")
    assert py.bin_edges == "pyradiomics" and py.bin_size == 25 and py.aggregations == ("avg",)


def test_unknown_preset_and_keys_are_rejected():
    with pytest.raises(SettingsError, match="ibsi-F.*unknown preset"):
        get_settings("ibsi-F")
    with pytest.raises(SettingsError, match=r"unknown settings key\(s\) \['binWidth'\]"):
        get_settings({"binWidth": 25})
    with pytest.raises(SettingsError, match="unknown settings key"):
        get_settings("ibsi-C").replace(binCount=3)
    with pytest.raises(TypeError):
        ExtractionSettings(bogus=1)  # type: ignore[call-arg]
    assert issubclass(SettingsError, DataError) and issubclass(SettingsError, ValueError)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"interpolator": "bspline"}, "interpolator='bspline'"),
        ({"spacing": (1.0, 2.0)}, "spacing"),
        ({"spacing": (1.0, -2.0, 1.0)}, "spacing"),
        ({"mask_threshold": 1.5}, "mask_threshold"),
        ({"resegment_range": (400, -1000)}, "low < high"),
        ({"resegment_sigma": -3}, "resegment_sigma"),
        ({"discretisation": "fbn"}, "discretisation='fbn'"),
        ({"bin_size": 0}, "bin_size"),
        ({"discretisation": "fixed_bin_number", "bin_size": None, "bin_number": 0}, "bin_number"),
        ({"discretisation": "fixed_bin_number", "bin_number": 8}, "bin_size=25.0: expected None"),
        ({"dimensions": ("4D",)}, "dimensions"),
        ({"families": ()}, "families"),
        ({"round_intensities": "yes"}, "round_intensities"),
        ({"min_voxels": 0}, "min_voxels"),
    ],
)
def test_invalid_values_name_parameter(kwargs, match):
    with pytest.raises(SettingsError, match=match):
        ExtractionSettings(**kwargs)


def test_dict_json_round_trip_and_hash(tmp_path):
    s = get_settings("ibsi-E")
    d = s.to_dict()
    assert ExtractionSettings.from_dict(d) == s
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"preset": "ibsi-C", "bin_size": 10}))
    t = get_settings(p)
    assert t.bin_size == 10 and t.spacing == (2.0, 2.0, 2.0) and t.name == "ibsi-C+custom"
    assert t.hash != get_settings("ibsi-C").hash
    assert get_settings("ibsi-C").replace(name="other").hash == get_settings("ibsi-C").hash
    with pytest.raises(SettingsError, match="does not exist"):
        get_settings(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SettingsError, match="not valid JSON"):
        get_settings(bad)
    with pytest.raises(SettingsError, match="expected a preset name"):
        get_settings(3.5)


def test_canonical_order_of_tuples():
    s = ExtractionSettings(dimensions=["3D", "2D", "3D"], families=("glcm", "morphology"))
    assert s.dimensions == ("2D", "3D") and s.families == ("morphology", "glcm")


@pytest.mark.parametrize("module", [settings_mod, radiocausal.features.io])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
