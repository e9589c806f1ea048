"""Live proof: the proof pages served on 127.0.0.1, rebuilt as the project's files are saved.

One process: it builds in-process (WeasyPrint's fonts and caches stay warm between edits),
rebuilds only the cells a change can touch (a catalog edit: that language, and only the
brochures whose messages changed), then the proof pages, and the open page reloads itself.
A save that breaks something shows its message in the page; the last good PDFs stay.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .build import Selection, build
from .errors import BrochureError, InputError, Location
from .files import PROJECT_INPUTS
from .pofile import read_po_file
from .project import load_project
from .proof import write_proof

POLL_S = 0.2
STATUS = "/__status"
# Polls the server and reloads the page when a rebuild finished; shows a failed save's message.
RELOAD_SCRIPT = """<script>
(function () {
  let seen = null;
  async function poll() {
    try {
      const state = await (await fetch("STATUS_PATH", {cache: "no-store"})).json();
      if (seen !== null && state.version !== seen) { location.reload(); return; }
      seen = state.version;
      let note = document.getElementById("serve-note");
      if (!note) {
        note = document.createElement("p"); note.id = "serve-note";
        note.style.cssText = "position:sticky;top:0;padding:.5rem;margin:0;font-weight:600";
        document.body.prepend(note);
      }
      note.textContent = state.message || (state.building ? "Rebuilding…" : "");
      note.style.background = state.message ? "#f8d7da" : (state.building ? "#fff3cd" : "");
    } catch (error) { /* the server is restarting: try again */ }
    setTimeout(poll, 500);
  }
  poll();
})();
</script>""".replace("STATUS_PATH", STATUS)


@dataclass
class LiveState:
    """What the page asks for: the number of the last finished rebuild and its message."""

    version: int = 0
    building: bool = False
    message: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def as_json(self) -> bytes:
        with self.lock:
            return json.dumps({"version": self.version, "building": self.building,
                               "message": self.message}).encode()


class _Handler(http.server.SimpleHTTPRequestHandler):
    state: LiveState

    def do_GET(self):
        if self.path == STATUS:
            body = self.state.as_json()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path in ("/", "/index.html"):
            self.send_response(302)
            self.send_header("Location", "/proof/index.html")
            self.end_headers()
        else:
            super().do_GET()

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args) -> None:  # the terminal shows rebuilds, not requests
        pass


def _snapshot(root: Path) -> dict[Path, tuple[int, int]]:
    """Every project input file with its modification time and size (compiled catalogs and
    hidden files left out: the build writes those)."""
    files = {}
    for part in PROJECT_INPUTS:
        base = root / part
        for path in [base] if base.is_file() else base.rglob("*"):
            if path.is_file() and path.suffix != ".mo" and not path.name.startswith("."):
                stat = path.stat()
                files[path] = (stat.st_mtime_ns, stat.st_size)
    return files


def _messages(root: Path) -> dict[str, dict]:
    """Each catalog's translations by (msgctxt, msgid), to tell which messages an edit changed
    (read by the project's own reader, which keeps going through a half-saved file)."""
    catalogs = {}
    for path in sorted(root.glob("locales/*/LC_MESSAGES/brochures.po")):
        try:
            po = read_po_file(path, path.relative_to(root))
        except OSError:  # removed while we looked: the build will say what is wrong
            po = None
        catalogs[path.parent.parent.name] = {} if po is None else {
            (entry.context, entry.msgid): (entry.msgstr, entry.fuzzy) for entry in po.messages}
    return catalogs


def selection_for(root: Path, changed: set[Path], before: dict, after: dict,
                  brochures: tuple[str, ...]) -> Selection:
    """The cells a change can touch: a change to catalogs alone rebuilds their languages, and
    only the brochures whose own messages changed when no shared message did."""
    locale_dir = root / "locales"
    if not changed or not all(path.is_relative_to(locale_dir) and path.suffix == ".po"
                              for path in changed):
        return Selection()
    locales = tuple(sorted({path.relative_to(locale_dir).parts[0] for path in changed}))
    touched: set[str] = set()
    for locale in locales:
        old, new = before.get(locale, {}), after.get(locale, {})
        for key in set(old) | set(new):
            if old.get(key) != new.get(key):
                context = key[0] or ""
                owner = context.split("/")[0]
                if owner not in brochures:  # a template or clinic message: every brochure
                    return Selection(locales=locales)
                touched.add(owner)
    return Selection(locales=locales, brochures=tuple(sorted(touched)))


def _within(selection: Selection, scope: Selection) -> Selection:
    """The selection, kept inside the served scope (an empty field selects everything)."""
    def narrow(wanted: tuple[str, ...], allowed: tuple[str, ...]) -> tuple[str, ...]:
        if not allowed:
            return wanted
        return tuple(name for name in wanted if name in allowed) if wanted else allowed
    return Selection(*(narrow(wanted, allowed) for wanted, allowed in
                       zip((selection.clinics, selection.locales, selection.brochures,
                            selection.profiles),
                           (scope.clinics, scope.locales, scope.brochures, scope.profiles),
                           strict=True)))


def serve(root: Path, out_dir: Path, port: int, say: Callable[[str], None],
          scope: Selection | None = None, stop: threading.Event | None = None,
          workers: int | None = None) -> None:
    """Serve OUT on 127.0.0.1:PORT and rebuild the cells of `scope` on every save until `stop`
    is set (or Ctrl-C). The first build takes `workers` processes (default: every core)."""
    state = LiveState()
    handler = type("Handler", (_Handler,), {"state": state})
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", port), partial(handler, directory=str(out_dir)))
    except OSError as error:
        raise InputError(f"cannot serve on 127.0.0.1:{port} ({error.strerror}); choose another "
                         "port with --port", Location(root)) from None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    say(f"Serving http://127.0.0.1:{server.server_address[1]}/proof/index.html "
        "(Ctrl-C to stop)")
    stop = stop or threading.Event()
    scope = scope or Selection()
    try:
        seen = _snapshot(root)
        messages = _messages(root)
        # The first build may be the whole matrix: on every core. Then in this process, warm.
        _rebuild(root, out_dir, scope, state, say, workers=workers or os.cpu_count() or 1)
        while not stop.is_set():
            time.sleep(POLL_S)
            now = _snapshot(root)
            if now == seen:
                continue
            changed = {path for path in set(now) | set(seen) if now.get(path) != seen.get(path)}
            seen, before, messages = now, messages, _messages(root)
            try:
                brochures = tuple(load_project(root).brochures)
            except BrochureError:
                brochures = ()
            _rebuild(root, out_dir, _within(selection_for(root, changed, before, messages,
                                                          brochures), scope), state, say)
    finally:
        server.shutdown()
        server.server_close()


def _rebuild(root: Path, out_dir: Path, selection: Selection, state: LiveState,
             say: Callable[[str], None], workers: int = 1) -> None:
    with state.lock:
        state.building = True
    started = time.monotonic()
    message = ""
    try:
        project = load_project(root)
        result = build(project, out_dir, selection, allow_incomplete=True, workers=workers)
        if result.failures:
            message = "; ".join(f"{failure.label}: {failure.message}"
                                for failure in result.failures)
        write_proof(project, out_dir, reload_script=RELOAD_SCRIPT)
        built = len(result.outputs)
        say(f"rebuilt {built} cell(s) in {time.monotonic() - started:.1f} s"
            + (f"; {message}" if message else ""))
    except BrochureError as error:
        message = str(error)
        say(f"not rebuilt: {message}")
    except Exception as error:
        message = f"the rebuild stopped: {error}"
        say(message)
    with state.lock:
        state.version += 1
        state.building = False
        state.message = message
