"""Dead-letter operations: list, inspect and re-drive what the consumers dead-lettered.

    python -m libs.messaging.dlq list   [--topic tickets] [--group dashboard] [--since 2h|ISO] [--until ISO] [--json]
    python -m libs.messaging.dlq show   <event id | partition:offset>
    python -m libs.messaging.dlq redrive (--all | filters) [--dry-run]

Reads the dead-letter topic (`tickets.dlq` with the run's TOPIC_PREFIX; KAFKA_BOOTSTRAP or --bootstrap) from its start
to its current end; nothing is consumed as a group and nothing is deleted. A dead letter carries the consumed record
as it was (key, value, `event_type`/`event_id` headers) plus `error`, `source_topic`, `source_partition`,
`source_offset`, `consumer_group` and `attempts`.

Re-drive, after the fix is deployed, publishes each selected record again to its source topic with its original key,
value and event id (and a `redriven_from` header). Every consumer group of that topic sees it again; the ones that
applied it already skip it in their idempotent inbox, so re-driving twice, or re-driving an event several groups
dead-lettered, applies it once. One event dead-lettered by several groups is republished once per run. A record that
still does not decode with the deployed code is skipped and reported (it would only come straight back). So is an
event older than the inbox keep period less a day (INBOX_KEEP_DAYS, 30): the groups that applied it may have purged
its inbox rows, and would apply it again; such an event is re-applied by hand (docs/operations.md).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from aiokafka import AIOKafkaConsumer, TopicPartition

from libs.events import DEAD_LETTER, EventDecodeError, decode_event, topic_name
from libs.messaging.producer import make_producer

DLQ_HEADERS = ("error", "source_topic", "source_partition", "source_offset", "consumer_group", "attempts")


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    timestamp: datetime
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    def header(self, name: str) -> str:
        return dict(self.headers).get(name, b"").decode(errors="replace")

    @property
    def position(self) -> str:
        return f"{self.partition}:{self.offset}"

    @property
    def event_id(self) -> str:
        return self.header("event_id")

    def summary(self) -> dict[str, object]:
        return {
            "position": self.position,
            "dead_lettered_at": self.timestamp.isoformat(),
            "source_topic": self.header("source_topic"),
            "source_partition": self.header("source_partition"),
            "source_offset": self.header("source_offset"),
            "consumer_group": self.header("consumer_group"),
            "attempts": self.header("attempts"),
            "event_type": self.header("event_type"),
            "event_id": self.event_id,
            "key": (self.key or b"").decode(errors="replace"),
            "error": self.header("error"),
        }


@dataclass(frozen=True)
class Filters:
    topic: str | None = None  # source topic, logical (tickets) or real (prefix included)
    group: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    event_id: str | None = None

    def match(self, letter: DeadLetter) -> bool:
        source = letter.header("source_topic")
        return (
            (self.topic is None or source in (self.topic, topic_name(self.topic)))
            and (self.group is None or letter.header("consumer_group") == self.group)
            and (self.since is None or letter.timestamp >= self.since)
            and (self.until is None or letter.timestamp <= self.until)
            and (self.event_id is None or letter.event_id == self.event_id)
        )

    def empty(self) -> bool:
        return not any((self.topic, self.group, self.since, self.until, self.event_id))


async def read_dead_letters(bootstrap: str, filters: Filters = Filters(), dlq: str | None = None) -> list[DeadLetter]:
    """Every dead letter up to the topic's current end that matches `filters`, oldest first per partition."""
    topic = dlq or topic_name(DEAD_LETTER)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, client_id="whistle-dlq-cli")
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001 - the topic may be newer than the metadata
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        found: list[DeadLetter] = []
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                for r in records:
                    if r.offset >= ends[tp]:
                        continue
                    letter = DeadLetter(
                        partition=r.partition, offset=r.offset,
                        timestamp=datetime.fromtimestamp(r.timestamp / 1000, timezone.utc),
                        key=r.key, value=r.value or b"", headers=tuple((k, v) for k, v in (r.headers or ())),
                    )
                    if filters.match(letter):
                        found.append(letter)
        return sorted(found, key=lambda d: (d.timestamp, d.partition, d.offset))
    finally:
        await consumer.stop()


@dataclass(frozen=True)
class Redriven:
    letter: DeadLetter
    outcome: str  # "redriven", "would redrive" (dry run), "duplicate in this run", "skipped: <why>"


INBOX_MARGIN = timedelta(days=1)  # re-drive only what every inbox still remembers, with a day to spare


async def redrive(
    bootstrap: str, letters: list[DeadLetter], *, dry_run: bool = False, dlq: str | None = None,
    inbox_keep: timedelta | None = None, now: datetime | None = None,
) -> list[Redriven]:
    """Publish each letter's record again to its source topic (original key, value, event id); see the module doc.
    `inbox_keep`: the consumers' inbox keep period (default INBOX_KEEP_DAYS); older events are skipped."""
    if inbox_keep is None:
        from libs.settings import get_settings

        inbox_keep = timedelta(days=get_settings().inbox_keep_days)
    oldest = (now or datetime.now(timezone.utc)) - (inbox_keep - INBOX_MARGIN)
    dlq_topic = dlq or topic_name(DEAD_LETTER)
    done: list[Redriven] = []
    seen: set[tuple[str, str]] = set()
    producer = None if dry_run else make_producer(bootstrap, "whistle-dlq-redrive")
    if producer is not None:
        await producer.start()
    try:
        for letter in letters:
            source = letter.header("source_topic")
            try:
                event = decode_event(letter.value)
            except EventDecodeError as exc:
                done.append(Redriven(letter, f"skipped: does not decode with the deployed code ({str(exc)[:200]})"))
                continue
            ident = (source, str(event.event_id))
            if not source:
                done.append(Redriven(letter, "skipped: no source_topic header"))
            elif event.occurred_at < oldest:
                done.append(Redriven(letter, f"skipped: the event is from {event.occurred_at:%Y-%m-%d}, older than the inbox keeps "
                                             f"({inbox_keep.days} days less one): groups that applied it would apply it again"))
            elif ident in seen:
                done.append(Redriven(letter, "duplicate in this run"))
            elif producer is None:
                seen.add(ident)
                done.append(Redriven(letter, "would redrive"))
            else:
                seen.add(ident)
                headers = [(k, v) for k, v in letter.headers if k not in DLQ_HEADERS and k != "redriven_from"]
                headers.append(("redriven_from", f"{dlq_topic}:{letter.position}".encode()))
                await producer.send_and_wait(source, value=letter.value, key=letter.key, headers=headers)
                done.append(Redriven(letter, "redriven"))
    finally:
        if producer is not None:
            await producer.stop()
    return done


