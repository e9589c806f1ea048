"""Cases 37 to 46 of the shared list bad-inputs.md (what the output folder and the file system may
never do), one named test (or parametrized test) per case, and the other defects of issue 13:
`clinic new --copy-from`, `--out` among the project's inputs, a catalog error repeated many
times, and a missing clinic text blamed on the catalog.

Each goes through the CLI as a user would, unless the fault can only be made from inside (a
worker that dies or cannot start), where the build function runs with the fault injected.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from fontTools.ttLib.sfnt import calcChecksum
from pypdf import PdfReader

from .conftest import REPO, copy_project
from .test_bad_inputs import (
    ASSETS,
    CLINIC,
    FR,
    PHONE_MSGID,
    _svg,
    cli,
    edit,
    leftovers,
    line_of,
    logo_refused_both_ways,
    no_traceback,
    pdfs,
    phone_msgstr_line,
    refused,
    set_refused,
    set_translation,
)

# One cheap cell (a one-page poster, screen only), for tests that need a build but not its look.
CELL = ("--clinic", "thameside", "--locale", "en", "--brochure", "ims-poster",
        "--profile", "screen")
POSTER = "thameside/ims-poster-en-screen.pdf"
THAMESIDE = Path("brochures/clinics/thameside.yaml")


def built_cell(project: Path, *extra: str) -> subprocess.CompletedProcess:
    result = cli(project, "build", *CELL, *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def manifest(project: Path) -> list[dict]:
    return json.loads((project / "out/manifest.json").read_text())


# === 37. The manifest is data, not an instruction ===============================================

def test_case_37_manifest_paths_never_lead_outside_the_output_folder(project, tmp_path):
    """37. A manifest entry whose path leads outside the output folder (`../x`, an absolute
    path, a symlinked folder): never deleted, read, checked or written through."""
    built_cell(project)
    mine = b"%PDF-1.7\n% the user's own file\n"
    victims = [tmp_path / "victim.pdf", tmp_path / "linked/ims-poster-en-screen.pdf"]
    for victim in victims:
        victim.parent.mkdir(exist_ok=True)
        victim.write_bytes(mine)
    # A folder of the output that is a link to elsewhere, named by a cell that is gone.
    (project / "out/gone").symlink_to(tmp_path / "linked", target_is_directory=True)
    entries = manifest(project)
    assert (project / "out/../../victim.pdf").resolve() == victims[0]  # it really would reach
    entries += [{**entries[0], "clinic": "gone-a", "path": "../../victim.pdf"},
                {**entries[0], "clinic": "gone-b", "path": str(victims[0])},
                {**entries[0], "clinic": "gone", "path": "gone/ims-poster-en-screen.pdf"}]
    (project / "out/manifest.json").write_text(json.dumps(entries))
    checked = cli(project, "check")
    no_traceback(checked)
    assert str(tmp_path) not in checked.stdout + checked.stderr
    # A build over every clinic takes these for cells no longer planned: removing them must not
    # follow their paths (or the link).
    rebuilt = cli(project, "build", "--locale", "en", "--brochure", "ims-poster",
                  "--profile", "screen")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert [victim.read_bytes() for victim in victims] == [mine, mine]
    assert {(e["clinic"], e["locale"]) for e in manifest(project)} == {
        (clinic, "en") for clinic in ("cedar-grove", "harbourfront", "mont-royal", "thameside")}


def test_case_37_a_pdf_replaced_by_a_link_is_never_read_through(project, tmp_path):
    """37. A PDF of the output folder replaced by a link to a file elsewhere: the build does not
    read it to compare hashes, and replaces the link (never the file it points to)."""
    built_cell(project)
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.7 not ours")
    pdf = project / "out" / POSTER
    pdf.unlink()
    pdf.symlink_to(secret)
    with_audit = subprocess.run(
        [sys.executable, "-c", "import sys, runpy; sys.addaudithook(lambda e, a: e == 'open' and "
         f"str(a[0]) == {str(secret)!r} and (_ for _ in ()).throw(SystemExit(9))); "
         f"sys.argv = ['cli.py', '--project', {str(project)!r}, 'build', *{list(CELL)!r}]; "
         f"runpy.run_path({str(REPO / 'cli.py')!r}, run_name='__main__')"],
        cwd=REPO, capture_output=True, text=True)
    assert with_audit.returncode == 0, with_audit.stdout + with_audit.stderr
    assert not pdf.is_symlink() and pdf.read_bytes().startswith(b"%PDF-1.7\n")
    assert secret.read_bytes() == b"%PDF-1.7 not ours"


# === 38. Other people's files in the output folder ==============================================

def test_case_38_a_build_touches_only_its_own_files(project):
    """38. Building into a folder that holds other files: only the build's own files are
    touched (hidden .part files of other programs included)."""
    out = project / "out"
    theirs = {".draft.part": b"someone's download", "notes/.x.part": b"an editor's swap file",
              "thameside/.report.pdf.abc.part": b"not ours: no such cell",
              "thameside/letter.pdf": b"%PDF-1.4 a letter", "outdated/readme.txt": b"mine"}
    for name, data in theirs.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    built_cell(project)
    for name, data in theirs.items():
        assert (out / name).read_bytes() == data, name


# === 39. Workers that die, cannot start, or take too long =======================================

def _build_in_process(project: Path, tmp_path: Path, monkeypatch, fault) -> object:
    """The library's build over one clinic's two tri-fold cells with two workers, with `fault`
    patched into the worker code (forked workers inherit it)."""
    from brochurekit import build as build_module
    from brochurekit.project import load_project

    monkeypatch.setattr(build_module._WorkerState, *fault)
    selection = build_module.Selection(("thameside",), ("en", "fr"), ("ims-poster",),
                                       ("screen",))
    started = time.monotonic()
    result = build_module.build(load_project(project), tmp_path / "out", selection, workers=2)
    assert time.monotonic() - started < 60  # it ends
    with build_module.build_lock(tmp_path / "out"):  # and frees its lock
        pass
    return result


def test_case_39_a_killed_worker_fails_its_cells_and_the_build_ends(project, tmp_path,
                                                                    monkeypatch):
    """39. A worker killed (out of memory, SIGKILL): its cells fail with a reason, the build
    ends and frees its lock; the other worker's cells are built."""
    real_cells = __import__("brochurekit.build", fromlist=["x"])._WorkerState.cells

    def cells(self, task):
        if task[0][0].locale == "fr":
            os.kill(os.getpid(), signal.SIGKILL)
        yield from real_cells(self, task)

    result = _build_in_process(project, tmp_path, monkeypatch, ("cells", cells))
    assert [o.locale for o in result.outputs] == ["en"]
    [failure] = result.failures
    assert failure.message == ("thameside/fr/ims-poster: the worker process rendering it was "
                               "killed (SIGKILL; the system may be out of memory)")
    entries = json.loads((tmp_path / "out/manifest.json").read_text())
    assert {(e["locale"], e["status"]) for e in entries} == {("en", "built"), ("fr", "failed")}


