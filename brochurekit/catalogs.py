"""Translation catalogs: extraction into the .pot, compilation to .mo, and translating a model.

Every content string is a gettext message whose msgctxt is its key path
(`ims-overview/sections/how/points/2`) and whose location is the YAML file and line; template
strings come from `{% trans %}` blocks through Jinja's own extractor.
"""

from __future__ import annotations

import difflib
import gettext
import io
import re
import tomllib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.localedata import locale_identifiers
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from jinja2 import TemplateSyntaxError
from markupsafe import Markup, escape

from .budgets import budget_note, tri_fold_boxes
from .checks import CatalogReport, as_input_error, check_catalog
from .clinics import CREDENTIAL_CONTEXT
from .content import Brochure, Message, load_brochure
from .design import load_design
from .errors import InputError, Location, ProjectError, suggest
from .files import unsafe_inputs, write_atomic
from .plurals import default_plural_forms
from .pofile import read_po_file
from .pseudo import PSEUDO_LOCALES, pseudo_translate
from .typography import typeset
from .yamlfiles import read_yaml

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
        if locale is None and "-" in identifier:
            hint = f"; write it with an underscore, e.g. {identifier.replace('-', '_')!r}"
        elif locale is not None:
            hint = f"; did you mean {str(locale)!r}?"
        else:
            close = difflib.get_close_matches(identifier, locale_identifiers(), n=3, cutoff=0.7)
            hint = (f"; did you mean {' or '.join(map(repr, close))}?" if close else
                    "; use a language code with an optional script and territory, "
                    "e.g. es, fr_CA, zh_Hant")
        raise ValueError(f"{identifier!r} is not a known locale{hint}")
    return locale


def is_pseudo(identifier: str) -> bool:
    return identifier in PSEUDO_LOCALES


def locale_info(identifier: str) -> LocaleInfo:
    if is_pseudo(identifier):
        tag, direction, _base = PSEUDO_LOCALES[identifier]
        return LocaleInfo(identifier, tag, direction, f"pseudo-locale {identifier}")
    locale = parse_locale(identifier)
    tag = "-".join(part for part in (locale.language, locale.script, locale.territory) if part)
    return LocaleInfo(identifier, tag, locale.text_direction,
                      locale.get_display_name(locale) or identifier)


def project_locales(root: Path, errors: list[InputError]) -> tuple[str, ...]:
    """English plus every locale that has a catalog in locales/, each checked with Babel
    (callers check the project's inputs for links out and pipes first)."""
    found = [SOURCE_LOCALE]
    folder = root / "locales"
    for entry in sorted(folder.iterdir()) if folder.is_dir() else ():
        if not entry.is_dir() or is_pseudo(entry.name):
            continue  # pseudo-locales are generated on demand, not project languages
        if entry.name == SOURCE_LOCALE:
            errors.append(InputError("English is the source language and needs no catalog; "
                                     "remove this folder", Location(entry.relative_to(root))))
            continue
        po = root / catalog_path(entry.name)
        leftovers = [path for path in entry.rglob("*") if path.is_file()]
        if not po.is_file() and leftovers and all(path.suffix == ".mo" for path in leftovers):
            # A compiled catalog left behind (its .po removed or renamed): not a language.
            warnings.warn(f"{entry.relative_to(root)}: a compiled catalog (.mo) without its "
                          f"{DOMAIN}.po is ignored; remove the folder, or put the .po back",
                          stacklevel=2)
            continue
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
    # brochures/<id>.yaml: the project is two folders up.
    boxes = tri_fold_boxes(load_design(path.resolve().parent.parent)) \
        if brochure.layout == "tri-fold" else {}
    for message in brochure.messages():
        yield message.line or 0, "pgettext", (message.key, message.text), \
            translator_notes(message, boxes, brochure.layout)


