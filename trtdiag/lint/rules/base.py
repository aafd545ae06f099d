"""The shape of a lint rule: a data record (id, severity, title, explanation, fix, the TensorRT facts it
rests on) plus a ``check`` function over a :class:`LintContext`.

Why records: the JSON document, the HTML report and the documentation list rules without running them,
and the build-log rules (``trtdiag/rules``) follow the same shape so both families can share one registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from trtdiag.findings import Evidence, Finding, Severity
from trtdiag.fixes import modelopt_command
from trtdiag.lint.knowledge import FACT_BY_ID
from trtdiag.lint.model import QdqView
from trtdiag.onnx.compute import ComputeProfile
from trtdiag.onnx.graph import NodeInfo


@dataclass(frozen=True)
class LintContext:
    """Everything a lint rule may look at. ``calibrator_used``: a calibrator or calibration cache was given
    with this model (known from a build log only; False for ``trtdiag lint`` on a model alone)."""

    view: QdqView
    compute: ComputeProfile | None
    model_path: str = "MODEL.onnx"
    calibrator_used: bool = False


@dataclass(frozen=True)
class LintRule:
    id: str
    severity: Severity
    title: str
    explanation: str  # the TensorRT behaviour the cause leads to
    fix: str
    facts: tuple[str, ...]  # ids in trtdiag.lint.knowledge.FACTS
    check: Callable[[LintContext, LintRule], list[Finding]]

    def references(self) -> list[str]:
        return [f"{FACT_BY_ID[f].section}: {FACT_BY_ID[f].statement}" for f in self.facts]


def dedupe(items: Iterable[str]) -> tuple[str, ...]:
    """Order-preserving unique names."""
    return tuple(dict.fromkeys(i for i in items if i))


def gemm_consumers(ctx: LintContext, tensors: Iterable[str]) -> tuple[str, ...]:
    """GEMM/Conv nodes that read any of ``tensors`` (through commuting ops): the MACs a finding affects."""
    names: list[str] = []
    for t in tensors:
        names.extend(n.name for n in ctx.view.real_consumers(t) if _is_gemm(n))
    return dedupe(names)


def _is_gemm(n: NodeInfo) -> bool:
    return n.op_type in ("Conv", "ConvTranspose", "MatMul", "Gemm")


def requantize_command(ctx: LintContext) -> str:
    """ModelOpt's ONNX PTQ places symmetric, per-channel Q/DQ on both inputs of every GEMM. It quantizes a float
    model, so for a model that already has Q/DQ nodes the command names the float export it came from."""
    source = "model.float.onnx" if ctx.view.has_qdq else ctx.model_path
    return modelopt_command(source, ctx.view.graph, None, output="model.qdq.onnx")


def finding(rule: LintRule, ctx: LintContext, *, nodes: Iterable[str], tensors: Iterable[str] = (),
            gemms: Iterable[str] = (), notes: Iterable[str] = (), title: str | None = None,
            severity: Severity | None = None, explanation: str | None = None, fix: str | None = None,
            commands: Iterable[str] = ()) -> Finding:
    """A finding of ``rule`` listing every node and tensor it concerns (never capped: lint output is per node)."""
    node_list, tensor_list, gemm_list = dedupe(nodes), dedupe(tensors), dedupe(gemms)
    share = ctx.compute.share(gemm_list) if ctx.compute is not None and ctx.compute.total_macs else None
    evidence = Evidence(tensors=tensor_list, nodes=node_list, notes=tuple(notes),
                        total_tensors=len(tensor_list), total_nodes=len(node_list))
    return Finding(
        id=rule.id, severity=severity or rule.severity, title=title or rule.title,
        explanation=explanation or rule.explanation, evidence=evidence, fix=fix or rule.fix,
        commands=tuple(commands), gemm_nodes=gemm_list, mac_share=share,
    )
