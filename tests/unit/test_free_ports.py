"""Ports for test stacks come from below the kernel's ephemeral range, so no outgoing connection can take one between
choosing it and the server binding it (make test's chaos run lost a start to that), and they really are free."""
import socket

from deploy import procs


def test_ports_are_distinct_free_and_below_the_ephemeral_range():
    low = procs._ephemeral_low()  # noqa: SLF001
    ports = procs.free_ports(40) + [procs.free_port() for _ in range(10)]
    assert len(set(ports[:40])) == 40
    assert all(10_000 <= p < low for p in ports), (low, ports)
    for port in ports[:5]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))


def test_a_port_someone_holds_is_never_handed_out(monkeypatch):
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    taken = held.getsockname()[1]
    low = taken if taken > 11_000 else 32768
    draws = iter([taken, taken, taken + 1 if taken + 1 < low else taken - 1])
    monkeypatch.setattr(procs, "_ephemeral_low", lambda: low)
    monkeypatch.setattr(procs._PICK, "randrange", lambda a, b: next(draws))  # noqa: SLF001
    try:
        assert procs.free_port() != taken
    finally:
        held.close()
