"""Fix commands that start from the user's own build command, and templates marked as such.

A fix is easiest to trust when it is the command the user already ran with only the fix changed: same
shapes, same calibration cache, same engine path. :class:`BuildCommand` parses the trtexec or Polygraphy
command line a log shows (``LogFacts.build.command``) and edits it flag by flag.

Some fixes cannot run as pasted because they need the user's data (a calibration-data script, a
data-loader). Those are *templates*: their text starts with :data:`TEMPLATE_MARK` and what to fill in, so
the JSON documents (``command_blocks``), the HTML report and the tests can tell them from commands that
run as they are (:func:`classify`).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from trtdiag.enums import StrEnum

TEMPLATE_MARK = "# TEMPLATE - fill in: "
#: trtexec options that are about precision or calibration: an explicit (Q/DQ) rebuild drops them.
_IMPLICIT_OPTIONS = ("--int8", "--fp16", "--best", "--bf16", "--calib", "--calibProfile", "--precisionConstraints",
                     "--layerPrecisions", "--layerOutputTypes", "--minShapesCalib", "--optShapesCalib",
                     "--maxShapesCalib")


class CommandKind(StrEnum):
    """``command`` runs as pasted; ``template`` needs the user's data or choices first."""

    COMMAND = "command"
    TEMPLATE = "template"


@dataclass(frozen=True)
class FixCommand:
    """One command block of a finding as the documents describe it."""

    text: str
    kind: CommandKind
    fill: str | None  # for a template: what to fill in

    def to_dict(self) -> dict[str, str | None]:
        return {"text": self.text, "kind": str(self.kind), "fill": self.fill}


def template(text: str, fill: str) -> str:
    """Mark ``text`` as a template whose ``fill`` the user must supply (one line, first)."""
    return f"{TEMPLATE_MARK}{fill}\n{text}"


def classify(text: str) -> FixCommand:
    """The kind of a command block, read from its :data:`TEMPLATE_MARK` line."""
    if text.startswith(TEMPLATE_MARK):
        first, _, _ = text.partition("\n")
        return FixCommand(text, CommandKind.TEMPLATE, first[len(TEMPLATE_MARK):].strip())
    return FixCommand(text, CommandKind.COMMAND, None)


@dataclass(frozen=True)
class BuildCommand:
    """A trtexec or ``polygraphy convert`` command line, as tokens, that fixes edit flag by flag."""

    tokens: tuple[str, ...]

    @classmethod
    def parse(cls, command: str | None) -> BuildCommand | None:
        """The command a log shows, or None when it is no trtexec/Polygraphy command line."""
        if not command:
            return None
        try:
            tokens = shlex.split(command)
        except ValueError:
            tokens = command.split()
        if not tokens:
            return None
        tool = tokens[0].rsplit("/", 1)[-1]
        if tool != "trtexec" and not (tool == "polygraphy" and tokens[1:2] == ["convert"]):
            return None
        return cls(tuple(tokens))

    @property
    def tool(self) -> str:
        return self.tokens[0].rsplit("/", 1)[-1]

    def value(self, option: str) -> str | None:
        """The value of ``--option=value`` (trtexec) or ``--option value`` (Polygraphy)."""
        for i, t in enumerate(self.tokens):
            if t.startswith(option + "="):
                return t.split("=", 1)[1]
            if t == option and i + 1 < len(self.tokens) and not self.tokens[i + 1].startswith("-"):
                return self.tokens[i + 1]
        return None

    def has(self, flag: str) -> bool:
        return flag in self.tokens

    def without(self, *options: str) -> BuildCommand:
        """Drop flags and ``--option=value`` / ``--option value`` occurrences of ``options``."""
        out: list[str] = []
        skip_value = False
        for t in self.tokens:
            if skip_value:
                skip_value = False
                if not t.startswith("-"):
                    continue
            name = t.split("=", 1)[0]
            if name in options:
                skip_value = "=" not in t and self.tool == "polygraphy"
                continue
            out.append(t)
        return BuildCommand(tuple(out))

    def with_flags(self, *flags: str) -> BuildCommand:
        """Add flags (or ``--option=value``) that are not there yet, in order, at the end."""
        have = {t.split("=", 1)[0] for t in self.tokens}
        return BuildCommand(self.tokens + tuple(f for f in flags if f.split("=", 1)[0] not in have))

    def with_model(self, model: str) -> BuildCommand:
        """The same command on another ONNX file."""
        if self.tool == "polygraphy":
            return BuildCommand((self.tokens[0], "convert", model, *self.tokens[3:]))
        return self.without("--onnx").with_value("--onnx", model, first=True)

    def with_value(self, option: str, value: str, *, first: bool = False) -> BuildCommand:
        """Set ``--option=value`` (replacing it when present)."""
        rest = self.without(option).tokens
        item = f"{option}={value}"
        if first:
            return BuildCommand((rest[0], item, *rest[1:]))
        return BuildCommand((*rest, item))

    def explicit(self, quantized: str, strongly_typed: bool) -> BuildCommand:
        """This build on the Q/DQ model: precision and calibration options dropped, shapes and the rest kept."""
        cmd = self.without(*_IMPLICIT_OPTIONS).with_model(quantized)
        return cmd.with_flags("--stronglyTyped") if strongly_typed else cmd.with_flags("--fp16", "--int8")

    def text(self) -> str:
        return shlex.join(self.tokens)


def polygraphy_shapes(base: BuildCommand | None) -> list[str]:
    """trtexec's ``--minShapes/--optShapes/--maxShapes`` (or ``--shapes``) as Polygraphy's
    ``--trt-{min,opt,max}-shapes name:[a,b]`` arguments; empty when the command gives none."""
    if base is None:
        return []
    out: list[str] = []
    for which in ("min", "opt", "max"):
        spec = base.value(f"--{which}Shapes") or base.value("--shapes")
        if not spec:
            return []
        items = []
        for item in spec.split(","):
            name, _, dims = item.rpartition(":")
            items.append(f"{name}:[{','.join(dims.split('x'))}]")
        out += [f"--trt-{which}-shapes", *items]
    return out
