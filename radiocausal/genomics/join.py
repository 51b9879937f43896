"""Joining imaging and genomic tables by patient id (TCGA barcodes truncated to the patient)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from radiocausal.errors import DataError

__all__ = ["tcga_patient_id", "tcga_sample_type", "join_by_patient", "PatientJoin"]

_TCGA = re.compile(r"^(TCGA-[A-Z0-9]{2}-[A-Z0-9]{4})(-.*)?$")
_SAMPLE_TYPE = re.compile(r"^TCGA-[A-Z0-9]{2}-[A-Z0-9]{4}-(\d{2})")


def tcga_sample_type(barcode: str) -> str | None:
    """The two-digit sample type of a TCGA barcode (``"01"`` primary tumour, ``"11"`` solid normal,
    ...), or None for a patient-level barcode.

    Examples
    --------
    >>> tcga_sample_type("TCGA-AO-A03M-01A-11R"), tcga_sample_type("TCGA-AO-A03M")
    ('01', None)
    """
    tcga_patient_id(barcode)  # validates
    m = _SAMPLE_TYPE.match(barcode.strip().upper())
    return m.group(1) if m else None


def tcga_patient_id(barcode: str) -> str:
    """The patient part ``TCGA-XX-XXXX`` of a TCGA barcode (sample, aliquot, ... or already patient).

    Examples
    --------
    >>> tcga_patient_id("TCGA-AO-A03M-01A-11R-A034-07")
    'TCGA-AO-A03M'
    >>> tcga_patient_id("tcga-ao-a03m")
    'TCGA-AO-A03M'
    """
    if not isinstance(barcode, str):
        raise DataError(f"a TCGA barcode must be a string, got {barcode!r}")
    m = _TCGA.match(barcode.strip().upper())
    if m is None:
        raise DataError(f"{barcode!r} is not a TCGA barcode; expected 'TCGA-XX-XXXX[-...]'")
    return m.group(1)


@dataclass
class PatientJoin:
    """Result of :func:`join_by_patient`.

    Attributes
    ----------
    imaging, genomics : DataFrame
        The two tables restricted to the patients they share, indexed by patient id, same order.
    patients : list of str
        The shared patients.
    only_imaging : list of str
        Patients with imaging but no genomic profile.
    only_genomics : list of str
        Patients with a genomic profile but no imaging.
    """

    imaging: pd.DataFrame
    genomics: pd.DataFrame
    patients: list[str]
    only_imaging: list[str] = field(default_factory=list)
    only_genomics: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        def few(ids: list[str]) -> str:
            return ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")

        lines = [f"{len(self.patients)} patient(s) with both imaging and genomics"]
        if self.only_imaging:
            lines.append(f"{len(self.only_imaging)} with imaging only: {few(self.only_imaging)}")
        if self.only_genomics:
            lines.append(f"{len(self.only_genomics)} with genomics only: {few(self.only_genomics)}")
        return "\n".join(lines)


def _patient_index(
    table: pd.DataFrame, id_col: str | None, name: str, tcga: bool, sample_types: tuple[str, ...] | None
) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise DataError(f"{name} must be a pandas DataFrame, got {type(table).__name__}")
    if id_col is not None:
        if id_col not in table.columns:
            raise DataError(f"{name} has no column {id_col!r} ({name}_id); columns: {list(table.columns)[:10]}")
        ids = table[id_col]
        table = table.drop(columns=id_col)
    else:
        ids = pd.Series(table.index, index=table.index)
    if ids.isna().any():
        raise DataError(f"{name} has {int(ids.isna().sum())} missing patient id(s)")
    raw = [str(v) for v in ids]
    patients = [tcga_patient_id(v) for v in raw] if tcga else [v.strip() for v in raw]
    out = table.copy()
    if tcga and sample_types is not None:
        types = [tcga_sample_type(v) for v in raw]
        keep = [t is None or t in sample_types for t in types]
        out = out.loc[keep]
        raw = [r for r, k in zip(raw, keep) if k]
        patients = [pt for pt, k in zip(patients, keep) if k]
    out.index = pd.Index(patients, name="patient")
    if out.index.has_duplicates:
        dup_patients = set(out.index[out.index.duplicated()])
        examples = [f"{r} -> {p}" for r, p in zip(raw, patients) if p in dup_patients][:6]
        raise DataError(
            f"{name} has several rows for the same patient ({len(dup_patients)} patient(s)): {examples}; "
            "keep one sample per patient (e.g. sample_types='01' for the primary tumour) before joining"
        )
    return out


def join_by_patient(
    imaging: pd.DataFrame,
    genomics: pd.DataFrame,
    *,
    imaging_id: str | None = None,
    genomics_id: str | None = None,
    tcga: bool = True,
    sample_types: str | tuple[str, ...] | None = None,
) -> PatientJoin:
    """Align imaging and genomic tables on patient id and report who is missing on which side.

    Parameters
    ----------
    imaging, genomics : DataFrame
        One row per sample/patient.
    imaging_id, genomics_id : str, optional
        Column holding the id (removed from the output); default: the index.
    tcga : bool
        Ids are TCGA barcodes, truncated to the patient (``TCGA-XX-XXXX``) and upper-cased; a
        non-TCGA id raises :class:`~radiocausal.errors.DataError`.  ``False``: ids used as they are.
    sample_types : str or tuple of str, optional
        With TCGA ids, keep only samples of these types (e.g. ``"01"``, primary solid tumour;
        ``("01", "03")``), which also resolves tumour/normal pairs of one patient; patient-level
        barcodes are always kept.  Default: keep every row.

    Returns
    -------
    PatientJoin
        The aligned tables and the lists of patients present on one side only.

    Raises
    ------
    DataError
        Missing or malformed ids, or several rows mapping to one patient on a side.

    Examples
    --------
    >>> import pandas as pd
    >>> img = pd.DataFrame({"CLID": ["TCGA-AO-A03M", "TCGA-AO-A03V"], "size": [3.1, 2.0]})
    >>> expr = pd.DataFrame({"ESR1": [8.0, 1.0]}, index=["TCGA-AO-A03M-01A-11R", "TCGA-BH-A0AU-01A"])
    >>> joined = join_by_patient(img, expr, imaging_id="CLID")
    >>> joined.patients, joined.only_imaging, joined.only_genomics
    (['TCGA-AO-A03M'], ['TCGA-AO-A03V'], ['TCGA-BH-A0AU'])
    >>> joined.imaging["size"].to_dict()
    {'TCGA-AO-A03M': 3.1}
    """
    if isinstance(sample_types, str):
        sample_types = (sample_types,)
    if sample_types is not None:
        sample_types = tuple(sample_types)
        bad = [t for t in sample_types if not (isinstance(t, str) and re.fullmatch(r"\d{2}", t))]
        if bad:
            raise DataError(f"sample_types must be two-digit TCGA sample type codes like '01', got {bad}")
    img = _patient_index(imaging, imaging_id, "imaging", tcga, sample_types)
    gen = _patient_index(genomics, genomics_id, "genomics", tcga, sample_types)
    img_set, gen_set = set(img.index), set(gen.index)
    both = [p for p in img.index if p in gen_set]
    only_img = [p for p in img.index if p not in gen_set]
    only_gen = [p for p in gen.index if p not in img_set]
    return PatientJoin(img.loc[both], gen.loc[both], both, only_img, only_gen)
