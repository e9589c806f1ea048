"""Inputs hashes: everything a cell's PDF depends on, so unchanged cells are not rebuilt.

Computed without importing WeasyPrint: a no-op rebuild of the whole matrix only reads files.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path

from .catalogs import POT_PATH, SOURCE_LOCALE, catalog_path, is_pseudo
from .colormanagement import DEFAULT_CMYK_PROFILE
from .render import Job, font_stack

ENGINE_PACKAGES = ("weasyprint", "pydyf", "jinja2", "babel", "fonttools", "pillow", "segno",
                   "phonenumbers", "pypdf", "tinycss2", "cssselect2")


class InputsHasher:
    """Hashes for the cells of one project; shared parts are read once per build."""

    def __init__(self, root: Path, allow_incomplete: bool):
        self.root = root
        self.allow_incomplete = allow_incomplete
        self._files: dict[Path, bytes] = {}

    def cell(self, job: Job) -> str:
        digest = hashlib.sha256()
        for part in (self._shared(), job.profile, job.locale, str(self.allow_incomplete),
                     os.environ.get("SOURCE_DATE_EPOCH", "")):
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
            paths.append(job.clinic.branding.cmyk_profile or DEFAULT_CMYK_PROFILE)
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
