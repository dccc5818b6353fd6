"""moto_server with one fix: SendMessage no longer costs time in proportion to the queue's length.

Run it as `.venv/bin/python infra/moto_server.py -H 127.0.0.1 -p PORT` (the arguments are
moto_server's). `make dev` and the integration tests start moto this way.

Why: moto 5.2.5's `SQSBackend.send_message` reads
`queue.attributes.get("ContentBasedDeduplication")` for every message it sends. `Queue.attributes`
is a property that computes *every* queue attribute, among them `ApproximateNumberOfMessages`,
which walks all the queue's messages (calling `unix_time` for each). So each message sent costs
O(queue length), and filling a queue is quadratic: the 10,000-connection dispatch (9,000
messages) took 944 s against plain moto_server, and a plain boto3 loop of SendMessageBatch calls
slowed by about 4.5 s per 50 batches as the queue grew. A cProfile of 20 SendMessageBatch calls
on a queue of 1,500 messages: 8.5 s, 7.6 s of it in `unix_time_millis` under `attributes`.

The fix replaces that one read, in `send_message`'s own source, by `_content_based_deduplication`,
which answers what `queue.attributes.get("ContentBasedDeduplication")` answers (the attribute
exists only on FIFO queues, as "true"/"false") from the queue's stored field. Nothing else in
moto changes. If moto's source no longer contains the read exactly once, the launcher refuses to
start rather than run unpatched (infra/test_moto_server.py checks the patch and that sending does
not evaluate `attributes` per message).

A second fix: DynamoDB requests are served one at a time. moto 5.2.5's `transact_write_items`
deep-copies every table it touches before it starts and, when the transaction is cancelled (a
condition failed), puts those copies back, erasing whatever other requests wrote to the table in
the meantime; its server answers requests on threads. Real DynamoDB transactions are atomic and
isolated, so under concurrent load moto lost committed writes that DynamoDB keeps; the
exactly-once imports test cancels transactions on purpose (re-runs of aborted workers).
`DynamoHandler.call_action` now holds one lock per process (infra/test_moto_server.py shows
increments lost beside cancelled transactions unpatched, and all of them kept patched).
"""

from __future__ import annotations

import importlib.metadata
import inspect
import sys
import textwrap
import threading
from typing import Any

import moto.dynamodb.responses as dynamodb_responses
import moto.sqs.models as sqs_models

READ = 'queue.attributes.get("ContentBasedDeduplication")'
REPLACEMENT = "_content_based_deduplication(queue)"


def _content_based_deduplication(queue: Any) -> Any:
    """`queue.attributes.get("ContentBasedDeduplication")` without computing every attribute."""
    if not queue.fifo_queue:
        # `attributes` lists the FIFO attributes only for FIFO queues.
        return None
    value = queue.content_based_deduplication
    # `attributes` writes booleans as "true"/"false".
    return str(value).lower() if isinstance(value, bool) else value


def patch() -> None:
    """Replaces `SQSBackend.send_message` by its own source with the one read changed."""
    backend = sqs_models.SQSBackend
    if getattr(backend.send_message, "_cas_inbox_patched", False):
        return
    if inspect.getsource(backend.send_message).count(READ) != 1:
        raise RuntimeError(
            f"moto's SQSBackend.send_message no longer reads {READ} exactly once "
            f"(moto {importlib.metadata.version('moto')}); infra/moto_server.py needs a look"
        )
    lines, first_line = inspect.getsourcelines(backend.send_message)
    source = textwrap.dedent("".join(lines)).replace(READ, REPLACEMENT)
    # Compiled at moto's own line numbers, with moto's module as its globals (so it sees what
    # moto's own send_message sees); only the `def` lands in `defined`.
    code = compile("\n" * (first_line - 1) + source, inspect.getsourcefile(backend) or "<moto>", "exec")
    sqs_models._content_based_deduplication = _content_based_deduplication
    defined: dict[str, Any] = {}
    exec(code, vars(sqs_models), defined)  # noqa: S102 - moto's own function, one read changed
    patched = defined["send_message"]
    patched.__qualname__ = "SQSBackend.send_message"
    patched._cas_inbox_patched = True
    backend.send_message = patched


DYNAMODB_LOCK = threading.RLock()


def serialize_dynamodb() -> None:
    """Serves DynamoDB requests one at a time (see the module's doc: transactions roll back by
    restoring copies of whole tables)."""
    handler = dynamodb_responses.DynamoHandler
    if getattr(handler.call_action, "_cas_inbox_patched", False):
        return
    original = handler.call_action

    def call_action(self: Any) -> Any:
        with DYNAMODB_LOCK:
            return original(self)

    call_action._cas_inbox_patched = True  # type: ignore[attr-defined]
    handler.call_action = call_action  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    patch()
    serialize_dynamodb()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
