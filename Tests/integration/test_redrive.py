"""scripts/redrive (imagecat_tools.redrive) against moto's SQS, Lambda and CloudFormation, in
process: the Direct path (destination records → asynchronous invocations of their event, the
message deleted only once Lambda accepted it), the SQS path by hand (dead letters back to their
queue), the stack-output lookup, the dry run and the arguments.

What moto cannot show, and so is not run here: SQS's own StartMessageMoveTask (moto 5.2 does
not implement it; `--by-hand` is the tested path for SQS delivery), and anything of real AWS
(permissions, Lambda's retries of the re-invocation)."""

from __future__ import annotations

import io
import json
import zipfile
from contextlib import redirect_stderr, redirect_stdout

import boto3
import pytest
from moto import mock_aws

from conftest import s3_event, s3_event_record
from imagecat_tools import redrive

REGION = "eu-west-1"
FUNCTION = "imagecat-catalog"


@pytest.fixture
def aws(monkeypatch):
    """A boto3 session on moto (no docker: Lambda accepts invocations without running them)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws(config={"lambda": {"use_docker": False}}):
        session = boto3.session.Session(region_name=REGION)
        invoked: list[dict] = []
        # What the redrive asks of Lambda, as sent (moto answers it; nothing is stubbed).
        session.events.register("provide-client-params.lambda.Invoke", lambda params, **_: invoked.append(dict(params)))
        yield session, invoked


def make_function(session) -> None:
    role = session.client("iam").create_role(RoleName="catalog", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("bootstrap", "#!/bin/sh\n")
    session.client("lambda").create_function(FunctionName=FUNCTION, Runtime="provided.al2023", Role=role,
                                             Handler="catalog", Code={"ZipFile": code.getvalue()})


def destination_record(event: dict, error: str = "Function.StorageError") -> str:
    """What Lambda puts into an on-failure destination after the retries (its documented shape)."""
    return json.dumps({
        "version": "1.0", "timestamp": "2026-12-01T10:00:00.000Z",
        "requestContext": {"requestId": "a1b2", "functionArn": f"arn:aws:lambda:{REGION}:123456789012:function:{FUNCTION}:$LATEST",
                           "condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorType": error, "errorMessage": "GetObject s3://b/k: 503 SlowDown"}})


def event_for(*keys: str) -> dict:
    return s3_event(*(s3_event_record("imagecat-123456789012-eu-west-1", key, size=10, etag="e" * 32,
                                      event_name="ObjectCreated:Put", sequencer=f"00{i:014X}")
                      for i, key in enumerate(keys)))


def run(argv, session) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = redrive.main(argv, session=session)
    return status, out.getvalue(), err.getvalue()


def counts(sqs, url) -> tuple[int, int]:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                        "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_direct_failures_are_invoked_again_and_then_deleted(aws):
    session, invoked = aws
    make_function(session)
    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName="failures")["QueueUrl"]
    first, second = event_for("images/a.png", "images/b c.png"), event_for("images/d.gif")
    sqs.send_message(QueueUrl=url, MessageBody=destination_record(first))
    sqs.send_message(QueueUrl=url, MessageBody=destination_record(second, "Function.CatalogConflict"))
    sqs.send_message(QueueUrl=url, MessageBody="not a destination record")

    status, out, err = run(["--queue-url", url, "--function", FUNCTION], session)

    assert status == 1, "a message was left: the exit status says so"
    assert sorted((p["FunctionName"], p["InvocationType"], json.loads(p["Payload"])["Records"][0]["s3"]["object"]["key"])
                  for p in invoked) == [(FUNCTION, "Event", "images/a.png"), (FUNCTION, "Event", "images/d.gif")]
    assert sorted(json.dumps(json.loads(p["Payload"]), sort_keys=True) for p in invoked) == \
        sorted(json.dumps(e, sort_keys=True) for e in (first, second)), "the original events, unchanged"
    assert "invoked imagecat-catalog again with images/a.png (ObjectCreated:Put), images/b c.png (ObjectCreated:Put) " \
           "(failed: RetriesExhausted, Function.StorageError)" in out
    assert "not a Lambda destination record" in out
    assert out.strip().endswith("redrive: sent 2, left 1 in " + url)
    # Only the message that was not a record is still there (hidden until its visibility ends).
    assert counts(sqs, url) == (0, 1)


def test_direct_dry_run_sends_and_deletes_nothing(aws):
    session, invoked = aws
    make_function(session)
    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName="failures")["QueueUrl"]
    for key in ("images/a.png", "images/b.png", "images/c.png"):
        sqs.send_message(QueueUrl=url, MessageBody=destination_record(event_for(key)))
    status, out, _ = run(["--queue-url", url, "--function", FUNCTION, "--dry-run", "--max", "2"], session)
    assert status == 0 and invoked == []
    assert out.count("would invoke imagecat-catalog with images/") == 2
    assert "redrive: would send 2, left 0" in out
    assert sum(counts(sqs, url)) == 3


def test_the_stack_says_which_queue_and_function(aws):
    """With only --stack-name, the queue and function come from the stack's outputs."""
    session, invoked = aws
    make_function(session)
    template = {"Resources": {"CatalogFailureQueue": {"Type": "AWS::SQS::Queue"}},
                "Outputs": {"FailedEventsQueueUrl": {"Value": {"Ref": "CatalogFailureQueue"}},
                            "CatalogFunctionName": {"Value": FUNCTION}}}
    session.client("cloudformation").create_stack(StackName="imagecat", TemplateBody=json.dumps(template))
    sqs = session.client("sqs")
    [url] = sqs.list_queues()["QueueUrls"]
    sqs.send_message(QueueUrl=url, MessageBody=destination_record(event_for("images/a.png")))
    status, out, _ = run(["--stack-name", "imagecat"], session)
    assert status == 0, out
    assert [json.loads(p["Payload"])["Records"][0]["s3"]["object"]["key"] for p in invoked] == ["images/a.png"]
    assert counts(sqs, url) == (0, 0)
    assert run(["--stack-name", "imagecat", "--by-hand"], session)[0] == 1, "--by-hand is for SQS delivery"


