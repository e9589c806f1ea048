"""Typesetting rules a compositor applies to text before it is set, per language.

Applied to every message as it is looked up (catalog or English source) and to the clinic's
own lines, so translators keep writing plain text:
- English gets curly quotes and apostrophes;
- a title stays with the name after it, and a name with itself ("Dr Chan Gunn"), a number with
  the word after it ("45 minutes") and a range with its ends ("2 to 3");
- a one-letter prefix keeps its hyphen ("X-ray" never breaks after "X-");
- a paragraph or heading does not end on a line of one word (the last two words are bound),
  and Chinese does not end on a line of one character (the last two are).
Bindings are no-break spaces and word joiners (U+2060): both are read back as a space or
nothing by text extraction, so a searched or copied word is the word.
"""

from __future__ import annotations

import re

NBSP, WORD_JOINER = "\u00a0", "\u2060"
# Names that must not break, as the facts file and the catalogs write them.
NAMES = ("Chan Gunn", "ਚੈਨ ਗੰਨ")
# Titles that stay with the name that follows them.
_TITLE = re.compile(r"(?<!\w)(Dr\.?|Dre|Prof\.?|ਡਾ\.|د\.|دکتر)\s+(?=\w)")
# A number and the word after it; a range "2 to 3", "۲۴ تا ۴۸" (a short word between numbers).
_NUMBER_WORD = re.compile(r"(\d)[ ](?=[^\W\d_])")
_RANGE = re.compile(r"(\d)[ ](\S{1,4})[ ](?=\d)")
_LETTER_HYPHEN = re.compile(r"(?<![\w-])([A-Za-z])-(?=[a-z])")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Closing punctuation that may end a Chinese line (it never starts one anyway).
_CJK_END = "。！？，、；：」』）》〉”’.!?"


def typeset(text: str, locale: str) -> str:
    language = locale.split("_")[0]
    if language == "en":
        text = curly_quotes(text)
    for name in NAMES:
        text = text.replace(name, name.replace(" ", NBSP))
    text = _TITLE.sub(lambda m: m[1] + NBSP, text)
    text = _RANGE.sub(lambda m: m[1] + NBSP + m[2] + NBSP, text)
    text = _NUMBER_WORD.sub(lambda m: m[1] + NBSP, text)
    text = _LETTER_HYPHEN.sub(lambda m: m[1] + "-" + WORD_JOINER, text)
    if language == "zh":
        return _no_lone_last_character(text)
    return _no_lone_last_word(text)


# Invisible formatting that says how to lay out, not what is written.
_LAYOUT_ONLY = dict.fromkeys(map(ord, "\u2060\u2066\u2067\u2068\u2069\u200e\u200f\u00ad"))


def plain_text(text: str) -> str:
    """What a typeset text says, for where it is read rather than set (alternative text, a
    link's description, a line's ActualText): without layout controls and word joiners, its
    no-break spaces as spaces."""
    return text.translate(_LAYOUT_ONLY).replace(NBSP, " ").replace("\u202f", " ")


def curly_quotes(text: str) -> str:
    """English quotes and apostrophes as printed: it’s, “IMS”, ‘dry’."""
    text = re.sub(r"(?<=\w)'(?=\w)", "’", text)  # it's, clinic's
    text = re.sub(r"(?<=[\w.,!?])'", "’", text)  # a closing single quote or plural possessive
    text = text.replace("'", "‘")
    text = re.sub(r'(^|[\s(\[])"', "\\1“", text)
    return text.replace('"', "”")


def _no_lone_last_word(text: str) -> str:
    """Bind the last two words of a text of three words or more (a short label may break
    where it needs to)."""
    words = text.rstrip().split(" ")
    if len(words) < 3 or "%(" in words[-1] or "%(" in words[-2]:
        return text
    head, _, tail = text.rpartition(" ")
    return head + NBSP + tail


def _no_lone_last_character(text: str) -> str:
    """Join the last two Chinese characters (and the punctuation after them) so that no line
    holds a single character."""
    end = len(text.rstrip())
    while end and text[end - 1] in _CJK_END:
        end -= 1
    if end < 2 or not (CJK.match(text[end - 1]) and CJK.match(text[end - 2])):
        return text
    return text[:end - 1] + WORD_JOINER + text[end - 1:]
