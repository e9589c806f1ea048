"""Incremental builds: unchanged cells are skipped, a changed catalog rebuilds only its
locale, removed cells leave the output folder, and one build at a time writes a folder."""

from __future__ import annotations

import fcntl
import json
import time
from pathlib import Path

from .conftest import run_cli

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


def test_changed_catalog_rebuilds_only_its_locale(project):
    assert build(project).returncode == 0
    po = project / "locales/fr_CA/LC_MESSAGES/brochures.po"
    po.write_text(po.read_text(encoding="utf-8").replace(
        "Prenez rendez-vous pour une évaluation", "Prenez rendez-vous pour votre évaluation"),
        encoding="utf-8")
    result = build(project)
    assert result.returncode == 0, result.stderr
    # fr_CA is offered by three clinics: only those three cells are rebuilt.
    assert "3 built, 14 unchanged (skipped), 0 failed" in result.stdout
    rebuilt = [line for line in result.stdout.splitlines() if line.startswith("ok")]
    assert all("/fr_CA/" in line for line in rebuilt)


def test_force_rebuilds_and_removed_cells_leave_the_folder(project):
    assert build(project, "--clinic", "thameside").returncode == 0
    forced = build(project, "--clinic", "thameside", "--force")
    assert "3 built, 0 unchanged (skipped)" in forced.stdout
    assert build(project).returncode == 0
    clinic = project / "brochures/clinics/thameside.yaml"
    clinic.write_text(clinic.read_text().replace("locales: [en, fr_CA, ar]", "locales: [en]"))
    result = build(project)
    assert "removed thameside/ims-overview-ar-print.pdf (its cell no longer exists)" \
        in result.stdout
    assert not (project / "out/thameside/ims-overview-ar-print.pdf").exists()
    manifest = json.loads((project / "out/manifest.json").read_text())
    assert {(e["clinic"], e["locale"]) for e in manifest if e["clinic"] == "thameside"} == \
        {("thameside", "en")}


def test_a_second_build_into_the_same_folder_stops_clearly(project):
    out = project / "out"
    out.mkdir()
    with (out / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        started = time.monotonic()
        result = build(project, "--clinic", "thameside")
        assert time.monotonic() - started < 30
    assert result.returncode == 2
    assert "another build is writing to this output folder" in result.stderr
    assert not list(out.rglob("*.pdf"))
