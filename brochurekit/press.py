"""Printing conditions: the registered press condition a print file is made for, and its profile.

A print shop matches a PDF/X file to its press by the output intent's condition identifier,
registered at the ICC (http://www.color.org). By default A-series sheets are made for FOGRA39
(European coated offset) and US sheets for CGATS TR 006 (GRACoL, North American commercial
offset); a clinic may name another (`press_condition`). The ICC profiles are built on this
machine with ArgyllCMS from the characterization data Debian ships (icc-profiles-free), by
`python -m brochurekit.press` (make brochures runs it), so nothing is downloaded.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REGISTRY = "http://www.color.org"
CHARACTERIZATIONS = Path("/usr/share/color/icc")  # Debian's icc-profiles-free
PROFILE_DIR = Path(__file__).resolve().parent.parent / "build" / "press-profiles"
# The ICC header's creation date, fixed so the same data always gives the same bytes (and the
# same PDFs): 1 January 2007, when the newest of these data sets was published.
_FIXED_DATE = bytes.fromhex("07d7" "0001" "0001" "0000" "0000" "0000")


@dataclass(frozen=True)
class PressCondition:
    key: str  # as a clinic file names it
    identifier: str  # the OutputConditionIdentifier registered at the ICC
    condition: str  # what a person reads: process, paper
    characterization: str  # the .ti3 data file in icc-profiles-free
    ink_limit: int  # total area coverage, %
    source: str  # credit the data's publisher asks for

    @property
    def profile(self) -> Path:
        return PROFILE_DIR / f"{self.key}.icc"


PRESS_CONDITIONS = {
    condition.key: condition for condition in (
        PressCondition("fogra39", "FOGRA39",
                       "Offset printing, ISO 12647-2:2004/Amd 1, paper type 1 or 2 "
                       "(gloss or matte coated), 115 g/m2", "FOGRA39L.ti3", 330,
                       "Characterization data FOGRA39L, Fogra (www.fogra.org)"),
        PressCondition("fogra29", "FOGRA29",
                       "Offset printing, ISO 12647-2:2004, paper type 4 (uncoated white)",
                       "FOGRA29L.ti3", 300,
                       "Characterization data FOGRA29L, Fogra (www.fogra.org)"),
        PressCondition("cgats-tr006", "CGATS TR 006",
                       "Commercial offset printing (GRACoL), grade 1 coated paper, "
                       "ISO 12647-2 paper type 1", "TR006.ti3", 320,
                       "Characterization data ANSI CGATS/GRACoL TR 006-2007"),
    )
}
# What a sheet is printed for when the clinic does not say: ISO sizes in Europe, US sizes in
# North America.
DEFAULT_FOR_PAPER = {"a4": "fogra39", "a3": "fogra39", "letter": "cgats-tr006",
                     "tabloid": "cgats-tr006"}


@dataclass(frozen=True)
class Press:
    """What a print file is made for: a printing condition and the ICC profile used for it.

    The profile is the one built for the condition, or the print shop's own when the clinic
    gave one. A shop's profile alone describes a custom condition (not `registered`); with a
    named condition as well, the shop vouches that its profile is for that condition."""

    condition: PressCondition
    profile: Path
    registered: bool = True


def press_for(condition_key: str | None, paper: str, shop_profile: Path | None) -> Press:
    condition = PRESS_CONDITIONS[condition_key or DEFAULT_FOR_PAPER[paper]]
    if shop_profile is not None:
        return Press(condition, shop_profile, registered=condition_key is not None)
    return Press(condition, condition.profile)


def missing_profiles() -> list[PressCondition]:
    return [c for c in PRESS_CONDITIONS.values() if not c.profile.is_file()]


def build_profile(condition: PressCondition, out_dir: Path = PROFILE_DIR) -> Path:
    """Build the condition's ICC profile with ArgyllCMS's colprof from its characterization
    data, with a fixed creation date, and move it into place whole."""
    data = CHARACTERIZATIONS / condition.characterization
    if not data.is_file():
        raise FileNotFoundError(f"{data} is missing; install Debian's icc-profiles-free")
    if shutil.which("colprof") is None:
        raise FileNotFoundError("colprof is missing; install Debian's argyll")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as work:
        stem = Path(work) / condition.key
        shutil.copyfile(data, stem.with_suffix(".ti3"))
        # Low quality: a coarser table, built 3.5x faster than medium (5 s, not 18 s). Measured
        # against a medium build, sRGB colours convert within CIE76 1.9 (median of 37) and the
        # demo brand colours within 5.5 (a yellow-orange); a press proofs to its own profile.
        subprocess.run(["colprof", "-ql", "-kr", f"-l{condition.ink_limit}",
                        "-D", f"{condition.identifier} (built with ArgyllCMS)",
                        "-C", condition.source, str(stem)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        profile = bytearray(stem.with_suffix(".icc").read_bytes())
        profile[24:36] = _FIXED_DATE
        built = Path(work) / "built.icc"
        built.write_bytes(bytes(profile))
        final = out_dir / f"{condition.key}.icc"
        built.replace(final)
    return final


def main() -> int:
    from concurrent.futures import ThreadPoolExecutor

    missing = missing_profiles()
    with ThreadPoolExecutor() as pool:  # colprof is single-threaded; one per core
        results = list(pool.map(_build_reporting, missing))
    return 0 if all(results) else 1


def _build_reporting(condition: PressCondition) -> bool:
    try:
        path = build_profile(condition)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = (getattr(exc, "stderr", b"") or b"").decode(errors="replace").strip()
        print(f"cannot build the {condition.identifier} press profile: {exc} {detail}",
              file=sys.stderr)
        return False
    print(f"Built the {condition.identifier} press profile: {path.name}")
    return True


if __name__ == "__main__":
    sys.exit(main())
