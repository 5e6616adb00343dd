"""The docs hold to the code: every relative link in README.md and docs/*.md reaches a file (and
a heading in it), every `make <target>` they name is a target of the Makefile, and
docs/operations.md lists every setting with the default and help text app/settings.py gives it.

Each check is a function returning what it found wrong, so the tests below can show it
failing on a broken input as well as passing on the docs as they are."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
OPERATIONS = ROOT / "docs" / "operations.md"

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def prose(text: str) -> str:
    """The text with fenced code blocks and code spans blanked out: links and headings in code
    (a `# comment` in a shell example) are not the document's."""
    text = FENCE.sub("", text)
    return CODE_SPAN.sub("", text)


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to
    hyphens (markup such as backticks and link targets taken out first)."""
    heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    kept = "".join(c for c in heading.lower() if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for heading in HEADING.findall(FENCE.sub("", text)):
        base = slug(heading)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def broken_links(path: Path, text: str) -> list[str]:
    """Each relative link in `text` (the document at `path`) whose file or heading is
    missing."""
    problems = []
    for target in LINK.findall(prose(text)):
        if SCHEME.match(target) or target.startswith("/"):
            continue  # a web address, or a path on the running server: not a file here
        file_part, _, fragment = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            problems.append(f"{path.name}: {target}: no file {file_part}")
            continue
        if fragment and linked.suffix == ".md" and fragment not in anchors(linked.read_text()):
            problems.append(f"{path.name}: {target}: no heading #{fragment} in {linked.name}")
    return problems


def makefile_targets(makefile: str) -> set[str]:
    """The Makefile's targets, with its simple `NAME := value` variables expanded."""
    variables = dict(re.findall(r"^(\w+)\s*:?=\s*(.*?)\s*$", makefile, re.M))
    targets = set()
    for line in re.findall(r"^([^\s#=:][^=:]*):(?!=)", makefile, re.M):
        for target in line.split():
            for _ in range(3):  # a variable's value may name another
                target = re.sub(r"\$\((\w+)\)", lambda m: variables.get(m[1], m[0]), target)
            targets.add(target)
    return targets - {".PHONY"}


def make_targets_named(text: str) -> set[str]:
    """Targets the document tells the reader to run: `make x` in a code span, or a line of a
    fenced code block that starts with `make x`."""
    named = {m for span in CODE_SPAN.findall(text) for m in re.findall(r"^make ([^\s`]+)", span[1])}
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, re.M | re.S):
        named |= set(re.findall(r"^\s*make ([^\s#]+)", block, re.M))
    return named


def undocumented_settings(text: str) -> list[str]:
    """Each setting whose row in the settings table is missing, or whose default or help
    differs from app/settings.py; and each row naming no setting."""
    rows = {
        name: (default, meaning)
        for name, default, meaning in re.findall(
            r"^\| `(DESCENT_LAB_\w+)` \| `([^`]*)` \| (.*?) \|$", text, re.M
        )
    }
    problems = []
    for name, field in Settings.model_fields.items():
        variable = f"DESCENT_LAB_{name.upper()}"
        if variable not in rows:
            problems.append(f"{variable}: not in the settings table")
            continue
        default, meaning = rows.pop(variable)
        value = field.default
        same = (
            float(default) == value
            if isinstance(value, (int, float)) and re.fullmatch(r"[\d.e+-]+", default)
            else default == str(value)
        )
        if not same:
            problems.append(f"{variable}: default {default!r}, the code says {value!r}")
        if meaning != field.description:
            problems.append(f"{variable}: its help differs from app/settings.py")
    problems += [f"{variable}: no such setting" for variable in rows]
    return problems


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_reaches_a_file_and_heading(path: Path) -> None:
    assert broken_links(path, path.read_text()) == []


def test_every_make_target_the_docs_name_is_in_the_makefile() -> None:
    targets = makefile_targets((ROOT / "Makefile").read_text())
    named = {t for path in DOCS for t in make_targets_named(path.read_text())}
    assert {"run", "test", "bench"} <= named  # the docs' own commands are read
    assert sorted(named - targets) == []


def test_operations_lists_every_setting_as_the_code_has_it() -> None:
    assert undocumented_settings(OPERATIONS.read_text()) == []


# The checks fail when the docs are wrong.


def test_a_link_to_a_missing_file_or_heading_is_found() -> None:
    guide = ROOT / "docs" / "guide.md"
    text = "[ok](api.md#errors) [gone](no-such.md) [bad](api.md#no-such-heading) `[code](x.md)`"
    assert broken_links(guide, text) == [
        "guide.md: no-such.md: no file no-such.md",
        "guide.md: api.md#no-such-heading: no heading #no-such-heading in api.md",
    ]
    assert broken_links(guide, "[self](#no-such-section)") != []
    assert broken_links(ROOT / "README.md", "![shot](docs/missing.png)") != []


def test_headings_become_githubs_anchors() -> None:
    text = "# The engine (`app/engine/`)\n## What happened: outcomes\n## A\n## A\n```sh\n# not\n```"
    assert anchors(text) == {"the-engine-appengine", "what-happened-outcomes", "a", "a-1"}


def test_a_make_target_missing_from_the_makefile_is_found() -> None:
    makefile = "VENV := .venv\nrun: $(VENV)/.installed\n$(VENV)/.installed: x\n.PHONY: run\n"
    assert makefile_targets(makefile) == {"run", ".venv/.installed"}
    named = make_targets_named("Run `make run`, then:\n\n```sh\nmake deploy  # push\n```\n")
    assert named == {"run", "deploy"}
    assert named - makefile_targets(makefile) == {"deploy"}


def test_a_setting_left_out_or_out_of_date_is_found() -> None:
    text = OPERATIONS.read_text()
    row = re.search(r"^\| `DESCENT_LAB_MAX_STEPS` .*\n", text, re.M)[0]
    assert undocumented_settings(text.replace(row, "")) == [
        "DESCENT_LAB_MAX_STEPS: not in the settings table"
    ]
    stale = text.replace(row, row.replace("`10000`", "`5000`"))
    assert undocumented_settings(stale) == [
        "DESCENT_LAB_MAX_STEPS: default '5000', the code says 10000"
    ]
    reworded = text.replace(row, row.replace("Most steps", "The most steps"))
    assert undocumented_settings(reworded) == [
        "DESCENT_LAB_MAX_STEPS: its help differs from app/settings.py"
    ]
    extra = text.replace(row, row + "| `DESCENT_LAB_GONE` | `1` | Removed. |\n")
    assert undocumented_settings(extra) == ["DESCENT_LAB_GONE: no such setting"]
