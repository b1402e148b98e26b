#!/usr/bin/env python3
"""Data-plane isolation between accounts, over gRPC, with the official RocketMQ 5 Python SDK
(PyPI `rocketmq-python-client`, unmodified): its Producer and SimpleConsumer for account A's own
traffic, and its generated protocol stubs and its own request signer for the attacker's raw
RPCs, so that every RPC can be aimed at exactly the resource under test.

Input: `--setup FILE`, the setup part of tests/openapi/isolation.py's report (both accounts'
ids and keys). A sends a message and receives it (keeping its receipt handle un-acked). Then
B's root and B's administrator send every data-plane RPC at A's instance (by its id in the
namespace header, and in the resource namespace only), and use A's message ids and receipt
handles on B's own same-named topic and group. A's user `reacher`, whose policy names only B's
resources, tries B's instance. An attempt leaks when it answers OK on A's resource, delivers a
message, or answers with any of A's identifiers. Finally A acks with its receipt handle, which
must still work.

Prints one JSON line: attempts, leaks, codes, a_acked_after."""

import argparse
import json
import os
import sys
import threading
import time

import grpc

from rocketmq import ClientConfiguration, Credentials, Message, Producer, SimpleConsumer, FilterExpression
from rocketmq.grpc_protocol import definition_pb2 as d
from rocketmq.grpc_protocol import service_pb2 as s
from rocketmq.grpc_protocol import service_pb2_grpc
from rocketmq.v5.util import ClientId
from rocketmq.v5.util.signature import Signature
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

OK = d.Code.Value("OK")
PRIVATE = "a-private"


class Tally:
    def __init__(self, secrets):
        self.attempts = 0
        self.leaks = []
        self.codes = {}
        self.secrets = secrets

    def _code(self, code):
        name = d.Code.Name(code) if code in d.Code.values() else str(code)
        self.codes[name] = self.codes.get(name, 0) + 1

    def _named(self, who, what, text):
        found = [x for x in self.secrets if x and x in text]
        if found:
            self.leaks.append(f"{who}: {what}: answer names {found}: {text[:300]}")

    def refused(self, who, what, fn):
        """A unary RPC on A's resource: its status must not be OK (nor any entry's)."""
        self.attempts += 1
        try:
            resp = fn()
        except grpc.RpcError as e:
            self.codes[str(e.code())] = self.codes.get(str(e.code()), 0) + 1
            return
        statuses = [resp.status.code] + [e.status.code for e in getattr(resp, "entries", [])]
        if any(c == OK for c in statuses):
            self.leaks.append(f"{who}: {what}: answered OK: {str(resp)[:300]}")
        else:
            self._code(resp.status.code)
        self._named(who, what, str(resp))

    def no_delivery(self, who, what, fn):
        """A ReceiveMessage stream: it must deliver no message and end without OK."""
        self.attempts += 1
        try:
            frames = list(fn())
        except grpc.RpcError as e:
            self.codes[str(e.code())] = self.codes.get(str(e.code()), 0) + 1
            return
        delivered = [f for f in frames if f.WhichOneof("content") == "message"]
        if delivered:
            self.leaks.append(f"{who}: {what}: delivered {len(delivered)} message(s): {str(delivered[0])[:300]}")
        for f in frames:
            if f.WhichOneof("content") == "status":
                self._code(f.status.code)
        self._named(who, what, " ".join(str(f) for f in frames))

    def same_as_missing(self, who, what, real, fake, call):
        """`call(real)` with A's id must answer exactly as `call(fake)` with an id nobody has
        (the message compared with the ids swapped): no oracle for what A has."""
        self.attempts += 1

        def outcome(x):
            try:
                resp = call(x)
            except grpc.RpcError as e:
                return (str(e.code()),)
            st = resp.status
            return (st.code, st.message.replace(x, "<id>"))

        got, missing = outcome(real), outcome(fake)
        if got != missing:
            self.leaks.append(f"{who}: {what}: A's id answers {got}, an unknown id {missing}")

    def harmless(self, who, what, fn):
        """An RPC that only touches the caller's own client session (Heartbeat,
        NotifyClientTermination): it may answer OK, but must name nothing of A's."""
        self.attempts += 1
        try:
            resp = fn()
        except grpc.RpcError as e:
            self.codes[str(e.code())] = self.codes.get(str(e.code()), 0) + 1
            return
        self._code(resp.status.code)
        self._named(who, what, str(resp))


