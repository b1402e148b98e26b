#!/usr/bin/env python3
"""Petrel end-to-end test client: drives the official RocketMQ 5 Python SDK
(PyPI `rocketmq-python-client` 5.1.2, unmodified) with the common command-line
contract of tests/clients/README.md.

stdout carries only JSON lines (one event each); the SDK's own warnings and errors
are forwarded to stderr. Exit codes: 0 done, 2 client error, 3 consume timeout,
4 overall deadline (--deadline-secs) exceeded, 64 bad usage.
"""

import argparse
import json
import logging
import os
import re
import sys
import threading
import time

EXIT_OK, EXIT_CLIENT_ERROR, EXIT_TIMEOUT, EXIT_DEADLINE, EXIT_USAGE = 0, 2, 3, 4, 64

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

    c = sub.add_parser("consume", parents=[common])
    c.add_argument("--group", required=True)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--timeout-secs", type=float, required=True)
    c.add_argument("--mode", choices=["simple", "push"], default="simple")
    c.add_argument("--filter", default="*", help="tag expression, e.g. 'a || b'")
    c.add_argument("--invisible-secs", type=int, default=20)
    c.add_argument("--no-ack", action="store_true")

    args = parser.parse_args(argv)
    if args.deadline_secs is None:
        # Consume must be allowed to run its own timeout first.
        args.deadline_secs = 30.0 if args.command == "produce" else max(30.0, args.timeout_secs + 30)
    if bool(args.ak) != bool(args.sk):
        parser.error("--ak and --sk go together")
    return args


def client_configuration(args):
    from rocketmq import ClientConfiguration, Credentials
    # Without --ak/--sk the user passes empty Credentials (the SDK still sends an
    # `authorization` header with an empty Credential=, spec §5). The namespace kwarg
    # becomes the x-mq-namespace header and every Resource.resource_namespace.
    credentials = Credentials(args.ak, args.sk) if args.ak else Credentials()
    return ClientConfiguration(args.endpoint, credentials, namespace=args.namespace)


def produce(args):
    from rocketmq import Message, Producer

    producer = Producer(client_configuration(args), (args.topic,))
    try:
        producer.startup()
    except Exception as e:  # noqa: BLE001 - report whatever the SDK raised
        emit("error", stage="startup", **error_fields(e))
        return EXIT_CLIENT_ERROR

    keys = [k for k in (args.keys or "").split(",") if k]
    props = [kv.partition("=")[::2] for kv in args.property]
    failed = False
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
            receipt = producer.send(msg)
            emit("sent", index=i, message_id=receipt.message_id)
        except Exception as e:  # noqa: BLE001
            failed = True
            emit("error", stage="send", index=i, **error_fields(e))
            if args.stop_on_error:
                break
    try:
        producer.shutdown()
    except Exception as e:  # noqa: BLE001
        emit("error", stage="shutdown", **error_fields(e))
    return EXIT_CLIENT_ERROR if failed else EXIT_OK


def message_event(msg):
    return {
        "topic": msg.topic,
        "message_id": msg.message_id,
        "tag": msg.tag,
        "keys": sorted(msg.keys or []),
        "properties": dict(msg.properties or {}),
        "body": (msg.body or b"").decode("utf-8", "replace"),
        "delivery_attempt": msg.delivery_attempt,
    }


def consume_simple(args):
    from rocketmq import FilterExpression, SimpleConsumer

    # await_duration is the long-polling time sent to the server (SDK default 20 s);
    # keep it inside the caller's timeout.
    await_secs = int(max(1, min(20, args.timeout_secs)))
    consumer = SimpleConsumer(client_configuration(args), args.group,
                              {args.topic: FilterExpression(args.filter)},
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
        for msg in messages or []:
            received += 1
            emit("received", **message_event(msg))
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
    from rocketmq import ConsumeResult, FilterExpression, MessageListener, PushConsumer

    done = threading.Event()
    count = [0]
    count_lock = threading.Lock()

    class Listener(MessageListener):
        # Runs on the SDK's consumption threads. Returning SUCCESS makes the SDK ack;
        # FAILURE (--no-ack) makes it nack, so the server redelivers later.
        def consume(self, message):
            emit("received", **message_event(message))
            with count_lock:
                count[0] += 1
                if count[0] >= args.count:
                    done.set()
            return ConsumeResult.FAILURE if args.no_ack else ConsumeResult.SUCCESS

    consumer = PushConsumer(client_configuration(args), args.group, Listener(),
                            {args.topic: FilterExpression(args.filter)})
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
