"""The command line: one program under two names, and a project chosen with --project."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import run_cli


def test_console_script_and_cli_py_are_the_same_program():
    script = Path(sys.executable).parent / "ims-brochure"
    if not script.exists():
        script = Path(shutil.which("ims-brochure") or "")
    if not script.is_file():
        pytest.fail("the ims-brochure console script is not installed (pip install -e .)")
    installed = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert installed.returncode == 0
    assert installed.stdout == run_cli("--help").stdout


def test_project_option_builds_a_copy_elsewhere(project, tmp_path):
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    result = run_cli("--project", str(project), "build", "--clinic", "thameside",
                     "--locale", "en", cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    assert (project / "out/thameside/ims-overview-en-print.pdf").is_file()
    assert not list(elsewhere.iterdir())


def test_not_a_project_says_so(tmp_path):
    result = run_cli("--project", str(tmp_path), "build")
    assert result.returncode == 2
    assert "this is not a brochure project" in result.stderr
