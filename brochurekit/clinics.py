"""Clinics: branding, contact details and languages, read from brochures/clinics/<slug>.yaml."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import quote, urlsplit

import phonenumbers
from babel.numbers import list_currencies

from .assets import check_font, check_icc, check_logo, check_photo
from .errors import InputError, Location
from .hours import Opening, parse_hours
from .layouts import BROCHURE_PAPERS, PAPERS, Layout
from .press import PRESS_CONDITIONS, Press, press_for
from .schema import Fields, read_fields

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Names Windows will not create as files; a slug becomes a file name in out/.
RESERVED_SLUGS = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(10)),
                  *(f"lpt{n}" for n in range(10))}
# Text on brand colours must meet WCAG AA: 4.5:1 for body-size text.
BODY_CONTRAST = 4.5
DEFAULT_PRIMARY, DEFAULT_ACCENT = "#1f4e79", "#e07a3f"
# Practitioners' credentials are clinic free text that translators see in the .pot; identical
# credentials of different clinics share one message.
CREDENTIAL_CONTEXT = "clinic/practitioner-credential"


@dataclass(frozen=True)
class Color:
    """A colour parsed from the clinic file; only its numbers ever reach CSS.

    A colour given as cmyk() keeps its ink values for print; `red/green/blue` are its screen
    approximation.
    """

    red: int
    green: int
    blue: int
    cmyk: tuple[float, float, float, float] | None = None

    @classmethod
    def parse(cls, text: str) -> Color:
        value = text.strip().lower()
        if match := re.fullmatch(r"#([0-9a-f]{3}|[0-9a-f]{6})", value):
            digits = match[1] if len(match[1]) == 6 else "".join(d * 2 for d in match[1])
            return cls(*(int(digits[i:i + 2], 16) for i in (0, 2, 4)))
        if match := re.fullmatch(r"rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)", value):
            channels = [int(part) for part in match.groups()]
            if all(0 <= c <= 255 for c in channels):
                return cls(*channels)
        if match := re.fullmatch(r"cmyk\(" + r"\s*,\s*".join([r"\s*(\d{1,3}(?:\.\d+)?)%"] * 4)
                                 + r"\s*\)", value):
            inks = tuple(float(part) / 100 for part in match.groups())
            if all(0 <= ink <= 1 for ink in inks):
                c, m, y, k = inks
                return cls(*(round(255 * (1 - ink) * (1 - k)) for ink in (c, m, y)), cmyk=inks)
        raise ValueError(f"{text!r} is not a colour; write it quoted as \"#1f5f5b\", "
                         "\"rgb(31, 95, 91)\" or \"cmyk(67%, 0%, 4%, 63%)\"")

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

    def mixed(self, other: Color, amount: float) -> Color:
        """`amount` of this colour over `other` (0..1)."""
        def channel(a: int, b: int) -> int:
            return round(a * amount + b * (1 - amount))
        return Color(channel(self.red, other.red), channel(self.green, other.green),
                     channel(self.blue, other.blue))


WHITE = Color(255, 255, 255)
BLACK = Color(0, 0, 0)
INK = Color(0x1d, 0x23, 0x2a)


def tint_of(primary: Color) -> Color:
    """The light background of the contact card."""
    return primary.mixed(WHITE, 0.1)


def on_color(background: Color) -> Color:
    """Text colour that reads best on a background."""
    return WHITE if WHITE.contrast(background) >= INK.contrast(background) else INK


@dataclass(frozen=True)
class Branding:
    primary: Color
    accent: Color
    logo: Path | None = None  # absolute, checked to lie inside the clinic's folder
    logo_url: str = ""  # the same file as a URL relative to the project folder
    heading_font: Path | None = None
    body_font: Path | None = None
    cmyk_profile: Path | None = None  # the print shop's ICC profile, if it gave one
    photo: Path | None = None  # a photo of the clinic or its team, for the cover
    photo_url: str = ""

    @property
    def on_primary(self) -> Color:
        return on_color(self.primary)

    def font_url(self, font: Path, root: Path) -> str:
        return quote(font.relative_to(root).as_posix())


@dataclass(frozen=True)
class Contact:
    phone: str | None = None  # formatted for the clinic's country
    phone_e164: str | None = None  # for tel: links
    email: str | None = None
    website: str | None = None
    booking_url: str | None = None
    # How the booking address prints (the QR code and link still open booking_url): a short
    # form that fits on one line, such as a short link the clinic redirects.
    booking_display: str | None = None


@dataclass(frozen=True)
class Practitioner:
    name: str
    credential: str


@dataclass(frozen=True)
class Price:
    amount: Decimal
    currency: str


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
    country: str | None
    hours: tuple[Opening, ...] = ()
    practitioners: tuple[Practitioner, ...] = ()
    price: Price | None = None
    # English welcome line and its translations, as (locale, text) pairs.
    welcome: tuple[tuple[str, str], ...] = ()
    poster_paper: str = "letter"
    press_condition: str | None = None  # a key of press.PRESS_CONDITIONS; None: by paper

    def paper_for(self, layout: Layout) -> str:
        """The paper a layout prints on for this clinic (posters may be larger)."""
        return getattr(self, layout.paper_key)

    def press_for(self, layout: Layout) -> Press:
        """The printing condition (and ICC profile) of the layout's print files."""
        return press_for(self.press_condition, self.paper_for(layout), self.branding.cmyk_profile)

    def welcome_in(self, locale: str) -> tuple[str, bool] | None:
        """The welcome line for a locale and whether it is translated (English otherwise)."""
        texts = dict(self.welcome)
        if "en" not in texts:
            return None
        if locale in texts:
            return texts[locale], True
        return texts["en"], locale == "en"