class Raw:
    """Raw RPCs signed by the SDK's own signer, as the holder of one AccessKey."""

    def __init__(self, endpoint, ak, sk):
        self.endpoint = endpoint
        self.credentials = Credentials(ak, sk)
        self.stub = service_pb2_grpc.MessagingServiceStub(grpc.insecure_channel(endpoint))
        self.client_id = ClientId().client_id

    def md(self, namespace):
        config = ClientConfiguration(self.endpoint, self.credentials, namespace=namespace)
        return Signature.metadata(config, self.client_id)

    def call(self, rpc, request, namespace, timeout=5):
        return getattr(self.stub, rpc)(request, metadata=self.md(namespace), timeout=timeout)

    def receive(self, namespace, resource_ns, topic, group):
        req = s.ReceiveMessageRequest(
            group=d.Resource(resource_namespace=resource_ns, name=group),
            message_queue=d.MessageQueue(
                topic=d.Resource(resource_namespace=resource_ns, name=topic), id=0,
                permission=d.Permission.Value("READ_WRITE"),
                accept_message_types=[d.MessageType.Value("NORMAL")]),
            filter_expression=d.FilterExpression(type=d.FilterType.Value("TAG"), expression="*"),
            batch_size=32,
            invisible_duration=Duration(seconds=30),
            auto_renew=False,
            long_polling_timeout=Duration(seconds=1),
        )
        return self.stub.ReceiveMessage(req, metadata=self.md(namespace), timeout=10)


def res(ns, name):
    return d.Resource(resource_namespace=ns, name=name)


def endpoints(endpoint):
    host, port = endpoint.rsplit(":", 1)
    return d.Endpoints(scheme=d.AddressScheme.Value("IPv4"), addresses=[d.Address(host=host, port=int(port))])


def message(ns, topic, body):
    born = Timestamp()
    born.GetCurrentTime()
    import hashlib
    return d.Message(
        topic=res(ns, topic),
        system_properties=d.SystemProperties(
            message_id="01" + os.urandom(16).hex().upper(),
            body_digest=d.Digest(type=d.DigestType.Value("MD5"), checksum=hashlib.md5(body).hexdigest().upper()),
            body_encoding=d.Encoding.Value("IDENTITY"),
            message_type=d.MessageType.Value("NORMAL"),
            born_timestamp=born,
            born_host="attacker",
        ),
        body=body,
    )


