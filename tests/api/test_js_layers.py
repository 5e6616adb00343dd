"""The pages' modules import one way: pages → panels → plots/maps → state → net → leaf helpers.

static/js/ is in folders by role (docs/contributing.md). Each folder has a layer; a module may
import from its own folder or from a lower layer, never upward or sideways (a plot importing a
panel to borrow a function, state importing a form). This reads the import statements of every
module — the dependency graph, as app/jsmodules.py reads it — and nothing else of the source.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from app.jsmodules import STATIC_JS, imports, resolve

# Higher imports lower. "" is the root: leaf helpers that import only each other.
LAYERS = {"pages": 5, "panels": 4, "plots": 3, "maps": 3, "state": 2, "net": 1, "": 0}


def folder(module: PurePosixPath) -> str:
    return module.parts[0] if len(module.parts) > 1 else ""


def wrong_way(graph: dict[PurePosixPath, list[str]]) -> list[str]:
    """Every import that runs upward or sideways, or names no module, as a sentence."""
    problems = []
    for module, targets in sorted(graph.items()):
        for spec in targets:
            if not spec.startswith("."):
                problems.append(f"{module} imports {spec!r}: only relative module paths")
                continue
            target = resolve(module, spec)
            if target not in graph:
                problems.append(f"{module} imports {spec!r}: no such module")
                continue
            home, there = folder(module), folder(target)
            if home not in LAYERS:
                problems.append(f"{module}: the folder {home!r} has no layer in LAYERS")
            elif there != home and LAYERS[there] >= LAYERS[home]:
                below, above = there or "leaf", home or "leaf"
                problems.append(f"{module} imports {target}: {below} is not below {above}")
    return problems


def module_graph() -> dict[PurePosixPath, list[str]]:
    return {
        PurePosixPath(path.relative_to(STATIC_JS).as_posix()): imports(path.read_text())
        for path in STATIC_JS.rglob("*.js")
    }


def test_every_module_imports_only_downward():
    graph = module_graph()
    assert len(graph) > 30
    assert wrong_way(graph) == []


def test_every_folder_has_a_layer():
    folders = {folder(m) for m in module_graph()}
    assert folders == set(LAYERS)


@pytest.mark.parametrize(
    ("module", "source", "complaint"),
    [
        (
            "plots/plot1d.js",
            'import { Panel } from "../panels/model.js";',
            "panels is not below plots",
        ),
        (
            "state/track.js",
            'import {\n  F,\n} from "../panels/formula.js";',
            "panels is not below state",
        ),
        ("maps/sweep.js", 'import { O } from "../plots/overlay.js";', "plots is not below maps"),
        ("format.js", 'const api = await import("./net/api.js");', "net is not below leaf"),
        ("net/api.js", 'import "../state/player.js";', "state is not below net"),
        ("net/api.js", 'import { x } from "./missing.js";', "no such module"),
    ],
)
def test_the_check_finds_an_import_that_runs_the_wrong_way(module, source, complaint):
    graph = module_graph()
    graph[PurePosixPath(module)] = graph[PurePosixPath(module)] + imports(source)
    (problem,) = wrong_way(graph)
    assert complaint in problem
