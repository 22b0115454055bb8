"""Explicit status enums with a table of legal moves; an illegal move is a domain error (HTTP 409)."""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

S = TypeVar("S", bound=StrEnum)


class DomainError(Exception):
    """A rule of the domain refused the command; the API answers 409 with this message."""

    status_code = 409


class IllegalTransition(DomainError):
    def __init__(self, entity: str, current: StrEnum, target: StrEnum) -> None:
        super().__init__(f"{entity} is {current.value}; it cannot become {target.value}")
        self.current = current
        self.target = target


class NotFound(DomainError):
    status_code = 404


class Rejected(DomainError):
    """The command names something unusable: an unknown id, a malformed document or value (HTTP 422)."""

    status_code = 422


class Forbidden(DomainError):
    """The caller's role or scope does not cover this ticket, community or department (HTTP 403)."""

    status_code = 403


def check_transition(transitions: Mapping[S, frozenset[S]], entity: str, current: S, target: S) -> S:
    """Return `target` when the move is legal, else raise IllegalTransition."""
    if target not in transitions.get(current, frozenset()):
        raise IllegalTransition(entity, current, target)
    return target


def check_next_version(current_version: int, version: int) -> None:
    """DomainError (409) unless `version` is exactly `current_version` + 1."""
    if version != current_version + 1:
        raise DomainError(f"version: expected {current_version + 1} (current is {current_version}), got {version}")