def test_case_39_workers_that_cannot_start_fail_the_cells_once(project, tmp_path, monkeypatch):
    """39. Workers unable to start: every cell fails with the reason, once, and the build ends
    (no endless respawning)."""
    def cannot_start(self, *settings):
        raise MemoryError("no memory for a new worker")

    result = _build_in_process(project, tmp_path, monkeypatch, ("__init__", cannot_start))
    assert not result.outputs
    assert sorted(f.message for f in result.failures) == [
        f"thameside/{locale}/ims-poster: the renderer could not be started: unexpected "
        "MemoryError: no memory for a new worker (this is a bug in the brochure tool; please "
        "report it)" for locale in ("en", "fr")]


def test_case_39_a_cell_past_its_time_limit_fails_naming_it(project):
    """39. A cell has a time limit: past it the cell fails, naming what it was rendering, and
    the build goes on and ends."""
    result = cli(project, "build", *CELL, "--cell-time-limit", "0.1")
    assert result.returncode == 1
    no_traceback(result)
    assert ("failed: thameside/en/ims-poster: stopped after 0.1 s, the time limit of one cell, "
            "while laying it out") in result.stderr, result.stderr
    assert "--cell-time-limit" in result.stderr
    assert [e["status"] for e in manifest(project)] == ["failed"]


