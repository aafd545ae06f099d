"""Apply a counter replay to mapped warned tensors: unmapped ``ONNXTRT_Broadcast`` helpers get the
ONNX node the replay predicts, with ``mapped_by = "counter-replay"`` and the fit as the note.

It runs after the name mapper, only on helper rows that nothing else attributed (a verbose parse
log names them directly and wins), only for a parser version range that is modelled, and only
when the fit is unique; every other row is returned unchanged.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, Protocol, TypeVar

from trtdiag.log.facts import LogFacts
from trtdiag.onnx.graph import GraphIndex
from trtdiag.parser_replay.fit import BroadcastFit, fit_offsets, helper_number, observed_numbers
from trtdiag.parser_replay.increments import model_for, why_not_modelled
from trtdiag.parser_replay.replay import replay
from trtdiag.parser_replay.rgraph import from_onnx

BY_COUNTER_REPLAY = "counter-replay"


class _Row(Protocol):
    """The fields of ``trtdiag.naming.MappedTensor`` this step reads (a dataclass)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def tensor(self) -> str: ...

    @property
    def onnx_node(self) -> str | None: ...

    @property
    def reason(self) -> str | None: ...


R = TypeVar("R", bound=_Row)


def _layer_of(tensor: str) -> str:
    return tensor.rsplit("_output", 1)[0]


def _needs_replay(row: _Row) -> bool:
    return row.onnx_node is None and helper_number(_layer_of(row.tensor))[0]


def replay_fit(facts: LogFacts, graph: GraphIndex) -> BroadcastFit | None:
    """Replay the model and fit the log's broadcast numbers; None when no parser model applies."""
    model = model_for(facts.build.tensorrt_version)
    if model is None or graph.structure is None:
        return None
    observed = observed_numbers(_layer_of(ms.tensor) for ms in facts.missing_scale)
    return fit_offsets(observed, replay(from_onnx(graph.structure), model))


def confidence(fit: BroadcastFit) -> str:
    """How far to trust a unique fit, as one line for the report's helper rows.

    high: offset 0 over a replay of the whole graph with at least two observed numbers (nothing the
    replay did not see, and the spacing of the numbers is checked as well as their values); medium:
    a non-zero offset (registrations the replay does not know came first) or a replay that stopped
    early, or a single observed number (any broadcast it lands on fits)."""
    level = "high" if fit.offset == 0 and fit.complete and len(fit.observed) >= 2 else "medium"
    return f"{level}: offset {fit.offset}, {fit.fitted}/{len(fit.observed)} observed numbers fit ({fit.parser})"


def _noted(row: R, why: str) -> R:
    """A helper row the replay could not attribute, with the reason added to the mapper's."""
    if not _needs_replay(row):
        return row
    note = f"counter replay: {why}"
    return replace(row, reason=f"{row.reason}; {note}" if row.reason else note)


def apply_counter_replay(rows: tuple[R, ...], facts: LogFacts, graph: GraphIndex | None,
                         label: object = BY_COUNTER_REPLAY) -> tuple[R, ...]:
    """Rows with unattributed broadcast helpers attributed by the replay when its fit is unique;
    ``label`` is the ``mapped_by`` value the caller's rows use for this rule."""
    if graph is None or not any(_needs_replay(r) for r in rows):
        return rows
    fit = replay_fit(facts, graph)
    if fit is None or not fit.ok:
        why = why_not_modelled(facts.build.tensorrt_version) if fit is None else fit.reason
        return rows if why is None else tuple(_noted(r, why) for r in rows)
    level = confidence(fit)
    out = []
    for row in rows:
        b = fit.attribution.get(_layer_of(row.tensor)) if _needs_replay(row) else None
        if b is None:
            out.append(row)
            continue
        module = graph.module_of_node(b.node)
        weight = b.operand in graph.initializers or b.operand in graph.constant_outputs
        what = f"broadcasts {b.operand!r}" if b.operand else "broadcasts a constant the importer made itself"
        out.append(replace(row, onnx_node=b.node, op_type=b.op_type, block=module.block if module else None,
                           submodule=module.submodule if module else None, mapped_by=label,
                           weight_path=weight or not b.operand, reason=f"{fit.reason}; {what}",
                           replay_confidence=level))
    return tuple(out)
