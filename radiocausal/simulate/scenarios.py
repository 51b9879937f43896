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

from radiocausal.errors import ModelError
from radiocausal.graph import CausalDAG

__all__ = ["Scenario", "batch_confounding"]


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
    """

    dag: CausalDAG
    nodes: dict[str, Any]
    coefficients: dict[tuple[str, str], Any]
    drivers: dict[str, str] = field(default_factory=dict)
    site: str | None = None

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
        from radiocausal.errors import UnknownNodeError
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
                arms.append(self._extract(table, root / f"do_{exposure}_{value:g}", settings, int(seed), n_jobs))
        names = list(arms[0].columns) if features is None else list(features)
        missing = [f for f in names if f not in arms[0].columns or f not in arms[1].columns]
        if missing:
            raise ModelError(f"features {missing} were not extracted with these settings; "
                             f"available e.g. {list(arms[0].columns)[:8]}")
        diff = arms[1][names].to_numpy(dtype=float) - arms[0][names].to_numpy(dtype=float)
        count = np.isfinite(diff).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            effect = np.nanmean(np.where(count > 0, diff, 0.0), axis=0)
            se = np.nanstd(diff, axis=0, ddof=1) / np.sqrt(count) if n > 1 else np.full(len(names), np.nan)
        out = pd.DataFrame({"feature": names, "effect": effect, "se": se})
        out.attrs.update(exposure=exposure, contrast=(x0, x1), n=n)
        return out

    def _extract(self, table: pd.DataFrame, out: Path, settings: Any, seed: int, n_jobs: int) -> pd.DataFrame:
        """Write ``table``'s images into ``out`` and extract them; features indexed like ``table``."""
        from radiocausal.errors import ImageError
        from radiocausal.features import extract_batch
        from radiocausal.simulate.images import write_images

        manifest = write_images(table, out, drivers=self.drivers, site=self.site, random_seed=seed)
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

    def write_cohort(self, n: int, out_dir: str | os.PathLike, random_seed: int | None = None, **kwargs: Any):
        """Simulate ``n`` patients and write a cohort folder.

        Writes ``patients.csv`` (observed columns, index ``patient_id``), ``truth.json`` (the DAG in
        dagitty text, coefficients, node specs and true effects), and the images with
        ``manifest.csv`` (see :func:`write_images`).

        Parameters
        ----------
        n : int
        out_dir : path
        random_seed : int, optional
        **kwargs
            Passed to :func:`simulate_tables` (``n_truth``, ``effects``, ``contrast``).

        Returns
        -------
        data : DataFrame
        truth : SimulationTruth
        manifest : DataFrame

        Examples
        --------
        >>> import tempfile, json, pathlib
        >>> out = pathlib.Path(tempfile.mkdtemp())
        >>> data, truth, manifest = batch_confounding().write_cohort(5, out, random_seed=0, n_truth=1000)
        >>> sorted(p.name for p in out.iterdir())
        ['images', 'manifest.csv', 'patients.csv', 'truth.json']
        >>> round(json.loads((out / "truth.json").read_text())["ace"][0]["effect"], 6)
        1.0
        """
        from radiocausal.simulate.images import write_images

        data, truth = self.simulate(n, random_seed, **kwargs)
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        manifest = write_images(truth.complete, out, drivers=self.drivers, site=self.site, random_seed=random_seed)
        data.to_csv(out / "patients.csv")
        record = {
            "dag": self.dag.to_dagitty(layout=False),
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
        (out / "truth.json").write_text(json.dumps(record, indent=2))
        return data, truth, manifest


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
