"""Typesetting rules (brochurekit.typography), as text and as the built pages print them."""

from __future__ import annotations

import pytest

from brochurekit.typography import NBSP, WORD_JOINER, typeset


@pytest.mark.parametrize(("locale", "text", "expected"), [
    ("en", "It's not 'dry' \"needling\" here, is it", "It’s not ‘dry’ “needling” here, is\u00a0it"),
    ("en", "IMS was developed by Dr. Chan Gunn, a physician.",
     "IMS was developed by Dr.\u00a0Chan\u00a0Gunn, a\u00a0physician."),
    ("en", "It does not show on X-rays at all", "It does not show on X-\u2060rays at\u00a0all"),
    # The last space of a text is a binding too: "need" stays with the range.
    ("en", "Most people need 8 to 10 sessions.",
     "Most people need\u00a08\u00a0to\u00a010\u00a0sessions."),
    ("fa", "بیشتر افراد ۸ تا ۱۰ جلسه نیاز دارند",
     "بیشتر افراد ۸\u00a0تا\u00a0۱۰\u00a0جلسه نیاز\u00a0دارند"),
    ("pa", "ਡਾ. ਚੈਨ ਗੰਨ ਨੇ ਵਿਕਸਿਤ ਕੀਤਾ", "ਡਾ.\u00a0ਚੈਨ\u00a0ਗੰਨ ਨੇ ਵਿਕਸਿਤ\u00a0ਕੀਤਾ"),
    ("zh_Hans", "针刺会让肌肉放松，缓解疼痛。", "针刺会让肌肉放松，缓解疼\u2060痛。"),
    # A short label may break anywhere; a placeholder is never bound.
    ("en", "Call us", "Call us"),
    ("en", "Questions? Call us at %(phone)s.", "Questions? Call us at %(phone)s."),
    # Other languages keep their own quotes.
    ("fr_CA", "l'IMS à sec, vraiment", "l'IMS à sec,\u00a0vraiment"),
])
def test_typeset_binds_what_must_not_break_and_curls_english_quotes(locale, text, expected):
    assert typeset(text, locale) == expected


def test_typesetting_changes_no_visible_character_but_quotes():
    """Bindings are no-break spaces and word joiners: the words themselves are unchanged."""
    text = "The needle goes 1 to 2 cm into X-ray-proof tissue, Dr Chan Gunn said, 'twice'."
    typeset_text = typeset(text, "en").replace(NBSP, " ").replace(WORD_JOINER, "")
    assert typeset_text.replace("‘", "'").replace("’", "'") == text
