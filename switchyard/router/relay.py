"""Carrying an upstream reply back to the caller: JSON, native SSE, or SSE through a bridge.

Until the first upstream byte is in hand nothing is sent, so failures up to then still fall
back. Afterwards a failure ends the caller's stream with its dialect's error event
(``wire.stream_error``). A native stream is relayed as whole events only, so a malformed event
is never half-forwarded: it is dropped and the stream ends with the error event (BadResponse).
Upstream replies are untrusted input: a translation that trips over a wrong-typed field is a
BadResponse too, never an error of ours.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from aiohttp import web

from switchyard.catalog import Dialect, ErrorClass
from switchyard.wire import (
    MAX_EVENT_BYTES,
    ChatStreamReader,
    SSEEvent,
    SSEParser,
    StreamReader,
    complete_prefix,
    frame,
    reply_ok,
    stream_error,
    upstream_message,
)
from switchyard.wire.eventstream import stream_parser

from .bridges import Bridge, BridgeContext, BridgeUpstreamFailed, StreamTranslator
from .bridges.chat_reader import FromChatChunks
from .dialects import DialectAdapter
from .exchange import Exchange
from .h1 import Response, UpstreamIOError
from .upstream import UpstreamError

SSE_HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
# What a translator raises on a wrong-typed upstream field: the upstream's fault, not ours.
UNTRUSTED = (TypeError, ValueError, KeyError, AttributeError, IndexError)


@dataclass
class Leg:
    """The upstream half of an attempt: how to read and translate what comes back."""

    upstream: DialectAdapter  # the provider's dialect (usage and stream ends are read in it)
    inbound: Dialect
    bridge: Bridge | None
    ctx: BridgeContext | None
    extra_headers: dict[str, str]
    bedrock: bool = False  # the stream arrives in AWS event-stream frames, not SSE
    max_reply_bytes: int = MAX_EVENT_BYTES  # a whole reply, or one stream event (settings)


async def _first_chunk(resp: Response) -> bytes:
    try:
        chunk = await resp.readany()
    except UpstreamIOError as exc:
        raise UpstreamError(exc.error_class) from None
    if not chunk:
        raise UpstreamError(ErrorClass.BAD_RESPONSE)
    return chunk


async def json_reply(
    request: web.Request, resp: Response, leg: Leg, ex: Exchange
) -> tuple[web.Response, str | None]:
    """A whole JSON reply; returns the response and the upstream response id."""
    try:
        raw = await resp.read(leg.max_reply_bytes)
    except UpstreamIOError as exc:
        raise UpstreamError(exc.error_class) from None
    try:
        data = orjson.loads(raw)
    except ValueError:
        raise UpstreamError(ErrorClass.BAD_RESPONSE) from None
    if not reply_ok(leg.upstream.dialect, data):
        raise UpstreamError(ErrorClass.BAD_RESPONSE)
    ex.usage = leg.upstream.usage(data)
    rid = data.get("id") if isinstance(data.get("id"), str) else None
    if leg.bridge is not None and leg.ctx is not None:
        try:
            raw = orjson.dumps(leg.bridge.response(data, leg.ctx))
        except BridgeUpstreamFailed as exc:
            raise UpstreamError(exc.error_class) from None
        except UNTRUSTED:
            raise UpstreamError(ErrorClass.BAD_RESPONSE) from None
    ex.first_byte()
    ex.status = 200
    out = web.Response(body=raw, content_type="application/json", headers=leg.extra_headers)
    return out, rid


class _Relay:
    """One stream's passage: observe every event, forward whole events or translations."""

    def __init__(self, leg: Leg) -> None:
        self.reader: StreamReader = leg.upstream.watcher()
        self.translator: StreamTranslator | None = None
        if leg.bridge is not None and leg.ctx is not None:
            self.translator = leg.bridge.stream(leg.ctx)
        self.parser = stream_parser(leg.bedrock, leg.max_reply_bytes)
        self.reframe = leg.bedrock  # native relay writes the decoded events out as SSE
        # bytes of an event that has not ended yet (native relay), in pieces: a long event
        # arriving in many chunks is joined once; `seam`: the last two of them
        self.pending: list[bytes] = []
        self.seam = b""
        # a native Chat stream: chunks of whole one-line events are observed from their bytes
        reader, parser = self.reader, self.parser
        self.chat: ChatStreamReader | None = None
        self.sse: SSEParser | None = None
        native = self.translator is None
        if native and isinstance(reader, ChatStreamReader) and isinstance(parser, SSEParser):
            self.chat, self.sse = reader, parser
        # a bridged Chat stream: events of text shaped like the last one go straight through
        self.text: FromChatChunks | None = None
        text, chat = self.translator, isinstance(reader, ChatStreamReader)
        if isinstance(text, FromChatChunks) and chat and isinstance(parser, SSEParser):
            self.text, self.sse = text, parser
        # the SSE parser holds nothing (no part of an event): kept after each feed of it, so
        # the per-chunk paths need not ask
        self.quiet = True

    def feed(self, chunk: bytes) -> bytes:
        text, sse = self.text, self.sse
        if text is not None and sse is not None and self.quiet:
            shape = text.shape
            texts = None if shape is None else shape.texts(chunk)
            out = None if texts is None else text.feed_texts(texts)
            if out is not None:  # events of text: neither the reader nor the reading finds more
                return out
            blocks = sse.whole_blocks(chunk)
            if blocks is not None:
                return self._lines(text, blocks)
        chat = self.chat
        # (nothing pending: every byte so far ended an event, so the parser holds nothing)
        if chat is not None and self.sse is not None and not self.pending:
            if chat.same_shape(chunk):  # events like the last plain one: nothing to see
                return chunk
            blocks = self.sse.whole_blocks(chunk)
            if blocks is not None:
                return self._whole(chat, blocks, chunk)
        events = self.parser.feed(chunk)
        if self.sse is not None:
            self.quiet = self.sse.idle()
        return self._pass(events, chunk)

    def flush(self) -> bytes:
        return self._pass(self.parser.flush(), b"")

    @staticmethod
    def _whole(chat: ChatStreamReader, blocks: list[bytes], chunk: bytes) -> bytes:
        """`_pass` for a chunk of whole one-line events (`data: ` blocks): all of it, or the
        events before the first malformed one (framed as `_pass` frames them)."""
        bad = chat.observe_datas(blocks)
        if bad < 0:
            return chunk
        return b"".join(
            frame(SSEEvent(d[6:].decode("utf-8", errors="replace"))) for d in blocks[:bad]
        )

    def _lines(self, text: FromChatChunks, blocks: list[bytes]) -> bytes:
        """`_pass` of a bridged chunk of whole one-line events (`data: ` blocks): a run of
        events of the learned text shape goes to the translator in one step (looked for once
        per shape, as ChatStreamReader.observe_datas does), other events of that shape one
        by one, and the others as `_pass` takes them (and teach the shape)."""
        reader = self.reader
        parts = []
        i, tried = 0, None
        while i < len(blocks):
            block, shape = blocks[i], text.shape
            try:
                if shape is not None and shape is not tried and block.startswith(shape.head):
                    tried = shape
                    run = shape.run(blocks, i)
                    out = None if run is None else text.feed_texts(run[1])
                    if run is not None and out is not None:
                        parts.append(out)
                        i = run[0]
                        continue
                i += 1
                out = text.feed_block(block)
                if out is not None:
                    parts.append(out)
                    continue
                event = SSEEvent(block[6:].decode("utf-8", errors="replace"))
                reader.observe(event)
                if reader.malformed:
                    break
                parts.append(text.feed_line(event))
            except UNTRUSTED:
                reader.malformed = True
                break
        return b"".join(parts)

    def _whole_events(self, chunk: bytes) -> bytes:
        """The bytes up to the last event that ends in `chunk`; the rest is held. Only the
        chunk and the two bytes before it are searched (an event's end may straddle them)."""
        pending = self.pending
        if not pending:
            cut = complete_prefix(chunk)
            buf = chunk
        else:
            seam = self.seam + chunk
            cut = complete_prefix(seam)
            if not cut:
                pending.append(chunk)
                self.seam = seam[-2:]
                return b""
            buf = b"".join((*pending, chunk))
            cut += len(buf) - len(seam)
        rest = buf[cut:]
        self.pending, self.seam = ([rest], rest[-2:]) if rest else ([], b"")
        return buf[:cut]

    def _pass(self, events: list[SSEEvent], chunk: bytes) -> bytes:
        reader, translator = self.reader, self.translator
        if translator is None:
            for i, event in enumerate(events):
                reader.observe(event)
                if reader.malformed:
                    return b"".join(frame(e) for e in events[:i])
            if self.reframe:
                return b"".join(frame(e) for e in events)
            if not chunk:  # end of stream: whatever is left ended with it
                out = b"".join(self.pending)
                self.pending, self.seam = [], b""
                return out
            return self._whole_events(chunk)
        parts = []
        for event in events:
            reader.observe(event)
            if reader.malformed:
                break
            try:
                parts.append(translator.feed(event))
            except UNTRUSTED:
                reader.malformed = True
                break
        return b"".join(parts)

    def fail(self, inbound: Dialect, error_class: ErrorClass) -> bytes:
        message = upstream_message(error_class)
        if self.translator is not None:
            return self.translator.fail(error_class, message)
        return stream_error(inbound, error_class, message, self.reader.next_sequence)


