"""A bare aiohttp pass-through proxy: the baseline the router is measured against.

Same server stack as the router (aiohttp + uvloop, one pooled ClientSession), none of the
routing work: it forwards the body to UPSTREAM + path and returns what comes back; an SSE reply
is passed through chunk by chunk as it arrives.
"""

from __future__ import annotations

import argparse

import aiohttp
import uvloop
from aiohttp import web

CLIENT = web.AppKey("client", aiohttp.ClientSession)
UPSTREAM = web.AppKey("upstream", str)
SSE = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}


async def forward(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    url = request.app[UPSTREAM] + request.path
    headers = {"Content-Type": "application/json", "Authorization": "Bearer bench"}
    async with request.app[CLIENT].post(url, data=body, headers=headers) as resp:
        if resp.content_type == "text/event-stream":
            out = web.StreamResponse(status=resp.status, headers=SSE)
            await out.prepare(request)
            async for chunk in resp.content.iter_any():
                await out.write(chunk)
            await out.write_eof()
            return out
        data = await resp.read()
        return web.Response(body=data, status=resp.status, content_type="application/json")


async def _client(app: web.Application):  # type: ignore[no-untyped-def]
    app[CLIENT] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=512))
    yield
    await app[CLIENT].close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    app = web.Application()
    app[UPSTREAM] = args.upstream.rstrip("/")
    app.cleanup_ctx.append(_client)
    app.router.add_post("/{tail:.*}", forward)
    uvloop.install()
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
