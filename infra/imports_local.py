#!/usr/bin/env python3
"""Scheduled imports on the local stack, as AWS would run them.

  queues      create the imports queue and its dead-letter queue (redrive after 5 receives)
              in moto, like template.yaml does; prints the queue URL
  poll        what the Lambda service's SQS event source does: long-poll the queue, invoke the
              `imports` function (cargo lambda watch's Invoke API) with an SQS event of up to
              10 messages, delete the ones not named in its batchItemFailures
  import-now  what the EventBridge schedule does, once: invoke `imports` with a Scheduled
              Event, then wait until the queue is drained (the poller does the work)

Environment: AWS_ENDPOINT_URL (moto), AWS_REGION, credentials; IMPORTS_QUEUE_NAME;
LAMBDA_INVOKE_URL (default http://127.0.0.1:9000).
"""

import json
import os
import sys
import time
import urllib.request

import boto3

QUEUE = os.environ.get("IMPORTS_QUEUE_NAME", "cas-inbox-local-imports")
INVOKE = os.environ.get("LAMBDA_INVOKE_URL", "http://127.0.0.1:9000")
FUNCTION = "imports"
# Longer than a local run takes (a worker that dies leaves its messages this long).
VISIBILITY_SECONDS = 60
MAX_RECEIVE_COUNT = 5


def sqs():
    return boto3.client(
        "sqs",
        region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL"),
    )


def ensure_queues():
    client = sqs()
    dlq = client.create_queue(QueueName=f"{QUEUE}-dlq")["QueueUrl"]
    arn = client.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)})
    url = client.create_queue(
        QueueName=QUEUE,
        Attributes={"VisibilityTimeout": str(VISIBILITY_SECONDS), "RedrivePolicy": redrive},
    )["QueueUrl"]
    return url, dlq


def invoke(event, timeout=900):
    request = urllib.request.Request(
        f"{INVOKE}/2015-03-31/functions/{FUNCTION}/invocations",
        data=json.dumps(event).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read() or b"null")


def left(client, url):
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attrs = client.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attrs.get(n, 0)) for n in names)


def poll():
    client = sqs()
    url, _ = ensure_queues()
    print(f"imports poller: {url} -> {INVOKE} function {FUNCTION}", flush=True)
    while True:
        try:
            got = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=5)
        except Exception as e:  # moto restarting: try again
            print(f"imports poller: receive failed: {e}", flush=True)
            time.sleep(2)
            continue
        messages = got.get("Messages", [])
        if not messages:
            continue
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "eventSource": "aws:sqs",
                }
                for m in messages
            ]
        }
        try:
            answer = invoke(event)
        except Exception as e:  # the function failed as a whole: every message is retried
            print(f"imports poller: invocation failed: {e}", flush=True)
            continue
        failed = {f["itemIdentifier"] for f in (answer or {}).get("batchItemFailures", [])}
        for m in messages:
            if m["MessageId"] not in failed:
                client.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        print(f"imports poller: {len(messages)} message(s), {len(failed)} to retry", flush=True)


def import_now():
    client = sqs()
    url, dlq = ensure_queues()
    answer = invoke({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}})
    print(f"dispatched: {json.dumps(answer)}", flush=True)
    deadline = time.time() + 600
    while left(client, url) > 0:
        if time.time() > deadline:
            sys.exit("the imports queue did not drain in 10 minutes (is `make dev` running?)")
        time.sleep(1)
    dead = left(client, dlq)
    print(f"queue drained{f'; {dead} message(s) in the dead-letter queue' if dead else ''}")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "queues":
        print(ensure_queues()[0])
    elif command == "poll":
        poll()
    elif command == "import-now":
        import_now()
    else:
        sys.exit(__doc__)
