"""Editing clinic files for people who never open YAML: new, set, unset, logo, fonts, remove.

Every edit is made on a round-trip copy of the file (comments and layout kept), checked as a
whole with the same loader the build uses, and only then written, atomically. A refused edit
leaves the file exactly as it was.
"""

from __future__ import annotations

import fcntl
import functools
import io
import os
import re
import shutil
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from .assets import check_font, check_logo, check_photo, font_characters
from .catalogs import SOURCE_LOCALE, catalog_path, project_locales, read_template
from .clinics import (
    CREDENTIAL_CONTEXT,
    DEFAULT_ACCENT,
    DEFAULT_PRIMARY,
    Clinic,
    check_slug,
    load_clinic,
)
from .errors import BrochureError, InputError, Location, ProjectError, suggest
from .files import linked_within, unsafe_inputs, write_atomic
from .hours import hours_text, parse_hours
from .pofile import read_po_file
from .yamlfiles import read_yaml

CLINICS = Path("brochures") / "clinics"

# Keys a person can set, with how the command-line value becomes YAML.
SETTABLE = {
    "name": "text",
    "colors.primary": "text",
    "colors.accent": "text",
    "contact.phone": "text",
    "contact.email": "text",
    "contact.website": "text",
    "contact.booking_url": "text",
    "contact.booking_display": "text",  # the booking address as printed, e.g. kp.example/book
    "address": "lines",  # "14 Riverside Walk; London SE1 9XX"
    "country": "upper",
    "hours": "text",
    "locales": "list",  # "en, fr_CA"
    "paper": "lower",
    "poster_paper": "lower",  # letter, a4, tabloid (11x17 in) or a3
    "press_condition": "lower",  # fogra39, fogra29 or cgats-tr006 (default: by paper)
    "price": "text",
    "practitioners": "people",  # "Name, credential; Name, credential"
}
# welcome.<locale> is settable too (the clinic's own line, by language).
# Keys naming a file: set by the commands that check the file, removed by `unset`.
FILE_KEYS = ("logo", "photo", "fonts.heading", "fonts.body")
REQUIRED = ("name",)


@dataclass(frozen=True)
class EditResult:
    path: Path
    clinic: Clinic
    warnings: tuple[str, ...] = ()


def clinic_path(root: Path, slug: str) -> Path:
    if problem := check_slug(slug):
        raise InputError(problem)
    return root / CLINICS / f"{slug}.yaml"


def existing_clinic(root: Path, slug: str) -> Path:
    if outside := unsafe_inputs(root):
        raise ProjectError(outside)
    path = clinic_path(root, slug)
    if not path.is_file():
        known = sorted(p.stem for p in (root / CLINICS).glob("*.yaml"))
        raise InputError(f"there is no clinic {slug!r}; {suggest(slug, known, 'clinics')}")
    return path


@contextmanager
def clinic_edit_lock(root: Path) -> Iterator[None]:
    """One clinic edit at a time in a project: each reads, changes and writes a whole file,
    so two at once would silently lose one. The lock is on the clinics folder itself (no
    lock file is left in the project); a second edit waits the moment the first takes. The
    project's inputs are checked first, so that no edit reads or writes through a link out."""
    if unsafe := unsafe_inputs(root):
        raise ProjectError(unsafe)
    if (root / "brochures").is_dir() and not (root / CLINICS).exists():
        (root / CLINICS).mkdir()  # the first clinic of a project
    try:
        folder = os.open(root / CLINICS, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise InputError(f"cannot open the clinics folder ({exc.strerror})", Location(CLINICS)
                         ) from None
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)  # releases the lock


def _locked(edit: Callable) -> Callable:
    @functools.wraps(edit)
    def locked(root: Path, *args, **kwargs):
        with clinic_edit_lock(root):
            return edit(root, *args, **kwargs)
    return locked


