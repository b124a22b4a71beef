"""Fixtures for the tests that run the real tagwired binary, started on
127.0.0.1 port 0: the server's own integration tests (tests/service, driven
through the raw grpcio stubs) and the Python client's (tests/clients).

- The tagwire.v1 Python code is the one committed in clients/python/src
  (scripts/gen-proto), put first on sys.path when pytest starts, so test
  modules simply `from tagwire.v1 import tagging_service_pb2`.
- `start_server(**flags)` (function scope) and `start_module_server(**flags)`
  (module scope) start a Tagwired: a process whose JSON log lines are read as
  they come, so tests wait for events ("listening", "serving",
  "taxonomy_reloaded", "stopped"…) instead of sleeping, with a bound on every
  wait. A flag given as None is left out; True/False become true/false.
- Tagwired.open_stream() drives a TagStream from the test (send, recv with a
  timeout, half-close, cancel), Tagwired.subscribe() a Subscribe call;
  `wait_until` polls a condition with a bound, for state only visible through
  polling (server stats).
- Helpers and constants (wait_until, check_tagged, RPC_TIMEOUT…) are imported
  by the test modules with `from conftest import …` (pytest's default
  "prepend" import mode puts this directory on sys.path).

Run with: .venv/bin/python -m pytest tests/service tests/clients --tagwired build/service/tagwired
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLIENT_SOURCE = ROOT / "clients" / "python" / "src"
EXAMPLES_DIR = ROOT / "examples"
STARTER_TAXONOMY = ROOT / "data" / "starter.jsonl"
DEFAULT_TAXONOMY = ROOT / "data" / "default.jsonl.gz"

# The service tests are about the service, so their servers load the small
# starter taxonomy (fast to compile, stable concept counts) unless a test says
# otherwise; tests of the default taxonomy itself unset this (test_startup.py,
# tests/deploy) and bench/eval.py measures its quality.
os.environ.setdefault("TAGWIRE_TAXONOMY", str(STARTER_TAXONOMY))

# Bounds on waits, in seconds. Generous for a loaded 2-core CI machine; a test
# that reaches one has failed, it never passes by waiting.
START_TIMEOUT = 30.0
RPC_TIMEOUT = 20.0
EXIT_TIMEOUT = 20.0

# A command prefix (ServerFactory's `prefix`) that runs tagwired without
# CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so a mode-000 file is unreadable
# to it even when the tests run as root.
NO_FILE_PERMISSION_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]

# Channel options shared by every test channel: no client-side size limits
# (the server's limits are what is tested) and a private subchannel pool, so
# channels with different credentials never share a connection.
CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", -1),
    ("grpc.max_receive_message_length", -1),
    ("grpc.use_local_subchannel_pool", 1),
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--tagwired",
        default=str(ROOT / "build" / "service" / "tagwired"),
        help="path of the tagwired binary under test (default: build/service/tagwired)",
    )
    parser.addoption(
        "--synthetic-taxonomy",
        default=str(ROOT / "build" / "bench" / "synthetic-taxonomy"),
        help="path of the synthetic taxonomy generator used by tests/large "
        "(default: build/bench/synthetic-taxonomy)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Puts the committed tagwire.v1 Python modules (clients/python/src, kept
    current by scripts/gen-proto; scripts/test checks it) first on sys.path,
    so the tests exercise exactly the code clients ship."""
    sys.path.insert(0, str(CLIENT_SOURCE))
    import tagwire.v1

    generated = Path(tagwire.v1.__file__).resolve().parent
    if generated != (CLIENT_SOURCE / "tagwire" / "v1").resolve():
        raise pytest.UsageError(f"tagwire.v1 was imported from {generated}, not from this checkout")


# ---------------------------------------------------------------------------
# Waiting


