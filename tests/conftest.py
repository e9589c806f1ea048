"""Shared fixtures: a throw-away copy of the project, and running the CLI as a user would."""

from __future__ import annotations

import compileall
import os
import subprocess
import sys
from pathlib import Path

import pytest

from brochurekit.project import copy_project_inputs

REPO = Path(__file__).resolve().parent.parent
def copy_project(target: Path) -> Path:
    """The project's inputs copied to `target` (without build products)."""
    return copy_project_inputs(REPO, target)


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`python cli.py ARGS`, exactly as the README runs it. Builds take one worker process
    unless a test says `--jobs`: the test processes keep every core busy already, and a second
    worker would only warm its fonts again (the tests of the workers, and of the whole matrix,
    ask for two)."""
    return subprocess.run(
        [sys.executable, str(REPO / "cli.py"), *args],
        cwd=cwd or REPO, capture_output=True, text=True, timeout=900,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "IMS_BROCHURE_JOBS": "1"},
    )


def read_yaml_text(tmp_path: Path, content: str | bytes):
    """`content` written to a file and read by the project's strict YAML reader."""
    from brochurekit.yamlfiles import read_yaml

    path = tmp_path / "clinic.yaml"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return read_yaml(path)


def yaml_error(tmp_path: Path, content: str | bytes) -> str:
    """The message the strict YAML reader gives for `content`."""
    from brochurekit.errors import InputError

    with pytest.raises(InputError) as caught:
        read_yaml_text(tmp_path, content)
    return str(caught.value)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


# Modules whose tests share one expensive fixture (the whole matrix build; a clinic built and
# proofed), so they must all run on one xdist worker, or each worker builds it again. xdist's
# own xdist_group marker no longer works with pytest 9 (it renames node ids through an
# attribute pytest 9 does not read), so the grouping is done here.
SAME_WORKER_MODULES = ("tests/test_build.py", "tests/test_proof.py")


def pytest_configure(config):
    """Compile the engine's bytecode once, in the controller. The CLI runs in hundreds of
    subprocesses that write no bytecode (so a test run leaves nothing behind in the tree);
    without it each of them compiled the engine again, a third of every start."""
    if not hasattr(config, "workerinput"):
        compileall.compile_dir(REPO / "brochurekit", quiet=1)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadgroup":  # pyproject's addopts ask for loadgroup
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModulesTogether(LoadScopeScheduling):
        """Every test is its own unit of work, except the listed modules', sent as one."""

        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in SAME_WORKER_MODULES else nodeid

    return ModulesTogether(config, log)
