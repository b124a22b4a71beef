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
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

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
    try:
        client = _client(args)
    except (OSError, ValueError) as error:
        print(f"tagwire: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        with client:
            result: int = args.run(client, args)
            return result
    except CallError as error:
        print(f"tagwire: {args.target}: {error}", file=sys.stderr)
        return EXIT_CALL_FAILED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `tagwire subscribe | head`
        sys.stderr.close()
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
        "--kind", action="append", default=[], help="only articles with a tag of this kind"
    )
    subscribe.add_argument(
        "--concept", action="append", default=[], help="only articles mentioning this concept id"
    )
    subscribe.add_argument(
        "--topic", action="append", default=[], help="only articles about this IPTC topic"
    )
    subscribe.add_argument("--min-score", type=float, default=0.0)
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
        "--kind", action="append", default=[], help=f"only tags of this kind ({kinds})"
    )
    parser.add_argument("--min-score", type=float, default=0.0, help="drop lower scores")
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


def _client(args: argparse.Namespace) -> tagwire.Client:
    token = os.environ.get("TAGWIRE_TOKEN") or None
    if args.token_file:
        token = args.token_file.read_text(encoding="utf-8").strip()
    tls: tagwire.TLS | bool | None = None
    if args.ca or args.cert or args.key or args.server_name:
        tls = tagwire.TLS(ca=args.ca, cert=args.cert, key=args.key, server_name=args.server_name)
    elif args.tls:
        tls = True
    return tagwire.Client(args.target, token=token, tls=tls, timeout=args.timeout)


# ---------------------------------------------------------------------------
# tag and stream


class _Input:
    """Reads articles from files and remembers where each came from, so
    errors answered later (in order) can name FILE:LINE."""

    def __init__(self) -> None:
        self.places: collections.deque[str] = collections.deque()
        self.bad_input = 0

    def bad(self, where: str, message: str) -> None:
        self.bad_input += 1
        print(f"{where}: {message}", file=sys.stderr)

    def articles(self, paths: list[Path | None]) -> Iterator[Article]:
        for path in paths:
            if path is None:
                yield from self._jsonl(sys.stdin, "<stdin>")
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
                title, _, body = data.partition(b"\n")
                self.places.append(str(path))
                yield Article(body=body, title=title.strip(), id=path.name)

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
            self.places.append(where)
            yield article


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
    with results, progress:
        try:
            for result in results:
                where = source.places.popleft()
                if isinstance(result, ArticleError):
                    source.bad(where, f"{result.id}: {result.reason.name}: {result.message}")
                else:
                    _print_json(result.proto)
                progress.update()
        except (OSError, UnicodeError) as error:  # reading stdin or a file failed
            source.bad("tagwire", str(error))
    return EXIT_BAD_INPUT if source.bad_input else EXIT_OK


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


if __name__ == "__main__":
    sys.exit(main())
