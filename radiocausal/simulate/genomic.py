"""Genomic tables of a simulated cohort: a MAF-like mutation table, copy number, RNA-seq counts.

A :class:`GenomicsSpec` says which genomic columns are nodes of the structural causal model
(their values come from the simulated patients) and which are *other* genes, drawn
independently of everything but the sequencing batch, with their own frequencies.  The genes of
the three tables are disjoint, so a column name identifies its table.

- **Mutations**: a node's 0/1 value or an other gene's Bernoulli draw gives the functional
  mutation status; each mutated gene gets one MAF row with a protein-changing class
  (``Missense_Mutation`` mostly); a few non-functional rows (``Silent``, ``Intron``) are added for
  wild-type genes, which :func:`radiocausal.genomics.mutation_matrix` does not count.
- **Copy number**: log2 copy ratio, a node's value or ``event * shift + N(0, cn_noise_sd)``
  with a Bernoulli event of an other gene.
- **Expression**: raw integer counts, negative binomial with mean
  ``depth * 2 ** (baseline + level) * length / 2e9`` (``2e9``: a transcriptome of 10^6 TPM
  times 2 kb mean length), ``level`` a node's value (log2 fold change from the gene's baseline)
  or, for an other gene, its sequencing-batch shift plus ``N(0, other_expression_sd)``; the
  library depth varies by patient and sequencing batch (normalisation removes it).

Examples
--------
>>> import pandas as pd
>>> spec = GenomicsSpec(mutation_nodes={"EGFR": "EGFR"}, other_mutations={"TP53": 0.4},
...                     copy_number_nodes={}, other_copy_number={"MYC": (0.2, 1.2)},
...                     expression_nodes={}, other_expression=("ACTB", "GAPDH"))
>>> tables = spec.tables(pd.DataFrame({"EGFR": [1, 0]}, index=["P1", "P2"]), random_seed=0)
>>> sorted(tables)
['copy_number', 'expression_counts', 'gene_lengths', 'mutations_maf']
>>> tables["mutations_maf"].query("Hugo_Symbol == 'EGFR'")["Tumor_Sample_Barcode"].tolist()
['P1']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from radiocausal.errors import DataError, ModelError

__all__ = ["GenomicsSpec", "FUNCTIONAL_CLASS_MIX"]

#: Protein-changing variant classes of simulated mutations and their probabilities.
FUNCTIONAL_CLASS_MIX = {
    "Missense_Mutation": 0.70,
    "Nonsense_Mutation": 0.10,
    "Frame_Shift_Del": 0.07,
    "Frame_Shift_Ins": 0.04,
    "Splice_Site": 0.05,
    "In_Frame_Del": 0.04,
}


@dataclass
class GenomicsSpec:
    """Which genomic columns are SCM nodes, and how the other genes are drawn.

    Parameters
    ----------
    mutation_nodes, copy_number_nodes, expression_nodes : mapping of gene to node
        Genes whose value is a (binary, continuous log2 ratio, continuous log2 fold change)
        node of the structural causal model.
    other_mutations : mapping of gene to float
        Mutation frequency of each other gene.
    other_copy_number : mapping of gene to (float, float)
        ``(event frequency, log2 shift of the event)`` of each other gene (negative: deletion).
    other_expression : sequence of str
        Other expressed genes.
    roles : mapping of gene to str
        Role of each node gene in the truth (``"causal"``, ``"batch_confounded_null"``, ...);
        other genes are ``"null"``.
    seq_batch : str, optional
        Column of sequencing-batch codes; batch ``k > 0`` shifts each other expressed gene by
        its own ``N(0, seq_batch_sd)`` and scales the library depth by ``depth_by_batch[k]``.
    other_nodes : mapping of {"mutations", "copy_number", "expression"} to str
        The DAG node standing for the other genes of each table.
    cn_noise_sd, other_expression_sd, seq_batch_sd : float
    dispersion : float
        Negative-binomial dispersion ``phi`` (variance ``mu + phi * mu^2``).
    depth : float
        Median library size (reads).
    depth_by_batch : sequence of float
        Library-size factor of each sequencing batch.
    gene_seed : int
        Seed of the per-gene constants (baselines, lengths, batch shifts): fixed, so that two
        cohorts of one scenario share their genes.
    """

    mutation_nodes: Mapping[str, str]
    other_mutations: Mapping[str, float]
    copy_number_nodes: Mapping[str, str]
    other_copy_number: Mapping[str, tuple[float, float]]
    expression_nodes: Mapping[str, str]
    other_expression: Sequence[str]
    roles: Mapping[str, str] = field(default_factory=dict)
    seq_batch: str | None = None
    other_nodes: Mapping[str, str] = field(
        default_factory=lambda: {
            "mutations": "other_mutations",
            "copy_number": "other_copy_number",
            "expression": "other_expression",
        }
    )
    cn_noise_sd: float = 0.08
    other_expression_sd: float = 0.5
    seq_batch_sd: float = 0.4
    dispersion: float = 0.05
    depth: float = 2.0e7
    depth_by_batch: Sequence[float] = (1.0, 0.6, 1.3)
    gene_seed: int = 20261125

    def __post_init__(self) -> None:
        tables = {
            "mutations": [*self.mutation_nodes, *self.other_mutations],
            "copy_number": [*self.copy_number_nodes, *self.other_copy_number],
            "expression": [*self.expression_nodes, *self.other_expression],
        }
        seen: dict[str, str] = {}
        for table, genes in tables.items():
            for g in genes:
                if g in seen:
                    raise ModelError(f"gene {g!r} is in both the {seen[g]} and the {table} tables; expected disjoint genes")
                seen[g] = table
        for g, f in self.other_mutations.items():
            if not 0 <= f <= 1:
                raise ModelError(f"other_mutations[{g!r}]={f!r}: expected a frequency in [0, 1]")
        for g, ev in self.other_copy_number.items():
            if len(ev) != 2 or not 0 <= ev[0] <= 1:
                raise ModelError(f"other_copy_number[{g!r}]={ev!r}: expected (frequency in [0, 1], log2 shift)")
        unknown = set(self.roles) - set(seen)
        if unknown:
            raise ModelError(f"roles names gene(s) {sorted(unknown)} that are in no table")

    # ------------------------------------------------------------------ description
    def table_of(self) -> dict[str, str]:
        """Gene -> ``"mutations"``, ``"copy_number"`` or ``"expression"``."""
        out = {g: "mutations" for g in [*self.mutation_nodes, *self.other_mutations]}
        out.update({g: "copy_number" for g in [*self.copy_number_nodes, *self.other_copy_number]})
        out.update({g: "expression" for g in [*self.expression_nodes, *self.other_expression]})
        return out

    def gene_nodes(self) -> dict[str, str]:
        """Every genomic column -> its DAG node (the gene's own node or its table's other-genes node)."""
        nodes = {**self.mutation_nodes, **self.copy_number_nodes, **self.expression_nodes}
        return {g: nodes.get(g, self.other_nodes[t]) for g, t in self.table_of().items()}

    def node_columns(self) -> list[str]:
        """SCM nodes that are genomic columns."""
        return [*self.mutation_nodes.values(), *self.copy_number_nodes.values(), *self.expression_nodes.values()]

    def genes(self) -> dict[str, dict]:
        """Gene -> ``{"table", "role", "node"}`` (plus ``"frequency"`` / ``"event"`` of other genes)."""
        out: dict[str, dict] = {}
        nodes = self.gene_nodes()
        for g, t in self.table_of().items():
            rec: dict = {"table": t, "role": self.roles.get(g, "null"), "node": nodes[g]}
            if g in self.other_mutations:
                rec["frequency"] = float(self.other_mutations[g])
            if g in self.other_copy_number:
                rec["event"] = {"frequency": float(self.other_copy_number[g][0]), "log2_shift": float(self.other_copy_number[g][1])}
            out[g] = rec
        return out

    def gene_constants(self) -> pd.DataFrame:
        """Per expressed gene: ``baseline`` (log2 TPM), ``length`` (bp) and the sequencing-batch shifts."""
        rng = np.random.default_rng(self.gene_seed)
        genes = [*self.expression_nodes, *self.other_expression]
        n_batch = len(self.depth_by_batch)
        shifts = rng.normal(0.0, self.seq_batch_sd, (len(genes), n_batch))
        shifts[:, 0] = 0.0
        shifts[: len(self.expression_nodes)] = 0.0  # node genes: the node is the measured level
        return pd.DataFrame(
            {
                "baseline": rng.uniform(2.0, 9.0, len(genes)),
                "length": np.round(np.exp(rng.normal(7.7, 0.5, len(genes)))).astype(int),
                **{f"batch{k}_shift": shifts[:, k] for k in range(n_batch)},
            },
            index=pd.Index(genes, name="gene"),
        )

    # ------------------------------------------------------------------ simulation
    def tables(
        self, complete: pd.DataFrame, random_seed: int | np.random.SeedSequence | None = None
    ) -> dict[str, pd.DataFrame]:
        """Simulate the genomic tables of the patients of ``complete``.

        Parameters
        ----------
        complete : DataFrame
            One row per patient (index = patient id) with every node column named in this spec
            (and ``seq_batch`` when set), e.g. ``truth.complete``.
        random_seed : int or SeedSequence, optional

        Returns
        -------
        dict of str to DataFrame
            ``mutations_maf`` (long: ``Tumor_Sample_Barcode``, ``Hugo_Symbol``,
            ``Variant_Classification``), ``copy_number`` (patients x genes, log2 ratio),
            ``expression_counts`` (patients x genes, int64), ``gene_lengths`` (``gene``, ``length``).
        """
        needed = self.node_columns() + ([self.seq_batch] if self.seq_batch else [])
        missing = [c for c in needed if c not in complete.columns]
        if missing:
            raise DataError(f"complete lacks node column(s) {missing}; it has {list(complete.columns)}")
        rng = np.random.default_rng(random_seed)
        ids = complete.index.astype(str)
        n = len(ids)

        # mutations
        status = {g: complete[v].to_numpy().astype(int) for g, v in self.mutation_nodes.items()}
        status.update({g: (rng.random(n) < f).astype(int) for g, f in self.other_mutations.items()})
        classes, probs = list(FUNCTIONAL_CLASS_MIX), np.array(list(FUNCTIONAL_CLASS_MIX.values()))
        rows = []
        for g, s in status.items():
            cls = rng.choice(classes, size=n, p=probs / probs.sum())
            silent = rng.random(n) < 0.03
            kind = rng.choice(["Silent", "Intron"], size=n)
            for i in range(n):
                if s[i]:
                    rows.append((ids[i], g, cls[i]))
                elif silent[i]:
                    rows.append((ids[i], g, kind[i]))
        maf = pd.DataFrame(rows, columns=["Tumor_Sample_Barcode", "Hugo_Symbol", "Variant_Classification"])
        maf = maf.sort_values(["Tumor_Sample_Barcode", "Hugo_Symbol"], kind="stable").reset_index(drop=True)

        # copy number
        cn = {g: complete[v].to_numpy(dtype=float) for g, v in self.copy_number_nodes.items()}
        for g, (freq, shift) in self.other_copy_number.items():
            cn[g] = (rng.random(n) < freq) * shift + rng.normal(0.0, self.cn_noise_sd, n)
        copy_number = pd.DataFrame(cn, index=pd.Index(ids, name="patient_id")).round(4)

        # expression
        const = self.gene_constants()
        batch = complete[self.seq_batch].to_numpy().astype(int) if self.seq_batch else np.zeros(n, int)
        if batch.min() < 0 or batch.max() >= len(self.depth_by_batch):
            raise DataError(
                f"column {self.seq_batch!r} has codes {sorted(set(batch.tolist()))}; expected 0..{len(self.depth_by_batch) - 1}"
            )
        level = np.column_stack(
            [complete[v].to_numpy(dtype=float) for v in self.expression_nodes.values()]
            + [rng.normal(0.0, self.other_expression_sd, n) for _ in self.other_expression]
        )
        shift = const[[f"batch{k}_shift" for k in range(len(self.depth_by_batch))]].to_numpy().T[batch]
        depth = self.depth * np.exp(rng.normal(0.0, 0.25, n)) * np.asarray(self.depth_by_batch)[batch]
        mu = depth[:, None] * np.exp2(const["baseline"].to_numpy() + level + shift) * const["length"].to_numpy() / 2e9
        lam = rng.gamma(1.0 / self.dispersion, mu * self.dispersion)  # gamma-Poisson = negative binomial
        counts = pd.DataFrame(
            rng.poisson(lam).astype(np.int64), index=pd.Index(ids, name="patient_id"), columns=const.index.tolist()
        )
        lengths = const["length"].rename_axis("gene").reset_index()
        return {"mutations_maf": maf, "copy_number": copy_number, "expression_counts": counts, "gene_lengths": lengths}
