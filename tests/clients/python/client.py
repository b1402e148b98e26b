#!/usr/bin/env python3
"""Petrel end-to-end test client: drives the official RocketMQ 5 Python SDK
(PyPI `rocketmq-python-client` 5.1.2, unmodified) with the common command-line
contract of tests/clients/README.md.

stdout carries only JSON lines (one event each); the SDK's own warnings and errors
are forwarded to stderr. Exit codes: 0 done, 2 client error, 3 consume timeout or
half messages left unchecked (--linger-secs), 4 overall deadline (--deadline-secs)
exceeded, 64 bad usage.
"""

import argparse
import json
import logging
import math
import os
import re
import sys
import threading
import time

EXIT_OK, EXIT_CLIENT_ERROR, EXIT_TIMEOUT, EXIT_DEADLINE, EXIT_USAGE = 0, 2, 3, 4, 64
TRANSACTION_MODES = ("commit", "rollback", "check-commit", "check-rollback")
CHECK_MODES = ("check-commit", "check-rollback")
# After the last check the SDK still has to send its EndTransaction; give it this long.
END_TRANSACTION_GRACE_SECS = 1.0

_out_lock = threading.Lock()
# The last few ERROR lines the SDK logged: push consumers only log their RPC failures
# (e.g. an UNAUTHORIZED telemetry reply), so error events carry them for the tests.
_sdk_errors = []
# An SDK error naming one of these is a refusal: push consumers retry it forever, so the
# push mode stops on it (exit 2) instead of waiting for the timeout.
_REFUSED = re.compile(r"\b(40100|40300|UNAUTHORIZED|FORBIDDEN)\b|Unauthorized|Forbidden")
_refused = threading.Event()


def emit(event, **fields):
    with _out_lock:
        sys.stdout.write(json.dumps({"event": event, **fields}, ensure_ascii=False) + "\n")
        sys.stdout.flush()


def finish(code):
    # The SDK runs non-daemon threads and event loops; leave without waiting for them.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def error_fields(exc):
    """Class name, code and text of an SDK exception, as far as the SDK exposes them."""
    code = getattr(exc, "code", None)
    return {"code": code if code is not None else type(exc).__name__,
            "exception": type(exc).__name__, "message": str(exc)}


class _SdkLogTap(logging.Handler):
    """Copies the SDK's WARNING+ log records to stderr and remembers recent ERRORs."""

    def emit(self, record):
        line = self.format(record)
        sys.stderr.write(f"[rocketmq-python-client] {line}\n")
        if record.levelno >= logging.ERROR:
            _sdk_errors.append(line)
            del _sdk_errors[:-5]
            if _REFUSED.search(line):
                _refused.set()


class _Parser(argparse.ArgumentParser):
    # argparse exits 2 on bad usage, which would read as "client error" here.
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(EXIT_USAGE)


def parse_args(argv):
    common = _Parser(add_help=False)
    common.add_argument("--endpoint", required=True, help="host:port of petrel serve")
    common.add_argument("--namespace", default="", help="instance id, sent as x-mq-namespace")
    common.add_argument("--topic", required=True)
    common.add_argument("--ak", default=None)
    common.add_argument("--sk", default=None)
    common.add_argument("--deadline-secs", type=float, default=None,
                        help="hard cap on the whole run; exit 4 when hit")

    parser = _Parser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("produce", parents=[common])
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--tag", default=None)
    p.add_argument("--keys", default=None, help="comma-separated message keys")
    p.add_argument("--property", action="append", default=[], metavar="K=V")
    p.add_argument("--body-prefix", default="msg-")
    p.add_argument("--stop-on-error", action="store_true")
    p.add_argument("--message-group", default=None, help="FIFO: message group of every message")
    p.add_argument("--message-groups", type=int, default=1,
                   help="with N > 1, message i gets group G-{i %% N}")
    p.add_argument("--delay-secs", type=float, default=None,
                   help="delay: deliver each message this many seconds after its send")
    p.add_argument("--recall", action="store_true",
                   help="with --delay-secs: recall each message right after its send")
    p.add_argument("--transaction", default=None, choices=TRANSACTION_MODES)
    p.add_argument("--linger-secs", type=float, default=30.0,
                   help="check-* transactions: how long to wait for the server's checks")

    c = sub.add_parser("consume", parents=[common])
    c.add_argument("--group", required=True)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--timeout-secs", type=float, required=True)
    c.add_argument("--mode", choices=["simple", "push"], default="simple")
    c.add_argument("--filter", default=None, help="tag expression, e.g. 'a || b' (default *)")
    c.add_argument("--sql", default=None, help="SQL92 filter expression instead of a tag expression")
    c.add_argument("--invisible-secs", type=int, default=20)
    c.add_argument("--no-ack", action="store_true")
    c.add_argument("--ack-delay-ms", type=int, default=0,
                   help="wait this long after printing each message before acking it")

    args = parser.parse_args(argv)
    if bool(args.ak) != bool(args.sk):
        parser.error("--ak and --sk go together")
    if args.command == "produce":
        check_produce_args(parser, args)
    else:
        if args.sql is not None and args.filter is not None:
            parser.error("--sql and --filter exclude each other (one filter expression per subscription)")
        if args.ack_delay_ms < 0:
            parser.error(f"--ack-delay-ms must not be negative, got {args.ack_delay_ms}")
    if args.deadline_secs is None:
        # Consume must be allowed to run its own timeout first, a checked transaction its linger.
        if args.command == "consume":
            args.deadline_secs = max(30.0, args.timeout_secs + 30)
        elif args.transaction in CHECK_MODES:
            args.deadline_secs = max(30.0, args.linger_secs + 30)
        else:
            args.deadline_secs = 30.0
    return args


