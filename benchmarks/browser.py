"""Headless Chromium for the review page's tests and benchmark: DOM dumps and screenshots.

Every run gets a fresh profile and no network: a proxy on a closed port, every host name
unresolvable, and Chromium's own background traffic switched off. A page that needed the
network would come back broken.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",  # tests run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def find_chromium() -> str | None:
    """Path of Debian's chromium (or another Chromium/Chrome), or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(exe: str, args: list[str], timeout: float) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="glossary-chromium-") as profile:
        command = [exe, *FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(command, capture_output=True, timeout=timeout, check=False)


def dump_dom(
    exe: str, url: str, size: tuple[int, int] = (1400, 1000), wait_ms: int = 0, timeout: float = 120
) -> str:
    """The page's DOM after its load event (and `wait_ms` of the page's timers), as HTML text."""
    wait = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
    done = _run(exe, [f"--window-size={size[0]},{size[1]}", *wait, "--dump-dom", url], timeout)
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(
            f"chromium --dump-dom failed ({done.returncode}): {done.stderr[-800:]!r}"
        )
    return done.stdout.decode("utf-8")


def screenshot(
    exe: str, url: str, png: Path, size: tuple[int, int] = (1400, 1000), timeout: float = 120
) -> Path:
    """A PNG of the page's first `size` pixels."""
    png = Path(png).resolve()
    args = [f"--window-size={size[0]},{size[1]}", f"--screenshot={png}", url]
    done = _run(exe, args, timeout)
    if done.returncode != 0 or not png.is_file():
        raise RuntimeError(
            f"chromium --screenshot failed ({done.returncode}): {done.stderr[-800:]!r}"
        )
    return png


def with_script(page: Path, js: str) -> Path:
    """A copy of a review page that runs `js` first, allowed by the page's own script policy."""
    html = Path(page).read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    html = html.replace("script-src ", f"script-src 'sha256-{digest}' ", 1)
    head = html.index('<meta name="viewport"')
    copy = Path(page).with_name("with-script-" + Path(page).name)
    copy.write_text(html[:head] + f"<script>{js}</script>" + html[head:], encoding="utf-8")
    return copy
