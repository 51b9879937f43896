"""The same scan on a local Dask cluster (chunks of genes as tasks) gives the same results."""

from __future__ import annotations

import pandas as pd
import pytest

from radiocausal.errors import DataError
from radiocausal.stats import association_scan

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.mark.parametrize("test", ["linear", "logistic", "spearman", "wilcoxon"])
def test_dask_scan_identical_to_local(tables, client, test):
    feats, gen, cov = tables(n=90, p=6, q=11, seed=8, binary=test in ("logistic", "wilcoxon"))
    covariates = None if test == "wilcoxon" else cov
    local = association_scan(feats, gen, test=test, covariates=covariates)
    remote = association_scan(feats, gen, test=test, covariates=covariates, client=client, genes_per_task=3)
    # identical up to the rounding of BLAS products on other block shapes
    pd.testing.assert_frame_equal(local, remote, check_exact=False, rtol=1e-11, atol=1e-14)
    default_chunks = association_scan(feats, gen, test=test, covariates=covariates, client=client)
    pd.testing.assert_frame_equal(local, default_chunks, check_exact=False, rtol=1e-11, atol=1e-14)


def test_dask_bad_arguments(tables, client):
    feats, gen, _ = tables()
    with pytest.raises(DataError, match="genes_per_task"):
        association_scan(feats, gen, client=client, genes_per_task=0)
    with pytest.raises(DataError, match="Client"):
        association_scan(feats, gen, client=object())