def attack(t, who, raw, endpoint, a, b, handle, a_ids):
    """Every data-plane RPC of `raw` at A's instance, and A's ids and handle in B's own."""
    ai, bi = a["instance"], b["instance"]
    # (namespace header, resource namespace): the header alone; the resource namespace alone.
    for hdr, rns, how in ((ai, ai, "header"), ("", ai, "resource namespace")):
        for topic in ("t", PRIVATE + "-topic"):
            t.refused(who, f"QueryRoute {topic} ({how})", lambda topic=topic: raw.call(
                "QueryRoute", s.QueryRouteRequest(topic=res(rns, topic), endpoints=endpoints(endpoint)), hdr))
        t.refused(who, f"SendMessage ({how})", lambda: raw.call(
            "SendMessage", s.SendMessageRequest(messages=[message(rns, "t", b"planted")]), hdr))
        t.refused(who, f"QueryAssignment ({how})", lambda: raw.call("QueryAssignment", s.QueryAssignmentRequest(
            topic=res(rns, "t"), group=res(rns, "g"), endpoints=endpoints(endpoint)), hdr))
        t.no_delivery(who, f"ReceiveMessage ({how})", lambda: raw.receive(hdr, rns, "t", "g"))
        attack_handles(t, who, raw, hdr, rns, handle, a_ids, how)
        t.refused(who, f"UpdateOffset ({how})", lambda: raw.call("UpdateOffset", s.UpdateOffsetRequest(
            group=res(rns, "g"), message_queue=d.MessageQueue(topic=res(rns, "t"), id=0), offset=0), hdr))
        t.refused(who, f"GetOffset ({how})", lambda: raw.call("GetOffset", s.GetOffsetRequest(
            group=res(rns, "g"), message_queue=d.MessageQueue(topic=res(rns, "t"), id=0)), hdr))
        t.refused(who, f"QueryOffset ({how})", lambda: raw.call("QueryOffset", s.QueryOffsetRequest(
            message_queue=d.MessageQueue(topic=res(rns, "t"), id=0)), hdr))
        t.no_delivery(who, f"PullMessage ({how})", lambda: raw.stub.PullMessage(s.PullMessageRequest(
            group=res(rns, "g"), message_queue=d.MessageQueue(topic=res(rns, "t"), id=0), offset=0, batch_size=32),
            metadata=raw.md(hdr), timeout=5))
        t.harmless(who, f"Heartbeat A's group ({how})", lambda: raw.call("Heartbeat", s.HeartbeatRequest(
            group=res(rns, "g"), client_type=d.ClientType.Value("SIMPLE_CONSUMER")), hdr))
        t.harmless(who, f"NotifyClientTermination A's group ({how})", lambda: raw.call(
            "NotifyClientTermination", s.NotifyClientTerminationRequest(group=res(rns, "g")), hdr))
        # The settings reply is never refused (receive decides access), but must carry defaults,
        # not A's group's facts.
        t.harmless(who, f"Telemetry subscribing A's group ({how})", lambda: telemetry(raw, hdr, rns, endpoint))
    # Refusals are no oracle: A's instance and handle fail exactly like ones nobody has.
    fake_ns = "rmq-cn-nobodyhas000"
    t.same_as_missing(who, "QueryRoute", ai, fake_ns, lambda x: raw.call(
        "QueryRoute", s.QueryRouteRequest(topic=res(x, "t"), endpoints=endpoints(endpoint)), x))
    t.same_as_missing(who, "ReceiveMessage", ai, fake_ns, lambda x: last_status(raw.receive(x, x, "t", "g")))
    fake_handle = "p1" + "0" * 24 + os.urandom(16).hex()
    t.same_as_missing(who, "AckMessage on B's own t/g", handle, fake_handle, lambda x: raw.call(
        "AckMessage", s.AckMessageRequest(group=res(bi, "g"), topic=res(bi, "t"), entries=[
            s.AckMessageEntry(message_id=a_ids[0], receipt_handle=x)]), bi))
    # No namespace at all: the topic is looked up in the caller's own account only.
    t.refused(who, "QueryRoute a-private-topic (no namespace)", lambda: raw.call(
        "QueryRoute", s.QueryRouteRequest(topic=res("", PRIVATE + "-topic"), endpoints=endpoints(endpoint)), ""))
    # A's message ids and receipt handle on B's own instance, topic t and group g.
    attack_handles(t, who, raw, bi, bi, handle, a_ids, "B's own instance")
    t.no_delivery(who, "ReceiveMessage on B's own t/g", lambda: raw.receive(bi, bi, "t", "g"))


def last_status(frames):
    status = None
    for f in frames:
        if f.WhichOneof("content") == "status":
            status = f
    return status


def attack_handles(t, who, raw, hdr, rns, handle, a_ids, how):
    entries = [s.AckMessageEntry(message_id=m, receipt_handle=handle) for m in a_ids]
    t.refused(who, f"AckMessage A's handle ({how})", lambda: raw.call("AckMessage", s.AckMessageRequest(
        group=res(rns, "g"), topic=res(rns, "t"), entries=entries), hdr))
    t.refused(who, f"ChangeInvisibleDuration A's handle ({how})", lambda: raw.call(
        "ChangeInvisibleDuration", s.ChangeInvisibleDurationRequest(
            group=res(rns, "g"), topic=res(rns, "t"), receipt_handle=handle,
            invisible_duration=Duration(seconds=1), message_id=a_ids[0]), hdr))
    t.refused(who, f"ForwardMessageToDeadLetterQueue A's handle ({how})", lambda: raw.call(
        "ForwardMessageToDeadLetterQueue", s.ForwardMessageToDeadLetterQueueRequest(
            group=res(rns, "g"), topic=res(rns, "t"), receipt_handle=handle, message_id=a_ids[0],
            delivery_attempt=1, max_delivery_attempts=16), hdr))
    t.refused(who, f"EndTransaction A's message id ({how})", lambda: raw.call(
        "EndTransaction", s.EndTransactionRequest(
            topic=res(rns, "t"), message_id=a_ids[0], transaction_id=a_ids[0],
            resolution=d.TransactionResolution.Value("COMMIT"),
            source=d.TransactionSource.Value("SOURCE_CLIENT")), hdr))
    t.refused(who, f"RecallMessage A's handle ({how})", lambda: raw.call(
        "RecallMessage", s.RecallMessageRequest(topic=res(rns, "t"), recall_handle=handle), hdr))


