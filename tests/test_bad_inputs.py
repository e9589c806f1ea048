"""The 36 bad inputs and faults of the shared list bad-inputs.md, one test (or one parametrized
test) per case, named test_case_01_... to test_case_36_..., in the order of that list.

Unless a case says otherwise, each test checks what the list asks of every refusal: a non-zero
exit status; a message naming the file and its line or key path, what is wrong and what would be
right; no Python traceback; earlier outputs unchanged; no temporary file left behind. The bad
files are made by the tests themselves.

Cases 35 and 36 need the full matrix build of test_build.py (built once per run); their
matrix-wide tests live there (test_case_35_..., test_case_36_...).
"""

from __future__ import annotations

import errno
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from PIL import Image

from brochurekit.catalogs import Translations, parse_locale
from brochurekit.checks import placeholder_problems
from brochurekit.clinics import check_slug
from brochurekit.errors import ProjectError
from brochurekit.layouts import LAYOUTS, PAPERS
from brochurekit.project import load_project
from brochurekit.render import jinja_environment, theme_css

from .conftest import REPO, copy_project, read_yaml_text, run_cli, yaml_error
from .pdftools import inflated, text

CLINIC = Path("brochures/clinics/cedar-grove.yaml")
ASSETS = Path("brochures/clinics/cedar-grove")
LOCALES_LINE = "locales: [en, zh_Hans, zh_Hant, pa, ar, fa]"
PROJECT_LOCALES = "en, ar, es, fa, fr, fr_CA, pa, zh_Hans, zh_Hant"
FR = Path("locales/fr/LC_MESSAGES/brochures.po")
ZH = Path("locales/zh_Hans/LC_MESSAGES/brochures.po")
PHONE_MSGID = 'msgid "Questions about IMS? Call us at %(phone)s."'
# The cells built once per module (see `built`): two languages, two layouts, print profile.
PREBUILT = ("--clinic", "thameside", "--locale", "en", "--locale", "fr",
            "--brochure", "ims-overview", "--brochure", "ims-aftercare", "--profile", "print")
TRI_FOLDS = ("thameside/en/ims-overview", "thameside/fr/ims-overview")
FRENCH = ("thameside/fr/ims-aftercare", "thameside/fr/ims-overview")


# --- helpers -----------------------------------------------------------------------------------

def cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    return run_cli("--project", str(project), *args)


def cli_with_timeout(seconds: int, project: Path, *args: str) -> subprocess.CompletedProcess:
    """The CLI under `timeout`, for inputs that could make a careless reader hang."""
    return subprocess.run(["timeout", str(seconds), sys.executable, str(REPO / "cli.py"),
                           "--project", str(project), *args],
                          capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})


def no_traceback(result) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout


def leftovers(folder: Path) -> list[Path]:
    """Temporary files a write left behind (ours are .<name>.<random>.part)."""
    return [path for path in folder.rglob("*")
            if path.name.endswith(".part") or path.name.startswith("tmp")]


def pdfs(out: Path) -> dict[str, bytes]:
    return {path.relative_to(out).as_posix(): path.read_bytes()
            for path in sorted(out.rglob("*.pdf"))}


def files_under(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def edit(path: Path, old: str, new: str) -> None:
    content = path.read_text(encoding="utf-8")
    assert old in content, old
    path.write_text(content.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str, after: int = 0) -> int:
    """1-based number of the first line containing `needle` (at or after line `after`)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if number >= after and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


EARLIER_PDF = b"%PDF-1.7\n% a PDF from an earlier build\n"


def refused(project: Path, *expected: str, problems: int | None = None) -> str:
    """Build with the project as it now is: the run must stop before building, with every
    expected fragment in its message, and leave the output folder exactly as it was."""
    earlier = project / "out/cedar-grove/ims-overview-en-print.pdf"
    earlier.parent.mkdir(parents=True, exist_ok=True)
    earlier.write_bytes(EARLIER_PDF)
    before = files_under(project / "out")
    result = cli(project, "build", "--clinic", "cedar-grove", "--locale", "en",
                 "--brochure", "ims-overview", "--profile", "print")
    assert result.returncode == 2, result.stdout + result.stderr
    no_traceback(result)
    assert "problem" in result.stderr and "in the project:" in result.stderr, result.stderr
    for fragment in expected:
        assert fragment in result.stderr, (fragment, result.stderr)
    if problems is not None:
        count = f"{problems} problem{'s' if problems != 1 else ''} in the project"
        assert count in result.stderr, result.stderr
    assert files_under(project / "out") == before
    assert not leftovers(project)
    return result.stderr


def set_refused(project: Path, key: str, value: str, *expected: str) -> None:
    """`clinic set cedar-grove KEY VALUE` is refused with a message and changes nothing."""
    before = (project / CLINIC).read_bytes()
    result = cli(project, "clinic", "set", "cedar-grove", key, value)
    assert result.returncode == 2, result.stdout + result.stderr
    no_traceback(result)
    for fragment in expected:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert (project / CLINIC).read_bytes() == before
    assert not leftovers(project)


def set_translation(project: Path, po_path: Path, context: str, value: str,
                    fuzzy: bool = False) -> None:
    path = project / po_path
    with path.open("rb") as handle:
        catalog = read_po(handle)
    message = next(m for m in catalog if m.context == context)
    message.string = value
    if fuzzy:
        message.flags.add("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog)


def expect_catalog_error(project: Path, line: int, *fragments: str) -> None:
    """`i18n check fr` names the .po file and line of the error."""
    result = cli(project, "i18n", "check", "fr")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{FR}:{line}: error:" in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    no_traceback(result)


def phone_msgstr_line(po: Path) -> int:
    return line_of(po, "msgstr", after=line_of(po, PHONE_MSGID))


# --- a small build, made once and copied for each test that must see earlier PDFs kept ---------

# Session scope: kept while other modules' tests run in between on this worker.
@pytest.fixture(scope="session")
def prebuilt(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("prebuilt") / "project")
    result = cli(root, "build", *PREBUILT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 built, 0 unchanged (skipped), 0 failed" in result.stdout
    return root


@pytest.fixture
def built(prebuilt: Path, tmp_path: Path) -> Path:
    """A project whose out/ holds the PREBUILT cells (copied with their times and manifest)."""
    target = tmp_path / "built"
    shutil.copytree(prebuilt, target)
    return target


def rebuild_fails(project: Path, failed: tuple[str, ...], *fragments: str
                  ) -> subprocess.CompletedProcess:
    """Rebuild the PREBUILT cells: exactly `failed` fail with `fragments` in the summary, the
    other cells are built (or unchanged), and the failed cells' earlier PDFs are set aside."""
    out = project / "out"
    before = pdfs(out)
    manifest_before = json.loads((out / "manifest.json").read_text())
    result = cli(project, "build", *PREBUILT)
    assert result.returncode == 1, result.stdout + result.stderr
    no_traceback(result)
    assert f", {len(failed)} failed in " in result.stdout, result.stdout
    for cell in failed:
        assert f"FAIL {cell} (print)" in result.stdout, result.stdout
    # One summary line per cause, naming every cell it failed.
    assert 1 <= result.stderr.count("  failed: ") <= len(failed), result.stderr
    for cell in failed:
        assert cell in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    after = pdfs(out)
    aside = {f"{c.split('/')[0]}/{c.split('/')[2]}-{c.split('/')[1]}-print.pdf" for c in failed}
    # Nothing new, nothing lost: a failed cell's earlier PDF is set aside in outdated/, never
    # left under its final name as if it were current.
    assert set(after) == (set(before) - aside) | {f"outdated/{name}" for name in aside}
    for name in aside:
        assert after[f"outdated/{name}"] == before[name], f"{name} changed although it failed"
    manifest = json.loads((out / "manifest.json").read_text())
    for entry in manifest:  # the manifest describes exactly what is on disk
        if entry["status"] == "failed":
            assert entry["path"] is None and entry["reason"]
            assert f"{entry['clinic']}/{entry['brochure']}-{entry['locale']}-print.pdf" in aside
        else:
            assert hashlib.sha256(after[entry["path"]]).hexdigest() == entry["sha256"]
    assert {e["path"] for e in manifest_before} - aside <= {e["path"] for e in manifest}
    assert not leftovers(project)
    return result


def edit_cover(project: Path, old: str, new: str) -> None:
    edit(project / "templates/partials/cover.html", old, new)


# --- files that pretend to be logos ------------------------------------------------------------

def _png(path: Path, size: tuple[int, int], mode: str = "RGB") -> Path:
    Image.new(mode, size, "white" if mode == "RGB" else 1).save(path)
    return path


def _svg(path: Path, body: str, prolog: str = "") -> Path:
    path.write_text(f'{prolog}<svg xmlns="http://www.w3.org/2000/svg" '
                    f'xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">'
                    f"{body}</svg>")
    return path


def _truncated_png(path: Path) -> Path:
    whole = _png(path.with_name("whole.png"), (800, 400)).read_bytes()
    path.with_name("whole.png").unlink()
    path.write_bytes(whole[:200])
    return path


def _corrupt_png(path: Path) -> Path:
    data = bytearray(_png(path, (800, 400)).read_bytes())
    start = data.index(b"IDAT") + 8
    data[start:start + 16] = b"\x00\xff" * 8  # damaged image data (the chunk's CRC no longer fits)
    path.write_bytes(bytes(data))
    return path


def _jpeg_named_png(path: Path) -> Path:
    Image.new("RGB", (1200, 500), "white").save(path, format="JPEG")
    return path


def _bomb(path: Path) -> Path:
    return _png(path, (14000, 14000), "1")


def logo_refused_both_ways(project: Path, make: Callable[[Path], Path],
                           command_says: tuple[str, ...], file_says: tuple[str, ...],
                           seconds: int = 20, where: str = f"{CLINIC}:8: logo: ") -> None:
    """A bad logo is refused by `clinic logo` (nothing changes) and, when a clinic file names
    it, by the build (stopped before building), each within `seconds`: no hang."""
    outside = project.parent / "incoming"
    outside.mkdir(exist_ok=True)
    bad = make(outside)
    clinic_file = (project / CLINIC).read_bytes()
    logo = project / ASSETS / "logo.svg"
    logo_before = logo.read_bytes()
    started = time.monotonic()
    result = cli_with_timeout(seconds, project, "clinic", "logo", "cedar-grove", str(bad))
    assert time.monotonic() - started < seconds
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    no_traceback(result)
    for fragment in command_says:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert (project / CLINIC).read_bytes() == clinic_file
    assert logo.read_bytes() == logo_before
    assert sorted(p.name for p in logo.parent.iterdir()) == ["logo.svg"]
    # The same file put into the clinic's folder by hand and named in its YAML.
    placed = make(project / ASSETS)
    edit(project / CLINIC, "logo: logo.svg", f"logo: {placed.name}")
    started = time.monotonic()
    refused(project, where, *file_says)
    assert time.monotonic() - started < seconds


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: typing.ClassVar[list[str]] = []  # every request the server ever saw

    def do_GET(self):
        _Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[int, list[str]]]:
    """A local web server that records every request (none may ever arrive)."""
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], _Recorder.requests
    finally:
        server.shutdown()
        server.server_close()


