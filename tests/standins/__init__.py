"""Loopback stand-ins for the platforms' send APIs, served by uvicorn on 127.0.0.1.

One Starlette app mounts one route group per platform (`/x`, `/graph`, `/weibo`, `/weibo-fans`,
`/wechat`, `/linkedin`); `serve_standins()` starts it on an ephemeral port and yields the running
stand-ins with their base URL. Each stand-in answers the platform's documented request and error
shapes, counts what it receives, stores what it accepts (so read-backs find it) and follows the
test's script (rate limits, 5xx, expired tokens, closed windows, blocked users, accept then hang).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from tests.standins.graph import GraphStandIn
from tests.standins.linkedin import LinkedInStandIn
from tests.standins.wechat import WeChatStandIn
from tests.standins.weibo import WeiboStandIn
from tests.standins.x import XStandIn


@dataclass
class StandIns:
    x: XStandIn = field(default_factory=XStandIn)
    graph: GraphStandIn = field(default_factory=GraphStandIn)
    weibo: WeiboStandIn = field(default_factory=WeiboStandIn)
    wechat: WeChatStandIn = field(default_factory=WeChatStandIn)
    linkedin: LinkedInStandIn = field(default_factory=LinkedInStandIn)
    url: str = ""

    def app(self) -> Starlette:
        return Starlette(routes=[
            Mount("/x", routes=self.x.routes()),
            Mount("/graph", routes=self.graph.routes()),
            Mount("/weibo-fans", routes=self.weibo.fans_routes()),
            Mount("/weibo", routes=self.weibo.routes()),
            Mount("/wechat", routes=self.wechat.routes()),
            Mount("/linkedin", routes=self.linkedin.routes()),
        ])

    def reset(self) -> None:
        for stand_in in (self.x, self.graph, self.weibo, self.wechat, self.linkedin):
            stand_in.reset()


@contextlib.asynccontextmanager
async def serve_standins() -> AsyncIterator[StandIns]:
    """The stand-ins, listening on 127.0.0.1 at an ephemeral port until the block ends."""
    stand_ins = StandIns()
    server = uvicorn.Server(uvicorn.Config(stand_ins.app(), host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="off", timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises why it could not start
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    stand_ins.url = f"http://127.0.0.1:{port}"
    try:
        yield stand_ins
    finally:
        stand_ins.reset()  # releases hanging requests
        server.should_exit = True
        await task


@contextlib.contextmanager
def standins_in_thread() -> Iterator[StandIns]:
    """The stand-ins on their own event loop in a thread: for tests whose services are processes
    and whose body is synchronous. Their counts are plain lists, read under the GIL."""
    ready: queue.Queue[StandIns | BaseException] = queue.Queue()
    stop = threading.Event()

    async def serve() -> None:
        try:
            async with serve_standins() as stand_ins:
                ready.put(stand_ins)
                await asyncio.to_thread(stop.wait)
        except BaseException as error:  # handed to the test, which raises it
            ready.put(error)

    thread = threading.Thread(target=lambda: asyncio.run(serve()), name="stand-ins", daemon=True)
    thread.start()
    got = ready.get(timeout=30)
    if isinstance(got, BaseException):
        raise got
    try:
        yield got
    finally:
        stop.set()
        thread.join(timeout=10)
