"""Translation catalogs: extraction into the .pot, compilation to .mo, and translating a model.

Every content string is a gettext message whose msgctxt is its key path
(`ims-overview/sections/how/points/2`) and whose location is the YAML file and line; template
strings come from `{% trans %}` blocks through Jinja's own extractor.
"""

from __future__ import annotations

import gettext
import io
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from .content import Brochure, Message, load_brochure
from .errors import InputError, Location

SOURCE_LOCALE = "en"
DOMAIN = "brochures"
POT_PATH = Path("locales") / f"{DOMAIN}.pot"


POT_HEADER = """\
# Messages of the IMS patient brochures, extracted from brochures/*.yaml and templates/.
# Do not translate here: run `ims-brochure i18n extract` to rebuild this file, and translate in
# locales/<locale>/LC_MESSAGES/brochures.po."""


def catalog_path(locale: str, suffix: str = ".po") -> Path:
    return Path("locales") / locale / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@dataclass(frozen=True)
class LocaleInfo:
    """What rendering needs to know about a locale, straight from Babel's CLDR data."""

    id: str
    bcp47: str
    direction: str
    display_name: str


def parse_locale(identifier: str) -> Locale:
    """A Babel Locale for an identifier written in Babel's underscore form, or ValueError."""
    try:
        locale = Locale.parse(identifier, sep="_")
    except (UnknownLocaleError, ValueError, TypeError):
        locale = None
    if locale is None or str(locale) != identifier:
        hint = ""
        if locale is None and "-" in identifier:
            hint = f"; write it with an underscore, e.g. {identifier.replace('-', '_')!r}"
        elif locale is not None:
            hint = f"; did you mean {str(locale)!r}?"
        raise ValueError(f"{identifier!r} is not a known locale{hint}")
    return locale


def locale_info(identifier: str) -> LocaleInfo:
    locale = parse_locale(identifier)
    tag = "-".join(part for part in (locale.language, locale.script, locale.territory) if part)
    return LocaleInfo(identifier, tag, locale.text_direction,
                      locale.get_display_name(locale) or identifier)


def project_locales(root: Path, errors: list[InputError]) -> tuple[str, ...]:
    """English plus every locale that has a catalog in locales/, each checked with Babel."""
    found = [SOURCE_LOCALE]
    folder = root / "locales"
    for entry in sorted(folder.iterdir()) if folder.is_dir() else ():
        if not entry.is_dir():
            continue
        po = root / catalog_path(entry.name)
        if not po.is_file():
            errors.append(InputError(f"this folder has no LC_MESSAGES/{DOMAIN}.po; add the catalog "
                                     "or remove the folder", Location(entry.relative_to(root))))
            continue
        try:
            parse_locale(entry.name)
        except ValueError as exc:
            errors.append(InputError(f"{exc} (folder name of a catalog)",
                                     Location(entry.relative_to(root))))
            continue
        found.append(entry.name)
    return tuple(found)


# --- extraction -------------------------------------------------------------------------------

def extract_brochure(fileobj, keywords, comment_tags, options):
    """Babel extractor for brochures/<id>.yaml (registered under `babel.extractors`).

    Yields pgettext calls so that each message carries its key path as msgctxt; translator
    notes from the YAML become extracted comments.
    """
    path = Path(getattr(fileobj, "name", "brochure.yaml"))
    errors: list[InputError] = []
    brochure = load_brochure(path, path, errors)
    if errors:
        raise InputError("cannot extract messages:\n" + "\n".join(f"  {e}" for e in errors))
    for message in brochure.messages():
        comments = [message.note] if message.note else []
        yield message.line or 0, "pgettext", (message.key, message.text), comments


