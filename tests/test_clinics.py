"""Clinic files: every bad value is refused with the file, line, key and what would be right.

The bad branding values and assets of cases 10-18 and the slugs of case 31 (bad-inputs.md) are
tested in test_bad_inputs.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from brochurekit.clinics import Color
from brochurekit.errors import ProjectError
from brochurekit.project import load_project

CLINIC = Path("brochures/clinics/cedar-grove.yaml")


def test_demo_project_loads(project):
    loaded = load_project(project)
    assert sorted(loaded.clinics) == ["cedar-grove", "harbourfront", "mont-royal", "thameside"]
    assert loaded.clinics["thameside"].paper == "a4"
    assert loaded.clinics["cedar-grove"].branding.primary == Color(0x1F, 0x5F, 0x5B)


def test_all_problems_are_reported_together(project):
    path = project / CLINIC
    text = path.read_text().replace('"#e07a3f"', '"orange"').replace("paper: letter", "paper: a3")
    path.write_text(text)
    with pytest.raises(ProjectError) as caught:
        load_project(project)
    assert len(caught.value.errors) == 2


def test_contrast_helper_matches_wcag():
    assert round(Color(0, 0, 0).contrast(Color(255, 255, 255)), 1) == 21.0


def test_an_english_catalog_is_refused(project):
    (project / "locales/en/LC_MESSAGES").mkdir(parents=True)
    (project / "locales/en/LC_MESSAGES/brochures.po").write_text('msgid ""\nmsgstr ""\n')
    with pytest.raises(ProjectError) as caught:
        load_project(project)
    assert "English is the source language" in str(caught.value)
