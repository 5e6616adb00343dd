"""The pages' ES modules (static/js) as a graph, read from their import statements in one place.

tests/api/test_js_layers.py checks that the graph runs one way; the HTML export
(app/api/export.py) carries the modules a replay draws with inside its one file, each under a
bare name (``descent-lab/plots/plot2d.js``) that the file's import map resolves, because a
module inlined as a ``data:`` URL has no folder for its relative imports to start from.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

STATIC_JS = Path(__file__).resolve().parent.parent / "static" / "js"
BARE_PREFIX = "descent-lab/"

# `import … from "x"` and `export … from "x"` (over several lines), `import "x"`, `import("x")`:
# each alternative captures the specifier in a group of its own.
IMPORT = re.compile(
    r"""^\s*(?:import|export)\b[^;"']*?\bfrom\s*["']([^"']+)["']"""
    r"""|^\s*import\s*["']([^"']+)["']"""
    r"""|\bimport\(\s*["']([^"']+)["']\s*\)""",
    re.M | re.S,
)


def specifier_spans(source: str) -> list[tuple[int, int]]:
    """Where each import specifier's text sits in ``source`` (start, end), in order."""
    spans = []
    for match in IMPORT.finditer(source):
        group = next(g for g in range(1, 4) if match.group(g) is not None)
        spans.append(match.span(group))
    return spans


def imports(source: str) -> list[str]:
    """The module specifiers ``source`` imports, in order.

    >>> imports('import { a } from "./a.js";\\nexport {\\n  b,\\n} from "../b.js";')
    ['./a.js', '../b.js']
    >>> imports('import "./c.js"; const d = await import("./d.js");')
    ['./c.js', './d.js']
    """
    return [source[start:end] for start, end in specifier_spans(source)]


def resolve(module: PurePosixPath, specifier: str) -> PurePosixPath:
    """The module a relative ``specifier`` in ``module`` names, both relative to static/js.

    >>> resolve(PurePosixPath("plots/plot2d.js"), "../facts.js")
    PurePosixPath('facts.js')
    >>> resolve(PurePosixPath("plots/plot2d.js"), "./overlay.js")
    PurePosixPath('plots/overlay.js')
    """
    parts: list[str] = []
    for part in PurePosixPath(module.parent, specifier).parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return PurePosixPath(*parts)


def bare_name(module: PurePosixPath) -> str:
    return BARE_PREFIX + module.as_posix()


def with_bare_imports(module: PurePosixPath, source: str) -> str:
    """``source`` with each relative import rewritten to its module's bare name.

    >>> with_bare_imports(PurePosixPath("plots/plot2d.js"), 'import { F } from "../facts.js";')
    'import { F } from "descent-lab/facts.js";'
    """
    out = []
    at = 0
    for start, end in specifier_spans(source):
        out.append(source[at:start])
        out.append(bare_name(resolve(module, source[start:end])))
        at = end
    out.append(source[at:])
    return "".join(out)


def import_map(entries: Iterable[str], root: Path = STATIC_JS) -> dict[str, dict[str, str]]:
    """An import map holding ``entries`` (paths under ``root``) and every module they import,
    each as a ``data:`` URL of its source with bare imports, under its bare name."""
    modules: dict[str, str] = {}
    todo = [PurePosixPath(e) for e in entries]
    while todo:
        module = todo.pop()
        name = bare_name(module)
        if name in modules:
            continue
        source = (root / module).read_text("utf-8")
        encoded = base64.b64encode(with_bare_imports(module, source).encode()).decode()
        modules[name] = f"data:text/javascript;base64,{encoded}"
        todo.extend(resolve(module, spec) for spec in imports(source))
    return {"imports": dict(sorted(modules.items()))}
