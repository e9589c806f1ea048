"""Plural-Forms: only what can print wrong is an error, whatever CLDR table Babel ships.

Babel 2.18 and 2.19 disagree for fr, es, fa, pa and ar. Both tables are recorded here as Babel
gave them, and every check runs under each, so no Babel release can stop a complete catalog
from printing.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from babel.messages.plurals import get_plural

from brochurekit import catalogs, plurals
from brochurekit.catalogs import catalog_path, init_catalog
from brochurekit.checks import check_catalog
from brochurekit.plurals import PluralFormsError, parse_plural_forms

from .conftest import REPO, run_cli

LOCALES = ("ar", "es", "fa", "fr", "fr_CA", "pa", "zh_Hans", "zh_Hant")

# get_plural(language).plural_forms, as each release printed it.
BABEL_TABLES = {
    "2.18.0": {
        "en": "nplurals=2; plural=(n != 1);",
        "es": "nplurals=2; plural=(n != 1);",
        "fr": "nplurals=2; plural=(n > 1);",
        "fa": "nplurals=1; plural=0;",
        "pa": "nplurals=2; plural=(n != 1);",
        "zh": "nplurals=1; plural=0;",
        "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 "
              ": n%100>=0 && n%100<=2 ? 4 : 5);",
    },
    "2.19.0": {
        "en": "nplurals=2; plural=(n != 1);",
        "es": "nplurals=3; plural=(n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2);",
        "fr": "nplurals=3; plural=(n == 0 || n == 1) ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2;",
        "fa": "nplurals=2; plural=(n > 1);",
        "pa": "nplurals=2; plural=(n > 1);",
        "zh": "nplurals=1; plural=0;",
        "ar": "nplurals=6; plural=(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : n % 100 >= 3 && "
              "n % 100 <= 10 ? 3 : n % 100 >= 11 && n % 100 <= 99 ? 4 : 5);",
    },
}


class _Recorded:
    def __init__(self, forms: str):
        self.plural_forms = forms


@pytest.fixture(params=sorted(BABEL_TABLES))
def babel_table(request, monkeypatch):
    """The check as it runs under one recorded Babel release."""
    table = BABEL_TABLES[request.param]
    monkeypatch.setattr(plurals, "get_plural", lambda language: _Recorded(table[language]))
    monkeypatch.setattr(plurals.babel, "__version__", request.param)
    return request.param


def test_recorded_table_of_the_installed_babel_is_what_it_gives():
    """The recording is honest for the release the lock installs."""
    import babel

    if babel.__version__ not in BABEL_TABLES:
        pytest.fail(f"Babel {babel.__version__} is not recorded; add its table to BABEL_TABLES")
    for language, forms in BABEL_TABLES[babel.__version__].items():
        assert get_plural(language).plural_forms == forms


def _report(root: Path, locale: str):
    return check_catalog(root, locale, catalog_path(locale))


@pytest.mark.parametrize("locale", LOCALES)
def test_shipped_catalogs_have_no_plural_error_under_either_babel(babel_table, locale):
    report = _report(REPO, locale)
    assert report.errors == (), [str(f) for f in report.errors]


def test_gettext_header_is_a_warning_naming_both_forms(babel_table):
    report = _report(REPO, "fr_CA")
    plural_findings = [f for f in report.findings if "Plural-Forms" in f.message]
    if babel_table == "2.18.0":
        assert plural_findings == []  # the catalog's header is 2.18's own rule
    else:
        (finding,) = plural_findings
        assert finding.level == "warning"
        assert "'nplurals=2; plural=(n > 1);' (gettext)" in finding.message
        assert "n % 1000000 == 0 ? 1 : 2;' (CLDR, Babel 2.19.0)" in finding.message


def _with_header(project: Path, locale: str, forms: str, plural_message: str = "") -> None:
    po = project / catalog_path(locale)
    content = po.read_text(encoding="utf-8")
    start = content.index('"Plural-Forms: ')
    end = content.index('\\n"', start) + 3
    po.write_text(content[:start] + f'"Plural-Forms: {forms}\\n"' + content[end:]
                  + plural_message, encoding="utf-8")


FRENCH_PLURAL = ('\nmsgid "%(count)s session"\nmsgid_plural "%(count)s sessions"\n'
                 'msgstr[0] "%(count)s séance"\nmsgstr[1] "%(count)s séances"\n')


def _levels(project: Path, locale: str = "fr_CA") -> list[tuple[str, str]]:
    return [(f.level, f.message) for f in _report(project, locale).findings
            if "lural" in f.message]


@pytest.mark.parametrize("forms, says", [
    ("nplurals=2; plural=n >>> 1;", "is not valid C"),
    ("nplurals=2; plural=n;", "gives 2 for n=2, but nplurals=2 allows only 0 to 1"),
    ("nplurals=0; plural=0;", "at least one form"),
    ("nplurals=two; plural=(n > 1);", "is not valid"),
])
def test_header_that_cannot_pick_a_form_is_an_error(project, babel_table, forms, says):
    _with_header(project, "fr_CA", forms)
    (level, message), = _levels(project)
    assert level == "error" and says in message, message


def test_unknown_rule_is_an_error_only_when_a_plural_message_uses_it(project, babel_table):
    _with_header(project, "fr_CA", "nplurals=2; plural=(n == 0);")
    (level, message), = _levels(project)
    assert level == "warning" and "no plural message, so nothing prints differently" in message
    _with_header(project, "fr_CA", "nplurals=2; plural=(n == 0);", FRENCH_PLURAL)
    (level, message), = _levels(project)
    assert level == "error" and "would pick the wrong form" in message
    assert "'nplurals=2; plural=(n > 1);'" in message


def test_plural_message_under_gettext_header_builds_under_either_babel(project, babel_table):
    _with_header(project, "fr_CA", "nplurals=2; plural=(n > 1);", FRENCH_PLURAL)
    assert [level for level, _ in _levels(project)] in ([], ["warning"])
    translations = catalogs.load_translations(project, "fr_CA")
    assert translations.ngettext("%(count)s session", "%(count)s sessions", 0) == \
        "%(count)s séance"
    assert translations.ngettext("%(count)s session", "%(count)s sessions", 2) == \
        "%(count)s séances"


def test_equivalent_spelling_of_the_cldr_rule_is_accepted(babel_table):
    """Judged by what it does to numbers, not by its spelling."""
    table = BABEL_TABLES[babel_table]
    spaced = table["fr"].replace("(", "( ").replace(")", " )")
    assert parse_plural_forms(spaced).same_as(parse_plural_forms(table["fr"]))
    with pytest.raises(PluralFormsError):
        parse_plural_forms("plural=(n > 1);")


def test_init_writes_the_header_every_babel_accepts(project, babel_table):
    path = init_catalog(project, "fr_FR")
    assert '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"' in path.read_text(encoding="utf-8")
    assert [level for level, _ in _levels(project, "fr_FR")] in ([], ["warning"])


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_gettext_table_is_gnu_gettexts_own(tmp_path, language):
    """An independent source: GNU msginit's own table for the languages it knows."""
    pot = tmp_path / "t.pot"
    pot.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n')
    made = subprocess.run(["msginit", "--no-translator", "-i", str(pot), "-l", language,
                           "-o", "-"], capture_output=True, text=True, check=True).stdout
    header = next(line for line in made.splitlines() if line.startswith('"Plural-Forms: '))
    assert header == f'"Plural-Forms: {plurals.GETTEXT_PLURAL_FORMS[language]}\\n"'


def test_check_command_exits_0_with_the_warning(project):
    result = run_cli("--project", str(project), "i18n", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout + result.stderr
