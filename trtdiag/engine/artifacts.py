"""The registry of engine artifact formats, and reading an artifact set with it.

Why a registry: which format a file holds is judged by its content (names lie: a JSON export
saved as ``.log`` is common), and each format fills one slot of :class:`EngineArtifacts`. Adding
a format is one module in ``trtdiag/engine/formats`` (``FORMAT``, ``sniff``, ``read``), one line in
:data:`FORMATS` and one sample in ``tests/engine_samples`` (the contract test
``tests/test_engine_artifacts.py`` runs over the registry).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from trtdiag.engine.formats import (
    dump_profile,
    gpu_listing,
    layer_detailed,
    layer_lines,
    layers_json,
    perf_summary,
    polygraphy,
    profile_json,
    times_json,
    trex_metadata,
)
from trtdiag.engine.formats.section import (
    LayerSection,
    LayerSectionParser,
    LineConsumer,
    read_newest_section,
    read_sections,
)
from trtdiag.engine.model import EngineLayers, EngineProfile, FormatId, InferenceTimes, PerfSummary
from trtdiag.engine.summary import EngineArtifacts
from trtdiag.errors import InputError
from trtdiag.io.files import looks_binary, read_head

Artifact = EngineLayers | EngineProfile | PerfSummary | InferenceTimes


class Role(Enum):
    """The slot of :class:`EngineArtifacts` a format fills."""

    LAYERS = "layers"
    PROFILE = "profile"
    PERF = "perf"
    TIMES = "times"


#: The type :attr:`ArtifactFormat.read` returns for each role.
ROLE_TYPES: dict[Role, type] = {Role.LAYERS: EngineLayers, Role.PROFILE: EngineProfile, Role.PERF: PerfSummary,
                                Role.TIMES: InferenceTimes}


@dataclass(frozen=True)
class ArtifactFormat:
    """One registered format.

    ``priority``: files are read in increasing priority, and the first file that fills a slot
    wins; dedicated JSON exports are more detailed than what a log prints (Metadata, formats), so
    they come first. ``strict``: a read error is reported in the notes (a dedicated export that
    cannot be read is worth telling); optional content (anything a log may or may not hold, TREx
    metadata without a summary) fails silently. ``section``: the grammar of a text layer listing;
    all registered grammars are read together in one pass, so the last listing of a log wins
    whatever its grammar.
    """

    id: FormatId
    role: Role
    priority: int
    sniff: Callable[[bytes], bool]
    read: Callable[[Path], Artifact]
    strict: bool = False
    section: type[LayerSection] | None = None
    consumer: Callable[[str], LineConsumer] | None = None

    @property
    def keywords(self) -> tuple[bytes, ...]:
        """Markers of a text format's lines (see :func:`trtdiag.io.scan.scan_marked_lines`); empty for JSON."""
        if self.section is not None:
            return self.section.keywords
        return self.consumer("").keywords if self.consumer is not None else ()


FORMATS: tuple[ArtifactFormat, ...] = (
    ArtifactFormat(FormatId.LAYERS_JSON, Role.LAYERS, 0, layers_json.sniff, layers_json.read, strict=True),
    ArtifactFormat(FormatId.PROFILE_JSON, Role.PROFILE, 1, profile_json.sniff, profile_json.read, strict=True),
    ArtifactFormat(FormatId.TIMES_JSON, Role.TIMES, 2, times_json.sniff, times_json.read, strict=True),
    ArtifactFormat(FormatId.TREX_METADATA, Role.PERF, 3, trex_metadata.sniff, trex_metadata.read),
    ArtifactFormat(FormatId.LAYER_LINES, Role.LAYERS, 4, layer_lines.sniff, layer_lines.read,
                   section=layer_lines.LayerLinesSection),
    ArtifactFormat(FormatId.LAYER_DETAILED, Role.LAYERS, 4, layer_detailed.sniff, layer_detailed.read,
                   section=layer_detailed.DetailedSection),
    ArtifactFormat(FormatId.GPU_LISTING, Role.LAYERS, 4, gpu_listing.sniff, gpu_listing.read,
                   section=gpu_listing.GpuListingSection),
    ArtifactFormat(FormatId.POLYGRAPHY, Role.LAYERS, 4, polygraphy.sniff, polygraphy.read,
                   section=polygraphy.PolygraphySection),
    ArtifactFormat(FormatId.DUMP_PROFILE, Role.PROFILE, 4, dump_profile.sniff, dump_profile.read,
                   consumer=dump_profile.DumpProfileConsumer),
    ArtifactFormat(FormatId.PERF_SUMMARY, Role.PERF, 4, perf_summary.sniff, perf_summary.read,
                   consumer=perf_summary.PerfSummaryConsumer),
)

