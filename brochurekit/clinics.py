"""Clinics: branding, contact details and languages, read from brochures/clinics/<slug>.yaml."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from .errors import InputError, Location
from .layouts import PAPERS
from .schema import Fields, read_fields

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Names Windows will not create as files; a slug becomes a file name in out/.
RESERVED_SLUGS = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)),
                  *(f"lpt{n}" for n in range(10))}
LOGO_SUFFIXES = {".svg", ".png", ".jpg", ".jpeg"}
MAX_LOGO_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Color:
    """An sRGB colour parsed from the clinic file; only its numbers ever reach CSS."""

    red: int
    green: int
    blue: int

    @classmethod
    def parse(cls, text: str) -> Color:
        match = re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", text.strip())
        if not match:
            raise ValueError(f"{text!r} is not a colour; write it as a quoted hex value "
                             "such as \"#1f5f5b\"")
        digits = match[1]
        if len(digits) == 3:
            digits = "".join(digit * 2 for digit in digits)
        return cls(*(int(digits[index:index + 2], 16) for index in (0, 2, 4)))

    @property
    def css(self) -> str:
        return f"#{self.red:02x}{self.green:02x}{self.blue:02x}"

    def luminance(self) -> float:
        """WCAG relative luminance."""
        def channel(value: int) -> float:
            c = value / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        return (0.2126 * channel(self.red) + 0.7152 * channel(self.green)
                + 0.0722 * channel(self.blue))

    def contrast(self, other: Color) -> float:
        light, dark = sorted((self.luminance(), other.luminance()), reverse=True)
        return (light + 0.05) / (dark + 0.05)


WHITE = Color(255, 255, 255)
INK = Color(0x1d, 0x23, 0x2a)


@dataclass(frozen=True)
class Branding:
    primary: Color
    accent: Color
    logo: Path  # absolute, checked to lie inside the project
    logo_url: str = ""  # the same file as a URL relative to the project folder

    @property
    def on_primary(self) -> Color:
        """Text colour that reads best on the primary colour."""
        return WHITE if WHITE.contrast(self.primary) >= INK.contrast(self.primary) else INK


@dataclass(frozen=True)
class Contact:
    phone: str
    email: str
    website: str
    booking_url: str


@dataclass(frozen=True)
class Clinic:
    slug: str
    path: Path
    name: str
    locales: tuple[str, ...]
    paper: str
    branding: Branding
    contact: Contact
    address: tuple[str, ...]
    country: str


CLINIC_KEYS = ("name", "locales", "paper", "colors", "logo", "contact", "address", "country")


def check_slug(slug: str) -> str | None:
    """Why a slug is unusable, or None when it is fine."""
    if not SLUG_RE.fullmatch(slug):
        return (f"the clinic slug {slug!r} is not valid; use lowercase ASCII letters, digits "
                "and single hyphens, e.g. 'cedar-grove'")
    if slug in RESERVED_SLUGS:
        return f"the clinic slug {slug!r} is a reserved device name on Windows; choose another"
    return None


def load_clinic(path: Path, root: Path, known_locales: tuple[str, ...],
                errors: list[InputError]) -> Clinic | None:
    display = path.relative_to(root)
    slug = path.stem
    if problem := check_slug(slug):
        errors.append(InputError(problem + " (rename the file)", Location(display)))
        return None
    before = len(errors)
    top = read_fields(path, display, errors, CLINIC_KEYS)
    if top is None:
        return None
    name = top.text("name")
    locales = _locales(top, known_locales)
    paper = top.choice("paper", PAPERS)
    colors = top.sub("colors")
    colors.only(("primary", "accent"))
    primary = colors.parsed("primary", Color.parse)
    accent = colors.parsed("accent", Color.parse)
    logo = _logo(top, root, path.parent / slug)
    contact = top.sub("contact")
    contact.only(("phone", "email", "website", "booking_url"))
    phone = contact.parsed("phone", _phone)
    email = contact.parsed("email", _email)
    website = contact.parsed("website", _https_url)
    booking = contact.parsed("booking_url", _https_url)
    address = top.text_list("address", required=True)
    country = top.parsed("country", _country)
    if len(errors) > before:
        return None
    logo_url = quote(logo.relative_to(root.resolve()).as_posix())
    return Clinic(slug, display, name, locales, paper, Branding(primary, accent, logo, logo_url),
                  Contact(phone, email, website, booking), address, country)


def _locales(top: Fields, known: tuple[str, ...]) -> tuple[str, ...]:
    values = top.text_list("locales", required=True)
    if not values and top.has("locales"):
        top.fail("locales", "list at least one locale, e.g. [en, fr_CA]")
    for index, value in enumerate(values):
        if value not in known:
            top.fail(("locales", index),
                     f"{value!r} is not a locale of this project; choose from: {', '.join(known)}")
    if len(set(values)) != len(values):
        top.fail("locales", "a locale is listed twice")
    return values


def _logo(top: Fields, root: Path, asset_dir: Path) -> Path | None:
    name = top.text("logo")
    if not name:
        return None
    candidate = asset_dir / name
    try:
        # Resolve symlinks before the containment check, so a link cannot lead outside.
        resolved = candidate.resolve()
        size = resolved.stat().st_size if resolved.is_file() else None
    except (OSError, ValueError) as exc:
        top.fail("logo", f"{name[:60]!r} is not a usable file name ({exc}); use a plain name "
                         "such as logo.svg")
        return None
    if not resolved.is_relative_to(asset_dir.resolve()):
        top.fail("logo", f"{name!r} points outside brochures/clinics/{asset_dir.name}/; "
                         "put the logo file in that folder")
        return None
    if resolved.suffix.lower() not in LOGO_SUFFIXES:
        top.fail("logo", f"{name!r} should be an SVG, PNG or JPEG file")
        return None
    if not resolved.exists():
        top.fail("logo", f"the file brochures/clinics/{asset_dir.name}/{name} does not exist")
        return None
    if not resolved.is_file():
        top.fail("logo", f"{name!r} is not a regular file")
        return None
    if size is not None and size > MAX_LOGO_BYTES:
        top.fail("logo", f"{name!r} is larger than {MAX_LOGO_BYTES // 2**20} MB")
        return None
    return resolved


def _phone(text: str) -> str:
    if not re.fullmatch(r"\+?[0-9][0-9 ().-]{5,20}[0-9]", text):
        raise ValueError(f"{text!r} is not a phone number; write digits with spaces or "
                         "hyphens, e.g. \"+1 604 555 0142\"")
    return text


def _email(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", text):
        raise ValueError(f"{text!r} is not an email address, e.g. hello@clinic.example")
    return text


def _https_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"{text!r} should be a web address starting with https://")
    host = parts.hostname
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(".localhost") or "." not in host:
            raise ValueError(f"{text!r} points at this computer, not at a public site") from None
    else:
        if not address.is_global:
            raise ValueError(f"{text!r} points at a private or local address; "
                             "use the clinic's public web address") from None
    return text


def _country(text: str) -> str:
    if not re.fullmatch(r"[A-Z]{2}", text):
        raise ValueError(f"{text!r} should be a two-letter ISO country code such as CA or GB")
    return text