CLINIC_KEYS = ("name", "locales", "paper", "poster_paper", "colors", "logo", "photo", "fonts",
               "contact", "address", "country", "press_condition", "print_profile", "hours",
               "practitioners", "price", "welcome")


def check_slug(slug: str) -> str | None:
    """Why a slug is unusable, or None when it is fine."""
    if not SLUG_RE.fullmatch(slug):
        return (f"the clinic slug {slug!r} is not valid; use lowercase ASCII letters, digits "
                "and single hyphens, e.g. 'cedar-grove'")
    if slug in RESERVED_SLUGS:
        return f"the clinic slug {slug!r} is a reserved device name on Windows; choose another"
    return None


def load_clinic(path: Path, root: Path, known_locales: tuple[str, ...],
                errors: list[InputError], text: str | None = None) -> Clinic | None:
    """Read and check one clinic file (or `text` as if it were that file)."""
    root = root.resolve()
    display = path.relative_to(root) if path.is_relative_to(root) else path
    slug = path.stem
    if problem := check_slug(slug):
        errors.append(InputError(problem + " (rename the file)", Location(display)))
        return None
    before = len(errors)
    top = read_fields(path, display, errors, CLINIC_KEYS, text=text)
    if top is None:
        return None
    asset_dir = path.parent / slug
    name = top.text("name")
    locales = _locales(top, known_locales)
    paper = top.choice("paper", BROCHURE_PAPERS, default="letter")
    poster_paper = top.choice("poster_paper", PAPERS, default=paper)
    colors = top.sub("colors") if top.has("colors") else None
    if colors is not None:
        colors.only(("primary", "accent"))
    primary = _color(colors, "primary", DEFAULT_PRIMARY)
    accent = _color(colors, "accent", DEFAULT_ACCENT)
    if primary is not None:
        _check_contrast(top, primary)
    logo = _asset(top, ("logo",), asset_dir, check_logo) if top.has("logo") else None
    photo = _asset(top, ("photo",), asset_dir, check_photo) if top.has("photo") else None
    heading_font = body_font = None
    if top.has("fonts"):
        fonts = top.sub("fonts")
        fonts.only(("heading", "body"))
        heading_font = _asset(top, ("fonts", "heading"), asset_dir, check_font) \
            if fonts.has("heading") else None
        body_font = _asset(top, ("fonts", "body"), asset_dir, check_font) \
            if fonts.has("body") else None
    cmyk_profile = _asset(top, ("print_profile",), asset_dir, check_icc) \
        if top.has("print_profile") else None
    press_condition = top.choice("press_condition", PRESS_CONDITIONS, default="") or None
    country = top.parsed("country", _country, required=False)
    contact = _contact(top, country)
    address = top.text_list("address")
    hours = top.parsed("hours", parse_hours, required=False) or ()
    practitioners = _practitioners(top)
    price = top.parsed("price", _price, required=False)
    welcome = _welcome(top, known_locales)
    if len(errors) > before:
        return None
    logo_url = quote(logo.relative_to(root).as_posix()) if logo else ""
    photo_url = quote(photo.relative_to(root).as_posix()) if photo else ""
    return Clinic(slug, display, name, locales, paper,
                  Branding(primary, accent, logo, logo_url, heading_font, body_font,
                           cmyk_profile, photo, photo_url),
                  contact, address, country, hours, practitioners, price, welcome, poster_paper,
                  press_condition)


def _color(colors: Fields | None, key: str, default: str) -> Color | None:
    if colors is None or not colors.has(key):
        return Color.parse(default)
    return colors.parsed(key, Color.parse)


def _check_contrast(top: Fields, primary: Color) -> None:
    """Body-size text sits on the primary colour (cover) and in it (labels on the card)."""
    cover = on_color(primary).contrast(primary)
    labels = primary.contrast(tint_of(primary))
    worst = min(cover, labels)
    if worst >= BODY_CONTRAST:
        return
    suggestion = primary
    while min(on_color(suggestion).contrast(suggestion),
              suggestion.contrast(tint_of(suggestion))) < BODY_CONTRAST:
        suggestion = suggestion.mixed(BLACK, 0.9)
    top.fail(("colors", "primary"),
             f"{primary.css} is too light for text: contrast {worst:.1f}:1, and WCAG AA needs "
             f"{BODY_CONTRAST}:1 for body text; try a darker shade such as \"{suggestion.css}\"")