@pytest.mark.slow
def test_case_39_sigterm_is_handled_like_ctrl_c(project):
    """39. SIGTERM: like Ctrl-C: no traceback, every PDF on disk complete and in the manifest,
    the lock freed."""
    process = subprocess.Popen(
        [sys.executable, str(REPO / "cli.py"), "--project", str(project), "build", "--clinic",
         "thameside", "--jobs", "2"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    out = project / "out"
    deadline = time.monotonic() + 120
    while not list(out.rglob("*.pdf")) and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stdout + stderr
    assert "Traceback" not in stderr and "interrupted" in stderr, stderr
    listed = {e["path"] for e in json.loads((out / "manifest.json").read_text())
              if e["status"] == "built"}
    assert listed == set(pdfs(out)) and listed
    assert not leftovers(out)
    again = cli(project, "build", "--clinic", "thameside", "--locale", "en",
                "--brochure", "ims-poster")
    assert again.returncode == 0, again.stderr


# === 40. Two edits of one clinic at once ========================================================

def test_case_40_clinic_edits_wait_for_each_other_and_none_is_lost(project):
    """40. Two edits of one clinic at once: both kept (the second waits for the first)."""
    folder = os.open(project / "brochures/clinics", os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(folder, fcntl.LOCK_EX)  # an edit in progress
    command = [sys.executable, str(REPO / "cli.py"), "--project", str(project), "clinic", "set",
               "thameside"]
    waiting = subprocess.Popen([*command, "contact.email", "desk@thameside-physio.example"],
                               cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.5)
    assert waiting.poll() is None  # it waits instead of reading a file about to change
    os.close(folder)
    assert waiting.wait(timeout=60) == 0
    # Many pairs at once, each changing another key: every change is kept.
    phones = [f"+44 20 7946 05{n:02d}" for n in range(4)]
    for number in phones:
        pair = [subprocess.Popen([*command, key, value], cwd=REPO, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
                for key, value in (("contact.phone", number), ("name", f"Thameside {number}"))]
        assert [p.wait(timeout=60) for p in pair] == [0, 0]
        text = (project / THAMESIDE).read_text()
        assert number in text and f"name: Thameside {number}" in text, text
    assert "desk@thameside-physio.example" in (project / THAMESIDE).read_text()


# === 41. Project files that are links to elsewhere ==============================================

@pytest.mark.parametrize("kind", ["brochure", "clinic", "asset", "catalog", "compiled catalog",
                                  "template", "style"])
def test_case_41_project_files_linked_outside_are_refused_unread(project, tmp_path, kind):
    """41. Any project file that is a symlink leading outside the project: refused before it is
    read; nothing of it shown or printed."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT\n")
    link = {"brochure": "brochures/ims-poster.yaml", "clinic": str(THAMESIDE),
            "asset": "brochures/clinics/thameside/logo.svg",
            "catalog": str(FR), "compiled catalog": str(FR.with_suffix(".mo")),
            "template": "templates/poster.html", "style": "styles/base.css"}[kind]
    target = project / link
    assert target.exists() or kind == "compiled catalog", link
    target.unlink(missing_ok=True)
    target.symlink_to(secret)
    # Every command starts with this check; three kinds of command for one kind of file.
    commands = [("build", *CELL)] + ([("i18n", "check"), ("clinic", "show", "thameside")]
                                     if kind == "catalog" else [])
    for command in commands:
        result = cli(project, *command)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        no_traceback(result)
        assert f"{link}: this is a link to {secret}, outside the project" in result.stderr, \
            result.stderr
        assert "TOP-SECRET" not in result.stdout + result.stderr
    assert not (project / "out").exists() or not pdfs(project / "out")


@pytest.mark.parametrize("kind", ["catalog", "template", "clinic"])
def test_case_41_project_files_that_are_pipes_are_refused_without_hanging(project, kind):
    """41 (and 16's spirit): a project file that is a pipe would never finish reading: refused
    at once, by name."""
    path = {"catalog": FR, "template": Path("templates/poster.html"), "clinic": THAMESIDE}[kind]
    (project / path).unlink()
    os.mkfifo(project / path)
    started = time.monotonic()
    result = subprocess.run(["timeout", "20", sys.executable, str(REPO / "cli.py"), "--project",
                             str(project), "build", *CELL], cwd=REPO, capture_output=True,
                            text=True)
    assert time.monotonic() - started < 20 and result.returncode == 2, result.stderr
    no_traceback(result)
    assert f"{path}: this is not a regular file (a pipe, device or socket)" in result.stderr


# === 42. Logos and fonts hostile in new ways ====================================================

def _fan_out(path: Path) -> Path:
    """A few KB that draws 3**14 (4.8 million) rectangles."""
    levels = "".join(f'<g id="l{i}"><use href="#l{i - 1}"/><use href="#l{i - 1}"/>'
                     f'<use href="#l{i - 1}"/></g>' for i in range(1, 15))
    return _svg(path, f'<defs><g id="l0"><rect width="1" height="1"/></g>{levels}</defs>'
                      '<use href="#l14"/>')


@pytest.mark.parametrize(("make", "says"), [
    (_fan_out, "expands to more than 20,000 shapes once its <use> copies are drawn"),
    (lambda p: _svg(p, '<g id="a"><use href="#a"/></g>'),
     "has a <use> that refers back to itself"),
    (lambda p: _svg(p, '<style>@IMPORT "http://127.0.0.1:9/x.css";</style>'),
     "has a CSS @import rule in its styles"),
    (lambda p: _svg(p, '<style>@\\69mport "http://127.0.0.1:9/x.css";</style>'),
     "has a CSS @import rule in its styles"),
    (lambda p: _svg(p, '<style>rect { fill: \\75rl(file:///etc/passwd) }</style>'),
     "loads a resource from its styles"),
    (lambda p: _svg(p, '<rect fill="URL(http://127.0.0.1:9/p)" width="5" height="5"/>'),
     "loads a resource from its styles"),
], ids=["use fan-out", "use cycle", "IMPORT", "escaped import", "escaped url", "fill URL"])
def test_case_42_svg_logos_that_expand_or_load_resources_are_refused(project, make, says):
    """42. SVG logos that expand without bound (`<use>` fan-out) or load resources from CSS in
    any spelling: refused when set, never printed."""
    logo_refused_both_ways(project, lambda folder: make(folder / "bad.svg"),
                           (f"bad.svg {says}",), (f"bad.svg {says}",), seconds=20)


def _damaged_font(path: Path, fix_checksum: bool) -> Path:
    """A real font with 400 bytes of its glyph outlines overwritten; with `fix_checksum` the
    table's checksum is made to match, as a careless tool would leave it."""
    source = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
    entry = TTFont(source).reader.tables["glyf"]
    data = bytearray(source.read_bytes())
    data[entry.offset + 2000:entry.offset + 2400] = b"\xff" * 400
    if fix_checksum:
        count = struct.unpack(">H", data[4:6])[0]
        for record in range(12, 12 + 16 * count, 16):
            if data[record:record + 4] == b"glyf":
                data[record + 4:record + 8] = struct.pack(
                    ">I", calcChecksum(bytes(data[entry.offset:entry.offset + entry.length])))
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("fix_checksum", "says"), [
    (False, "has glyph data that does not match its checksum (bad checksum for 'glyf' table)"),
    (True, "has glyph data that cannot be read"),
], ids=["checksum", "checksum mended"])
def test_case_42_fonts_with_corrupt_glyph_data_are_refused(project, tmp_path, fix_checksum,
                                                           says):
    """42. Fonts whose glyph data is corrupt: refused when set, never printed blank."""
    font = _damaged_font(tmp_path / "brand.ttf", fix_checksum)
    result = cli(project, "clinic", "font", "cedar-grove", "--body", str(font))
    assert result.returncode == 2, result.stdout + result.stderr
    no_traceback(result)
    assert f"brand.ttf {says}" in result.stderr and "get a fresh copy" in result.stderr
    assert sorted(p.name for p in (project / ASSETS).iterdir()) == ["logo.svg"]
    _damaged_font(project / ASSETS / "brand.ttf", fix_checksum)  # put there by hand
    edit(project / CLINIC, "logo: logo.svg", "logo: logo.svg\nfonts:\n  body: brand.ttf")
    refused(project, f"{CLINIC}:10: fonts/body: brand.ttf {says}", problems=1)


# === 43. Text that prints wrong or drives the terminal ==========================================

@pytest.mark.parametrize(("written", "says"), [
    ('"Thameside\\e[31m Physio"', "the control character U+001B ESCAPE at character 10"),
    ('"Thameside\\0 Physio"', "the control character U+0000 NULL at character 10"),
    ("Thameside" + "\u0301" * 300, "stacks more than 8 combining marks on one letter, "
                                   "which prints as a smear"),
    ('"Thameside \u202eoisyhP"', "U+202E RIGHT-TO-LEFT OVERRIDE at character 11, which forces "
                                   "the letters after it into the opposite order"),
], ids=["ESC", "NUL", "combining marks", "override"])
def test_case_43_text_no_page_can_print_is_refused_with_its_key(project, written, says):
    """43. Text with control characters, NUL, or absurd stacks of combining marks: refused with
    the key, by the build and by `clinic list`, and never written raw to the terminal."""
    edit(project / THAMESIDE, "name: Thameside Physiotherapy", f"name: {written}")
    for command in (("build", *CELL), ("clinic", "list")):
        result = cli(project, *command)
        assert result.returncode == 2, result.stdout + result.stderr
        no_traceback(result)
        assert f"{THAMESIDE}:3: name: the text holds {says}" in result.stderr or \
            f"{THAMESIDE}:3: name: the text {says}" in result.stderr, result.stderr
        assert "\x1b" not in result.stdout + result.stderr
        assert "\0" not in result.stdout + result.stderr


def test_case_43_control_characters_from_the_command_line_are_refused(project):
    """43. The same text given to `clinic set` is refused and the file is unchanged."""
    set_refused(project, "name", "Thameside\x1b[2J", "name: the text holds the control "
                "character U+001B ESCAPE")


def test_case_43_control_characters_in_a_translation_name_the_po_line(project):
    """43. A translation with a control character: error with the .po file and line."""
    po = project / FR
    line = line_of(po, "msgstr", after=line_of(po, PHONE_MSGID))
    text = po.read_text(encoding="utf-8").splitlines(keepends=True)
    text[line - 1] = 'msgstr "Appelez-nous au %(phone)s.\\a"\n'
    po.write_text("".join(text), encoding="utf-8")
    result = cli(project, "i18n", "check", "fr")
    assert result.returncode == 1
    no_traceback(result)
    assert (f"{FR}:{line}: error: the text holds the control character U+0007 BELL at "
            "character 27, which cannot be printed; remove it") in result.stderr, result.stderr


# === 44. A failed or draft cell never passes for a current one ==================================

def test_case_44_failed_stale_and_draft_cells_are_named_by_check(project):
    """44. A failed or draft cell never passes for a current one: status in the manifest and in
    check (failed and stale are errors; a draft is named, and named so on disk)."""
    cells = ("--clinic", "thameside", "--locale", "fr", "--brochure", "ims-poster",
             "--profile", "screen")
    assert cli(project, "build", *cells).returncode == 0
    final = project / "out/thameside/ims-poster-fr-screen.pdf"
    earlier = final.read_bytes()
    assert cli(project, "check").returncode == 0
    # Stale: an input changed since the PDF was made.
    edit(project / THAMESIDE, "+44 20 7946 0555", "+44 20 7946 0556")
    stale = cli(project, "check", "--json")
    assert stale.returncode == 1
    [entry] = json.loads(stale.stdout)
    assert entry["status"] == "stale"
    assert "stale: its inputs changed since this PDF was made" in entry["findings"][0]["message"]
    # Failed: the catalog is broken and the cell rebuilt; the earlier PDF is set aside.
    po = project / FR
    good = po.read_text(encoding="utf-8")
    line = phone_msgstr_line(po)
    rows = good.splitlines(keepends=True)
    rows[line - 1] = rows[line - 1].replace("%(phone)s", "%(telephone)s")
    po.write_text("".join(rows), encoding="utf-8")
    assert cli(project, "build", *cells).returncode == 1
    assert not final.exists()
    assert (project / "out/outdated/thameside/ims-poster-fr-screen.pdf").read_bytes() == \
        earlier
    checked = cli(project, "check")
    assert checked.returncode == 1
    assert ("thameside/fr/ims-poster (screen): error: build: the last build of this cell "
            f"failed: locales/fr/LC_MESSAGES/brochures.po:{line}: the fr catalog has "
            "errors") \
        in checked.stderr, checked.stdout + checked.stderr
    assert "1 cell(s) checked (1 failed), 1 error(s)" in checked.stdout
    # Draft: an untranslated message, built with --allow-incomplete.
    po.write_text(good, encoding="utf-8")
    set_translation(project, FR, "ims-poster/title", "")
    drafted = cli(project, "build", *cells, "--allow-incomplete")
    assert drafted.returncode == 0, drafted.stderr
    [entry] = manifest(project)
    assert entry["status"] == "draft"
    assert entry["path"] == "thameside/ims-poster-fr-screen-DRAFT.pdf"
    assert (project / "out" / entry["path"]).is_file() and not final.exists()
    named = cli(project, "check")
    assert "a draft: untranslated messages print in English; not for the printer" in \
        named.stdout + named.stderr
    assert "(1 draft)" in named.stdout


# === 45. The same commit in two checkouts =======================================================

@pytest.mark.slow
def test_case_45_two_checkouts_of_one_commit_give_identical_pdfs(tmp_path):
    """45. The same commit in two checkouts: byte-identical PDFs (no SOURCE_DATE_EPOCH; the
    clones' file times differ)."""
    origin = copy_project(tmp_path / "origin")
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z",
           "GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z", "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org"}
    env.pop("SOURCE_DATE_EPOCH", None)
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "brochures"]):
        subprocess.run(["git", "-C", str(origin), *command], check=True, env=env)
    built = []
    for name, delay in (("first", 0), ("second", 1.2)):
        time.sleep(delay)  # the second clone's files are newer
        clone = tmp_path / name
        subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True, env=env)
        result = subprocess.run(
            [sys.executable, str(REPO / "cli.py"), "--project", str(clone), "build", *CELL],
            cwd=REPO, capture_output=True, text=True, env=env)
        assert result.returncode == 0, result.stderr
        built.append(pdfs(clone / "out"))
    assert built[0] == built[1] and built[0]
    dated = PdfReader(tmp_path / "first/out" / POSTER).metadata.creation_date
    assert dated == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # the commit's, not the clone's


