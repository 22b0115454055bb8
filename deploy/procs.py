"""Process and port helpers shared by deploy.stack, deploy.postgres and tests/conftest.py (standard library only)."""
from __future__ import annotations

import ctypes
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Mapping, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent


def python_executable() -> str:
    """The project's interpreter: .venv/bin/python when present, else the running one."""
    venv_python = REPO_ROOT / ".venv" / "bin" / "python"
    return str(venv_python) if venv_python.exists() else sys.executable


def _ephemeral_low() -> int:
    """Where the kernel's ephemeral ports (the local ends of outgoing connections) begin; 32768 if unknown."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_PICK = random.SystemRandom()  # never the tests' seeded `random`: two processes must not draw the same ports


def _bound_socket(host: str) -> socket.socket:
    """A socket bound to a free port below the ephemeral range (10000 up to it), else to any free port.

    Below that range, because a port is released between choosing it and the server binding it (seconds, for a
    service that starts a Python process): an ephemeral port can meanwhile become the local end of some outgoing
    connection (Kafka, PostgreSQL, HTTP clients of the tests running beside), and the server then fails with
    'address already in use'. make test's chaos run hit exactly that."""
    low = _ephemeral_low()
    if low > 10_000 + 1000:
        for _ in range(200):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind((host, _PICK.randrange(10_000, low)))
                return s
            except OSError:
                s.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((host, 0))
    return s


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (bound, read back, released), outside the ephemeral range."""
    with _bound_socket(host) as s:
        return s.getsockname()[1]


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct free ports (all held open while choosing, so they differ)."""
    socks = []
    try:
        for _ in range(count):
            socks.append(_bound_socket(host))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def split_hostport(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


# --------------------------------------------------------------------------- Kafka wire-level readiness probe


def _kafka_request(sock: socket.socket, api_key: int, api_version: int, correlation_id: int, body: bytes) -> bytes:
    client_id = b"whistle-probe"
    header = struct.pack(">hhih", api_key, api_version, correlation_id, len(client_id)) + client_id
    payload = header + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    size_raw = _recv_exact(sock, 4)
    (size,) = struct.unpack(">i", size_raw)
    data = _recv_exact(sock, size)
    (corr,) = struct.unpack(">i", data[:4])
    if corr != correlation_id:
        raise OSError("kafka probe: correlation id mismatch")
    return data[4:]


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise OSError("kafka probe: connection closed")
        buf += chunk
    return buf


def kafka_ready(host: str, port: int, timeout: float = 2.0) -> bool:
    """True when the broker answers ApiVersions and (if it speaks Metadata v4) lists at least one live broker.

    A KRaft broker serves requests only after catching up with the quorum and lists itself
    in Metadata only once unfenced, so this is stronger than "the port accepts connections".
    """
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            resp = _kafka_request(sock, 18, 0, 1, b"")  # ApiVersions v0
            (error_code, n) = struct.unpack(">hi", resp[:6])
            if error_code != 0:
                return False
            metadata_range = None
            for i in range(n):
                key, lo, hi = struct.unpack(">hhh", resp[6 + 6 * i: 12 + 6 * i])
                if key == 3:
                    metadata_range = (lo, hi)
            if not metadata_range or not (metadata_range[0] <= 4 <= metadata_range[1]):
                return True  # cannot check unfencing with our tiny encoder; ApiVersions answered
            # Metadata v4: topics = [] (no topics), allow_auto_topic_creation = false
            resp = _kafka_request(sock, 3, 4, 2, struct.pack(">ib", 0, 0))
            (_throttle, broker_count) = struct.unpack(">ii", resp[:8])
            return broker_count >= 1
    except (OSError, struct.error):
        return False


# --------------------------------------------------------------------------- managed subprocesses

_PR_SET_PDEATHSIG = 1
try:
    _libc = ctypes.CDLL("libc.so.6", use_errno=True) if sys.platform.startswith("linux") else None
except OSError:  # pragma: no cover
    _libc = None


def _child_setup() -> None:
    # Runs in the child between fork and exec: TERM the child if the supervising thread dies
    # (pytest killed, supervisor SIGKILLed), so nothing outlives a crashed test run.
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class ManagedProcess:
    """One subprocess in its own session (process group) with stdout+stderr appended to a log file."""

    def __init__(
        self,
        name: str,
        cmd: Sequence[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None,
        user: str | None = None,
        die_with_parent: bool = True,
    ) -> None:
        self.name = name
        self.cmd = list(cmd)
        self.log_path = Path(log_path)
        self.env = dict(env) if env is not None else None
        self.cwd = str(cwd) if cwd is not None else None
        self.user = user
        self.die_with_parent = die_with_parent
        self.proc: subprocess.Popen | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> "ManagedProcess":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} start {self.name}: {' '.join(self.cmd)}\n".encode())
        self._log.flush()
        kwargs = {}
        if self.user is not None:
            kwargs.update(user=self.user, group=self.user, extra_groups=[])
        self.proc = subprocess.Popen(
            self.cmd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=self.cwd,
            start_new_session=True,
            preexec_fn=_child_setup if self.die_with_parent else None,
            **kwargs,
        )
        return self

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll() if self.proc else None

    def signal(self, sig: int) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, sig)  # own session => pgid == pid
        except ProcessLookupError:
            pass
        except PermissionError:
            self.proc.send_signal(sig)

    def wait(self, timeout: float) -> bool:
        if self.proc is None:
            return True
        try:
            self.proc.wait(timeout=max(timeout, 0))
            return True
        except subprocess.TimeoutExpired:
            return False

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        self.wait(5)

    def close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def stop_processes(procs: Sequence[ManagedProcess], sig: int = signal.SIGTERM, grace: float = 10.0) -> None:
    """Signal every process (in the given order), wait up to `grace` seconds in total, then SIGKILL stragglers."""
    for p in procs:
        p.signal(sig)
    deadline = time.monotonic() + grace
    for p in procs:
        if not p.wait(deadline - time.monotonic()):
            p.kill()
    for p in procs:
        p.close_log()


def wait_until(predicate, timeout: float, interval: float = 0.25, what: str = "condition", check=None) -> None:
    """Poll `predicate()` until true; `check()` may raise early (e.g. a process died). TimeoutError otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        if check is not None:
            check()
        if predicate():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def run_quiet(cmd: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a short command, capturing output; raises CalledProcessError with the output in the message."""
    res = subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)
    if res.returncode != 0:
        raise subprocess.CalledProcessError(res.returncode, cmd, output=res.stdout)
    return res


class ProcessFailed(RuntimeError):
    """A supervised process died or never became ready; the message carries its log tail."""

    def __init__(self, proc: ManagedProcess, reason: str) -> None:
        self.proc = proc
        super().__init__(
            f"{proc.name} {reason} (pid {proc.pid}, exit code {proc.returncode}); log {proc.log_path}, last lines:\n"
            f"{proc.tail()}"
        )
