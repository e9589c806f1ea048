"""Catalog checks: everything in a .po that would print wrong, or silently in English.

`pybabel compile` accepts a dropped placeholder, a duplicate msgid, an unterminated string, an
invalid Plural-Forms header and a header marked fuzzy; each of those is an error here, reported
with the .po file and line.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .characters import text_problem
from .errors import InputError, Location
from .plurals import PluralFormsError, default_plural_forms, judge_plural_forms, parse_plural_forms
from .pofile import PoEntry, PoFile, read_po_file
from .typography import CJK

# %-style: %(name)s, %s, %5.2f ... and the escaped %%; anything else after a % is broken. The
# space flag and the %a conversion are left out on purpose: "%(phone) a" is a typo, not a format.
_PERCENT = re.compile(r"%(?:%|(\([A-Za-z_]\w*\))?[#0+-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?"
                      r"[diouxXeEfFgGcrs])")
_PERCENT_NAMED = re.compile(r"%\([A-Za-z_]\w*\)")
_BRACE = re.compile(r"\{[A-Za-z_]\w*(?:[.!:][^{}]*)?\}|\{\d*\}")
_TAG = re.compile(r"<\s*/?\s*([A-Za-z][\w:-]*)")
# Headings and cover lines sit in fixed boxes; a translation far longer than its source is
# worth a second look, though it is not wrong in itself.
_SHORT_ROLES = ("/heading", "/title", "/subtitle", "/promise")
LENGTH_WARNING_RATIO = 1.6


@dataclass(frozen=True)
class Finding:
    level: str  # "error" or "warning"
    where: Location
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.level}: {self.message}"


@dataclass(frozen=True)
class CatalogReport:
    locale: str
    path: Path
    findings: tuple[Finding, ...]
    total: int
    translated: int
    fuzzy: int
    untranslated: tuple[PoEntry, ...]
    fuzzy_entries: tuple[PoEntry, ...]
    last_translator: str

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == "error")

    @property
    def percent(self) -> float:
        return round(100 * self.translated / self.total, 1) if self.total else 100.0


def check_catalog(root: Path, locale: str, po_path: Path, template_keys=None,
                  po: PoFile | None = None) -> CatalogReport:
    """Every rule over one catalog. `template_keys` (context, msgid) pairs come from the .pot."""
    po = po if po is not None else read_po_file(root / po_path, po_path)
    findings = [Finding("error", e.where, e.message) for e in po.errors]
    nplurals = _check_header(po, locale, findings)
    seen: dict[tuple[str | None, str], int] = {}
    for entry in po.messages:
        key = (entry.context, entry.msgid)
        if key in seen:
            findings.append(Finding("error", Location(po.path, entry.line),
                                    f"duplicate message {_short(entry.msgid)!r} (first on line "
                                    f"{seen[key]}); keep one and delete the other"))
            continue
        seen[key] = entry.line
        _check_plural_count(po, entry, nplurals, findings)
        if entry.translated and not entry.fuzzy:
            _check_entry(po, entry, findings, locale)
    if template_keys is not None:
        for entry in po.messages:
            if (entry.context, entry.msgid) not in template_keys:
                findings.append(Finding(
                    "warning", Location(po.path, entry.line),
                    f"{_short(entry.msgid)!r} is no longer in brochures.pot; run "
                    f"`ims-brochure i18n update {locale}` to mark it obsolete"))
    used = [entry for entry in po.messages
            if template_keys is None or (entry.context, entry.msgid) in template_keys]
    missing_from_po = len(template_keys - set(seen)) if template_keys is not None else 0
    untranslated = tuple(e for e in used if not e.translated)
    fuzzy = tuple(e for e in used if e.translated and e.fuzzy)
    return CatalogReport(
        locale, po_path, tuple(findings), len(used) + missing_from_po,
        len(used) - len(untranslated) - len(fuzzy), len(fuzzy), untranslated, fuzzy,
        po.header_fields().get("Last-Translator", ""))


def _check_header(po: PoFile, locale: str, findings: list[Finding]) -> int | None:
    header = po.header
    if header is None:
        findings.append(Finding("error", Location(po.path, 1),
                                "the catalog has no header entry (msgid \"\" first)"))
        return None
    where = Location(po.path, header.line)
    if header.fuzzy:
        findings.append(Finding("error", where,
                                "the header is marked fuzzy, so gettext tools ignore the whole "
                                "catalog and print English; remove 'fuzzy' from its #, line"))
    fields = po.header_fields()
    content_type = fields.get("Content-Type", "")
    charset = re.search(r"charset=([\w-]+)", content_type)
    if not charset or charset[1].lower().replace("_", "-") != "utf-8":
        found = charset[1] if charset else "none"
        findings.append(Finding("error", where,
                                f"the header's charset is {found}; set 'Content-Type: "
                                "text/plain; charset=UTF-8' and save the file as UTF-8"))
    language = fields.get("Language")
    if language and language.replace("-", "_") != locale:
        findings.append(Finding("warning", where, f"the header says Language: {language}, but "
                                                  f"the file is in the {locale} folder"))
    return _check_plural_forms(po, fields.get("Plural-Forms"), locale, where, findings)


def _check_plural_forms(po, value, locale, where, findings) -> int | None:
    """Only what can print wrong is an error; a header from another accepted table is a warning.

    Returns the header's nplurals, which the plural messages are then held to.
    """
    has_plurals = any(entry.msgid_plural for entry in po.messages)
    example = f"'Plural-Forms: {default_plural_forms(locale)}'"
    if value is None:
        if has_plurals:
            findings.append(Finding("error", where, f"the header has no Plural-Forms line; add "
                                                    f"{example}"))
        return None
    try:
        rule = parse_plural_forms(value)
    except PluralFormsError as exc:
        findings.append(Finding("error", where, f"{exc}; use {example}"))
        return None
    verdict = judge_plural_forms(rule, locale, has_plurals)
    if verdict.level:
        findings.append(Finding(verdict.level, where, verdict.message))
    return rule.nplurals


def _check_plural_count(po: PoFile, entry: PoEntry, nplurals: int | None, findings) -> None:
    where = Location(po.path, entry.line)
    if entry.msgid_plural is None:
        if entry.plural_indexes:
            findings.append(Finding("error", where, "msgstr[n] is only for messages with a "
                                                    "msgid_plural; use a plain msgstr"))
        return
    if not entry.plural_indexes:
        findings.append(Finding("error", where, "a plural message needs msgstr[0], msgstr[1], ..."
                                                " instead of a plain msgstr"))
    elif nplurals is not None and (len(entry.msgstr) != nplurals
                                   or entry.plural_indexes != tuple(range(nplurals))):
        findings.append(Finding("error", where,
                                f"this plural message has {len(entry.msgstr)} msgstr[n] lines "
                                f"but the header says nplurals={nplurals}; give msgstr[0] to "
                                f"msgstr[{nplurals - 1}]"))


def _check_entry(po: PoFile, entry: PoEntry, findings: list[Finding], locale: str = "") -> None:
    sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
    for index, translation in enumerate(entry.msgstr):
        line = entry.msgstr_lines[index] if index < len(entry.msgstr_lines) else entry.line
        where = Location(po.path, line)
        source = sources[min(index, len(sources) - 1)] if entry.msgid_plural else entry.msgid
        if problem := text_problem(translation):
            findings.append(Finding("error", where, problem))
            continue
        for problem in placeholder_problems(source, translation,
                                            always_formatted=entry.context is None):
            findings.append(Finding("error", where, problem))
        added = set(_TAG.findall(translation)) - set(_TAG.findall(" ".join(sources)))
        if added:
            tags = ", ".join(f"<{tag}>" for tag in sorted(added))
            findings.append(Finding("error", where, f"the translation adds markup ({tags}) that "
                                                    "the source does not have; write plain text"))
        if locale.startswith("zh") and CJK.search(translation):
            for mark in sorted(set(_HALF_WIDTH.findall(_PERCENT.sub("", translation)))):
                findings.append(Finding("warning", where, (
                    f"a half-width {mark!r} in Chinese text; use the full-width "
                    f"{_FULL_WIDTH[mark]!r} (Chinese punctuation takes a full character)")))
        if (entry.context or "").endswith(_SHORT_ROLES) and \
                display_width(translation) > LENGTH_WARNING_RATIO * display_width(source) + 6:
            findings.append(Finding("warning", where,
                                    f"this heading is much longer than its source "
                                    f"({display_width(translation)} vs {display_width(source)} "
                                    "columns) and may not fit its box; try a shorter wording"))


# Half-width marks that Chinese text writes full width (a colon between digits is a time).
_HALF_WIDTH = re.compile(r"[,;!?]|(?<!\d):(?!\d)")
_FULL_WIDTH = {",": "，", ";": "；", "!": "！", "?": "？", ":": "："}


def placeholder_problems(source: str, translation: str, always_formatted: bool = False
                         ) -> list[str]:
    """What is wrong with the placeholders of a translation, in words a translator can act on.

    `always_formatted`: the text goes through %-formatting even without placeholders (Jinja
    does this to every {% trans %} string), so a percent sign must be written %%.
    """
    problems = []
    source_percent = _placeholders(_PERCENT, source)
    if source_percent or always_formatted or _PERCENT_NAMED.search(translation):
        broken = _broken_percent(translation)
        if broken:
            # Name what the source has (the one a broken %(...) most likely meant).
            expected = ", ".join(sorted(source_percent)) or "%(name)s"
            problems.append(f"broken placeholder at {broken!r}: write it exactly as in the "
                            f"source ({expected}), or %% for a percent sign")
        else:
            problems += _compare(source_percent, _placeholders(_PERCENT, translation))
    source_brace = _placeholders(_BRACE, source)
    if source_brace or _BRACE.search(translation):
        if source_brace and translation.count("{") != translation.count("}"):
            problems.append("unbalanced { } braces: write each placeholder as in the source, "
                            "e.g. {name}")
        else:
            problems += _compare(source_brace, _placeholders(_BRACE, translation))
    return problems


def _placeholders(pattern: re.Pattern, text: str) -> Counter:
    return Counter(match[0] for match in pattern.finditer(text) if match[0] != "%%")


def _broken_percent(text: str) -> str | None:
    index = 0
    while (index := text.find("%", index)) != -1:
        match = _PERCENT.match(text, index)
        if not match:
            return text[index:index + 12]
        index = match.end()
    return None


def _compare(source: Counter, translation: Counter) -> list[str]:
    """One line per placeholder name, however often a translation repeats it."""
    missing, extra = source - translation, translation - source
    if len(missing) == 1 and len(extra) == 1 and sum(missing.values()) == sum(extra.values()):
        old, new = next(iter(missing)), next(iter(extra))
        return [f"placeholder {old} was renamed to {new}; keep {old} exactly"]

    def times(count: int) -> str:
        return f" ({count} times)" if count > 1 else ""
    problems = [f"placeholder {name} is missing{times(count)}; keep it exactly as in the source"
                for name, count in sorted(missing.items())]
    problems += [f"placeholder {name} is not in the source{times(count)}; remove it"
                 for name, count in sorted(extra.items())]
    return problems


def display_width(text: str) -> int:
    """Columns a text takes: East Asian wide characters count twice."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def as_input_error(report: CatalogReport) -> InputError:
    """A build-time error for a catalog that fails its checks."""
    first = report.errors[0]
    more = f" (and {len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
    return InputError(f"the {report.locale} catalog has errors and is not used: {first.message}"
                      f"{more}; see `ims-brochure i18n check {report.locale}`", first.where)