# Which files this process opens (audit hook, installed once, on only inside files_opened()).
_AUDIT: dict = {"installed": False, "on": False, "opened": []}


def _record_opens(event: str, args: tuple) -> None:
    if _AUDIT["on"] and event == "open" and args and not isinstance(args[0], int):
        with suppress(TypeError):
            _AUDIT["opened"].append(os.fsdecode(os.fspath(args[0])))


@contextmanager
def files_opened() -> Iterator[list[str]]:
    if not _AUDIT["installed"]:
        sys.addaudithook(_record_opens)
        _AUDIT["installed"] = True
    _AUDIT["opened"] = []
    _AUDIT["on"] = True
    try:
        yield _AUDIT["opened"]
    finally:
        _AUDIT["on"] = False


# === YAML (content and clinic files) ===========================================================

def test_case_01_no_stays_the_text_no_never_false(project, tmp_path):
    """1. `locales: [no]` or `country: NO` is not read as a boolean: a type error or the
    string "no"."""
    assert read_yaml_text(tmp_path, "country: NO\nlocales: [no, en]\n").data == {
        "country": "NO", "locales": ["no", "en"]}
    # In a clinic file `no` is the text "no", refused by name as an unknown locale.
    clinic_file = project / CLINIC
    original = clinic_file.read_text()
    edit(clinic_file, LOCALES_LINE, "locales: [en, no]")
    refused(project, f"{CLINIC}:3: locales/1: 'no' is not a locale of this project; choose "
                     f"from: {PROJECT_LOCALES}", problems=1)
    clinic_file.write_text(original)
    set_refused(project, "locales", "no", "'no' is not a locale of this project")
    # `country: NO` is Norway: the clinic loads with the text "NO", by hand or by command.
    edit(clinic_file, "country: CA", "country: NO")
    assert load_project(project).clinics["cedar-grove"].country == "NO"
    clinic_file.write_text(original)
    assert cli(project, "clinic", "set", "cedar-grove", "country", "NO").returncode == 0
    shown = json.loads(cli(project, "clinic", "show", "cedar-grove", "--json").stdout)
    assert shown["country"] == "NO"
    assert shown["phone"] == "+1 604-555-0142"  # a Canadian number, shown from Norway


def test_case_02_unquoted_hex_colour_is_empty_and_says_quote_it(project, tmp_path):
    """2. Unquoted `primary: #ff0000`: an error saying the colour is empty (quote it), not a
    silent default."""
    # '#' starts a comment, so the value is empty text (not a default colour) ...
    assert read_yaml_text(tmp_path, "primary: #ff0000\n").data == {"primary": ""}
    # ... and the schema says so, with the line, the key and the fix.
    edit(project / CLINIC, 'primary: "#1f5f5b"', "primary: #1f5f5b")
    refused(project, f"{CLINIC}:6: colors/primary: is empty; write a value (quote it if it "
                     "starts with '#')", problems=1)


def test_case_03_duplicate_key_names_both_lines(project, tmp_path):
    """3. A key given twice in one mapping: error naming both lines."""
    message = yaml_error(tmp_path, "name: A\nphone: '1'\nname: B\n")
    assert "clinic.yaml:3" in message
    assert "'name' is given twice (lines 1 and 3)" in message
    lines = (project / CLINIC).read_text().splitlines()
    edit(project / CLINIC, "  website: https://cedargrove-physio.example\n",
         "  website: https://cedargrove-physio.example\n  phone: '+1 604-555-0199'\n")
    first = next(n for n, line in enumerate(lines, 1) if line.startswith("  phone:"))
    second = 1 + next(n for n, line in enumerate(lines, 1) if line.startswith("  website:"))
    refused(project, f"{CLINIC}:{second}: contact/phone: the key 'phone' is given twice "
                     f"(lines {first} and {second}); keep one")


def _tab(content: str) -> str:
    return content.replace("  phone:", "\tphone:", 1)


@pytest.mark.parametrize(("fault", "line", "fragments"), [
    ("tab", 10, ("invalid YAML, column ", "indent with spaces, not tabs")),
    ("second document", 26, ("more than one YAML document (a second one starts here)",
                             "keep one document per file")),
    ("bad UTF-8", 2, ("not valid UTF-8 (byte 0xff); save the file as UTF-8",)),
    ("control character", 2, ("is not allowed in YAML; remove it",)),
])
def test_case_04_tab_second_document_or_bad_bytes_name_line_and_column(project, fault, line,
                                                                         fragments):
    """4. A tab in indentation, a second document, bad UTF-8: error with line and column."""
    path = project / CLINIC
    content = path.read_text(encoding="utf-8")
    if fault == "tab":
        path.write_text(_tab(content))
    elif fault == "second document":
        assert len(content.splitlines()) == line - 2  # `---` follows, then the second one
        path.write_text(content + "---\nname: B\n")
    elif fault == "bad UTF-8":
        path.write_bytes(content.encode().replace(b"Cedar Grove Phys", b"Cedar \xff\xfe Phys", 1))
    else:
        path.write_text(content.replace("Cedar Grove Phys", "Cedar\x07Grove Phys", 1))
    refused(project, f"{CLINIC}:{line}: ", *fragments, problems=1)


def test_case_05_leading_zeros_and_times_stay_as_written(project, tmp_path):
    """5. `postal_code: 01234`, `opens: 12:30`: kept as the strings written, or a schema
    error."""
    assert read_yaml_text(tmp_path, "postal_code: 01234\nopens: 12:30\n").data == {
        "postal_code": "01234", "opens": "12:30"}
    path = project / CLINIC
    original = path.read_text()
    edit(path, "  - Vancouver, BC  V6K 1N6", "  - 01234")
    assert load_project(project).clinics["cedar-grove"].address[-1] == "01234"  # not 668
    path.write_text(original)
    edit(path, 'hours: "Mon-Fri 08:00-18:00; Sat 09:00-13:00"', "hours: 12:30")
    refused(project, f"{CLINIC}:18: hours: cannot find the opening times in '12:30'; write "
                     'days and times like "Mon-Fri 08:00-18:00; Sat 09:00-13:00", or '
                     '"Mon-Fri 9am-5pm"', problems=1)


