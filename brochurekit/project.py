"""A brochure project on disk: its brochures, clinics and locales, loaded and checked together."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .catalogs import project_locales
from .clinics import Clinic, load_clinic
from .content import Brochure, load_brochure
from .design import load_design
from .errors import InputError, Location, ProjectError
from .files import PROJECT_INPUTS, unsafe_inputs


def copy_project_inputs(root: Path, target: Path) -> Path:
    """The project's inputs copied to `target`, without build products (compiled .mo, and the
    temporary files a build running in `root` at the same time may be writing)."""
    target.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_INPUTS:
        source = root / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns("*.mo", ".*.part"),
                            symlinks=True)
        else:
            shutil.copy2(source, target / part)
    return target


@dataclass(frozen=True)
class Project:
    root: Path
    brochures: dict[str, Brochure]
    clinics: dict[str, Clinic]
    locales: tuple[str, ...]


def load_project(root: Path) -> Project:
    """Read every brochure and clinic; raise ProjectError listing all problems at once."""
    root = root.resolve()
    errors: list[InputError] = []
    if not (root / "brochures").is_dir():
        raise ProjectError([InputError(
            "this is not a brochure project (no brochures/ folder); run the command in the "
            "project folder or pass --project DIR", Location(root))])
    if unsafe := unsafe_inputs(root):  # before any file is opened: a pipe would never end
        raise ProjectError(unsafe)
    locales = project_locales(root, errors)
    brochures = {}
    for path in sorted((root / "brochures").glob("*.yaml")):
        brochure = load_brochure(path, path.relative_to(root), errors)
        if brochure:
            brochures[brochure.id] = brochure
    clinics: dict[str, Clinic] = {}
    # Slugs must be lowercase, so two slugs differing only in letter case cannot both be valid.
    for path in sorted((root / "brochures" / "clinics").glob("*.yaml")):
        clinic = load_clinic(path, root, locales, errors)
        if clinic:
            clinics[clinic.slug] = clinic
    try:  # the type scale and drawing sizes every layout is fitted with
        load_design(root)
    except InputError as error:
        errors.append(error)
    if not brochures and not errors:
        errors.append(InputError("no brochure files (brochures/*.yaml) were found",
                                 Location(Path("brochures"))))
    if errors:
        raise ProjectError(errors)
    return Project(root, brochures, clinics, locales)