@_locked
def new_clinic(root: Path, slug: str, name: str, copy_from: str | None = None) -> EditResult:
    path = clinic_path(root, slug)
    for other in (root / CLINICS).glob("*.yaml"):
        if other.stem.lower() == slug.lower():
            raise InputError(f"a clinic {other.stem!r} already exists; choose another slug",
                             Location(other.relative_to(root)))
    if not copy_from:
        text = (f"# {name}: the clinic's brochure settings. Change them with\n"
                f"# `ims-brochure clinic set {slug} KEY VALUE`, or edit this file by hand.\n"
                f"name: {_scalar(name)}\nlocales: [en]\npaper: letter\ncolors:\n"
                f"  primary: \"{DEFAULT_PRIMARY}\"\n  accent: \"{DEFAULT_ACCENT}\"\n")
        return _save(root, path, text)
    data = _load(existing_clinic(root, copy_from), root)
    data["name"] = name
    # The copy's logo and fonts are named relative to its own folder: they go there first,
    # so that the new file is checked with them, and are taken away again if it is refused.
    source_assets, assets = root / CLINICS / copy_from, root / CLINICS / slug
    if assets.exists() or assets.is_symlink():
        raise InputError(f"{assets.relative_to(root)} already exists without a clinic file; "
                         "move it away or choose another slug", Location(assets.relative_to(root)))
    if source_assets.is_dir() and not source_assets.is_symlink():
        shutil.copytree(source_assets, assets, symlinks=True)
    try:
        return _save(root, path, _dump(data))
    except BaseException:
        shutil.rmtree(assets, ignore_errors=True)
        raise


@_locked
def set_value(root: Path, slug: str, key: str, value: str) -> EditResult:
    path = existing_clinic(root, slug)
    kind = _kind_of(key)
    data = _load(path, root)
    parent, leaf = _parent(data, key, create=True)
    parent[leaf] = _convert(kind, as_written(key, value))
    return _save(root, path, _dump(data))


def as_written(key: str, value: str) -> str:
    """A value as a clinic owner types it, in the one form the clinic file keeps: hours as
    people write them ("Mon-Fri 9am-5pm"), a country by name ("Canada"), a colour by CSS name
    or as hex without "#". Anything else is kept as typed (the clinic file's checks follow)."""
    value = value.strip()
    try:
        if key == "hours":
            return hours_text(parse_hours(value))
        if key == "country":
            return country_code(value)
        if key.startswith("colors."):
            return css_color(value)
    except ValueError as error:
        raise InputError(f"{key}: {error}") from None
    return value


def country_code(text: str) -> str:
    """A country's two-letter code from its code or its name, in English or in the language of
    the user's environment (Babel's CLDR names); a near miss is answered with the nearest."""
    import phonenumbers
    from babel import Locale, UnknownLocaleError, default_locale

    if re.fullmatch(r"[A-Za-z]{2}", text) and text.upper() in phonenumbers.SUPPORTED_REGIONS:
        return text.upper()
    names: dict[str, str] = {}
    for identifier in ("en", default_locale() or "en"):
        try:
            territories = Locale.parse(identifier).territories
        except (UnknownLocaleError, ValueError):
            continue
        names.update({name.casefold(): code for code, name in territories.items()
                      if code in phonenumbers.SUPPORTED_REGIONS})
    wanted = text.casefold().removeprefix("the ")
    if wanted in names:
        return names[wanted]
    from difflib import get_close_matches

    near = get_close_matches(wanted, names, n=1, cutoff=0.6)
    hint = f" (did you mean {names[near[0]]}, {near[0].title()}?)" if near else ""
    raise ValueError(f"{text!r} is not a country we know{hint}; give its two-letter ISO code "
                     "(CA, GB, US) or its name")