def test_case_06_python_tags_are_refused_and_nothing_runs(project, tmp_path):
    """6. `!!python/object/apply:os.system [...]`: refused; nothing runs."""
    marker = tmp_path / "ran"
    message = yaml_error(tmp_path, f"x: !!python/object/apply:os.system ['touch {marker}']\n")
    assert "tag" in message and "not allowed" in message
    edit(project / CLINIC, "name: Cedar Grove Physiotherapy",
         f"name: !!python/object/apply:os.system ['touch {marker}']")
    refused(project, f"{CLINIC}:2: name: the tag 'tag:yaml.org,2002:python/object/apply:"
                     "os.system' is not allowed; write plain values only")
    assert not marker.exists()


def _alias_bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 12):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    return "\n".join(lines) + "\n"  # 9**12 strings once expanded


def test_case_07_alias_bomb_is_refused_before_expansion(project, tmp_path):
    """7. An alias bomb (nested `&a [*a, *a, ...]`): refused before it is expanded."""
    started = time.monotonic()
    message = yaml_error(tmp_path, _alias_bomb())
    assert time.monotonic() - started < 2
    assert "aliases" in message and "clinic.yaml:2" in message
    (project / CLINIC).write_text(_alias_bomb())
    started = time.monotonic()
    refused(project, f"{CLINIC}:2: a1/0: anchors and aliases (&name / *name) are not allowed; "
                     "write the value out", problems=1)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(("content", "expected"), [
    ("", f"{CLINIC}: the file is empty; it should hold a mapping of keys"),
    ("- name: A\n", f"{CLINIC}:1: the file should hold a mapping of keys, but it is a list"),
    ("adress", f"{CLINIC}:14: adress: unknown key 'adress'; did you mean 'address'?"),
])
def test_case_08_empty_file_list_or_unknown_key_is_one_schema_error(project, content, expected):
    """8. An empty file, a top-level list, an unknown key such as `adress:`: schema error, with
    a did-you-mean suggestion for the unknown key."""
    path = project / CLINIC
    if content == "adress":
        set_refused(project, "adress", "x", "unknown key 'adress'; did you mean 'address'?")
        edit(path, "address:", "adress:")
    else:
        path.write_text(content)
    refused(project, expected, problems=1)


def test_case_09_template_asking_for_a_missing_field_names_the_template_line(built):
    """9. A template asks for a field that the content lacks: error naming the template line
    (never an empty string in the PDF)."""
    cover = built / "templates/partials/cover.html"
    line = line_of(cover, "{{ brochure.tagline.text }}")
    edit_cover(built, "{{ brochure.tagline.text }}", "{{ brochure.slogan.text }}")
    rebuild_fails(built, TRI_FOLDS,
                  f"templates/partials/cover.html:{line}: thameside/en/ims-overview: the "
                  "template asks for a value the content does not have:", "slogan")


# === Branding values and assets ================================================================

CSS_INJECTION = "red;} body{background:url(file:///etc/passwd)}"


def test_case_10_css_in_a_colour_or_font_name_never_reaches_css(project):
    """10. A colour or font name carrying CSS (`red;} body{background:url(file:///etc/passwd)}`):
    refused by validation; branding never reaches CSS as raw text."""
    path = project / CLINIC
    original = path.read_text()
    edit(path, 'primary: "#1f5f5b"', f'primary: "{CSS_INJECTION}"')
    refused(project, f"{CLINIC}:6: colors/primary: '{CSS_INJECTION}' is not a colour; write it "
                     'quoted as "#1f5f5b"')
    path.write_text(original)
    set_refused(project, "colors.primary", CSS_INJECTION, "is not a colour")
    set_refused(project, "colors.accent", 'blue"); } .cover { background: red',
                "is not a colour")
    # A font named with CSS in the clinic file is a file that does not exist ...
    font_value = 'x.ttf"); } body{background:url(file:///etc/passwd)} .a{src:url("'
    edit(path, "logo: logo.svg", f"logo: logo.svg\nfonts:\n  heading: '{font_value}'")
    refused(project, f"{CLINIC}:10: fonts/heading: the file brochures/clinics/cedar-grove/"
                     f"{font_value} does not exist")
    # ... and a real font whose file name carries CSS only ever reaches CSS URL-quoted.
    path.write_text(original)
    sneaky = 'x"); } body { background: red } .a { src: url(".ttf'
    noto = subprocess.run(["fc-match", "--format=%{file}", "Noto Sans"], capture_output=True,
                          text=True, check=True).stdout
    shutil.copy(noto, project / ASSETS / sneaky)
    edit(path, "logo: logo.svg", "logo: logo.svg\nfonts:\n  heading: '" + sneaky + "'")
    loaded = load_project(project)
    clinic = loaded.clinics["cedar-grove"]
    css = theme_css(clinic, PAPERS["letter"], "print", "en", loaded.root, LAYOUTS["tri-fold"])
    assert sneaky not in css and "body { background: red }" not in css
    assert ('src: url("brochures/clinics/cedar-grove/x%22%29%3B%20%7D%20body%20%7B%20background'
            '%3A%20red%20%7D%20.a%20%7B%20src%3A%20url%28%22.ttf"); }') in css


@pytest.mark.parametrize(("key", "url", "says"), [
    ("booking_url", "javascript:alert(1)", "should be a web address starting with https://"),
    ("booking_url", "file:///etc/passwd", "should be a web address starting with https://"),
    ("booking_url", "http://cedargrove-physio.example/book",
     "should be a web address starting with https://"),
    ("booking_url", "https://127.0.0.1/book", "points at a private or local address"),
    ("booking_url", "https://192.168.1.5/book", "points at a private or local address"),
    ("booking_url", "https://localhost/x", "points at this computer, not at a public site"),
    ("website", "https://169.254.169.254/", "points at a private or local address"),
    ("website", "https://localhost/", "points at this computer, not at a public site"),
    ("website", "https://[::1]/", "points at a private or local address"),
])
def test_case_11_url_fields_refuse_javascript_file_and_local_addresses(project, key, url, says):
    """11. A URL field with `javascript:`, `file:` or a private or loopback address:
    refused."""
    set_refused(project, f"contact.{key}", url, says)
    line = {"website": 12, "booking_url": 13}[key]
    old = f"{key}: https://cedargrove-physio.example" + ("/book" if key == "booking_url" else "")
    edit(project / CLINIC, old, f'{key}: "{url}"')
    refused(project, f"{CLINIC}:{line}: contact/{key}: '{url}' {says}", problems=1)


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("paper: letter", "paper: 1e6cm",
     f"{CLINIC}:4: paper: '1e6cm' is not one of: letter, a4"),
    ("paper: letter", "paper: a3", f"{CLINIC}:4: paper: 'a3' is not one of: letter, a4"),
    ("paper: letter", "paper: letter\nposter_paper: 1000000 cm",
     f"{CLINIC}:5: poster_paper: '1000000 cm' is not one of: letter, a4, tabloid, a3"),
    ('price: "95 CAD"', "price: 1e9 CAD",
     f"{CLINIC}:24: price: '1e9 CAD' is not a price; write the amount and currency, e.g. "
     '"95 CAD" or "70.50 GBP"'),
    ('price: "95 CAD"', "price: 1000000000 CAD",
     f"{CLINIC}:24: price: '1000000000 CAD' is not a plausible price per session"),
])
def test_case_12_absurd_paper_sizes_and_amounts_are_refused(project, old, new, expected):
    """12. Absurd sizes (font size 1e9, page size 1e6 cm): range error. Paper sizes are
    choices and the price has a plausibility bound; there is no free size field."""
    key, value = new.splitlines()[-1].split(": ", 1)
    set_refused(project, key, value, expected.split(f"{key}: ", 1)[1].split(";")[0])
    edit(project / CLINIC, old, new)
    refused(project, expected, problems=1)


def _sparse(path: Path, size: int, head: bytes = b"") -> Path:
    """A file of `size` bytes that takes no disk space (its size is what is refused)."""
    with path.open("wb") as handle:
        handle.write(head)
        handle.truncate(size)
    return path


@pytest.mark.parametrize(("asset", "yaml_text", "expected"), [
    ("huge.png", "logo: huge.png", "logo: huge.png is larger than 5 MB"),
    ("huge.ttf", "logo: logo.svg\nfonts:\n  body: huge.ttf",
     "fonts/body: huge.ttf is too large for a brand font"),
    ("huge.icc", "logo: logo.svg\nprint_profile: huge.icc",
     "print_profile: huge.icc is not a usable ICC profile file"),
])
def test_case_12_absurdly_large_asset_files_are_refused_unread(project, asset, yaml_text,
                                                                expected):
    """12. Absurd sizes: a logo, brand font or press profile far larger than any real one is
    refused by its size, before it is read."""
    _sparse(project / ASSETS / asset, 64 * 2**20, b"\x89PNG\r\n\x1a\n")
    edit(project / CLINIC, "logo: logo.svg", yaml_text)
    started = time.monotonic()
    refused(project, expected, problems=1)
    assert time.monotonic() - started < 10
    if asset.endswith(".png"):
        outside = _sparse(project.parent / "huge.png", 64 * 2**20, b"\x89PNG\r\n\x1a\n")
        result = cli(project, "clinic", "logo", "cedar-grove", str(outside))
        assert result.returncode == 2 and "huge.png is larger than 5 MB" in result.stderr
        no_traceback(result)


