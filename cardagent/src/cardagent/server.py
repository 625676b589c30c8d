"""The WebSocket side: 127.0.0.1 only, and only for the portal origins it was told to trust.

A browser sends the page's origin with every WebSocket handshake; a hostile page elsewhere on the web (or on
this PC) could otherwise drive the card as the user's own portal does. The allow-list is checked before the
handshake completes, and a handshake without an Origin (not a browser) is refused too unless allowed.
"""
import asyncio
import json
import logging
from http import HTTPStatus

from websockets.asyncio.server import serve

from .protocol import Agent, BadRequest, open_frame, reply

log = logging.getLogger("cardagent")
HOST = "127.0.0.1"  # never configurable: the card must not be reachable from the network
DEFAULT_PORT = 61232
DEFAULT_ORIGINS = ("http://127.0.0.1:8000", "http://localhost:8000")
MAX_FRAME = 64 * 1024


def normalise_origin(origin):
    return origin.strip().rstrip("/").lower()


class AgentServer:
    def __init__(self, card_path, *, port=DEFAULT_PORT, origins=DEFAULT_ORIGINS, allow_no_origin=False):
        self.agent = Agent(card_path)
        self.port = port
        self.origins = {normalise_origin(o) for o in origins if o.strip()}
        self.allow_no_origin = allow_no_origin
        self.server = None

    def _check_origin(self, connection, request):
        # Every Origin header, not .get(): with two of them .get() raises (a 500) and no browser sends two,
        # so more than one is refused like a foreign origin.
        origins = request.headers.get_all("Origin")
        if not origins and self.allow_no_origin:
            return None
        if len(origins) == 1 and normalise_origin(origins[0]) in self.origins:
            return None
        log.warning("refused origin %s: not one of the portal origins %s", ", ".join(origins) or "(none)",
                    ", ".join(sorted(self.origins)))
        return connection.respond(HTTPStatus.FORBIDDEN, "This page's origin may not use the e-port card.\n")

    async def _session(self, websocket):
        await websocket.send(json.dumps(open_frame(), ensure_ascii=False))
        async for frame in websocket:
            if isinstance(frame, bytes):
                answer = reply(None, None, False, error=[BadRequest.message, BadRequest.code])
            else:
                answer = await asyncio.to_thread(self.agent.handle, frame)
            await websocket.send(json.dumps(answer, ensure_ascii=False))

    async def start(self):
        self.server = await serve(
            self._session, HOST, self.port, process_request=self._check_origin, max_size=MAX_FRAME,
            ping_interval=None,
        )
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def addresses(self):
        return [sock.getsockname()[:2] for sock in self.server.sockets]

    async def close(self):
        self.server.close()
        await self.server.wait_closed()

    async def serve_forever(self):
        await self.server.serve_forever()
