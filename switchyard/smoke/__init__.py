"""Capability probes: direct and router-layer smokes whose rows become catalog evidence.

The operator's smoke Jobs run ``switchyard probe ... --output compact`` and read the pod's
termination message back with :func:`decode_compact` (format documented in
``switchyard.smoke.compact``).
"""

from .access import classify_exception
from .compact import CompactEvidence, CompactTooLargeError, decode_compact, encode_compact
from .image import text_png
from .payload import LargePayloadShape, build_large_payload, tool_schemas
from .report import Naming, report_document, smokerun_document
from .runner import DialectReport, ProbeReport, ProbeTarget, probe_dialect, run_probes
from .tasks import TASKS, ProbeOptions

__all__ = [
    "TASKS",
    "CompactEvidence",
    "CompactTooLargeError",
    "DialectReport",
    "LargePayloadShape",
    "Naming",
    "ProbeOptions",
    "ProbeReport",
    "ProbeTarget",
    "build_large_payload",
    "classify_exception",
    "decode_compact",
    "encode_compact",
    "probe_dialect",
    "report_document",
    "run_probes",
    "smokerun_document",
    "text_png",
    "tool_schemas",
]