@pytest.mark.parametrize("way", ["parent folders", "absolute path", "symlink"])
def test_case_13_logo_outside_the_clinic_folder_is_refused_unopened(project, tmp_path, way):
    """13. Logo path `../../etc/passwd`, an absolute path outside the project, or a symlink that
    leads out: refused; the file is never opened."""
    secret = tmp_path / "secret.svg"
    secret.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    name, target = {
        "parent folders": ("../../../../etc/passwd", Path("/etc/passwd")),
        "absolute path": (str(secret), secret),
        "symlink": ("link.svg", secret),
    }[way]
    if way == "symlink":
        (project / ASSETS / "link.svg").symlink_to(secret)
    edit(project / CLINIC, "logo: logo.svg", f"logo: {name}")
    with files_opened() as opened, pytest.raises(ProjectError) as caught:
        load_project(project)
    touched = {Path(path).resolve() for path in opened}
    assert target.resolve() not in touched and (project / ASSETS / "link.svg") not in touched
    if way == "symlink":  # refused as a link out of the project, before any file is read
        assert f"{ASSETS}/link.svg: this is a link to {secret}, outside the project" in \
            str(caught.value)
        refused(project, f"{ASSETS}/link.svg: this is a link to {secret}, outside the project",
                problems=1)
        set_refused(project, "logo", name, "outside the project")
        return
    assert f"logo: {name!r} points outside brochures/clinics/cedar-grove/; put the file in " \
           "that folder" in str(caught.value)
    refused(project, f"{CLINIC}:8: logo: {name!r} points outside brochures/clinics/"
                     "cedar-grove/; put the file in that folder", problems=1)
    set_refused(project, "logo", name, "use `ims-brochure clinic logo`")


@pytest.mark.parametrize("case", ["missing", "not an image", "truncated", "corrupt",
                                  "wrong type", "name with NUL", "name too long"])
def test_case_14_missing_truncated_corrupt_or_non_image_logo_is_an_error(project, case):
    """14. Logo missing, truncated, corrupt, or not an image: error (WeasyPrint alone would only
    log it)."""
    makers: dict[str, tuple[Callable[[Path], Path], tuple[str, ...], tuple[str, ...]]] = {
        "not an image": (lambda d: (d / "n.png").write_text("hello") and d / "n.png",
                         ("n.png is not a readable PNG image",),
                         ("n.png is not a readable PNG image",)),
        "truncated": (lambda d: _truncated_png(d / "t.png"),
                      ("t.png is not a readable PNG image",),
                      ("t.png is not a readable PNG image",)),
        "corrupt": (lambda d: _corrupt_png(d / "c.png"),
                    ("c.png is not a readable PNG image",),
                    ("c.png is not a readable PNG image",)),
        "wrong type": (lambda d: _jpeg_named_png(d / "j.png"),
                       ("j.png is JPEG, not PNG as its name says",),
                       ("j.png is JPEG, not PNG as its name says",)),
    }
    if case in makers:
        make, command_says, file_says = makers[case]
        logo_refused_both_ways(project, make, command_says, file_says)
        return
    if case == "missing":
        result = cli(project, "clinic", "logo", "cedar-grove", str(project / "nothere.png"))
        assert result.returncode == 2
        no_traceback(result)
        assert "nothere.png" in result.stderr
        assert "does not exist" in result.stderr, result.stderr
        edit(project / CLINIC, "logo: logo.svg", "logo: nothere.svg")
        refused(project, f"{CLINIC}:8: logo: the file brochures/clinics/cedar-grove/nothere.svg "
                         "does not exist", problems=1)
        return
    name = '"logo\\0.svg"' if case == "name with NUL" else "x" * 300 + ".svg"
    edit(project / CLINIC, "logo: logo.svg", f"logo: {name}")
    if case == "name with NUL":  # refused as text before it is taken for a file name
        refused(project, f"{CLINIC}:8: logo: the text holds the control character U+0000 NULL "
                "at character 5, which cannot be printed; remove it", problems=1)
        return
    refused(project, f"{CLINIC}:8: logo: ", "is not a usable file name",
            "use a plain name such as logo.svg", problems=1)


def test_case_15_decompression_bomb_png_is_refused_by_its_pixel_count_fast(project):
    """15. A decompression-bomb PNG (tiny file, 14000 x 14000 px): refused by a pixel limit,
    fast."""
    def make(folder: Path) -> Path:
        bomb = _bomb(folder / "bomb.png")
        assert bomb.stat().st_size < 1_000_000  # tiny on disk, 196 million pixels decoded
        return bomb

    says = ("bomb.png is 14000 x 14000 pixels, more than a logo needs (25 million at most)",)
    logo_refused_both_ways(project, make, says, says, seconds=10)


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _device(path: Path) -> Path:
    path.symlink_to("/dev/zero")
    return path


# Put in the clinic's folder by hand, a pipe or a link out is refused as a project file before
# any file is read; a folder is refused as the logo.
@pytest.mark.parametrize(("make", "command_says", "file_says"), [
    (lambda d: _fifo(d / "pipe.png"), ("pipe.png is not a regular file",),
     (f"{ASSETS}/pipe.png: this is not a regular file (a pipe, device or socket)",)),
    (lambda d: _device(d / "zero.png"), ("zero.png is not a regular file",),
     (f"{ASSETS}/zero.png: this is a link to /dev/zero, outside the project",)),
    (lambda d: _folder(d / "dir.png"), ("dir.png is not a regular file",),
     (f"{CLINIC}:8: logo: dir.png is not a regular file",)),
], ids=["fifo", "dev-zero", "folder"])
def test_case_16_fifo_device_or_folder_logo_is_refused_without_hanging(project, make,
                                                                      command_says, file_says):
    """16. A logo that is a FIFO, /dev/zero or a folder: refused, no hang."""
    # /dev/zero itself, named directly.
    result = cli_with_timeout(20, project, "clinic", "logo", "cedar-grove", "/dev/zero")
    assert result.returncode == 2 and "should be an SVG, PNG or JPEG file" in result.stderr
    no_traceback(result)
    logo_refused_both_ways(project, make, command_says, file_says, seconds=20, where="")


@pytest.mark.parametrize("case", ["external entity", "entity bomb", "file image", "http use",
                                  "script", "css url"])
def test_case_17_svg_with_entities_or_external_references_is_refused_unfetched(project,
                                                                              recorder, case):
    """17. An SVG with an external entity, an entity bomb, `<image href="file:///...">` or
    `<use href="http://...">`: refused, nothing fetched."""
    port, requests = recorder
    svgs = {
        "external entity": ("<text>&x;</text>",
                            '<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
                            "declares a DOCTYPE or entities"),
        "entity bomb": ("<text>&c;</text>",
                        '<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">'
                        '<!ENTITY c "&b;&b;&b;">]>', "declares a DOCTYPE or entities"),
        "file image": ('<image href="file:///etc/passwd"/>', "",
                       "refers to 'file:///etc/passwd'; a logo must not load other files"),
        "http use": (f'<use xlink:href="http://127.0.0.1:{port}/x.svg#a"/>', "",
                     f"refers to 'http://127.0.0.1:{port}/x.svg#a'"),
        "script": ("<script>alert(1)</script>", "",
                   "contains <script>; logos must be plain drawings"),
        "css url": (f'<rect style="fill:url(http://127.0.0.1:{port}/p)"/>', "",
                    "loads a resource from its styles; a logo must be self-contained"),
    }
    body, prolog, says = svgs[case]
    logo_refused_both_ways(project, lambda d: _svg(d / "bad.svg", body, prolog),
                           (f"bad.svg {says}",), (f"bad.svg {says}",))
    assert requests == []


