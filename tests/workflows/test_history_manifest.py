"""Recorded histories are append-only: each one stands for tickets that may still be running, so none may change.

`histories/MANIFEST.sha256` (the `sha256sum` format) lists every recorded history with its SHA-256. It may only
grow: a new history is added with its line, an existing file and its line stay as they are. See README.md here.
"""
from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

HISTORIES = Path(__file__).resolve().parent / "histories"
MANIFEST = HISTORIES / "MANIFEST.sha256"
REPO_ROOT = Path(__file__).resolve().parents[2]


def entries(text: str) -> dict[str, str]:
    """file name → hex SHA-256, from `sha256sum` lines ("<hex>  <name>"; a '*' before the name means binary mode)."""
    listed: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, name = line.partition("  ")
        name = name.removeprefix("*")
        assert len(digest) == 64 and name, f"MANIFEST.sha256 line {number} is not '<sha256>  <file name>': {line!r}"
        assert name not in listed, f"MANIFEST.sha256 lists {name} twice"
        listed[name] = digest
    return listed


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_history_in_the_manifest_exists_unchanged() -> None:
    listed = entries(MANIFEST.read_text(encoding="utf-8"))
    assert listed, "the manifest lists no history"
    deleted = sorted(name for name in listed if not (HISTORIES / name).exists())
    changed = sorted(name for name in listed if (HISTORIES / name).exists() and sha256(HISTORIES / name) != listed[name])
    assert not deleted, f"recorded histories deleted: {deleted}; histories are append-only, restore them"
    assert not changed, (
        f"recorded histories modified: {changed}; histories are append-only: restore them (git checkout) and record "
        "the new behaviour under a new name, with the change behind workflow.patched()"
    )


def test_every_recorded_history_is_in_the_manifest() -> None:
    listed = entries(MANIFEST.read_text(encoding="utf-8"))
    unlisted = sorted(p.name for p in HISTORIES.glob("*.json") if p.name not in listed)
    assert not unlisted, f"add them: (cd tests/workflows/histories && sha256sum {' '.join(unlisted)} >> MANIFEST.sha256)"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout


def test_the_manifest_only_grows() -> None:
    """Every line the manifest ever had in a commit is still in it (deleting a file together with its line fails)."""
    try:
        # Commits that added or changed the manifest (a deleting commit has no version of it to compare).
        commits = _git("log", "--format=%H", "--diff-filter=d", "--", MANIFEST.relative_to(REPO_ROOT).as_posix()).split()
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"no git history here: {exc}")
    current = entries(MANIFEST.read_text(encoding="utf-8"))
    for commit in commits:
        committed = entries(_git("show", f"{commit}:{MANIFEST.relative_to(REPO_ROOT).as_posix()}"))
        lost = sorted(f"{name} {digest[:12]}" for name, digest in committed.items() if current.get(name) != digest)
        assert not lost, f"MANIFEST.sha256 lost or changed lines it had in {commit[:10]}: {lost}"
