"""Writing files so that no reader ever sees half of one."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from .errors import InputError, Location

# What a project is made of: a copy of these builds the same brochures anywhere.
PROJECT_INPUTS = ("brochures", "locales", "templates", "styles", "pyproject.toml")


def write_atomic(target: Path, data: bytes, check=None):
    """Write beside the target under a unique name, then rename over it.

    A killed process leaves at most a hidden temporary file, never a truncated target.
    `check(path)` may inspect the complete temporary file first; if it raises, the target is
    left as it was. Returns what `check` returned.
    """
    temporary, result = write_temporary(target, data, check)
    publish(temporary, target)
    return result


def write_temporary(target: Path, data: bytes, check=None) -> tuple[Path, object]:
    """The complete file under a hidden temporary name beside `target` (see `temporary_glob`),
    checked by `check(path)`, for `publish` to give it its final name. Returns the temporary
    path and what `check` returned; on any error nothing is left behind."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                        dir=target.parent)
    except OSError as exc:
        raise write_error(exc, target) from None
    temporary = Path(name)
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are for sharing
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        result = check(temporary) if check is not None else None
    except BaseException as exc:
        temporary.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise write_error(exc, target) from None
        raise
    return temporary, result


def publish(temporary: Path, target: Path) -> None:
    """Give a file made by `write_temporary` its final name, in one rename."""
    try:
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise write_error(exc, target) from None


def temporary_glob(target: Path) -> str:
    """The names `write_temporary` gives temporary files of `target` (and nothing else)."""
    return f".{target.name}.*.part"


def in_place(folder: Path, relative: Path) -> bool:
    """Whether `folder/relative` is where its name says, with no link on the way (not even one
    that stays within `folder`): a file the build writes, moves or deletes must be the one its
    name means. A link loop counts as elsewhere."""
    try:
        return (folder / relative).resolve() == folder.resolve() / relative
    except (OSError, RuntimeError):  # RuntimeError: a link loop (Python 3.11)
        return False


def linked_within(root: Path, path: Path) -> bool:
    """Whether `path`, named as a place inside `root`, passes through a link to get there (a
    project's out/ pointing at another folder of the machine, say). Paths named outside `root`
    are the user's own choice and never count."""
    named = Path(os.path.abspath(path))
    return named.is_relative_to(root) and not in_place(root, named.relative_to(root))


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


def unsafe_inputs(root: Path) -> list[InputError]:
    """Every project input that must not be read: a symlink that leads outside the project
    folder, and anything that is neither a file nor a folder (a pipe, a device, a socket).

    Each is an error: a catalog, template or clinic file linked to elsewhere on the machine
    would put that file's content into error messages and PDFs, and reading a pipe or a device
    never ends. Links within the project are fine. Checked once per command, before anything
    is read.
    """
    root = root.resolve()
    found = []
    for part in PROJECT_INPUTS:
        top = root / part
        candidates = [top] if top.is_symlink() else []
        if top.is_dir() and not top.is_symlink():
            for folder, folders, files in os.walk(top):
                base = Path(folder)
                candidates += [base / name for name in (*folders, *files)
                               if (base / name).is_symlink()]
                found += [_special_error(base / name, root) for name in files
                          if not (base / name).is_symlink() and _special(base / name)]
        elif not top.is_symlink() and _special(top):
            found.append(_special_error(top, root))
        for link in candidates:
            try:
                target = link.resolve()
            except (OSError, RuntimeError):  # RuntimeError: a loop of links (Python 3.11)
                found.append(InputError("this link cannot be followed (it leads in a loop); "
                                        "replace it with the file itself",
                                        Location(link.relative_to(root))))
                continue
            if not target.is_relative_to(root):
                found.append(InputError(
                    f"this is a link to {target}, outside the project; the project reads only "
                    "its own files: copy the file into the project instead of linking it",
                    Location(link.relative_to(root))))
            elif _special(target):
                found.append(_special_error(link, root))
    return found


def _special(path: Path) -> bool:
    """Neither a regular file nor a folder (nor missing): a FIFO, a device or a socket."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _special_error(path: Path, root: Path) -> InputError:
    return InputError("this is not a regular file (a pipe, device or socket), which would never "
                      "finish reading; replace it with the file itself",
                      Location(path.relative_to(root)))
