"""Graph helpers of the pipeline steps: pair checks, hypothesised edges, the structural model's DAG, truth."""

from __future__ import annotations

from radiocausal.graph import CausalDAG
from radiocausal.pipeline import check_pairs
from radiocausal.pipeline._tables import TruthEffects
from radiocausal.pipeline.steps import hypothesis_dag, structural_dag

DAG = """dag {
  U [latent]
  site [batch]
  site -> EGFR -> phenotype ; site -> phenotype ; grade -> EGFR ; grade -> phenotype
  U -> MET ; U -> phenotype ; MET -> phenotype
  site -> KRAS
}"""


def test_an_unidentifiable_pair_is_refused_with_the_explanation_and_the_others_are_checked():
    dag = CausalDAG.from_dagitty(DAG)
    rows, notes = check_pairs(dag, [("MET", "phenotype"), ("EGFR", "phenotype")])
    met, egfr = rows
    assert met["identifiable"] is False and met["adjustment_set"] is None and met["minimal_sets"] == []
    assert "MET <- U -> phenotype" in met["explanation"]
    assert notes == ["pair MET -> phenotype is refused: the DAG cannot identify it by adjustment"]
    # the O-set is unavailable (the outcome has a latent parent): the smallest minimal set is taken
    assert egfr["identifiable"] and egfr["adjustment_set"] == ["grade", "site"] and egfr["kind"] == "minimal"
    verdicts = {n["label"]: n["valid"] for n in egfr["naive"]}
    assert verdicts == {"unadjusted": False, "all measured covariates": True, "batch nodes only": False}
    assert "MET" in next(n for n in egfr["naive"] if n["label"] == "all measured covariates")["set"]


def test_a_pair_without_a_causal_path_is_checked_with_the_hypothesised_edge():
    dag = CausalDAG.from_dagitty(DAG)
    assert hypothesis_dag(dag, "EGFR", "phenotype") is dag
    rows, notes = check_pairs(dag, [("KRAS", "phenotype")])
    assert rows[0]["identifiable"] and rows[0]["adjustment_set"] == ["site"]
    assert "no directed path from KRAS to phenotype" in notes[0]


def test_structural_dag_projects_latent_nodes_and_keeps_only_simulated_mechanisms():
    dag = CausalDAG.from_dagitty("dag { h [latent] ; U [latent] ; EGFR -> h -> phenotype ; grade -> EGFR ; "
                                 "grade -> phenotype ; U -> A ; U -> B ; A -> phenotype ; B -> phenotype }")
    full = structural_dag(dag, "phenotype")
    assert ("EGFR", "phenotype") in full.edges and "h" not in full.nodes and "U" not in full.nodes
    assert {frozenset(e) for e in full.bidirected_edges} == {frozenset(("A", "B"))}   # U's children share a cause
    small = structural_dag(dag, "phenotype", ["EGFR"])
    assert sorted(small.edges) == [("A", "phenotype"), ("B", "phenotype"), ("EGFR", "phenotype"),
                                   ("grade", "phenotype")]
    assert ("grade", "EGFR") not in small.edges   # EGFR's own mechanism is not needed for do(EGFR)


def test_truth_is_recorded_or_zero_without_a_path_to_the_image():
    t = TruthEffects({"dag": DAG, "feature_node": "phenotype", "gene_nodes": {"TP53": "other"},
                      "ace": [{"exposure": "EGFR", "outcome": "phenotype", "effect": 1.0}],
                      "feature_effects": [{"exposure": "EGFR", "feature": "stat_var", "effect": 160.0}]})
    assert t.get(("EGFR", "stat_var")) == 160.0 and t.get(("EGFR", "phenotype")) == 1.0
    assert t.get(("KRAS", "stat_mean")) == 0.0                  # no path from KRAS to the image
    assert t.get(("TP53", "stat_mean")) is None                 # its node is not in the DAG: unknown
    assert t.get(("EGFR", "stat_mean"), "unknown") == "unknown"