@pytest.mark.parametrize("case", ["missing", "not a font", "not a font file name"])
def test_case_18_missing_or_fake_brand_font_is_an_error_not_a_fallback(project, tmp_path, case):
    """18. A brand font file missing, or not a font: error; no silent fallback to another
    font."""
    fake = tmp_path / "fake.ttf"
    fake.write_text("not a font")
    if case == "missing":
        result = cli(project, "clinic", "font", "cedar-grove", "--body",
                     str(tmp_path / "nothere.ttf"))
        entry, says = "nothere.ttf", ("the file brochures/clinics/cedar-grove/nothere.ttf does "
                                      "not exist",)
        assert "nothere.ttf" in result.stderr and "does not exist" in result.stderr, \
            result.stderr
    elif case == "not a font":
        result = cli(project, "clinic", "font", "cedar-grove", "--body", str(fake))
        shutil.copy(fake, project / ASSETS / "fake.ttf")
        entry, says = "fake.ttf", ("fake.ttf is not a usable TrueType/OpenType font",)
        assert "not a usable TrueType/OpenType font" in result.stderr
    else:
        woff = tmp_path / "brand.woff2"
        woff.write_bytes(b"wOF2")
        result = cli(project, "clinic", "font", "cedar-grove", "--body", str(woff))
        shutil.copy(woff, project / ASSETS / "brand.woff2")
        entry, says = "brand.woff2", ("brand.woff2 should be a .ttf or .otf font file",)
        assert "should be a .ttf or .otf font file" in result.stderr
    assert result.returncode == 2, result.stdout + result.stderr
    no_traceback(result)
    assert sorted(p.name for p in (project / ASSETS).iterdir()) == sorted(
        ["logo.svg", *([entry] if case != "missing" else [])])
    edit(project / CLINIC, "logo: logo.svg", f"logo: logo.svg\nfonts:\n  body: {entry}")
    refused(project, f"{CLINIC}:10: fonts/body: ", *says, problems=1)


# === Templates, HTML and CSS ===================================================================

def test_a_cmyk_colour_written_into_a_stylesheet_fails_the_screen_file_and_says_what_to_use(
        project):
    """Both files of a cell come from one layout, each writing the palette in its own inks: a
    device-cmyk() colour written into a stylesheet has no screen colour, so the screen file
    fails, naming it and the palette, while the print file prints it as it is."""
    edit(project / "styles/poster.css", ".poster-phone {",
         ".poster-phone { color: device-cmyk(0.1 0.2 0.3 0.4); } .poster-phone {")
    result = cli(project, "build", "--clinic", "thameside", "--locale", "en",
                 "--brochure", "ims-poster")
    assert result.returncode == 1, result.stdout + result.stderr
    no_traceback(result)
    assert "ok   thameside/en/ims-poster (print)" in result.stdout, result.stdout
    assert "FAIL thameside/en/ims-poster (screen)" in result.stdout, result.stdout
    assert "device-cmyk(0.1 0.2 0.3 0.4)" in result.stderr, result.stderr
    assert "use the palette's colours (var(--primary), var(--ink)" in result.stderr
    assert not list((project / "out" / "thameside").glob("*-screen.pdf"))



@pytest.mark.parametrize(("where", "snippet", "says"), [
    ("cover", '<img src="file:///etc/passwd">',
     "blocked 'file:///etc/passwd': the file is outside the project"),
    ("cover", '<link rel="attachment" href="http://127.0.0.1:9/x">',
     "blocked 'http://127.0.0.1:9/x': only files inside the project may be used"),
    ("cover", '<img src="http://169.254.169.254/latest/meta-data">',
     "blocked 'http://169.254.169.254/latest/meta-data'"),
    ("cover", '<a rel="attachment" href="pyproject.toml">x</a>', "attachments are not allowed"),
    ("style", '@import url("https://fonts.example/x.css");',
     "blocked 'https://fonts.example/x.css'"),
    ("style", '@font-face { font-family: X; src: url("file:///etc/passwd"); } '
              ".cover { font-family: X; }", "blocked 'file:///etc/passwd'"),
], ids=["img-file", "attachment-loopback", "img-metadata", "attachment-inside", "import-https",
        "font-face-file"])
def test_case_19_links_to_files_or_addresses_are_blocked_and_nothing_is_embedded(
        built, where, snippet, says):
    """19. `<link rel=attachment>`, `<img src>`, `@import` or `@font-face` pointing at
    file:///etc/passwd, 127.0.0.1, 169.254.169.254 or any http(s) URL: blocked with an error;
    the PDF embeds nothing."""
    if where == "cover":
        edit_cover(built, '<div class="cover">', '<div class="cover">' + snippet)
    else:
        style = built / "styles/tri-fold.css"
        style.write_text(snippet + "\n" + style.read_text())
    rebuild_fails(built, TRI_FOLDS, says)


@pytest.mark.slow
def test_case_19_no_build_makes_a_network_request_and_no_secret_leaks(project, tmp_path,
                                                                      recorder):
    """19. (for real) A local server records every request and a secret file lies outside the
    project: every attempt to reach them is blocked, and no PDF carries the secret."""
    port, requests = recorder
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4242")
    attempts = {
        "poster.html": [f'<img src="http://127.0.0.1:{port}/image.png">',
                        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">',
                        f'<link rel="attachment" href="file://{secret}">'],
        "style": [f'@import url("http://127.0.0.1:{port}/import.css");',
                  f'@font-face {{ font-family: X; src: url("http://127.0.0.1:{port}/f.ttf"); }}',
                  f'.poster-logo {{ background: url("file://{secret}"); }}'],
    }
    # The poster: the cheapest layout to render, made of the same base template and styles.
    poster = project / "templates/poster.html"
    style = project / "styles/poster.css"
    original_poster, original_style = poster.read_text(), style.read_text()
    for snippet in attempts["poster.html"] + attempts["style"]:
        if snippet in attempts["style"]:
            style.write_text(snippet + "\n" + original_style)
        else:
            poster.write_text(original_poster.replace('<div class="poster-logo">',
                                                      snippet + '<div class="poster-logo">'))
        result = cli(project, "build", "--clinic", "thameside", "--locale", "en",
                     "--brochure", "ims-poster", "--profile", "print", "--force")
        assert result.returncode == 1, snippet
        assert "blocked" in result.stderr, (snippet, result.stderr)
        no_traceback(result)
        assert not (project / "out/thameside/ims-poster-en-print.pdf").exists()
        poster.write_text(original_poster)
        style.write_text(original_style)
    # A normal build after all that (the layout the attempts were put in, in every language
    # and both profiles): nothing fetched, and no secret in any PDF.
    assert cli(project, "build", "--clinic", "thameside", "--brochure", "ims-poster"
               ).returncode == 0
    assert requests == []
    for pdf in (project / "out").rglob("*.pdf"):
        content = inflated(pdf.read_bytes())
        assert b"TOP-SECRET-4242" not in content
        assert b"file:" not in content, pdf.name  # no file: URI, no build-machine path
        assert str(project).encode() not in content, pdf.name
        assert b"/EmbeddedFile" not in content, pdf.name
    assert not leftovers(project)


def test_case_20_jinja_syntax_error_names_template_file_and_line(built):
    """20. A Jinja syntax error: the template file and line."""
    edit_cover(built, "{{ brochure.tagline.text }}", "{{ brochure.tagline.text }")
    line = line_of(built / "templates/partials/cover.html", "brochure.tagline.text }")
    rebuild_fails(built, TRI_FOLDS, f"templates/partials/cover.html:{line}: thameside/en/"
                                    "ims-overview: template syntax error")


HOSTILE = '<script>alert(1)</script> & <a href="https://x.example">x</a>'
ESCAPED = ("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;a href=&#34;https://x.example&#34;"
           "&gt;x&lt;/a&gt;")


@pytest.mark.parametrize("name", ["partials/note.txt", "partials/note.j2", "partials/NOTE",
                                  "partials/note.xml", "partials/note.html"])
def test_case_21_every_template_is_autoescaped_whatever_its_name(project, name):
    """21. Every template is autoescaped, whatever its file name ends in."""
    templates = project / "templates"
    (templates / name).write_text("<p>{{ value }}</p>\n<p>{{ _('Phone') }}</p>\n")
    (templates / "page.html").write_text(f'{{% include "{name}" %}}')
    environment = jinja_environment(templates)
    translations = Translations("fr_CA", {(None, "Phone"): HOSTILE})
    environment.install_gettext_callables(translations.gettext, translations.ngettext,
                                          newstyle=True)
    # A translation is typeset (its last two words bound by a no-break space), then escaped.
    translated = ESCAPED.replace("&lt;a href", "&lt;a\u00a0href")
    expected = f"<p>{ESCAPED}</p>\n<p>{translated}</p>"
    assert environment.get_template(name).render(value=HOSTILE) == expected
    assert environment.get_template("page.html").render(value=HOSTILE) == expected
    # A template given as a string, and a translated {% trans %} block, are escaped too.
    assert environment.from_string("{% trans %}Phone{% endtrans %}").render() == translated


def test_case_21_special_characters_in_text_print_as_text(project):
    """21. (end to end) A translation with < & > prints those characters, not markup."""
    set_translation(project, ZH, "ims-overview/tagline", "比较：5 < 6 & 7 > 3")
    result = cli(project, "build", "--clinic", "cedar-grove", "--locale", "zh_Hans",
                 "--brochure", "ims-overview", "--profile", "print")
    assert result.returncode == 0, result.stderr
    assert "5 < 6 & 7 > 3" in text(project / "out/cedar-grove/ims-overview-zh_Hans-print.pdf")


