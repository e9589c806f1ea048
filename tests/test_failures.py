"""Bad cells fail clearly, alone, and leave nothing half-written behind.

The failures that are cases of bad-inputs.md (templates, blocked files and addresses,
WeasyPrint warnings, markup in translations, incomplete catalogs, an unwritable output folder,
reproducible output) are tested in test_bad_inputs.py.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from .conftest import run_cli

ZH_PO = Path("locales/zh_Hans/LC_MESSAGES/brochures.po")


def build(project: Path, *args: str):
    """Build the tri-fold's print PDFs (the cases here are about one brochure)."""
    return run_cli("--project", str(project), "build", "--out", str(project / "out"),
                   "--brochure", "ims-overview", "--profile", "print", *args)


def set_translation(project: Path, context: str, text: str) -> None:
    path = project / ZH_PO
    with path.open("rb") as handle:
        catalog = read_po(handle)
    next(m for m in catalog if m.context == context).string = text
    with path.open("wb") as handle:
        write_po(handle, catalog)


def test_overlong_translation_fails_only_its_cells_and_names_the_panel(project):
    set_translation(project, "ims-overview/sections/after/points/2", "很长的句子。" * 400)
    result = build(project, "--clinic", "cedar-grove")
    assert result.returncode == 1
    assert "5 built, 0 unchanged (skipped), 1 failed" in result.stdout
    assert ("cedar-grove/zh_Hans/ims-overview: text does not fit, even with the illustrations "
            "at their smallest and the body type at the floor of the type scale (10.0 pt): panel "
            "inside-3 (page 2)") in result.stderr
    # A panel is laid out whole: how far its text runs past the floor is measured, not lost
    # off the page's bottom.
    assert re.search(r"panel inside-3 \(page 2\) runs \d+\.\d mm too long", result.stderr)
    out = project / "out"
    assert not (out / "cedar-grove/ims-overview-zh_Hans-print.pdf").exists()
    assert (out / "cedar-grove/ims-overview-en-print.pdf").exists()
    assert not list(out.rglob("*.part"))
    assert "Traceback" not in result.stderr


def test_failed_rebuild_sets_the_earlier_pdf_aside(project):
    assert build(project, "--clinic", "cedar-grove", "--locale", "zh_Hans").returncode == 0
    pdf = project / "out/cedar-grove/ims-overview-zh_Hans-print.pdf"
    before = pdf.read_bytes()
    set_translation(project, "ims-overview/sections/after/points/2", "很长的句子。" * 400)
    assert build(project, "--clinic", "cedar-grove", "--locale", "zh_Hans").returncode == 1
    assert not pdf.exists()  # never passed off as current
    assert (project / "out/outdated/cedar-grove/ims-overview-zh_Hans-print.pdf").read_bytes() \
        == before


def test_project_errors_are_listed_together_without_traceback(project):
    clinic = project / "brochures/clinics/thameside.yaml"
    clinic.write_text(clinic.read_text().replace("paper: a4", "paper: a3").replace(
        '"#7fb77e"', "#7fb77e"))
    result = build(project)
    assert result.returncode == 2
    assert "2 problems in the project" in result.stderr
    assert "brochures/clinics/thameside.yaml:5: paper: 'a3' is not one of: letter, a4" \
        in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_selection_suggests_a_name(project):
    result = build(project, "--clinic", "cedar-grov")
    assert result.returncode == 2
    assert "unknown clinic 'cedar-grov'; did you mean 'cedar-grove'?" in result.stderr


def test_cover_text_that_runs_too_long_is_caught(project):
    set_translation(project, "ims-overview/tagline", "一种治疗长期肌肉和神经疼痛的疗法。" * 30)
    result = build(project, "--clinic", "cedar-grove", "--locale", "zh_Hans")
    assert result.returncode == 1
    assert "panel front (page 1)" in result.stderr


def test_damaged_manifest_entries_are_dropped_not_fatal(project):
    out = project / "out"
    out.mkdir()
    (out / "manifest.json").write_text('[{"clinic": null, "path": "x.pdf"}, 7, "text"]')
    result = build(project, "--clinic", "thameside", "--locale", "en")
    assert result.returncode == 0, result.stderr
    import json
    entries = json.loads((out / "manifest.json").read_text())
    assert [entry["clinic"] for entry in entries] == ["thameside"]
