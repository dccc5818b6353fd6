"""infra/moto_server.py: SendMessage no longer evaluates `Queue.attributes` (which walks every
message in the queue) per message, and answers as moto's own code does.

Counts, not timings: `Queue.attributes` is wrapped with a counter while batches are sent."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer
import moto.dynamodb.models as dynamodb_models
import moto.dynamodb.responses as dynamodb_responses
import moto.sqs.models as sqs_models

sys.path.insert(0, os.path.dirname(__file__))
import moto_server  # noqa: E402

ORIGINAL_SEND = sqs_models.SQSBackend.send_message


@contextlib.contextmanager
def swapped(owner, name: str, value):
    """`owner.name` is `value` inside the block, and what it was before after it."""
    saved = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, saved)


@contextlib.contextmanager
def counting_attributes():
    """Counts evaluations of `Queue.attributes` inside the block."""
    original = sqs_models.Queue.attributes
    calls = [0]

    def counted(queue):
        calls[0] += 1
        return original.fget(queue)

    with swapped(sqs_models.Queue, "attributes", property(counted)):
        yield calls


def send_message(implementation):
    return swapped(sqs_models.SQSBackend, "send_message", implementation)


def patched_send():
    with send_message(ORIGINAL_SEND):
        moto_server.patch()
        patched = sqs_models.SQSBackend.send_message
    return patched


def attribute_reads_while_sending(batches: int) -> int:
    """`Queue.attributes` evaluations during `batches` SendMessageBatch calls of 10 messages."""
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
        with counting_attributes() as calls:
            for b in range(batches):
                entries = [{"Id": str(i), "MessageBody": f"job {b}-{i}"} for i in range(10)]
                assert not sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")
        count = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        assert count["Attributes"]["ApproximateNumberOfMessages"] == str(batches * 10)
        return calls[0]


def test_unpatched_moto_computes_every_attribute_for_every_message():
    # What the patch is for (and proof the counter sees it): one full evaluation per message.
    with send_message(ORIGINAL_SEND):
        assert attribute_reads_while_sending(20) >= 200


def test_patched_send_does_not_compute_the_attributes_per_message():
    with send_message(patched_send()):
        small = attribute_reads_while_sending(5)
        large = attribute_reads_while_sending(40)
    assert small == large == 0


def test_the_patch_reads_what_attributes_would_answer():
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        backend = sqs_models.sqs_backends["123456789012"]["us-east-1"]
        sqs.create_queue(QueueName="standard")
        sqs.create_queue(QueueName="plain.fifo", Attributes={"FifoQueue": "true"})
        url = sqs.create_queue(
            QueueName="dedup.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
        )["QueueUrl"]
        names = ["standard", "plain.fifo", "dedup.fifo"]
        seen = [moto_server._content_based_deduplication(backend.get_queue(n)) for n in names]
        assert seen == [backend.get_queue(n).attributes.get("ContentBasedDeduplication") for n in names]
        assert seen == [None, "false", "true"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"ContentBasedDeduplication": "false"})
        queue = backend.get_queue("dedup.fifo")
        assert moto_server._content_based_deduplication(queue) == "false" == queue.attributes["ContentBasedDeduplication"]


def test_content_based_deduplication_still_drops_a_repeated_fifo_body():
    with send_message(patched_send()), mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(
            QueueName="dedup.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
        )["QueueUrl"]
        for _ in range(2):
            sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
        sqs.send_message(QueueUrl=url, MessageBody="other", MessageGroupId="g")
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        assert sorted(m["Body"] for m in got) == ["other", "same"]


def test_the_patch_refuses_a_moto_whose_send_message_changed(monkeypatch):
    monkeypatch.setattr(moto_server, "READ", 'queue.attributes.get("NoSuchAttribute")')
    with send_message(ORIGINAL_SEND), pytest.raises(RuntimeError, match="exactly once"):
        moto_server.patch()


# DynamoDB: a cancelled transaction restores whole-table copies (see moto_server's doc).

ORIGINAL_DYNAMODB_CALL = dynamodb_responses.DynamoHandler.call_action


@contextlib.contextmanager
def dynamodb_call_action(serialized: bool):
    """moto's own DynamoDB dispatch inside the block, serialised as moto_server.py does or not."""
    with swapped(dynamodb_responses.DynamoHandler, "call_action", ORIGINAL_DYNAMODB_CALL):
        if serialized:
            moto_server.serialize_dynamodb()
        yield


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def increment_during_a_cancelled_transaction() -> int:
    """Against moto's threaded server (as the integration tests run it): a transaction that will
    be cancelled starts, and right after it has copied the table another client adds 1 to a
    counter (waiting up to 2 s for that write to be answered); returns the counter afterwards.
    The interleaving is forced, not left to chance: the copy is where moto's rollback starts."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()

    def client():
        return boto3.client(
            "dynamodb",
            region_name="us-east-1",
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def increment():
        client().update_item(
            TableName=table,
            Key={"pk": {"S": "counter"}},
            UpdateExpression="SET n = n + :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    original_deepcopy = dynamodb_models.copy.deepcopy
    writers: list[threading.Thread] = []

    def deepcopy_then_write(value, *args, **kwargs):
        copied = original_deepcopy(value, *args, **kwargs)
        if isinstance(value, dynamodb_models.Table) and not writers:
            writer = threading.Thread(target=increment)
            writers.append(writer)
            writer.start()
            writer.join(timeout=2)
        return copied

    try:
        db = client()
        table = f"t{port}"
        db.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        db.put_item(TableName=table, Item={"pk": {"S": "counter"}, "n": {"N": "0"}})
        dynamodb_models.copy.deepcopy = deepcopy_then_write
        try:
            with pytest.raises(db.exceptions.TransactionCanceledException):
                db.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": table,
                                "Item": {"pk": {"S": "other"}},
                                "ConditionExpression": "attribute_exists(pk)",
                            }
                        }
                    ]
                )
        finally:
            dynamodb_models.copy.deepcopy = original_deepcopy
        for writer in writers:
            writer.join()
        assert writers, "the transaction never copied the table"
        item = db.get_item(TableName=table, Key={"pk": {"S": "counter"}})["Item"]
        return int(item["n"]["N"])
    finally:
        server.stop()


def test_unpatched_moto_loses_a_write_made_during_a_cancelled_transaction():
    # What the lock is for (and proof the test can see it): the rollback erases the increment.
    with dynamodb_call_action(serialized=False):
        assert increment_during_a_cancelled_transaction() == 0


def test_serialized_dynamodb_keeps_a_write_made_during_a_cancelled_transaction():
    # The increment waits for the transaction's lock and lands after its rollback.
    with dynamodb_call_action(serialized=True):
        assert increment_during_a_cancelled_transaction() == 1
