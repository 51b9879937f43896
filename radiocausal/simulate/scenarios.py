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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

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
