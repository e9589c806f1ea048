"""The environment the tests run in is exactly requirements.lock, and the lock fits pyproject.toml.

Drift is named package by package with the command that mends it, so a green run always means
"green on what a fresh machine installs".
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .conftest import REPO

# Installed by the venv itself or being the project, not by the lock.
NOT_LOCKED = {"pip", "ims-brochures"}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.MULTILINE)


def locked() -> dict[str, str]:
    text = (REPO / "requirements.lock").read_text(encoding="utf-8")
    return {canonicalize_name(name): version for name, version in _PIN.findall(text)}


def installed() -> dict[str, str]:
    return {canonicalize_name(dist.metadata["Name"]): dist.version
            for dist in metadata.distributions()}


def test_every_locked_package_has_a_hash():
    text = (REPO / "requirements.lock").read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 1)[1])
    pinned = [block for block in blocks if _PIN.match(block)]
    assert len(pinned) == len(locked()) > 20
    for block in pinned:
        assert "--hash=sha256:" in block, block.splitlines()[0]


def test_installed_packages_are_exactly_the_lock():
    lock, have = locked(), installed()
    problems = []
    for name, version in sorted(lock.items()):
        if name not in have:
            problems.append(f"{name} {version} is in requirements.lock but not installed")
        elif have[name] != version:
            problems.append(f"{name} {have[name]} is installed but requirements.lock pins "
                            f"{version}")
    for name in sorted(set(have) - set(lock) - NOT_LOCKED):
        problems.append(f"{name} {have[name]} is installed but not in requirements.lock "
                        "(uninstall it, or add it to pyproject.toml and run `make lock`)")
    assert not problems, ("the environment differs from the lock; run `make sync` to install "
                          "exactly the lock:\n  " + "\n  ".join(problems))


def test_lock_satisfies_pyproject_ranges():
    """Editing a range in pyproject.toml without `make lock` is caught here."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = [*project["project"]["dependencies"],
              *project["project"]["optional-dependencies"]["test"],
              *project["build-system"]["requires"]]
    lock = locked()
    for line in wanted:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{requirement.name} is not in requirements.lock; run `make lock`"
        assert requirement.specifier.contains(lock[name], prereleases=True), (
            f"requirements.lock pins {name} {lock[name]}, outside pyproject.toml's "
            f"{requirement.specifier}; run `make lock`")


def test_the_renderer_starts_without_searching_for_its_libraries_with_gcc():
    """WeasyPrint looks for each C library under six platform names; the standard lookup runs
    ldconfig, gcc and ld for every miss (54 processes per build). One ldconfig listing does."""
    probe = (
        "import subprocess, sys\n"
        "started = []\n"
        "original = subprocess.Popen.__init__\n"
        "def record(self, args, *rest, **options):\n"
        "    started.append(str(args[0]))\n"
        "    return original(self, args, *rest, **options)\n"
        "subprocess.Popen.__init__ = record\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "import brochurekit.pdf\n"
        "print(' '.join(started))\n")
    result = subprocess.run([sys.executable, "-c", probe, str(REPO)], capture_output=True,
                            text=True, check=True)
    assert result.stdout.split() == ["/sbin/ldconfig"], result.stdout
