"""Headless Chromium for the tests: open a page and report what a person's browser would (DOM, console
errors), or play a video and read back what the browser saw.

Talks to Chromium over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
commands on file descriptor 3, replies and events on 4, JSON messages ended by a
NUL byte), so no websocket library is needed. Every page load gets a fresh
``--user-data-dir``.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
         "--remote-debugging-pipe"]


def chromium() -> str | None:
    """Path of Debian's ``chromium`` (or another Chromium) when installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class Page:
    """What the browser saw."""

    dom: str
    errors: list[str] = field(default_factory=list)      # console.error, uncaught exceptions, failed loads
    values: object = None                                # result of the ``evaluate`` expression


class _Pipe:
    def __init__(self, proc: subprocess.Popen, write_fd: int, read_fd: int):
        self.proc, self.write_fd, self.read_fd = proc, write_fd, read_fd
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        return self.next_id

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if ready:
                chunk = os.read(self.read_fd, 1 << 16)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict:
        wanted = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            message = self._read(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict:
        for i, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            message = self._read(deadline)
            if message.get("method") == method:
                return message
            self.events.append(message)

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read(deadline))
        except TimeoutError:
            pass


def _errors(events: list[dict]) -> list[str]:
    out = []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            out.append("console." + p["type"] + ": " + " ".join(str(a.get("value", a.get("description", "")))
                                                                for a in p.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append("exception: " + str(d.get("exception", {}).get("description", d.get("text"))))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            entry = p["entry"]
            out.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".strip())
    return out


def open_page(path: Path, evaluate: str | None = None, settle_seconds: float = 1.0, timeout: float = 60.0) -> Page:
    """Load ``path`` (a local file) in headless Chromium; return its DOM, console errors and ``evaluate``'s value.

    ``evaluate`` is a JavaScript expression whose (JSON-serialisable) value is returned in ``Page.values``.
    """
    binary = chromium()
    if binary is None:
        raise RuntimeError("chromium is not installed")
    profile = tempfile.mkdtemp(prefix="twin-chromium-")
    cmd_read, cmd_write = os.pipe()
    res_read, res_write = os.pipe()
    high = [os.dup(fd) for fd in (cmd_read, res_write)]   # above 4, so the dup2s below cannot clobber them

    def wire() -> None:
        os.dup2(high[0], 3)
        os.dup2(high[1], 4)

    proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"], pass_fds=(3, 4),
                            preexec_fn=wire, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for fd in (cmd_read, res_write, *high):
        os.close(fd)
    pipe = _Pipe(proc, cmd_write, res_read)
    try:
        target = pipe.call("Target.createTarget", {"url": "about:blank"}, timeout=timeout)["targetId"]
        session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            pipe.call(f"{domain}.enable", session=session)
        pipe.call("Page.navigate", {"url": Path(path).resolve().as_uri()}, session=session)
        pipe.wait_for("Page.loadEventFired", timeout=timeout)
        pipe.drain(settle_seconds)
        dom = pipe.call("Runtime.evaluate", {"expression": "document.documentElement.outerHTML",
                                             "returnByValue": True}, session=session)["result"]["value"]
        values = None
        if evaluate:
            reply = pipe.call("Runtime.evaluate", {"expression": evaluate, "returnByValue": True}, session=session)
            if "exceptionDetails" in reply:
                raise RuntimeError(f"evaluate failed: {reply['exceptionDetails']}")
            values = reply["result"].get("value")
        pipe.drain(0.2)
        return Page(dom, _errors(pipe.events), values)
    finally:
        try:
            pipe.send("Browser.close")
        except OSError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(cmd_write)
        os.close(res_read)
        shutil.rmtree(profile, ignore_errors=True)


# --- Playing a video (the animation tests) -------------------------------------------------------
# A page with a ``<video>`` element records ``videoWidth``, ``videoHeight``, ``duration``, how far
# playback got and any media error into the DOM; Chromium runs it with a virtual-time budget and
# ``--dump-dom`` prints the DOM.

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

PLAY_FLAGS = [f for f in FLAGS if f != "--remote-debugging-pipe"] + ["--autoplay-policy=no-user-gesture-required"]


def play(video: Path, budget_ms: int = 120_000, timeout_s: float = 180) -> dict:
    """Load ``video`` in a page, play it (virtual time), and return what the page recorded."""
    video = Path(video).resolve()
    with tempfile.TemporaryDirectory(prefix="twin-chromium-") as folder:
        page = video.parent / f".twin-play-{video.stem}.html"
        page.write_text(PAGE % json.dumps(video.name), encoding="utf-8")
        try:
            done = subprocess.run([chromium(), *PLAY_FLAGS, f"--user-data-dir={folder}",
                                   f"--virtual-time-budget={budget_ms}", "--dump-dom", page.as_uri()],
                                  capture_output=True, text=True, timeout=timeout_s)
        finally:
            page.unlink(missing_ok=True)
    match = re.search(r'<pre id="result">(.*?)</pre>', done.stdout, re.S)
    if not match:
        raise RuntimeError(f"no result in Chromium's DOM dump: {done.stdout[-500:]} {done.stderr[-500:]}")
    return json.loads(match.group(1))
