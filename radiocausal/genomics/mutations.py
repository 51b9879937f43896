"""Somatic mutations: a MAF-like table to a binary sample x gene matrix."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from radiocausal.errors import DataError, DataWarning

__all__ = ["mutation_matrix", "FUNCTIONAL_VARIANT_CLASSES", "NONFUNCTIONAL_VARIANT_CLASSES"]

#: Variant classes (MAF ``Variant_Classification``) that count as functional by default: those that
#: change the protein sequence or its splicing (the "non-synonymous" set of maftools / cBioPortal).
FUNCTIONAL_VARIANT_CLASSES = frozenset(
    {
        "Missense_Mutation",
        "Nonsense_Mutation",
        "Nonstop_Mutation",
        "Frame_Shift_Del",
        "Frame_Shift_Ins",
        "In_Frame_Del",
        "In_Frame_Ins",
        "Splice_Site",
        "Translation_Start_Site",
    }
)

#: The other classes of the MAF specification: silent, non-coding and regulatory-region variants.
NONFUNCTIONAL_VARIANT_CLASSES = frozenset(
    {
        "Silent",
        "Intron",
        "3'UTR",
        "5'UTR",
        "3'Flank",
        "5'Flank",
        "IGR",
        "RNA",
        "lincRNA",
        "Splice_Region",
        "Targeted_Region",
        "De_novo_Start_InFrame",
        "De_novo_Start_OutOfFrame",
        "Start_Codon_SNP",
        "Start_Codon_Del",
        "Start_Codon_Ins",
        "Stop_Codon_Del",
        "Stop_Codon_Ins",
        "Unknown",
    }
)


def mutation_matrix(
    maf: pd.DataFrame,
    samples: Iterable[str] | None = None,
    genes: Iterable[str] | None = None,
    *,
    functional_classes: Iterable[str] | None = None,
    sample_col: str = "Tumor_Sample_Barcode",
    gene_col: str = "Hugo_Symbol",
    class_col: str = "Variant_Classification",
) -> pd.DataFrame:
    """Binary sample x gene matrix: 1 when the sample carries at least one functional variant in the gene.

    Parameters
    ----------
    maf : DataFrame
        One row per variant, with sample, gene and variant-class columns (MAF names by default).
    samples : iterable of str, optional
        All sequenced samples.  Samples without any (functional) mutation stay in the matrix as
        all-zero rows — pass this so they are not lost.  Default: the samples present in ``maf``.
        A variant of a sample not listed raises :class:`~radiocausal.errors.DataError`.
    genes : iterable of str, optional
        Genes (columns) to report, in this order; genes never mutated get all-zero columns.
        Default: every gene with at least one functional variant, sorted.
    functional_classes : iterable of str, optional
        Variant classes that count.  Default :data:`FUNCTIONAL_VARIANT_CLASSES` (protein-changing
        and splice-site variants; silent, intronic, UTR, flank and intergenic variants do not count).
    sample_col, gene_col, class_col : str
        Column names in ``maf``.

    Returns
    -------
    DataFrame
        ``int8`` 0/1 values, index ``samples``, columns ``genes``.

    Examples
    --------
    >>> import pandas as pd
    >>> maf = pd.DataFrame({"Tumor_Sample_Barcode": ["s1", "s1", "s2"],
    ...                     "Hugo_Symbol": ["TP53", "KRAS", "TP53"],
    ...                     "Variant_Classification": ["Missense_Mutation", "Silent", "Intron"]})
    >>> mutation_matrix(maf, samples=["s1", "s2", "s3"], genes=["TP53", "KRAS"])
        TP53  KRAS
    s1     1     0
    s2     0     0
    s3     0     0
    """
    if not isinstance(maf, pd.DataFrame):
        raise DataError(f"maf must be a pandas DataFrame, got {type(maf).__name__}")
    missing_cols = [c for c in (sample_col, gene_col, class_col) if c not in maf.columns]
    if missing_cols:
        raise DataError(
            f"maf lacks column(s) {missing_cols}; it has {list(maf.columns)[:10]} "
            "(set sample_col=, gene_col=, class_col=)"
        )
    sub = maf[[sample_col, gene_col, class_col]]
    if sub.isna().to_numpy().any():
        bad = sub.columns[sub.isna().any()].tolist()
        raise DataError(f"maf has missing values in column(s) {bad}")
    if functional_classes is None:
        functional = FUNCTIONAL_VARIANT_CLASSES
    else:
        if isinstance(functional_classes, str):
            raise DataError("functional_classes must be an iterable of class names, not a single string")
        functional = frozenset(functional_classes)
    known = FUNCTIONAL_VARIANT_CLASSES | NONFUNCTIONAL_VARIANT_CLASSES | functional
    unknown = sorted(set(sub[class_col].astype(str)) - known)
    if unknown:
        warnings.warn(
            f"maf column {class_col!r} has variant class(es) {unknown[:10]} that are neither in the default "
            "functional nor the non-functional set; they are not counted (pass functional_classes= to count them)",
            DataWarning,
            stacklevel=2,
        )
    if samples is None:
        sample_index = pd.Index(pd.unique(sub[sample_col]))
    else:
        sample_index = pd.Index(list(samples))
        if sample_index.has_duplicates:
            dup = sample_index[sample_index.duplicated()].unique()[:5].tolist()
            raise DataError(f"samples has duplicated ids, e.g. {dup}")
        extra = pd.Index(pd.unique(sub[sample_col])).difference(sample_index)
        if len(extra):
            raise DataError(
                f"maf has variants of {len(extra)} sample(s) not in samples, e.g. {extra[:5].tolist()}; "
                "samples must list every sequenced sample"
            )
    hits = sub[sub[class_col].isin(functional)]
    if genes is None:
        gene_index = pd.Index(sorted(pd.unique(hits[gene_col])))
    else:
        gene_index = pd.Index(list(genes))
        if gene_index.has_duplicates:
            dup = gene_index[gene_index.duplicated()].unique()[:5].tolist()
            raise DataError(f"genes has duplicated ids, e.g. {dup}")
        hits = hits[hits[gene_col].isin(gene_index)]
    out = np.zeros((len(sample_index), len(gene_index)), dtype=np.int8)
    rows = sample_index.get_indexer(hits[sample_col])
    cols = gene_index.get_indexer(hits[gene_col])
    out[rows, cols] = 1
    return pd.DataFrame(out, index=sample_index, columns=gene_index)
