"""``model-log-mismatch``: the ONNX model given is not the one the log was built from."""

from __future__ import annotations

from trtdiag.commands import BuildCommand, template
from trtdiag.findings import Finding, Severity
from trtdiag.naming import BY_NONE, PARSER_HELPER, UNNAMED_LAYER
from trtdiag.rules.base import ContextKind, Rule, Scope
from trtdiag.rules.build_traits import q
from trtdiag.rules.context import BuildContext
from trtdiag.rules.evidence import evidence, first_lines


def _rerun(ctx: BuildContext) -> str:
    """trtdiag again on this log with the model the build command names, else a template."""
    cmd = BuildCommand.parse(ctx.facts.build.command)
    onnx = cmd.value("--onnx") if cmd is not None and cmd.tool == "trtexec" else None
    log = q(ctx.facts.read.path)
    if onnx:
        return f"trtdiag analyze {log} {q(onnx)} -o report.html"
    return template(f"trtdiag analyze {log} MODEL.onnx -o report.html",
                    "MODEL.onnx: the ONNX file your build script gave the parser")


def check(ctx: BuildContext) -> Finding | None:
    m = ctx.mapping
    if not m.mismatch:
        return None
    unmapped = ctx.mapping.select(lambda m: m.mapped_by == BY_NONE and m.cls not in (PARSER_HELPER, UNNAMED_LAYER))
    return RULE.finding(
        fields={"reason": m.mismatch_reason},
        evidence=evidence(unmapped, lines=first_lines(unmapped)),
        commands=(_rerun(ctx),),
        mac_share=ctx.finding_share([]),
    )


RULE = Rule[BuildContext](
    id="model-log-mismatch",
    kind=ContextKind.BUILD,
    severity=Severity.ERROR,
    title="The ONNX model given is not the one this log was built from",
    summary="the ONNX model given is not the one the log was built from",
    explanation=(
        "{reason}. Every mapping below (ONNX nodes, blocks, sub-modules, compute shares) is therefore unreliable. "
        "Pass the exact .onnx file the engine was built from (after any simplification or re-export)."
    ),
    fix="Re-run trtdiag with the ONNX file named in the build command (trtexec --onnx=..., or the path your "
    "script passed to the ONNX parser).",
    check=check,
    scope=Scope.ANY,
    scope_reason='a model that does not match its log is wrong in either mode',
)
