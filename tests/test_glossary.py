"""Each catalog says its terms one way (locales/LOCALE/glossary.yaml), and none of the wordings
the translation review rejected (issue 17) is back."""

from __future__ import annotations

import re

import pytest
import yaml
from babel.messages.pofile import read_po

from .conftest import REPO

LOCALES = sorted(path.parent.name for path in (REPO / "locales").glob("*/glossary.yaml"))
# The review's quotes, by catalog: wordings a patient stumbled on.
REJECTED = {
    "es": ["calambre o tirón breve", "da un tirón", "tejido de cicatriz",
           "aprieta las articulaciones", "Sus terapeutas de IMS"],
    "fr_CA": ["Vos thérapeutes en IMS", "Votre thérapeute", "Parlons de l’IMS",
              "Prix par séance : ", "puncture sèche (dry"],
    "ar": ["والأعصاب طويل الأمد", "يغذّيها", "مسارات الطاقة"],
    "pa": ["“ਡਰਾਈ” ਇਸ ਲਈ", "ਟੁੱਟ-ਭੱਜ", "ਫਿਜ਼ੀਓਥੈਰੇਪਿਸਟ", "ਡਾ. ਚੈਨ ਗੰਨ ਨੇ", "ਸ਼ਿਨ ਸਪਲਿੰਟਸ"],
    "zh_Hans": ["害怕打针", "正在感染", "您的治疗师", "IMS 治疗师"],
    "zh_Hant": ["害怕打針", "治療師會", "外脛夾", "訊號"],
}


def _says(text: str, wording: str) -> bool:
    """The wording is in the text as words of their own ("thérapeute" is not in
    "kinésithérapeute"); Chinese, written without spaces, as it stands."""
    if re.search("[\u3400-\u9fff]", wording):
        return wording in text
    return re.search(rf"(?<!\w){re.escape(wording)}(?!\w)", text) is not None


def _catalog(locale: str):
    with (REPO / "locales" / locale / "LC_MESSAGES" / "brochures.po").open("rb") as handle:
        return read_po(handle)


def test_every_translated_locale_has_a_glossary():
    catalogs = {path.parent.parent.name
                for path in (REPO / "locales").glob("*/LC_MESSAGES/brochures.po")}
    real = {locale for locale in catalogs if "_X" not in locale}  # not the pseudo-locales
    assert real == set(LOCALES)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_glossary_term_is_said_the_same_way_in_every_message(locale):
    """Every message whose English names a glossary term uses one of the term's forms, so the
    tri-fold, the handout and the poster say it alike; no message uses a form to avoid."""
    glossary = yaml.safe_load((REPO / "locales" / locale / "glossary.yaml").read_text("utf-8"))
    assert {"IMS", "dry needling", "practitioner", "physiotherapist"} <= set(glossary["terms"])
    assert glossary["region"]
    strays = []
    for message in _catalog(locale):
        if not message.id or not isinstance(message.string, str):
            continue
        for term, forms in glossary["terms"].items():
            if term.lower() in message.id.lower() and not any(
                    re.search(form, message.string) for form in forms):
                strays.append((message.context, term, message.string))
        strays += [(message.context, "avoid", wording) for wording in glossary["avoid"]
                   if _says(message.string, wording)]
    assert strays == []


@pytest.mark.parametrize("locale", sorted(REJECTED))
def test_the_wordings_the_review_rejected_are_gone(locale):
    """Gone from the messages, and from the obsolete ones (#~) the file keeps as well."""
    catalog = _catalog(locale)
    messages = [*catalog, *catalog.obsolete.values()]
    found = [(message.context, wording) for message in messages
             if isinstance(message.string, str) for wording in REJECTED[locale]
             if _says(message.string, wording)]
    assert found == []