def check_produce_args(parser, args):
    # The SDK refuses these combinations itself (message types are exclusive); refusing them
    # here keeps them out of the "send failed" results.
    if args.message_groups < 1:
        parser.error(f"--message-groups must be at least 1, got {args.message_groups}")
    if args.message_groups > 1 and args.message_group is None:
        parser.error("--message-groups needs --message-group")
    if args.delay_secs is not None and not (0 <= args.delay_secs < math.inf):
        parser.error(f"--delay-secs must be a non-negative number, got {args.delay_secs:g}")
    if args.message_group is not None and args.delay_secs is not None:
        parser.error("--message-group (FIFO) and --delay-secs (DELAY) exclude each other")
    if args.recall and args.delay_secs is None:
        parser.error("--recall needs --delay-secs (only pending delay messages can be recalled)")
    if args.transaction and (args.message_group is not None or args.delay_secs is not None):
        parser.error("--transaction excludes --message-group and --delay-secs")
    if not 0 <= args.linger_secs < math.inf:
        parser.error(f"--linger-secs must be a non-negative number, got {args.linger_secs:g}")


def client_configuration(args):
    from rocketmq import ClientConfiguration, Credentials
    # Without --ak/--sk the user passes empty Credentials (the SDK still sends an
    # `authorization` header with an empty Credential=, spec §5). The namespace kwarg
    # becomes the x-mq-namespace header and every Resource.resource_namespace.
    credentials = Credentials(args.ak, args.sk) if args.ak else Credentials()
    return ClientConfiguration(args.endpoint, credentials, namespace=args.namespace)


def message_group_of(args, i):
    if args.message_group is None:
        return None
    return args.message_group if args.message_groups <= 1 else f"{args.message_group}-{i % args.message_groups}"


class _Checks:
    """What the TransactionChecker was asked, shared with the SDK's check thread."""

    def __init__(self, resolution_name):
        self.resolution_name = resolution_name
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.checked = set()


def transaction_checker(checks):
    from rocketmq import TransactionChecker, TransactionResolution

    resolution = getattr(TransactionResolution, checks.resolution_name)

    class Checker(TransactionChecker):
        # Runs on the SDK's check thread when the server sends a
        # RecoverOrphanedTransactionCommand; the SDK then sends EndTransaction with the answer.
        def check(self, message):
            emit("checked", message_id=message.message_id, resolution=checks.resolution_name)
            with checks.lock:
                checks.checked.add(message.message_id)
                checks.changed.notify_all()
            return resolution

    return Checker()


