"""Bad requests through the official SDKs: each must raise the SDK's exception with the right
Code and status. Covers a wrong secret, a query tampered with in transit, a stale date, a
replayed nonce, an unknown action, missing and malformed parameters, nonexistent entities, a
sixth policy version and a third AccessKey; and the legacy HMAC-SHA1 signatures (the SDK's
`signature_algorithm='v2'`) being accepted. Prints one JSON report."""

import json
from datetime import datetime, timedelta, timezone

import darabonba.core
from alibabacloud_tea_openapi.utils import Utils
from alibabacloud_ram20150501 import models as ram
from alibabacloud_rocketmq20220801 import models as mq

from sdk import Clients, emit, failure, parse_args


class patched:
    """Replaces an attribute for the duration of a `with` block."""

    def __init__(self, owner, name, value):
        self.owner, self.name, self.value = owner, name, value

    def __enter__(self):
        self.saved = self.owner.__dict__[self.name]
        setattr(self.owner, self.name, self.value)

    def __exit__(self, *exc):
        setattr(self.owner, self.name, self.saved)


def policy(n):
    return json.dumps(
        {
            "Version": "1",
            "Statement": [
                {"Effect": "Allow", "Action": "rocketmq:GetTopic", "Resource": f"acs:rocketmq:*:*:instance/i{n}"}
            ],
        }
    )


def main():
    args = parse_args()
    root = Clients(args.endpoint, args.key_id, args.secret)
    r = {}

    r["ok_whoami"] = root.sts.get_caller_identity().body.identity_type

    wrong = Clients(args.endpoint, args.key_id, "not-the-secret")
    r["wrong_secret"] = failure(lambda: wrong.ram.list_users(ram.ListUsersRequest()))
    unknown = Clients(args.endpoint, "LTAInotakey0000000000000", "x")
    r["unknown_key"] = failure(lambda: unknown.ram.list_users(ram.ListUsersRequest()))

    # A man in the middle changes the query after the SDK signed it.
    original = darabonba.core.DaraCore.__dict__["do_action"]

    def tamper(request, runtime_option=None):
        request.query["UserName"] = "mallory"
        return original.__func__(request, runtime_option)

    with patched(darabonba.core.DaraCore, "do_action", staticmethod(tamper)):
        r["tampered_query"] = failure(
            lambda: root.ram.create_user(ram.CreateUserRequest(user_name="alice"))
        )
    r["mallory_absent"] = failure(
        lambda: root.ram.get_user(ram.GetUserRequest(user_name="mallory"))
    )

    # A client whose clock is 20 minutes slow.
    stale = (datetime.now(timezone.utc) - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with patched(Utils, "get_timestamp", staticmethod(lambda: stale)):
        r["stale_date"] = failure(lambda: root.ram.list_users(ram.ListUsersRequest()))

    # The same nonce twice: the second request is a replay.
    nonce = "petrel-test-nonce-" + datetime.now(timezone.utc).strftime("%H%M%S%f")
    with patched(Utils, "get_nonce", staticmethod(lambda: nonce)):
        r["first_use_of_nonce"] = failure(lambda: root.ram.list_users(ram.ListUsersRequest()))
        r["reused_nonce"] = failure(lambda: root.ram.list_users(ram.ListUsersRequest()))

    r["unknown_action"] = failure(lambda: root.call_rpc("2015-05-01", "NoSuchAction", {}))
    r["missing_parameter"] = failure(lambda: root.ram.create_user(ram.CreateUserRequest()))
    r["malformed_parameter"] = failure(
        lambda: root.ram.create_user(ram.CreateUserRequest(user_name="bad name!"))
    )
    r["malformed_policy"] = failure(
        lambda: root.ram.create_policy(
            ram.CreatePolicyRequest(policy_name="broken", policy_document='{"Version":"1"}')
        )
    )
    r["no_such_user"] = failure(lambda: root.ram.get_user(ram.GetUserRequest(user_name="nobody")))
    r["no_such_policy"] = failure(
        lambda: root.ram.get_policy(ram.GetPolicyRequest(policy_type="Custom", policy_name="nothing"))
    )
    r["no_such_system_policy"] = failure(
        lambda: root.ram.attach_policy_to_user(
            ram.AttachPolicyToUserRequest(policy_type="System", policy_name="NoSuchAccess", user_name="nobody")
        )
    )

    # Versions: v1 plus four more fill the five slots; the sixth is refused.
    root.ram.create_policy(ram.CreatePolicyRequest(policy_name="versioned", policy_document=policy(1)))
    for n in range(2, 6):
        root.ram.create_policy_version(
            ram.CreatePolicyVersionRequest(policy_name="versioned", policy_document=policy(n))
        )
    r["sixth_version"] = failure(
        lambda: root.ram.create_policy_version(
            ram.CreatePolicyVersionRequest(policy_name="versioned", policy_document=policy(6))
        )
    )
    versions = root.ram.list_policy_versions(
        ram.ListPolicyVersionsRequest(policy_name="versioned", policy_type="Custom")
    ).body.policy_versions.policy_version
    r["versions"] = [v.version_id for v in versions]

    # Two AccessKeys per user; the third is refused.
    root.ram.create_user(ram.CreateUserRequest(user_name="keyholder"))
    for _ in range(2):
        root.ram.create_access_key(ram.CreateAccessKeyRequest(user_name="keyholder"))
    r["third_key"] = failure(
        lambda: root.ram.create_access_key(ram.CreateAccessKeyRequest(user_name="keyholder"))
    )
    keys = root.ram.list_access_keys(ram.ListAccessKeysRequest(user_name="keyholder")).body
    r["keys"] = len(keys.access_keys.access_key)

    # A disabled key stops working; enabling it again restores it.
    root.ram.create_user(ram.CreateUserRequest(user_name="toggler"))
    k = root.ram.create_access_key(ram.CreateAccessKeyRequest(user_name="toggler")).body.access_key
    root.ram.update_access_key(
        ram.UpdateAccessKeyRequest(user_name="toggler", user_access_key_id=k.access_key_id, status="Inactive")
    )
    toggler = Clients(args.endpoint, k.access_key_id, k.access_key_secret)
    r["inactive_key"] = failure(lambda: toggler.sts.get_caller_identity())
    root.ram.update_access_key(
        ram.UpdateAccessKeyRequest(user_name="toggler", user_access_key_id=k.access_key_id, status="Active")
    )
    r["reactivated_key"] = toggler.sts.get_caller_identity().body.identity_type

    # The legacy HMAC-SHA1 signatures of older SDKs (RPC query signature, ROA `acs AK:sig`).
    legacy = Clients(args.endpoint, args.key_id, args.secret, signature_algorithm="v2")
    r["legacy_rpc"] = legacy.ram.get_user(ram.GetUserRequest(user_name="keyholder")).body.user.user_name
    listed = {}
    r["legacy_roa_error"] = failure(
        lambda: listed.update(total=legacy.rocketmq.list_instances(mq.ListInstancesRequest()).body.data.total_count)
    )
    r["legacy_roa_total"] = listed.get("total")
    emit(r)


if __name__ == "__main__":
    main()
