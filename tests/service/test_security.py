"""TLS, mutual TLS, the bearer token, and what the logs must never contain."""

import json
import signal
import uuid

import grpc
import pytest
import trustme
from conftest import RPC_TIMEOUT, StreamEnded, wait_until
from grpc_health.v1 import health_pb2
from tagwire.v1 import admin_service_pb2, article_pb2, tagging_service_pb2

BODY = b"Leaders met in Paris and Berlin on Monday."
PARIS = "geo:2988507"


def tag(server, channel=None, metadata=None, body=BODY, title=b"", id="t"):
    return server.tagging(channel).Tag(
        tagging_service_pb2.TagRequest(article=article_pb2.Article(id=id, title=title, body=body)),
        timeout=5,
        metadata=metadata,
    )


def rpc_code(function, *args, **kwargs):
    """Runs an RPC; returns its status code (OK when it succeeds)."""
    try:
        function(*args, **kwargs)
        return grpc.StatusCode.OK
    except grpc.RpcError as error:
        return error.code()


def write_leaf(directory, name, leaf):
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(key))
    return cert, key


def local_target(server):
    """127.0.0.1 and the port the server reports (it may listen on 0.0.0.0)."""
    return "127.0.0.1:" + server.address.rsplit(":", 1)[1]


# ---------------------------------------------------------------------------
# TLS


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    directory = tmp_path_factory.mktemp("pki")
    server_ca, client_ca, other_ca = trustme.CA(), trustme.CA(), trustme.CA()
    server_ca.cert_pem.write_to_path(str(directory / "server-ca.pem"))
    client_ca.cert_pem.write_to_path(str(directory / "client-ca.pem"))
    server_cert, server_key = write_leaf(
        directory, "server", server_ca.issue_cert("127.0.0.1", "localhost")
    )
    return {
        "dir": directory,
        "server_ca": server_ca,
        "client_ca": client_ca,
        "other_ca": other_ca,
        "server_cert": server_cert,
        "server_key": server_key,
        "client_leaf": client_ca.issue_cert("client@tagwire.test"),
        "impostor_leaf": other_ca.issue_cert("impostor@tagwire.test"),
    }


@pytest.fixture(scope="module")
def tls_server(start_module_server, pki):
    # A non-loopback address is fine with TLS (no --allow_insecure_remote).
    return start_module_server(
        listen="0.0.0.0:0", tls_cert=pki["server_cert"], tls_key=pki["server_key"]
    )


def credentials(ca, leaf=None):
    if leaf is None:
        return grpc.ssl_channel_credentials(root_certificates=ca.cert_pem.bytes())
    return grpc.ssl_channel_credentials(
        root_certificates=ca.cert_pem.bytes(),
        private_key=leaf.private_key_pem.bytes(),
        certificate_chain=b"".join(blob.bytes() for blob in leaf.cert_chain_pems),
    )


def test_tls_with_the_right_ca(tls_server, pki):
    channel = tls_server.new_channel(credentials(pki["server_ca"]), local_target(tls_server))
    tagged = tag(tls_server, channel).tagged_article
    assert PARIS in {t.concept_id for t in tagged.tags}


def test_tls_with_a_wrong_ca_fails(tls_server, pki):
    channel = tls_server.new_channel(credentials(pki["other_ca"]), local_target(tls_server))
    assert rpc_code(tag, tls_server, channel) == grpc.StatusCode.UNAVAILABLE


def test_plaintext_client_on_a_tls_server_fails(tls_server):
    channel = tls_server.new_channel(target=local_target(tls_server))
    assert rpc_code(tag, tls_server, channel) == grpc.StatusCode.UNAVAILABLE


def test_mutual_tls(start_server, pki):
    server = start_server(
        tls_cert=pki["server_cert"],
        tls_key=pki["server_key"],
        tls_client_ca=pki["dir"] / "client-ca.pem",
    )
    ca = pki["server_ca"]
    anonymous = server.new_channel(credentials(ca))
    assert rpc_code(tag, server, anonymous) == grpc.StatusCode.UNAVAILABLE
    impostor = server.new_channel(credentials(ca, pki["impostor_leaf"]))
    assert rpc_code(tag, server, impostor) == grpc.StatusCode.UNAVAILABLE
    client = server.new_channel(credentials(ca, pki["client_leaf"]))
    assert PARIS in {t.concept_id for t in tag(server, client).tagged_article.tags}


def test_every_log_line_is_json(tls_server, pki):
    """After failed handshakes (which gRPC itself likes to log), stderr is
    still one JSON object per line, each with time, level and event. Stops
    the module's TLS server, so that all of its output is read."""
    target = local_target(tls_server)
    plaintext = tls_server.new_channel(target=target)
    assert rpc_code(tag, tls_server, plaintext) == grpc.StatusCode.UNAVAILABLE
    wrong_ca = tls_server.new_channel(credentials(pki["other_ca"]), target)
    assert rpc_code(tag, tls_server, wrong_ca) == grpc.StatusCode.UNAVAILABLE
    tls_server.send_signal(signal.SIGTERM)
    assert tls_server.wait_exit() == 0
    for line in tls_server.stderr_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            pytest.fail(f"stderr line is not JSON: {line!r}")
        assert isinstance(entry, dict) and {"time", "level", "event"} <= set(entry), line


