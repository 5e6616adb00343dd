"""The Update rule names only the part of the formula a step uses: plain gradient descent
is x ← x − lr·g with x, g and lr, not SGD's whole momentum/Nesterov rule (issue 21)."""

from __future__ import annotations

import pytest

from app.engine.optimizers import OPTIMIZERS
from app.engine.run import Run, start_state
from app.engine.run.explain import explain
from app.engine.surfaces import SURFACES
from tests.engine.test_symbols import undefined_and_stale

SGD = OPTIMIZERS["sgd"]


def explained(hyperparameters: dict, steps: int = 2):
    bowl = SURFACES["parabola"]
    run = Run(bowl, SGD, SGD.validate(hyperparameters), start_state(bowl, SGD, [1.0]))
    run.advance(steps)
    return explain(run)


def test_plain_gradient_descent_names_only_lr_and_g() -> None:
    e = explained({"lr": 0.1})
    assert e.formula == "x ← x − lr·g"
    assert [symbol for symbol, _ in e.symbols] == ["x", "g", "lr", "←"]
    assert not any("momentum" in meaning or "dampening" in meaning for _, meaning in e.symbols)
    assert not any("b ←" in line or "μ" in line for line in e.substituted)


@pytest.mark.parametrize(
    ("hyperparameters", "formula", "left_out"),
    [
        ({"momentum": 0.9}, "b ← μ·b + g  (b₁ = g);  x ← x − lr·b", {"τ"}),
        (
            {"momentum": 0.9, "dampening": 0.5},
            "b ← μ·b + (1 − τ)·g  (b₁ = g);  x ← x − lr·b",
            set(),
        ),
        (
            {"momentum": 0.9, "nesterov": True},
            "b ← μ·b + g  (b₁ = g);  x ← x − lr·(g + μ·b)",
            {"τ"},
        ),
    ],
)
def test_momentum_names_the_terms_it_uses(hyperparameters, formula, left_out) -> None:
    e = explained({"lr": 0.1, **hyperparameters})
    assert e.formula == formula
    listed = {symbol for symbol, _ in e.symbols}
    assert {"b", "μ"} <= listed and not listed & left_out
    assert undefined_and_stale(e.formula, e.symbols) == (set(), set())  # each named, none stale
    assert all("τ" not in line for line in e.substituted) or "τ" in listed


@pytest.mark.parametrize("preset", SGD.presets, ids=lambda p: p.id)
def test_every_preset_s_rule_names_each_of_its_symbols(preset) -> None:
    e = explained(dict(preset.hyperparameters))
    assert undefined_and_stale(e.formula, e.symbols) == (set(), set())


def test_other_optimizers_still_show_their_whole_formula() -> None:
    bowl, adam = SURFACES["parabola"], OPTIMIZERS["adam"]
    run = Run(bowl, adam, adam.validate({"lr": 0.1}), start_state(bowl, adam, [1.0]))
    e = explain(run)
    assert (e.formula, e.symbols) == (adam.formula, adam.symbols)
