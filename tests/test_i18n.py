"""The translators' commands, and a broken catalog caught before it can print."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from brochurekit.checks import placeholder_problems
from brochurekit.pofile import read_po_file

from .conftest import run_cli
from .pdftools import text

LOCALES = ("ar", "es", "fa", "fr_CA", "pa", "zh_Hans", "zh_Hant")
FR = Path("locales/fr_CA/LC_MESSAGES/brochures.po")
PHONE_MSGID = 'msgid "Questions about IMS? Call us at %(phone)s."'


def i18n(project: Path, *args: str):
    return run_cli("--project", str(project), "i18n", *args)


def line_of(path: Path, needle: str, after: int = 0) -> int:
    """1-based line of the first line containing `needle` (at or after line `after`)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if number >= after and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    content = path.read_text(encoding="utf-8")
    assert old in content, old
    path.write_text(content.replace(old, new, count), encoding="utf-8")


def phone_msgstr_line(po: Path) -> int:
    return line_of(po, "msgstr", after=line_of(po, PHONE_MSGID))


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


def expect_error(project: Path, line: int, *fragments: str) -> None:
    result = i18n(project, "check", "fr_CA")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"locales/fr_CA/LC_MESSAGES/brochures.po:{line}: error:" in result.stderr, \
        result.stderr
    for fragment in fragments:
        assert fragment in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("new", "fragments"), [
    ("%(telephone)s", ("placeholder %(phone)s was renamed to %(telephone)s",)),
    ("", ("placeholder %(phone)s is missing",)),
    ("%(phone)s %(fax)s", ("placeholder %(fax)s is not in the source",)),
    ("%(phone) aujourd’hui", ("broken placeholder at '%(phone) auj'",)),
    ("%(phone)s à 100 %", ("broken placeholder at '%.'",)),
])
def test_placeholder_cases_name_the_line(project, new, fragments):
    po = project / FR
    line = phone_msgstr_line(po)
    replace_in(po, "Appelez-nous au %(phone)s.", f"Appelez-nous au {new}.")
    expect_error(project, line, *fragments)


def test_added_placeholder_in_plain_message(project):
    po = project / FR
    line = line_of(po, 'msgstr "Téléphone"')
    replace_in(po, 'msgstr "Téléphone"', 'msgstr "Téléphone %(numero)s"')
    expect_error(project, line, "placeholder %(numero)s is not in the source")


@pytest.mark.parametrize("markup", ['<img src="x.png">', '<link rel="attachment" href="/x">',
                                    "<script>x()</script>", '<a href="https://x.example">ici</a>'])
def test_markup_the_source_lacks_is_refused(project, markup):
    po = project / FR
    line = line_of(po, 'msgstr "Téléphone"')
    replace_in(po, 'msgstr "Téléphone"', f'msgstr "Téléphone {markup}"'.replace('"x', '\\"x')
               .replace('.png">', '.png\\">').replace('"attachment" href="/x"',
                                                     '\\"attachment\\" href=\\"/x\\"')
               .replace('="https://x.example"', '=\\"https://x.example\\"'))
    expect_error(project, line, "the translation adds markup")


def test_duplicate_message_names_both_lines(project):
    po = project / FR
    content = po.read_text(encoding="utf-8")
    block = content[content.index("#: templates/partials/contact.html"):]
    block = block[: block.index("\n\n") + 2]
    po.write_text(content + "\n" + block, encoding="utf-8")
    first = line_of(po, block.splitlines()[1])
    duplicate = line_of(po, block.splitlines()[1], after=first + 1)
    expect_error(project, duplicate, f"first on line {first}")


def test_unterminated_string(project):
    po = project / FR
    line = line_of(po, 'msgstr "Téléphone"')
    replace_in(po, 'msgstr "Téléphone"', 'msgstr "Téléphone')
    expect_error(project, line, "unterminated string")


def test_wrong_charset(project):
    po = project / FR
    replace_in(po, "charset=utf-8", "charset=ISO-8859-1")
    expect_error(project, line_of(po, 'msgid ""'), "charset is ISO-8859-1")


def test_byte_order_mark(project):
    po = project / FR
    po.write_bytes(b"\xef\xbb\xbf" + po.read_bytes())
    expect_error(project, 1, "byte-order mark")


def test_invalid_plural_forms_header(project):
    po = project / FR
    content = po.read_text(encoding="utf-8")
    content = re.sub(r'"Plural-Forms: [^"]*"', '"Plural-Forms: nplurals=2 plural=n>1\\\\n"',
                     content)
    po.write_text(content, encoding="utf-8")
    expect_error(project, line_of(po, 'msgid ""'), "Plural-Forms header", "is not valid")


