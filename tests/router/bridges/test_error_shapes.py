"""One error shape per class per dialect on every path: a bridged stream ends with exactly the
event a native stream of the caller's dialect ends with (wire.stream_error), and that event's
type is the one the JSON error of the same class carries."""

from __future__ import annotations

import orjson
import pytest

from switchyard.catalog import BRIDGES, BridgeDirection, Dialect, ErrorClass
from switchyard.router.bridges import BridgeContext, counting_ids, get_bridge
from switchyard.wire import SSEParser, error_body, stream_error, upstream_message

INBOUND = {direction: inbound for (inbound, _), direction in BRIDGES.items()}


def _ctx() -> BridgeContext:
    return BridgeContext("up", "g", None, ids=counting_ids(), clock=lambda: 1767225600)


def _last_event(raw: bytes) -> object:
    events = SSEParser().feed(raw)
    return orjson.loads(events[-1].data)


@pytest.mark.parametrize("error_class", list(ErrorClass))
@pytest.mark.parametrize("direction", list(INBOUND))
def test_bridged_stream_error_is_the_native_one(
    direction: BridgeDirection, error_class: ErrorClass
) -> None:
    inbound = INBOUND[direction]
    message = upstream_message(error_class)
    translator = get_bridge(direction).stream(_ctx())
    bridged = _last_event(translator.fail(error_class, message))
    native = _last_event(stream_error(inbound, error_class, message))
    if inbound is Dialect.OPENAI_RESPONSES:  # only the running sequence number differs
        assert isinstance(bridged, dict) and isinstance(native, dict)
        bridged.pop("sequence_number")
        native.pop("sequence_number")
    assert bridged == native


@pytest.mark.parametrize("error_class", list(ErrorClass))
@pytest.mark.parametrize("dialect", list(Dialect))
def test_stream_event_type_matches_the_json_error(
    dialect: Dialect, error_class: ErrorClass
) -> None:
    body = error_body(dialect, error_class, "m")
    event = _last_event(stream_error(dialect, error_class, "m"))
    assert isinstance(event, dict)
    if dialect is Dialect.OPENAI_RESPONSES:
        assert event["type"] == "error" and event["code"] == error_class.value
    else:
        assert event == body
