"""Which store for the export ledger: DynamoDB (an item a call) or S3 (a shard a day), counted on moto.

    python -m bench.ledger_stores [--calls 100000] [--days 30] [--dynamodb-calls 2000]

Both designs claim the same calls the way each must: DynamoDB with conditional puts, at most 100 to a
TransactWriteItems (BatchWriteItem takes no condition); S3 with this project's ledger (a shard a UTC
day, each read once and written once with If-Match / If-None-Match). It counts the requests each
sends and times them on moto, in this process. moto's speed is not AWS's: the request counts, and
what AWS charges and allows for them, are what the README's choice rests on. DynamoDB is timed on
fewer calls, as moto takes milliseconds an item, and scaled.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import polars as pl
from moto import mock_aws

from phonebank.ledger import DAY, KEY, ROW, SYSTEM, WANTED_SCHEMA, Ledger
from phonebank.ledger_store import S3LedgerStore
from phonebank.storage import S3Storage

REGION = "us-east-1"
TRANSACTION_ITEMS = 100


def _wanted(calls: int, days: int) -> pl.DataFrame:
    first = datetime(2024, 9, 3, tzinfo=UTC)
    keys = [int.from_bytes(os.urandom(16), "little", signed=True) for _ in range(calls)]
    day = [(first + timedelta(days=n % days) - datetime(1970, 1, 1, tzinfo=UTC)).days for n in range(calls)]
    return pl.DataFrame(
        {SYSTEM: ["organizer"] * calls, ROW: range(2, calls + 2), KEY: keys, DAY: day}, schema=WANTED_SCHEMA
    )


def _counting(client: Any, counts: Counter[str]) -> Any:
    client.meta.events.register("before-call.*.*", lambda model, **_: counts.update([model.name]))
    return client


def s3_claim(wanted: pl.DataFrame) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    s3 = _counting(boto3.client("s3", region_name=REGION), counts)
    s3.create_bucket(Bucket="ledger-bench")
    ledger = Ledger(S3LedgerStore(S3Storage(s3), "ledger-bench", "ledger/"))
    counts.clear()
    started = time.perf_counter()
    ledger.commit(ledger.claim(uuid.uuid4().hex[:16], "bench.csv", wanted))
    first = {"seconds": time.perf_counter() - started, "requests": dict(counts)}
    counts.clear()
    started = time.perf_counter()
    again = ledger.claim(uuid.uuid4().hex[:16], "bench.csv", wanted)
    assert again.held.height == wanted.height
    return {
        "first": first,
        "again": {"seconds": time.perf_counter() - started, "requests": dict(counts)},
        "bytes": sum(o["Size"] for o in s3.list_objects_v2(Bucket="ledger-bench").get("Contents", [])),
    }


def dynamodb_claim(wanted: pl.DataFrame) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    dynamodb = _counting(boto3.client("dynamodb", region_name=REGION), counts)
    dynamodb.create_table(
        TableName="ledger",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "B"}],
        BillingMode="PAY_PER_REQUEST",
    )
    counts.clear()
    keys = [key.to_bytes(16, "little", signed=True) for key in wanted[KEY].to_list()]
    started = time.perf_counter()
    for start in range(0, len(keys), TRANSACTION_ITEMS):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": "ledger",
                        "Item": {"k": {"B": key}, "run": {"S": "0123456789abcdef.00000000"}},
                        "ConditionExpression": "attribute_not_exists(k)",
                    }
                }
                for key in keys[start : start + TRANSACTION_ITEMS]
            ]
        )
    return {"seconds": time.perf_counter() - started, "requests": dict(counts)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ledger_stores", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--calls", type=int, default=100_000, help="calls the S3 ledger claims (100,000)")
    parser.add_argument("--days", type=int, default=30, help="days they spread over (30)")
    parser.add_argument("--dynamodb-calls", type=int, default=2_000, help="calls DynamoDB claims (2,000)")
    args = parser.parse_args(argv)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "testing")
    with mock_aws():
        s3 = s3_claim(_wanted(args.calls, args.days))
        dynamodb = dynamodb_claim(_wanted(args.dynamodb_calls, args.days))
    scale = 1_000_000 / args.dynamodb_calls
    first, again = s3["first"], s3["again"]
    transactions = int(dynamodb["requests"].get("TransactWriteItems", 0) * scale)
    print(f"S3, a shard a day: {args.calls:,} calls over {args.days} days")
    print(f"  first claim and commit: {first['seconds']:.2f} s on moto, requests {first['requests']}")
    print(f"  the same calls again:   {again['seconds']:.2f} s on moto, requests {again['requests']}")
    print(f"  stored: {s3['bytes'] / args.calls:.1f} bytes a call")
    print(f"DynamoDB, an item a call: {args.dynamodb_calls:,} calls in transactions of {TRANSACTION_ITEMS}")
    print(f"  {dynamodb['seconds']:.2f} s on moto, requests {dynamodb['requests']}")
    print(
        f"  a million calls: {transactions:,} requests, 2,000,000 write request units (a transactional "
        f"write is two), {dynamodb['seconds'] * scale:,.0f} s on moto"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
