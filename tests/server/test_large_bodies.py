"""A request body over the limit is answered 413 RequestEntityTooLargeException, however it is sent.

The server reads such a body to its end without keeping it, so a client that sends all of it before
reading the answer gets the 413 rather than a reset connection, and the server's memory does not grow
with the body.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

from asl_engine.server.protocol import MAX_BODY

BODY = 30 * 1024 * 1024
HEADERS = {"X-Amz-Target": "AWSStepFunctions.ListStateMachines", "Content-Type": "application/x-amz-json-1.0"}
TOO_LARGE = {"__type": "RequestEntityTooLargeException", "message": f"Request body is larger than {MAX_BODY} bytes"}


def _pieces(total: int, size: int = 256 * 1024) -> Iterator[bytes]:
    for start in range(0, total, size):
        yield b" " * min(size, total - start)


def _connection(server) -> http.client.HTTPConnection:
    url = urlsplit(server.url)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=60)


def _peak_rss_kib(server) -> int:
    with open(f"/proc/{server.process.pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def test_streamed_body_with_content_length(server) -> None:
    before = _peak_rss_kib(server)
    conn = _connection(server)
    conn.request("POST", "/", body=_pieces(BODY), headers=HEADERS | {"Content-Length": str(BODY)})
    response = conn.getresponse()
    assert (response.status, json.loads(response.read())) == (413, TOO_LARGE)
    assert response.getheader("x-amzn-errortype") == "RequestEntityTooLargeException"
    assert _peak_rss_kib(server) - before < BODY // 1024 // 4  # the body was not held


def test_chunked_body(server) -> None:
    conn = _connection(server)
    conn.request("POST", "/", body=_pieces(BODY), headers=HEADERS, encode_chunked=True)
    response = conn.getresponse()
    assert (response.status, json.loads(response.read())) == (413, TOO_LARGE)
    conn.request("POST", "/", body=b"{}", headers=HEADERS)  # the connection is still good
    assert conn.getresponse().status == 200


def test_whole_body_sent_before_reading_with_connection_close(server) -> None:
    """What urllib does: ``Connection: close`` and one send of the whole body, then the answer."""
    url = urlsplit(server.url)
    with socket.create_connection((url.hostname, url.port), timeout=60) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in (HEADERS | {"Content-Length": str(BODY),
                                                             "Connection": "close"}).items())
        sock.sendall(f"POST / HTTP/1.1\r\nHost: {url.netloc}\r\n{head}\r\n".encode() + b" " * BODY)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"413"
    assert json.loads(rest.partition(b"\r\n\r\n")[2]) == TOO_LARGE
