"""Writing files so that no reader ever sees half of one."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .errors import InputError, Location


def write_atomic(target: Path, data: bytes, check=None):
    """Write beside the target under a unique name, then rename over it.

    A killed process leaves at most a hidden temporary file, never a truncated target.
    `check(path)` may inspect the complete temporary file first; if it raises, the target is
    left as it was. Returns what `check` returned.
    """
    result = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                             dir=target.parent)
    except OSError as exc:
        raise write_error(exc, target) from None
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are for sharing
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if check is not None:
            result = check(Path(temporary))
        os.replace(temporary, target)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise write_error(exc, target) from None
        raise
    return result


def write_error(exc: OSError, path: Path) -> InputError:
    """What a person can do about a file that could not be written."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        advice = "the disk is full; free some space, or build into another folder with --out"
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        advice = "the folder cannot be written to; build into another folder with --out"
    else:
        advice = "check the folder, or build into another one with --out"
    return InputError(f"cannot write the file ({exc.strerror}): {advice}", Location(path))


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