def test_plural_count_must_match_nplurals(project):
    po = project / FR
    with po.open("a", encoding="utf-8") as handle:
        handle.write('\nmsgid "%(count)s session"\nmsgid_plural "%(count)s sessions"\n'
                     'msgstr[0] "%(count)s séance"\nmsgstr[1] "%(count)s séances"\n'
                     'msgstr[2] "%(count)s séances"\n')
    expect_error(project, line_of(po, 'msgid "%(count)s session"'),
                 "has 3 msgstr[n] lines but the header says nplurals=2")


def test_fuzzy_header_is_an_error(project):
    po = project / FR
    replace_in(po, 'msgid ""\nmsgstr ""', '#, fuzzy\nmsgid ""\nmsgstr ""')
    expect_error(project, line_of(po, 'msgid ""'), "header is marked fuzzy")


def test_a_broken_catalog_is_kept_out_of_the_build(project):
    replace_in(project / FR, "Appelez-nous au %(phone)s.", "Appelez-nous au %(tel)s.")
    compiled = i18n(project, "compile", "fr_CA")
    assert compiled.returncode == 1 and "fr_CA: not compiled" in compiled.stderr
    result = run_cli("--project", str(project), "build", "--out", str(project / "out"),
                     "--locale", "fr_CA", "--clinic", "thameside", "--profile", "print")
    assert result.returncode == 1
    assert "the fr_CA catalog has errors and is not used" in result.stderr
    assert not list((project / "out").rglob("*.pdf"))


def test_long_heading_is_only_a_warning(project):
    po = project / FR
    replace_in(po, 'msgstr "Après une séance"',
               'msgstr "Après une séance de traitement par stimulation intramusculaire"')
    result = i18n(project, "check", "fr_CA")
    assert result.returncode == 0
    assert "warning: this heading is much longer than its source" in result.stdout


def test_brace_placeholders_are_checked_too():
    assert placeholder_problems("Hello {name}", "Bonjour {nom}") == [
        "placeholder {name} was renamed to {nom}; keep {name} exactly"]
    assert placeholder_problems("Hello {name}", "Bonjour {name") == [
        "unbalanced { } braces: write each placeholder as in the source, e.g. {name}"]
    assert placeholder_problems("Hello", "50 %") == []


def test_changed_english_becomes_fuzzy_everywhere_and_blocks_the_build(project):
    source = project / "brochures/ims-overview.yaml"
    old = "Small bruises may appear where the needles went in."
    replace_in(source, old, "Small bruises can appear where the needles went in.")
    assert i18n(project, "extract").returncode == 0
    updated = i18n(project, "update")
    assert updated.returncode == 0
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
             "--clinic", "thameside", "--locale", "fr_CA", "--brochure", "ims-overview",
             "--profile", "print"]
    failed = run_cli(*build)
    assert failed.returncode == 1
    assert "1 message(s) of this brochure are untranslated or fuzzy" in failed.stderr
    drafted = run_cli(*build, "--allow-incomplete")
    assert drafted.returncode == 0, drafted.stderr
    pdf = project / "out/thameside/ims-overview-fr_CA-print.pdf"
    assert all("DRAFT TRANSLATION" in text(pdf, page) for page in (1, 2))


def test_removed_message_becomes_obsolete(project):
    source = project / "brochures/ims-overview.yaml"
    replace_in(source, "      - Feeling tired for a few hours is common.\n", "")
    i18n(project, "extract")
    assert "1 obsolete" in i18n(project, "update", "fr_CA").stdout
    content = (project / FR).read_text(encoding="utf-8")
    assert '#~ msgid "Feeling tired for a few hours is common."' in content


def test_init_validates_the_locale_and_starts_a_catalog(project):
    typo = i18n(project, "init", "fr-FR")
    assert typo.returncode == 2
    assert "'fr-FR' is not a known locale; write it with an underscore, e.g. 'fr_FR'" \
        in typo.stderr
    assert i18n(project, "init", "xx").returncode == 2
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


def test_pseudo_locales_build_for_every_clinic(project):
    assert i18n(project, "pseudo").returncode == 0
    xa = (project / "locales/en_XA/LC_MESSAGES/brochures.po").read_text(encoding="utf-8")
    assert 'msgstr "[Ŵĥåţ îš ÎṀŠ? one two]"' in xa
    assert "%(phone)s" in xa  # placeholders survive
    result = run_cli("--project", str(project), "build", "--out", str(project / "out"),
                     "--locale", "en_XA", "--locale", "ar_XB", "--profile", "print")
    assert result.returncode == 0, result.stderr
    assert "24 built, 0 unchanged (skipped), 0 failed" in result.stdout  # 4 x 2 x 3
    assert "Ŵĥåţ" in text(project / "out/cedar-grove/ims-overview-en_XA-print.pdf")