ROLES = {
    "title": "Front-cover title.",
    "subtitle": "Front-cover subtitle, under the title.",
    "tagline": "Front-cover line saying what the treatment is for.",
    "promise": "Short label in a rounded box on the front cover.",
    "heading": "Heading of a section.",
    "body": "Paragraph of a section.",
    "points": "Bullet point.",
    "items": "Item of a two-column list: a short fragment, no full stop.",
    "closing": "Closing line of a section, printed in bold.",
}
# Where the brochure's own lines print on the layouts that have no front cover.
LAYOUT_ROLES = {
    "handout": {
        "title": "Title at the top of the handout, under the clinic's logo.",
        "subtitle": "Line under the handout's title.",
        "tagline": "Line under the handout's title and subtitle, in italics (upright in "
                   "scripts without italics).",
    },
    "poster": {
        "title": "Poster headline, read from a few steps away.",
        "subtitle": "Line under the poster headline.",
        "tagline": "Line under the poster headline and its subtitle.",
        "promise": "Short label in a rounded box on the poster.",
    },
}
# Names that stay as they are in every language.
KEEP_AS_IS = ("GunnIMS", "Chan Gunn", "IMS")


def translator_notes(message: Message, boxes: dict, layout: str = "tri-fold") -> list[str]:
    """What a translator needs: what the text is, how long it may be, what to keep as is."""
    parts = message.key.split("/")
    role = next((part for part in reversed(parts) if part in ROLES), None)
    notes = [LAYOUT_ROLES.get(layout, {}).get(role) or ROLES[role]] if role else []
    if role in boxes:
        notes.append(budget_note(boxes[role]))
    keep = [name for name in KEEP_AS_IS if name in message.text
            and not any(name in longer and longer in message.text
                        for longer in KEEP_AS_IS if longer != name)]
    if keep:
        notes.append("Do not translate: " + ", ".join(keep) + ".")
    if message.note:
        notes.append(message.note)
    return notes


def extract_template(fileobj, keywords, comment_tags, options):
    """Jinja's extractor with each translator note on one line: a template comment keeps its
    line breaks as runs of spaces. pyproject.toml names it, so `pybabel extract` writes the
    same notes as `ims-brochure i18n extract`."""
    from jinja2.ext import babel_extract

    for lineno, function, message, comments in babel_extract(fileobj, keywords, comment_tags,
                                                              options):
        yield lineno, function, message, [" ".join(comment.split()) for comment in comments]


def extract_clinic(fileobj, keywords, comment_tags, options):
    """Babel extractor for brochures/clinics/<slug>.yaml: practitioners' credentials.

    All clinics share one msgctxt for credentials, so a credential used by several clinics is
    translated once. (Welcome lines carry their translations in the clinic file itself.)
    """
    path = Path(getattr(fileobj, "name", "clinic.yaml"))
    doc = read_yaml(path, path)
    people = doc.data.get("practitioners") if isinstance(doc.data, dict) else None
    for index, person in enumerate(people if isinstance(people, list) else []):
        credential = person.get("credential") if isinstance(person, dict) else None
        if isinstance(credential, str) and credential.strip():
            yield (doc.line_of(("practitioners", index, "credential")) or 0, "pgettext",
                   (CREDENTIAL_CONTEXT, credential.strip()),
                   ["A practitioner's credential, printed after their name on the tri-fold's "
                    "back panel. Keep GunnIMS as it is; use a wording that fits any gender "
                    "(e.g. the field and the certification)."])


def babel_mappings(root: Path) -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    """The [[tool.babel.mappings]] of pyproject.toml, as Babel's method and options maps."""
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        mappings = data["tool"]["babel"]["mappings"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"cannot read the [[tool.babel.mappings]] that say where messages are "
                         f"({type(exc).__name__}: {exc})", Location(Path("pyproject.toml"))
                         ) from None
    method_map, options_map = [], {}
    for mapping in mappings:
        options = {key: str(value) for key, value in mapping.items()
                   if key not in ("method", "pattern")}
        method_map.append((mapping["pattern"], mapping["method"]))
        options_map[mapping["pattern"]] = options
    return method_map, options_map


def extract_catalog(root: Path) -> Catalog:
    if outside := unsafe_inputs(root):
        raise ProjectError(outside)
    method_map, options_map = babel_mappings(root)
    catalog = Catalog(project="IMS brochures", version="1", domain=DOMAIN, fuzzy=False,
                      charset="utf-8")
    catalog.header_comment = POT_HEADER
    catalog.msgid_bugs_address = ""
    try:
        found = list(extract_from_dir(root, method_map, options_map,
                                      comment_tags=("Translators:",), strip_comment_tags=True))
    except TemplateSyntaxError as exc:
        where = Path(exc.filename).resolve().relative_to(root) if exc.filename else None
        raise InputError(f"template syntax error: {exc.message}",
                         Location(where or Path("templates"), exc.lineno)) from None
    for filename, lineno, message, comments, context in found:
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments,
                    context=context)
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
    write_atomic(target, buffer.getvalue())
    return target, True


