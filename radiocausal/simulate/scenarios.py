"""Seed scenarios: a DAG, node types, coefficients and image drivers, ready to simulate.

Examples
--------
>>> sc = batch_confounding()
>>> sorted(sc.dag.adjustment_sets()[0])
['grade', 'site']
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiocausal.errors import ImageError, ModelError, UnknownNodeError
from radiocausal.graph import CausalDAG
from radiocausal.simulate.genomic import GenomicsSpec

__all__ = ["Scenario", "batch_confounding", "radiogenomic_cohort", "grade_confounding", "selection_collider"]


@dataclass
class Scenario:
    """Everything :func:`simulate_tables` and :func:`write_images` need for one study design.

    Attributes
    ----------
    dag : CausalDAG
    nodes : dict
        Node types and mechanisms (``nodes=`` of :func:`simulate_tables`).
    coefficients : dict
        Structural coefficient per edge.
    drivers : dict
        Image property -> column of ``truth.complete`` (``drivers=`` of :func:`write_images`).
    site : str or None
        Column of site codes for :func:`write_images`.
    genomics : GenomicsSpec or None
        Genomic tables written by :meth:`write_cohort` (``genomics/``); their node genes are
        SCM nodes, the other genes stand for their table's other-genes node of :meth:`cohort_dag`.
    feature_node : str or None
        The node standing for every radiomic feature (recorded in ``truth.json``).
    clinical : tuple of str or None
        Columns written to ``patients.csv`` (default: every observed node).
    """

    dag: CausalDAG
    nodes: dict[str, Any]
    coefficients: dict[tuple[str, str], Any]
    drivers: dict[str, str] = field(default_factory=dict)
    site: str | None = None
    genomics: GenomicsSpec | None = None
    feature_node: str | None = None
    clinical: tuple[str, ...] | None = None

    def cohort_dag(self) -> CausalDAG:
        """The generating DAG of a written cohort: :attr:`dag` plus one node per table of other genes.

        The other genes of a table are drawn independently of every other node (other expressed
        genes depend on the sequencing batch), so their node has no edge to the features.

        Examples
        --------
        >>> dag = radiogenomic_cohort().cohort_dag()
        >>> sorted(dag.parents("other_expression")), sorted(dag.children("other_mutations"))
        (['seq_batch'], [])
        """
        dag = self.dag.copy()
        if self.genomics is not None:
            for node in self.genomics.other_nodes.values():
                if node not in dag:
                    dag.add_node(node)
            if self.genomics.seq_batch is not None and self.genomics.other_expression:
                dag.add_edge(self.genomics.seq_batch, self.genomics.other_nodes["expression"])
        return dag

    def simulate(self, n: int, random_seed: int | None = None, **kwargs: Any):
        """Shortcut for :func:`simulate_tables` with this scenario's model."""
        from radiocausal.simulate.scm import simulate_tables

        return simulate_tables(self.dag, self.coefficients, n, random_seed, nodes=self.nodes, **kwargs)

    def feature_effects(
        self,
        exposure: str,
        settings: Any,
        n: int = 200,
        random_seed: int | None = None,
        *,
        features: Sequence[str] | None = None,
        contrast: tuple[float, float] = (0.0, 1.0),
        n_jobs: int = 1,
        work_dir: str | os.PathLike | None = None,
    ) -> pd.DataFrame:
        """True average causal effect of ``exposure`` on every *extracted* radiomic feature.

        No formula links the simulated nodes to a feature computed from pixels, so the truth is
        obtained by simulation: the same ``n`` patients are drawn under ``do(exposure = x0)``
        and ``do(exposure = x1)`` with common random numbers (the same SCM noise, the same
        tumour shapes, textures and acquisition noise; only the exposure and what it causes
        differ), both image sets are written, features are extracted with
        :func:`radiocausal.features.extract_batch`, and the paired differences averaged.

        Parameters
        ----------
        exposure : str
            A node of the scenario's DAG.
        settings : preset name, mapping or ExtractionSettings
            Extraction settings (as :func:`~radiocausal.features.extract_batch` takes them).
        n : int
            Patients per arm; the Monte-Carlo standard error shrinks as ``1 / sqrt(n)``.
        random_seed : int, optional
        features : sequence of str, optional
            Features to report (default: every feature extracted).
        contrast : (float, float)
            Exposure values ``(x0, x1)``; codes of a discrete exposure.
        n_jobs : int
            Extraction worker processes.
        work_dir : path, optional
            Folder for the images and extracted features of both arms (kept); default a
            temporary folder, removed afterwards.

        Returns
        -------
        DataFrame
            Columns ``feature``, ``effect`` (mean of ``f(x1) - f(x0)`` over the patients) and
            ``se`` (its Monte-Carlo standard error, sd of the differences over ``sqrt(n)``);
            ``attrs`` record the exposure, contrast and ``n``.

        Raises
        ------
        UnknownNodeError, ModelError, ImageError
            Unknown exposure, bad contrast or ``n``, a feature not extracted, or a failed case.

        Examples
        --------
        >>> from radiocausal.features import ExtractionSettings
        >>> small = ExtractionSettings(families=("statistics",), bin_size=10.0)
        >>> fx = batch_confounding().feature_effects("EGFR", small, n=8, random_seed=0,
        ...                                          features=["stat_var", "stat_mean"])
        >>> fx["feature"].tolist(), bool(fx.set_index("feature").loc["stat_var", "effect"] > 0)
        (['stat_var', 'stat_mean'], True)
        """
        from radiocausal.simulate.scm import NodeSpec, _check_n, check_contrast, simulate_do

        if exposure not in self.dag:
            raise UnknownNodeError(f"exposure={exposure!r} is not a node of the DAG; it has {list(self.dag.nodes)}")
        _check_n(n, "n")
        x0, x1 = check_contrast(contrast, {exposure: NodeSpec.parse(exposure, self.nodes[exposure])})
        seed = np.random.SeedSequence(random_seed).generate_state(1)[0]  # one seed shared by both arms
        with tempfile.TemporaryDirectory(prefix="radiocausal-do-") as tmp:
            root = Path(work_dir) if work_dir is not None else Path(tmp)
            arms = []
            for value in (x0, x1):
                table = simulate_do(self.dag, self.coefficients, self.nodes, {exposure: value}, n, random_seed=seed)
                table.index = pd.Index([f"D{i + 1:05d}" for i in range(n)], name="patient_id")
                arms.append(self.image_features(table, root / f"do_{exposure}_{value:g}", settings, int(seed), n_jobs))
        names = list(arms[0].columns) if features is None else list(features)
        missing = [f for f in names if f not in arms[0].columns or f not in arms[1].columns]
        if missing:
            raise ModelError(f"features {missing} were not extracted with these settings; "
                             f"available e.g. {list(arms[0].columns)[:8]}")
        diff = arms[1][names].astype(float) - arms[0][names].astype(float)  # NaN where a feature is undefined
        se = diff.std(ddof=1) / np.sqrt(diff.count())
        out = pd.DataFrame({"feature": names, "effect": diff.mean().to_numpy(), "se": se.to_numpy()})
        out.attrs.update(exposure=exposure, contrast=(x0, x1), n=n)
        return out

    def image_features(
        self,
        table: pd.DataFrame,
        out_dir: str | os.PathLike,
        settings: Any,
        random_seed: int | None = None,
        n_jobs: int = 1,
    ) -> pd.DataFrame:
        """Write the images of ``table``'s patients into ``out_dir`` and extract their features.

        Parameters
        ----------
        table : DataFrame
            Patients with this scenario's driver and site columns (e.g. ``truth.complete``).
        out_dir : path
            Images, ``manifest.csv`` and ``features/`` (the :func:`extract_batch` cache) go here.
        settings : extraction settings
        random_seed : int, optional
            Seed of the images (:func:`write_images`).
        n_jobs : int
            Extraction workers.

        Returns
        -------
        DataFrame
            Features only (no metadata), index ``table.index``.

        Raises
        ------
        ImageError
            A case failed to extract.

        Examples
        --------
        >>> import tempfile
        >>> from radiocausal.features import ExtractionSettings
        >>> sc = batch_confounding()
        >>> data, truth = sc.simulate(3, random_seed=0, n_truth=100)
        >>> feats = sc.image_features(truth.complete, tempfile.mkdtemp(),
        ...                           ExtractionSettings(families=("statistics",)), random_seed=0)
        >>> feats.index.equals(data.index), "stat_mean" in feats
        (True, True)
        """
        from radiocausal.features import extract_batch
        from radiocausal.simulate.images import write_images

        out = Path(out_dir)
        manifest = write_images(table, out, drivers=self.drivers, site=self.site, random_seed=random_seed)
        res = extract_batch(out / "manifest.csv", settings, out / "features", n_jobs=n_jobs, progress=False)
        if not res.failures.empty:
            first = res.failures.iloc[0]
            raise ImageError(
                f"feature extraction failed for {len(res.failures)} simulated case(s), e.g. "
                f"{first['patient_id']}: {first['error_type']}: {first['message']}"
            )
        skip = set(manifest.columns) | {"settings_hash"}
        feats = res.features.set_index("patient_id")
        cols = [c for c in feats.columns if c not in skip and not c.startswith(("version_", "image_"))]
        return feats.loc[manifest["patient_id"], cols].set_axis(table.index)

    def write_cohort(
        self,
        n: int,
        out_dir: str | os.PathLike,
        random_seed: int | None = None,
        *,
        retest: int | float = 0,
        feature_effects: Sequence[str] = (),
        settings: Any = None,
        n_feature_effects: int | None = None,
        n_jobs: int = 1,
        **kwargs: Any,
    ):
        """Simulate ``n`` patients and write a cohort folder.

        Writes ``patients.csv`` (the observed clinical and batch columns, index ``patient_id``),
        ``truth.json`` (the DAG in dagitty text, coefficients, node specs and true effects), the
        images with ``manifest.csv`` (see :func:`write_images`) and, for a scenario with genomic
        tables, ``genomics/mutations_maf.csv``, ``copy_number.csv``, ``expression_counts.csv``,
        ``gene_lengths.csv`` and ``cohort.dag`` (:meth:`cohort_dag`, roles included).

        Parameters
        ----------
        n : int
        out_dir : path
        random_seed : int, optional
        retest : int or float
            Repeat scans of a random subset of the patients (same tumour, new acquisition noise,
            repositioned by about 1 mm), written with ``manifest_retest.csv``: a number of
            patients (``int``) or a fraction of them (``float`` in ``(0, 1]``); 0: none.
        feature_effects : sequence of str
            Exposure nodes whose true effects on the extracted features are computed with
            :meth:`feature_effects` and recorded in ``truth.json`` (this images and extracts
            ``2 * n_feature_effects`` patients per exposure).
        settings : extraction settings
            Required with ``feature_effects``.
        n_feature_effects : int, optional
            Patients per arm (default ``n``).
        n_jobs : int
            Extraction workers for ``feature_effects``.
        **kwargs
            Passed to :func:`simulate_tables` (``n_truth``, ``effects``, ``contrast``).

        Returns
        -------
        data : DataFrame
            Every observed node (genomic node columns included).
        truth : SimulationTruth
        manifest : DataFrame

        Examples
        --------
        >>> import tempfile, json, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp())
        >>> data, truth, manifest = batch_confounding().write_cohort(5, out, random_seed=0, n_truth=1000)
        >>> sorted(p.name for p in out.iterdir())
        ['images', 'manifest.csv', 'patients.csv', 'truth.json']
        >>> round(json.loads((out / "truth.json").read_text(encoding="utf-8"))["ace"][0]["effect"], 6)
        1.0
        """
        from radiocausal.simulate.images import write_images

        n_retest = _retest_count(retest, n)
        if feature_effects and settings is None:
            raise ModelError(f"feature_effects={list(feature_effects)!r} needs extraction settings= (none given)")
        bad = [x for x in feature_effects if x not in self.dag]
        if bad:
            raise ModelError(f"feature_effects names {bad}, not nodes of the DAG; expected some of {list(self.dag.nodes)}")
        if self.genomics is not None and self.feature_node is not None and "effects" not in kwargs:
            genes = list(dict.fromkeys(self.genomics.node_columns()))
            kwargs["effects"] = [(g, self.feature_node) for g in genes]
        data, truth = self.simulate(n, random_seed, **kwargs)
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        manifest = write_images(truth.complete, out, drivers=self.drivers, site=self.site, random_seed=random_seed)
        # streams of their own for the retest subset and the genomic tables (spawn keys that neither
        # simulate_tables nor the per-patient image streams use)
        aux = [np.random.SeedSequence(random_seed, spawn_key=(_AUX_STREAM, k)) for k in (0, 1)]
        if n_retest:
            chosen = np.random.default_rng(aux[0]).choice(n, size=n_retest, replace=False)
            write_images(
                truth.complete, out, drivers=self.drivers, site=self.site, random_seed=random_seed, repeat=1,
                manifest_name="manifest_retest.csv", patients=truth.complete.index[np.sort(chosen)],
            )
        clinical = [c for c in (self.clinical or data.columns) if c in data.columns]
        data[clinical].to_csv(out / "patients.csv")
        record: dict[str, Any] = {
            "dag": self.cohort_dag().to_dagitty(layout=False),
            "random_seed": random_seed,
            "n": n,
            "nodes": {v: asdict(spec) for v, spec in truth.nodes.items()},
            "coefficients": [
                {"cause": c, "effect": e, "value": list(b) if isinstance(b, tuple) else b}
                for (c, e), b in truth.coefficients.items()
            ],
            "contrast": list(truth.contrast),
            "ace": [{"exposure": x, "outcome": y, "effect": v} for (x, y), v in truth.ace.items()],
            "drivers": self.drivers,
            "site": self.site,
        }
        if self.feature_node is not None:
            record["feature_node"] = self.feature_node
        if self.genomics is not None:
            gdir = out / "genomics"
            gdir.mkdir(exist_ok=True)
            tables = self.genomics.tables(truth.complete, aux[1])
            tables["mutations_maf"].to_csv(gdir / "mutations_maf.csv", index=False)
            tables["copy_number"].to_csv(gdir / "copy_number.csv")
            tables["expression_counts"].to_csv(gdir / "expression_counts.csv")
            tables["gene_lengths"].to_csv(gdir / "gene_lengths.csv", index=False)
            (out / "cohort.dag").write_text(self.cohort_dag().to_dagitty(layout=False), encoding="utf-8")
            record["gene_nodes"] = self.genomics.gene_nodes()
            record["genes"] = self.genomics.genes()
        if n_retest:
            record["retest"] = n_retest
        if feature_effects:
            rows = []
            for x in feature_effects:
                fx = self.feature_effects(
                    x, settings, n=n_feature_effects or n, random_seed=random_seed, contrast=truth.contrast,
                    n_jobs=n_jobs,
                )
                rows += [{"exposure": x, "feature": f, "effect": float(e), "se": float(se)}
                         for f, e, se in fx[["feature", "effect", "se"]].itertuples(index=False)]
            record["feature_effects"] = rows
        (out / "truth.json").write_text(json.dumps(record, indent=2, default=_json_default), encoding="utf-8")
        return data, truth, manifest