def produce(args):
    from rocketmq import Message, Producer

    checks = None
    if args.transaction:
        # Whatever the mode, the checker answers with the mode's resolution: the server may ask
        # about any half message of the topic, even before this producer ended its own.
        checks = _Checks("COMMIT" if args.transaction.endswith("commit") else "ROLLBACK")
    producer = Producer(client_configuration(args), (args.topic,),
                        transaction_checker(checks) if checks else None)
    try:
        producer.startup()
    except Exception as e:  # noqa: BLE001 - report whatever the SDK raised
        emit("error", stage="startup", **error_fields(e))
        return EXIT_CLIENT_ERROR

    keys = [k for k in (args.keys or "").split(",") if k]
    props = [kv.partition("=")[::2] for kv in args.property]
    failed = False
    sent_ids = []
    for i in range(args.count):
        try:
            msg = Message()
            msg.topic = args.topic
            msg.body = f"{args.body_prefix}{i}".encode()
            if args.tag is not None:
                msg.tag = args.tag
            for k in keys:
                # The SDK's `keys` setter adds one key per assignment.
                msg.keys = k
            for k, v in props:
                msg.add_property(k, v)
            group = message_group_of(args, i)
            if group is not None:
                msg.message_group = group
            delivery_ms = None
            if args.delay_secs is not None:
                # The SDK copies delivery_timestamp into Timestamp.seconds unchanged, so only
                # whole seconds reach the wire; round up so the message is never due early.
                due_ms = int(time.time() * 1000) + round(args.delay_secs * 1000)
                seconds = math.ceil(due_ms / 1000)
                msg.delivery_timestamp = seconds
                delivery_ms = seconds * 1000
            fields = {"message_group": group, "delivery_timestamp": delivery_ms}
            if args.transaction:
                transaction = producer.begin_transaction()
                receipt = producer.send(msg, transaction)
            else:
                transaction, receipt = None, producer.send(msg)
            sent_ids.append(receipt.message_id)
            if transaction is not None:
                fields["transaction_id"] = receipt.transaction_id
            emit("sent", index=i, message_id=receipt.message_id, **fields)
        except Exception as e:  # noqa: BLE001
            failed = True
            emit("error", stage="send", index=i, **error_fields(e))
            if args.stop_on_error:
                break
            continue
        if args.recall:
            try:
                recalled = producer.recall_message(args.topic, receipt.recall_handle)
                emit("recalled", index=i, message_id=recalled)
            except Exception as e:  # noqa: BLE001
                failed = True
                emit("error", stage="recall", index=i, message_id=receipt.message_id,
                     **error_fields(e))
                if args.stop_on_error:
                    break
        if args.transaction in ("commit", "rollback"):
            try:
                if args.transaction == "commit":
                    transaction.commit()
                    emit("committed", index=i, message_id=receipt.message_id)
                else:
                    transaction.rollback()
                    emit("rolled_back", index=i, message_id=receipt.message_id)
            except Exception as e:  # noqa: BLE001
                failed = True
                emit("error", stage="end_transaction", index=i, message_id=receipt.message_id,
                     **error_fields(e))
                if args.stop_on_error:
                    break

    code = EXIT_CLIENT_ERROR if failed else EXIT_OK
    if args.transaction in CHECK_MODES and sent_ids:
        code = await_checks(args, checks, sent_ids, code)
    try:
        producer.shutdown()
    except Exception as e:  # noqa: BLE001
        emit("error", stage="shutdown", **error_fields(e))
    return code


def await_checks(args, checks, sent_ids, code):
    """Stays up until the server checked every half message sent, or --linger-secs ran out."""
    end = time.monotonic() + args.linger_secs
    with checks.lock:
        while not set(sent_ids) <= checks.checked and time.monotonic() < end:
            checks.changed.wait(max(0.0, min(0.5, end - time.monotonic())))
        missing = [m for m in sent_ids if m not in checks.checked]
    if missing:
        emit("error", stage="check", code="NOT_CHECKED", message_ids=missing,
             message=f"{len(missing)} of {len(sent_ids)} half messages were not checked "
                     f"within --linger-secs={args.linger_secs:g}")
        return code if code != EXIT_OK else EXIT_TIMEOUT
    # The checker has answered; the SDK sends EndTransaction right after it returns.
    time.sleep(END_TRANSACTION_GRACE_SECS)
    return code


def now_ms():
    return int(time.time() * 1000)


def message_event(msg, received_at_ms):
    # The SDK converts the protobuf timestamps to ms and gives 0 for an absent born_timestamp.
    return {
        "topic": msg.topic,
        "message_id": msg.message_id,
        "tag": msg.tag,
        "keys": sorted(msg.keys or []),
        "properties": dict(msg.properties or {}),
        "body": (msg.body or b"").decode("utf-8", "replace"),
        "delivery_attempt": msg.delivery_attempt,
        "message_group": msg.message_group,
        "delivery_timestamp": msg.delivery_timestamp or None,
        "born_timestamp": msg.born_timestamp or None,
        "received_at_ms": received_at_ms,
    }


def filter_expression(args):
    from rocketmq import FilterExpression
    from rocketmq.grpc_protocol import FilterType

    if args.sql is not None:
        return FilterExpression(args.sql, FilterType.SQL)
    return FilterExpression(args.filter if args.filter is not None else "*")