async def stream_reply(
    request: web.Request, resp: Response, leg: Leg, ex: Exchange
) -> tuple[web.StreamResponse, str | None]:
    """Relay (or translate) an SSE stream; returns the response and the upstream response id."""
    if "json" in resp.headers.get("content-type", ""):
        raise UpstreamError(ErrorClass.BAD_RESPONSE)  # asked for a stream, got a document
    chunk = await _first_chunk(resp)
    out = web.StreamResponse(headers={**SSE_HEADERS, **leg.extra_headers})
    await out.prepare(request)
    ex.status = 200
    relay = _Relay(leg)
    reader, translator = relay.reader, relay.translator
    failure: ErrorClass | None = None
    try:
        while chunk and not reader.malformed:
            data = relay.feed(chunk)
            if data:
                ex.first_byte()
                await out.write(data)
            if not reader.malformed:
                chunk = await resp.readany()
        if not reader.malformed:
            await out.write(relay.flush())
        if reader.malformed:
            failure = ErrorClass.BAD_RESPONSE
            await out.write(relay.fail(leg.inbound, failure))
        elif reader.failed:
            failure = ErrorClass.UPSTREAM_ERROR  # the in-band error event was relayed already
        elif not reader.finished:
            failure = ErrorClass.BAD_RESPONSE
            await out.write(relay.fail(leg.inbound, failure))
        elif translator is not None:
            await out.write(translator.finish())
    except UpstreamIOError as exc:
        failure = exc.error_class
        await out.write(relay.fail(leg.inbound, failure))
    except BridgeUpstreamFailed as exc:
        failure = exc.error_class
        await out.write(relay.fail(leg.inbound, failure))
    ex.first_byte()
    ex.usage = translator.usage if translator is not None else reader.usage
    ex.error_class = failure
    await out.write_eof()
    rid = translator.response_id if translator is not None else None
    return out, rid