def wait_until(
    predicate: Callable[[], Any],
    timeout: float = 10.0,
    what: str = "condition",
    interval: float = 0.05,
) -> Any:
    """Polls `predicate` until it returns something truthy (returned) or fails
    the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what} (last: {last!r})")
        time.sleep(interval)


def wait_for_tagging_to_stall(server: Tagwired, timeout: float = 30.0) -> int:
    """Waits until the server's articles_tagged has grown and then stayed the
    same for half a second (a client stopped reading and flow control has
    stopped the server); returns the count."""
    last = [-1]
    start = server.stats().articles_tagged

    def stalled():
        tagged = server.stats().articles_tagged
        if tagged == last[0] and tagged > start:
            return tagged
        last[0] = tagged
        time.sleep(0.5)
        return 0

    return wait_until(stalled, timeout, what="tagging to stall behind a client that does not read")


# ---------------------------------------------------------------------------
# The server process


class ServerExited(Exception):
    """tagwired exited while a test waited for it to do something."""


class Tagwired:
    """One tagwired process. Not thread-safe except where noted: tests call it
    from their main thread; the log reader threads only append to the log
    under `_cond`."""

    def __init__(self, binary: str, args: list[str], prefix: list[str] | None = None):
        self.args = [*(prefix or []), binary, *args]
        self.lines: list[str] = []  # every stderr line, decoded (guarded by _cond)
        self.events: list[dict] = []  # every stderr line that is a JSON object
        self.stdout_lines: list[str] = []
        self._cond = threading.Condition()
        self._channels: list[Any] = []
        self._default_channel = None
        self.address = ""
        self.metrics_address = ""
        self.process = subprocess.Popen(
            self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stderr, True), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stdout, False), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    # -- logs --------------------------------------------------------------

    def _read(self, pipe, is_stderr: bool) -> None:
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            with self._cond:
                if not is_stderr:
                    self.stdout_lines.append(line)
                else:
                    self.lines.append(line)
                    try:
                        event = json.loads(line)
                    except ValueError:
                        event = None
                    if isinstance(event, dict):
                        self.events.append(event)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def stderr_text(self) -> str:
        """All of stderr so far (thread-safe)."""
        with self._cond:
            return "\n".join(self.lines)

    def all_output(self) -> str:
        """All of stderr and stdout so far (thread-safe)."""
        with self._cond:
            return "\n".join(self.lines + self.stdout_lines)

    def events_named(self, name: str) -> list[dict]:
        with self._cond:
            return [e for e in self.events if e.get("event") == name]

    def wait_event(
        self,
        name: str,
        timeout: float = START_TIMEOUT,
        after: int = 0,
        where: Callable[[dict], bool] = lambda e: True,
    ) -> dict:
        """Waits for the first log event `name` (among events with index >=
        `after`) that satisfies `where`, and returns it. Fails the test on
        timeout; raises ServerExited if the process exits first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events[after:]:
                    if event.get("event") == name and where(event):
                        return event
                if self.process.poll() is not None and not any(r.is_alive() for r in self._readers):
                    raise ServerExited(
                        f"tagwired exited with {self.process.returncode} before logging {name!r}; "
                        f"stderr:\n{self._tail()}"
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    pytest.fail(
                        f"tagwired did not log {name!r} within {timeout}s; stderr:\n{self._tail()}"
                    )
                self._cond.wait(min(remaining, 0.2))

    def event_count(self) -> int:
        """The number of log events so far: pass it as `after` to wait_event
        to wait for an event that happens after this point."""
        with self._cond:
            return len(self.events)

    def _tail(self, lines: int = 40) -> str:
        return "\n".join(self.lines[-lines:])

    # -- lifecycle ---------------------------------------------------------

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Waits for "listening" and "serving", and records the addresses."""
        listening = self.wait_event("listening", timeout)
        self.address = listening.get("grpc_address", "")
        self.metrics_address = listening.get("metrics_address") or ""
        assert self.address, f"listening event without grpc_address: {listening}"
        self.wait_event("serving", timeout)

    def send_signal(self, sig: int) -> None:
        self.process.send_signal(sig)

    def wait_exit(self, timeout: float = EXIT_TIMEOUT) -> int:
        """Waits for the process to exit and its output to be read; returns
        the exit code. Fails the test on timeout (the process is killed)."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            pytest.fail(f"tagwired did not exit within {timeout}s; stderr:\n{self._tail()}")
        for reader in self._readers:
            reader.join(5)
        return code

    def stop(self) -> None:
        """Closes the test's channels and stops the process (SIGTERM, then
        SIGKILL if it hangs). Safe to call twice."""
        for channel in self._channels:
            channel.close()
        self._channels.clear()
        self._default_channel = None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(EXIT_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for reader in self._readers:
            reader.join(5)
        for pipe in (self.process.stdout, self.process.stderr):
            pipe.close()

    # -- clients -----------------------------------------------------------

    def new_channel(self, credentials=None, target: str | None = None, options=()) -> Any:
        """A new channel to the server (TLS when `credentials` is given),
        closed by stop()."""
        import grpc

        target = target or self.address
        all_options = CHANNEL_OPTIONS + list(options)
        if credentials is None:
            channel = grpc.insecure_channel(target, options=all_options)
        else:
            channel = grpc.secure_channel(target, credentials, options=all_options)
        self._channels.append(channel)
        return channel

    @property
    def channel(self) -> Any:
        """The server's shared plaintext channel."""
        if self._default_channel is None:
            self._default_channel = self.new_channel()
        return self._default_channel

    def tagging(self, channel=None):
        from tagwire.v1 import tagging_service_pb2_grpc

        return tagging_service_pb2_grpc.TaggingServiceStub(channel or self.channel)

    def subscription(self, channel=None):
        from tagwire.v1 import subscription_service_pb2_grpc

        return subscription_service_pb2_grpc.SubscriptionServiceStub(channel or self.channel)

    def admin(self, channel=None):
        from tagwire.v1 import admin_service_pb2_grpc

        return admin_service_pb2_grpc.AdminServiceStub(channel or self.channel)

    def health(self, channel=None):
        from grpc_health.v1 import health_pb2_grpc

        return health_pb2_grpc.HealthStub(channel or self.channel)

    def stats(self, metadata=None):
        from tagwire.v1 import admin_service_pb2

        return self.admin().GetServerStats(
            admin_service_pb2.GetServerStatsRequest(), timeout=RPC_TIMEOUT, metadata=metadata
        )

    def taxonomy_version(self, metadata=None) -> str:
        from tagwire.v1 import admin_service_pb2

        return (
            self.admin()
            .GetTaxonomy(
                admin_service_pb2.GetTaxonomyRequest(), timeout=RPC_TIMEOUT, metadata=metadata
            )
            .taxonomy.version
        )

    def open_stream(self, channel=None, **call_kwargs) -> TagStream:
        """Opens a TagStream driven by the test (see TagStream)."""
        return TagStream(self.tagging(channel).TagStream, **call_kwargs)

    def subscribe(
        self, channel=None, timeout: float = 120, metadata=None, **filter_fields
    ) -> ResponseStream:
        """Opens a Subscribe call with a SubscriptionFilter(**filter_fields)."""
        from tagwire.v1 import subscription_service_pb2 as pb

        request = pb.SubscribeRequest(filter=pb.SubscriptionFilter(**filter_fields))
        stub = self.subscription(channel)
        return ResponseStream(lambda: stub.Subscribe(request, timeout=timeout, metadata=metadata))


# ---------------------------------------------------------------------------
# Driving a TagStream from a test


class StreamEnded(Exception):
    """recv() found the end of the stream."""

    def __init__(self, code, details: str):
        super().__init__(f"stream ended: {code} {details!r}")
        self.code = code
        self.details = details


class ResponseStream:
    """The responses of a streaming call, drained by a reader thread into a
    queue so the server is never blocked by the test: recv() waits (bounded)
    for the next one, finish() for the end. Works for server-streaming calls
    (Subscribe, health Watch) as is; TagStream adds the sending side."""

    _END = object()

    def __init__(self, start_call: Callable[[], Any]):
        self._responses: queue.Queue = queue.Queue()
        self._done = threading.Event()
        self.code = None
        self.details = ""
        self.call = start_call()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        import grpc

        try:
            for response in self.call:
                self._responses.put(response)
            self.code, self.details = grpc.StatusCode.OK, ""
        except grpc.RpcError as error:
            self.code, self.details = error.code(), error.details() or ""
        finally:
            self._done.set()
            self._responses.put(self._END)

    def cancel(self) -> None:
        self.call.cancel()

    def recv(self, timeout: float = RPC_TIMEOUT):
        """Returns the next response; raises StreamEnded at the end of the
        stream; fails the test after `timeout` seconds."""
        try:
            item = self._responses.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no response on the stream within {timeout}s")
        if item is self._END:
            self._responses.put(self._END)  # stays ended
            raise StreamEnded(self.code, self.details)
        return item

    def finish(self, timeout: float = RPC_TIMEOUT) -> tuple[Any, str]:
        """Waits for the end of the stream; returns (code, details)."""
        if not self._done.wait(timeout):
            pytest.fail(f"stream did not end within {timeout}s")
        return self.code, self.details

    def drain(self, timeout: float = RPC_TIMEOUT) -> list[Any]:
        """Waits for the end of the stream; returns the responses not yet
        received."""
        self.finish(timeout)
        out = []
        while True:
            item = self._responses.get()
            if item is self._END:
                self._responses.put(self._END)
                return out
            out.append(item)

    @property
    def ended(self) -> bool:
        return self._done.is_set()


class TagStream(ResponseStream):
    """A bidi stream the test drives step by step: send() queues a request,
    close_send() half-closes; responses as in ResponseStream."""

    _CLOSE = object()

    def __init__(self, method: Callable, **call_kwargs):
        self._requests: queue.Queue = queue.Queue()
        super().__init__(lambda: method(self._request_iterator(), **call_kwargs))

    def _request_iterator(self) -> Iterator[Any]:
        while not self._done.is_set():
            try:
                item = self._requests.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is self._CLOSE:
                return
            yield item

    def send(self, request) -> None:
        self._requests.put(request)

    def close_send(self) -> None:
        self._requests.put(self._CLOSE)


# ---------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def tagwired_binary(pytestconfig: pytest.Config) -> str:
    binary = os.path.abspath(pytestconfig.getoption("--tagwired"))
    if not os.access(binary, os.X_OK):
        pytest.fail(
            f"tagwired binary not found or not executable: {binary} "
            "(build it: ninja -C build tagwired, or pass --tagwired)"
        )
    return binary


@pytest.fixture(scope="session")
def synthetic_taxonomy(pytestconfig: pytest.Config) -> str:
    """The synthetic taxonomy generator (bench/synthetic_taxonomy.cc)."""
    return str(Path(pytestconfig.getoption("--synthetic-taxonomy")).resolve())


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A compiled-taxonomy cache shared by the session's servers."""
    return tmp_path_factory.mktemp("cache")


def server_args(flags: dict[str, Any], cache: Path) -> list[str]:
    """Command-line flags: test defaults (port 0 everywhere, a private cache)
    overridden by `flags`; a None value leaves the flag out."""
    merged: dict[str, Any] = {
        "listen": "127.0.0.1:0",
        "metrics_listen": "127.0.0.1:0",
        "cache_dir": str(cache),
    }
    merged.update(flags)
    args = []
    for name, value in merged.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        args.append(f"--{name}={value}")
    return args


class ServerFactory:
    """Starts servers and stops them all on close()."""

    def __init__(self, binary: str, cache: Path):
        self.binary = binary
        self.cache = cache
        self.servers: list[Tagwired] = []

    def __call__(
        self, wait: bool = True, prefix: list[str] | None = None, **flags: Any
    ) -> Tagwired:
        """Starts tagwired with `flags`, run through the command `prefix` if
        given (such as setpriv); waits until it serves unless `wait` is False."""
        server = Tagwired(self.binary, server_args(flags, self.cache), prefix)
        self.servers.append(server)
        if wait:
            server.wait_ready()
        return server

    def close(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture
def start_server(tagwired_binary: str, cache_dir: Path) -> Iterator[ServerFactory]:
    """Starts a tagwired for one test: start_server(max_streams=2)."""
    factory = ServerFactory(tagwired_binary, cache_dir)
    yield factory
    factory.close()


@pytest.fixture(scope="module")
def start_module_server(tagwired_binary: str, cache_dir: Path) -> Iterator[ServerFactory]:
    """Starts a tagwired shared by the tests of one module."""
    factory = ServerFactory(tagwired_binary, cache_dir)
    yield factory
    factory.close()


@pytest.fixture(scope="module")
def server(start_module_server: ServerFactory) -> Tagwired:
    """A tagwired with default flags, shared by the tests of one module."""
    return start_module_server()


@pytest.fixture(scope="session")
def examples() -> list[dict]:
    """The articles of examples/, as in the CLI (first line the title, the rest
    the body), each with what examples/expected.json says tagging must find:
    keys name, title, body (bytes), must_tag, must_not_tag, topics,
    mention_counts."""
    expected = json.loads((EXAMPLES_DIR / "expected.json").read_text())
    out = []
    for want in expected:
        raw = (EXAMPLES_DIR / want["file"]).read_bytes()
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        title, _, body = raw.partition(b"\n")
        out.append(
            {
                "name": want["file"],
                "title": title.strip(),
                "body": body.lstrip(b"\r\n"),
                "must_tag": want["must_tag"],
                "must_not_tag": want.get("must_not_tag", []),
                "topics": want.get("topics", []),
                "mention_counts": want.get("mention_counts", {}),
            }
        )
    return out


def check_tagged(tagged, example: dict) -> None:
    """Asserts a TaggedArticle has what examples/expected.json requires."""
    tags = {t.concept_id: t for t in tagged.tags}
    topics = {t.concept_id for t in tagged.topics}
    for concept in example["must_tag"]:
        assert concept in tags, f"{example['name']}: {concept} not tagged (got {sorted(tags)})"
    for concept in example["must_not_tag"]:
        assert concept not in tags, f"{example['name']}: {concept} must not be tagged"
    for topic in example["topics"]:
        assert topic in topics, f"{example['name']}: topic {topic} missing (got {sorted(topics)})"
    for concept, count in example["mention_counts"].items():
        assert tags[concept].count == count, f"{example['name']}: count of {concept}"
