"""The locks agree with pyproject.toml: every dependency it names is pinned within its range and
hash-checked; the app's lock (the Docker image's) pins what the test lock (.venv's) pins; and
the image installs from it. A dependency added without `make lock` fails here."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
APP = PYPROJECT["project"]["dependencies"]
TEST = PYPROJECT["project"]["optional-dependencies"]["test"]
BUILD = PYPROJECT["build-system"]["requires"]  # the editable install builds without fetching
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def pins(lock: str) -> dict[str, tuple[str, int]]:
    """Each pin of a lock: its version and how many hashes it carries."""
    found = {}
    for block in re.split(r"\n(?=\S)", (ROOT / lock).read_text()):
        if pin := re.match(r"([A-Za-z0-9._-]+)==(\S+)", block):
            found[canonicalize_name(pin[1])] = (pin[2], block.count("--hash=sha256:"))
    return found


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [("requirements.txt", APP), ("requirements-test.txt", APP + TEST + BUILD)],
)
def test_the_lock_pins_each_dependency_within_its_range(lock, requirements):
    pinned = pins(lock)
    for text in requirements:
        requirement = Requirement(text)
        version, _ = pinned[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version), f"{lock}: {requirement.name}=={version}"


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-test.txt"])
def test_every_pin_is_hash_checked(lock):
    assert pins(lock) and all(hashes for _, hashes in pins(lock).values())


def test_the_app_lock_pins_what_the_test_lock_pins():
    test = pins("requirements-test.txt")
    assert {name: test[name][0] for name in pins("requirements.txt")} == {
        name: version for name, (version, _) in pins("requirements.txt").items()
    }


def test_the_image_installs_the_app_lock_and_copies_files_that_exist():
    assert "pip install --require-hashes -r requirements.txt" in DOCKERFILE
    for source in re.findall(r"^COPY (\S+)", DOCKERFILE, re.M):
        assert (ROOT / source).exists(), source
