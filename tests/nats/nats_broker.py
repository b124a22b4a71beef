"""A real NATS JetStream broker for the tests of tagwired (Debian's
nats-server, installed by scripts/setup), on loopback only.

- Broker(store_dir): not yet started. start() runs
  nats-server with JetStream on a fixed free port and its own store
  directory, so kill() (SIGKILL) and start() again is a broker restart that
  finds its data.
- Broker.stored(subject) reads back everything the broker stored on a
  subject, with a real NATS client (nats-py), as StoredMessage tuples.
- Broker.publish_articles() sends articles to an ingest subject.

The tagwired fixtures (start_server, …) come from tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
from nats.js.api import StreamConfig

NATS_SERVER_CANDIDATES = ("/usr/sbin/nats-server", "/usr/bin/nats-server")
BROKER_START_TIMEOUT = 20.0
READ_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass(frozen=True)
class StoredMessage:
    subject: str
    msg_id: str
    headers: dict[str, str]
    data: bytes


class Broker:
    """One nats-server -js process (see the module docstring)."""

    def __init__(self, store: Path):
        binary = next((c for c in NATS_SERVER_CANDIDATES if os.access(c, os.X_OK)), None)
        binary = binary or shutil.which("nats-server")
        if binary is None:
            pytest.fail("nats-server not found: scripts/setup installs Debian's nats-server")
        self.binary = binary
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.store = store
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.starts += 1
        log = open(self.store.parent / f"nats-server-{self.starts}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [self.binary, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + BROKER_START_TIMEOUT
        while not accepts(self.port):
            if self.process.poll() is not None:
                pytest.fail(f"nats-server exited with {self.process.returncode}: {self.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"nats-server did not listen within {BROKER_START_TIMEOUT}s")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: the broker vanishes without a goodbye."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def log(self) -> str:
        path = self.store.parent / f"nats-server-{self.starts}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    # -- reading and writing with a real client ------------------------------

    def run(self, coroutine_function, *args):
        """Runs `coroutine_function(js, *args)` on a fresh connection."""

        async def main():
            nc = await nats.connect(self.url, connect_timeout=5, max_reconnect_attempts=0)
            try:
                return await coroutine_function(nc.jetstream(), *args)
            finally:
                await nc.close()

        return asyncio.run(main())

    def stream_info(self, stream: str):
        async def info(js):
            return await js.stream_info(stream)

        return self.run(info)

    def add_stream(self, name: str, subjects: list[str], **config) -> None:
        async def add(js):
            await js.add_stream(StreamConfig(name=name, subjects=subjects, **config))

        self.run(add)

    def stored(self, subject: str, stream: str = "TAGWIRE_TAGGED") -> list[StoredMessage]:
        """Every message the broker has stored on `subject`, in stream order.
        The count comes from the broker first, so a slow fetch on a loaded
        machine is waited for (up to READ_TIMEOUT), never mistaken for the
        end of the stream."""

        async def read(js):
            info = await js.stream_info(stream, subjects_filter=subject)
            total = (info.state.subjects or {}).get(subject, 0)
            out: list[StoredMessage] = []
            if total == 0:
                return out
            sub = await js.pull_subscribe(subject, durable=None, stream=stream)
            deadline = time.monotonic() + READ_TIMEOUT
            while len(out) < total:
                try:
                    batch = await sub.fetch(min(1000, total - len(out)), timeout=2)
                except nats.errors.TimeoutError:
                    if time.monotonic() > deadline:
                        raise AssertionError(
                            f"read {len(out)} of the {total} messages on {subject} "
                            f"within {READ_TIMEOUT}s"
                        ) from None
                    continue
                for message in batch:
                    headers = dict(message.headers or {})
                    out.append(
                        StoredMessage(
                            message.subject, headers.get("Nats-Msg-Id", ""), headers, message.data
                        )
                    )
                    await message.ack()
            await sub.unsubscribe()
            return out

        return self.run(read)

    def publish_articles(
        self, subject: str, payloads: Iterable[tuple[str, bytes, dict[str, str]]]
    ) -> int:
        """Publishes (msg_id, data, headers) to `subject` through JetStream,
        each acknowledged by the broker; returns how many were stored."""

        async def publish(js):
            stored = 0
            pending = []
            for msg_id, data, headers in payloads:
                pending.append(
                    js.publish(subject, data, headers={"Nats-Msg-Id": msg_id, **headers})
                )
                if len(pending) == 256:
                    stored += sum(1 for ack in await asyncio.gather(*pending) if not ack.duplicate)
                    pending.clear()
            if pending:
                stored += sum(1 for ack in await asyncio.gather(*pending) if not ack.duplicate)
            return stored

        return self.run(publish)
