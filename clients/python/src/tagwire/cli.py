"""`tagwire`: the command line of the Python client; talks to a tagwired server.

    tagwire tag FILE...                 tag files; one TaggedArticle per line (proto3 JSON)
    tagwire stream [FILE] < x.jsonl     tag a JSONL stream of articles, with a progress bar
    tagwire subscribe --kind LOCATION   print articles as the server tags them
    tagwire taxonomy | stats | reload   the admin calls

Input: a .json/.jsonl file (and stdin) holds one article per line, as a JSON
object with the keys id, source, version, title, body, language,
published_time (RFC 3339) and metadata; any other FILE is plain text whose
first line is the title and whose name is the id. Output: one TaggedArticle
per line on stdout in the proto3 JSON mapping, in input order; articles that
cannot be tagged are reported on stderr as "FILE:LINE: id: REASON: message".

The server is --target (or $TAGWIRE_TARGET, default 127.0.0.1:50051); a
bearer token comes from --token-file or $TAGWIRE_TOKEN.

Exit codes: 0 every article tagged; 2 bad input (unreadable file, bad JSON,
an article the server rejected); 1 the call failed (server unreachable,
shutting down, unauthenticated…).

(The C++ build has its own `tagwire` command, build/service/tagwire, which
tags in-process without a server and reads the same input.)
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from tqdm import tqdm

import tagwire
from tagwire._model import Article, ArticleError, CallError, Kind, Overlap

EXIT_OK = 0
EXIT_CALL_FAILED = 1
EXIT_BAD_INPUT = 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # One result per line, written as it comes, so `tagwire stream | consumer`
    # and `tagwire subscribe | consumer` see each result at once (a write per
    # article is small next to tagging it).
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)
    try:
        client = _client(args)
    except (OSError, ValueError) as error:
        print(f"tagwire: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        with client:
            result: int = args.run(client, args)
            sys.stdout.flush()
            return result
    except CallError as error:
        print(f"tagwire: {args.target}: {error}", file=sys.stderr)
        # The server refusing the request (invalid options) is bad input.
        invalid = error.code == grpc.StatusCode.INVALID_ARGUMENT
        return EXIT_BAD_INPUT if invalid else EXIT_CALL_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `tagwire stream ... | head`: the reader is gone
        # Python flushes stdout again at exit; point it at /dev/null so that
        # flush cannot fail too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tagwire",
        description="Tag news articles with a tagwired server.",
        epilog="Exit codes: 0 ok, 1 the call failed, 2 bad input.",
    )
    parser.add_argument("--version", action="version", version=f"tagwire {tagwire.__version__}")
    parser.add_argument(
        "--target",
        default=os.environ.get("TAGWIRE_TARGET", tagwire.DEFAULT_TARGET),
        help="the server, host:port (default $TAGWIRE_TARGET or %(default)s)",
    )
    parser.add_argument(
        "--token-file", type=Path, help="file holding the bearer token (default $TAGWIRE_TOKEN)"
    )
    parser.add_argument("--tls", action="store_true", help="use TLS with the system's roots")
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="plaintext to a server on another host (default: plaintext only to this host)",
    )
    parser.add_argument("--ca", type=Path, help="PEM CA of the server's certificate (implies TLS)")
    parser.add_argument("--cert", type=Path, help="PEM client certificate, for mTLS")
    parser.add_argument("--key", type=Path, help="PEM key of --cert")
    parser.add_argument("--server-name", help="name to check in the server's certificate")
    parser.add_argument(
        "--timeout", type=float, default=tagwire.DEFAULT_TIMEOUT, help="seconds, for unary calls"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    tag = commands.add_parser("tag", help="tag files (plain text, .json or .jsonl)")
    tag.add_argument("files", nargs="+", type=Path, metavar="FILE")
    _add_tag_options(tag)
    tag.set_defaults(run=_run_tag)

    stream = commands.add_parser("stream", help="tag JSONL articles from FILE or stdin")
    stream.add_argument("file", nargs="?", type=Path, metavar="FILE", help="default: stdin")
    _add_tag_options(stream)
    stream.set_defaults(run=_run_stream)

    subscribe = commands.add_parser("subscribe", help="print articles as the server tags them")
    subscribe.add_argument(
        "--kind",
        action="append",
        default=[],
        type=_kind,
        help="only articles with a tag of this kind",
    )
    subscribe.add_argument(
        "--concept", action="append", default=[], help="only articles mentioning this concept id"
    )
    subscribe.add_argument(
        "--topic", action="append", default=[], help="only articles about this IPTC topic"
    )
    subscribe.add_argument("--min-score", type=_score, default=0.0)
    subscribe.add_argument("--count", type=int, help="stop after this many articles")
    subscribe.set_defaults(run=_run_subscribe)

    for name, help_text, run in (
        ("taxonomy", "the taxonomy the server is using", _run_taxonomy),
        ("stats", "the server's counters", _run_stats),
        ("reload", "make the server reload its taxonomy files", _run_reload),
    ):
        commands.add_parser(name, help=help_text).set_defaults(run=run)
    return parser


def _add_tag_options(parser: argparse.ArgumentParser) -> None:
    kinds = ", ".join(k.name for k in Kind if k is not Kind.UNSPECIFIED)
    parser.add_argument(
        "--kind",
        action="append",
        default=[],
        type=_kind,
        help=f"only tags of this kind ({kinds})",
    )
    parser.add_argument("--min-score", type=_score, default=0.0, help="drop lower scores")
    parser.add_argument(
        "--overlap",
        choices=[o.name.lower() for o in Overlap if o is not Overlap.UNSPECIFIED],
        help="how overlapping matches are kept (default leftmost_longest)",
    )
    parser.add_argument("--no-mentions", action="store_true", help="leave out mention lists")
    parser.add_argument("--explain", action="store_true", help="explain each tag and topic")
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )


def _kind(value: str) -> Kind:
    try:
        return Kind.parse(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _score(value: str) -> float:
    try:
        score = float(value)
    except ValueError:
        score = -1.0
    if not 0.0 <= score <= 1.0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a score in [0, 1]")
    return score


def _client(args: argparse.Namespace) -> tagwire.Client:
    token = os.environ.get("TAGWIRE_TOKEN") or None
    if args.token_file:
        token = args.token_file.read_text(encoding="utf-8").strip()
    tls: tagwire.TLS | bool | None = None
    if args.ca or args.cert or args.key or args.server_name:
        tls = tagwire.TLS(ca=args.ca, cert=args.cert, key=args.key, server_name=args.server_name)
    elif args.tls:
        tls = True
    elif args.insecure:
        tls = False
    return tagwire.Client(args.target, token=token, tls=tls, timeout=args.timeout)


# ---------------------------------------------------------------------------
# tag and stream


class _Input:
    """Reads articles from files and remembers where each came from, so that
    results and errors, which come back in input order, can name FILE:LINE.

    Runs on gRPC's sending thread; `places` is a deque (atomic appends and
    pops) read by the printing thread, and `_messages` is handed over with
    each article, so every problem is printed in input order."""

    def __init__(self) -> None:
        # (where, problems found in the input before this article)
        self.places: collections.deque[tuple[str, list[str]]] = collections.deque()
        self._messages: list[str] = []
        self.bad_input = 0

    def bad(self, where: str, message: str) -> None:
        self.bad_input += 1
        self._messages.append(f"{where}: {message}")

    def _article(self, where: str, article: Article) -> Article:
        self.places.append((where, self._messages))
        self._messages = []
        return article

    def trailing(self) -> list[str]:
        """Problems after the last article (read once the input is done)."""
        messages, self._messages = self._messages, []
        return messages

    def articles(self, paths: list[Path | None]) -> Iterator[Article]:
        for path in paths:
            if path is None:
                # Not sys.stdin: its decoding depends on the locale. Bad bytes
                # become surrogates that reach the server as the same bytes.
                stdin = io.TextIOWrapper(
                    sys.stdin.buffer, encoding="utf-8", errors="surrogateescape"
                )
                yield from self._jsonl(stdin, "<stdin>")
            elif path.suffix in (".json", ".jsonl"):
                try:
                    with path.open(encoding="utf-8", errors="surrogateescape") as file:
                        yield from self._jsonl(file, str(path))
                except OSError as error:
                    self.bad(str(path), error.strerror or str(error))
            else:
                try:
                    data = path.read_bytes()
                except OSError as error:
                    self.bad(str(path), error.strerror or str(error))
                    continue
                yield self._article(str(path), _plain_text(path, data, int(path.stat().st_mtime)))

    def _jsonl(self, file: TextIO, name: str) -> Iterator[Article]:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            where = f"{name}:{number}"
            try:
                article = Article.from_dict(_object(json.loads(line)))
            except ValueError as error:  # json.JSONDecodeError is a ValueError
                self.bad(where, f"bad article: {error}")
                continue
            yield self._article(where, article)


def _plain_text(path: Path, data: bytes, version: int) -> Article:
    """A plain-text article as the C++ CLI reads one: an optional UTF-8 BOM,
    the title on the first line, the body after it (leading blank lines
    dropped); source "file", the id is the file name (undecodable bytes
    replaced) and the version its modification time in seconds, so an
    edited file is a new version, not a CONFLICT with the old content."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    title, _, body = data.partition(b"\n")
    article_id = os.fsencode(path.name).decode("utf-8", "replace")
    return Article(
        body=body.lstrip(b"\r\n"),
        title=title.strip(),
        id=article_id,
        source="file",
        version=version,
    )


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("want a JSON object")
    return value