def _asset(top: Fields, key_path: tuple[str, ...], asset_dir: Path, check) -> Path | None:
    fields = top.sub(key_path[0]) if len(key_path) > 1 else top
    name = fields.text(key_path[-1])
    if not name:
        return None
    try:
        # Resolve symlinks before the containment check, so a link cannot lead outside.
        resolved = (asset_dir / name).resolve()
        outside = not resolved.is_relative_to(asset_dir.resolve())
        exists = resolved.exists() if not outside else False
    except (OSError, ValueError) as exc:
        top.fail(key_path, f"{name[:60]!r} is not a usable file name ({exc}); use a plain name "
                           "such as logo.svg")
        return None
    folder = f"brochures/clinics/{asset_dir.name}/"
    if outside:
        top.fail(key_path, f"{name!r} points outside {folder}; put the file in that folder")
        return None
    if not exists:
        top.fail(key_path, f"the file {folder}{name} does not exist")
        return None
    result = check(resolved)
    if result.problem:
        top.fail(key_path, result.problem)
        return None
    return resolved


def _locales(top: Fields, known: tuple[str, ...]) -> tuple[str, ...]:
    if not top.has("locales"):
        return ("en",)
    values = top.text_list("locales")
    if not values:
        top.fail("locales", "list at least one locale, e.g. [en, fr_CA]")
    for index, value in enumerate(values):
        if value not in known:
            top.fail(("locales", index),
                     f"{value!r} is not a locale of this project; choose from: {', '.join(known)}")
    if len(set(values)) != len(values):
        top.fail("locales", "a locale is listed twice")
    return values


def _contact(top: Fields, country: str | None) -> Contact:
    if not top.has("contact"):
        return Contact()
    contact = top.sub("contact")
    contact.only(("phone", "email", "website", "booking_url", "booking_display"))
    phone = contact.parsed("phone", lambda text: parse_phone(text, country), required=False)
    return Contact(
        phone[0] if phone else None, phone[1] if phone else None,
        contact.parsed("email", _email, required=False),
        contact.parsed("website", https_url, required=False),
        contact.parsed("booking_url", https_url, required=False),
        contact.parsed("booking_display", short_address, required=False),
    )


# A web address as printed for people to type: a host name with a dot, then an optional path.
_SHORT_ADDRESS = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(?:/[\w.~%-]+)*/?")
SHORT_ADDRESS_MAX = 40


def short_address(text: str) -> str:
    """The printed form of the booking address, checked to read as one."""
    address = text.strip()
    if not _SHORT_ADDRESS.fullmatch(address) or len(address) > SHORT_ADDRESS_MAX:
        raise ValueError(f"{text[:60]!r} is not a short web address; write it as people type "
                         f"it, without https:// and at most {SHORT_ADDRESS_MAX} characters, "
                         "like kitspoint.example/book")
    return address


def parse_phone(text: str, country: str | None) -> tuple[str, str]:
    """(display form, E.164) for a phone number, validated for the clinic's country."""
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        where = f" in {country}" if country else ""
        hint = "" if country or text.strip().startswith("+") else \
            "; set the clinic's country first, or write the number with its +country code"
        raise ValueError(f"{text!r} is not a valid phone number{where}{hint}")
    local = country and phonenumbers.region_code_for_number(number) == country
    style = phonenumbers.PhoneNumberFormat.NATIONAL if local \
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return (phonenumbers.format_number(number, style),
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _email(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", text):
        raise ValueError(f"{text!r} is not an email address, e.g. hello@clinic.example")
    return text


def https_url(text: str) -> str:
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
    if not re.fullmatch(r"[A-Z]{2}", text) or text not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{text!r} should be a two-letter ISO country code such as CA or GB")
    return text


def _practitioners(top: Fields) -> tuple[Practitioner, ...]:
    if not top.has("practitioners"):
        return ()
    people = []
    for fields in top.items("practitioners"):
        fields.only(("name", "credential"))
        name, credential = fields.text("name"), fields.text("credential")
        if name and credential:
            people.append(Practitioner(name, credential))
    return tuple(people)


def _price(text: str) -> Price:
    match = re.fullmatch(r"(\d+(?:\.\d{1,2})?)\s+([A-Z]{3})", text)
    if not match:
        raise ValueError(f"{text!r} is not a price; write the amount and currency, e.g. "
                         "\"95 CAD\" or \"70.50 GBP\"")
    try:
        amount = Decimal(match[1])
    except InvalidOperation:
        raise ValueError(f"{match[1]!r} is not an amount") from None
    if match[2] not in list_currencies():
        raise ValueError(f"{match[2]!r} is not a currency code (ISO 4217, e.g. CAD, GBP, EUR)")
    if amount > 10_000:
        raise ValueError(f"{text!r} is not a plausible price per session")
    return Price(amount, match[2])


def _welcome(top: Fields, known: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The welcome line by locale; a translation for a language the clinic does not offer
    (yet, or any more) is kept, not an error."""
    if not top.has("welcome"):
        return ()
    fields = top.sub("welcome")
    fields.only(dict.fromkeys(("en", *known)))
    texts = tuple((locale, fields.text(locale)) for locale in fields.mapping)
    if "en" not in fields.mapping:
        fields.fail((), "give the welcome line in English (en) first; translations are "
                        "keyed by locale")
    return texts
