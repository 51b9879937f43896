from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radiocausal.errors import DataError, DataWarning
from radiocausal.genomics import (
    CN_DTYPE,
    CN_LEVELS,
    FUNCTIONAL_VARIANT_CLASSES,
    copy_number_categories,
    join_by_patient,
    mutation_matrix,
    tcga_patient_id,
)


@pytest.fixture
def maf():
    return pd.DataFrame(
        {
            "Tumor_Sample_Barcode": ["s1", "s1", "s1", "s2", "s2", "s3"],
            "Hugo_Symbol": ["TP53", "TP53", "PIK3CA", "TP53", "CDH1", "GATA3"],
            "Variant_Classification": ["Missense_Mutation", "Nonsense_Mutation", "Silent", "Intron",
                                       "Frame_Shift_Del", "3'UTR"],
        }
    )


def test_mutation_matrix_defaults(maf):
    m = mutation_matrix(maf, samples=["s1", "s2", "s3", "s4"])
    assert list(m.index) == ["s1", "s2", "s3", "s4"]
    assert list(m.columns) == ["CDH1", "TP53"]  # silent / intronic / UTR variants do not count
    assert m.dtypes.eq(np.int8).all()
    assert m.loc["s1"].tolist() == [0, 1] and m.loc["s2"].tolist() == [1, 0]
    assert m.loc[["s3", "s4"]].to_numpy().sum() == 0  # sequenced without functional mutation: zero rows
    assert "Silent" not in FUNCTIONAL_VARIANT_CLASSES and "Missense_Mutation" in FUNCTIONAL_VARIANT_CLASSES


def test_mutation_matrix_custom_classes_and_genes(maf):
    m = mutation_matrix(maf, genes=["PIK3CA", "TP53", "KRAS"], functional_classes=FUNCTIONAL_VARIANT_CLASSES | {"Silent"})
    assert list(m.columns) == ["PIK3CA", "TP53", "KRAS"]
    assert list(m.index) == ["s1", "s2", "s3"]
    assert m.loc["s1", "PIK3CA"] == 1 and m["KRAS"].sum() == 0


def test_mutation_matrix_errors(maf):
    with pytest.raises(DataError, match=r"not in samples.*'s3'"):
        mutation_matrix(maf, samples=["s1", "s2"])
    with pytest.raises(DataError, match="lacks column"):
        mutation_matrix(maf.rename(columns={"Hugo_Symbol": "gene"}))
    with pytest.raises(DataError, match="duplicated"):
        mutation_matrix(maf, samples=["s1", "s1", "s2", "s3"])
    odd = maf.copy()
    odd.loc[0, "Variant_Classification"] = "Weird_Class"
    with pytest.warns(DataWarning, match="Weird_Class"):
        mutation_matrix(odd)


def test_copy_number_log2_thresholds():
    cn = pd.DataFrame({"ERBB2": [-2.0, -1.3, -0.1, 0.0, 0.1, 0.9, np.nan], "MYC": [0.5] * 7})
    calls = copy_number_categories(cn)
    assert calls["ERBB2"].dtype == CN_DTYPE and calls["ERBB2"].cat.ordered
    assert calls["ERBB2"].tolist()[:6] == [
        "homozygous_deletion", "heterozygous_deletion", "diploid", "diploid", "gain", "amplification"
    ]
    assert pd.isna(calls["ERBB2"].iloc[6])
    assert calls["ERBB2"].max() == "amplification" and calls["ERBB2"].min() == "homozygous_deletion"  # ordered
    assert (calls["ERBB2"].iloc[:6] > "diploid").tolist() == [False, False, False, False, True, True]
    codes = copy_number_categories(cn, as_codes=True)
    assert codes["ERBB2"].tolist()[:6] == [-2, -1, 0, 0, 1, 2] and np.isnan(codes["ERBB2"].iloc[6])
    assert list(CN_DTYPE.categories) == list(CN_LEVELS)


