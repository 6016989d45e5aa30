"""Load on the class Turing test server: N simulated participants play at once.

Usage:  python benchmarks/turing_load.py [--participants 30] [--rounds 10] [--think 0]
        [--models NAME ...] [--photos 40] [--url http://HOST:PORT --logs DIR]

Without ``--url`` it starts ``python -m colorlib turing-server`` itself on 127.0.0.1
(a free port, a temporary log folder) and stops it with SIGINT at the end, as a
teacher's Ctrl-C does. Each simulated participant does what a browser does, at the
protocol level (no browser: 30 Chromiums would measure Chromium), over the kernel
websocket in Jupyter's v1 protocol as Voilà's pages speak it:

1. fetches the game page (``/voila/render/play.ipynb``): Voilà starts a kernel for it
   and runs the page's notebook before answering; this is the **page load**;
2. opens the kernel's websocket and asks for the widgets' states (ipywidgets' control
   comm), types its name (``sim-07``) into the text box and clicks *Start*;
3. plays ``--rounds`` rounds: clicks *left is real* or *right is real* at random and
   waits for the page to show the next round; click to next round is the **round
   trip** (the answer is on disk by then: the game writes it before it draws the
   next pair); then ``--think`` seconds before the next click (0: at once, the
   hardest load).

All N start together (with ``--url``, pass the server's own ``--rounds``). At the end
every log is read back with :func:`colorlib.turing.read_logs`: the answers recorded
must be N x rounds, one file per participant, or the script exits 1. Printed: the
page loads, the answers recorded per second while everyone plays, the round trips
(median, 95th percentile, slowest), the memory at its peak (the server, and its
kernels) and the load average; then what this machine holds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

ROOT = Path(__file__).resolve().parents[1]
KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


V1 = "v1.kernel.websocket.jupyter.org"
"""The kernel websocket protocol Voilà's pages speak (the server refuses any other)."""


def _frame(channel: str, parts: list[bytes]) -> bytes:
    """A v1 websocket message: the number of offsets and the offsets (8 bytes each,
    little-endian), the channel's name, then the parts (header, parent header,
    metadata, content as JSON, then any buffers)."""
    name = channel.encode("utf-8")
    offsets = [8 * (len(parts) + 3), 8 * (len(parts) + 3) + len(name)]
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    head = [len(offsets).to_bytes(8, "little"), *(o.to_bytes(8, "little") for o in offsets)]
    return b"".join([*head, name, *parts])


def _message(msg_type: str, content: dict, session: str, metadata: dict | None = None):
    """``(msg_id, frame)``: a Jupyter message for the kernel's shell channel."""
    header = {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "sim",
              "session": session, "date": datetime.now(timezone.utc).isoformat(),
              "version": "5.3"}  # fmt: skip
    parts = [json.dumps(x).encode("utf-8") for x in (header, {}, metadata or {}, content)]
    return header["msg_id"], _frame("shell", parts)


def _decode(frame: bytes) -> dict:
    """A v1 websocket message from the kernel: its header, parent header and content."""
    count = int.from_bytes(frame[:8], "little")
    offsets = [int.from_bytes(frame[8 * (k + 1) : 8 * (k + 2)], "little") for k in range(count)]
    parts = [frame[offsets[k] : offsets[k + 1]] for k in range(1, 5)]
    header, parent, _, content = (json.loads(part) for part in parts)
    return {"header": header, "parent_header": parent, "content": content}