# === 46. Streams, encodings and nesting =========================================================

def test_case_46_closed_streams_odd_encodings_and_deep_nesting_give_messages(project):
    """46. Closed stdin or stdout, an output encoding without the characters to print, a file
    nested hundreds deep: a message, never a traceback."""
    base = [sys.executable, str(REPO / "cli.py"), "--project", str(project)]

    def run(*args, **kwargs):
        return subprocess.run([*base, *args], cwd=REPO, capture_output=True, text=True,
                              **kwargs)

    closed_stdin = run("clinic", "remove", "thameside", stdin=subprocess.DEVNULL)
    assert closed_stdin.returncode == 2 and "pass --yes" in closed_stdin.stderr
    assert (project / THAMESIDE).is_file()
    closed_stdout = subprocess.run(" ".join(f"'{a}'" for a in (*base, "build", *CELL))
                                   + " >&-", shell=True, cwd=REPO, capture_output=True,
                                   text=True)
    assert closed_stdout.returncode == 0, closed_stdout.stderr
    assert (project / "out" / POSTER).is_file()
    latin = run("clinic", "show", "thameside", env={**os.environ, "PYTHONIOENCODING": "latin-1"})
    assert latin.returncode == 0 and "Mon\\u2013Fri" in latin.stdout
    nested = (project / THAMESIDE).read_text().replace(
        "address:\n  - 14 Riverside Walk\n  - London SE1 9XX\n",
        "address: " + "[" * 300 + "]" * 300 + "\n")
    (project / THAMESIDE).write_text(nested)
    for command in (("clinic", "set", "thameside", "name", "X"), ("build", *CELL),
                    ("clinic", "new", "copy", "--name", "Copy", "--copy-from", "thameside")):
        result = run(*command)
        assert result.returncode == 2, (command, result.stderr)
        assert "nested more than 24 levels deep" in result.stderr, result.stderr
    for result in (closed_stdin, closed_stdout, latin):
        no_traceback(result)