def babel_mappings(root: Path) -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    """The [[tool.babel.mappings]] of pyproject.toml, as Babel's method and options maps."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    method_map, options_map = [], {}
    for mapping in data["tool"]["babel"]["mappings"]:
        options = {key: str(value) for key, value in mapping.items()
                   if key not in ("method", "pattern")}
        method_map.append((mapping["pattern"], mapping["method"]))
        options_map[mapping["pattern"]] = options
    return method_map, options_map


def extract_catalog(root: Path) -> Catalog:
    method_map, options_map = babel_mappings(root)
    catalog = Catalog(project="IMS brochures", version="1", domain=DOMAIN, fuzzy=False,
                      charset="utf-8")
    catalog.header_comment = POT_HEADER
    catalog.msgid_bugs_address = ""
    for filename, lineno, message, comments, context in extract_from_dir(
            root, method_map, options_map, comment_tags=("Translators:",),
            strip_comment_tags=True):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def write_pot(root: Path) -> tuple[Path, bool]:
    """Rebuild locales/brochures.pot; leave the file untouched when no message changed."""
    catalog = extract_catalog(root)
    target = root / POT_PATH
    if target.is_file():
        with target.open("rb") as handle:
            old = read_po(handle)
        if _message_table(old) == _message_table(catalog):
            return target, False
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, sort_output=False, omit_header=False)
    _atomic_write(target, buffer.getvalue())
    return target, True


def _message_table(catalog: Catalog):
    # The .po format wraps long comments over several lines; compare their text, not the lines.
    return [(m.context, m.id, tuple(m.locations), " ".join(m.auto_comments))
            for m in catalog if m.id]


# --- compilation and lookup -------------------------------------------------------------------

def compile_catalog(root: Path, locale: str) -> Path:
    """Compile the locale's .po to .mo; the .mo is rewritten only when its content changes.

    Compiling is cheap, and comparing content rather than timestamps means a copied project
    never prints from a stale .mo that merely looks newer.
    """
    po_path = root / catalog_path(locale)
    mo_path = root / catalog_path(locale, ".mo")
    try:
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=locale, abort_invalid=True)
    except Exception as exc:  # Babel raises several types for a broken catalog.
        line = getattr(exc, "lineno", None)
        raise InputError(f"cannot read the catalog: {exc}",
                         Location(catalog_path(locale), line)) from None
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    compiled = buffer.getvalue()
    if not mo_path.is_file() or mo_path.read_bytes() != compiled:
        _atomic_write(mo_path, compiled)
    return mo_path


@dataclass
class Translations:
    """Lookups for one locale; remembers which messages fell back to English."""

    locale: str
    table: dict[tuple[str | None, str], str | tuple[str, ...]]
    missing: set[tuple[str | None, str]] = field(default_factory=set)
    # Which msgstr[n] a count takes; replaced by the catalog's Plural-Forms expression.
    plural_index: Callable[[int], int] = lambda count: int(count != 1)

    def _lookup(self, context: str | None, message: str) -> str:
        if self.locale == SOURCE_LOCALE:
            return message
        found = self.table.get((context, message))
        if isinstance(found, str) and found:
            return found
        self.missing.add((context, message))
        return message

    def fresh(self) -> Translations:
        """The same catalog with an empty record of fallbacks, to count one cell's."""
        return Translations(self.locale, self.table, set(), self.plural_index)

    def gettext(self, message: str) -> str:
        return self._lookup(None, message)

    def pgettext(self, context: str, message: str) -> str:
        return self._lookup(context, message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.npgettext(None, singular, plural, count)

    def npgettext(self, context: str | None, singular: str, plural: str, count: int) -> str:
        if self.locale != SOURCE_LOCALE:
            found = self.table.get((context, singular))
            if isinstance(found, tuple) and all(found):
                return found[min(self.plural_index(count), len(found) - 1)]
            self.missing.add((context, singular))
        return singular if count == 1 else plural


def load_translations(root: Path, locale: str) -> Translations:
    if locale == SOURCE_LOCALE:
        return Translations(locale, {})
    mo_path = compile_catalog(root, locale)
    with mo_path.open("rb") as handle:
        catalog = read_mo(handle)
    table = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        # Babel's read_mo leaves msgctxt as bytes while msgid is text.
        context = message.context
        if isinstance(context, bytes):
            context = context.decode(catalog.charset or "utf-8")
        table[(context, key)] = message.string
    translations = Translations(locale, table)
    # The catalog's own Plural-Forms expression picks msgstr[n], as gettext does.
    translations.plural_index = gettext.c2py(catalog.plural_expr)
    return translations


def translate(brochure: Brochure, translations: Translations) -> Brochure:
    """The brochure with every message in the catalog's language (English where missing)."""
    def change(message: Message) -> Message:
        return Message(message.key, translations.pgettext(message.key, message.text),
                       message.line, message.note)
    return brochure.map_messages(change)


def _atomic_write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(target)
