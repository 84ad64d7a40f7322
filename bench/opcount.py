"""Run a server with a Python opcode counter that a signal switches on and off.

    python bench/opcount.py python -m switchyard.cli router ...   (what opcode_profile.py runs)

SIGRTMIN+3 starts counting (every opcode of every Python frame, by code object and line),
SIGRTMIN+4 stops and writes the counts as JSON to $OPCOUNT_OUT. Tracing slows the server ~30x;
the counts do not depend on the machine's load.
"""

from __future__ import annotations

import collections
import json
import os
import runpy
import signal
import sys
from types import CodeType, FrameType
from typing import Any

OWN: collections.Counter[CodeType] = collections.Counter()
LINES: collections.Counter[tuple[CodeType, int | None]] = collections.Counter()
CALLS: collections.Counter[CodeType] = collections.Counter()


def _local(frame: FrameType, event: str, arg: Any) -> Any:
    if event == "opcode":
        OWN[frame.f_code] += 1
        LINES[(frame.f_code, frame.f_lineno)] += 1
    return _local


def _global(frame: FrameType, event: str, arg: Any) -> Any:
    frame.f_trace_opcodes = True
    frame.f_trace_lines = False
    if event == "call":
        CALLS[frame.f_code] += 1
    return _local


def _name(code: CodeType) -> str:
    where = code.co_filename.split("site-packages/")[-1].split("/switchyard/", 1)[-1]
    return f"{code.co_qualname} {where}"


def _start(*_: object) -> None:
    OWN.clear()
    LINES.clear()
    CALLS.clear()
    sys.settrace(_global)


def _stop(*_: object) -> None:
    sys.settrace(None)
    data = {
        "own": {_name(c): n for c, n in OWN.items()},
        "calls": {_name(c): n for c, n in CALLS.items()},
        "lines": {f"{_name(c)}:{line}": n for (c, line), n in LINES.items()},
    }
    with open(os.environ["OPCOUNT_OUT"], "w") as f:
        json.dump(data, f)


def main() -> None:
    signal.signal(signal.SIGRTMIN + 3, _start)
    signal.signal(signal.SIGRTMIN + 4, _stop)
    argv = sys.argv[2:]  # after the interpreter's own path
    if argv[0] == "-m":
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = argv
        runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
