"""The `tagwire` console command of the Python client against a real
tagwired, and `pip install ./clients/python` into a fresh virtual environment."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import CLIENT_SOURCE, ROOT, wait_until

import tagwire

RUN_TIMEOUT = 60


def cli(*args: str, stdin: bytes = b"", target: str | None = None, env=None):
    """Runs `tagwire ARGS` (this checkout's code) and returns the process."""
    environment = dict(os.environ, PYTHONPATH=str(CLIENT_SOURCE), **(env or {}))
    environment.pop("TAGWIRE_TOKEN", None)
    environment.pop("PYTHONUNBUFFERED", None)  # test the buffering users get
    if target:
        environment["TAGWIRE_TARGET"] = target
    return subprocess.run(
        [sys.executable, "-m", "tagwire.cli", *args],
        input=stdin,
        capture_output=True,
        timeout=RUN_TIMEOUT,
        env=environment,
        check=False,
    )


def json_lines(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode().splitlines()]


def test_stream_jsonl_from_stdin(server):
    lines = [
        json.dumps({"id": "a", "body": "NATO ministers met in Kyiv."}),
        "",
        "{not json",
        json.dumps({"id": "b", "body": "caf\udce9", "source": "s"}, ensure_ascii=False),
        json.dumps({"id": "c", "title": "Emmanuel Macron", "body": "In Paris."}),
        json.dumps({"id": "d", "body": "x", "colour": "red"}),
    ]
    stdin = "\n".join(lines).encode("utf-8", "surrogateescape") + b"\n"
    done = cli("stream", "--no-mentions", stdin=stdin, target=server.address)
    assert done.returncode == 2, done.stderr
    out = json_lines(done.stdout)
    assert [o["id"] for o in out] == ["a", "c"]
    assert {t["conceptId"] for t in out[0]["tags"]} == {"org:nato", "geo:703448"}
    assert all("mentions" not in t for t in out[0]["tags"])
    errors = done.stderr.decode().splitlines()  # in input order
    assert len(errors) == 3, errors
    assert errors[0].startswith("<stdin>:3: bad article:"), errors
    assert errors[1].startswith("<stdin>:4: b: BODY_NOT_UTF8: "), errors
    assert errors[2] == "<stdin>:6: bad article: unknown article field 'colour'", errors


def test_values_an_article_cannot_carry_are_reported_and_skipped(server):
    lines = [
        {"id": "big", "body": "Kyiv", "version": 10**20},
        {"id": "old", "body": "Kyiv", "published_time": "0001-01-01T00:00:00+01:00"},
        {"id": "caf\udce9", "body": "Kyiv"},
        {"id": "ok", "body": "Kyiv", "title": None, "published_time": "2026-11-23T15:00:00.5Z"},
        {"id": "meta", "body": "Kyiv", "metadata": {"desk": "\ud800"}},
    ]
    stdin = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    done = cli("stream", stdin=stdin, target=server.address)
    assert done.returncode == 2, done.stderr
    assert [o["id"] for o in json_lines(done.stdout)] == ["ok"]
    errors = done.stderr.decode().splitlines()
    assert [e.split(": ")[0] for e in errors] == [
        "<stdin>:1",
        "<stdin>:2",
        "<stdin>:3",
        "<stdin>:5",
    ], errors
    assert "does not fit in 64 bits" in errors[0]
    assert "RFC 3339" in errors[1]
    assert "not valid Unicode" in errors[2] and "not valid Unicode" in errors[3]


def test_bad_arguments_exit_2(server):
    for args in (["stream", "--kind", "PLACE"], ["stream", "--min-score", "2"]):
        done = cli(*args, target=server.address)
        assert done.returncode == 2, (args, done.stderr)
        assert b"usage:" in done.stderr


def test_a_closed_pipe_ends_quietly(server):
    stdin = b"".join(
        json.dumps({"id": f"p{i}", "body": "NATO in Kyiv. " * 50}).encode() + b"\n"
        for i in range(3000)
    )
    environment = dict(os.environ, PYTHONPATH=str(CLIENT_SOURCE), TAGWIRE_TARGET=server.address)
    pipeline = subprocess.run(
        f"{sys.executable} -m tagwire.cli stream | head -c 100 >/dev/null; "
        'echo "exit=${PIPESTATUS[0]}"',
        shell=True,
        executable="/bin/bash",
        input=stdin,
        capture_output=True,
        env=environment,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert pipeline.stdout.decode().strip() == "exit=0", pipeline.stderr
    assert b"Traceback" not in pipeline.stderr and b"Broken pipe" not in pipeline.stderr


def test_plain_text_is_read_as_the_cpp_cli_reads_it(server, tmp_path, tagwired_binary):
    """A BOM, CRLF line ends and blank lines after the title: the Python and
    the C++ `tagwire tag` print the same result for the same file."""
    story = tmp_path / "story.txt"
    story.write_bytes(
        b"\xef\xbb\xbfEmmanuel Macron meets NATO\r\n\r\n\r\nNATO ministers met in Kyiv.\r\n"
    )
    python = cli("tag", str(story), target=server.address)
    assert python.returncode == 0, python.stderr
    cpp_cli = Path(tagwired_binary).with_name("tagwire")
    cpp = subprocess.run(
        # The Python client always asks for code point offsets.
        [str(cpp_cli), "tag", "--offsets", "code-points", str(story)],
        capture_output=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert cpp.returncode == 0, cpp.stderr
    ours, theirs = json_lines(python.stdout)[0], json_lines(cpp.stdout)[0]
    assert ours["tags"] == theirs["tags"]
    # Identity: the file's name, version its modification time (int64 is a
    # JSON string).
    identity = ("file", "story.txt", str(int(story.stat().st_mtime)))
    assert (ours["source"], ours["id"], ours["version"]) == identity
    assert (theirs["source"], theirs["id"], theirs["version"]) == identity
    assert ours["titleBytes"] == theirs["titleBytes"] and ours["bodyBytes"] == theirs["bodyBytes"]


def test_tag_files_in_order_with_kind_filter(server, tmp_path):
    text = tmp_path / "summit.txt"
    text.write_text("Summit in Kyiv\nNATO ministers met in Kyiv on Tuesday.\n")
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text(json.dumps({"id": "j1", "body": "The ECB met in Frankfurt."}) + "\n")
    done = cli("tag", str(text), str(jsonl), "--kind", "LOCATION", target=server.address)
    assert done.returncode == 0, done.stderr
    out = json_lines(done.stdout)
    assert [o["id"] for o in out] == ["summit.txt", "j1"]
    assert [t["conceptId"] for t in out[0]["tags"]] == ["geo:703448"]
    assert out[0]["tags"][0]["inTitle"] is True
    assert [t["conceptId"] for t in out[1]["tags"]] == ["geo:2925533"]
    missing = cli("tag", str(tmp_path / "nope.txt"), target=server.address)
    assert missing.returncode == 2 and b"nope.txt: No such file" in missing.stderr


def test_an_edited_file_is_a_new_version_and_a_changed_line_a_conflict(server, tmp_path):
    story = tmp_path / "edited.txt"
    story.write_text("Summit\nNATO ministers met in Kyiv.\n")
    assert cli("tag", str(story), target=server.address).returncode == 0
    assert cli("tag", str(story), target=server.address).returncode == 0  # unchanged: a resend
    story.write_text("Summit\nNATO ministers met in Riga.\n")
    mtime = story.stat().st_mtime + 2  # a later edit, whatever the clock's resolution
    os.utime(story, (mtime, mtime))
    edited = cli("tag", str(story), target=server.address)
    assert edited.returncode == 0, edited.stderr
    assert json_lines(edited.stdout)[0]["version"] == str(int(mtime))

    line = {"id": "cli-conflict", "body": "NATO ministers met in Kyiv."}
    assert (
        cli("stream", stdin=json.dumps(line).encode() + b"\n", target=server.address).returncode
        == 0
    )
    line["body"] = "NATO ministers met in Riga."
    conflict = cli("stream", stdin=json.dumps(line).encode() + b"\n", target=server.address)
    assert conflict.returncode == 2
    assert b"<stdin>:1: cli-conflict: CONFLICT: " in conflict.stderr, conflict.stderr


def test_progress_bar_on_request(server):
    stdin = b"".join(
        json.dumps({"id": f"progress{i}", "body": "Kyiv"}).encode() + b"\n" for i in range(50)
    )
    done = cli("stream", "--progress", stdin=stdin, target=server.address)
    assert done.returncode == 0, done.stderr
    assert len(json_lines(done.stdout)) == 50
    assert b"50 articles" in done.stderr
    quiet = cli("stream", stdin=stdin, target=server.address)
    assert quiet.stderr == b""  # not a terminal: no bar by default


def test_subscribe_prints_what_others_tag(server):
    environment = dict(os.environ, PYTHONPATH=str(CLIENT_SOURCE), TAGWIRE_TARGET=server.address)
    subscriber = subprocess.Popen(
        [sys.executable, "-m", "tagwire.cli", "subscribe", "--kind", "PERSON", "--count", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    )
    try:
        with tagwire.Client(server.address) as client:
            before = client.stats().active_subscriptions
            wait_until(lambda: client.stats().active_subscriptions > before, what="subscriber")
            bodies = [
                "Kyiv",
                "Emmanuel Macron in Paris",
                "NATO",
                "Vladimir Putin",
                "Emmanuel Macron",
            ]
            list(client.tag_many({"id": f"s{i}", "body": b} for i, b in enumerate(bodies)))
        out, err = subscriber.communicate(timeout=RUN_TIMEOUT)
    finally:
        subscriber.kill()
    assert subscriber.returncode == 0, err
    assert [o["id"] for o in json_lines(out)] == ["s1", "s3"]


def test_admin_commands(server):
    taxonomy = cli("taxonomy", target=server.address)
    assert taxonomy.returncode == 0 and json_lines(taxonomy.stdout)[0]["conceptCount"] == 220
    stats = cli("stats", target=server.address)
    assert stats.returncode == 0 and "workerThreads" in json_lines(stats.stdout)[0]
    reload = cli("reload", target=server.address)
    assert reload.returncode == 0 and "taxonomy" in json_lines(reload.stdout)[0]


def test_unreachable_server_and_bad_token(start_module_server, tmp_path_factory):
    down = cli("--timeout", "3", "stats", target="127.0.0.1:1")
    assert down.returncode == 1
    assert down.stderr.decode().startswith("tagwire: 127.0.0.1:1: UNAVAILABLE")
    token = tmp_path_factory.mktemp("token") / "token"
    token.write_text("right\n")
    server = start_module_server(token_file=token)
    refused = cli("stats", target=server.address, env={"TAGWIRE_TOKEN": "wrong"})
    assert refused.returncode == 1 and b"UNAUTHENTICATED" in refused.stderr
    accepted = cli("--token-file", str(token), "stats", target=server.address)
    assert accepted.returncode == 0, accepted.stderr


def test_pip_install_into_a_fresh_venv(server, tmp_path):
    """`pip install ./clients/python` on a clean virtual environment gives a
    working package and console command (dependencies from PyPI)."""
    # A copy, so the in-tree build directory pip leaves is not in the checkout.
    package = tmp_path / "python"
    shutil.copytree(ROOT / "clients" / "python", package, ignore=shutil.ignore_patterns("build"))
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    python = environment / "bin" / "python"
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            str(ROOT / "clients" / "python"),
        ],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert install.returncode == 0, install.stderr.decode()[-2000:]
    command = environment / "bin" / "tagwire"
    version = subprocess.run(
        [str(command), "--version"], capture_output=True, timeout=RUN_TIMEOUT, check=False
    )
    assert version.stdout.decode().strip() == f"tagwire {tagwire.__version__}"
    script = (
        "import sys, tagwire\n"
        "with tagwire.Client(sys.argv[1]) as c:\n"
        "    print(tagwire.__file__)\n"
        "    print(','.join(c.tag('NATO met in Kyiv.').concept_ids))\n"
    )
    run = subprocess.run(
        [str(python), "-c", script, server.address],
        capture_output=True,
        timeout=RUN_TIMEOUT,
        check=False,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert run.returncode == 0, run.stderr.decode()
    location, concepts = run.stdout.decode().splitlines()
    assert Path(location).is_relative_to(environment)
    assert concepts == "geo:703448,org:nato"
    typed = Path(location).parent / "py.typed"
    assert typed.exists() and (Path(location).parent / "v1" / "tagging_pb2.pyi").exists()


@pytest.mark.parametrize("how", ["ctrl-c", "server-stops"])
def test_stream_ends_promptly_while_stdin_is_idle(start_server, how):
    """The input is read on gRPC's thread, which stays blocked on an idle
    stdin: Ctrl-C (exit 130) and a server shutdown (exit 1) must still end
    the command at once, without an abort at interpreter shutdown."""
    server = start_server()
    read_end, write_end = os.pipe()
    environment = dict(os.environ, PYTHONPATH=str(CLIENT_SOURCE), TAGWIRE_TARGET=server.address)
    environment.pop("PYTHONUNBUFFERED", None)  # results must be written as they come
    command = subprocess.Popen(
        [sys.executable, "-m", "tagwire.cli", "stream"],
        stdin=read_end,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
        # A background job may inherit SIGINT ignored; Ctrl-C must reach it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    os.close(read_end)
    try:
        os.write(write_end, json.dumps({"id": "first", "body": "Kyiv"}).encode() + b"\n")
        # The first result printed: the command is now waiting on stdin.
        assert select.select([command.stdout], [], [], RUN_TIMEOUT)[0], "no first result"
        first = command.stdout.readline()
        if how == "ctrl-c":
            command.send_signal(signal.SIGINT)
        else:
            server.send_signal(signal.SIGTERM)
        out, err = command.communicate(timeout=RUN_TIMEOUT)
    finally:
        os.close(write_end)
        command.kill()
    assert command.returncode == (130 if how == "ctrl-c" else 1), err
    assert [o["id"] for o in json_lines(first + out)] == ["first"]
    assert b"Fatal Python error" not in err
    if how == "server-stops":
        assert b"UNAVAILABLE" in err
