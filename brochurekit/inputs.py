"""Inputs hashes: everything a cell's PDF depends on, so unchanged cells are not rebuilt.

Computed without importing WeasyPrint: a no-op rebuild of the whole matrix only reads files.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path

from .catalogs import POT_PATH, SOURCE_LOCALE, catalog_path, is_pseudo
from .layouts import LAYOUTS
from .render import Job, font_stack

ENGINE_PACKAGES = ("weasyprint", "pydyf", "jinja2", "babel", "fonttools", "pillow", "segno",
                   "phonenumbers", "pikepdf", "tinycss2", "cssselect2")


class InputsHasher:
    """Hashes for the cells of one project; shared parts are read once per build."""

    def __init__(self, root: Path):
        self.root = root
        self.dates = ContentDates(root)
        self._files: dict[Path, bytes] = {}

    def cell(self, job: Job) -> str:
        # --allow-incomplete is not an input: it changes nothing in a complete cell, and
        # whether a cell is a draft is in its manifest entry. The date the PDF carries is one:
        # committing an edit changes it (from the file's time to the commit's).
        digest = hashlib.sha256()
        for part in (self._shared(), job.profile, job.locale, self.dates.cell(job)):
            digest.update(part.encode() + b"\0")
        paths = [self.root / job.brochure.path, self.root / job.clinic.path]
        assets = self.root / "brochures" / "clinics" / job.clinic.slug
        if assets.is_dir():
            paths += sorted(p for p in assets.rglob("*") if p.is_file())
        if job.locale == SOURCE_LOCALE or is_pseudo(job.locale):
            paths.append(self.root / POT_PATH)
        else:
            paths.append(self.root / catalog_path(job.locale))
        if job.profile == "print":
            paths.append(job.clinic.press_for(LAYOUTS[job.brochure.layout]).profile)
        for path in paths:
            digest.update(self._file_digest(path))
        digest.update(_fonts_fingerprint(font_stack(job.locale)).encode())
        return digest.hexdigest()

    @cache  # noqa: B019 - one hasher per build
    def _shared(self) -> str:
        """Templates, styles, the engine's code and the versions of what it runs on."""
        digest = hashlib.sha256()
        engine = Path(__file__).resolve().parent
        for folder in (self.root / "templates", self.root / "styles", engine):
            for path in sorted(folder.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    digest.update(str(path.relative_to(folder)).encode())
                    digest.update(self._file_digest(path))
        for package in ENGINE_PACKAGES:
            try:
                digest.update(f"{package}={metadata.version(package)}".encode())
            except metadata.PackageNotFoundError:
                digest.update(f"{package}=none".encode())
        return digest.hexdigest()

    def _file_digest(self, path: Path) -> bytes:
        if path not in self._files:
            try:
                self._files[path] = hashlib.sha256(path.read_bytes()).digest()
            except OSError:
                self._files[path] = b"missing"
        return self._files[path]


@cache
def _fonts_fingerprint(families: tuple[str, ...]) -> str:
    """The installed files of the locale's font families (a font update changes the PDFs)."""
    listing = []
    for family in (*families, "Noto Sans"):
        result = subprocess.run(["fc-list", f":family={family}", "--format=%{file}\n"],
                                capture_output=True, text=True)
        for file in sorted(set(result.stdout.split())):
            try:
                stat = Path(file).stat()
            except OSError:
                continue
            listing.append(f"{file}:{stat.st_size}:{int(stat.st_mtime)}")
    return "|".join(listing)


class ContentDates:
    """The date a cell's PDF carries: SOURCE_DATE_EPOCH when set (reproducible-builds.org),
    otherwise the newest of its inputs' dates (brochure, clinic, catalog).

    An input's date comes from its content's history, not from the file system, so that two
    checkouts of one commit print the same bytes: the last commit that touched the file when
    it is committed unchanged in the project's own git repository, its modification time only
    when it has changes git does not know yet (or there is no repository).
    """

    def __init__(self, root: Path):
        self.root = root
        self.epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        self._committed, self._changed = ({}, set()) if self.epoch.isdigit() \
            else _git_dates(root)

    def cell(self, job: Job) -> str:
        if self.epoch.isdigit():
            seconds = int(self.epoch)
        else:
            inputs = [job.brochure.path, job.clinic.path]
            if job.locale != SOURCE_LOCALE and not is_pseudo(job.locale):
                inputs.append(catalog_path(job.locale))
            seconds = max((self._date(Path(path)) for path in inputs), default=0)
        return datetime.fromtimestamp(seconds, tz=UTC).isoformat(timespec="seconds")

    def _date(self, relative: Path) -> int:
        name = relative.as_posix()
        if name in self._committed and name not in self._changed:
            return self._committed[name]
        try:
            return int((self.root / relative).stat().st_mtime)
        except OSError:
            return 0


# The inputs whose history dates a cell.
DATED_FOLDERS = ("brochures", "locales")


def _git_dates(root: Path) -> tuple[dict[str, int], set[str]]:
    """(last commit time by file, files whose content differs from the last commit) from the
    project's own git repository; empty when the project is not the top of one, or git is not
    there.

    The repository's configuration is the project's, so it is not trusted: only commands that
    run nothing from it are used (log without signatures, diffs or pagers; ls-tree), and
    whether a file changed is judged by hashing it here, never by `git status` (which can run
    an fsmonitor hook or clean filters named in that configuration).
    """
    dot_git = root / ".git"
    if dot_git.is_symlink() or not dot_git.is_dir():
        return {}, set()  # a .git file or link would lead to a repository elsewhere
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(root.parent), "GIT_OPTIONAL_LOCKS": "0",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_DIR": str(dot_git),
           "GIT_WORK_TREE": str(root), "GIT_PAGER": "cat", "LC_ALL": "C"}
    safe = ["-c", "core.quotePath=false", "-c", "log.showSignature=false", "-c",
            "core.fsmonitor=false", "-c", "core.untrackedCache=false"]

    def git(*args: str) -> str | None:
        try:
            result = subprocess.run(["git", *safe, *args], capture_output=True, text=True,
                                    env=env, cwd=root, timeout=30, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            return None
        return result.stdout if result.returncode == 0 else None

    log = git("log", "--no-show-signature", "--no-ext-diff", "--no-textconv", "--no-renames",
              "--format=%x00%ct", "--name-only", "--", *DATED_FOLDERS)
    tree = git("ls-tree", "-r", "-z", "HEAD", "--", *DATED_FOLDERS)
    shallow = git("rev-parse", "--is-shallow-repository")
    if log is None or tree is None or shallow is None:
        return {}, set()
    if shallow.strip() == "true":
        # A shallow clone lacks the older history, so the last change of a file may be older
        # than its oldest commit here: every file takes the date of the commit checked out,
        # the same in every shallow clone of it (a full clone gives each file its own date).
        head = git("log", "-1", "--no-show-signature", "--format=%ct", "HEAD")
        log = "".join(f"\0{(head or '0').strip()}\n{line}\n" for line in
                      (entry.partition("\t")[2] for entry in tree.split("\0")) if line)
    committed: dict[str, int] = {}
    when = 0
    for line in log.splitlines():
        if line.startswith("\0"):
            when = int(line[1:] or 0)
        elif line:
            committed.setdefault(line, when)  # newest first: the first time seen is the last
    blobs = {}
    for entry in tree.split("\0"):
        meta, _, name = entry.partition("\t")
        if name and meta.split(" ")[1:2] == ["blob"]:
            blobs[name] = meta.split(" ")[2]
    changed = {name for name in committed if blobs.get(name) not in _blob_ids(root / name)}
    return committed, changed


def _blob_ids(path: Path) -> tuple[str, ...]:
    """The ids git could have given a file's content (SHA-1 of "blob <size>\\0" and the
    bytes): as it is, and with CRLF line ends turned to LF, since a checkout may convert them
    (core.autocrlf, eol=crlf) while the repository keeps LF."""
    try:
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    except OSError:
        return ()
    if data is None:
        return ()
    forms = {data, data.replace(b"\r\n", b"\n")}
    return tuple(hashlib.sha1(b"blob %d\0" % len(form) + form, usedforsecurity=False).hexdigest()
                 for form in forms)
