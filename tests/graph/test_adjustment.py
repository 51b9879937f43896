"""Adjustment sets and their explanations on the canonical graphs."""

from __future__ import annotations

import pytest

from radiocausal.graph import CausalDAG


def test_canonical_graphs_minimal_sets(canonical):
    name, dag, expected = canonical
    got = dag.adjustment_sets()
    assert got == [frozenset(s) for s in expected], name
    verdict = dag.adjustment_sets(kind="canonical")
    assert (verdict != []) == (expected != []), name
    for s in got:
        assert dag.is_adjustment_set(s), name


def test_semantics_of_empty_results(chain, latent_free=None):
    assert chain.adjustment_sets() == [frozenset()]  # nothing needed
    blocked = CausalDAG.from_dagitty("dag { x [exposure] y [outcome] u [latent] u -> x ; u -> y ; x -> y }")
    assert blocked.adjustment_sets() == []  # nothing works
    assert blocked.adjustment_sets(kind="canonical") == []
    assert blocked.adjustment_sets(kind="optimal") == []
    assert blocked.adjustment_sets(kind="minimum") == []
    why = blocked.explain_adjustment([])
    assert not why.is_valid
    assert any("x <- u -> y" in p for p in why.problems)
    assert any("no set of observed covariates" in n for n in why.notes)


def test_bidirected_edge_reported_as_such():
    dag = CausalDAG.from_dagitty("dag { x [exposure] y [outcome] x -> y ; x <-> y }")
    why = dag.explain_adjustment([])
    assert any("`x <-> y`" in p for p in why.problems)


def test_m_bias_collider_explained(m_bias):
    why = m_bias.explain_adjustment(["m"])
    assert not why.is_valid
    assert "adjusting for `m` opens the non-causal path `x <- a -> m <- b -> y` (collider)" in why.problems
    assert m_bias.is_adjustment_set(["m", "a"])
    assert m_bias.derived_roles()["m"] == ("collider",)


def test_mediator_explained():
    dag = CausalDAG.from_dagitty("dag { EGFR [exposure] texture [outcome] EGFR -> necrosis -> texture ; EGFR -> texture }")
    why = dag.explain_adjustment(["necrosis"])
    assert "`necrosis` is a mediator on `EGFR -> necrosis -> texture`: adjusting for it blocks part of the effect" in why.problems


def test_descendant_of_outcome_explained():
    dag = CausalDAG.from_dagitty("dag { x [exposure] y [outcome] x -> y -> d }")
    why = dag.explain_adjustment(["d"])
    assert any("`d` is a descendant of the outcome `y`" in p for p in why.problems)


def test_backdoor_left_open_and_batch_message(batch_confounded):
    why = batch_confounded.explain_adjustment([])
    assert "the back-door path `EGFR <- site -> texture` stays open" in why.problems
    assert any("batch node(s) `site`" in p for p in why.problems)
    assert batch_confounded.explain_adjustment(["site"]).is_valid
    assert "confounder" in batch_confounded.derived_roles()["site"]


def test_selection_makes_effect_unrecoverable(selection):
    assert selection.adjustment_sets() == []
    why = selection.explain_adjustment(["g"])
    assert not why.is_valid
    assert any("associated with study inclusion" in p for p in why.problems)
    # without the selection the confounder suffices
    assert selection.adjustment_sets(selection=()) == [frozenset({"g"})]


def test_selection_on_a_cause_of_the_exposure_is_harmless():
    dag = CausalDAG.from_dagitty("dag { x [exposure] y [outcome] s [selected] s -> x ; g -> x ; g -> y ; x -> y }")
    assert dag.adjustment_sets() == [frozenset({"g"})]


def test_selection_on_a_cause_of_the_outcome_is_explained():
    dag = CausalDAG.from_dagitty("dag { x [exposure] y [outcome] s [selected] s -> y ; x -> y }")
    assert dag.adjustment_sets() == []
    why = dag.explain_adjustment([])
    assert any("selection on `s`" in p for p in why.problems)