def telemetry(raw, hdr, rns, endpoint):
    """Opens a Telemetry stream announcing a simple consumer of A's group and topic; the first
    answer is the server's verdict."""
    settings = d.Settings(
        client_type=d.ClientType.Value("SIMPLE_CONSUMER"),
        access_point=endpoints(endpoint),
        request_timeout=Duration(seconds=3),
        subscription=d.Subscription(
            group=res(rns, "g"),
            subscriptions=[d.SubscriptionEntry(
                topic=res(rns, "t"),
                expression=d.FilterExpression(type=d.FilterType.Value("TAG"), expression="*"))],
            long_polling_timeout=Duration(seconds=1),
        ),
    )
    stream = raw.stub.Telemetry(iter([s.TelemetryCommand(settings=settings)]), metadata=raw.md(hdr), timeout=5)
    for cmd in stream:
        # The verdict: a status, or the server's settings echoed as acceptance.
        if cmd.HasField("status"):
            return cmd
        return s.TelemetryCommand(status=d.Status(code=OK, message=str(cmd)))
    return s.TelemetryCommand(status=d.Status(code=d.Code.Value("BAD_REQUEST"), message="no answer"))


class Stream:
    """An open Telemetry stream announcing a producer of `topics`; collects what the server
    pushes until closed."""

    def __init__(self, raw, namespace, topics, endpoint):
        self.done = threading.Event()
        self.got = []
        settings = d.Settings(
            client_type=d.ClientType.Value("PRODUCER"),
            access_point=endpoints(endpoint),
            request_timeout=Duration(seconds=3),
            publishing=d.Publishing(topics=[res(ns, t) for ns, t in topics]),
        )

        def commands():
            yield s.TelemetryCommand(settings=settings)
            self.done.wait()

        self.call = raw.stub.Telemetry(commands(), metadata=raw.md(namespace))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for cmd in self.call:
                self.got.append(cmd)
        except grpc.RpcError:
            pass

    def checks(self):
        return [c for c in self.got if c.HasField("recover_orphaned_transaction_command")]

    def close(self):
        self.done.set()
        self.call.cancel()