def test_sqs_dead_letters_go_back_to_their_queue_by_hand(aws):
    session, _ = aws
    sqs = session.client("sqs")
    dead = sqs.create_queue(QueueName="dead-letters")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    source = sqs.create_queue(QueueName="catalog", Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": "5"})})["QueueUrl"]
    bodies = sorted(json.dumps(event_for(f"images/{i}.png")) for i in range(13))  # more than one receive batch
    for body in bodies:
        sqs.send_message(QueueUrl=dead, MessageBody=body)

    dry = run(["--queue-url", dead, "--by-hand", "--dry-run"], session)
    assert dry[0] == 0 and dry[1].count("would move ") == 13 and counts(sqs, source) == (0, 0)
    sqs.purge_queue(QueueUrl=dead)
    for body in bodies:
        sqs.send_message(QueueUrl=dead, MessageBody=body)

    status, out, _ = run(["--queue-url", dead, "--by-hand"], session)
    assert status == 0, out
    assert "redrive: sent 13, left 0" in out
    moved = []
    while batch := sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10).get("Messages", []):
        moved += [m["Body"] for m in batch]
    assert sorted(moved) == bodies, "every message, byte for byte, once"
    assert counts(sqs, dead) == (0, 0)


def test_targets_from_stack_outputs():
    assert redrive.target_from_outputs({"FailedEventsQueueUrl": "https://q", "CatalogFunctionName": "f"}) == \
        redrive.Target("https://q", "f")
    assert redrive.target_from_outputs({"DeadLetterQueueUrl": "https://d", "CatalogFunctionName": "f"}) == \
        redrive.Target("https://d")
    with pytest.raises(redrive.RedriveError, match="neither"):
        redrive.target_from_outputs({"ApiUrl": "https://x"})


@pytest.mark.parametrize("argv, complaint", [
    (["--function", FUNCTION], "--function goes with --queue-url"),
    (["--queue-url", "https://sqs.eu-west-1.amazonaws.com/1/q", "--max", "0"], "--max"),
    (["--queue-url", "q"], "--queue-url must be a queue URL"),
])
def test_bad_arguments(argv, complaint):
    err = io.StringIO()
    with redirect_stderr(err), pytest.raises(SystemExit) as exit_:
        redrive.parse_args(argv)
    assert exit_.value.code == 2 and complaint in err.getvalue()


def test_describe_event_lists_keys():
    assert redrive.describe_event(event_for(*(f"k{i}" for i in range(7)))) == \
        "k0 (ObjectCreated:Put), k1 (ObjectCreated:Put), k2 (ObjectCreated:Put), k3 (ObjectCreated:Put), " \
        "k4 (ObjectCreated:Put) and 2 more"
    assert redrive.describe_event({"detail": {}}) == "an event without S3 records"
