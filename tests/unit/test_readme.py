"""The README lists every demo login of config/demo_users.yaml and says how to stop a run started in the background;
`make stop` (python -m deploy.stack stop) ends a `deploy.stack run` through the same clean shutdown as Ctrl-C."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

from deploy import logins, runfile

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_lists_every_demo_login_with_its_password_and_role():
    data = yaml.safe_load((ROOT / "config" / "demo_users.yaml").read_text(encoding="utf-8"))
    block = README[README.index(logins.BEGIN): README.index(logins.END)]
    for user in data["users"]:
        password = user.get("password") or data["default_password"]
        row = re.search(rf"^\| `{re.escape(user['username'])}` \| `{re.escape(password)}` \| [^|]*`{user['role']}`", block, re.M)
        assert row, f"README.md does not list the demo login {user['username']!r}: run python -m deploy.logins"


def test_readme_table_is_the_one_the_yaml_makes():
    assert logins.with_table(README, logins.markdown_table()) == README, "run python -m deploy.logins"


def test_readme_and_makefile_say_how_to_stop_a_background_run():
    assert "make stop" in README and "make run &" in README
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^stop:\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe and "-m deploy.stack stop" in recipe.group(1)


STAND_IN = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import deploy.stack

    class StandInStack:  # what `run` needs of deploy.stack.Stack, without Kafka, Temporal or services
        def __init__(self, base_dir, **kw):
            self.base = Path(base_dir)
            self.log_dir = self.base / "logs"
            self.urls = {"portal": "http://127.0.0.1:1"}
            self.kafka_bootstrap, self.temporal_address, self.temporal_ui = "-", "-", False
        def start(self):
            (self.base / "started").write_text("yes")
            return self
        def check_alive(self):
            pass
        def stop(self):
            (self.base / "stopped").write_text("cleanly")

    deploy.stack.Stack = StandInStack
    sys.exit(deploy.stack.main(["run", "--base-dir", sys.argv[1], "--no-demo", "--headless"]))
    """
)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "deploy.stack", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_stop_ends_a_background_run_through_its_clean_shutdown(tmp_path):
    run = subprocess.Popen(
        [sys.executable, "-c", STAND_IN, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        line = ""
        while "Open the portal" not in line:  # the run prints this once started
            line = run.stdout.readline()
            assert line or run.poll() is None, "the run exited before it started"
        assert "make stop" in line
        assert runfile.running_pid(tmp_path) == run.pid
        assert (tmp_path / runfile.PID_FILE).read_text().strip() == str(run.pid)

        again = subprocess.run(
            [sys.executable, "-c", STAND_IN, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert again.returncode == 1 and "already running" in again.stderr  # a second run on the same state refused
        assert not (tmp_path / "stopped").exists()

        stopped = run_cli("stop", "--base-dir", str(tmp_path), "--timeout", "30")
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert run.wait(10) == 0
        assert (tmp_path / "stopped").read_text() == "cleanly"  # Stack.stop ran: everything it started is stopped
        assert not (tmp_path / runfile.PID_FILE).exists()
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()


def test_stop_with_nothing_running_says_so_and_clears_a_stale_pid_file(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / runfile.PID_FILE).write_text(f"{dead.pid}\n")
    answer = run_cli("stop", "--base-dir", str(tmp_path))
    assert answer.returncode == 0 and "not running" in answer.stdout
    assert not (tmp_path / runfile.PID_FILE).exists()