def css_color(text: str) -> str:
    """"#0b5d7a" from "0b5d7a" (hex without "#") or a CSS colour name ("teal"); any other
    form (#0b5d7a, cmyk(...), rgb(...)) is kept as typed for the clinic file's own checks."""
    import tinycss2.color3

    if re.fullmatch(r"[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6}", text):
        text = f"#{text}"
    elif not re.fullmatch(r"[A-Za-z]+", text):
        return text
    color = tinycss2.color3.parse_color(text)
    if color is None or isinstance(color, str) or color.alpha != 1:
        from difflib import get_close_matches

        from tinycss2.color3 import _COLOR_KEYWORDS

        near = get_close_matches(text.lower(), list(_COLOR_KEYWORDS), n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise ValueError(f"{text!r} is not a colour{hint}; give a hex colour such as #0b5d7a, "
                         "a CSS colour name such as teal, or cmyk(...)")
    return "#" + "".join(f"{round(channel * 255):02x}"
                         for channel in (color.red, color.green, color.blue))


@_locked
def unset_value(root: Path, slug: str, key: str) -> EditResult:
    path = existing_clinic(root, slug)
    if key not in FILE_KEYS:  # a file's key may be removed (the file stays in the folder)
        _kind_of(key)
    if key in REQUIRED:
        raise InputError(f"{key!r} is required and cannot be removed; set another value instead")
    data = _load(path, root)
    parent, leaf = _parent(data, key, create=False)
    if parent is None or leaf not in parent:
        raise InputError(f"{key!r} is not set for {slug}")
    del parent[leaf]
    if "." in key and not parent:
        del data[key.split(".")[0]]
    return _save(root, path, _dump(data))


@_locked
def set_logo(root: Path, slug: str, source: Path) -> EditResult:
    """Check a logo file and copy it into the clinic's folder as logo.<ext>."""
    return _set_image(root, slug, source, check_logo, f"logo{source.suffix.lower()}")


@_locked
def set_photo(root: Path, slug: str, source: Path) -> EditResult:
    """Check a photo and copy it into the clinic's folder as photo.<ext>: the tri-fold's cover
    shows it (cropped to fill its box) instead of the drawing."""
    suffix = ".jpg" if source.suffix.lower() == ".jpeg" else source.suffix.lower()
    return _set_image(root, slug, source, check_photo, f"photo{suffix}")


def _set_image(root: Path, slug: str, source: Path, checker, target_name: str) -> EditResult:
    """An image checked (once the clinic is known to exist), copied into the clinic's folder
    as `target_name`, and named by the key its stem says (logo, photo)."""
    path = existing_clinic(root, slug)
    check = checker(source)
    if check.problem:
        raise InputError(check.problem, Location(source))
    return _with_asset(root, slug, path, source, target_name, (Path(target_name).stem,),
                       (check.warning,) if check.warning else ())


@_locked
def set_fonts(root: Path, slug: str, heading: Path | None, body: Path | None) -> EditResult:
    """Check brand fonts (and their coverage of the clinic's languages), then copy them in."""
    path = existing_clinic(root, slug)
    if heading is None and body is None:
        raise InputError("give --heading FILE, --body FILE, or both")
    clinic = _load_clinic(root, path)
    warnings: list[str] = []
    result = None
    for role, source in (("heading", heading), ("body", body)):
        if source is None:
            continue
        check = check_font(source)
        if check.problem:
            raise InputError(check.problem, Location(source))
        warnings += coverage_notes(root, clinic.locales, source)
        result = _with_asset(root, slug, path, source, f"{role}{source.suffix.lower()}",
                             ("fonts", role), ())
        path = result.path
    return EditResult(result.path, result.clinic, tuple(warnings))


def coverage_notes(root: Path, locales: tuple[str, ...], font: Path) -> list[str]:
    """Refuse a font that lacks letters of a Latin-script language the clinic prints; for other
    scripts the font's missing glyphs come from that script's Noto font, which we say."""
    have = font_characters(font)
    notes = []
    for locale in locales:
        needed = _characters_of(root, locale)
        missing = sorted(char for char in needed - have if not char.isspace())
        if not missing:
            continue
        sample = " ".join(missing[:8])
        if _latin(needed):
            raise InputError(f"{font.name} has no glyphs for {len(missing)} character(s) that "
                             f"{locale} needs, e.g. {sample}; choose a font that covers them",
                             Location(font))
        notes.append(f"{locale}: {font.name} lacks this script ({sample} ...); its letters will "
                     "print in the Noto font for that script")
    return notes


@_locked
def remove_clinic(root: Path, slug: str) -> Path:
    path = existing_clinic(root, slug)
    path.unlink()
    assets = root / CLINICS / slug
    if assets.is_dir() and not assets.is_symlink():
        shutil.rmtree(assets)
    return path


# --- internals ---------------------------------------------------------------------------------

def _kind_of(key: str) -> str:
    if key.startswith("welcome."):
        return "text"
    if key not in SETTABLE:
        hint = suggest(key, SETTABLE, "valid keys")
        if key in FILE_KEYS:
            hint = ("use `ims-brochure clinic logo`, `clinic photo` or `clinic font`, which "
                    "check the file")
        raise InputError(f"unknown key {key!r}; {hint} (and welcome.<locale>)")
    return SETTABLE[key]


def _convert(kind: str, value: str):
    value = value.strip()
    if kind == "lines":
        return CommentedSeq(part.strip() for part in value.split(";") if part.strip())
    if kind == "list":
        sequence = CommentedSeq(part.strip() for part in value.split(",") if part.strip())
        sequence.fa.set_flow_style()
        return sequence
    if kind == "people":
        people = CommentedSeq()
        for entry in filter(None, (part.strip() for part in value.split(";"))):
            name, _, credential = entry.partition(",")
            people.append(CommentedMap(name=name.strip(), credential=credential.strip()))
        return people
    if kind == "upper":
        return value.upper()
    if kind == "lower":
        return value.lower()
    return value


def _parent(data: CommentedMap, key: str, create: bool):
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        if part not in node or not isinstance(node[part], dict):
            if not create:
                return None, parts[-1]
            node[part] = CommentedMap()
        node = node[part]
    return node, parts[-1]


def _yaml() -> YAML:
    yaml = YAML()  # round-trip: comments, order and quoting are kept
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _load(path: Path, root: Path) -> CommentedMap:
    # The strict reader checks the file's form first (tags, aliases, duplicate keys...); its
    # values may still be wrong, so that a `set` can put them right.
    read_yaml(path, path.relative_to(root))
    try:
        data = _yaml().load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        raise InputError(f"cannot edit the file: {exc}", Location(path.relative_to(root))) \
            from None
    if not isinstance(data, CommentedMap):
        raise InputError("the file should hold a mapping of keys",
                         Location(path.relative_to(root)))
    return data


def _dump(data: CommentedMap) -> str:
    buffer = io.StringIO()
    _yaml().dump(data, buffer)
    return buffer.getvalue()


def _scalar(text: str) -> str:
    return _dump(CommentedMap(x=text))[3:].strip()


def _known_locales(root: Path) -> tuple[str, ...]:
    errors: list[InputError] = []
    return project_locales(root, errors)


def _load_clinic(root: Path, path: Path, text: str | None = None) -> Clinic:
    errors: list[InputError] = []
    clinic = load_clinic(path, root, _known_locales(root), errors, text=text)
    if errors or clinic is None:
        raise ProjectError(errors)
    return clinic


def _in_command_words(problem: BrochureError) -> str:
    where = problem.where
    key = f"{where.key.replace('/', '.')}: " if where and where.key else ""
    line = f" (at {where.path}:{where.line})" if where and where.line else ""
    return f"{key}{problem.message}{line}"


def _save(root: Path, path: Path, text: str, warnings: tuple[str, ...] = ()) -> EditResult:
    try:
        clinic = _load_clinic(root, path, text)  # the whole file must still be valid
    except ProjectError as error:
        # Said in the command's words: the key and what is wrong; the file's line a detail.
        raise InputError("not changed: " + "; ".join(map(_in_command_words, error.errors))
                         ) from None
    write_atomic(path, text.encode("utf-8"))
    return EditResult(path, clinic, warnings)


def _with_asset(root, slug, path, source, target_name, key_path, warnings) -> EditResult:
    folder = root / CLINICS / slug
    target = folder / target_name
    data = _load(path, root)
    node = data
    for part in key_path[:-1]:
        node = node.setdefault(part, CommentedMap())
    node[key_path[-1]] = target_name
    text = _dump(data)
    previous = target.read_bytes() if target.is_file() else None
    write_atomic(target, source.read_bytes())
    try:
        result = _save(root, path, text, warnings)
    except BaseException:
        # Put the folder back as it was: the clinic file is unchanged, so is its asset.
        if previous is None:
            target.unlink(missing_ok=True)
        else:
            write_atomic(target, previous)
        raise
    return result


def _characters_of(root: Path, locale: str) -> set[str]:
    """Every character the locale's brochures print: its translations, or the English source."""
    if locale == "en":
        texts = [m.id for m in read_template(root) if m.id and isinstance(m.id, str)]
    else:
        po = Path("locales") / locale / "LC_MESSAGES" / "brochures.po"
        texts = [s for entry in read_po_file(root / po, po).messages for s in entry.msgstr]
    return {char for text in texts for char in text}


def _latin(characters: set[str]) -> bool:
    letters = [char for char in characters if char.isalpha()]
    latin = [char for char in letters
             if char in string.ascii_letters or "\u00c0" <= char <= "\u024f"]
    return len(latin) > 0.8 * max(len(letters), 1)


def describe(root: Path, slug: str) -> dict:
    """The clinic as the brochures print it, in English conventions, for `clinic show`."""
    from .hours import format_hours, hours_locale

    clinic = _load_clinic(root, existing_clinic(root, slug))
    branding, contact = clinic.branding, clinic.contact
    conventions = hours_locale("en", clinic.country)
    return {
        "slug": clinic.slug,
        "name": clinic.name,
        "locales": list(clinic.locales),
        "paper": clinic.paper,
        "primary": branding.primary.css,
        "accent": branding.accent.css,
        "logo": branding.logo.name if branding.logo else None,
        "photo": branding.photo.name if branding.photo else None,
        "fonts": [f.name for f in (branding.heading_font, branding.body_font) if f],
        "phone": contact.phone,
        "email": contact.email,
        "website": contact.website,
        "booking_url": contact.booking_url,
        "booking_display": contact.booking_display,
        "address": list(clinic.address),
        "country": clinic.country,
        "hours": [f"{days} {times}" for days, times in format_hours(clinic.hours, conventions)],
        "practitioners": [f"{p.name}, {p.credential}" for p in clinic.practitioners],
        "price": f"{clinic.price.amount} {clinic.price.currency}" if clinic.price else None,
    }


def validate(root: Path, slug: str | None) -> tuple[list[str], list[str]]:
    """Problems (which stop a build) and notes (worth a look) for one clinic or all."""
    slugs = [slug] if slug else sorted(p.stem for p in (root / CLINICS).glob("*.yaml"))
    problems, notes = [], []
    for name in slugs:
        path = existing_clinic(root, name)
        try:
            clinic = _load_clinic(root, path)
        except ProjectError as error:
            problems += [str(e) for e in error.errors]
            continue
        if clinic.branding.logo is None:
            notes.append(f"{name}: no logo; the cover shows the clinic's name instead "
                         "(`ims-brochure clinic logo`)")
        elif (check := check_logo(clinic.branding.logo)).warning:
            notes.append(f"{name}: {check.warning}")
        if clinic.branding.photo and (check := check_photo(clinic.branding.photo)).warning:
            notes.append(f"{name}: {check.warning}")
        if not clinic.contact.booking_url:
            notes.append(f"{name}: no booking URL, so no QR code on the back")
        if not clinic.contact.phone:
            notes.append(f"{name}: no phone number")
        notes += _untranslated_clinic_texts(root, clinic)
    return problems, notes


def _untranslated_clinic_texts(root: Path, clinic: Clinic) -> list[str]:
    """The clinic's own texts that its languages lack: a brochure in such a language does not
    build (or prints as a draft), so say so here, where the text is fixed."""
    notes = []
    welcome = dict(clinic.welcome)
    for locale in clinic.locales:
        if locale == SOURCE_LOCALE:
            continue
        if "en" in welcome and locale not in welcome:
            notes.append(f"{clinic.slug}: the clinic's welcome line has no {locale} text, though "
                         f"the clinic offers {locale}; its {locale} brochures will not build "
                         "until you add it: "
                         f"`ims-brochure clinic set {clinic.slug} welcome.{locale} \"...\"`")
        po = catalog_path(locale)
        if not clinic.practitioners or not (root / po).is_file():
            continue
        done = {entry.msgid for entry in read_po_file(root / po, po).messages
                if entry.context == CREDENTIAL_CONTEXT and entry.translated and not entry.fuzzy}
        for credential in sorted({p.credential for p in clinic.practitioners} - done):
            notes.append(f"{clinic.slug}: the credential {credential!r} has no {locale} "
                         f"translation in {po} (msgctxt \"{CREDENTIAL_CONTEXT}\"); run "
                         f"`ims-brochure i18n extract` and `i18n update {locale}`, then ask the "
                         "translator")
    return notes


def preview(root: Path, slug: str, locales: tuple[str, ...], out_dir: Path
            ) -> tuple[list[Path], list[str]]:
    """Build the clinic's brochures (drafts allowed) and turn their pages into PNG images."""
    import subprocess
    import tempfile

    from .build import Selection, build
    from .project import load_project

    project = load_project(root)
    if linked_within(project.root, out_dir):
        raise InputError("the folder for the images is a link to another folder; name that "
                         "folder with --out, or remove the link", Location(out_dir))
    existing_clinic(root, slug)
    images: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="ims-preview-") as scratch:
        # The screen profile shows the brochure as it reads, without bleed and crop marks.
        result = build(project, Path(scratch), Selection((slug,), locales, (), ("screen",)),
                       allow_incomplete=True)
        for output in result.outputs:
            stem = out_dir / slug / Path(output.path).stem
            stem.parent.mkdir(parents=True, exist_ok=True)
            try:
                subprocess.run(["pdftoppm", "-png", "-r", "80", str(Path(scratch) / output.path),
                                str(stem)], check=True, capture_output=True)
            except (OSError, subprocess.CalledProcessError) as exc:
                raise InputError(f"cannot make page images (pdftoppm from poppler-utils): {exc}"
                                 ) from None
            images += sorted(stem.parent.glob(f"{stem.name}-*.png"))
    return images, [failure.message for failure in result.failures]