def _message_table(catalog: Catalog):
    # The .po format wraps long comments over several lines; compare their text, not the lines.
    return [(m.context, m.id, tuple(sorted(m.locations)), " ".join(m.auto_comments))
            for m in catalog if m.id]


# --- compilation and lookup -------------------------------------------------------------------

def compile_catalog(root: Path, locale: str) -> tuple[Path, bool]:
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
    stale = not mo_path.is_file() or mo_path.read_bytes() != compiled
    if stale:
        write_atomic(mo_path, compiled)
    return mo_path, stale


@dataclass
class Translations:
    """Lookups for one locale; remembers which messages fell back to English."""

    locale: str
    table: dict[tuple[str | None, str], str | tuple[str, ...]]
    missing: set[tuple[str | None, str]] = field(default_factory=set)
    # Which msgstr[n] a count takes; replaced by the catalog's Plural-Forms expression.
    plural_index: Callable[[int], int] = lambda count: int(count != 1)

    def lookup(self, context: str | None, message: str) -> str:
        """The translation as plain text, typeset for its language (English when missing,
        which is recorded)."""
        if self.locale == SOURCE_LOCALE:
            return typeset(message, self.locale)
        found = self.table.get((context, message))
        if isinstance(found, str) and found:
            return typeset(found, self.locale)
        self.missing.add((context, message))
        return typeset(message, SOURCE_LOCALE)

    def fresh(self) -> Translations:
        """The same catalog with an empty record of fallbacks, to count one cell's."""
        return Translations(self.locale, self.table, set(), self.plural_index)

    # Template strings ({% trans %}) come back escaped: Jinja's newstyle gettext marks what it
    # gets as safe markup, and a translation must never be able to add HTML to a brochure.
    def gettext(self, message: str) -> Markup:
        return escape(self.lookup(None, message))

    def pgettext(self, context: str, message: str) -> Markup:
        return escape(self.lookup(context, message))

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.npgettext(None, singular, plural, count)

    def npgettext(self, context: str | None, singular: str, plural: str, count: int) -> Markup:
        if self.locale != SOURCE_LOCALE:
            found = self.table.get((context, singular))
            if isinstance(found, tuple) and all(found):
                return escape(typeset(found[min(self.plural_index(count), len(found) - 1)],
                                      self.locale))
            self.missing.add((context, singular))
        return escape(typeset(singular if count == 1 else plural, SOURCE_LOCALE))


def load_translations(root: Path, locale: str) -> Translations:
    """Lookups for a locale. A catalog that fails its checks is refused, never half-used."""
    if locale == SOURCE_LOCALE:
        return Translations(locale, {})
    template = read_template(root)
    if is_pseudo(locale):
        return Translations(locale, {(m.context, m.id): pseudo_translate(locale, m.id)
                                     for m in template if m.id and isinstance(m.id, str)})
    po = read_po_file(root / catalog_path(locale), catalog_path(locale))
    report = check_catalog(root, locale, catalog_path(locale), template_keys(template), po)
    if report.errors:
        raise as_input_error(report)
    compile_catalog(root, locale)  # keeps the .mo current for other gettext tools
    table: dict = {}
    for entry in po.messages:
        if entry.fuzzy or not entry.translated:
            continue  # fuzzy and empty entries fall back to English (and are counted)
        table[(entry.context, entry.msgid)] = entry.msgstr if entry.msgid_plural \
            else entry.msgstr[0]
    translations = Translations(locale, table)
    # The catalog's own Plural-Forms expression picks msgstr[n], as gettext does.
    plural = re.search(r"plural\s*=\s*([^;]+)", po.header_fields().get("Plural-Forms", ""))
    if plural:
        translations.plural_index = gettext.c2py(plural[1])
    return translations


def translate(brochure: Brochure, translations: Translations) -> Brochure:
    """The brochure with every message in the catalog's language (English where missing)."""
    def change(message: Message) -> Message:
        return Message(message.key, translations.lookup(message.key, message.text),
                       message.line, message.note)
    return brochure.map_messages(change)




# --- translator commands ----------------------------------------------------------------------

