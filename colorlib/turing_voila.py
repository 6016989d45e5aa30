"""Voilà's kernel websocket, guarded, for ``python -m colorlib turing-server``.

Voilà 0.5.13's kernel websocket handler reads the header of every binary message it
sends as if the client spoke Jupyter's ``v1.kernel.websocket.jupyter.org`` protocol.
A client that asks for no protocol gets the older ("legacy") framing instead, and the
first binary message (here: the picture of a round) makes the handler build a list
of some billions of offsets: the whole server freezes for every participant, and
its memory grows by gigabytes. Voilà's own pages always ask for v1; only a script
can ask for nothing. :class:`V1KernelConnection` refuses such a connection (HTTP
400) before the websocket opens, so a curious participant cannot stop the class.

The server passes it as ``--Voila.kernel_websocket_connection_class``.

:func:`give_xsrf_cookie` is the server's ``VoilaConfiguration.prelaunch_hook``: a page
closed in the browser asks Voilà to shut its kernel down, and that request needs the
XSRF cookie, which Voilà 0.5.13 sets on its folder listing only; a participant who
opens the game's URL directly would otherwise leave a kernel running until it is
culled.
"""

from __future__ import annotations

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
from tornado import web

__all__ = ["V1", "V1KernelConnection", "give_xsrf_cookie"]

V1 = "v1.kernel.websocket.jupyter.org"
"""The kernel websocket protocol Voilà's pages speak (and the only one allowed here)."""


class V1KernelConnection(ZMQChannelsWebsocketConnection):
    """A kernel websocket connection that requires the :data:`V1` protocol."""

    async def prepare(self) -> None:
        """Refuse (HTTP 400, before the websocket opens) a client that does not offer
        :data:`V1` in its ``Sec-WebSocket-Protocol`` header."""
        handler = self.websocket_handler
        offered = handler.request.headers.get("Sec-WebSocket-Protocol", "")
        if V1 not in {name.strip() for name in offered.split(",")}:
            handler.set_status(400)  # Finish, not HTTPError: Voilà's error page would fail
            raise web.Finish(f"this server speaks the {V1} kernel protocol only\n")
        await super().prepare()


def give_xsrf_cookie(request_handler: web.RequestHandler, notebook: object, cwd: str) -> None:
    """Voilà's prelaunch hook: set the page's ``_xsrf`` cookie (tornado sets it when the
    token is first read, before the page is sent). Returns None: the notebook is kept."""
    request_handler.xsrf_token  # noqa: B018 (read for its effect)