#: Every text layer-listing grammar, in the order a line is offered to them.
LOG_GRAMMARS: tuple[type[LayerSection], ...] = tuple(f.section for f in FORMATS if f.section is not None)


def log_consumers(source: str) -> list[LineConsumer]:
    """Line consumers for every text format, to be fed from one scan of a build log: one parser for
    all layer-listing grammars, then one consumer per other text format."""
    return [LayerSectionParser(source, LOG_GRAMMARS),
            *(f.consumer(source) for f in FORMATS if f.consumer is not None)]


def formats_of_head(head: bytes) -> tuple[ArtifactFormat, ...]:
    """The formats whose sniffer accepts a file head (text logs match every text format)."""
    return tuple(f for f in FORMATS if f.sniff(head))


def sniff_file(path: str | os.PathLike[str]) -> tuple[ArtifactFormat, ...]:
    """The formats a file may hold, judged by its content; empty for an empty, binary or other file.

    InputError only when the file does not exist or is a directory.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"file not found: {p}")
    if p.is_dir():
        raise InputError(f"expected a file but got a directory: {p}")
    if p.stat().st_size == 0:
        return ()
    head = read_head(p, 65536)
    if not head or looks_binary(head):
        return ()
    return formats_of_head(head)


def read_log_layer_sections(path: str | os.PathLike[str]) -> list[EngineLayers]:
    """Every layer listing of a text log, whatever its grammar, in order."""
    return read_sections(path, LOG_GRAMMARS)


def _collect(files: list[Path], scanned: LogScan | None = None
             ) -> list[tuple[tuple[ArtifactFormat, ...] | None, Path]]:
    """Each file with its formats, ordered by priority (stable: the given order breaks ties).

    The file ``scanned`` already read gets ``None`` for formats and the priority of a text log,
    without being opened again.
    """
    text_priority = min(f.priority for f in FORMATS if f.section is not None)
    sniffed: list[tuple[tuple[ArtifactFormat, ...] | None, Path, int]] = []
    for f in files:
        if scanned is not None and _same_file(f, scanned.path):
            sniffed.append((None, f, text_priority))
        else:
            formats = sniff_file(f)
            sniffed.append((formats, f, min((x.priority for x in formats), default=9)))
    return [(formats, f) for formats, f, _ in sorted(sniffed, key=lambda e: e[2])]


#: The words of the notes that say which of several engines, builds or runs an input held was used.
CHOSE_LAST = " found; the last one"
NOT_USED = ": not used: "


def is_choice_note(note: str) -> bool:
    """Does ``note`` say that an input held several engines/builds/runs, or a file was passed over? Those are
    never only in the report: ``compare`` prints them too (several builds are never merged silently)."""
    return CHOSE_LAST in note or NOT_USED in note


def listing_note(name: str, listings: int, last: EngineLayers | None, build: int | None = None) -> str | None:
    """Say that a file held several layer listings (two engines, or one engine printed twice) and
    which one is used: keeping only the last without a word would compare the wrong engine silently.
    ``build``: the used listing is that of this build of a log, not the last one (trtdiag/log_pass.py)."""
    if listings < 2 or last is None:
        return None
    first_line = next((layer.line for layer in last.layers if layer.line is not None), None)
    where = f" (from line {first_line})" if first_line is not None else ""
    which, others = (CHOSE_LAST, "earlier") if build is None else (f" found; the one of build {build}", "other")
    return (f"{name}: {listings} engine layer listings{which}{where}, "
            f"{len(last.layers)} layers, is used and {listings - 1} {others} listing(s) are ignored")


def summaries_note(name: str, count: int, what: str) -> str | None:
    """The same for profile tables and performance summaries (one per trtexec run)."""
    if count < 2:
        return None
    return f"{name}: {count} {what}{CHOSE_LAST} is used and {count - 1} earlier one(s) are ignored"


def _read_file(formats: tuple[ArtifactFormat, ...], f: Path, found: dict[Role, Artifact], notes: list[str]) -> None:
    """Fill the empty slots of ``found`` from one file."""
    grammars = tuple(x.section for x in formats if x.section is not None)
    done_layers = False
    for fmt in formats:
        if fmt.role in found:
            continue
        try:
            if fmt.section is not None:
                if done_layers:
                    continue
                done_layers = True
                last, listings = read_newest_section(f, grammars)
                if last is not None:
                    found[fmt.role] = last
                    notes.extend(n for n in (listing_note(f.name, listings, last),) if n)
            elif fmt.id is FormatId.PERF_SUMMARY:  # every summary, to say how many runs the file held
                summaries = perf_summary.read_all(f)
                if summaries:
                    found[fmt.role] = summaries[-1]
                    notes.extend(n for n in (summaries_note(f.name, len(summaries), "performance summaries"),) if n)
            else:
                found[fmt.role] = fmt.read(f)
                notes.extend(n for n in (_artifact_note(f.name, found[fmt.role]),) if n)
        except InputError as exc:
            if fmt.strict:
                notes.append(f"{f.name}: {exc}")


def _duplicate_note(f: Path, formats: tuple[ArtifactFormat, ...], found: dict[Role, Artifact]) -> str | None:
    """A file of a single-purpose format (layer/profile/times JSON) whose slot an earlier file filled: a folder
    holding two builds' exports. Say which file is used rather than ignoring the second one silently. (Text
    logs may hold anything and are read for what is still missing; their several listings get
    :func:`listing_note`.)"""
    if any(fmt.section is not None or fmt.id is FormatId.PERF_SUMMARY for fmt in formats):
        return None
    roles = [fmt.role for fmt in formats if fmt.role in found]
    if not roles or len(roles) < len(formats):
        return None
    used = sorted({Path(str(getattr(found[r], "source", "") or "another file")).name for r in roles})
    what = ", ".join(sorted({r.value for r in roles}))
    return (f"{f.name}{NOT_USED}{', '.join(used)} already gave this engine's {what} "
            "(several builds' exports in one folder? give each build's files separately)")


def _artifact_note(name: str, artifact: Artifact) -> str | None:
    if isinstance(artifact, EngineProfile):
        return summaries_note(name, artifact.runs, "per-layer profile tables")
    return None


class LogScan:
    """The text-format consumers of one build log, fed from that log's single scan.

    Why: when the build log is also an engine artifact (the INT8 side of ``analyze``), reading it a
    second time for its layer listing, profile and performance summary would double the cost on
    multi-gigabyte verbose logs. Pass :attr:`consumers` to
    :func:`trtdiag.log.collector.read_log` (``extra_consumers``), then hand this object to
    :func:`load_artifacts` (``scanned``) in place of re-reading the file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        source = str(path)
        self._layers = LayerSectionParser(source, LOG_GRAMMARS, keep_last=True)
        self._profile = dump_profile.DumpProfileConsumer(source)
        self._perf = perf_summary.PerfSummaryConsumer(source)
        self._found: dict[Role, Artifact] | None = None
        self.notes: list[str] = []

    @property
    def consumers(self) -> tuple[LineConsumer, ...]:
        return (self._layers, self._profile, self._perf)

    def found(self) -> dict[Role, Artifact]:
        """What the scan found, by slot (the last listing, table and summary of the log)."""
        if self._found is None:
            found: dict[Role, Artifact] = {}
            name = self.path.name
            sections = self._layers.finish()
            if sections:
                found[Role.LAYERS] = sections[-1]
            profile = self._profile.finish()
            if profile is not None:
                found[Role.PROFILE] = profile
            summaries = self._perf.finish()
            if summaries:
                found[Role.PERF] = summaries[-1]
            notes = (listing_note(name, self._layers.listings, sections[-1] if sections else None),
                     summaries_note(name, profile.runs, "per-layer profile tables") if profile else None,
                     summaries_note(name, len(summaries), "performance summaries"))
            self.notes = [n for n in notes if n]
            self._found = found
        return self._found

    def artifacts(self, label: str) -> EngineArtifacts | None:
        """What the scan found as an engine artifact set (the engine the log built), None when the log
        printed no layer listing and no profile table."""
        found = self.found()
        layers, profile, perf = found.get(Role.LAYERS), found.get(Role.PROFILE), found.get(Role.PERF)
        assert layers is None or isinstance(layers, EngineLayers)
        assert profile is None or isinstance(profile, EngineProfile)
        assert perf is None or isinstance(perf, PerfSummary)
        if layers is None and profile is None:
            return None
        return EngineArtifacts(label, layers, profile, perf, None, (str(self.path),), tuple(self.notes))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or a.samefile(b)
    except OSError:
        return False


