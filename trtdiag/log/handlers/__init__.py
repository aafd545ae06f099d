"""The message families of a TensorRT log, one module each, listed once in :data:`HANDLERS`.

Adding a log message = adding (or extending) one handler module and listing it here: the
scanner's keyword set is derived from the handlers' ``keywords``
(:class:`trtdiag.log.collector.LogCollector`).

Order matters: every candidate line is offered to the handlers in this order until one claims
it, and the build configuration keeps the first statement of a field. The frequent families
(missing scales, parser lines, layer information) come first and claim their lines.
"""

from __future__ import annotations

from collections.abc import Callable

from trtdiag.log.handlers.build_config import BuildConfigHandler
from trtdiag.log.handlers.calibration import CalibrationHandler
from trtdiag.log.handlers.deprecations import DeprecationHandler
from trtdiag.log.handlers.int8_evidence import Int8EvidenceHandler
from trtdiag.log.handlers.layer_info import LayerInfoHandler
from trtdiag.log.handlers.missing_scale import MissingScaleHandler
from trtdiag.log.handlers.outcome import OutcomeHandler
from trtdiag.log.handlers.parser import ParserHandler
from trtdiag.log.handlers.plugins import PluginHandler
from trtdiag.log.handlers.producer import ProducerHandler
from trtdiag.log.handlers.qdq import QdqHandler
from trtdiag.log.handlers.trt11 import Trt11Handler
from trtdiag.log.handlers.trtexec_header import TrtexecHeaderHandler
from trtdiag.log.handlers.version import VersionHandler
from trtdiag.log.state import Handler

#: Handler factories, in dispatch order (one fresh set of handlers per log).
HANDLERS: tuple[Callable[[], Handler], ...] = (
    ProducerHandler,
    Int8EvidenceHandler,  # observes only: before the families that claim their lines
    OutcomeHandler,  # observes only, as above
    MissingScaleHandler,
    ParserHandler,
    LayerInfoHandler,
    TrtexecHeaderHandler,
    VersionHandler,
    BuildConfigHandler,
    CalibrationHandler,
    Trt11Handler,
    DeprecationHandler,
    PluginHandler,
    QdqHandler,
)
