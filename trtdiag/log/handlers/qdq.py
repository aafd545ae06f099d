"""Explicit-quantization markers of a build log: the Q/DQ graph optimizer's passes and Q/DQ layer names.

Why a family of its own: a log whose only INT8 evidence is Q/DQ (trtexec up to 10.x prints ``Calibration:
Dynamic`` for every ``--int8`` build, Q/DQ ones included) must be recognised as an explicitly quantized build,
or the implicit-calibration rules give calibration advice to a network that ignores calibration. ``Parsing
node`` and ``Registering`` lines are the parser handler's (their Q/DQ op types and names are read from
``LogFacts.parsed_nodes`` / ``registrations``); this handler sees the optimizer's lines and any other line
naming a Q/DQ layer.
"""

from __future__ import annotations

import re

from trtdiag.io.prefix import Line
from trtdiag.log.facts import Event
from trtdiag.log.state import FactsDraft, LogState, add_event

#: (event kind, pattern): optimizer passes that only run on Q/DQ networks, then Q/DQ layer names as
#: exported by ONNX (``QuantizeLinear_7``), ModelOpt / pytorch-quantization (``/x/_input_quantizer/...``) and
#: TensorRT 8.0's scale nodes (``QuantizeLinear_2_quantize_scale_node``).
QDQ_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("qdq-optimizer", re.compile(r"QDQ graph optimizer|QDQ optimization pass|ConstQDQInitializersFusion"
                                 r"|ConstWeightsQuantizeFusion|SplitQAcrossPrecedingFanIn|HorizontalMergeQNodes"
                                 r"|QuantizeDoubleInputNodes|DequantizeFusion|QDQToCopy")),
    ("qdq-layer", re.compile(r"(?:Quantize|Dequantize)Linear|_(?:input|weight)_quantizer\b|_quantize_scale_node"
                             r"|\[DynamicQuantize\]")),
)


class QdqHandler:
    #: Its facts are read only for the build that is returned: its lines may be held back (trtdiag/log/deferred.py).
    deferrable = True
    keywords = (b"QDQ", b"uantize", b"QNodes", b"SplitQ")

    def __init__(self) -> None:
        self._events: list[Event] = []

    def feed(self, line: Line, state: LogState) -> bool:
        msg = line.message
        for kind, pattern in QDQ_PATTERNS:
            if pattern.search(msg):
                add_event(self._events, kind, line)
                break
        return False

    def contribute(self, draft: FactsDraft) -> None:
        draft.qdq_events = tuple(self._events)