def _run_tag(client: tagwire.Client, args: argparse.Namespace) -> int:
    return _tag_and_print(client, args, list(args.files))


def _run_stream(client: tagwire.Client, args: argparse.Namespace) -> int:
    return _tag_and_print(client, args, [args.file])


def _tag_and_print(client: tagwire.Client, args: argparse.Namespace, paths: list[Any]) -> int:
    source = _Input()
    results = client.tag_many(
        source.articles(paths),
        kinds=args.kind,
        min_score=args.min_score,
        overlap=args.overlap,
        include_mentions=not args.no_mentions,
        explain=args.explain,
    )
    progress = tqdm(
        unit=" articles",
        disable=not args.progress if args.progress is not None else None,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    rejected = 0
    with results, progress:
        try:
            for result in results:
                where, earlier = source.places.popleft()
                _print_errors(earlier)
                if isinstance(result, ArticleError):
                    rejected += 1
                    _print_errors([f"{where}: {result.id}: {result.reason.name}: {result.message}"])
                else:
                    _print_json(result.proto)
                progress.update()
        except BrokenPipeError:
            raise
        except (OSError, UnicodeError) as error:  # reading stdin or a file failed
            source.bad("tagwire", str(error))
        _print_errors(source.trailing())
    return EXIT_BAD_INPUT if source.bad_input or rejected else EXIT_OK


def _print_errors(lines: list[str]) -> None:
    for line in lines:
        print(line, file=sys.stderr)


# ---------------------------------------------------------------------------
# subscribe and admin


def _run_subscribe(client: tagwire.Client, args: argparse.Namespace) -> int:
    with client.subscribe(
        kinds=args.kind, concept_ids=args.concept, topics=args.topic, min_score=args.min_score
    ) as subscription:
        for received, tagged in enumerate(subscription, 1):
            _print_json(tagged.proto)
            sys.stdout.flush()
            if args.count is not None and received >= args.count:
                break
    return EXIT_OK


def _run_taxonomy(client: tagwire.Client, args: argparse.Namespace) -> int:
    _print_json(client.taxonomy())
    return EXIT_OK


def _run_stats(client: tagwire.Client, args: argparse.Namespace) -> int:
    _print_json(client.stats())
    return EXIT_OK


def _run_reload(client: tagwire.Client, args: argparse.Namespace) -> int:
    _print_json(client.reload_taxonomy())
    return EXIT_OK


def _print_json(message: Message) -> None:
    print(json.dumps(json_format.MessageToDict(message), ensure_ascii=False))


def run() -> None:
    """The console entry point: main(), then exit at once.

    The input is read on gRPC's sending thread; when a stream ends early
    (Ctrl-C, the server went away) that thread may still be blocked reading
    stdin, and a normal interpreter shutdown would abort on the stdin lock
    it holds. Nothing of ours needs Python's shutdown, so flush and leave.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe, or already closed
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
