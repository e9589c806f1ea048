"""Clinics set up and branded from the command line, and every bad value refused unchanged.

Bad values and logos that are cases of bad-inputs.md (CSS in a colour, local or non-https
addresses, absurd sizes, paths leading out, broken, huge, special or hostile logo files, fake
fonts, bad slugs and locales) are tested in test_bad_inputs.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from fontTools import subset
from fontTools.ttLib import TTFont
from PIL import Image
from pypdf import PdfReader

from .conftest import REPO, copy_project, run_cli
from .pdftools import figure_alts, fonts, text

SLUG = "kits-point"
CLINIC = Path("brochures/clinics/kits-point.yaml")
BOOKING = "https://kitspoint.example/book"


def clinic(project: Path, *args: str):
    return run_cli("--project", str(project), "clinic", *args)


def ok(result) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="session")
def kits_made(tmp_path_factory) -> Path:
    """A clinic made only with commands, as a clinic manager would (once per test worker)."""
    project = copy_project(tmp_path_factory.mktemp("kits") / "project")
    ok(clinic(project, "new", SLUG, "--name", "Kits Point Physio & Wellness"))
    for key, value in [
        ("colors.primary", "#0b5d7a"),
        ("colors.accent", "cmyk(0%, 45%, 90%, 0%)"),
        ("country", "CA"),
        ("contact.phone", "604 555 0199"),
        ("contact.email", "hello@kitspoint.example"),
        ("contact.website", "https://kitspoint.example"),
        ("contact.booking_url", BOOKING),
        ("address", "1880 Cornwall Ave; Vancouver, BC  V6J 1C5"),
        ("hours", "Mon-Fri 08:00-18:00; Sat 09:00-13:00"),
        ("locales", "en, fr_CA, zh_Hant, fa"),
    ]:
        ok(clinic(project, "set", SLUG, key, value))
    ok(clinic(project, "logo", SLUG, str(REPO / "brochures/clinics/cedar-grove/logo.svg")))
    return project


@pytest.fixture
def kits(kits_made: Path, tmp_path: Path) -> Path:
    """A copy of that project of the test's own, so edits stay in the test."""
    return Path(shutil.copytree(kits_made, tmp_path / "project", symlinks=True))


def decode_qr(pdf: Path, tmp_path: Path) -> list[str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "200", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "qr")], check=True)
    result = subprocess.run(["zbarimg", "--quiet", "--raw", str(next(tmp_path.glob("qr*.png")))],
                            capture_output=True, text=True)
    return result.stdout.split()


def test_clinic_made_with_commands_builds_in_all_its_languages(kits, tmp_path):
    result = run_cli("--project", str(kits), "build", "--clinic", SLUG,
                     "--brochure", "ims-overview", "--profile", "print")
    ok(result)
    assert "4 built, 0 unchanged (skipped), 0 failed" in result.stdout
    hours = {"en": "Mon–Fri 8:00 a.m.–6:00 p.m.", "fr_CA": "lun.–ven. 8 h 00 – 18 h 00",
             "zh_Hant": "週一–週五 上午8:00至下午6:00"}
    for locale in ("en", "fr_CA", "zh_Hant", "fa"):
        pdf = kits / f"out/{SLUG}/ims-overview-{locale}-print.pdf"
        # Babel puts narrow and thin no-break spaces in times; compare them as spaces.
        content = " ".join(text(pdf).replace("\u202f", " ").replace("\u2009", " ").split())
        assert "Kits Point Physio & Wellness" in content
        assert "(604) 555-0199" in content  # validated and formatted for Canada
        if locale in hours:
            assert hours[locale].replace("\u202f", " ") in content
        assert decode_qr(pdf, tmp_path / locale) == [BOOKING]