def test_case_22_any_weasyprint_warning_fails_the_cell_naming_the_cause(built):
    """22. Any WeasyPrint warning or error during a render fails that cell, naming the
    cause."""
    style = built / "styles/tri-fold.css"
    with style.open("a") as stylesheet:
        stylesheet.write("\n.cover { unicode-bidi: isolate; }\n")
    line = line_of(style, "unicode-bidi: isolate")
    rebuild_fails(built, TRI_FOLDS, "styles/tri-fold.css: WeasyPrint reported: Ignored "
                                    f"`unicode-bidi: isolate` at {line}:10, property not "
                                    "supported yet")


# === Catalogs (.po) ============================================================================

@pytest.mark.parametrize(("new", "says"), [
    ("%(telephone)s", "placeholder %(phone)s was renamed to %(telephone)s"),
    ("", "placeholder %(phone)s is missing"),
    ("%(phone)s %(fax)s", "placeholder %(fax)s is not in the source"),
])
def test_case_23_renamed_dropped_or_added_placeholder_names_the_po_line(project, new, says):
    """23. A placeholder renamed (`%(phone)s` -> `%(telephone)s`) or dropped: error with .po
    file:line."""
    po = project / FR
    line = phone_msgstr_line(po)
    edit(po, "Appelez-nous au %(phone)s.", f"Appelez-nous au {new}.")
    expect_catalog_error(project, line, says)


def test_case_23_added_placeholder_in_a_plain_message_names_the_po_line(project):
    """23. A placeholder added to a message that has none: error with .po file:line."""
    po = project / FR
    line = line_of(po, 'msgstr "Téléphone"')
    edit(po, 'msgstr "Téléphone"', 'msgstr "Téléphone %(numero)s"')
    expect_catalog_error(project, line, "placeholder %(numero)s is not in the source")


def test_case_23_catalog_with_a_renamed_placeholder_is_kept_out_of_the_build(built):
    """23. (build) The .po with a renamed placeholder is neither compiled nor used: its cells
    fail naming the .po line, the other language still builds, earlier PDFs stay."""
    po = built / FR
    line = phone_msgstr_line(po)
    edit(po, "Appelez-nous au %(phone)s.", "Appelez-nous au %(tel)s.")
    compiled = cli(built, "i18n", "compile", "fr")
    assert compiled.returncode == 1 and "fr: not compiled" in compiled.stderr
    no_traceback(compiled)
    rebuild_fails(built, FRENCH, f"{FR}:{line}: the fr catalog has errors and is not used: "
                                 "placeholder %(phone)s was renamed to %(tel)s",
                  "see `ims-brochure i18n check fr`")


@pytest.mark.parametrize(("new", "says"), [
    ("%(phone) aujourd’hui", "broken placeholder at '%(phone) auj'"),
    ("%(phone)s à 100 %", "broken placeholder at '%.'"),
], ids=["broken", "lone-percent"])
def test_case_24_broken_placeholder_or_lone_percent_names_the_po_line(project, new, says):
    """24. A broken placeholder (`%(phone) today`) or a lone `%`: error, never garbled text."""
    po = project / FR
    line = phone_msgstr_line(po)
    edit(po, "Appelez-nous au %(phone)s.", f"Appelez-nous au {new}.")
    expect_catalog_error(project, line, says)
    result = cli(project, "build", "--clinic", "thameside", "--locale", "fr",
                 "--brochure", "ims-overview", "--profile", "print")
    assert result.returncode == 1 and f"{FR}:{line}: the fr catalog has errors" \
        in result.stderr
    assert not list((project / "out").rglob("*.pdf"))


def test_case_24_brace_placeholders_are_checked_too():
    """24. Brace placeholders: renamed or unbalanced braces are errors; a plain % is text."""
    assert placeholder_problems("Hello {name}", "Bonjour {nom}") == [
        "placeholder {name} was renamed to {nom}; keep {name} exactly"]
    assert placeholder_problems("Hello {name}", "Bonjour {name") == [
        "unbalanced { } braces: write each placeholder as in the source, e.g. {name}"]
    assert placeholder_problems("Hello", "50 %") == []


@pytest.mark.parametrize("markup", ['<img src="x.png">', '<link rel="attachment" href="/x">',
                                    "<script>x()</script>", '<a href="https://x.example">ici</a>'])
def test_case_25_translation_adding_markup_is_refused(project, markup):
    """25. A msgstr that adds markup the msgid lacks (`<img>`, `<link>`, `<script>`, `<a>`):
    refused."""
    po = project / FR
    line = line_of(po, 'msgstr "Téléphone"')
    escaped = markup.replace('"', '\\"')
    edit(po, 'msgstr "Téléphone"', f'msgstr "Téléphone {escaped}"')
    expect_catalog_error(project, line, "the translation adds markup")


@pytest.mark.parametrize("how", ["bold tag", "hidden behind a bare CR"])
def test_case_25_markup_in_a_translation_keeps_the_catalog_out_of_the_build(built, how):
    """25. (build) A catalog whose translation adds markup, even one hidden from PO editors
    behind a bare carriage return, is not used: its cells fail, earlier PDFs stay."""
    po = built / FR
    if how == "bold tag":
        set_translation(built, FR, "ims-overview/tagline", "<b>gras</b>")
        says = "the translation adds markup (<b>)"
    else:
        edit(po, 'msgstr "Prenez rendez-vous pour un bilan"',
             'msgstr "Prenez rendez-vous pour un bilan"\r'
             '# <a rel=attachment href=pyproject.toml>.</a> "')
        says = "the fr catalog has errors and is not used"
    rebuild_fails(built, FRENCH, f"{FR}:", says)


def _duplicate(po: Path) -> tuple[int, str]:
    content = po.read_text(encoding="utf-8")
    block = content[content.index("#: templates/partials/contact.html"):]
    block = block[: block.index("\n\n") + 2]
    po.write_text(content + "\n" + block, encoding="utf-8")
    first = line_of(po, block.splitlines()[1])
    return line_of(po, block.splitlines()[1], after=first + 1), f"first on line {first}"


@pytest.mark.parametrize("fault", ["duplicate msgid", "unterminated string", "wrong charset",
                                   "byte-order mark"])
def test_case_26_duplicate_unterminated_charset_or_bom_names_the_po_line(project, fault):
    """26. A duplicate msgid, an unterminated string, a wrong charset or a BOM: error with
    file:line."""
    po = project / FR
    if fault == "duplicate msgid":
        line, says = _duplicate(po)
    elif fault == "unterminated string":
        line, says = line_of(po, 'msgstr "Téléphone"'), "unterminated string"
        edit(po, 'msgstr "Téléphone"', 'msgstr "Téléphone')
    elif fault == "wrong charset":
        edit(po, "charset=utf-8", "charset=ISO-8859-1")
        line, says = line_of(po, 'msgid ""'), "charset is ISO-8859-1"
    else:
        po.write_bytes(b"\xef\xbb\xbf" + po.read_bytes())
        line, says = 1, "byte-order mark"
    expect_catalog_error(project, line, says)


@pytest.mark.parametrize("fault", ["invalid Plural-Forms", "msgstr[n] count"])
def test_case_27_bad_plural_forms_header_or_msgstr_count_is_an_error(project, fault):
    """27. An invalid Plural-Forms header, or a number of msgstr[n] that differs from
    nplurals: error."""
    po = project / FR
    if fault == "invalid Plural-Forms":
        content = po.read_text(encoding="utf-8")
        content = re.sub(r'"Plural-Forms: [^"]*"', '"Plural-Forms: nplurals=2 plural=n>1\\\\n"',
                         content)
        po.write_text(content, encoding="utf-8")
        expect_catalog_error(project, line_of(po, 'msgid ""'), "Plural-Forms header",
                             "is not valid")
    else:
        with po.open("a", encoding="utf-8") as handle:
            handle.write('\nmsgid "%(count)s session"\nmsgid_plural "%(count)s sessions"\n'
                         'msgstr[0] "%(count)s séance"\nmsgstr[1] "%(count)s séances"\n'
                         'msgstr[2] "%(count)s séances"\n')
        expect_catalog_error(project, line_of(po, 'msgid "%(count)s session"'),
                             "has 3 msgstr[n] lines but the header says nplurals=2")


def test_case_28_fuzzy_header_is_reported_and_never_prints_english(built):
    """28. A catalog whose header is marked fuzzy: reported, never silently English."""
    po = built / FR
    edit(po, 'msgid ""\nmsgstr ""', '#, fuzzy\nmsgid ""\nmsgstr ""')
    line = line_of(po, 'msgid ""')
    expect_catalog_error(built, line, "header is marked fuzzy")
    rebuild_fails(built, FRENCH, f"{FR}:{line}: the fr catalog has errors and is not used",
                  "header is marked fuzzy")


