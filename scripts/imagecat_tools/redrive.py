"""Sends what waits in the catalog function's failure queue through again (scripts/redrive).

    scripts/redrive [--stack-name imagecat] [--region eu-west-1] [--dry-run] [--max N]
                    [--wait] [--by-hand]
    scripts/redrive --queue-url URL [--function NAME] ...     (without the stack's outputs)

Which queue, and how, follows from the stack's delivery mode (its outputs):

- Direct delivery (`FailedEventsQueueUrl`): Lambda put each event it failed three times into
  the queue as a destination record, `{"requestContext": {"condition", ...}, "requestPayload":
  <the S3 event>, "responsePayload": <the error>}`. Each record's `requestPayload` is invoked
  again, asynchronously (`InvocationType=Event`, as S3 invokes it: Lambda's two retries and the
  on-failure queue apply again), and the message is deleted once Lambda has accepted the
  invocation (202). A message that is not such a record is left where it is, and said so.
- SQS delivery (`DeadLetterQueueUrl`): the dead-letter queue's redrive, SQS's own
  StartMessageMoveTask, moves every message back to the queue it came from (`--wait` follows
  the task to its end). `--by-hand` moves them with ReceiveMessage, SendMessage and
  DeleteMessage instead (where StartMessageMoveTask is not available).

Either way the catalog function observes each key again from S3's current truth, so sending an
event through twice, or after the key changed again, is safe. `--dry-run` says what would be
sent without sending or deleting anything. AWS credentials and region come from the usual
places (environment, profile) unless `--region` is given. Uses boto3.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.parse
from dataclasses import dataclass, field

RECEIVE_BATCH = 10
VISIBILITY_SECONDS = 120
"""How long a received message stays hidden while it is being sent through: far longer than one
invocation request or one SendMessage takes."""


class RedriveError(Exception):
    """A redrive that cannot go on; the message is for the operator."""


@dataclass
class Target:
    """What to redrive: Direct (`function` set) or SQS delivery."""
    queue_url: str
    function: str | None = None

    @property
    def direct(self) -> bool:
        return self.function is not None


def target_from_outputs(outputs: dict[str, str]) -> Target:
    """The stack's outputs → what to redrive."""
    if "FailedEventsQueueUrl" in outputs:
        if "CatalogFunctionName" not in outputs:
            raise RedriveError("the stack has a FailedEventsQueueUrl output but no CatalogFunctionName")
        return Target(outputs["FailedEventsQueueUrl"], outputs["CatalogFunctionName"])
    if "DeadLetterQueueUrl" in outputs:
        return Target(outputs["DeadLetterQueueUrl"])
    raise RedriveError("the stack has neither a FailedEventsQueueUrl nor a DeadLetterQueueUrl output: is it imagecat's?")


def describe_event(event) -> str:
    """`images/cat.png (ObjectCreated:Put), ...` for an S3 event, for the operator's eyes (keys
    decoded: S3 sends them form-encoded, `b+c.png` for `b c.png`)."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        return "an event without S3 records"
    shown = []
    for record in records[:5]:
        s3 = record.get("s3", {}) if isinstance(record, dict) else {}
        key = s3.get("object", {}).get("key", "?") if isinstance(s3, dict) else "?"
        key = urllib.parse.unquote_plus(key) if isinstance(key, str) else "?"
        shown.append(f"{key} ({record.get('eventName', '?')})" if isinstance(record, dict) else "?")
    more = f" and {len(records) - 5} more" if len(records) > 5 else ""
    return ", ".join(shown) + more


@dataclass
class Report:
    sent: int = 0
    left: int = 0
    lines: list[str] = field(default_factory=list)


class Redrive:
    """The redrive itself, on boto3 clients (`sqs`, and `lambda_` for Direct delivery)."""

    def __init__(self, sqs, lambda_=None):
        self.sqs = sqs
        self.lambda_ = lambda_

    def _messages(self, queue_url: str, limit: int | None):
        """Messages of the queue, each once, until it is empty (or `limit`)."""
        seen: set[str] = set()
        while limit is None or len(seen) < limit:
            wanted = RECEIVE_BATCH if limit is None else min(RECEIVE_BATCH, limit - len(seen))
            batch = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=wanted, WaitTimeSeconds=1,
                                             VisibilityTimeout=VISIBILITY_SECONDS).get("Messages", [])
            fresh = [m for m in batch if m["MessageId"] not in seen]
            if not fresh:
                return
            for message in fresh:
                seen.add(message["MessageId"])
                yield message

    # -- Direct delivery ----------------------------------------------------------------------------

    def direct(self, target: Target, *, dry_run: bool = False, limit: int | None = None) -> Report:
        assert self.lambda_ is not None and target.function
        report = Report()
        for message in self._messages(target.queue_url, limit):
            try:
                record = json.loads(message["Body"])
                event = record["requestPayload"]
                condition = record.get("requestContext", {}).get("condition", "?")
                error = (record.get("responsePayload") or {}).get("errorType", "no error type")
            except (ValueError, KeyError, TypeError, AttributeError):
                report.left += 1
                report.lines.append(f"left {message['MessageId']}: not a Lambda destination record")
                continue
            what = f"{describe_event(event)} (failed: {condition}, {error})"
            if dry_run:
                report.lines.append(f"would invoke {target.function} with {what}")
                report.sent += 1
                continue
            answer = self.lambda_.invoke(FunctionName=target.function, InvocationType="Event",
                                         Payload=json.dumps(event).encode())
            if answer.get("StatusCode") != 202:
                report.left += 1
                report.lines.append(f"left {message['MessageId']}: Lambda answered {answer.get('StatusCode')} for {what}")
                continue
            self.sqs.delete_message(QueueUrl=target.queue_url, ReceiptHandle=message["ReceiptHandle"])
            report.sent += 1
            report.lines.append(f"invoked {target.function} again with {what}")
        return report

    # -- SQS delivery -------------------------------------------------------------------------------

    def _source_queue(self, dead_letters_url: str) -> str:
        sources = self.sqs.list_dead_letter_source_queues(QueueUrl=dead_letters_url).get("queueUrls", [])
        if len(sources) != 1:
            raise RedriveError(f"the dead-letter queue serves {len(sources)} queues; expected exactly one")
        return sources[0]

    def sqs_by_hand(self, target: Target, *, dry_run: bool = False, limit: int | None = None) -> Report:
        """Each message sent to the queue it came from, then deleted from the dead letters."""
        source = self._source_queue(target.queue_url)
        report = Report()
        for message in self._messages(target.queue_url, limit):
            try:
                what = describe_event(json.loads(message["Body"]))
            except ValueError:
                what = "a message that is not JSON"
            if dry_run:
                report.sent += 1
                report.lines.append(f"would move {message['MessageId']} back: {what}")
                continue
            self.sqs.send_message(QueueUrl=source, MessageBody=message["Body"])
            self.sqs.delete_message(QueueUrl=target.queue_url, ReceiptHandle=message["ReceiptHandle"])
            report.sent += 1
            report.lines.append(f"moved {message['MessageId']} back: {what}")
        return report

    def sqs_native(self, target: Target, *, dry_run: bool = False, wait: bool = False,
                   poll_seconds: float = 5.0) -> Report:
        """SQS's own dead-letter redrive (StartMessageMoveTask) to the queue the messages came from."""
        attributes = self.sqs.get_queue_attributes(QueueUrl=target.queue_url,
                                                   AttributeNames=["QueueArn", "ApproximateNumberOfMessages"])["Attributes"]
        waiting = int(attributes.get("ApproximateNumberOfMessages", "0"))
        source = self._source_queue(target.queue_url)
        report = Report()
        if dry_run:
            report.lines.append(f"would move about {waiting} messages from {target.queue_url} back to {source}")
            return report
        handle = self.sqs.start_message_move_task(SourceArn=attributes["QueueArn"])["TaskHandle"]
        report.lines.append(f"started moving about {waiting} messages back to {source} (task {handle})")
        while wait:
            tasks = self.sqs.list_message_move_tasks(SourceArn=attributes["QueueArn"], MaxResults=1).get("Results", [])
            task = tasks[0] if tasks else {}
            if task.get("Status") in ("COMPLETED", "CANCELLED", "FAILED"):
                report.sent = int(task.get("ApproximateNumberOfMessagesMoved", 0))
                report.lines.append(f"task {task['Status'].lower()}: {report.sent} moved"
                                    + (f" ({task['FailureReason']})" if task.get("FailureReason") else ""))
                if task["Status"] != "COMPLETED":
                    report.left = max(0, waiting - report.sent)
                break
            time.sleep(poll_seconds)
        return report


