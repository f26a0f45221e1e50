"""Open-loop load: requests sent at a fixed rate, whatever the server's pace.

The closed-loop clients of bench/web.py measure a saturated server: each of them
sends its next request the moment the last one is answered, so with more clients
than cores every request queues behind the others, and p95 is mostly that queue.
Here requests leave on a schedule (rate per second, evenly spaced) over as many
keep-alive connections as are needed at once. A request's latency runs from the
moment it was due, not from when a connection was free to send it, so a server
that falls behind is charged for the wait (no coordinated omission).
"""

from __future__ import annotations

import selectors
import time

from bench.web import WARMUP, SignIn, Target, _Connection, latency_figures

# More requests in flight than this means the server has fallen far behind the rate.
MAX_CONNECTIONS = 64


def load_at_rate(
    port: int, target: Target, sign_in: SignIn, *, rate: float, duration: float
) -> dict[str, float]:
    """p50/p95/p99 latency of `target` requested `rate` times a second for `duration`
    seconds after a warm-up. Every request due in that time is sent and waited for,
    however late, so `rps` (answers over `duration`) is the rate itself unless some
    failed; a server that cannot keep up shows in the latencies."""
    interval = 1.0 / rate
    started = time.perf_counter()
    warm_until = started + WARMUP
    stop_at = warm_until + duration
    selector = selectors.DefaultSelector()
    connections: list[_Connection] = []
    idle: list[_Connection] = []
    due_at: dict[_Connection, float] = {}
    latencies: list[float] = []
    errors = 0
    sent = 0

    def drop(connection: _Connection) -> None:
        # Closed by the server (a recycled worker, an idle keep-alive), or failed:
        # the next request on it opens a new connection.
        if connection.sock is not None:
            selector.unregister(connection.sock)
            connection.close()
        connection.closing = False

    def send(connection: _Connection, due: float) -> bool:
        for _attempt in range(2):
            try:
                if connection.sock is None:
                    selector.register(connection.open(), selectors.EVENT_READ, connection)
                connection.number = sent
                connection.send()
                due_at[connection] = due
                return True
            except OSError:
                drop(connection)
        return False

    while True:
        now = time.perf_counter()
        due = started + sent * interval
        while due <= now and due < stop_at:
            if not idle and len(connections) < MAX_CONNECTIONS:
                connections.append(_Connection(port, target, sign_in, len(connections)))
                idle.append(connections[-1])
            if not idle:
                break  # every connection busy: the request waits, and is charged for it
            connection = idle.pop()
            if not send(connection, due):
                idle.append(connection)
                errors += due >= warm_until
            sent += 1
            due = started + sent * interval
        if due >= stop_at and not due_at:
            break
        if now > stop_at + 30:
            errors += len(due_at)
            break
        waiting = due < stop_at and (idle or len(connections) < MAX_CONNECTIONS)
        timeout = min(max(due - now, 0.0), 1.0) if waiting else 1.0
        for key, _ in selector.select(timeout=timeout):
            connection = key.data
            try:
                ok = connection.receive()
            except OSError:
                ok = False
            if connection not in due_at:
                drop(connection)  # an idle connection the server closed
                continue
            if ok is None:
                continue
            answered = time.perf_counter()
            request_due = due_at.pop(connection)
            if request_due >= warm_until:
                if ok:
                    latencies.append(answered - request_due)
                else:
                    errors += 1
            if not ok or connection.closing:
                drop(connection)
            idle.append(connection)
    for connection in connections:
        connection.close()
    selector.close()
    return {
        **latency_figures(latencies, duration=duration),
        "errors": float(errors),
        "rate": rate,
    }