_AUX_STREAM = 0x5EED


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _retest_count(retest: Any, n: int) -> int:
    """Patients with a repeat scan: ``retest`` as a count (int) or a fraction of ``n`` (float)."""
    if isinstance(retest, bool) or not isinstance(retest, (int, float, np.integer, np.floating)):
        raise ModelError(f"retest={retest!r}: expected a number of patients or a fraction in (0, 1]")
    if isinstance(retest, (float, np.floating)):
        if not 0 <= retest <= 1:
            raise ModelError(f"retest={retest!r}: a fraction must be in [0, 1]")
        return int(round(retest * n))
    if not 0 <= retest <= n:
        raise ModelError(f"retest={retest!r}: expected 0..n={n} patients")
    return int(retest)


BATCH_CONFOUNDING_DAG = """
dag {
  EGFR [exposure]
  texture [outcome]
  site [batch]
  heterogeneity [latent]
  tumour_size [latent]
  roughness [latent]
  site -> EGFR
  site -> texture
  grade -> EGFR
  grade -> heterogeneity
  grade -> tumour_size
  grade -> roughness
  EGFR -> heterogeneity
  heterogeneity -> texture
}
"""


def batch_confounding(
    egfr_effect: float = 1.0,
    site_on_egfr: tuple[float, float, float] = (0.0, 1.5, -1.0),
    site_on_texture: tuple[float, float, float] = (0.0, 1.2, -0.8),
) -> Scenario:
    """Scanner site confounds a mutation and the measured texture; grade confounds too.

    Sites serve populations with different EGFR mutation rates (``site -> EGFR``) and shift the
    measured texture (``site -> texture``; in images: spacing, scale, offset, noise).  Grade
    (ordinal, 3 levels) raises the mutation rate and enlarges, roughens and heterogenises the
    tumour.  EGFR raises the (latent) tissue heterogeneity, which the texture measures.  The
    true effect of EGFR on texture is ``egfr_effect`` (times the unit heterogeneity -> texture
    loading); the naive association is biased by site and grade; ``{grade, site}`` adjusts.

    Parameters
    ----------
    egfr_effect : float
        Coefficient of ``EGFR -> heterogeneity``.
    site_on_egfr, site_on_texture : tuple of 3 floats
        Per-site effects on the EGFR log-odds and on the texture.

    Returns
    -------
    Scenario
    """
    dag = CausalDAG.from_dagitty(BATCH_CONFOUNDING_DAG, name="batch_confounding")
    nodes = {
        "site": {"type": "categorical", "probs": [0.4, 0.35, 0.25]},
        "grade": {"type": "ordinal", "cutpoints": [-1.0, 1.0]},
        "EGFR": {"type": "binary", "intercept": -1.0},
        "heterogeneity": {"type": "continuous", "noise_sd": 0.5},
        "tumour_size": {"type": "continuous", "noise_sd": 0.5},
        "roughness": {"type": "continuous", "noise_sd": 0.5},
        "texture": {"type": "continuous", "noise_sd": 0.5},
    }
    coefficients = {
        ("site", "EGFR"): tuple(site_on_egfr),
        ("site", "texture"): tuple(site_on_texture),
        ("grade", "EGFR"): 0.8,
        ("grade", "heterogeneity"): 0.5,
        ("grade", "tumour_size"): 1.0,
        ("grade", "roughness"): 1.0,
        ("EGFR", "heterogeneity"): float(egfr_effect),
        ("heterogeneity", "texture"): 1.0,
    }
    drivers = {"size": "tumour_size", "roughness": "roughness", "heterogeneity": "heterogeneity"}
    return Scenario(dag, nodes, coefficients, drivers, site="site")