def read_template(root: Path) -> Catalog:
    if outside := unsafe_inputs(root):
        raise ProjectError(outside)
    path = root / POT_PATH
    if not path.is_file():
        raise InputError("there is no message template yet; run `ims-brochure i18n extract`",
                         Location(POT_PATH))
    with path.open("rb") as handle:
        return read_po(handle)


def template_keys(template: Catalog) -> set[tuple[str | None, str]]:
    return {(m.context, m.id) for m in template if m.id and isinstance(m.id, str)}


def catalog_locales(root: Path) -> tuple[str, ...]:
    """Locales that have a catalog (every project locale except the English source)."""
    if unsafe := unsafe_inputs(root):
        raise ProjectError(unsafe)
    errors: list[InputError] = []
    locales = tuple(locale for locale in project_locales(root, errors) if locale != SOURCE_LOCALE)
    if errors:
        raise errors[0]
    return locales


def selected_locales(root: Path, wanted: tuple[str, ...]) -> tuple[str, ...]:
    """The catalogs named: by locale (es, fr_CA), by their .po file's path (what a PO editor
    shows), or by language alone when one catalog has it (pa for pa; not zh: zh_Hans or
    zh_Hant)."""
    known = catalog_locales(root)
    wanted = tuple(_locale_named(root, name, known) for name in wanted)
    for locale in wanted:
        if locale not in known:
            raise InputError(f"there is no catalog for {locale!r}; "
                             f"{suggest(locale, known, 'catalogs')} "
                             f"(start one with `ims-brochure i18n init {locale}`)")
    return wanted or known


def _locale_named(root: Path, name: str, known: tuple[str, ...]) -> str:
    if name.endswith(".po"):
        path = Path(name)
        path = (path if path.is_absolute() else Path.cwd() / path).resolve()
        for locale in known:
            if path == (root / catalog_path(locale)).resolve():
                return locale
        raise InputError(f"{name} is not one of the project's catalogs; they are "
                         + ", ".join(str(catalog_path(locale)) for locale in known))
    if name in known:
        return name
    same_language = [locale for locale in known if locale.split("_")[0] == name]
    if len(same_language) == 1:
        return same_language[0]
    if len(same_language) > 1:
        raise InputError(f"{name!r} has several catalogs: {', '.join(same_language)}; name one")
    return name


def check(root: Path, locale: str, template: Catalog | None = None) -> CatalogReport:
    template = template if template is not None else read_template(root)
    return check_catalog(root, locale, catalog_path(locale), template_keys(template))


def source_report(template: Catalog) -> CatalogReport:
    """The English source as a row of the stats: complete by definition."""
    total = len(template_keys(template))
    return CatalogReport(SOURCE_LOCALE, POT_PATH, (), total, total, 0, (), (), "source text")


def init_catalog(root: Path, identifier: str) -> Path:
    """Start locales/<locale>/LC_MESSAGES/brochures.po from the template."""
    if is_pseudo(identifier):
        raise InputError(f"{identifier} is a pseudo-locale; it is generated, see "
                         "`ims-brochure i18n pseudo`")
    if identifier == SOURCE_LOCALE:
        raise InputError("English is the source language (brochures/*.yaml); it needs no catalog")
    try:
        locale = parse_locale(identifier)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    path = root / catalog_path(identifier)
    if path.exists():
        raise InputError("a catalog for this locale already exists; use "
                         f"`ims-brochure i18n update {identifier}`",
                         Location(catalog_path(identifier)))
    template = read_template(root)
    catalog = Catalog(locale=identifier, domain=DOMAIN, project="IMS brochures", version="1",
                      fuzzy=False, charset="utf-8")
    catalog.header_comment = (f"# {locale.english_name} translation of the IMS patient brochures."
                              "\n# Translate the msgstr lines; see README.md, For translators.")
    catalog.msgid_bugs_address = ""
    catalog.creation_date = template.creation_date
    # Babel's own Plural-Forms follows its CLDR release; the conventional one reads the same in
    # every release (see plurals.py).
    catalog.mime_headers = [(name, default_plural_forms(identifier) if name == "Plural-Forms"
                             else value) for name, value in catalog.mime_headers]
    for message in template:
        if message.id:
            catalog.add(message.id, "", locations=list(message.locations),
                        auto_comments=list(message.auto_comments), context=message.context)
    _write_catalog(path, catalog)
    return path