def stack_outputs(cloudformation, stack_name: str) -> dict[str, str]:
    stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/redrive",
                                     description="Send the catalog function's failed events through again.")
    parser.add_argument("--stack-name", default="imagecat", help="the stack whose queue to redrive (default imagecat)")
    parser.add_argument("--region", help="AWS region (default: the usual AWS configuration)")
    parser.add_argument("--queue-url", help="the failure or dead-letter queue, instead of the stack's outputs")
    parser.add_argument("--function", help="with --queue-url: Direct delivery, re-invoke this function")
    parser.add_argument("--dry-run", action="store_true", help="say what would be sent, send and delete nothing")
    parser.add_argument("--max", type=int, default=None, metavar="N", help="at most N messages (Direct, --by-hand)")
    parser.add_argument("--by-hand", action="store_true",
                        help="SQS delivery: move messages with receive/send/delete, not SQS's StartMessageMoveTask")
    parser.add_argument("--wait", action="store_true", help="SQS delivery: follow the move task to its end")
    args = parser.parse_args(argv)
    if args.function and not args.queue_url:
        parser.error("--function goes with --queue-url (otherwise both come from the stack)")
    if args.max is not None and args.max < 1:
        parser.error("--max must be at least 1")
    if args.queue_url and not args.queue_url.startswith("https://"):
        parser.error("--queue-url must be a queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)")
    return args


def main(argv: list[str] | None = None, session=None) -> int:
    """`session`: a boto3 session to use (tests); by default one for `--region`."""
    args = parse_args(argv)
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError
    session = session or boto3.session.Session(region_name=args.region)
    try:
        if args.queue_url:
            target = Target(args.queue_url, args.function)
        else:
            target = target_from_outputs(stack_outputs(session.client("cloudformation"), args.stack_name))
        if target.direct and (args.by_hand or args.wait):
            raise RedriveError("--by-hand and --wait are for SQS delivery; this stack delivers directly")
        redrive = Redrive(session.client("sqs"), session.client("lambda") if target.direct else None)
        if target.direct:
            report = redrive.direct(target, dry_run=args.dry_run, limit=args.max)
        elif args.by_hand:
            report = redrive.sqs_by_hand(target, dry_run=args.dry_run, limit=args.max)
        else:
            report = redrive.sqs_native(target, dry_run=args.dry_run, wait=args.wait)
    except (RedriveError, ClientError, BotoCoreError) as error:
        print(f"redrive: error: {error}", file=sys.stderr)
        return 1
    for line in report.lines:
        print(line)
    verb = "would send" if args.dry_run else "sent"
    print(f"redrive: {verb} {report.sent}, left {report.left} in {target.queue_url}")
    return 1 if report.left else 0


if __name__ == "__main__":
    sys.exit(main())
