"""TLS failures worded by what went wrong: an untrusted certificate, one for another
site, an expired one, and an https:// URL whose server does not speak TLS. Real
handshakes against loopback servers with certificates made by openssl."""

from __future__ import annotations

import shutil
import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from feedserver import FeedServer, closed_port_url, rss, static
from test_cli import Cli
from test_cli_store import subscribe
from test_refresh_backoff import feed_lines
from tuinews.config import RefreshSettings
from tuinews.model import Subscription
from tuinews.refresh import client, refresh_feeds
from tuinews.refresh.client import make_client
from tuinews.refresh.fetch import Fetcher, FetchError, describe_network_error
from tuinews.store import Store

SETTINGS = RefreshSettings(timeout=5.0, connect_timeout=2.0)
NOT_TLS = "TLS handshake failed: the server did not answer in TLS (is it really https?)"


def make_certificate(folder: Path, alt_name: str) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = folder / f"{alt_name}.pem", folder / f"{alt_name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=tuinews test",
         "-addext", f"subjectAltName={alt_name}"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("tls")
    return {
        "loopback": make_certificate(folder, "IP:127.0.0.1"),
        "elsewhere": make_certificate(folder, "DNS:other.example"),
    }


@pytest.fixture(autouse=True)
def fresh_certificates(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Certificates load once per process; each test here wants its own.
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setattr(client, "_certificates_loaded", False)
    client._tls_context_shell.cache_clear()
    yield
    client._tls_context_shell.cache_clear()


def https_server(cert: Path, key: Path) -> FeedServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = FeedServer()
    server._server.socket = context.wrap_socket(
        server._server.socket, server_side=True, do_handshake_on_connect=False
    )
    server.route("/feed", static(rss(2)))
    return server


async def failure(url: str) -> str:
    async with make_client(SETTINGS) as http:
        with pytest.raises(FetchError) as caught:
            await Fetcher(http, SETTINGS).fetch(url)
    return caught.value.reason


async def test_a_self_signed_certificate_for_the_right_name_is_untrusted(
    certificates: dict[str, tuple[Path, Path]],
) -> None:
    # It used to say "not valid for this site", which sends the user looking at names.
    with https_server(*certificates["loopback"]) as server:
        url = f"https://127.0.0.1:{server.port}/feed"
        assert await failure(url) == "TLS certificate not trusted (self-signed or unknown issuer)"


async def test_a_trusted_certificate_for_another_name_is_for_another_site(
    certificates: dict[str, tuple[Path, Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = certificates["elsewhere"]
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with https_server(cert, key) as server:
        url = f"https://127.0.0.1:{server.port}/feed"
        assert await failure(url) == "TLS certificate is for another site"


def verification_error(code: int, message: str) -> httpx.ConnectError:
    """What httpx raises when OpenSSL refuses a certificate with `code`."""
    refused = ssl.SSLCertVerificationError(1, f"certificate verify failed: {message}")
    refused.verify_code = code
    refused.verify_message = message
    try:
        raise httpx.ConnectError(str(refused)) from refused
    except httpx.ConnectError as error:
        return error


@pytest.mark.parametrize(
    ("code", "message", "said"),
    [
        (10, "certificate has expired", "TLS certificate expired"),
        (
            9,
            "certificate is not yet valid",
            "TLS certificate not valid yet (is this computer's clock right?)",
        ),
        (20, "unable to get local issuer certificate", "TLS certificate not trusted "
         "(self-signed or unknown issuer)"),
        (62, "Hostname mismatch, certificate is not valid for 'a.example'.",
         "TLS certificate is for another site"),
        (26, "unsupported certificate purpose",
         "TLS certificate not accepted (unsupported certificate purpose)"),
    ],
)  # fmt: skip
def test_each_verification_failure_in_its_own_words(code: int, message: str, said: str) -> None:
    error = verification_error(code, message)
    assert describe_network_error(error, "https://a.example/", body_started=False) == said


def tcp_server(answer: str) -> tuple[str, threading.Thread, socket.socket]:
    """A TCP server that reads the TLS greeting, then resets (`reset`) or closes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        connection, _ = listener.accept()
        connection.recv(4096)
        if answer == "reset":  # SO_LINGER 0: close() sends a TCP reset
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"https://127.0.0.1:{listener.getsockname()[1]}/feed", thread, listener


@pytest.mark.parametrize("answer", ["reset", "close"])
async def test_https_to_a_server_that_drops_the_handshake(answer: str) -> None:
    """A plain-HTTP server often resets an https:// greeting: that read as
    `network error: ConnectionResetError`."""
    url, thread, listener = tcp_server(answer)
    try:
        assert await failure(url) == NOT_TLS
    finally:
        thread.join(timeout=10)
        listener.close()


async def test_https_to_a_plain_http_server(server: FeedServer) -> None:
    url = server.route("/feed", static(rss(2))).replace("http://", "https://")
    assert await failure(url) == NOT_TLS


def test_an_error_without_a_message_is_never_a_class_name() -> None:
    for cause, said in (
        (ConnectionResetError(), "connection reset by the server"),
        (BrokenPipeError(), "the server closed the connection"),
        (OSError(), "no details given"),
    ):
        try:
            raise httpx.NetworkError("") from cause
        except httpx.NetworkError as error:
            line = describe_network_error(error, "http://a.example/", body_started=False)
        assert line == f"network error: {said}"


# ---- SSL_CERT_FILE and SSL_CERT_DIR naming no usable certificates ----------------------

CA = "(the CA certificates for https)"


@pytest.mark.parametrize(
    ("variable", "name", "reason"),
    [
        ("SSL_CERT_FILE", "typo.pem", f"no such file {CA}"),
        ("SSL_CERT_FILE", "empty.pem", f"holds no PEM certificates {CA}"),
        ("SSL_CERT_FILE", "damaged.pem", "cannot be read as PEM certificates (OpenSSL: PEM lib)"),
        ("SSL_CERT_FILE", "certs", f"a folder, not a file {CA}; SSL_CERT_DIR names a folder"),
        ("SSL_CERT_DIR", "typo", f"no such folder {CA}"),
        ("SSL_CERT_DIR", "empty.pem", f"a file, not a folder {CA}; SSL_CERT_FILE names a file"),
        (
            "SSL_CERT_DIR",
            "certs",  # OpenSSL looks only for names like 9d66eef0.0
            f"holds no certificates named by their hash {CA}; `openssl rehash` names them",
        ),
    ],
)
async def test_a_certificate_setting_that_cannot_be_used_is_named_with_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, name: str, reason: str
) -> None:
    # It was "network error: [Errno 2] No such file or directory", naming neither.
    (tmp_path / "empty.pem").write_text("")
    (tmp_path / "damaged.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nMIIBad\n-----END CERTIFICATE-----\n"
    )
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_text("")
    monkeypatch.setenv(variable, str(tmp_path / name))
    url = closed_port_url().replace("http://", "https://")
    async with make_client(SETTINGS) as http:
        with pytest.raises(FetchError) as caught:
            await Fetcher(http, SETTINGS).fetch(url)
    assert caught.value.reason == f"{variable}={tmp_path / name}: {reason}"
    assert not caught.value.tried


def test_refresh_with_a_missing_certificate_file_names_it_and_is_not_offline(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "typo.pem"
    monkeypatch.setenv("SSL_CERT_FILE", str(missing))
    feeds = [(closed_port_url(f"/{name}").replace("http://", "https://"), name) for name in "ABC"]
    subscribe(cli, *feeds)
    said = f"SSL_CERT_FILE={missing}: no such file {CA}"
    for _run in range(2):
        result = cli.call("refresh")
        assert result.status == 1
        # Tried again at the next refresh: no back-off, as no server was asked.
        assert feed_lines(result.out) == ["failed  A", "failed  B", "failed  C"]
        # Each feed's own line, never "no feed answered (offline?)": nothing was tried.
        assert sorted(result.err_lines) == [f"tuinews: {name}: {said}" for name in "ABC"]
    assert said in cli.call("feeds").out


async def test_a_certificate_untrusted_by_the_variable_set_names_it(
    certificates: dict[str, tuple[Path, Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # SSL_CERT_FILE names another authority's certificate: the line said only "not
    # trusted", and the variable set long ago went unsuspected.
    other, _key = certificates["elsewhere"]
    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    with https_server(*certificates["loopback"]) as server:
        url = f"https://127.0.0.1:{server.port}/feed"
        assert await failure(url) == (
            f"TLS certificate not trusted by SSL_CERT_FILE={other} (self-signed or unknown issuer)"
        )


async def test_https_feeds_whose_certificates_are_refused_are_not_taken_for_offline(
    certificates: dict[str, tuple[Path, Path]], tmp_path: Path
) -> None:
    """Every feed of the refresh failed the certificate check: it said "no feed answered
    (offline?)", though each server had answered the handshake."""
    with https_server(*certificates["loopback"]) as server:
        subs = [Subscription(url=f"https://127.0.0.1:{server.port}/feed?{n}") for n in range(2)]
        summary = await refresh_feeds(tmp_path / "t.db", subs, SETTINGS)
    assert not summary.offline
    assert [outcome.error for outcome in summary.outcomes] == [
        "TLS certificate not trusted (self-signed or unknown issuer)"
    ] * 2
    # No back-off: the authorities are most often this machine's to fix (SSL_CERT_FILE
    # set long ago), and once they are, the next refresh should fetch the feeds.
    with Store.open(tmp_path / "t.db") as store:
        assert [info.next_fetch for info in store.feeds()] == [None, None]
