"""``plugin-without-int8``: plugin or custom layers sit on the warned path.

Optional third-party import: ``onnx.defs`` (lazily, to tell a standard op from a custom one; without
onnx every op counts as known).
"""

from __future__ import annotations

import re

from trtdiag.bulk import names_with
from trtdiag.findings import Finding, Severity
from trtdiag.naming import MappedTensor, tensor_names
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.context import BuildContext
from trtdiag.rules.evidence import evidence, first_lines

_STANDARD_DOMAINS = ("", "ai.onnx", "ai.onnx.ml")
_PLUGIN = re.compile("plugin")  # in lower-case names (see names_with)


def _is_unknown_op(op: str) -> bool:
    try:
        import onnx.defs

        return not onnx.defs.has(op)
    except Exception:
        return False


def _warned_at_plugins(ctx: BuildContext) -> tuple[list[MappedTensor], list[str]]:
    """Warned tensors that a custom-domain or unknown op produces or consumes, and those ops' nodes.
    Without a model: tensors whose names mention a plugin or a plugin event of the log."""
    g = ctx.graph
    warned: list[MappedTensor] = []
    plugin_nodes: list[str] = []
    if g is not None:
        custom = {n.name for n in g.nodes if n.domain not in _STANDARD_DOMAINS or _is_unknown_op(n.op_type)}
        for t in ctx.tensors:
            touched = ({t.onnx_node} if t.onnx_node else set()) | set(t.onnx_consumers)
            if touched & custom:
                warned.append(t)
                plugin_nodes.extend(sorted(touched & custom))
        return warned, plugin_nodes
    names = {e.text for e in ctx.facts.plugins}
    if not names:
        tensors = ctx.tensors
        return [tensors[i] for i in names_with(_PLUGIN, tensor_names(tensors))], plugin_nodes
    warned = [t for t in ctx.tensors if _PLUGIN.search(t.tensor.lower()) or any(t.tensor in n for n in names)]
    return warned, plugin_nodes


def check(ctx: BuildContext) -> Finding | None:
    warned, plugin_nodes = _warned_at_plugins(ctx)
    if not warned:
        return None
    lines = first_lines(warned) + [e.line for e in ctx.facts.plugins]
    return RULE.finding(
        fields={"count": len(warned)},
        evidence=evidence(warned, nodes=plugin_nodes, lines=lines),
        mac_share=ctx.finding_share([]),
    )


RULE = Rule[BuildContext](
    id="plugin-without-int8",
    kind=ContextKind.BUILD,
    severity=Severity.WARNING,
    title="Plugin or custom layers on the warned path have no INT8 implementation",
    summary="plugin/custom layers on the warned path",
    explanation=(
        "{count} warned tensors are produced or consumed by plugin/custom layers. A plugin runs "
        "in INT8 only if it declares INT8 I/O formats in supportsFormatCombination and gets scales "
        "for its tensors; otherwise TensorRT inserts reformats and runs it in FP32/FP16."
    ),
    fix="Give the plugin INT8 support (formats and scales) or surround it with Q/DQ nodes so its neighbours "
    "stay INT8; otherwise keep it in FP16.",
    check=check,
    scope=Scope.ANY,
    scope_reason='a plugin without INT8 support breaks INT8 regions in either mode',
)