RADIOGENOMIC_DAG = """
dag {
  EGFR [exposure]
  phenotype [outcome]
  site [batch]
  seq_batch [batch]
  MYC_amplification [latent]
  tumour_size [latent]
  roughness [latent]
  heterogeneity [latent]
  enhancement [latent]
  site -> EGFR
  site -> KRAS
  site -> phenotype
  grade -> EGFR
  grade -> MYC_amplification
  grade -> VEGFA
  grade -> MKI67
  grade -> tumour_size
  grade -> roughness
  grade -> heterogeneity
  MYC_amplification -> MYC
  MYC -> tumour_size
  EGFR -> heterogeneity
  EGFR -> DUSP6
  KRAS -> DUSP6
  VEGFA -> enhancement
  tumour_size -> phenotype
  roughness -> phenotype
  heterogeneity -> phenotype
  enhancement -> phenotype
}
"""

#: Other mutated genes of the demo cohort and their frequencies.
OTHER_MUTATIONS = {
    "TP53": 0.42, "CSMD3": 0.25, "LRP1B": 0.20, "STK11": 0.14, "KEAP1": 0.12, "KMT2D": 0.10, "NF1": 0.09,
    "SMARCA4": 0.08, "FAT1": 0.08, "PIK3CA": 0.07, "ARID1A": 0.07, "BRAF": 0.06, "ATM": 0.06, "RBM10": 0.06,
    "RB1": 0.05, "SETD2": 0.05, "EPHA3": 0.05, "MGA": 0.04, "NFE2L2": 0.04, "MET": 0.04, "U2AF1": 0.03,
    "TSC1": 0.02,
}
#: Other copy-number genes: (event frequency, log2 shift of the event).
OTHER_COPY_NUMBER = {
    "CDKN2A": (0.20, -1.2), "NKX2-1": (0.12, 1.0), "TERT": (0.15, 0.5), "SOX2": (0.10, 0.9),
    "CCND1": (0.08, 0.8), "MDM2": (0.05, 1.0), "PTEN": (0.10, -0.7), "SMAD4": (0.08, -0.6),
    "FGFR1": (0.10, 0.9), "CCNE1": (0.06, 0.9), "MCL1": (0.12, 0.6),
}
#: Other expressed genes (housekeeping, lineage, stroma, immune, hypoxia, glycolysis).
OTHER_EXPRESSION = (
    "ACTB", "GAPDH", "B2M", "EEF1A1", "RPLP0", "TPT1", "SFTPC", "SFTPB", "NAPSA", "KRT5", "KRT7", "CEACAM5",
    "MUC1", "EPCAM", "VIM", "CDH1", "CDH2", "SNAI2", "TWIST1", "ZEB1", "COL1A1", "COL3A1", "FN1", "SPARC",
    "PECAM1", "CD34", "PTPRC", "CD3E", "CD8A", "CD4", "MS4A1", "CD68", "CD163", "FOXP3", "PDCD1", "CD274",
    "CTLA4", "LAG3", "HAVCR2", "IFNG", "GZMB", "PRF1", "HIF1A", "CA9", "SLC2A1", "LDHA", "PGK1", "ENO1",
    "TOP2A", "SOX9", "AXL", "ALDH1A1",
)


