"""Pseudo-locales: fake translations that show layout problems before real ones exist.

en_XA swaps letters for accented look-alikes, makes every text about 40 % longer and brackets it,
so clipping and tight boxes show at a glance. ar_XB keeps English words but forces them right to
left, so every mirroring problem shows. Placeholders and markup are left untouched.
"""

from __future__ import annotations

import re

PSEUDO_LOCALES = {
    # id: (BCP 47 tag, direction, base language for fonts and plural rules)
    "en_XA": ("en-XA", "ltr", "en"),
    "ar_XB": ("ar-XB", "rtl", "ar"),
}

_ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "åƀçđéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÅƁÇĐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)
# Placeholders (%(name)s, %s, {name}) and tags pass through unchanged.
_PROTECTED = re.compile(r"%(?:\([A-Za-z_]\w*\))?[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]"
                        r"|\{[^{}]*\}|<[^>]*>")
_FILLER = ("one two three four five six seven eight nine ten eleven twelve"  # noqa: SIM905
           .split())
EXPANSION = 0.4

RLO, PDF, RLM = "\u202e", "\u202c", "\u200f"


def _outside_protected(text: str, change) -> str:
    parts, last = [], 0
    for match in _PROTECTED.finditer(text):
        parts.append(change(text[last:match.start()]))
        parts.append(match[0])
        last = match.end()
    parts.append(change(text[last:]))
    return "".join(parts)


def accented(text: str) -> str:
    """en_XA: [Ŵĥåţ îš ÎṀŠ? one two] — accented, ~40 % longer, bracketed."""
    body = _outside_protected(text, lambda part: part.translate(_ACCENTED))
    words, extra = [], round(len(text) * EXPANSION)
    while extra > 0:
        word = _FILLER[len(words) % len(_FILLER)]
        words.append(word)
        extra -= len(word) + 1
    return f"[{body}{' ' + ' '.join(words) if words else ''}]"


def mirrored(text: str) -> str:
    """ar_XB: each run of words forced right to left, as Android's pseudo-locale does."""
    def force(part: str) -> str:
        return re.sub(r"\S+", lambda word: f"{RLM}{RLO}{word[0]}{PDF}{RLM}", part)
    return _outside_protected(text, force)


def pseudo_translate(locale: str, text: str) -> str:
    return accented(text) if locale == "en_XA" else mirrored(text)