def load_artifacts(paths: list[str | os.PathLike[str]], label: str, scanned: LogScan | None = None) -> EngineArtifacts:
    """Read an artifact set: files or folders of layer info, profiles, perf summaries, exportTimes, logs.

    A file that ``scanned`` already read (the build log, in ``analyze``) is not opened again.
    """
    files: list[Path] = []
    for p in map(Path, paths):
        if not p.exists() and not (scanned is not None and _same_file(p, scanned.path)):  # "-": the scanned stdin
            raise InputError(f"{label} artifact not found: {p}")
        files.extend(sorted(f for f in p.iterdir() if f.is_file()) if p.is_dir() else [p])
    found: dict[Role, Artifact] = {}
    notes: list[str] = []
    for formats, f in _collect(files, scanned):
        if formats is None and scanned is not None:  # the scanned log: what its scan found, no second read
            for role, artifact in scanned.found().items():
                found.setdefault(role, artifact)
            notes.extend(scanned.notes)
        elif not formats:
            notes.append(f"{f.name}: not used (not a recognised artifact)")
        else:
            notes.extend(n for n in (_duplicate_note(f, formats, found),) if n)
            _read_file(formats, f, found, notes)
    if not found:
        raise InputError(f"no engine layer information, profile or performance summary found in the {label} "
                         f"artifacts ({', '.join(str(f) for f in files)})")
    layers, profile = found.get(Role.LAYERS), found.get(Role.PROFILE)
    perf, times = found.get(Role.PERF), found.get(Role.TIMES)
    assert layers is None or isinstance(layers, EngineLayers)
    assert profile is None or isinstance(profile, EngineProfile)
    assert perf is None or isinstance(perf, PerfSummary)
    assert times is None or isinstance(times, InferenceTimes)
    notes.extend(f"{Path(a.source).name}: {a.read_note}" for a in (layers, profile) if a is not None and a.read_note)
    if profile is not None and profile.dropped_timings:
        notes.append(f"{Path(profile.source).name}: {profile.dropped_timings} layer timings were not finite "
                     "non-negative numbers (NaN, Infinity, negative) and were left out")
    return EngineArtifacts(label, layers, profile, perf, times, tuple(str(f) for f in files), tuple(notes))