def radiogenomic_cohort(
    egfr_effect: float = 1.0,
    myc_effect: float = 1.0,
    vegfa_effect: float = 0.8,
    site_on_kras: tuple[float, float, float] = (0.0, 1.6, -1.2),
    site_on_egfr: tuple[float, float, float] = (0.0, 0.6, -0.4),
    site_on_phenotype: tuple[float, float, float] = (0.0, 1.2, -0.8),
    seq_batch: bool = True,
) -> Scenario:
    """The embedded demo: a multi-site radiogenomic cohort with genomic tables and known truth.

    Clinical and batch columns (``patients.csv``): scanner ``site`` (3 levels, a batch: each
    site has its own voxel spacing, intensity scale and offset, and noise, and serves a
    population with its own mutation rates), tumour ``grade`` (ordinal, 3 levels), and
    ``seq_batch`` (sequencing batch, 3 levels; changes library sizes and shifts the other
    expressed genes; no effect on the image).  Radiomic features are one node, ``phenotype``,
    caused by four latent image properties: ``tumour_size``, ``roughness``, ``heterogeneity``
    (texture) and ``enhancement`` (mean intensity), and by ``site`` (acquisition).

    True links of the genomic columns (``truth.json`` ``"genes"`` roles):

    ===========  ============  ==================================  ============================
    column       table         mechanism                           role
    ===========  ============  ==================================  ============================
    EGFR         mutations     EGFR -> heterogeneity               ``causal`` (confounded by
                                                                   grade and site)
    KRAS         mutations     site -> KRAS only; no image effect  ``batch_confounded_null``
    MYC          copy number   MYC log2 ratio -> tumour_size       ``causal`` (grade raises
                                                                   amplification)
    VEGFA        expression    VEGFA -> enhancement                ``causal`` (confounded by
                                                                   grade)
    MKI67        expression    grade -> MKI67; no image effect     ``confounded_null``
    DUSP6        expression    EGFR, KRAS -> DUSP6; no image       ``confounded_null``
                               effect
    22 genes     mutations     frequencies 0.02 - 0.42             ``null``
    11 genes     copy number   gains / deletions in 5 - 20 %       ``null``
    52 genes     expression    seq_batch shifts them               ``null``
    ===========  ============  ==================================  ============================

    Grade also enlarges, roughens and heterogenises the tumour.  The unadjusted scan therefore
    associates KRAS with the features (sites with more KRAS mutations scan brighter), MKI67 with
    size and texture (through grade), DUSP6 with texture (through EGFR); adjusted for the DAG's
    sets (``{grade, site}`` for EGFR, ``{site}`` for KRAS, ``{grade}`` for MKI67, MYC and VEGFA)
    only the causal genes keep an effect.  Expression levels are log2 fold changes from each
    gene's baseline, so the default contrast ``(0, 1)`` of a continuous node is one log2 unit.

    Parameters
    ----------
    egfr_effect, myc_effect, vegfa_effect : float
        Coefficients of ``EGFR -> heterogeneity``, ``MYC -> tumour_size`` and
        ``VEGFA -> enhancement``.
    site_on_kras, site_on_egfr : tuple of 3 floats
        Per-site effects on the mutation log-odds.
    site_on_phenotype : tuple of 3 floats
        Per-site shift of the ``phenotype`` summary node (the images get the site profiles).
    seq_batch : bool
        Simulate a sequencing batch.

    Returns
    -------
    Scenario

    Examples
    --------
    >>> sc = radiogenomic_cohort()
    >>> [sorted(s) for s in sc.dag.adjustment_sets("KRAS", "phenotype")]
    [['site']]
    >>> data, truth = sc.simulate(300, random_seed=0, n_truth=20_000,
    ...                           effects=[("EGFR", "heterogeneity"), ("KRAS", "phenotype")])
    >>> round(truth.ace[("EGFR", "heterogeneity")], 2), round(truth.ace[("KRAS", "phenotype")], 2)
    (1.0, 0.0)
    """
    text = RADIOGENOMIC_DAG if seq_batch else RADIOGENOMIC_DAG.replace("  seq_batch [batch]\n", "")
    dag = CausalDAG.from_dagitty(text, name="radiogenomic_cohort")
    nodes: dict[str, Any] = {
        "site": {"type": "categorical", "probs": [0.4, 0.35, 0.25]},
        "grade": {"type": "ordinal", "cutpoints": [-1.0, 1.0]},
        "EGFR": {"type": "binary", "intercept": -1.6},
        "KRAS": {"type": "binary", "intercept": -1.5},
        "MYC_amplification": {"type": "binary", "intercept": -2.6},
        "MYC": {"type": "continuous", "noise_sd": 0.08},
        "VEGFA": {"type": "continuous", "intercept": -0.4, "noise_sd": 0.7},
        "MKI67": {"type": "continuous", "intercept": -0.9, "noise_sd": 0.5},
        "DUSP6": {"type": "continuous", "intercept": -0.6, "noise_sd": 0.4},
        "tumour_size": {"type": "continuous", "noise_sd": 0.5},
        "roughness": {"type": "continuous", "noise_sd": 0.5},
        "heterogeneity": {"type": "continuous", "noise_sd": 0.5},
        "enhancement": {"type": "continuous", "noise_sd": 0.5},
        "phenotype": {"type": "continuous", "noise_sd": 0.5},
    }
    if seq_batch:
        nodes["seq_batch"] = {"type": "categorical", "probs": [0.4, 0.35, 0.25]}
    coefficients = {
        ("site", "EGFR"): tuple(site_on_egfr),
        ("site", "KRAS"): tuple(site_on_kras),
        ("site", "phenotype"): tuple(site_on_phenotype),
        ("grade", "EGFR"): 0.6,
        ("grade", "MYC_amplification"): 0.6,
        ("grade", "VEGFA"): 0.4,
        ("grade", "MKI67"): 0.9,
        ("grade", "tumour_size"): 1.0,
        ("grade", "roughness"): 1.0,
        ("grade", "heterogeneity"): 0.5,
        ("MYC_amplification", "MYC"): 1.3,
        ("MYC", "tumour_size"): float(myc_effect),
        ("EGFR", "heterogeneity"): float(egfr_effect),
        ("EGFR", "DUSP6"): 1.2,
        ("KRAS", "DUSP6"): 1.0,
        ("VEGFA", "enhancement"): float(vegfa_effect),
        ("tumour_size", "phenotype"): 1.0,
        ("roughness", "phenotype"): 1.0,
        ("heterogeneity", "phenotype"): 1.0,
        ("enhancement", "phenotype"): 1.0,
    }
    genomics = GenomicsSpec(
        mutation_nodes={"EGFR": "EGFR", "KRAS": "KRAS"},
        other_mutations=OTHER_MUTATIONS,
        copy_number_nodes={"MYC": "MYC"},
        other_copy_number=OTHER_COPY_NUMBER,
        expression_nodes={"VEGFA": "VEGFA", "MKI67": "MKI67", "DUSP6": "DUSP6"},
        other_expression=OTHER_EXPRESSION,
        roles={"EGFR": "causal", "KRAS": "batch_confounded_null", "MYC": "causal", "VEGFA": "causal",
               "MKI67": "confounded_null", "DUSP6": "confounded_null"},
        seq_batch="seq_batch" if seq_batch else None,
    )
    drivers = {"size": "tumour_size", "roughness": "roughness", "heterogeneity": "heterogeneity",
               "intensity": "enhancement"}
    clinical = ("site", "grade", "seq_batch") if seq_batch else ("site", "grade")
    return Scenario(dag, nodes, coefficients, drivers, site="site", genomics=genomics, feature_node="phenotype",
                    clinical=clinical)


