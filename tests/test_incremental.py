"""Incremental builds: unchanged cells are skipped, a changed catalog rebuilds only its
locale, and removed cells leave the output folder. (One build at a time per folder is case 33
of bad-inputs.md, tested in test_bad_inputs.py.)"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, run_cli

PROFILE = ("--profile", "print", "--brochure", "ims-overview")


def build(project: Path, *args: str):
    return run_cli("--project", str(project), "build", *PROFILE, *args)


def test_noop_rebuild_skips_everything_and_changes_nothing(project):
    first = build(project, "--clinic", "thameside")
    assert first.returncode == 0, first.stderr
    before = {p: p.stat().st_mtime_ns for p in (project / "out").rglob("*.pdf")}
    again = build(project, "--clinic", "thameside")
    assert "0 built, 3 unchanged (skipped), 0 failed" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in (project / "out").rglob("*.pdf")} == before


def test_noop_rebuild_does_not_import_weasyprint(project):
    assert build(project, "--clinic", "thameside").returncode == 0
    probe = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
        "from brochurekit.build import Selection, build; "
        "from brochurekit.project import load_project; "
        "project = load_project(Path(sys.argv[2])); "
        "result = build(project, project.root / 'out', Selection(clinics=('thameside',), "
        "brochures=('ims-overview',), profiles=('print',)), workers=2); "
        "print(result.skipped, len(result.outputs), 'weasyprint' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe, str(REPO), str(project)],
                            capture_output=True, text=True)
    assert result.stdout.split() == ["3", "0", "False"], result.stderr


def test_both_profiles_of_a_fitted_cell_get_the_same_type_size(project):
    po = project / "locales/fr/LC_MESSAGES/brochures.po"
    text = po.read_text(encoding="utf-8")
    # A longer back-panel text makes the fr tri-fold need a smaller body type.
    longer = text.replace("Prenez rendez-vous pour un bilan",
                          "Prenez rendez-vous pour un bilan " + "complet et attentif " * 2)
    assert longer != text
    po.write_text(longer, encoding="utf-8")
    result = run_cli("--project", str(project), "build", "--clinic", "thameside", "--locale",
                     "fr", "--brochure", "ims-overview")
    assert result.returncode == 0, result.stderr
    fitted = re.findall(r"\((print|screen), body type fitted to (\d+)%\)", result.stdout)
    assert [profile for profile, _ in fitted] == ["print", "screen"], result.stdout
    assert fitted[0][1] == fitted[1][1] and int(fitted[0][1]) < 100, result.stdout
    # ... and the same drawings at the same heights.
    entries = json.loads((project / "out" / "manifest.json").read_text(encoding="utf-8"))
    arts = [entry["art"] for entry in entries if entry["brochure"] == "ims-overview"]
    assert len(arts) == 2 and arts[0] == arts[1] and arts[0], arts


@pytest.mark.slow
def test_changed_catalog_rebuilds_only_its_locale(project):
    clinics = ("--clinic", "thameside")
    assert build(project, *clinics).returncode == 0
    po = project / "locales/fr/LC_MESSAGES/brochures.po"
    po.write_text(po.read_text(encoding="utf-8").replace(
        "Prenez rendez-vous pour un bilan", "Prenez rendez-vous pour votre bilan"),
        encoding="utf-8")
    result = build(project, *clinics)
    assert result.returncode == 0, result.stderr
    # Of the clinic's three languages, only the French cell is rebuilt.
    assert "1 built, 2 unchanged (skipped), 0 failed" in result.stdout
    rebuilt = [line for line in result.stdout.splitlines() if line.startswith("ok")]
    assert all("/fr/" in line for line in rebuilt)


@pytest.mark.slow
def test_force_rebuilds_and_removed_cells_leave_the_folder(project):
    assert build(project, "--clinic", "thameside").returncode == 0
    forced = build(project, "--clinic", "thameside", "--force")
    assert "3 built, 0 unchanged (skipped)" in forced.stdout
    clinic = project / "brochures/clinics/thameside.yaml"
    clinic.write_text(clinic.read_text().replace("locales: [en, fr, ar]", "locales: [en]"))
    result = build(project, "--clinic", "thameside")
    assert "removed thameside/ims-overview-ar-print.pdf (its cell no longer exists)" \
        in result.stdout
    assert not (project / "out/thameside/ims-overview-ar-print.pdf").exists()
    manifest = json.loads((project / "out/manifest.json").read_text())
    assert {(e["clinic"], e["locale"]) for e in manifest if e["clinic"] == "thameside"} == \
        {("thameside", "en")}
