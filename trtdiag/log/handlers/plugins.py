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
    #: Its facts are read only for the build that is returned: its lines may be held back (trtdiag/log/deferred.py).
    deferrable = True
    #: The three phrases of PLUGIN_IMPORT_RE, not ``plugin`` alone: a verbose build registers some sixty plugin
    #: creators ("Registered plugin creator - ::X version 1") before every build, lines that say nothing here.
    keywords = (b"import as plugin", b"created plugin: ", b"Searching for plugin: ")

    def __init__(self) -> None:
        self._events: list[Event] = []

    def feed(self, line: Line, state: LogState) -> bool:
        if PLUGIN_IMPORT_RE.search(line.message):
            add_event(self._events, "plugin-import", line)
        return False

    def contribute(self, draft: FactsDraft) -> None:
        draft.plugins = tuple(self._events)
