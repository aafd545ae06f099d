"""A small headless-Chromium driver for the report tests, over the DevTools protocol.

Why not Selenium or Playwright: Debian's ``chromium`` package is all the project may install for a
browser (no browser downloads), and the DevTools protocol over one websocket (``websocket-client``)
is enough to load a local page, read console errors and network requests, run JavaScript, click
and take screenshots. Tests skip with one line where Chromium or websocket-client is absent
(see ``chromium_or_skip``).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
_DEVTOOLS_RE = re.compile(r"DevTools listening on (ws://\S+)")


def find_chromium() -> str | None:
    """Path of a Chromium binary, or None."""
    env = os.environ.get("TRTDIAG_CHROMIUM")
    if env and Path(env).exists():
        return env
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Page:
    """One browser tab: navigate, evaluate, click, screenshot; console errors and requests are kept."""

    def __init__(self, ws: Any) -> None:
        self._ws = ws
        self._next_id = 0
        self.console_errors: list[str] = []
        self.requests: list[str] = []
        self._events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def send(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        msg_id = self._next_id
        self._ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = json.loads(self._ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))
            self._record(msg)
        raise TimeoutError(method)

    def _record(self, msg: dict[str, Any]) -> None:
        method = msg.get("method", "")
        params = msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.console_errors.append(str(details.get("exception", {}).get("description") or details.get("text")))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.console_errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.console_errors.append(params["entry"].get("text", ""))
        elif method == "Network.requestWillBeSent":
            self.requests.append(params.get("request", {}).get("url", ""))
        self._events.append(msg)

    def wait_event(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        for i, msg in enumerate(self._events):
            if msg.get("method") == method:
                del self._events[: i + 1]
                return msg
        deadline = time.monotonic() + timeout
        self._ws.settimeout(timeout)
        while time.monotonic() < deadline:
            msg = json.loads(self._ws.recv())
            self._record(msg)
            if msg.get("method") == method:
                self._events.clear()
                return msg
        raise TimeoutError(method)

    def viewport(self, width: int, height: int) -> None:
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=width < 500)

    def open(self, path: str | Path) -> None:
        self._events.clear()
        self.send("Page.navigate", url=Path(path).resolve().as_uri())
        self.wait_event("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        """Evaluate JavaScript and return its JSON value (exceptions raise)."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript error: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def screenshot(self, out: str | Path, full_page: bool = False) -> None:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        data = self.send("Page.captureScreenshot", **params)["data"]
        Path(out).write_bytes(base64.b64decode(data))

    def external_requests(self) -> list[str]:
        """Requests to anything but the page itself (file:) or inline data."""
        return [u for u in self.requests if not u.startswith(("file:", "data:", "about:"))]


@contextmanager
def chromium_page(binary: str) -> Iterator[Page]:
    """Start a headless Chromium with a fresh profile and yield one :class:`Page`."""
    import websocket  # optional test dependency (websocket-client)

    profile = tempfile.mkdtemp(prefix="trtdiag-chromium-")
    cmd = [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
           "--disable-background-networking", "--remote-debugging-port=0", f"--user-data-dir={profile}",
           "about:blank"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = _devtools_url(proc)
        port = url.split(":")[2].split("/")[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            targets = json.load(resp)
        page_ws = next(t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page")
        ws = websocket.create_connection(page_ws, timeout=30, suppress_origin=True)
        try:
            yield Page(ws)
        finally:
            ws.close()
    finally:
        proc.kill()
        proc.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


def _devtools_url(proc: subprocess.Popen[str]) -> str:
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        m = _DEVTOOLS_RE.search(line)
        if m:
            return m.group(1)
    raise RuntimeError("Chromium did not start (no DevTools URL on stderr)")
