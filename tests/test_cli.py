"""The command line: one program under two names, and a project chosen with --project."""

from __future__ import annotations

import json
import re
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


# === conventions and input as people write it (issue 19) ========================================


def test_version_is_printed():
    result = run_cli("--version")
    assert result.returncode == 0
    assert re.fullmatch(r"ims-brochure \d+\.\d+\.\d+\n", result.stdout), result.stdout


def test_build_json_names_every_selected_cell(project):
    result = run_cli("--project", str(project), "build", "--clinic", "thameside", "--locale",
                     "fr", "--brochure", "ims-poster", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # nothing but the JSON on stdout
    assert report["format"] == "ims-brochure/build" and report["version"] == 1
    assert {(cell["profile"], cell["status"]) for cell in report["cells"]} == {
        ("print", "built"), ("screen", "built")}
    assert all(cell["path"].startswith("thameside/ims-poster-fr-") and cell["failure"] is None
               and isinstance(cell["fit"], float) for cell in report["cells"])
    again = json.loads(run_cli("--project", str(project), "build", "--clinic", "thameside",
                               "--locale", "fr", "--brochure", "ims-poster", "--json").stdout)
    assert again["built"] == 0 and again["skipped"] == 2 and len(again["cells"]) == 2


def test_clinic_set_reads_hours_countries_and_colours_as_people_write_them(project):
    clinic_file = project / "brochures" / "clinics" / "thameside.yaml"

    def set_(key: str, value: str):
        return run_cli("--project", str(project), "clinic", "set", "thameside", key, value)
    for written, stored in (("Mon-Fri 9am-5pm", "Mon-Fri 09:00-17:00"),
                            ("9-5 weekdays; Sat 10-2; Sun closed",
                             "Mon-Fri 09:00-17:00; Sat 10:00-14:00"),
                            ("Mo-Fr 08:00-18:00; Sa 09:00-13:00",
                             "Mon-Fri 08:00-18:00; Sat 09:00-13:00")):
        result = set_("hours", written)
        assert result.returncode == 0, result.stderr
        assert f'hours: "{stored}"' in clinic_file.read_text()
    assert set_("country", "United Kingdom").returncode == 0
    assert "\ncountry: GB\n" in clinic_file.read_text()
    assert set_("colors.primary", "1f3a5f").returncode == 0
    assert 'primary: "#1f3a5f"' in clinic_file.read_text()
    before = clinic_file.read_bytes()
    for key, value, answer in (("hours", "Mnday 9-5", "did you mean Monday?"),
                               ("country", "Canda", "did you mean CA, Canada?"),
                               ("colors.primary", "navvy", "did you mean navy?")):
        refused = set_(key, value)
        assert refused.returncode == 2 and answer in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert clinic_file.read_bytes() == before  # a refusal changes nothing
    # A value the file refuses is said in the command's words, the line as a detail.
    light = set_("colors.primary", "teal")
    assert light.returncode == 2
    assert light.stderr.startswith("error: not changed: colors.primary: #008080 is too light")
    assert "problem in the project" not in light.stderr


def test_i18n_check_takes_a_catalog_path_or_a_language_alone(project):
    by_path = run_cli("--project", str(project), "i18n", "check",
                      str(project / "locales" / "fa" / "LC_MESSAGES" / "brochures.po"))
    assert by_path.returncode == 0 and by_path.stdout.endswith("fa: ok\n"), by_path.stderr
    assert run_cli("--project", str(project), "i18n", "check", "pa").stdout.endswith("pa: ok\n")
    both = run_cli("--project", str(project), "i18n", "check", "zh")
    assert both.returncode == 2 and "zh_Hans, zh_Hant" in both.stderr


def test_reporting_commands_speak_json(project):
    """Every command that reports has --json: a document naming its format and version."""
    for args, kind, key in ((("clinic", "list"), "clinics", "clinics"),
                            (("clinic", "validate", "thameside"), "validate", "problems"),
                            (("i18n", "check", "fa"), "i18n-check", "catalogs")):
        result = run_cli("--project", str(project), *args, "--json")
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        assert document["format"] == f"ims-brochure/{kind}" and document["version"] == 1
        assert key in document
    catalogs = json.loads(run_cli("--project", str(project), "i18n", "check", "fa",
                                  "--json").stdout)["catalogs"]
    assert catalogs[0]["locale"] == "fa" and catalogs[0]["errors"] == 0


def test_the_number_of_workers_can_come_from_the_environment(project):
    """IMS_BROCHURE_JOBS sets --jobs of build and serve for a machine shared with other work;
    a bad value is named with where it came from."""
    import os

    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "IMS_BROCHURE_JOBS": "0"}
    command = [sys.executable, str(Path(__file__).parent.parent / "cli.py"), "--project",
               str(project), "build", "--clinic", "thameside", "--locale", "en"]
    refused = subprocess.run(command, capture_output=True, text=True, env=env)
    assert refused.returncode == 2
    assert "env var: 'IMS_BROCHURE_JOBS'" in refused.stderr and "0 is not in the range" \
        in refused.stderr and "Traceback" not in refused.stderr
    serving = subprocess.run([*command[:4], "serve", "--port", "0"], capture_output=True,
                             text=True, env=env, timeout=60)
    assert serving.returncode == 2 and "env var: 'IMS_BROCHURE_JOBS'" in serving.stderr
    built = subprocess.run([*command, "--brochure", "ims-poster"], capture_output=True,
                           text=True, env={**env, "IMS_BROCHURE_JOBS": "2"})
    assert built.returncode == 0, built.stderr
    assert "2 built" in built.stdout
