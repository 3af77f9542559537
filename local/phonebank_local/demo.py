"""`phonebank local FILE` and `make demo`: drop a file into the local stack and show what comes out."""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from pathlib import Path

from phonebank.lambdas import CLAIM_FILE
from phonebank_local.stack import BUCKET, CONFIG_FOLDER, LocalStack

EXIT_CODES = {"SUCCEEDED": 0, "REJECTED": 1}


def run_demo(file: Path, out: Path, effort: str | None = None, config: Path | None = None) -> int:
    if file.stat().st_size == 0:
        # The stack's rule, as the deployed one, takes only objects with bytes (a folder marker has none).
        print(
            "phonebank: the file is empty: an empty upload starts no run. Export the calls again.",
            file=sys.stderr,
        )
        return 2
    key = f"incoming/{effort + '/' if effort else ''}{file.name}"
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    function_logs = out / "lambda-logs.jsonl"
    # The functions log JSON lines to stdout, as in Lambda: keep them out of the email's text.
    with function_logs.open("w") as logs, LocalStack(log=logs, config=config) as stack:
        print(f"Uploading {file} to s3://{BUCKET}/{key} (a local moto stack, no AWS account)...")
        if config is not None:
            print(f"Configuration: {config}, as s3://{BUCKET}/{CONFIG_FOLDER}{config.name} (ConfigKey).")
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
        run_keys = []
        for object_key in stack.object_keys():
            print(f"  {object_key}")
            if object_key.startswith("runs/"):
                run_keys.append(object_key)
        copied = _copy_run(stack, run_keys, out)
        if copied is not None:
            print(f"\nThe run's files are copied to {copied}/ to open (earlier runs of {file.name} removed).")
        print(f"The functions' and the state machine's logs are in {function_logs}.")
    status = str(notifications[-1]["attributes"].get("status", "FAILED")) if notifications else "FAILED"
    if status != "SUCCEEDED":
        # One line, as `phonebank run` prints for a file it cannot use: the email above says the rest.
        print(f"phonebank: the run ended {status}. {execution.get('cause', '')}".rstrip(), file=sys.stderr)
    return EXIT_CODES.get(status, 2)


def _copy_run(stack: LocalStack, run_keys: list[str], out: Path) -> Path | None:
    """Into `out/runs/<input name>/<run id>/`, as on S3, after removing the earlier runs of the same
    input: every upload is a new run id, and copies side by side left none marked as the newest."""
    claims = [key for key in run_keys if key.endswith("/" + CLAIM_FILE)]
    if not claims:
        return None
    run_folder = out / claims[0].removesuffix(CLAIM_FILE)
    shutil.rmtree(run_folder.parent, ignore_errors=True)
    for key in run_keys:
        local = out / key
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(stack.read(key))
    return run_folder
