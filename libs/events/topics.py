"""Kafka topic names, in one place; TOPIC_PREFIX lets tests isolate runs on one broker."""
from libs.settings import get_settings

TICKETS = "tickets"
REPORTS = "reports"
CONFIG = "config"
WISHES = "wishes"  # 微心愿 and volunteers (libs/events/wishes.py)
POINTS = "points"  # 积分 / 时间银行 ledger credits
DEAD_LETTER = "tickets.dlq"


def topic_name(base: str) -> str:
    """The real topic for a logical one, with the configured prefix."""
    prefix = get_settings().topic_prefix
    return f"{prefix}{base}" if prefix else base


def consumer_group(service: str) -> str:
    """A service's consumer group, prefixed like its topics: stacks that share a broker (test runs) never share a
    group, so one stack's members never rebalance another's. In production (no prefix) it is the service's name."""
    prefix = get_settings().topic_prefix
    return f"{prefix}{service}" if prefix else service
