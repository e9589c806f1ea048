"""Clinic files: every bad value is refused with the file, line, key and what would be right."""

from __future__ import annotations

from pathlib import Path

import pytest

from brochurekit.clinics import Color, check_slug
from brochurekit.errors import ProjectError
from brochurekit.project import load_project

CLINIC = Path("brochures/clinics/cedar-grove.yaml")


def problems_after_edit(project: Path, old: str, new: str) -> str:
    path = project / CLINIC
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ProjectError) as caught:
        load_project(project)
    return str(caught.value)


def test_demo_project_loads(project):
    loaded = load_project(project)
    assert sorted(loaded.clinics) == ["cedar-grove", "harbourfront", "mont-royal", "thameside"]
    assert loaded.clinics["thameside"].paper == "a4"
    assert loaded.clinics["cedar-grove"].branding.primary == Color(0x1F, 0x5F, 0x5B)


def test_unquoted_colour_says_quote_it(project):
    message = problems_after_edit(project, 'primary: "#1f5f5b"', "primary: #1f5f5b")
    assert f"{CLINIC}:6: colors/primary: is empty" in message
    assert "quote it" in message


def test_css_in_a_colour_is_refused(project):
    message = problems_after_edit(
        project, 'primary: "#1f5f5b"',
        'primary: "red;} body{background:url(file:///etc/passwd)}"')
    assert "colors/primary" in message and "is not a colour" in message


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd",
                                 "https://127.0.0.1/book", "https://192.168.1.5/book",
                                 "http://cedargrove-physio.example/book", "https://localhost/x"])
def test_bad_booking_urls_are_refused(project, url):
    message = problems_after_edit(project, "https://cedargrove-physio.example/book", url)
    assert "contact/booking_url" in message and f"{CLINIC}:13" in message


def test_logo_outside_the_clinic_folder_is_refused(project):
    message = problems_after_edit(project, "logo: logo.svg", "logo: ../../../../etc/passwd")
    assert "logo" in message and "outside" in message


def test_logo_symlink_leading_out_is_refused(project, tmp_path):
    secret = tmp_path / "secret.svg"
    secret.write_text("<svg/>")
    (project / "brochures/clinics/cedar-grove/link.svg").symlink_to(secret)
    message = problems_after_edit(project, "logo: logo.svg", "logo: link.svg")
    assert "outside" in message


def test_missing_logo_is_reported(project):
    message = problems_after_edit(project, "logo: logo.svg", "logo: nothere.svg")
    assert "does not exist" in message


def test_unknown_key_gets_a_suggestion(project):
    message = problems_after_edit(project, "address:", "adress:")
    assert "unknown key 'adress'; did you mean 'address'?" in message


def test_unknown_locale_is_refused_against_the_project_list(project):
    message = problems_after_edit(project, "locales: [en, zh_Hans, zh_Hant, pa, ar, fa]",
                                  "locales: [en, fr-FR]")
    assert "'fr-FR' is not a locale of this project" in message


def test_all_problems_are_reported_together(project):
    path = project / CLINIC
    text = path.read_text().replace('"#e07a3f"', '"orange"').replace("paper: letter", "paper: a3")
    path.write_text(text)
    with pytest.raises(ProjectError) as caught:
        load_project(project)
    assert len(caught.value.errors) == 2


@pytest.mark.parametrize("slug", ["../../etc", "a/b", "CON", "Cedar", "con", "-x", ""])
def test_bad_slugs_are_refused(slug):
    assert check_slug(slug) is not None


def test_slugs_differing_only_in_case_are_refused(project):
    clinics = project / "brochures/clinics"
    (clinics / "Cedar-Grove.yaml").write_text((clinics / "cedar-grove.yaml").read_text())
    with pytest.raises(ProjectError) as caught:
        load_project(project)
    assert len(caught.value.errors) == 1
    assert "brochures/clinics/Cedar-Grove.yaml: the clinic slug 'Cedar-Grove' is not valid" \
        in str(caught.value)


def test_contrast_helper_matches_wcag():
    assert round(Color(0, 0, 0).contrast(Color(255, 255, 255)), 1) == 21.0


@pytest.mark.parametrize("name", ['"logo\\0.svg"', "x" * 300 + ".svg"])
def test_unusable_logo_names_are_messages(project, name):
    message = problems_after_edit(project, "logo: logo.svg", f"logo: {name}")
    assert "logo" in message


def test_an_english_catalog_is_refused(project):
    (project / "locales/en/LC_MESSAGES").mkdir(parents=True)
    (project / "locales/en/LC_MESSAGES/brochures.po").write_text('msgid ""\nmsgstr ""\n')
    with pytest.raises(ProjectError) as caught:
        load_project(project)
    assert "English is the source language" in str(caught.value)


def test_top_level_list_is_one_clear_error(project):
    (project / CLINIC).write_text("- name: A\n")
    with pytest.raises(ProjectError) as caught:
        load_project(project)
    assert len(caught.value.errors) == 1
    assert "should hold a mapping of keys, but it is a list" in str(caught.value)
