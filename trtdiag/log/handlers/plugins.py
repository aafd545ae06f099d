"""Plugin imports: ONNX ops without an importer that the parser tries as plugins, and created plugins."""

from __future__ import annotations

import re

from trtdiag.io.prefix import Line
from trtdiag.log.facts import Event
from trtdiag.log.state import FactsDraft, LogState, add_event

PLUGIN_IMPORT_RE = re.compile(
    r"(?:No importer registered for op: (?P<op>\S+)\. Attempting to import as plugin"
    r"|Successfully created plugin: (?P<p>\S+)|Searching for plugin: (?P<s>\S+))"
)


class PluginHandler:
    keywords = (b"lugin",)

    def __init__(self) -> None:
        self._events: list[Event] = []

    def feed(self, line: Line, state: LogState) -> bool:
        if "lugin" in line.message and PLUGIN_IMPORT_RE.search(line.message):
            add_event(self._events, "plugin-import", line)
        return False

    def contribute(self, draft: FactsDraft) -> None:
        draft.plugins = tuple(self._events)