def grade_confounding(egfr_effect: float = 0.5) -> Scenario:
    """Tumour grade and IDH1 confound EGFR amplification and MRI texture (``models/tumour_grade_confounding.dag``).

    The study DAG of adult diffuse gliomas: age raises the grade, lowers the chance of an IDH1
    mutation and changes texture; IDH1 mutation lowers the grade, makes EGFR amplification rare
    and has its own imaging signs; grade raises EGFR amplification and texture heterogeneity.
    The true effect of EGFR on texture is ``egfr_effect``.  The naive contrast is biased
    upwards (EGFR-amplified tumours are high-grade and IDH-wild-type); adjusting for grade alone
    leaves the back-door path through IDH1 open (and opens EGFR <- IDH1 -> grade <- age ->
    texture); ``{grade, IDH1}`` recovers the truth.  ``texture`` drives the image heterogeneity
    and ``grade`` the tumour size.

    Parameters
    ----------
    egfr_effect : float
        Coefficient of ``EGFR -> texture``.

    Returns
    -------
    Scenario

    Examples
    --------
    >>> sc = grade_confounding()
    >>> [sorted(s) for s in sc.dag.adjustment_sets()]
    [['IDH1', 'grade']]
    """
    dag = CausalDAG.load("tumour_grade_confounding")
    nodes = {
        "age": {"type": "continuous", "noise_sd": 1.0},
        "IDH1": {"type": "binary", "intercept": -0.5},
        "grade": {"type": "ordinal", "cutpoints": [-1.0, 1.0]},
        "EGFR": {"type": "binary", "intercept": -2.0},
        "texture": {"type": "continuous", "noise_sd": 0.5},
    }
    coefficients = {
        ("age", "grade"): 0.8,
        ("age", "IDH1"): -1.0,
        ("age", "texture"): 0.3,
        ("IDH1", "grade"): -1.5,
        ("IDH1", "EGFR"): -1.0,
        ("IDH1", "texture"): -0.6,
        ("grade", "EGFR"): 1.0,
        ("grade", "texture"): 0.6,
        ("EGFR", "texture"): float(egfr_effect),
    }
    return Scenario(dag, nodes, coefficients, {"heterogeneity": "texture", "size": "grade"})


