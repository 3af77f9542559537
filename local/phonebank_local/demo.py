"""`phonebank local FILE` and `make demo`: drop a file into the local stack and show what comes out."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from phonebank_local.stack import BUCKET, LocalStack

EXIT_CODES = {"SUCCEEDED": 0, "REJECTED": 1}


def run_demo(file: Path, out: Path, effort: str | None = None) -> int:
    key = f"incoming/{effort + '/' if effort else ''}{file.name}"
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    function_logs = out / "lambda-logs.jsonl"
    # The functions log JSON lines to stdout, as in Lambda: keep them out of the email's text.
    with function_logs.open("w") as logs, LocalStack(log=logs) as stack:
        print(f"Uploading {file} to s3://{BUCKET}/{key} (a local moto stack, no AWS account)...")
        with contextlib.redirect_stdout(logs):
            stack.upload(key, file.read_bytes())
            (execution,) = stack.wait_for_executions()
        notifications = stack.notifications()
        print(f"Execution {execution['status']} in {time.monotonic() - started:.1f} s.\n")
        for notification in notifications:
            print(f"Subject: {notification['subject']}")
            print(f"status attribute: {notification['attributes'].get('status')}\n")
            print(notification["message"], "\n")
        print(f"Objects in s3://{BUCKET}/:")
        for object_key in stack.object_keys():
            print(f"  {object_key}")
            if object_key.startswith("runs/"):
                local = out / object_key
                local.parent.mkdir(parents=True, exist_ok=True)
                local.write_bytes(stack.read(object_key))
        print(
            f"\nThe run's files are copied to {out}/runs/ to open; the functions' logs are in "
            f"{function_logs}."
        )
    statuses = [n["attributes"].get("status", "FAILED") for n in notifications]
    return EXIT_CODES.get(statuses[-1], 2) if statuses else 2