def test_copy_number_absolute_gistic_and_errors():
    s = pd.Series([0, 1, 2, 3, 4, 5, 8], name="g")
    assert copy_number_categories(s, "absolute", as_codes=True).tolist() == [-2, -1, 0, 1, 1, 2, 2]
    g = pd.Series([-2, -1, 0, 1, 2])
    assert copy_number_categories(g, "gistic").tolist() == list(CN_LEVELS)
    with pytest.raises(DataError, match="GISTIC calls"):
        copy_number_categories(pd.Series([0.5]), "gistic")
    with pytest.raises(DataError, match=">= 0"):
        copy_number_categories(pd.Series([-1.0]), "absolute")
    with pytest.raises(DataError, match="increasing"):
        copy_number_categories(s, thresholds=(1, 0, 2, 3))
    with pytest.raises(DataError, match="scale"):
        copy_number_categories(s, "ratio")
    # custom thresholds
    assert copy_number_categories(pd.Series([0.3]), thresholds=(-1, -0.5, 0.5, 1), as_codes=True).tolist() == [0]


def test_tcga_patient_ids_and_join():
    assert tcga_patient_id("TCGA-AO-A03M-01A-11R-A034-07") == "TCGA-AO-A03M"
    with pytest.raises(DataError, match="not a TCGA barcode"):
        tcga_patient_id("PATIENT-1")
    img = pd.DataFrame({"CLID": ["TCGA-AO-A03M", "TCGA-AO-A03V", "TCGA-BH-A0B3"], "size": [3.0, 2.0, 1.0]})
    gen = pd.DataFrame({"TP53": [1, 0, 1]}, index=["TCGA-BH-A0B3-01A", "TCGA-AO-A03M-01A-11D", "TCGA-E2-A14N-01A"])
    j = join_by_patient(img, gen, imaging_id="CLID")
    assert j.patients == ["TCGA-AO-A03M", "TCGA-BH-A0B3"]
    assert j.only_imaging == ["TCGA-AO-A03V"] and j.only_genomics == ["TCGA-E2-A14N"]
    assert list(j.imaging.index) == list(j.genomics.index) == j.patients
    assert j.genomics["TP53"].tolist() == [0, 1] and "CLID" not in j.imaging.columns
    text = str(j)
    assert "2 patient(s)" in text and "imaging only: TCGA-AO-A03V" in text and "genomics only: TCGA-E2-A14N" in text


def test_join_errors():
    img = pd.DataFrame({"size": [1.0, 2.0]}, index=["TCGA-AO-A03M-01A", "TCGA-AO-A03M-11A"])
    gen = pd.DataFrame({"TP53": [1]}, index=["TCGA-AO-A03M"])
    with pytest.raises(DataError, match=r"several rows for the same patient.*TCGA-AO-A03M-11A"):
        join_by_patient(img, gen)
    with pytest.raises(DataError, match="no column 'CLID'"):
        join_by_patient(gen, gen, imaging_id="CLID")
    plain = join_by_patient(pd.DataFrame({"a": [1]}, index=["p1"]), pd.DataFrame({"b": [2]}, index=["p1"]), tcga=False)
    assert plain.patients == ["p1"]


def test_join_real_tcga_brca_tables(shared_data):
    folder = shared_data / "tcga_brca"
    mri = pd.read_csv(folder / "tcga_brca_mri_features_clinical_91.csv")
    pam50 = pd.read_csv(folder / "Perou-TCGA-BRCA-metadata.csv")
    j = join_by_patient(mri, pam50, imaging_id="CLID", genomics_id="CLID")
    # the data README: 91 MRI patients, 100 PAM50 patients, 84 overlap
    assert len(j.patients) == 84
    assert len(j.only_imaging) == 91 - 84 and len(j.only_genomics) == 100 - 84


def test_join_keeps_chosen_sample_types():
    from radiocausal.genomics import tcga_sample_type

    assert tcga_sample_type("TCGA-AO-A03M-11A-01D") == "11" and tcga_sample_type("TCGA-AO-A03M") is None
    img = pd.DataFrame({"size": [1.0, 2.0]}, index=["TCGA-AO-A03M", "TCGA-AO-A03V"])
    gen = pd.DataFrame({"TP53": [1, 0, 0]}, index=["TCGA-AO-A03M-01A", "TCGA-AO-A03M-11A", "TCGA-AO-A03V-11A"])
    j = join_by_patient(img, gen, sample_types="01")
    assert j.patients == ["TCGA-AO-A03M"] and j.genomics["TP53"].tolist() == [1]
    assert j.only_imaging == ["TCGA-AO-A03V"]  # its only genomic sample is normal tissue
    with pytest.raises(DataError, match="two-digit"):
        join_by_patient(img, gen, sample_types="tumour")