# === the other defects of issue 13 ==============================================================

def test_clinic_new_copy_from_copies_settings_and_assets(project):
    """`clinic new --copy-from` (in the README) makes a clinic that builds, with the source's
    logo copied into its own folder."""
    result = cli(project, "clinic", "new", "riverside", "--name", "Riverside Physio",
                 "--copy-from", "thameside")
    assert result.returncode == 0, result.stdout + result.stderr
    copied = (project / "brochures/clinics/riverside.yaml").read_text()
    assert "name: Riverside Physio" in copied and "+44 20 7946 0555" in copied
    assert (project / "brochures/clinics/riverside/logo.svg").read_bytes() == \
        (project / "brochures/clinics/thameside/logo.svg").read_bytes()
    built = cli(project, "build", "--clinic", "riverside", "--locale", "en",
                "--brochure", "ims-poster", "--profile", "screen")
    assert built.returncode == 0, built.stdout + built.stderr


@pytest.mark.parametrize("inside", ["brochures/clinics", "locales", "templates/out", "."])
def test_output_folder_among_the_inputs_is_refused(project, inside):
    """`--out` inside the project's inputs would rebuild everything every time: refused."""
    result = cli(project, "build", *CELL, "--out", str(project / inside))
    assert result.returncode == 2
    no_traceback(result)
    assert "choose a folder of its own (the default is out/) with --out" in result.stderr
    assert not list(project.rglob("*.pdf"))