def test_a_clinic_names_the_press_its_print_files_are_made_for(kits):
    """A Letter clinic may name another printing condition than its sheet's default."""
    def condition() -> str:
        ok(run_cli("--project", str(kits), "build", "--clinic", SLUG, "--locale", "en",
                   "--brochure", "ims-aftercare", "--profile", "print"))
        reader = PdfReader(kits / f"out/{SLUG}/ims-aftercare-en-print.pdf")
        return str(reader.trailer["/Root"]["/OutputIntents"][0]["/OutputConditionIdentifier"])

    ok(clinic(kits, "set", SLUG, "press_condition", "fogra39"))
    assert condition() == "FOGRA39"
    ok(clinic(kits, "unset", SLUG, "press_condition"))
    assert "press_condition" not in (kits / CLINIC).read_text()
    # The default, CGATS TR 006 for a Letter sheet, is read from every Letter clinic's print
    # files in test_build.py.


def test_a_hand_written_comment_survives_set(kits):
    path = kits / CLINIC
    path.write_text(path.read_text().replace(
        "country: CA", "# Head office confirmed the colours on 3 May.\ncountry: CA  # Canada"))
    ok(clinic(kits, "set", SLUG, "colors.primary", "#114b5f"))
    content = path.read_text()
    assert "# Head office confirmed the colours on 3 May." in content
    assert "country: CA  # Canada" in content
    assert 'primary: "#114b5f"' in content


@pytest.mark.parametrize(("key", "value", "message"), [
    ("colors.primary", "#7fd1e8", "too light for text: contrast"),
    ("colors.accent", "cmyk(120%, 0%, 0%, 0%)", "is not a colour"),
    ("contact.phone", "12345", "is not a valid phone number in CA"),
    ("country", "XX", "two-letter ISO code"),
    ("hours", "Mon-Fri eight to six", "write days and times like"),
    ("hours", "Mon 18:00-08:00", "closing time is not after the opening time"),
    ("price", "cheap", "is not a price"),
    ("price", "95 XYZ", "is not a currency code"),
    ("name", "  ", "is empty"),
    ("contact.booking_display", "https://kitspoint.example/book",
     "is not a short web address; write it as people type it, without https://"),
    ("contact.booking_display", "kitspoint.example/" + "b" * 30, "at most 40 characters"),
    ("press_condition", "swop", "'swop' is not one of: fogra39, fogra29, cgats-tr006"),
])
def test_bad_values_are_refused_and_the_file_is_unchanged(kits, key, value, message):
    path = kits / CLINIC
    before = path.read_bytes()
    result = clinic(kits, "set", SLUG, key, value)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_bytes() == before


def test_contrast_refusal_measures_and_suggests(kits):
    result = clinic(kits, "set", SLUG, "colors.primary", "#7fd1e8")
    assert "WCAG AA needs 4.5:1 for body text; try a darker shade such as" in result.stderr
    suggested = result.stderr.split('such as "')[1].split('"')[0]
    ok(clinic(kits, "set", SLUG, "colors.primary", suggested))


def _png(path: Path, size: tuple[int, int], mode: str = "RGB") -> Path:
    Image.new(mode, size, "white" if mode == "RGB" else 1).save(path)
    return path


def test_a_low_resolution_logo_is_refused_and_changes_nothing(kits, tmp_path):
    before = (kits / CLINIC).read_bytes()
    logo = kits / "brochures/clinics/kits-point/logo.svg"
    logo_before = logo.read_bytes()
    result = clinic(kits, "logo", SLUG, str(_png(tmp_path / "small.png", (120, 40))))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "small.png prints at only 53 dpi on the cover (at least 150" in result.stderr
    assert "Traceback" not in result.stderr
    assert (kits / CLINIC).read_bytes() == before
    assert logo.read_bytes() == logo_before
    assert sorted(p.name for p in logo.parent.iterdir()) == ["logo.svg"]


def test_a_mid_resolution_logo_is_accepted_with_a_warning(kits, tmp_path):
    result = clinic(kits, "logo", SLUG, str(_png(tmp_path / "mid.png", (450, 190))))
    ok(result)
    assert "prints at" in result.stderr and "300 dpi" in result.stderr


