"""Scenarios: feature-level truth by paired do() cohorts, the radiogenomic cohort folder, seed scenarios."""

from __future__ import annotations

import numpy as np
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