def consume_simple(args):
    from rocketmq import SimpleConsumer

    # await_duration is the long-polling time sent to the server (SDK default 20 s);
    # keep it inside the caller's timeout.
    await_secs = int(max(1, min(20, args.timeout_secs)))
    consumer = SimpleConsumer(client_configuration(args), args.group,
                              {args.topic: filter_expression(args)},
                              await_duration=await_secs)
    try:
        consumer.startup()
    except Exception as e:  # noqa: BLE001
        emit("error", stage="startup", **error_fields(e))
        return EXIT_CLIENT_ERROR

    received, code = 0, EXIT_TIMEOUT
    end = time.monotonic() + args.timeout_secs
    while time.monotonic() < end:
        try:
            messages = consumer.receive(min(32, args.count - received), args.invisible_secs)
        except Exception as e:  # noqa: BLE001
            emit("error", stage="receive", **error_fields(e))
            code = EXIT_CLIENT_ERROR
            break
        # One batch reaches the program at once: every message in it shares this time.
        received_at = now_ms()
        for msg in messages or []:
            received += 1
            emit("received", **message_event(msg, received_at))
            if args.ack_delay_ms:
                time.sleep(args.ack_delay_ms / 1000)
            if not args.no_ack:
                try:
                    consumer.ack(msg)
                    emit("acked", message_id=msg.message_id)
                except Exception as e:  # noqa: BLE001
                    emit("error", stage="ack", message_id=msg.message_id, **error_fields(e))
        if received >= args.count:
            code = EXIT_OK
            break
    try:
        consumer.shutdown()
    except Exception as e:  # noqa: BLE001
        emit("error", stage="shutdown", **error_fields(e))
    return code


def consume_push(args):
    from rocketmq import ConsumeResult, MessageListener, PushConsumer

    done = threading.Event()
    count = [0]
    count_lock = threading.Lock()

    class Listener(MessageListener):
        # Runs on the SDK's consumption threads. Returning SUCCESS makes the SDK ack;
        # FAILURE (--no-ack) makes it nack, so the server redelivers later.
        def consume(self, message):
            emit("received", **message_event(message, now_ms()))
            if args.ack_delay_ms:
                # Holding the message delays the SDK's ack; count it only afterwards so the
                # shutdown below cannot cut the last ack off.
                time.sleep(args.ack_delay_ms / 1000)
            with count_lock:
                count[0] += 1
                if count[0] >= args.count:
                    done.set()
            return ConsumeResult.FAILURE if args.no_ack else ConsumeResult.SUCCESS

    consumer = PushConsumer(client_configuration(args), args.group, Listener(),
                            {args.topic: filter_expression(args)})
    start = time.monotonic()
    try:
        # Blocks until the server's settings reply arrives (fails after 10 s without it).
        consumer.startup()
    except Exception as e:  # noqa: BLE001
        # The cause (e.g. an UNAUTHORIZED telemetry reply) is only in the SDK's log.
        emit("error", stage="startup", sdk_log=list(_sdk_errors), **error_fields(e))
        return EXIT_CLIENT_ERROR
    end = start + args.timeout_secs
    while not done.is_set() and not _refused.is_set() and time.monotonic() < end:
        done.wait(min(0.1, max(0.0, end - time.monotonic())))
    ok = done.is_set()
    code = EXIT_OK if ok else EXIT_CLIENT_ERROR if _refused.is_set() else EXIT_TIMEOUT
    if ok:
        # The SDK acks after the listener returns, and we are woken inside the listener; give
        # the last acks a moment to go out while the client is fully running.
        time.sleep(1)
    if not ok and _sdk_errors:
        refusals = [line for line in _sdk_errors if _REFUSED.search(line)]
        emit("error", stage="consume", code="REFUSED" if refusals else "SDK_ERROR_LOGGED",
             message=(refusals or _sdk_errors)[-1], sdk_log=list(_sdk_errors))
    try:
        consumer.shutdown()
    except Exception as e:  # noqa: BLE001
        emit("error", stage="shutdown", **error_fields(e))
    return code


def main(argv):
    args = parse_args(argv)

    def on_deadline():
        emit("error", stage="deadline", code="DEADLINE_EXCEEDED",
             message=f"no result within --deadline-secs={args.deadline_secs:g}",
             **({"sdk_log": list(_sdk_errors)} if _sdk_errors else {}))
        finish(EXIT_DEADLINE)

    watchdog = threading.Timer(args.deadline_secs, on_deadline)
    watchdog.daemon = True
    watchdog.start()

    # Importing the SDK configures its file logger ($HOME/logs/rocketmq_python/);
    # add a tap so its warnings and errors also reach stderr.
    from rocketmq.v5.log import logger as sdk_logger
    tap = _SdkLogTap(logging.WARNING)
    tap.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    sdk_logger.addHandler(tap)

    if args.command == "produce":
        code = produce(args)
    elif args.mode == "push":
        code = consume_push(args)
    else:
        code = consume_simple(args)
    finish(code)


if __name__ == "__main__":
    main(sys.argv[1:])
