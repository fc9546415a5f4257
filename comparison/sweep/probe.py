"""A dask scheduler address is checked before a client is made: an overall deadline and the
shape of the first message, so an address that accepts and never answers, or answers with
garbage, is one clean refusal instead of a hang or a huge allocation.

A dask scheduler speaking TCP sends its handshake as soon as a connection is made: an
8-byte little-endian message length, an 8-byte frame count, one 8-byte length per frame,
then the frames (a small msgpack map with ``compression``, ``python``, ...).
:func:`probe_scheduler` reads that message within ``deadline_s`` seconds (connecting
included) and refuses what does not look like it. Other schemes (``tls://``, ``inproc://``,
``ucx://``) are left to dask's own ``timeout``.

>>> try:
...     probe_scheduler("tcp://127.0.0.1:1", deadline_s=2)
... except ValueError as e:
...     print(str(e)[:52])
cannot connect to the dask scheduler at 'tcp://127.0
"""
from __future__ import annotations

import socket
import struct
import time

from ..errors import SweepError

__all__ = ["probe_scheduler", "CONNECT_DEADLINE_S"]

#: seconds to connect to a scheduler and receive its handshake
CONNECT_DEADLINE_S = 20.0
_MAX_HANDSHAKE = 1 << 16   # a handshake is about 60 bytes; anything near this is not one


def _host_port(address: str) -> tuple[str, int] | None:
    rest = address[len("tcp://"):] if address.startswith("tcp://") else address
    if "://" in rest:
        return None
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise SweepError(f"scheduler address {address!r} must be tcp://HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


def _recv(sock: socket.socket, n: int, deadline: float) -> bytes:
    out = b""
    while len(out) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        sock.settimeout(left)
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError("closed")
        out += chunk
    return out


def _check_handshake(sock: socket.socket, deadline: float) -> str | None:
    """None when the first message looks like a dask handshake, else what is wrong."""
    (length,) = struct.unpack("<Q", _recv(sock, 8, deadline))
    if not 16 <= length <= _MAX_HANDSHAKE:
        return f"its first message claims {length} bytes"
    body = _recv(sock, length, deadline)
    (count,) = struct.unpack("<Q", body[:8])
    if not 1 <= count <= 16 or 8 + 8 * count > length:
        return f"its first message claims {count} frames"
    sizes = struct.unpack(f"<{count}Q", body[8:8 + 8 * count])
    if 8 + 8 * count + sum(sizes) != length or b"compression" not in body:
        return "its first message is not a dask handshake"
    return None


def probe_scheduler(address: str, *, deadline_s: float | None = None) -> None:
    """Refuse (:class:`~comparison.errors.SweepError`) a ``tcp://`` scheduler address that does not
    send a dask handshake within ``deadline_s`` seconds (default :data:`CONNECT_DEADLINE_S`,
    connecting included)."""
    deadline_s = CONNECT_DEADLINE_S if deadline_s is None else deadline_s
    hp = _host_port(address)
    if hp is None:
        return
    deadline = time.monotonic() + deadline_s
    try:
        with socket.create_connection(hp, timeout=deadline_s) as sock:
            bad = _check_handshake(sock, deadline)
    except TimeoutError:
        raise SweepError(f"the dask scheduler at {address!r} did not answer within {deadline_s:g} s "
                         "(is it a dask scheduler, and reachable?)") from None
    except (OSError, ConnectionError, struct.error) as exc:
        raise SweepError(f"cannot connect to the dask scheduler at {address!r} "
                         f"({exc.strerror if isinstance(exc, OSError) and exc.strerror else exc})") from None
    if bad:
        raise SweepError(f"{address!r} does not answer like a dask scheduler: {bad}")