def _photo(path: Path, size: tuple[int, int]) -> Path:
    """A JPEG with detail in it (a flat colour would compress to nothing)."""
    image = Image.effect_mandelbrot(size, (-2.0, -1.2, 0.8, 1.2), 60).convert("RGB")
    image.save(path, quality=90)
    return path


def test_a_clinic_photo_prints_on_the_cover_in_press_cmyk_and_is_described(kits, tmp_path):
    folder = kits / "brochures/clinics/kits-point"
    before = (kits / CLINIC).read_bytes()
    # Refused, and nothing changes: too few pixels for its printed size, or not a photo.
    small = clinic(kits, "photo", SLUG, str(_photo(tmp_path / "small.jpg", (300, 260))))
    assert small.returncode == 2, small.stdout + small.stderr
    # Cropped to fill 83 x 76 mm, 260 pixels span the 76 mm height: 87 dpi.
    assert "small.jpg prints at only 87 dpi as the cover photo (at least 150" in small.stderr
    vector = clinic(kits, "photo", SLUG, str(folder / "logo.svg"))
    assert "logo.svg should be a JPEG or PNG photo" in vector.stderr
    assert (kits / CLINIC).read_bytes() == before and not list(folder.glob("photo*"))

    ok(clinic(kits, "photo", SLUG, str(_photo(tmp_path / "team.jpeg", (1300, 1200)))))
    assert "photo: photo.jpg" in (kits / CLINIC).read_text()
    result = run_cli("--project", str(kits), "build", "--clinic", SLUG, "--locale", "en",
                     "--brochure", "ims-overview")
    ok(result)
    out = kits / "out" / SLUG
    listing = subprocess.run(["pdfimages", "-list", str(out / "ims-overview-en-print.pdf")],
                             capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    # The press gets the photo in CMYK at full resolution, on the cover (page 1).
    assert [row.split()[:6] for row in listing] == [["1", "0", "image", "1300", "1200", "cmyk"]]
    from pypdf import PdfReader

    alts = figure_alts(PdfReader(out / "ims-overview-en-screen.pdf"))
    assert "A photo from Kits Point Physio & Wellness" in alts, alts
    manifest = json.loads((kits / "out/manifest.json").read_text())
    assert all(entry["art"]["cover-picture"] > 0 for entry in manifest), manifest

    ok(clinic(kits, "unset", SLUG, "photo"))
    assert "photo" not in (kits / CLINIC).read_text()
    # A wide photo is cropped at its sides: its height sets the resolution, not its width.
    wide = clinic(kits, "photo", SLUG, str(_photo(tmp_path / "wide.jpg", (2400, 700))))
    ok(wide)
    assert "wide.jpg prints at 234 dpi as the cover photo; 300 dpi" in wide.stderr


def _latin_only_font(tmp_path: Path) -> Path:
    source = subprocess.run(["fc-match", "--format=%{file}", "Noto Serif:bold"],
                            capture_output=True, text=True, check=True).stdout
    options = subset.Options()
    font = TTFont(source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=range(0x20, 0x7F))  # ASCII only: no é, no Arabic
    subsetter.subset(font)
    target = tmp_path / "BrandSerif-Bold.ttf"
    font.save(target)
    return target


def test_brand_font_missing_latin_letters_is_refused_naming_the_locale(kits, tmp_path):
    before = (kits / CLINIC).read_bytes()
    result = clinic(kits, "font", SLUG, "--heading", str(_latin_only_font(tmp_path)))
    assert result.returncode == 2
    assert "fr_CA needs" in result.stderr and "é" in result.stderr
    assert (kits / CLINIC).read_bytes() == before


def test_brand_font_is_used_and_other_scripts_fall_back(kits, tmp_path):
    ok(clinic(kits, "set", SLUG, "locales", "en, fa"))
    result = clinic(kits, "font", SLUG, "--heading", str(_latin_only_font(tmp_path)))
    ok(result)
    assert "fa: BrandSerif-Bold.ttf lacks this script" in result.stderr
    built = run_cli("--project", str(kits), "build", "--clinic", SLUG,
                    "--brochure", "ims-overview", "--profile", "print")
    ok(built)
    names = " ".join(row["name"] for row in fonts(kits / f"out/{SLUG}/ims-overview-en-print.pdf"))
    assert "ClinicHeading" in names.replace("-", "")  # the brand font, by its @font-face name
    assert all(row["emb"] == "yes" for row in fonts(kits / f"out/{SLUG}/ims-overview-fa-print.pdf"))


def test_show_list_validate_remove_and_preview(kits):
    shown = json.loads(clinic(kits, "show", SLUG, "--json").stdout)
    assert shown["hours"] == ["Mon–Fri 8:00\u202fa.m.–6:00\u202fp.m.",
                              "Sat 9:00\u202fa.m.–1:00\u202fp.m."]
    assert SLUG in clinic(kits, "list").stdout
    validated = clinic(kits, "validate", SLUG)
    ok(validated)
    preview = clinic(kits, "preview", SLUG, "--locale", "fa")
    ok(preview)
    images = sorted((kits / "out/preview" / SLUG).glob("*.png"))
    assert [p.name for p in images] == [
        "ims-aftercare-fa-screen-1.png", "ims-aftercare-fa-screen-2.png",
        "ims-overview-fa-screen-1.png", "ims-overview-fa-screen-2.png",
        "ims-poster-fa-screen-1.png"]
    assert Image.open(images[0]).size[0] >= 660  # a Letter page at 80 dpi
    ok(clinic(kits, "remove", SLUG, "--yes"))
    assert not (kits / CLINIC).exists() and not (kits / "brochures/clinics" / SLUG).exists()


def test_welcome_line_translations_follow_the_incomplete_policy(project):
    path = project / "brochures/clinics/thameside.yaml"
    path.write_text(path.read_text().replace(
        "  ar: أهلًا بكم في Thameside. اسألونا عن أي شيء يخص علاجكم.\n", ""))
    failed = run_cli("--project", str(project), "build", "--clinic", "thameside",
                     "--locale", "ar", "--brochure", "ims-overview", "--profile", "print")
    assert failed.returncode == 1
    # Named where it is fixed: the clinic's file, not the catalog.
    assert ("the clinic's welcome line (printed on the cover) has no Arabic (ar) text; add it "
            "with `ims-brochure clinic set thameside welcome.ar \"...\"` (it goes under "
            "`welcome:` in brochures/clinics/thameside.yaml)") in failed.stderr
    assert "untranslated or fuzzy in locales" not in failed.stderr
    drafted = run_cli("--project", str(project), "build", "--clinic", "thameside",
                      "--locale", "ar", "--allow-incomplete", "--brochure", "ims-overview",
                      "--profile", "print")
    ok(drafted)
    pdf = project / "out/thameside/ims-overview-ar-print-DRAFT.pdf"
    assert "Welcome to Thameside" in text(pdf) and "DRAFT TRANSLATION" in text(pdf, 1)


def test_phone_images_are_refused_with_the_command_that_converts_them(kits, tmp_path):
    """What phones save (HEIC, WebP) cannot go into a print file: refused, with the command
    that makes a PNG; a camera photo given as a logo is taken, with a warning."""
    from PIL import Image

    for name, command in (("IMG_0001.heic", "heif-convert IMG_0001.heic IMG_0001.png"),
                          ("logo.webp", "dwebp logo.webp -o logo.png")):
        image = tmp_path / name
        image.write_bytes(b"not read: refused by its kind")
        refused = clinic(kits, "logo", "kits-point", str(image))
        assert refused.returncode == 2 and command in refused.stderr, refused.stderr
    camera = tmp_path / "clinic-front.jpg"
    picture = Image.new("RGB", (1600, 1200), (120, 130, 140))
    exif = picture.getexif()
    exif[0x010F], exif[0x0110] = "Google", "Pixel 7"
    picture.save(camera, exif=exif)
    taken = clinic(kits, "logo", "kits-point", str(camera))
    assert taken.returncode == 0, taken.stderr
    assert "looks like a camera photo (1600 x 1200, from a Google Pixel 7)" in \
        taken.stdout + taken.stderr
