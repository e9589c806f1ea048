"""Catalogs: what translators get in the .pot, and that every shipped language is complete.

Bad locale codes (case 30 of bad-inputs.md) are tested in test_bad_inputs.py.
"""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from brochurekit.catalogs import extract_catalog

from .conftest import REPO, run_cli

LOCALES = ("fr_CA", "zh_Hans", "ar")


def committed_pot():
    with (REPO / "locales/brochures.pot").open("rb") as handle:
        return read_po(handle)


def test_pot_is_up_to_date_with_the_sources():
    fresh = {(m.context, m.id) for m in extract_catalog(REPO) if m.id}
    assert fresh == {(m.context, m.id) for m in committed_pot() if m.id}, \
        "run `ims-brochure i18n extract` and `pybabel update` after changing source text"


def test_content_messages_carry_key_path_location_and_note():
    pot = committed_pot()
    point = pot.get("The needles are thinner than the ones used to take blood.",
                    context="ims-overview/sections/session/points/2")
    assert point is not None
    source = (REPO / "brochures/ims-overview.yaml").read_text().splitlines()
    line = next(n for n, text in enumerate(source, 1) if "The needles are thinner" in text)
    assert point.locations == [("brochures/ims-overview.yaml", line)]
    gunn = next(m for m in pot if m.context == "ims-overview/sections/what/body/2")
    assert any("Dr. Chan Gunn" in comment for comment in gunn.auto_comments)


def test_template_strings_are_extracted():
    pot = committed_pot()
    label = pot.get("Book an assessment")
    assert label is not None and label.locations[0][0] == "templates/partials/contact.html"


@pytest.mark.parametrize("locale", LOCALES)
def test_shipped_catalogs_are_complete(locale):
    with (REPO / f"locales/{locale}/LC_MESSAGES/brochures.po").open("rb") as handle:
        catalog = read_po(handle)
    pot_ids = {(m.context, m.id) for m in committed_pot() if m.id}
    done = {(m.context, m.id) for m in catalog if m.id and m.string and not m.fuzzy}
    assert pot_ids <= done, sorted(pot_ids - done)[:5]


def test_extract_is_stable(project):
    first = run_cli("--project", str(project), "i18n", "extract")
    assert first.returncode == 0 and "unchanged" in first.stdout
