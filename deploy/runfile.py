"""The pid file of a `python -m deploy.stack run` (`make run`), so that `make stop` can end a run started in the
background (`make run &`, `nohup make run &`) the way Ctrl-C ends one in the foreground: SIGTERM to the supervisor,
which stops the services, the worker, Temporal and Kafka in order and exits."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

PID_FILE = "stack.pid"


class AlreadyRunning(RuntimeError):
    pass


def _alive(pid: int) -> bool:
    """`pid` runs (an exited process its parent has not reaped yet counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _is_stack(pid: int) -> bool:
    """The process `pid` is a `deploy.stack run` (not another process that reused a stale pid)."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.parent.exists():
        return _alive(pid)  # no /proc (macOS): trust the file while the process lives
    try:
        return b"deploy.stack" in cmdline.read_bytes()
    except OSError:
        return False


def running_pid(base_dir: Path) -> int | None:
    """The pid of the live run whose state is in `base_dir`; a stale file is removed."""
    path = base_dir / PID_FILE
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    if _alive(pid) and _is_stack(pid):
        return pid
    path.unlink(missing_ok=True)
    return None


def record(base_dir: Path) -> Path:
    """Write this process's pid; AlreadyRunning if a live run already uses `base_dir`."""
    other = running_pid(base_dir)
    if other is not None and other != os.getpid():
        raise AlreadyRunning(f"Whistle is already running from {base_dir} (pid {other}); `make stop` ends it")
    base_dir.mkdir(parents=True, exist_ok=True)
    path = base_dir / PID_FILE
    path.write_text(f"{os.getpid()}\n")
    return path


def forget(path: Path) -> None:
    """Remove the pid file if it is still this process's."""
    try:
        if int(path.read_text().strip()) == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def stop(base_dir: Path, timeout: float = 180.0) -> int:
    """SIGTERM the run of `base_dir` and wait until it has stopped everything and exited; 0 when nothing runs any
    more, 1 if it still runs after `timeout` seconds."""
    pid = running_pid(base_dir)
    if pid is None:
        print(f"Whistle is not running (no live {base_dir / PID_FILE})")
        return 0
    print(f"stopping Whistle (pid {pid}) ...", flush=True)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            print(f"error: pid {pid} still runs after {timeout:.0f}s; see {base_dir / 'logs'}", flush=True)
            return 1
        time.sleep(0.2)
    (base_dir / PID_FILE).unlink(missing_ok=True)
    print("stopped.", flush=True)
    return 0
