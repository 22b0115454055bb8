"""Mint a bearer token for a demo or operator user: `whistle-token --role resident --sub r-001`."""
from __future__ import annotations

import argparse

from libs.auth import ROLES, Principal, mint_token


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Mint a Whistle JWT bearer token")
    parser.add_argument("--role", required=True, choices=ROLES)
    parser.add_argument("--sub", required=True, help="user id")
    parser.add_argument("--name", default="")
    parser.add_argument("--community", dest="community_id")
    parser.add_argument("--department", dest="department_id")
    parser.add_argument("--street", dest="street_id")
    parser.add_argument("--ttl", type=int, default=None, help="seconds")
    args = parser.parse_args(argv)
    principal = Principal(
        sub=args.sub,
        role=args.role,
        name=args.name,
        community_id=args.community_id,
        department_id=args.department_id,
        street_id=args.street_id,
    )
    print(mint_token(principal, ttl_seconds=args.ttl))


if __name__ == "__main__":
    main()
