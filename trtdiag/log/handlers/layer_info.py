"""Engine layer information in the log (``Layer(type): ...`` lines after ``Engine Layer Information``).

Only their presence and precisions matter here (the listing itself is parsed by
:mod:`trtdiag.engine.layers`): a layer running in Half/Int8 shows which precisions the builder had.
"""

from __future__ import annotations

import re

from trtdiag.io.prefix import Line
from trtdiag.log.state import FactsDraft, LogState

LAYER_INFO_RE = re.compile(r"^Layer\((?P<type>[^)]*)\): ")


class LayerInfoHandler:
    keywords = (b"Layer(",)

    def __init__(self) -> None:
        self._count = 0
        self._int8 = 0

    def feed(self, line: Line, state: LogState) -> bool:
        msg = line.message
        if not msg.startswith("Layer("):
            return False
        if LAYER_INFO_RE.match(msg):
            self._count += 1
            if "Half" in msg:
                state.config.set("observed_fp16", True, line.number)
            if "Int8" in msg:
                self._int8 += 1
                state.config.set("observed_int8", True, line.number)
        return True

    def contribute(self, draft: FactsDraft) -> None:
        draft.layer_info_lines = self._count
        draft.layer_info_int8 = self._int8