def test_a_placeholder_error_repeated_many_times_is_reported_once(project):
    """One msgstr repeating a wrong placeholder 100,000 times: one line, with the count."""
    po = project / FR
    line = line_of(po, "msgstr", after=line_of(po, PHONE_MSGID))
    text = po.read_text(encoding="utf-8").splitlines(keepends=True)
    text[line - 1] = 'msgstr "' + "%(telephone)s " * 100_000 + '"\n'
    po.write_text("".join(text), encoding="utf-8")
    result = cli(project, "i18n", "check", "fr")
    assert result.returncode == 1
    lines = [row for row in result.stderr.splitlines() if f"{FR}:{line}:" in row]
    assert lines == [
        f"{FR}:{line}: error: placeholder %(phone)s is missing; keep it exactly as in the source",
        f"{FR}:{line}: error: placeholder %(telephone)s is not in the source (100000 times); "
        "remove it"], result.stderr[:2000]


def test_missing_clinic_texts_are_blamed_on_the_clinic_file(project):
    """A missing clinic welcome translation is named in the clinic file, by the build, by
    `clinic validate`; never as an untranslated catalog entry."""
    edit(project / THAMESIDE, "  ar: أهلًا بكم في Thameside. اسألونا عن أي شيء يخص علاجكم.\n", "")
    validated = cli(project, "clinic", "validate", "thameside")
    assert validated.returncode == 0
    assert ("note: thameside: the clinic's welcome line has no ar text, though the clinic "
            "offers ar; its ar brochures will not build until you add it") in \
        validated.stdout + validated.stderr
    failed = cli(project, "build", "--clinic", "thameside", "--locale", "ar", "--brochure",
                 "ims-overview", "--profile", "screen")
    assert failed.returncode == 1
    assert "the clinic's welcome line (printed on the cover) has no Arabic (ar) text" in \
        failed.stderr and "brochures/clinics/thameside.yaml" in failed.stderr \
        and "locales/ar" not in failed.stderr, failed.stderr
    assert not pdfs(project / "out")