class Participant:
    """One simulated participant: a page load, a websocket, clicks and timings (s)."""

    def __init__(self, base: str, name: str, rounds: int, think: float, seed: int) -> None:
        self.base, self.name, self.rounds, self.think = base, name, rounds, think
        self.rng = random.Random(seed)
        self.session = uuid.uuid4().hex
        self.page_load = float("nan")
        self.round_trips: list[float] = []
        self.answered_at: list[float] = []
        self.widgets: dict[str, dict] = {}  # comm id -> state
        self.status = ""
        self.done: set[str] = set()  # ids of the requests the kernel has handled
        self.changed = asyncio.Event()
        self.closed = False  # whether the kernel was shut down as a closed tab does it

    async def play(self) -> None:
        started = time.perf_counter()
        client = AsyncHTTPClient()
        page = await client.fetch(
            HTTPRequest(f"{self.base}/voila/render/play.ipynb", request_timeout=900)
        )
        self.page_load = time.perf_counter() - started
        kernel = KERNEL_ID.search(page.body.decode("utf-8")).group(1)
        cookies = page.headers.get_list("Set-Cookie")
        xsrf = next((c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith("_xsrf=")),
                    None)  # fmt: skip
        ws_base = self.base.replace("http", "ws", 1)
        url = f"{ws_base}/api/kernels/{kernel}/channels?session_id={self.session}"
        self.ws = await websocket_connect(url, max_message_size=64 << 20, subprotocols=[V1])
        reader = asyncio.ensure_future(self._read())
        try:
            # ipywidgets' control comm, opened (and handled) before it is asked for the states
            control = uuid.uuid4().hex
            opened = self._send(
                "comm_open",
                {"comm_id": control, "target_name": "jupyter.widget.control", "data": {}},
                metadata={"version": "1.0.0"},
            )
            await self._until(lambda: True if opened in self.done else None, "comm open")
            self._send("comm_msg", {"comm_id": control, "data": {"method": "request_states"}})
            text = await self._widget(lambda s: s.get("_model_name") == "TextModel")
            start = await self._widget(lambda s: s.get("description") == "Start")
            self._update(text, {"value": self.name})
            self._click(start)
            await self._status(f"Round 1 of {self.rounds}")
            buttons = {
                side: await self._widget(
                    lambda s, side=side: s.get("description") == f"{side} is real"
                )
                for side in ("left", "right")
            }
            for round_ in range(1, self.rounds + 1):
                clicked = time.perf_counter()
                self._click(buttons[self.rng.choice(("left", "right"))])
                await self._status(f"Round {round_ + 1} of" if round_ < self.rounds else "Done")
                self.answered_at.append(time.perf_counter())
                self.round_trips.append(self.answered_at[-1] - clicked)
                if self.think:
                    await asyncio.sleep(self.think)
        finally:
            reader.cancel()
            self.ws.close()
        await self._shut_down(client, kernel, xsrf)

    async def _shut_down(self, client: AsyncHTTPClient, kernel: str, xsrf: str | None) -> None:
        """Close the kernel as a closed browser tab does (Voilà's page posts this, with
        the page's XSRF cookie)."""
        headers = {"X-XSRFToken": xsrf, "Cookie": f"_xsrf={xsrf}"} if xsrf else {}
        request = HTTPRequest(f"{self.base}/voila/api/shutdown/{kernel}", method="POST",
                              body=b"", headers=headers, request_timeout=60)  # fmt: skip
        try:
            self.closed = (await client.fetch(request)).code == 204
        except Exception:  # noqa: BLE001 (refused: the server stops it at the end anyway)
            self.closed = False

    def _send(self, msg_type: str, content: dict, metadata: dict | None = None) -> str:
        msg_id, frame = _message(msg_type, content, self.session, metadata)
        self.ws.write_message(frame, binary=True)
        return msg_id

    def _update(self, comm_id: str, state: dict) -> None:
        self._send(
            "comm_msg",
            {"comm_id": comm_id, "data": {"method": "update", "state": state, "buffer_paths": []}},
        )

    def _click(self, comm_id: str) -> None:
        self._send(
            "comm_msg",
            {"comm_id": comm_id, "data": {"method": "custom", "content": {"event": "click"}}},
        )

    async def _read(self) -> None:
        while True:
            frame = await self.ws.read_message()
            if frame is None:
                return
            msg = _decode(frame)
            kind, content = msg["header"]["msg_type"], msg.get("content", {})
            data = content.get("data", {})
            if kind == "status" and content.get("execution_state") == "idle":
                self.done.add(msg.get("parent_header", {}).get("msg_id"))
            elif kind == "comm_open":
                self.widgets[content["comm_id"]] = dict(data.get("state", {}))
            elif kind == "comm_msg" and data.get("method") == "update_states":
                for comm_id, model in data["states"].items():
                    state = {"_model_name": model.get("model_name"), **model.get("state", {})}
                    self.widgets.setdefault(comm_id, {}).update(state)
            elif kind == "comm_msg" and data.get("method") == "update":
                state = data.get("state", {})
                self.widgets.setdefault(content["comm_id"], {}).update(state)
                if isinstance(state.get("value"), str) and (
                    "Round" in state["value"] or "Done" in state["value"]
                ):
                    self.status = state["value"]
            else:
                continue
            self.changed.set()

    async def _until(self, found, what: str, timeout: float = 600.0):
        deadline = time.perf_counter() + timeout
        while True:
            self.changed.clear()  # before looking: a message arriving after it sets it again
            result = found()
            if result is not None:
                return result
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"{self.name}: no {what} within {timeout:.0f} s")
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def _widget(self, test) -> str:
        return await self._until(
            lambda: next((c for c, s in self.widgets.items() if test(s)), None), "widget"
        )

    async def _status(self, text: str) -> None:
        await self._until(lambda: True if text in self.status else None, repr(text))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class MemoryWatch(threading.Thread):
    """Peak resident memory (MB), sampled each second: of a process itself, and of its
    children (the kernels) together, with their number then."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.stop = pid, threading.Event()
        self.server_mb, self.kernels_mb, self.kernels = 0.0, 0.0, 0

    def run(self) -> None:
        import psutil

        while not self.stop.wait(1.0):
            try:
                parent = psutil.Process(self.pid)
                server = parent.memory_info().rss / 2**20
                kernels = parent.children(recursive=True)
                total = sum(k.memory_info().rss for k in kernels) / 2**20
            except psutil.Error:
                continue
            self.server_mb = max(self.server_mb, server)
            if total > self.kernels_mb:
                self.kernels_mb, self.kernels = total, len(kernels)


def start_server(args, logs: Path) -> tuple[subprocess.Popen, str, Path]:
    port = _free_port()
    out = logs.parent / "server.log"
    command = [
        sys.executable,
        "-m",
        "colorlib",
        "turing-server",
        "--port",
        str(port),
        "--logs",
        str(logs),
        "--rounds",
        str(args.rounds),
        "--photos",
        str(args.photos),
    ]
    if args.models:
        command += ["--models", *args.models]
    process = subprocess.Popen(command, stdout=open(out, "w"), stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            return process, base, out
        except OSError:
            time.sleep(1)
    process.kill()
    sys.exit("the server did not start:\n" + out.read_text()[-2000:])


async def run_class(base: str, participants: int, rounds: int, think: float = 0.0):
    """``participants`` simulated participants playing at once against the server at
    ``base`` (whose game has ``rounds`` rounds); a list of :class:`Participant`. One
    that fails is said on a line and counted in the report."""
    AsyncHTTPClient.configure(None, max_clients=participants + 10)
    people = [Participant(base, f"sim-{k:02d}", rounds, think, seed=k) for k in range(participants)]
    results = await asyncio.gather(*(p.play() for p in people), return_exceptions=True)
    for person, result in zip(people, results, strict=True):
        if isinstance(result, BaseException):
            print(f"{person.name}: failed: {result!r}")
    return people


def report(
    people: list[Participant],
    rows: list[dict] | None,
    files: int | None,
    args,
    memory: MemoryWatch | None,
) -> bool:
    from colorlib.turing_pages import summary_line

    expected = args.participants * args.rounds
    loads = [p.page_load for p in people if p.page_load == p.page_load]
    trips = [t for p in people for t in p.round_trips]
    ends = [t for p in people for t in p.answered_at]
    firsts = [p.answered_at[0] - p.round_trips[0] for p in people if p.answered_at]
    played = max(ends) - min(firsts) if ends else float("nan")
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (1 min) at the end"
    )
    print(
        f"participants: {args.participants} at once, {args.rounds} rounds each, "
        f"think time {args.think:g} s"
    )
    if loads:
        print(
            f"page load (kernel start + page): fastest {min(loads):.1f} s, median "
            f"{statistics.median(loads):.1f} s, slowest {max(loads):.1f} s; kernels shut down "
            f"by their page at the end: {sum(p.closed for p in people)} of {len(people)}"
        )
    print(f"answers acknowledged: {len(trips)} of {expected}")
    if rows is not None:
        print(
            f"answers recorded on disk: {len(rows)} of {expected} in {files} files "
            f"({summary_line(rows)})"
        )
    if trips:
        print(
            f"answers recorded per second while everyone played: {len(trips) / played:.1f} "
            f"({len(trips)} in {played:.1f} s)"
        )
        print(
            f"round trip (click to next round): median {statistics.median(trips):.2f} s, "
            f"95th percentile {_percentile(trips, 0.95):.2f} s, slowest {max(trips):.2f} s"
        )
    if memory is not None:
        print(
            f"memory at its peak: the server {memory.server_mb:,.0f} MB (torch loaded to draw "
            f"the photos), its {memory.kernels} kernels {memory.kernels_mb:,.0f} MB "
            f"({memory.kernels_mb / max(1, memory.kernels):,.0f} MB each)"
        )
    lost = expected - (len(rows) if rows is not None else len(trips))
    if lost == 0 and trips:
        print(
            f"verdict: this {os.cpu_count()}-core machine held {args.participants} "
            f"participants at once with no answer lost; the slowest click waited "
            f"{max(trips):.1f} s for its next photo, the slowest page {max(loads):.0f} s "
            "to open"
        )
    else:
        print(f"verdict: {lost} answers LOST")
    return lost == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="seconds between a round's arrival and the next click",
    )
    parser.add_argument("--models", nargs="+", help="the server's --models (default its own)")
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--url", help="a running server (then --logs is its log folder)")
    parser.add_argument("--logs", help="with --url: the server's --logs, to count what is there")
    args = parser.parse_args()
    process = memory = None
    if args.url:
        base = args.url.rstrip("/")
        logs = Path(args.logs) if args.logs else None
        before = {p.name for p in logs.glob("*.csv")} if logs else set()
    else:
        logs = Path(tempfile.mkdtemp(prefix="turing-load-")) / "logs"
        before = set()
        print("[load] starting the server (photos and models first)...", flush=True)
        process, base, _ = start_server(args, logs)
        memory = MemoryWatch(process.pid)
        memory.start()
    print(f"[load] {args.participants} participants playing against {base}", flush=True)
    people = asyncio.run(run_class(base, args.participants, args.rounds, args.think))
    rows = files = None
    if process is not None:
        memory.stop.set()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=300)
    if logs is not None:
        from colorlib.turing import read_logs

        new = [p for p in sorted(logs.glob("*.csv")) if p.name not in before]
        rows, files = (read_logs(new) if new else []), len(new)
    ok = report(people, rows, files, args, memory)
    if process is not None and ok:
        shutil.rmtree(logs.parent, ignore_errors=True)
    elif process is not None:
        print(f"[load] the logs and the server's output are kept in {logs.parent}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
