"""A headless Chromium driven over the DevTools protocol on a pipe (no extra package).

``--remote-debugging-pipe`` makes Chromium read protocol commands from file descriptor 3 and
write replies and events to descriptor 4, one JSON message per NUL-terminated record (the
transport Puppeteer uses). :func:`open_page` loads a page, waits for its load event and returns
what a test checks: a screenshot, the state of every image, and every console error.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: Flags that work on this machine (root, no display, no network).
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--remote-debugging-pipe")


def binary() -> str | None:
    """The Chromium executable, or None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Page:
    screenshot: bytes  # PNG
    images: list[dict]  # alt, loaded (complete and naturalWidth > 0), width
    errors: list[str]  # console errors, uncaught exceptions, failed loads
    title: str
    value: object = None  # what ``script`` returned


class _Pipe:
    def __init__(self, executable: str, profile: str):
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # Park the child's ends above 4 so moving them onto 3 and 4 cannot clobber each other.
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_child_r, from_child_w)]
        for fd in (to_child_r, from_child_w):
            os.close(fd)

        def child_fds() -> None:
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=child_fds, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for fd in high:
            os.close(fd)
        self.write_fd, self.read_fd = to_child_w, from_child_r
        self.buffer = b""
        self.events: list[dict] = []
        self.next_id = 0

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.read_fd], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30.0) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        for i, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events[i]
        while True:
            event = self._read(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.write_fd)
        os.close(self.read_fd)


_IMAGES = """JSON.stringify(Array.from(document.images).map(function (img) {
  return {alt: img.alt, loaded: img.complete && img.naturalWidth > 0, width: img.naturalWidth};
}))"""


def _errors(events: list[dict]) -> list[str]:
    out = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            out.append(details.get("exception", {}).get("description") or details.get("text"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            out.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            out.append(params["entry"].get("text", ""))
    return out


def open_page(path: str | Path, *, script: str | None = None, width: int = 1200,
              height: int = 900, timeout: float = 60.0) -> Page:
    """Load ``path`` in a fresh headless Chromium profile and report what it rendered; a
    ``script`` (a JavaScript expression) is evaluated after the screenshot, its value returned."""
    executable = binary()
    if executable is None:
        raise FileNotFoundError("chromium is not installed (.ci/services/chromium.sh start)")
    with tempfile.TemporaryDirectory(prefix="chaosbench-chromium-") as profile:
        pipe = _Pipe(executable, profile)
        try:
            target = pipe.call("Target.createTarget", {"url": "about:blank"}, timeout=timeout)
            session = pipe.call("Target.attachToTarget", {"targetId": target["targetId"],
                                                          "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                pipe.call(f"{domain}.enable", session=session)
            pipe.call("Emulation.setDeviceMetricsOverride", {
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                session=session)
            pipe.call("Page.navigate", {"url": Path(path).resolve().as_uri()}, session=session)
            pipe.wait_for("Page.loadEventFired", timeout)
            images = json.loads(pipe.call("Runtime.evaluate", {
                "expression": _IMAGES, "returnByValue": True}, session=session)["result"]["value"])
            title = pipe.call("Runtime.evaluate", {"expression": "document.title",
                                                   "returnByValue": True},
                              session=session)["result"]["value"]
            shot = pipe.call("Page.captureScreenshot", {"format": "png"}, session=session)
            value = None
            if script is not None:
                value = pipe.call("Runtime.evaluate", {"expression": script, "returnByValue": True},
                                  session=session)["result"].get("value")
            return Page(base64.b64decode(shot["data"]), images, _errors(pipe.events), title, value)
        finally:
            pipe.close()