def transaction_checks(t, endpoint, a, b, attackers):
    """A leaves a transaction open; the server asks A's producer to check it. B's producers,
    announcing A's topic under every namespace spelling, must never be asked (the check carries
    the message). Returns whether A's producer was asked (else the check proved nothing)."""
    ai, bi = a["instance"], b["instance"]
    a_raw = Raw(endpoint, a["root_key"], a["root_secret"])
    spy_streams = []
    for who, raw in attackers:
        for hdr in (ai, "", bi):
            topics = [(ai, "tx"), ("", "tx"), (bi, "tx")]
            spy_streams.append((who, hdr, Stream(raw, hdr, topics, endpoint)))
    witness = Stream(a_raw, ai, [(ai, "tx")], endpoint)
    time.sleep(1)
    msg = message(ai, "tx", (PRIVATE + "-tx-body").encode())
    msg.system_properties.message_type = d.MessageType.Value("TRANSACTION")
    sent = a_raw.call("SendMessage", s.SendMessageRequest(messages=[msg]), ai)
    assert sent.status.code == OK, sent
    deadline = time.time() + 30
    while not witness.checks() and time.time() < deadline:
        time.sleep(0.2)
    asked = bool(witness.checks())
    time.sleep(2)
    for who, hdr, stream in spy_streams:
        t.attempts += 1
        if stream.checks():
            t.leaks.append(f"{who}: transaction check of A's message pushed to B's producer "
                           f"(namespace `{hdr}`): {str(stream.checks()[0])[:300]}")
        stream.close()
    for cmd in witness.checks()[:1]:
        check = cmd.recover_orphaned_transaction_command
        # B holding A's real message id and transaction id still cannot end A's transaction,
        # and is answered as for a transaction nobody has.
        mid, tid = check.message.system_properties.message_id, check.transaction_id
        fake_tid = tid[:18] + os.urandom(16).hex()
        for who, raw in attackers:
            for ns in (ai, bi):
                for resolution in ("COMMIT", "ROLLBACK"):
                    t.refused(who, f"EndTransaction {resolution} of A's open transaction in `{ns}`",
                              lambda ns=ns, resolution=resolution: raw.call("EndTransaction", s.EndTransactionRequest(
                                  topic=res(ns, "tx"), message_id=mid, transaction_id=tid,
                                  resolution=d.TransactionResolution.Value(resolution),
                                  source=d.TransactionSource.Value("SOURCE_CLIENT")), ns))
            t.same_as_missing(who, "EndTransaction on B's own tx", tid, fake_tid, lambda x: raw.call(
                "EndTransaction", s.EndTransactionRequest(
                    topic=res(bi, "tx"), message_id=mid, transaction_id=x,
                    resolution=d.TransactionResolution.Value("COMMIT"),
                    source=d.TransactionSource.Value("SOURCE_CLIENT")), bi))
        ended = a_raw.call("EndTransaction", s.EndTransactionRequest(
            topic=res(ai, "tx"), message_id=check.message.system_properties.message_id,
            transaction_id=check.transaction_id, resolution=d.TransactionResolution.Value("ROLLBACK"),
            source=d.TransactionSource.Value("SOURCE_SERVER_CHECK")), ai)
        # A's own rollback went through: B's attempts did not resolve it.
        t.attempts += 1
        if ended.status.code != OK:
            t.leaks.append(f"A could not end its own transaction after B's attempts: {ended}")
    witness.close()
    return asked


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--setup", required=True)
    args = p.parse_args()
    setup = json.load(open(args.setup))
    a, b = setup["a"], setup["b"]
    ai = a["instance"]

    # A's own traffic through the SDK's Producer and SimpleConsumer.
    a_config = ClientConfiguration(args.endpoint, Credentials(a["root_key"], a["root_secret"]), namespace=ai)
    producer = Producer(a_config, ("t",))
    producer.startup()
    msg = Message()
    msg.topic = "t"
    msg.body = (PRIVATE + "-grpc-body").encode()
    msg.keys = PRIVATE + "-grpc-key"
    sent = producer.send(msg)
    producer.shutdown()
    consumer = SimpleConsumer(a_config, "g", {"t": FilterExpression("*")}, await_duration=5)
    consumer.startup()
    received = []
    deadline = time.time() + 30
    while len(received) < 2 and time.time() < deadline:
        received.extend(consumer.receive(32, 60))
    assert received, "A received nothing of its own"
    a_ids = [m.message_id for m in received]
    assert sent.message_id in a_ids, (sent.message_id, a_ids)
    mine = received[0]
    handle = mine.receipt_handle

    # What B must never be told. (Ids B sends itself — A's instance id, message ids, handle —
    # may be echoed in a refusal.) A's group retries 7 times: its settings say max_attempts 8.
    secrets = [a["account"], a["alice_key"], a["root_key"], PRIVATE + "-grpc-body", PRIVATE + "-body",
               PRIVATE + "-grpc-key", PRIVATE + "-key", "max_attempts: 8"]
    t = Tally(secrets)
    for who, key, secret in (("B root", b["root_key"], b["root_secret"]),
                             ("B admin", b["admin_key"], b["admin_secret"])):
        attack(t, who, Raw(args.endpoint, key, secret), args.endpoint, a, b, handle, a_ids)

    attackers = [("B root", Raw(args.endpoint, b["root_key"], b["root_secret"])),
                 ("B admin", Raw(args.endpoint, b["admin_key"], b["admin_secret"]))]
    a_asked = transaction_checks(t, args.endpoint, a, b, attackers)

    # A's policy naming B's instance gives A's reacher nothing there.
    reacher = Raw(args.endpoint, a["reacher_key"], a["reacher_secret"])
    bi = b["instance"]
    t.secrets = [b["account"], b["alice_key"], b["root_key"], "b-marker"]
    t.refused("A reacher", "QueryRoute B's t", lambda: reacher.call(
        "QueryRoute", s.QueryRouteRequest(topic=res(bi, "t"), endpoints=endpoints(args.endpoint)), bi))
    t.refused("A reacher", "SendMessage to B's t", lambda: reacher.call(
        "SendMessage", s.SendMessageRequest(messages=[message(bi, "t", b"x")]), bi))
    t.no_delivery("A reacher", "ReceiveMessage B's g", lambda: reacher.receive(bi, bi, "t", "g"))

    # A's handle still works: nothing B did touched A's delivery.
    acked = True
    for m in received:
        try:
            consumer.ack(m)
        except Exception as e:  # noqa: BLE001
            sys.stderr.write(f"A's ack failed: {e}\n")
            acked = False
    consumer.shutdown()

    sys.stdout.write(json.dumps({
        "attempts": t.attempts, "leaks": t.leaks, "codes": t.codes,
        "a_acked_after": acked, "a_received": len(received), "a_transaction_checked": a_asked,
    }) + "\n")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
