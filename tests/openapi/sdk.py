"""Shared helpers of the management-API tests: the official Alibaba Cloud SDK clients pointed
at a local Petrel (endpoint 127.0.0.1:<port>, protocol http), and a way to record what a call
raised. The SDKs are used unmodified; where a test plays an attacker (replay, tampering, a stale
clock) it replaces a function of the SDK at run time, never its files."""

import json
import sys

from alibabacloud_tea_openapi.exceptions import ClientException, ServerException
from alibabacloud_tea_openapi.utils_models import Config, OpenApiRequest, Params
from darabonba.runtime import RuntimeOptions

from alibabacloud_ons20190214.client import Client as OnsClient
from alibabacloud_ram20150501.client import Client as RamClient
from alibabacloud_resourcemanager20200331.client import Client as RmClient
from alibabacloud_rocketmq20220801.client import Client as RocketMqClient
from alibabacloud_sts20150401.client import Client as StsClient


def config(endpoint, key_id, secret, **extra):
    return Config(
        access_key_id=key_id,
        access_key_secret=secret,
        endpoint=endpoint,
        protocol="http",
        region_id="cn-hangzhou",
        **extra,
    )


class Clients:
    """One client of each product, all signing with the same AccessKey."""

    def __init__(self, endpoint, key_id, secret, **extra):
        cfg = lambda: config(endpoint, key_id, secret, **extra)
        self.endpoint = endpoint
        self.ram = RamClient(cfg())
        self.rm = RmClient(cfg())
        self.rocketmq = RocketMqClient(cfg())
        self.ons = OnsClient(cfg())
        self.sts = StsClient(cfg())

    def call_rpc(self, version, action, query):
        """An operation of our own (no SDK model), through the SDK's generic `call_api`."""
        params = Params(
            action=action,
            version=version,
            protocol="HTTP",
            pathname="/",
            method="POST",
            auth_type="AK",
            style="RPC",
            req_body_type="formData",
            body_type="json",
        )
        request = OpenApiRequest(query={k: str(v) for k, v in query.items()})
        return self.ram.call_api(params, request, RuntimeOptions())["body"]


def failure(fn):
    """What `fn()` raised, as the SDK exposes it; None when it succeeded."""
    try:
        fn()
    except (ClientException, ServerException) as e:
        return {
            "exception": type(e).__name__,
            "code": e.code,
            "status": e.status_code,
            "message": e.message,
            "request_id": e.request_id,
            "access_denied_detail": e.access_denied_detail,
        }
    return None


def parse_args():
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True, help="host:port of petrel's http port")
    p.add_argument("--key-id", required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--account", required=True)
    return p.parse_args()


def emit(report):
    """The report is the last line of standard output; the Rust test reads it."""
    sys.stdout.write(json.dumps(report, sort_keys=True) + "\n")
    sys.stdout.flush()