def selection_collider(egfr_effect: float = 0.6, selection_strength: float = 1.2) -> Scenario:
    """Only biopsied nodules are genotyped: selection on a collider (``models/biopsy_selection.dag``).

    Screening-CT lung nodules: smoking lowers the chance of an EGFR mutation and changes the
    lung texture; EGFR makes lepidic-predominant subtypes and larger nodules; the subtype shapes
    nodule size and ground-glass texture; being biopsied (``[selected]``) depends on nodule size
    and smoking.  The population effect of EGFR on ``ggo_texture`` (direct ``egfr_effect`` plus
    the path through the subtype) is not identified by adjustment in the biopsied patients: the
    DAG has no adjustment set.  Selection depends only on variables measured in every screened
    patient (smoking, nodule size), so inverse-probability-of-selection weights fitted on the
    screened population (``simulate(..., keep_screened=True)``), with adjustment for smoking,
    recover it.  ``nodule_size`` drives the image size and ``ggo_texture`` the heterogeneity.

    Parameters
    ----------
    egfr_effect : float
        Coefficient of ``EGFR -> ggo_texture``.
    selection_strength : float
        Coefficient of ``nodule_size -> biopsied`` (log-odds per unit).

    Returns
    -------
    Scenario

    Examples
    --------
    >>> sc = selection_collider()
    >>> sc.dag.adjustment_sets(), sc.dag.selected_nodes
    ([], ('biopsied',))
    """
    dag = CausalDAG.load("biopsy_selection")
    nodes = {
        "smoking": {"type": "binary", "intercept": 0.4},
        "EGFR": {"type": "binary", "intercept": -0.8},
        "subtype": {"type": "binary", "intercept": -1.0},
        "nodule_size": {"type": "continuous", "noise_sd": 0.7},
        "ggo_texture": {"type": "continuous", "noise_sd": 0.5},
        "biopsied": {"type": "binary", "intercept": -2.0},
    }
    coefficients = {
        ("smoking", "EGFR"): -1.5,
        ("smoking", "ggo_texture"): -0.5,
        ("smoking", "biopsied"): 1.0,
        ("EGFR", "subtype"): 1.5,
        ("EGFR", "ggo_texture"): float(egfr_effect),
        ("EGFR", "nodule_size"): 0.8,
        ("subtype", "ggo_texture"): 0.8,
        ("subtype", "nodule_size"): 2.5,
        ("nodule_size", "biopsied"): float(selection_strength),
    }
    return Scenario(dag, nodes, coefficients, {"size": "nodule_size", "heterogeneity": "ggo_texture"})