def test_all_kinds_on_a_radiogenomic_study():
    dag = CausalDAG.from_dagitty(
        """dag {
        EGFR [exposure] texture [outcome] scanner [batch]
        grade -> EGFR -> texture ; grade -> texture
        EGFR -> necrosis -> texture
        scanner -> texture
        smoking -> grade ; smoking -> EGFR ; smoking -> texture
        }"""
    )
    assert dag.adjustment_sets() == [frozenset({"grade", "smoking"})]
    assert dag.adjustment_sets(kind="optimal") == [frozenset({"grade", "scanner", "smoking"})]
    assert dag.adjustment_sets(kind="canonical") == [frozenset({"grade", "scanner", "smoking"})]
    assert dag.adjustment_sets(kind="minimum") == [frozenset({"grade", "smoking"})]
    assert dag.adjustment_sets(exclude=["smoking"]) == []
    roles = dag.derived_roles()
    assert roles["grade"] == ("confounder",)
    assert roles["necrosis"] == ("mediator", "descendant_of_exposure")
    assert roles["scanner"] == ("precision",)
    assert roles["smoking"] == ("confounder",)


def test_minimum_cost_prefers_cheap_assays(butterfly):
    # {a, m} and {b, m} are both minimal; a is an expensive assay
    assert butterfly.adjustment_sets(kind="minimum", costs={"a": 5.0}) == [frozenset({"b", "m"})]
    assert butterfly.adjustment_sets(kind="minimum") == [frozenset({"a", "m"}), frozenset({"b", "m"})]
    with pytest.raises(ValueError, match="positive finite"):
        butterfly.adjustment_sets(kind="minimum", costs={"a": 0})


def test_declared_adjusted_nodes_are_the_default_set():
    dag = CausalDAG.from_dagitty("dag { x [exposure] y [outcome] g [adjusted] g -> x ; g -> y ; x -> y }")
    assert dag.is_adjustment_set()
    assert dag.explain_adjustment().is_valid
    dag.remove_role("g", "adjusted")
    assert not dag.is_adjustment_set()


def test_instrument_and_precision_roles():
    dag = CausalDAG.from_dagitty("dag { x [exposure] y [outcome] z -> x -> y ; u [latent] u -> x ; u -> y ; p -> y }")
    roles = dag.derived_roles()
    assert roles["z"] == ("instrument",)
    assert roles["p"] == ("precision",)
    assert "confounder" in roles["u"]


def test_direct_effect_sets():
    dag = CausalDAG.from_dagitty("dag { Z a [exposure] b c [outcome] Z -> a ; Z -> b ; Z -> c ; a -> b ; a -> c ; b -> c }")
    assert dag.adjustment_sets(effect="direct") == [frozenset({"Z", "b"})]
    assert dag.adjustment_sets() == [frozenset({"Z"})]
    with pytest.raises(ValueError, match="effect must be one of"):
        dag.adjustment_sets(effect="indirect")


def test_declared_adjusted_nodes_do_not_block_fixed_sets():
    dag = CausalDAG.from_dagitty("dag { x [exposure] y [outcome] g [adjusted] c -> x ; c -> y ; g -> y ; x -> y }")
    assert dag.adjustment_sets() == [frozenset({"c", "g"})]
    assert dag.adjustment_sets(kind="optimal") == [frozenset({"c", "g"})]
    assert dag.adjustment_sets(kind="canonical") == [frozenset({"c", "g"})]


def test_unblockable_path_note_only_when_nothing_observed_can_block():
    dag = CausalDAG.from_dagitty("dag { x [exposure] y [outcome] x -> y ; x <-> b ; b -> y }")
    why = dag.explain_adjustment([])
    assert not any("no set of observed covariates can block it" in n for n in why.notes)
    assert dag.adjustment_sets() == [frozenset({"b"})]
    dag2 = CausalDAG.from_dagitty("dag { x [exposure] y [outcome] u [latent] x -> y ; u -> x ; u -> y }")
    assert any("only through unobserved u" in n for n in dag2.explain_adjustment([]).notes)


def test_every_open_backdoor_path_is_listed():
    dag = CausalDAG.from_dagitty(
        "dag { x [exposure] y [outcome] a -> x ; a -> y ; b -> x ; b -> y ; c -> x ; c -> y ; x -> y }"
    )
    why = dag.explain_adjustment([])
    for v in "abc":
        assert f"the back-door path `x <- {v} -> y` stays open" in why.problems
    assert len(dag.explain_adjustment([], max_paths=1).problems) == 1
    assert dag.explain_adjustment(["a", "b"]).problems == ["the back-door path `x <- c -> y` stays open"]
