"""Play a video in headless Chromium and read back what the browser saw (for the animation tests).

A page with a ``<video>`` element records ``videoWidth``, ``videoHeight``,
``duration``, how far playback got and any media error into the DOM; Chromium
runs it with a virtual-time budget and ``--dump-dom`` prints the DOM.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

PAGE = """<!doctype html><html><body><pre id="result">pending</pre>
<script>
const out = {events: []};
const show = () => { document.getElementById('result').textContent = JSON.stringify(out); };
const v = document.createElement('video');
v.muted = true; v.preload = 'auto';
v.addEventListener('loadedmetadata', () => {
  out.events.push('loadedmetadata');
  out.videoWidth = v.videoWidth; out.videoHeight = v.videoHeight; out.duration = v.duration; show();
  v.play().catch(e => { out.playError = String(e); show(); });
});
v.addEventListener('timeupdate', () => { out.currentTime = v.currentTime; show(); });
v.addEventListener('ended', () => { out.events.push('ended'); show(); });
v.addEventListener('error', () => { out.error = v.error ? v.error.code : -1; show(); });
v.src = %s;
document.body.appendChild(v);
show();
</script></body></html>
"""

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync",
         "--autoplay-policy=no-user-gesture-required"]


def chromium() -> str | None:
    """Path of a Chromium executable, or None when there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def play(video: Path, budget_ms: int = 120_000, timeout_s: float = 180) -> dict:
    """Load ``video`` in a page, play it (virtual time), and return what the page recorded."""
    video = Path(video).resolve()
    with tempfile.TemporaryDirectory(prefix="twin-chromium-") as folder:
        page = video.parent / f".twin-play-{video.stem}.html"
        page.write_text(PAGE % json.dumps(video.name), encoding="utf-8")
        try:
            done = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={folder}",
                                   f"--virtual-time-budget={budget_ms}", "--dump-dom", page.as_uri()],
                                  capture_output=True, text=True, timeout=timeout_s)
        finally:
            page.unlink(missing_ok=True)
    match = re.search(r'<pre id="result">(.*?)</pre>', done.stdout, re.S)
    if not match:
        raise RuntimeError(f"no result in Chromium's DOM dump: {done.stdout[-500:]} {done.stderr[-500:]}")
    return json.loads(match.group(1))
