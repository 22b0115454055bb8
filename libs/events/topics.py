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