@dataclass(frozen=True)
class UpdateResult:
    locale: str
    added: int
    changed: int
    obsolete: int


def update_catalog(root: Path, locale: str, template: Catalog) -> UpdateResult:
    """Merge the template into a catalog, matching messages by their key path (msgctxt).

    A message whose source text changed keeps its translation, marked fuzzy, with the old
    source as its previous msgid (#|) so the translator sees what changed. Messages no longer in
    the template become obsolete (#~), never deleted.
    """
    path = root / catalog_path(locale)
    strict = read_po_file(path, catalog_path(locale))
    if strict.errors:
        raise InputError(f"the catalog cannot be read: {strict.errors[0].message}; fix it "
                         "first (see `ims-brochure i18n check`)", strict.errors[0].where)
    with path.open("rb") as handle:
        old = read_po(handle, locale=locale)
    # Babel 2.18 reads a "#| msgid" line that follows "#," as a translator comment; the strict
    # reader has the previous msgid right, and the misread comments are dropped below.
    previous_ids = {(e.context, e.msgid): e.previous_msgid for e in strict.messages}
    exact = {(m.context, m.id): m for m in old if m.id}
    by_context = {m.context: m for m in old if m.id and m.context}
    used: set[tuple] = set()
    merged = Catalog(locale=locale, domain=DOMAIN, fuzzy=old.fuzzy, charset="utf-8")
    merged.header_comment = old.header_comment
    merged.mime_headers = old.mime_headers
    merged.creation_date = template.creation_date
    added = changed = 0
    for message in template:
        if not message.id:
            continue
        key = (message.context, message.id)
        previous, string, flags, previous_id = exact.get(key), "", set(), ()
        if previous is not None:
            used.add(key)
            string, flags = previous.string, set(previous.flags)
            previous_id = (previous_ids.get(key) or ()) if previous.fuzzy else ()
        else:
            previous = by_context.get(message.context) if message.context else None
            if previous is None and not message.context:
                previous = _closest_plain(message.id, old, used)
            if previous is not None and (previous.context, previous.id) not in used:
                used.add((previous.context, previous.id))
                string, previous_id = previous.string, previous.id
                flags = {"fuzzy"} if previous.string else set()
                changed += 1
            else:
                added += 1
        merged.add(message.id, string, locations=list(message.locations), flags=flags,
                   auto_comments=list(message.auto_comments),
                   user_comments=[comment for comment in previous.user_comments
                                  if not comment.startswith("| ")] if previous is not None else [],
                   previous_id=previous_id, context=message.context)
    obsolete = 0
    for key, message in exact.items():
        if key not in used and message.string:
            merged.obsolete[message.id if not message.context else (message.id, message.context)
                            ] = message
            obsolete += 1
    for key, message in old.obsolete.items():
        merged.obsolete.setdefault(key, message)
    _write_catalog(path, merged)
    return UpdateResult(locale, added, changed, obsolete)


def _closest_plain(text: str, old: Catalog, used: set) -> object | None:
    """For template strings without a key path: the old message most like the new one."""
    candidates = {m.id: m for m in old if m.id and not m.context and isinstance(m.id, str)
                  and (None, m.id) not in used}
    close = difflib.get_close_matches(text, list(candidates), n=1, cutoff=0.6)
    return candidates[close[0]] if close else None


def write_pseudo_catalogs(root: Path) -> list[Path]:
    """Write en_XA and ar_XB catalogs for inspection; builds regenerate them in memory."""
    template = read_template(root)
    paths = []
    for locale in PSEUDO_LOCALES:
        catalog = Catalog(locale=PSEUDO_LOCALES[locale][2], domain=DOMAIN, fuzzy=False,
                          charset="utf-8")
        catalog.header_comment = f"# Pseudo-locale {locale}, generated from brochures.pot."
        catalog.creation_date = template.creation_date
        for message in template:
            if message.id and isinstance(message.id, str):
                catalog.add(message.id, pseudo_translate(locale, message.id),
                            locations=list(message.locations), context=message.context)
        path = root / catalog_path(locale)
        _write_catalog(path, catalog)
        paths.append(path)
    return paths


def _write_catalog(path: Path, catalog: Catalog) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_previous=True)
    write_atomic(path, buffer.getvalue())
