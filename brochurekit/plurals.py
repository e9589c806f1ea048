"""Plural-Forms headers: which are right, independent of the installed Babel's CLDR release.

Babel derives its table from CLDR, and CLDR changes: Babel 2.19 gives French and Spanish a third
"many" form (for 1000000) and Persian and Punjabi a new rule. A catalog written with an older
table is not wrong because of that, so a header is judged by what it does to a number, and two
tables are accepted: the installed Babel's and the conventional gettext one below.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from dataclasses import dataclass

import babel
from babel.messages.plurals import get_plural

# The conventional headers that `i18n init` writes, the same whatever Babel is installed. en, es
# and fr are GNU gettext's own (msginit's table, checked against msginit by the tests); gettext
# has no entry for the others, and these are the forms Babel wrote for them up to 2.18, which
# every gettext runtime and every Babel release reads.
GETTEXT_PLURAL_FORMS = {
    "en": "nplurals=2; plural=(n != 1);",
    "es": "nplurals=2; plural=(n != 1);",
    "fr": "nplurals=2; plural=(n > 1);",
    "fa": "nplurals=1; plural=0;",
    "pa": "nplurals=2; plural=(n != 1);",
    "zh": "nplurals=1; plural=0;",
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : "
          "n%100>=11 ? 4 : 5);",
}

_HEADER = re.compile(r"\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*([^;]+?)\s*;?\s*")
# Numbers that tell plural rules apart: every small count, the hundreds where Arabic changes,
# and the millions where CLDR's French and Spanish "many" form begins.
SAMPLE_COUNTS = (*range(0, 1001), 1001, 1011, 1100, 999999, 1000000, 1000001, 2000000)


class PluralFormsError(ValueError):
    """The header cannot be used at all; the message says why in a translator's words."""


@dataclass(frozen=True)
class PluralRule:
    nplurals: int
    expression: str
    pick: Callable[[int], int]

    @property
    def header(self) -> str:
        return f"nplurals={self.nplurals}; plural={self.expression};"

    def same_as(self, other: PluralRule) -> bool:
        """Whether both pick the same msgstr[n] for every count that tells rules apart."""
        return self.nplurals == other.nplurals and all(
            self.pick(n) == other.pick(n) for n in SAMPLE_COUNTS)


def parse_plural_forms(value: str) -> PluralRule:
    match = _HEADER.fullmatch(value)
    if not match:
        raise PluralFormsError(f"the Plural-Forms header {value!r} is not valid; it reads "
                               "'nplurals=N; plural=EXPRESSION;'")
    nplurals = int(match[1])
    if nplurals < 1:
        raise PluralFormsError(f"Plural-Forms says nplurals={nplurals}; a language has at least "
                               "one form")
    try:
        pick = gettext.c2py(match[2])
    except (ValueError, SyntaxError, RecursionError):
        raise PluralFormsError(f"the plural expression {match[2]!r} is not valid C") from None
    outside = next((n for n in SAMPLE_COUNTS if not 0 <= pick(n) < nplurals), None)
    if outside is not None:
        raise PluralFormsError(f"the plural expression gives {pick(outside)} for n={outside}, "
                               f"but nplurals={nplurals} allows only 0 to {nplurals - 1}")
    return PluralRule(nplurals, match[2], pick)


def language_of(locale: str) -> str:
    return locale.split("_")[0]


def babel_rule(locale: str) -> PluralRule | None:
    """The installed Babel's CLDR rule for the locale, or None where Babel has none."""
    try:
        forms = get_plural(language_of(locale))
    except (ValueError, LookupError):
        return None
    return parse_plural_forms(forms.plural_forms)


def gettext_rule(locale: str) -> PluralRule | None:
    forms = GETTEXT_PLURAL_FORMS.get(language_of(locale))
    return parse_plural_forms(forms) if forms else None


def default_plural_forms(locale: str) -> str:
    """The header a new catalog gets: the conventional one, so no Babel release refuses it."""
    rule = gettext_rule(locale) or babel_rule(locale)
    return rule.header if rule else "nplurals=2; plural=(n != 1);"


@dataclass(frozen=True)
class PluralVerdict:
    level: str | None  # None (agrees with the installed Babel), "warning" or "error"
    message: str


def judge_plural_forms(rule: PluralRule, locale: str, has_plural_messages: bool) -> PluralVerdict:
    """How a valid header compares with the two accepted tables."""
    cldr, conventional = babel_rule(locale), gettext_rule(locale)
    if cldr is None or rule.same_as(cldr):
        return PluralVerdict(None, "")
    accepted = [f"'{cldr.header}' (CLDR, Babel {babel.__version__})"]
    if conventional is not None and not conventional.same_as(cldr):
        accepted.append(f"'{conventional.header}' (gettext)")
    both = " or ".join(accepted)
    if conventional is not None and rule.same_as(conventional):
        return PluralVerdict("warning", f"Plural-Forms is gettext's rule for {locale}, not the "
                                        f"installed Babel's; both print correctly: {both}")
    if not has_plural_messages:
        return PluralVerdict("warning", f"Plural-Forms '{rule.header}' matches no table for "
                                        f"{locale}; the catalog has no plural message, so "
                                        f"nothing prints differently. Accepted: {both}")
    return PluralVerdict("error", f"Plural-Forms '{rule.header}' is not a rule for {locale}, "
                                  f"so plural messages would pick the wrong form; use {both}")
