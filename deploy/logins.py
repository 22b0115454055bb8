"""The README's table of demo logins, made from config/demo_users.yaml (the file the portal seeds its accounts from).

    python -m deploy.logins            # rewrite the table in README.md
    python -m deploy.logins --check    # exit 1 when README.md's table is not the one the YAML makes

tests/unit/test_readme.py fails while the README's table differs from the YAML's, so a new demo user is listed."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from deploy.demo import scope_of
from services.portal.labels import ROLE_LABELS
from services.portal.users import DEMO_USERS_FILE, DemoUser

REPO_ROOT = Path(__file__).resolve().parent.parent
README = REPO_ROOT / "README.md"
BEGIN = "<!-- demo-logins: made by `python -m deploy.logins` from config/demo_users.yaml; do not edit -->"
END = "<!-- /demo-logins -->"


def demo_users(path: Path = DEMO_USERS_FILE) -> tuple[list[DemoUser], str | None]:
    """Every user of the YAML, in its order, and the shared password (read as written: no checks of the district)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [DemoUser.model_validate(raw) for raw in data.get("users", [])], data.get("default_password")


def markdown_table(path: Path = DEMO_USERS_FILE) -> str:
    users, default_password = demo_users(path)
    rows = ["| 用户名 username | 密码 password | 角色 role | 姓名 name | 范围 scope |", "|---|---|---|---|---|"]
    for user in users:
        role = f"{ROLE_LABELS.get(user.role, user.role)} `{user.role}`"
        scope = scope_of(user) + (f"（网格 {', '.join(user.grid_ids)}）" if user.grid_ids else "")
        rows.append(f"| `{user.username}` | `{user.password or default_password}` | {role} | {user.name} | {scope} |")
    return "\n".join(rows)


def with_table(readme: str, table: str) -> str:
    """`readme` with the text between its BEGIN and END markers replaced by `table`."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md has no {BEGIN!r} ... {END!r} block for the demo logins")
    return readme[: start + len(BEGIN)] + "\n" + table + "\n" + readme[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.logins", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether README.md is up to date")
    args = parser.parse_args(argv)
    current = README.read_text(encoding="utf-8")
    wanted = with_table(current, markdown_table())
    if current == wanted:
        print("README.md lists every demo login")
        return 0
    if args.check:
        print("README.md's demo logins differ from config/demo_users.yaml: run python -m deploy.logins", file=sys.stderr)
        return 1
    README.write_text(wanted, encoding="utf-8")
    print("README.md: demo logins rewritten from config/demo_users.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
