"""The translators' commands, and a broken catalog caught before it can print.

The broken catalogs of cases 23-30 (bad-inputs.md) are tested in test_bad_inputs.py.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from brochurekit.pofile import read_po_file

from .conftest import REPO, run_cli
from .pdftools import text

LOCALES = ("ar", "es", "fa", "fr", "fr_CA", "pa", "zh_Hans", "zh_Hant")
FR = Path("locales/fr/LC_MESSAGES/brochures.po")


def i18n(project: Path, *args: str):
    return run_cli("--project", str(project), "i18n", *args)


def replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    content = path.read_text(encoding="utf-8")
    assert old in content, old
    path.write_text(content.replace(old, new, count), encoding="utf-8")


def test_project_catalogs_pass_the_check(project):
    result = i18n(project, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    for locale in LOCALES:
        assert f"{locale}: ok" in result.stdout


def test_stats_json_reports_every_language_complete(project):
    result = i18n(project, "stats", "--json")
    assert result.returncode == 0
    rows = {row["locale"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"en", *LOCALES}
    for row in rows.values():
        assert row["percent"] == 100.0 and row["fuzzy"] == 0 and row["untranslated"] == 0
    assert rows["fr_CA"]["last_translator"] == "IMS brochure team"


def test_long_heading_is_only_a_warning(project):
    po = project / FR
    replace_in(po, 'msgstr "Après une séance"',
               'msgstr "Après une séance de traitement par stimulation intramusculaire"')
    result = i18n(project, "check", "fr")
    assert result.returncode == 0
    assert "warning: this heading is much longer than its source" in result.stdout


def test_half_width_punctuation_in_chinese_is_a_warning(project):
    """Chinese punctuation takes a full character: "什么是 IMS?" is flagged with the mark to
    use; a time ("8:00") and a placeholder are not."""
    po = project / "locales/zh_Hans/LC_MESSAGES/brochures.po"
    replace_in(po, 'msgstr "什么是 IMS？"', 'msgstr "什么是 IMS?"')
    result = i18n(project, "check", "zh_Hans")
    assert result.returncode == 0
    assert "warning: a half-width '?' in Chinese text; use the full-width '？'" in result.stdout
    assert result.stdout.count("half-width") == 1


def test_changed_english_becomes_fuzzy_everywhere_and_blocks_the_build(project):
    source = project / "brochures/ims-overview.yaml"
    old = "Small bruises may appear where the needles went in."
    replace_in(source, old, "Small bruises can appear where the needles went in.")
    assert i18n(project, "extract").returncode == 0
    updated = i18n(project, "update")
    assert updated.returncode == 0
    assert "fr: 0 new, 1 changed (marked fuzzy), 0 obsolete" in updated.stdout
    assert "fr_CA: 0 new, 1 changed (marked fuzzy), 0 obsolete" in updated.stdout
    for locale in LOCALES:
        po = Path(f"locales/{locale}/LC_MESSAGES/brochures.po")
        message = next(entry for entry in read_po_file(project / po, po).messages
                       if entry.context == "ims-overview/sections/after/points/1")
        assert message.msgid == "Small bruises can appear where the needles went in."
        assert message.fuzzy and message.previous_msgid == old, locale
        assert message.translated  # the old translation stays for the translator to revise
    assert f'#| msgid "{old}"' in (project / FR).read_text(encoding="utf-8")

    build = ["--project", str(project), "build", "--out", str(project / "out"),
             "--clinic", "thameside", "--locale", "fr", "--brochure", "ims-overview",
             "--profile", "print"]
    failed = run_cli(*build)
    assert failed.returncode == 1
    assert "1 message(s) of this brochure are untranslated or fuzzy" in failed.stderr
    drafted = run_cli(*build, "--allow-incomplete")
    assert drafted.returncode == 0, drafted.stderr
    assert not (project / "out/thameside/ims-overview-fr-print.pdf").exists()
    pdf = project / "out/thameside/ims-overview-fr-print-DRAFT.pdf"  # a draft says so
    assert all("DRAFT TRANSLATION" in text(pdf, page) for page in (1, 2))


def test_removed_message_becomes_obsolete(project):
    source = project / "brochures/ims-overview.yaml"
    replace_in(source, "      - Feeling tired for a few hours is common.\n", "")
    i18n(project, "extract")
    assert "1 obsolete" in i18n(project, "update", "fr").stdout
    content = (project / FR).read_text(encoding="utf-8")
    assert '#~ msgid "Feeling tired for a few hours is common."' in content


def test_init_starts_a_catalog(project):
    created = i18n(project, "init", "de")
    assert created.returncode == 0
    po = project / "locales/de/LC_MESSAGES/brochures.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    assert len([m for m in catalog if m.id]) == len(
        [m for m in read_po((project / "locales/brochures.pot").open("rb")) if m.id])
    stats = json.loads(i18n(project, "stats", "--json").stdout)
    assert {"locale": "de", "percent": 0.0}.items() <= next(
        row for row in stats if row["locale"] == "de").items()


def test_extract_is_deterministic(project):
    pot = project / "locales/brochures.pot"
    before = pot.read_bytes()
    assert "unchanged" in i18n(project, "extract").stdout
    assert pot.read_bytes() == before


@pytest.mark.slow
def test_pseudo_locales_build_for_every_clinic(project):
    assert i18n(project, "pseudo").returncode == 0
    xa = (project / "locales/en_XA/LC_MESSAGES/brochures.po").read_text(encoding="utf-8")
    assert 'msgstr "[Ŵĥåţ îš ÎṀŠ? one two]"' in xa
    assert "%(phone)s" in xa  # placeholders survive
    # Three clinics cover every paper: Letter, A4, and posters on Letter, A3 and 11x17 in (the
    # handouts share the tri-folds' paper).
    result = run_cli("--project", str(project), "build", "--out", str(project / "out"),
                     "--locale", "en_XA", "--locale", "ar_XB", "--profile", "print",
                     "--clinic", "cedar-grove", "--clinic", "thameside", "--clinic",
                     "harbourfront", "--brochure", "ims-overview", "--brochure", "ims-poster")
    assert result.returncode == 0, result.stderr
    assert "12 built, 0 unchanged (skipped), 0 failed" in result.stdout  # 3 x 2 x 2
    assert "Ŵĥåţ" in text(project / "out/cedar-grove/ims-overview-en_XA-print.pdf")


# === working with the tools translators and developers already use (issue 19) =================


def test_pybabel_with_the_documented_flags_writes_what_i18n_extract_and_update_write(tmp_path):
    """pyproject.toml's comment gives pybabel's flags; with them pybabel writes the same
    messages, notes and wrapping as `i18n extract` (all but the header) and leaves up-to-date
    catalogs byte for byte as they are."""
    import shutil

    pybabel = Path(sys.executable).parent / "pybabel"
    template = tmp_path / "brochures.pot"
    subprocess.run([str(pybabel), "extract", "-F", "pyproject.toml", "-c", "Translators:",
                    "--strip-comment-tags", "-w", "100", "-o", str(template), "."],
                   cwd=REPO, check=True, capture_output=True)
    ours = (REPO / "locales" / "brochures.pot").read_text(encoding="utf-8")
    theirs = template.read_text(encoding="utf-8")
    assert theirs[theirs.index("\n#.") :] == ours[ours.index("\n#.") :]
    shutil.copytree(REPO / "locales", tmp_path / "locales")
    subprocess.run([str(pybabel), "update", "-i", "locales/brochures.pot", "-d", "locales",
                    "-D", "brochures", "-w", "100", "--previous"],
                   cwd=tmp_path, check=True, capture_output=True)
    catalogs = [po for po in sorted((REPO / "locales").glob("*/LC_MESSAGES/brochures.po"))
                if "_X" not in po.parent.parent.name]  # not the generated pseudo-locales
    assert len(catalogs) >= 8
    for po in catalogs:
        copy = tmp_path / po.relative_to(REPO)
        assert copy.read_bytes() == po.read_bytes(), po


def test_every_catalog_round_trips_through_babel_unchanged():
    from babel.messages.pofile import write_po

    for po in sorted((REPO / "locales").glob("*/LC_MESSAGES/brochures.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle)
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=100, include_previous=True)
        assert buffer.getvalue() == po.read_bytes(), po


def test_a_compiled_catalog_left_alone_is_ignored_with_a_warning(project):
    leftover = project / "locales" / "de" / "LC_MESSAGES"
    leftover.mkdir(parents=True)
    (leftover / "brochures.mo").write_bytes(
        (REPO / "locales" / "fr" / "LC_MESSAGES" / "brochures.mo").read_bytes()
        if (REPO / "locales" / "fr" / "LC_MESSAGES" / "brochures.mo").is_file() else b"\0")
    result = run_cli("--project", str(project), "clinic", "list")
    assert result.returncode == 0, result.stderr
    assert ("warning: locales/de: a compiled catalog (.mo) without its brochures.po is "
            "ignored") in result.stderr


def test_a_broken_placeholder_names_the_one_the_source_has():
    from brochurekit.checks import placeholder_problems

    for translation in ("اتصل على %(تلفن)s", "Appeler le %(phone"):
        (problem,) = placeholder_problems("Call %(phone)s", translation)
        assert "broken placeholder" in problem and "(%(phone)s)" in problem, problem