# ---------------------------------------------------------------------------
# Bearer token


@pytest.fixture(scope="module")
def token(tmp_path_factory):
    return "tok-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def token_server(start_module_server, tmp_path_factory, token):
    path = tmp_path_factory.mktemp("token") / "token"
    path.write_text(token)
    path.chmod(0o600)
    return start_module_server(token_file=path)


def calls(server, metadata, good_metadata):
    """Status codes of one call of each protected RPC with `metadata`
    (`good_metadata` has the right token)."""
    codes = {
        "Tag": rpc_code(tag, server, metadata=metadata),
        "GetServerStats": rpc_code(
            server.admin().GetServerStats,
            admin_service_pb2.GetServerStatsRequest(),
            timeout=RPC_TIMEOUT,
            metadata=metadata,
        ),
    }
    stream = server.open_stream(metadata=metadata, timeout=RPC_TIMEOUT)
    stream.send(
        tagging_service_pb2.TagStreamRequest(article=article_pb2.Article(id="s", body=BODY))
    )
    stream.close_send()
    try:
        stream.recv()
        stream.drain()
    except StreamEnded:
        pass
    codes["TagStream"] = stream.code

    subscription = server.subscribe(metadata=metadata)
    # Refused at once, or registered: then an article tagged with the right
    # token is delivered.
    wait_until(
        lambda: (
            subscription.ended or server.stats(metadata=good_metadata).active_subscriptions == 1
        ),
        what="Subscribe refused or registered",
    )
    if not subscription.ended:
        tag(server, metadata=good_metadata)
        subscription.recv()
        subscription.cancel()
        codes["Subscribe"] = grpc.StatusCode.OK
    else:
        codes["Subscribe"] = subscription.code
    wait_until(
        lambda: server.stats(metadata=good_metadata).active_subscriptions == 0,
        what="Subscribe closed",
    )
    return codes


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer wrong-token",
        "Bearer ",
        "Basic {token}",
        "Bearer {token}x",
        "{token}",
    ],
    ids=["missing", "wrong", "empty", "basic-scheme", "longer", "no-scheme"],
)
def test_bad_token_is_unauthenticated(token_server, token, authorization):
    metadata = (
        None if authorization is None else [("authorization", authorization.format(token=token))]
    )
    codes = calls(token_server, metadata, [("authorization", f"Bearer {token}")])
    assert codes == dict.fromkeys(codes, grpc.StatusCode.UNAUTHENTICATED)


def test_right_token_is_accepted(token_server, token):
    good = [("authorization", f"Bearer {token}")]
    codes = calls(token_server, good, good)
    assert codes == dict.fromkeys(codes, grpc.StatusCode.OK)


def test_health_needs_no_token(token_server):
    assert (
        token_server.health().Check(health_pb2.HealthCheckRequest(), timeout=RPC_TIMEOUT).status
        == health_pb2.HealthCheckResponse.SERVING
    )


def test_token_file_with_trailing_newline(start_server, tmp_path):
    path = tmp_path / "token"
    path.write_text("tok-newline\n")
    server = start_server(token_file=path)
    tagged = tag(server, metadata=[("authorization", "Bearer tok-newline")]).tagged_article
    assert tagged.id == "t"


def test_logs_contain_no_article_text_and_no_token(token_server, token):
    """Articles with a unique marker in title and body, good and bad, on every
    path; after a graceful stop, neither the marker nor the token is in the
    process's output."""
    marker = "MARKER" + uuid.uuid4().hex
    good = [("authorization", f"Bearer {token}")]
    refused = token_server.subscribe()  # no token
    bodies = [
        f"{marker} met in Paris.".encode(),
        f"{marker} \xff broken".encode("latin-1"),  # invalid UTF-8 after the marker
        f"{marker} ".encode() * 200_000,  # too large
    ]
    for i, body in enumerate(bodies):
        rpc_code(tag, token_server, metadata=good, body=body, title=marker.encode(), id=f"m{i}")
        rpc_code(tag, token_server, metadata=None, body=body, title=marker.encode(), id=f"n{i}")
    stream = token_server.open_stream(metadata=good, timeout=RPC_TIMEOUT)
    for i, body in enumerate(bodies):
        stream.send(
            tagging_service_pb2.TagStreamRequest(
                article=article_pb2.Article(id=f"s{i}", title=marker.encode(), body=body)
            )
        )
    stream.close_send()
    assert len(stream.drain()) == len(bodies) and stream.code == grpc.StatusCode.OK
    assert refused.finish()[0] == grpc.StatusCode.UNAUTHENTICATED

    token_server.send_signal(signal.SIGTERM)
    assert token_server.wait_exit() == 0
    output = token_server.all_output()
    assert marker not in output, "article text in the logs"
    assert token not in output, "the token is in the logs"
    wait_until(lambda: token_server.events_named("stopped"), what="stopped event")