@pytest.mark.parametrize("state", ["untranslated", "fuzzy"])
def test_case_29_fuzzy_and_untranslated_entries_follow_the_draft_policy(project, state):
    """29. Fuzzy and untranslated entries: counted and handled by the documented policy (not
    built unless --allow-incomplete, which prints English marked DRAFT TRANSLATION)."""
    fuzzy = state == "fuzzy"
    set_translation(project, ZH, "ims-overview/sections/after/heading",
                    "术后" if fuzzy else "", fuzzy=fuzzy)
    stats = {row["locale"]: row for row in json.loads(
        cli(project, "i18n", "stats", "--json").stdout)}
    assert (stats["zh_Hans"]["fuzzy"], stats["zh_Hans"]["untranslated"]) == \
        ((1, 0) if fuzzy else (0, 1))
    args = ("build", "--brochure", "ims-overview", "--profile", "print",
            "--clinic", "cedar-grove", "--locale", "zh_Hans")
    result = cli(project, *args)
    assert result.returncode == 1
    no_traceback(result)
    assert ("cedar-grove/zh_Hans/ims-overview: 1 message(s) of this brochure are untranslated "
            f"or fuzzy in {ZH}; list them with `ims-brochure i18n stats zh_Hans --missing`; or "
            "build with --allow-incomplete to print a marked draft") in result.stderr
    done, total = map(int, re.search(r"catalogs: .*zh_Hans \d+% \((\d+)/(\d+)\)",
                                     result.stdout).groups())
    assert done == total - 1
    pdf = project / "out/cedar-grove/ims-overview-zh_Hans-print.pdf"
    assert not pdf.exists()
    listed = cli(project, "i18n", "stats", "zh_Hans", "--missing")
    assert f"{ZH}:" in listed.stdout and f": {state}: After a session" in listed.stdout
    draft = cli(project, *args, "--allow-incomplete")
    assert draft.returncode == 0, draft.stderr
    assert "zh_Hans: 1 message(s) printed in English, marked DRAFT" in draft.stdout
    assert not pdf.exists()  # a draft never takes the final PDF's name
    pdf = pdf.with_name("ims-overview-zh_Hans-print-DRAFT.pdf")
    for page in (1, 2):
        assert "DRAFT TRANSLATION" in text(pdf, page)
    assert "After a session" in text(pdf, 2)  # the last inside panel
    assert not leftovers(project)


@pytest.mark.parametrize(("identifier", "hint"), [
    ("fr-FR", "write it with an underscore, e.g. 'fr_FR'"),
    ("xx", "is not a known locale"),
    ("../../etc", "is not a known locale"),
    ("", "is not a known locale"),
    ("zh_hans", "did you mean 'zh_Hans'?"),
])
def test_case_30_bad_locale_identifiers_are_refused(identifier, hint):
    """30. A locale code that is unknown, malformed or a path (`xx`, `fr-FR`, `../../etc`,
    ``): refused against the project's configured list; no silent fallback."""
    with pytest.raises(ValueError) as caught:
        parse_locale(identifier)
    assert hint in str(caught.value)


def test_case_30_bad_locales_are_refused_in_clinic_files_builds_and_init(project):
    """30. The same codes in a clinic file, a build selection and `i18n init`: refused by
    name, nothing created, no fallback."""
    edit(project / CLINIC, LOCALES_LINE, 'locales: [en, fr-FR, xx, ../../etc, ""]')
    refused(project, *(f"{CLINIC}:3: locales/{index}: {code!r} is not a locale of this project; "
                       f"choose from: {PROJECT_LOCALES}"
                       for index, code in enumerate(("fr-FR", "xx", "../../etc"), start=1)),
            f"{CLINIC}:3: locales/4: should be non-empty text", problems=4)
    (project / CLINIC).write_text((REPO / CLINIC).read_text())
    set_refused(project, "locales", "en, fr-FR", "'fr-FR' is not a locale of this project")
    before = files_under(project.parent)
    for code in ("xx", "fr-FR", "../../etc", ""):
        result = cli(project, "build", "--clinic", "cedar-grove", "--locale", code)
        assert result.returncode == 2, code
        assert f"unknown locale {code!r}; " in result.stderr
        no_traceback(result)
    typo = cli(project, "i18n", "init", "fr-FR")
    assert typo.returncode == 2
    assert "'fr-FR' is not a known locale; write it with an underscore, e.g. 'fr_FR'" \
        in typo.stderr
    for code in ("xx", "../../etc", ""):
        result = cli(project, "i18n", "init", code)
        assert result.returncode == 2 and "is not a known locale" in result.stderr, code
        no_traceback(result)
    assert files_under(project.parent) == before


# === Build and file system =====================================================================

@pytest.mark.parametrize("slug", ["../../etc", "a/b", "CON", "Cedar", "con", "-x", ""])
def test_case_31_bad_slugs_are_refused(slug):
    """31. A clinic slug such as `../../etc`, `a/b`, `CON`, or one that differs from another
    only in case: refused; output stays inside the output folder."""
    assert check_slug(slug) is not None


@pytest.mark.parametrize(("slug", "message"), [
    ("../../etc", "is not valid"), ("a/b", "is not valid"), ("CON", "is not valid"),
    ("con", "reserved device name"), ("Cedar-Grove", "is not valid"),
    ("cedar-grove", "already exists"),
])
def test_case_31_new_refuses_bad_or_clashing_slugs_and_writes_nothing(project, slug, message):
    """31. `clinic new` and `build --clinic` with such a slug: refused, nothing written
    anywhere."""
    before = files_under(project.parent)
    result = cli(project, "clinic", "new", slug, "--name", "X")
    assert result.returncode == 2 and message in result.stderr
    no_traceback(result)
    if slug != "cedar-grove":
        built = cli(project, "build", "--clinic", slug)
        assert built.returncode == 2 and f"unknown clinic {slug!r}" in built.stderr
    assert files_under(project.parent) == before


@pytest.mark.parametrize("file_name", ["Cedar-Grove.yaml", "CON.yaml", "con.yaml"])
def test_case_31_clinic_files_with_bad_or_case_clashing_names_are_refused(project, file_name):
    """31. A clinic file whose name is not a valid slug (a case twin of another clinic, a
    device name): refused, naming the file and what would be right."""
    clinics = project / "brochures/clinics"
    (clinics / file_name).write_text((clinics / "cedar-grove.yaml").read_text())
    stem = file_name.removesuffix(".yaml")
    why = "is a reserved device name on Windows; choose another" if stem == "con" \
        else "is not valid; use lowercase ASCII letters, digits and single hyphens"
    refused(project, f"brochures/clinics/{file_name}: the clinic slug {stem!r} {why}",
            problems=1)


@pytest.mark.slow
def test_case_32_sigkill_during_writing_leaves_no_truncated_pdf(project):
    """32. The build is killed (SIGKILL or Ctrl-C) during a write: no truncated PDF under a
    final name, and the next build completes."""
    # One clinic's 9 print PDFs: enough to be killed mid-matrix, with both workers writing.
    cells = ("--clinic", "thameside", "--profile", "print")
    args = [sys.executable, str(REPO / "cli.py"), "--project", str(project), "build", *cells,
            "--jobs", "2"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    out = project / "out"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.rglob("*.pdf"))) < 3:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the build and its workers, mid-matrix
    process.wait()
    # Whatever was published is complete: every PDF under a final name passes qpdf.
    for pdf in out.rglob("*.pdf"):
        assert subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True).returncode \
            == 0, pdf.name
    # The next build completes, and leaves no temporary file behind.
    again = run_cli("--project", str(project), "build", *cells)
    assert again.returncode == 0, again.stderr
    assert not leftovers(out)
    total = len(list(out.rglob("*.pdf")))
    assert total == 9