# ---------------------------------------------------------------------- CLI


def parse_when(value: str) -> datetime:
    """An ISO time (naive = UTC) or an age: 30m, 2h, 7d."""
    age = re.fullmatch(r"(\d+)([smhd])", value.strip())
    if age:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[age.group(2)]
        return datetime.now(timezone.utc) - timedelta(**{unit: int(age.group(1))})
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _filters(args: argparse.Namespace) -> Filters:
    return Filters(topic=args.topic, group=args.group, since=args.since, until=args.until, event_id=args.event_id)


def _print_table(letters: list[DeadLetter]) -> None:
    if not letters:
        print("no dead letters match")
        return
    print(f"{'position':<10} {'dead-lettered at (UTC)':<20} {'source':<22} {'group':<12} {'tries':>5}  {'type':<22} {'event id':<36}  error")
    for d in letters:
        s = d.summary()
        print(f"{s['position']:<10} {d.timestamp:%Y-%m-%d %H:%M:%S}  {s['source_topic']:<22} {s['consumer_group']:<12} "
              f"{s['attempts']:>5}  {s['event_type']:<22} {s['event_id']:<36}  {str(s['error'])[:80]}")
    print(f"{len(letters)} dead letter(s)")


def _show(letter: DeadLetter) -> dict[str, object]:
    body: object
    try:
        body = json.loads(decode_event(letter.value).model_dump_json())
        decodes = True
    except EventDecodeError as exc:
        body, decodes = letter.value.decode(errors="replace"), False
        body = {"raw": body, "decode_error": str(exc)}
    return {**letter.summary(), "decodes_now": decodes, "headers": {k: v.decode(errors="replace") for k, v in letter.headers},
            "event": body}


async def _main(args: argparse.Namespace) -> int:
    bootstrap = args.bootstrap
    if args.command == "show":
        target = args.which
        by_position = re.fullmatch(r"(\d+):(\d+)", target)
        letters = await read_dead_letters(bootstrap, Filters(event_id=None if by_position else target), args.dlq)
        if by_position:
            letters = [d for d in letters if d.position == target]
        if not letters:
            print(f"no dead letter {target}", file=sys.stderr)
            return 1
        print(json.dumps([_show(d) for d in letters], ensure_ascii=False, indent=2))
        return 0
    filters = _filters(args)
    if args.command == "redrive" and filters.empty() and not args.all:
        print("redrive needs a filter (--topic, --group, --since, --until, --event-id) or --all", file=sys.stderr)
        return 2
    letters = await read_dead_letters(bootstrap, filters, args.dlq)
    if args.command == "list":
        if args.json:
            print(json.dumps([d.summary() for d in letters], ensure_ascii=False, indent=2))
        else:
            _print_table(letters)
        return 0
    results = await redrive(bootstrap, letters, dry_run=args.dry_run, dlq=args.dlq)
    for r in results:
        print(f"{r.letter.position:<10} {r.letter.header('source_topic'):<22} {r.letter.event_id:<36} {r.outcome}")
    redriven = sum(r.outcome in ("redriven", "would redrive") for r in results)
    print(f"{redriven} of {len(results)} dead letter(s) {'would be ' if args.dry_run else ''}re-driven")
    return 1 if any(r.outcome.startswith("skipped") for r in results) else 0


def main(argv: list[str] | None = None) -> int:
    from libs.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m libs.messaging.dlq", description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default=get_settings().kafka_bootstrap, help="Kafka bootstrap (default: $KAFKA_BOOTSTRAP)")
    parser.add_argument("--dlq", default=None, help=f"dead-letter topic (default: {topic_name(DEAD_LETTER)})")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("list", "list dead letters"), ("redrive", "publish dead letters again to their source topic")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--topic", help="source topic (logical name such as tickets, or the real one)")
        cmd.add_argument("--group", help="consumer group that dead-lettered it (a service name)")
        cmd.add_argument("--since", type=parse_when, help="dead-lettered at or after: ISO time (UTC if naive) or an age (30m, 2h, 7d)")
        cmd.add_argument("--until", type=parse_when, help="dead-lettered at or before (same forms)")
        cmd.add_argument("--event-id")
    sub.choices["list"].add_argument("--json", action="store_true", help="one JSON document instead of a table")
    sub.choices["redrive"].add_argument("--all", action="store_true", help="every dead letter (no filter)")
    sub.choices["redrive"].add_argument("--dry-run", action="store_true", help="say what would be re-driven, publish nothing")
    show = sub.add_parser("show", help="one dead letter in full: headers and the decoded event")
    show.add_argument("which", help="an event id, or partition:offset on the dead-letter topic")
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
