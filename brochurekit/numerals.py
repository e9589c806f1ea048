"""Numbers as each locale's own text writes them: its digits, and prices that keep their order
inside right-to-left text.

Babel knows each locale's default numbering system (Persian: `arabext`) and formats with its
symbols, but writes Latin digits whatever the system; the digits come from Unicode here.
"""

from __future__ import annotations

from babel import Locale
from babel.numbers import format_currency, get_currency_symbol

# The zero of each decimal numbering system a brochure language may use (CLDR's names); the
# other nine digits follow it in Unicode.
_ZERO = {"latn": "0", "arab": "\u0660", "arabext": "\u06f0", "guru": "\u0a66",
         "deva": "\u0966", "beng": "\u09e6"}
LRI, FSI, PDI = "\u2066", "\u2068", "\u2069"


def native_digits(text: str, locale: str) -> str:
    """`text` with its ASCII digits in the locale's default numbering system."""
    zero = _ZERO.get(Locale.parse(locale).default_numbering_system, "0")
    if zero == "0":
        return text
    return text.translate({ord("0") + n: chr(ord(zero) + n) for n in range(10)})


def format_price(amount, currency: str, locale: str) -> str:
    """A price in the locale's pattern and digits, isolated in its own direction (first
    strong: CLDR starts right-to-left patterns with a right-to-left mark), its currency symbol
    kept left to right inside: "CA$" does not turn into "$CA" in Arabic."""
    text = format_currency(amount, currency, locale=locale, numbering_system="default")
    symbol = get_currency_symbol(currency, locale=locale)
    if any(char.isalpha() for char in symbol):  # "CA$", "UK£": letters with a sign
        text = text.replace(symbol, LRI + symbol + PDI, 1)
    return FSI + native_digits(text, locale) + PDI
