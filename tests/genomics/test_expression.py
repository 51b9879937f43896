from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radiocausal.errors import DataError
from radiocausal.genomics import filter_low_expression, filter_low_variance, log2_1p, to_cpm, to_tpm


@pytest.fixture
def counts():
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.poisson(50, size=(6, 5)), index=[f"s{i}" for i in range(6)],
                        columns=["TP53", "EGFR", "ESR1", "ERBB2", "MKI67"])


@pytest.fixture
def lengths():
    return pd.Series({"TP53": 2500.0, "EGFR": 9000.0, "ESR1": 6300.0, "ERBB2": 4600.0, "MKI67": 12000.0, "extra": 1.0})


def test_tpm_by_definition(counts, lengths):
    tpm = to_tpm(counts, lengths)
    rate = counts / (lengths[counts.columns] / 1000)
    expected = rate.div(rate.sum(axis=1), axis=0) * 1e6
    pd.testing.assert_frame_equal(tpm, expected.astype(float), rtol=1e-12)
    np.testing.assert_allclose(tpm.sum(axis=1), 1e6)
    # equal lengths: TPM equals CPM
    np.testing.assert_allclose(to_tpm(counts, dict.fromkeys(counts.columns, 1000.0)), to_cpm(counts), rtol=1e-12)


def test_cpm_and_log(counts):
    cpm = to_cpm(counts)
    np.testing.assert_allclose(cpm.sum(axis=1), 1e6)
    np.testing.assert_allclose(cpm.iloc[0, 0], counts.iloc[0, 0] / counts.iloc[0].sum() * 1e6)
    logged = log2_1p(cpm)
    np.testing.assert_allclose(2**logged - 1, cpm, rtol=1e-12)
    assert log2_1p(pd.DataFrame({"a": [0.0]})).iloc[0, 0] == 0.0


def test_validation_errors(counts, lengths):
    neg = counts.copy()
    neg.iloc[2, 1] = -3
    with pytest.raises(DataError, match=r"non-negative.*-3.*'s2'.*'EGFR'"):
        to_tpm(neg, lengths)
    with pytest.raises(DataError, match=r"no length.*'MKI67'"):
        to_tpm(counts, lengths.drop("MKI67"))
    with pytest.raises(DataError, match="positive"):
        to_tpm(counts, lengths.replace(2500.0, 0.0))
    dup = counts.copy()
    dup.columns = ["TP53", "TP53", "ESR1", "ERBB2", "MKI67"]
    with pytest.raises(DataError, match="duplicated gene ids"):
        to_cpm(dup)
    dup_s = counts.copy()
    dup_s.index = ["s0"] * 6
    with pytest.raises(DataError, match="duplicated sample ids"):
        to_cpm(dup_s)
    empty = counts.copy()
    empty.iloc[1] = 0
    with pytest.raises(DataError, match=r"'s1'.*no counts"):
        to_cpm(empty)
    nan = counts.astype(float)
    nan.iloc[0, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        to_cpm(nan)
    dup_len = pd.concat([lengths, pd.Series({"TP53": 1.0})])
    with pytest.raises(DataError, match="lengths has duplicated"):
        to_tpm(counts, dup_len)


def test_filters():
    expr = pd.DataFrame({"on": [5.0, 6.0, 7.0, 0.0], "rare": [0.0, 0.0, 0.0, 9.0], "flat": [3.0] * 4,
                         "low_var": [1.0, 1.1, 1.0, 1.1]})
    assert list(filter_low_expression(expr, 1.0, 0.5).columns) == ["on", "flat", "low_var"]
    assert list(filter_low_expression(expr, 1.0, 0.25).columns) == ["on", "rare", "flat", "low_var"]
    assert list(filter_low_variance(expr).columns) == ["on", "rare", "low_var"]
    assert list(filter_low_variance(expr, min_variance=0.1).columns) == ["on", "rare"]
    assert list(filter_low_variance(expr, top_n=2).columns) == ["on", "rare"]
    with pytest.raises(DataError, match="min_fraction"):
        filter_low_expression(expr, 1.0, 0.0)
    with pytest.raises(DataError, match="top_n"):
        filter_low_variance(expr, top_n=0)