@pytest.mark.slow
def test_case_32_ctrl_c_stops_cleanly_and_the_next_build_completes(project):
    """32. Ctrl-C (SIGINT to the whole job, as a terminal sends it) mid-build: a non-zero exit
    with a short note, no traceback, no temporary file, a manifest that matches what is on disk, and
    the next build builds only what is missing."""
    # The handouts and posters of one clinic in both profiles (24 PDFs), the cheapest cells to
    # build again, and enough of them that the build is still running when the first is out.
    cells = ("--clinic", "cedar-grove", "--brochure", "ims-aftercare",
             "--brochure", "ims-poster")
    args = [sys.executable, str(REPO / "cli.py"), "--project", str(project), "build", *cells,
            "--jobs", "2"]
    # As from a terminal: Ctrl-C interrupts. A test runner's worker may have been left ignoring
    # SIGINT (children inherit that, and Python then never raises KeyboardInterrupt).
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    out = project / "out"
    deadline = time.monotonic() + 120
    # At the first PDF, well before the last: on a loaded machine a poll can come late.
    while time.monotonic() < deadline and process.poll() is None \
            and not list(out.rglob("*.pdf")):
        time.sleep(0.02)
    assert process.poll() is None, "the build ended before it could be interrupted"
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, (stdout, stderr)
    assert "Traceback" not in stderr, stderr
    assert "interrupted; every PDF in the output folder is complete" in stderr, stderr
    assert not leftovers(out)
    on_disk = pdfs(out)
    assert 0 < len(on_disk) < 24
    for pdf in out.rglob("*.pdf"):
        assert subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True).returncode \
            == 0, pdf.name
    listed = json.loads((out / "manifest.json").read_text())
    for entry in listed:  # every listed PDF is there, complete, with its recorded hash
        assert hashlib.sha256(on_disk[entry["path"]]).hexdigest() == entry["sha256"]
    again = cli(project, "build", *cells)
    assert again.returncode == 0, again.stderr
    assert f"{24 - len(listed)} built, {len(listed)} unchanged (skipped), 0 failed" \
        in again.stdout
    assert len(pdfs(out)) == 24 and not leftovers(out)


def test_case_33_second_build_into_the_same_folder_stops_clearly(built):
    """33. Two builds into the same output folder at once: the second waits or fails
    clearly."""
    import fcntl

    out = built / "out"
    before = files_under(out)
    with (out / ".build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a first build is writing
        started = time.monotonic()
        result = cli(built, "build", *PREBUILT, "--force")
        assert time.monotonic() - started < 30
    assert result.returncode == 2
    no_traceback(result)
    assert (f"error: {out / '.build.lock'}: another build is writing to this output folder; "
            "wait for it to finish, or build into another folder with --out") in result.stderr
    assert files_under(out) == before
    assert not leftovers(built)


ONE_CELL = ("--clinic", "thameside", "--locale", "en", "--brochure", "ims-overview",
            "--profile", "print")


def test_case_34_output_folder_that_cannot_be_created_is_a_clear_error(project):
    """34. Output folder unusable (a file stands where it should be): clear error."""
    blocker = project / "not-a-folder"
    blocker.write_text("a file where the output folder should be")
    result = cli(project, "build", "--out", str(blocker / "out"))
    assert result.returncode == 2
    assert (f"error: {blocker / 'out'}: cannot create the output folder: Not a directory; "
            "choose another with --out") in result.stderr
    no_traceback(result)
    assert blocker.read_text() == "a file where the output folder should be"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MB tmpfs, unmounted afterwards whatever happens."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the fault-injection test covers case 34")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs",
                              str(mount_point)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"mount -t tmpfs is not permitted here ({mounted.stderr.strip()}); the "
                    "fault-injection test covers case 34")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def _fill(disk: Path) -> None:
    with (disk / "filler").open("wb") as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    assert os.statvfs(disk).f_bavail == 0


@pytest.mark.parametrize("fault", ["disk full", "read-only"])
def test_case_34_full_or_read_only_disk_is_a_clear_error_and_keeps_earlier_pdfs(
        project, small_disk, fault):
    """34. Output folder read-only or disk full (a real tmpfs, filled or remounted
    read-only): clear error; earlier PDFs unchanged."""
    out = small_disk / "out"
    first = cli(project, "build", *ONE_CELL, "--out", str(out))
    assert first.returncode == 0, first.stderr
    before = files_under(out)
    if fault == "disk full":
        _fill(small_disk)
        reason = "No space left on device"
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
        reason = "Read-only file system"
    result = cli(project, "build", *ONE_CELL, "--out", str(out), "--force")
    assert result.returncode != 0
    no_traceback(result)
    if fault == "disk full":  # the cell ran, and the build says which one failed
        assert "FAIL thameside/en/ims-overview (print)" in result.stdout, result.stdout
    assert reason in result.stderr, result.stderr
    assert str(out) in result.stderr  # names the folder or file it could not write
    assert says_what_would_be_right(result.stderr), result.stderr
    assert files_under(out) == before
    assert not leftovers(out)


def says_what_would_be_right(message: str) -> bool:
    """A disk that cannot take the output: another folder (--out) or free space would do."""
    return "--out" in message or "free " in message.lower()


class _FullDisk:
    """A file on a full disk: it opens, but no byte can be written to it."""

    def __init__(self, stream, name: str):
        self._stream = stream
        self._name = name

    def write(self, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self._name)

    def __getattr__(self, attribute):
        return getattr(self._stream, attribute)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._stream.close()


def inject_disk_fault(monkeypatch, folder: Path, code: int) -> None:
    """Make every write under `folder` fail as it would on a full (ENOSPC) or read-only
    (EROFS) file system, at the level of os.open/io.open and the calls that change folders."""
    root = str(folder.resolve())
    writing_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    real_open, real_io_open = os.open, io.open

    def path_of(file) -> str | None:
        try:
            if isinstance(file, int):
                return os.readlink(f"/proc/self/fd/{file}")
            return os.path.abspath(os.fsdecode(os.fspath(file)))
        except (OSError, TypeError):
            return None

    def under(file) -> bool:
        path = path_of(file)
        return path is not None and (path == root or path.startswith(root + os.sep))

    def error(file) -> OSError:
        return OSError(code, os.strerror(code), path_of(file))

    def fake_os_open(path, flags, mode=0o777, *, dir_fd=None):
        if code == errno.EROFS and flags & writing_flags and under(path):
            raise error(path)
        return real_open(path, flags, mode, dir_fd=dir_fd)

    def fake_io_open(file, mode="r", *args, **kwargs):
        writes = bool(set(mode) & set("wax+"))
        if writes and code == errno.EROFS and under(file):
            raise error(file)
        stream = real_io_open(file, mode, *args, **kwargs)
        if writes and code == errno.ENOSPC and under(file):
            return _FullDisk(stream, path_of(file) or "?")
        return stream

    monkeypatch.setattr(os, "open", fake_os_open)
    monkeypatch.setattr(io, "open", fake_io_open)
    monkeypatch.setattr("builtins.open", fake_io_open)
    if code == errno.EROFS:
        for name in ("unlink", "remove", "rmdir", "replace", "rename", "chmod"):
            real = getattr(os, name)

            def refuse(path, *args, _real=real, **kwargs):
                if under(path):
                    raise error(path)
                return _real(path, *args, **kwargs)
            monkeypatch.setattr(os, name, refuse)
        real_mkdir = os.mkdir

        def fake_mkdir(path, *args, **kwargs):
            if under(path):
                if os.path.exists(path):
                    raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), path)
                raise error(path)
            return real_mkdir(path, *args, **kwargs)
        monkeypatch.setattr(os, "mkdir", fake_mkdir)


@pytest.mark.parametrize(("code", "reason"), [(errno.ENOSPC, "No space left on device"),
                                              (errno.EROFS, "Read-only file system")],
                         ids=["ENOSPC", "EROFS"])
def test_case_34_disk_faults_injected_in_process_are_clear_errors(project, monkeypatch, code,
                                                                 reason):
    """34. The same faults injected in-process (always runs, root or not): the build, run
    through the CLI's own command with one worker, fails with a message and no traceback, and
    the earlier PDF and manifest are unchanged."""
    from click.testing import CliRunner

    import cli as command_line

    out = project / "out"
    first = cli(project, "build", *ONE_CELL)
    assert first.returncode == 0, first.stderr
    before = files_under(out)
    inject_disk_fault(monkeypatch, out, code)
    result = CliRunner().invoke(command_line.commands,
                                ["--project", str(project), "build", *ONE_CELL, "--force",
                                 "--jobs", "1"])
    monkeypatch.undo()
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # not a crash
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert reason in result.stderr, result.output
    assert str(out) in result.stderr
    assert says_what_would_be_right(result.stderr), result.stderr
    assert files_under(out) == before
    assert not leftovers(out)


@pytest.mark.slow
def test_case_35_same_project_built_twice_or_elsewhere_gives_identical_pdfs(project, tmp_path):
    """35. The same inputs built twice: byte-identical PDFs (a forced rebuild in place, and a
    copy of the project in another folder)."""
    other = tmp_path / "elsewhere" / "copy"
    shutil.copytree(project, other)
    cell = ("--clinic", "thameside", "--locale", "en", "--brochure", "ims-overview")
    for root in (project, other):
        assert cli(root, "build", *cell).returncode == 0
    first = pdfs(project / "out")
    assert len(first) == 2  # print and screen
    assert pdfs(other / "out") == first
    again = cli(project, "build", *cell, "--force")
    assert again.returncode == 0 and "2 built" in again.stdout
    assert pdfs(project / "out") == first
