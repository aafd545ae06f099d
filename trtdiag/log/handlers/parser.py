"""The verbose ONNX parser: ``Parsing node`` blocks, ``Registering`` layers/tensors, network inputs
and outputs. These are the most frequent candidate lines of a verbose log, so the handler sits
early in the registry and claims its lines."""

from __future__ import annotations

import re

from trtdiag.io.prefix import Line
from trtdiag.log.facts import ParsedNode, Registration
from trtdiag.log.state import FactsDraft, LogState

PARSING_NODE_RE = re.compile(r"^Parsing node: (?P<n>.*?) \[(?P<op>[^\[\]]+)\]$")
REG_LAYER_NODE_RE = re.compile(r"^Registering layer: (?P<l>.*?) for ONNX node: ?(?P<n>.*)$")
REG_LAYER_HELPER_RE = re.compile(r"^Registering layer: (?P<l>.*?) required by ONNX-TRT$")
REG_CONSTANT_RE = re.compile(r"^Registering constant layer: (?P<l>.*?) for ONNX initializer: (?P<w>.*)$")
REG_TENSOR_RE = re.compile(r"^Registering tensor: (?P<t>.*?) for ONNX tensor: (?P<o>.*)$")
NODE_OUTPUTS_RE = re.compile(r"^(?P<n>.*?) \[(?P<op>[^\[\]]+)\] outputs: \[")
ADD_INPUT_RE = re.compile(r"^Adding network input: (?P<n>.*?) with dtype: (?P<dt>\w+), dimensions: (?P<d>\(.*\))")
MARK_OUTPUT_RE = re.compile(r"^Marking (?P<t>.*?) as output: (?P<o>.*)$")


class ParserHandler:
    """Registrations carry the node whose parse block they sit in: helpers (``required by
    ONNX-TRT``) name no node themselves, the enclosing ``Parsing node`` block is their owner."""

    #: Its facts are read only for the build that is returned: its lines may be held back (trtdiag/log/deferred.py).
    deferrable = True

    keywords = (b"Parsing node", b"Registering ", b"outputs: [", b"Adding network input", b"Marking ")

    def __init__(self) -> None:
        self._parsed: list[ParsedNode] = []
        self._current_node: str | None = None
        self._regs: list[Registration] = []
        self._tensor_regs: list[tuple[str, str, int]] = []
        self._inputs: list[tuple[str, str, str, int]] = []
        self._outputs: list[tuple[str, str, int]] = []

    def feed(self, line: Line, state: LogState) -> bool:
        msg = line.message
        n = line.number
        if msg.startswith("Registering "):
            if not self._registration(msg, n):
                state.incomplete = n
            return True
        if msg.startswith("Parsing node: "):
            m = PARSING_NODE_RE.match(msg)
            if m:
                self._current_node = m.group("n")
                self._parsed.append(ParsedNode(m.group("n"), m.group("op"), n))
            return True
        if "outputs: [" in msg:
            m = NODE_OUTPUTS_RE.match(msg)
            if m and m.group("n") == self._current_node:
                self._current_node = None
            return True
        if msg.startswith("Adding network input: "):
            m = ADD_INPUT_RE.match(msg)
            if m:
                self._inputs.append((m.group("n"), m.group("dt"), m.group("d"), n))
            return True
        if msg.startswith("Marking "):
            m = MARK_OUTPUT_RE.match(msg)
            if m:
                self._outputs.append((m.group("t"), m.group("o"), n))
            return True
        return False

    def _registration(self, msg: str, n: int) -> bool:
        m = REG_LAYER_NODE_RE.match(msg)
        if m:
            node = m.group("n")
            self._regs.append(Registration(m.group("l"), node, "node", self._current_node or node or None, n))
            return True
        m = REG_LAYER_HELPER_RE.match(msg)
        if m:
            self._regs.append(Registration(m.group("l"), None, "helper", self._current_node, n))
            return True
        m = REG_CONSTANT_RE.match(msg)
        if m:
            self._regs.append(Registration(m.group("l"), None, "constant", self._current_node, n))
            return True
        m = REG_TENSOR_RE.match(msg)
        if m:
            self._tensor_regs.append((m.group("t"), m.group("o"), n))
            return True
        return False

    def contribute(self, draft: FactsDraft) -> None:
        draft.parsed_nodes = tuple(self._parsed)
        draft.registrations = tuple(self._regs)
        draft.tensor_registrations = tuple(self._tensor_regs)
        draft.network_inputs = tuple(self._inputs)
        draft.network_outputs = tuple(self._outputs)