# === found by review: more ways around the same rules ==========================================

def test_the_projects_git_configuration_runs_nothing(project):
    """45/41. PDF dates come from the project's git history, but its configuration is the
    project's: an fsmonitor hook in it never runs, and a .git file pointing elsewhere is not
    followed."""
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "x"]):
        subprocess.run([*git, *command], check=True)
    marker = project.parent / "hook-ran"
    subprocess.run([*git, "config", "core.fsmonitor", f"touch {marker}; false"], check=True)
    built_cell(project)
    assert not marker.exists()
    committed = PdfReader(project / "out" / POSTER).metadata.creation_date
    # An edit committed after a build changes the date: the cell is rebuilt, not skipped.
    edit(project / THAMESIDE, "+44 20 7946 0555", "+44 20 7946 0557")
    built_cell(project)
    subprocess.run([*git, "commit", "-qam", "phone", "--date", "2031-01-01T00:00:00Z"],
                   check=True, env={**os.environ, "GIT_COMMITTER_DATE": "2031-01-01T00:00:00Z"})
    again = built_cell(project)
    assert "1 built" in again.stdout
    dated = PdfReader(project / "out" / POSTER).metadata.creation_date
    assert dated == datetime(2031, 1, 1, tzinfo=UTC) and dated != committed


def test_an_out_folder_that_is_a_link_elsewhere_is_refused(project, tmp_path):
    """37/38. A project whose out/ is a link to another folder: the build refuses to write
    there unless that folder is named with --out."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "manifest.json").write_text("the other folder's own file")
    (project / "out").symlink_to(elsewhere, target_is_directory=True)
    result = cli(project, "build", *CELL)
    assert result.returncode == 2
    assert f"the output folder is a link to {elsewhere}; to build there, name that folder " \
           "with --out" in result.stderr
    assert (elsewhere / "manifest.json").read_text() == "the other folder's own file"
    preview = cli(project, "clinic", "preview", "thameside", "--locale", "en")
    assert preview.returncode == 2 and "is a link to another folder" in preview.stderr


def test_links_inside_the_output_folder_never_move_or_delete_a_current_pdf(project):
    """37. A link within the output folder (outdated/<clinic> pointing back at <clinic>):
    publishing does not delete the PDF it just wrote, and check finds it."""
    (project / "out/thameside").mkdir(parents=True)
    (project / "out/outdated").mkdir()
    (project / "out/outdated/thameside").symlink_to(project / "out/thameside",
                                                    target_is_directory=True)
    built_cell(project)
    assert (project / "out" / POSTER).is_file()
    assert cli(project, "check").returncode == 0


def test_a_loop_of_links_among_the_inputs_is_an_error_not_a_crash(project):
    """41. Links that lead in a loop: a message naming them, never a traceback."""
    (project / "brochures/loop-a").symlink_to(project / "brochures/loop-b")
    (project / "brochures/loop-b").symlink_to(project / "brochures/loop-a")
    result = cli(project, "clinic", "list")
    assert result.returncode == 2
    no_traceback(result)
    assert "brochures/loop-a: this link cannot be followed (it leads in a loop)" in result.stderr


def test_stale_clears_when_the_inputs_are_back_and_a_stale_draft_stays_a_draft(project):
    """44. Stale is worked out from the inputs each time: it clears when they are restored, and
    a stale draft is still found under its draft name."""
    set_translation(project, FR, "ims-poster/title", "")
    cells = ("--clinic", "thameside", "--locale", "fr", "--brochure", "ims-poster",
             "--profile", "screen", "--allow-incomplete")
    assert cli(project, "build", *cells).returncode == 0
    original, times = (project / THAMESIDE).read_text(), (project / THAMESIDE).stat()
    edit(project / THAMESIDE, "+44 20 7946 0555", "+44 20 7946 0558")
    [stale] = json.loads(cli(project, "check", "--json").stdout)
    assert stale["status"] == "stale"
    assert not any("missing" in finding["message"] for finding in stale["findings"])
    (project / THAMESIDE).write_text(original)
    # Outside git the file's time dates the PDF, so it is part of "as it was".
    os.utime(project / THAMESIDE, ns=(times.st_atime_ns, times.st_mtime_ns))
    [back] = json.loads(cli(project, "check", "--json").stdout)
    assert back["status"] == "draft"
    # A build of another cell rewrites the manifest with the status of this one as it is now.
    edit(project / THAMESIDE, "+44 20 7946 0555", "+44 20 7946 0558")
    assert cli(project, "build", *CELL).returncode == 0
    assert {e["locale"]: e["status"] for e in manifest(project)} == {"en": "built",
                                                                     "fr": "stale"}


def test_check_never_prints_a_manifest_reason_raw(project):
    """43/44. A reason in the manifest is data: check escapes controls in it."""
    result = cli(project, "build", *CELL, "--cell-time-limit", "0.1")
    assert result.returncode == 1
    entries = manifest(project)
    entries[0]["reason"] = "\x1b]0;owned\x07 \x9b31m"
    (project / "out/manifest.json").write_text(json.dumps(entries))
    for args in (("check",), ("check", "--json")):
        checked = cli(project, *args)
        assert checked.returncode == 1
        assert not any(char in checked.stdout + checked.stderr for char in "\x1b\x07\x9b")
    json.loads(cli(project, "check", "--json").stdout)  # still valid JSON


def test_combining_marks_cannot_hide_behind_joiners(project):
    """43. Invisible joiners between marks do not reset the count of a stack."""
    edit(project / THAMESIDE, "name: Thameside Physiotherapy",
         'name: "a' + ("\u0301" * 8 + "\u200d") * 20 + '"')
    result = cli(project, "clinic", "list")
    assert result.returncode == 2 and "stacks more than 8 combining marks" in result.stderr


def test_the_first_clinic_of_a_project_can_be_made(project):
    """40. The lock for clinic edits does not stop the first one, before brochures/clinics/
    exists."""
    shutil.rmtree(project / "brochures/clinics")
    result = cli(project, "clinic", "new", "first", "--name", "First Clinic")
    assert result.returncode == 0, result.stderr
    assert (project / "brochures/clinics/first.yaml").is_file()


def test_workers_that_die_between_tasks_end_the_build_with_reasons(project, tmp_path,
                                                                   monkeypatch):
    """39. Workers that say they are ready and then die: every cell fails with a reason, the
    build ends (no broken pipe, no traceback, no endless respawning)."""
    from brochurekit import build as build_module
    from brochurekit.project import load_project

    def ready_then_gone(connection, *settings):
        connection.send(("ready", None))
        os._exit(0)

    monkeypatch.setattr(build_module, "_worker_main", ready_then_gone)
    selection = build_module.Selection(("thameside",), ("en", "fr", "ar"), ("ims-poster",),
                                       ("screen",))
    started = time.monotonic()
    result = build_module.build(load_project(project), tmp_path / "out", selection, workers=2)
    assert time.monotonic() - started < 60
    assert not result.outputs and len(result.failures) == 3
    assert all("stopped unexpectedly (exit status 0)" in f.message
               or "no worker process" in f.message for f in result.failures), result.failures


def test_a_manifest_nested_absurdly_deep_is_a_message(project):
    """46. A manifest.json nested far too deep (data from disk): check says it cannot read it,
    and a build writes a fresh one."""
    (project / "out").mkdir()
    (project / "out/manifest.json").write_text("[" * 100_000 + "]" * 100_000)
    checked = cli(project, "check")
    assert checked.returncode == 2 and "no readable manifest" in checked.stderr
    no_traceback(checked)
    built_cell(project)
    assert [entry["status"] for entry in manifest(project)] == ["built"]


def test_case_39_workers_die_with_a_killed_build_and_free_its_lock(project):
    """39. The build process alone killed (SIGKILL, out of memory), not its workers: they end
    with it, so the next build is not told that another build is writing the folder."""
    process = subprocess.Popen([sys.executable, str(REPO / "cli.py"), "--project", str(project),
                                "build", "--clinic", "cedar-grove", "--jobs", "2"], cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list((project / "out").rglob("*.pdf")) and time.monotonic() < deadline:
        time.sleep(0.02)
    process.kill()
    process.wait()
    time.sleep(1)
    again = cli(project, "build", *CELL)
    assert again.returncode == 0, again.stderr
    assert "another build" not in again.stderr


def test_case_41_a_new_clinic_is_never_written_through_a_link_out(project, tmp_path):
    """41. `clinic new` checks the project's inputs like every edit: with brochures/clinics a
    link to elsewhere, nothing is written there."""
    elsewhere = tmp_path / "elsewhere"
    shutil.move(project / "brochures/clinics", elsewhere)
    (project / "brochures/clinics").symlink_to(elsewhere, target_is_directory=True)
    result = cli(project, "clinic", "new", "fresh", "--name", "Fresh Clinic")
    assert result.returncode == 2
    assert "brochures/clinics: this is a link to" in result.stderr, result.stderr
    assert not (elsewhere / "fresh.yaml").exists()
