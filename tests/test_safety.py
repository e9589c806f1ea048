"""Crash safety and isolation, tested for real: a killed build, a local server that records
every request, a secret file outside the project, and what the PDFs may not contain."""

from __future__ import annotations

import http.server
import os
import re
import signal
import subprocess
import sys
import threading
import time
import typing
import zlib

from .conftest import REPO, run_cli


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


def _inflated(pdf: bytes) -> bytes:
    """The PDF with every Flate stream decompressed, to search text that is normally hidden."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            parts.append(zlib.decompress(match[1]))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_no_build_makes_a_network_request_and_no_secret_leaks(project, tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4242")
    attempts = {
        "cover.html": [f'<img src="http://127.0.0.1:{port}/image.png">',
                       f'<link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">',
                       f'<link rel="attachment" href="file://{secret}">'],
        "style": [f'@import url("http://127.0.0.1:{port}/import.css");',
                  f'@font-face {{ font-family: X; src: url("http://127.0.0.1:{port}/f.ttf"); }}',
                  f'.cover {{ background: url("file://{secret}"); }}'],
    }
    try:
        for snippet in attempts["cover.html"] + attempts["style"]:
            cover = project / "templates/partials/cover.html"
            style = project / "styles/tri-fold.css"
            original_cover, original_style = cover.read_text(), style.read_text()
            if snippet in attempts["style"]:
                style.write_text(snippet + "\n" + original_style)
            else:
                cover.write_text(original_cover.replace('<div class="cover">',
                                                        '<div class="cover">' + snippet))
            result = run_cli("--project", str(project), "build", "--clinic", "thameside",
                             "--locale", "en", "--brochure", "ims-overview", "--force")
            assert result.returncode == 1, snippet
            assert "blocked" in result.stderr, (snippet, result.stderr)
            cover.write_text(original_cover)
            style.write_text(original_style)
        # A normal build after all that: nothing fetched, and no secret in any PDF.
        assert run_cli("--project", str(project), "build", "--clinic", "thameside").returncode \
            == 0
    finally:
        server.shutdown()
    assert _Recorder.requests == []
    for pdf in (project / "out").rglob("*.pdf"):
        content = _inflated(pdf.read_bytes())
        assert b"TOP-SECRET-4242" not in content
        assert b"file:" not in content, pdf.name  # no file: URI, no build-machine path
        assert str(project).encode() not in content, pdf.name
        assert b"/EmbeddedFile" not in content, pdf.name


def test_sigkill_during_writing_leaves_no_truncated_pdf(project):
    args = [sys.executable, str(REPO / "cli.py"), "--project", str(project), "build",
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
    again = run_cli("--project", str(project), "build")
    assert again.returncode == 0, again.stderr
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")]
    total = len(list(out.rglob("*.pdf")))
    assert total == 102
