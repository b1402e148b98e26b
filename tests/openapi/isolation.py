"""Accounts are isolated tenants, checked through the official SDKs.

Two accounts, A and B (created by the operator), each set up through the SDKs with the same
names: a user `alice` with an AccessKey, a custom policy `readers`, a resource group `prod`, an
instance named `orders`, a topic `t`, a consumer group `g`. A also has things only A has (names
starting `a-private`) and a stored message. B has a RAM user `admin` with AdministratorAccess.

Then B's root and B's admin try every management operation on A's resources, by A's ids (which
B cannot have) and by the shared names (which must resolve to B's own). An attempt *leaks* when
it succeeds on something of A's, or when its answer holds any of A's identifiers. A's own user
`reacher`, whose policy names only B's resources, tries them too: A's policies cannot name B's
resources to any effect. Finally A checks that nothing of its own changed.

Prints one JSON report: attempts, leaks (descriptions), refusal codes seen, and the setup the
gRPC isolation program and the Rust test need (ids, keys, the message id)."""

import argparse
import json
import sys

from alibabacloud_ram20150501 import models as ram
from alibabacloud_resourcemanager20200331 import models as rm
from alibabacloud_rocketmq20220801 import models as mq
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException

from sdk import Clients, emit

PRIVATE = "a-private"


class Tally:
    def __init__(self):
        self.attempts = 0
        self.leaks = []
        self.codes = {}
        self.request_ids = []

    def _refused(self, e, who):
        self.codes[e.code] = self.codes.get(e.code, 0) + 1
        if e.request_id and who.startswith("B "):
            self.request_ids.append(e.request_id)

    def refused(self, who, what, fn):
        """`fn` targets the victim's resource: it must be refused (a 4xx)."""
        self.attempts += 1
        try:
            out = fn()
        except ClientException as e:
            self._refused(e, who)
            return
        except ServerException as e:
            self.leaks.append(f"{who}: {what}: server error instead of a refusal: {e.code} {e.message}")
            return
        body = getattr(out, "body", out)
        shown = body.to_map() if hasattr(body, "to_map") else body
        self.leaks.append(f"{who}: {what}: succeeded: {json.dumps(shown, default=str)[:300]}")

    def batch_refused(self, who, what, fn):
        """A batch operation (MoveResources) answers 200 with one result per resource: every
        result must carry an error code."""
        self.attempts += 1
        try:
            out = fn()
        except ClientException as e:
            self._refused(e, who)
            return
        except ServerException as e:
            self.leaks.append(f"{who}: {what}: server error instead of a refusal: {e.code} {e.message}")
            return
        results = out.body.to_map().get("Responses", [])
        done = [x for x in results if not x.get("ErrorCode")]
        if not results or done:
            self.leaks.append(f"{who}: {what}: succeeded: {json.dumps(results)[:300]}")
        else:
            for x in results:
                self.codes[x["ErrorCode"]] = self.codes.get(x["ErrorCode"], 0) + 1

    def same_as_missing(self, who, what, real, fake, call):
        """`call(real)` on A's id must fail exactly as `call(fake)` on an id nobody has (the
        message compared with the ids swapped): the answer is no oracle for what A has."""
        self.attempts += 1

        def outcome(x):
            try:
                call(x)
            except ClientException as e:
                return (e.status_code, e.code, (e.message or "").split(" request id:")[0].replace(x, "<id>"))
            return ("succeeded",)

        got, missing = outcome(real), outcome(fake)
        if got != missing:
            self.leaks.append(f"{who}: {what}: A's id answers {got}, an unknown id {missing}")

    def clean(self, who, what, fn, secrets):
        """`fn` may succeed on the caller's own resources, but its answer must hold none of
        `secrets` (the victim's identifiers)."""
        self.attempts += 1
        try:
            out = fn()
        except ClientException as e:
            self._refused(e, who)
            text = json.dumps({"code": e.code, "message": e.message, "data": e.data}, default=str)
        except ServerException as e:
            self.leaks.append(f"{who}: {what}: server error: {e.code} {e.message}")
            return
        else:
            body = getattr(out, "body", out)
            text = json.dumps(body.to_map() if hasattr(body, "to_map") else body, default=str)
        found = [s for s in secrets if s and s in text]
        if found:
            self.leaks.append(f"{who}: {what}: answer names {found}: {text[:300]}")


def args():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    for side in ("a", "b"):
        p.add_argument(f"--{side}-account", required=True)
        p.add_argument(f"--{side}-key-id", required=True)
        p.add_argument(f"--{side}-secret", required=True)
    return p.parse_args()


def doc(statements):
    return json.dumps({"Version": "1", "Statement": statements})


def setup(c, account, marker, retries):
    """The shared names, in one account; returns its identifiers."""
    c.ons.open_ons_service()
    s = {"account": account}
    alice = c.ram.create_user(ram.CreateUserRequest(user_name="alice", comments=marker)).body.user
    s["alice_id"] = alice.user_id
    key = c.ram.create_access_key(ram.CreateAccessKeyRequest(user_name="alice")).body.access_key
    s["alice_key"] = key.access_key_id
    s["alice_secret"] = key.access_key_secret
    c.ram.create_policy(
        ram.CreatePolicyRequest(
            policy_name="readers",
            description=marker,
            policy_document=doc(
                [{"Effect": "Allow", "Action": "rocketmq:Get*", "Resource": f"acs:rocketmq:*:*:instance/{marker}"}]
            ),
        )
    )
    c.ram.attach_policy_to_user(
        ram.AttachPolicyToUserRequest(policy_type="Custom", policy_name="readers", user_name="alice")
    )
    c.ram.create_group(ram.CreateGroupRequest(group_name="devs", comments=marker))
    c.ram.add_user_to_group(ram.AddUserToGroupRequest(user_name="alice", group_name="devs"))
    s["prod"] = c.rm.create_resource_group(
        rm.CreateResourceGroupRequest(name="prod", display_name=marker)
    ).body.resource_group.id
    s["instance"] = c.rocketmq.create_instance(
        mq.CreateInstanceRequest(instance_name="orders", resource_group_id=s["prod"], remark=marker)
    ).body.data
    c.rocketmq.create_topic(s["instance"], "t", mq.CreateTopicRequest(message_type="NORMAL", remark=marker))
    c.rocketmq.create_topic(s["instance"], "tx", mq.CreateTopicRequest(message_type="TRANSACTION", remark=marker))
    c.rocketmq.create_consumer_group(
        s["instance"],
        "g",
        mq.CreateConsumerGroupRequest(
            delivery_order_type="Concurrently",
            consume_retry_policy=mq.CreateConsumerGroupRequestConsumeRetryPolicy(
                retry_policy="DefaultRetryPolicy", max_retry_times=retries
            ),
            remark=marker,
        ),
    )
    return s


def main():
    a_args = args()
    A = Clients(a_args.endpoint, a_args.a_key_id, a_args.a_secret)
    B = Clients(a_args.endpoint, a_args.b_key_id, a_args.b_secret)
    t = Tally()
    r = {}

    # A's group has a retry count of its own, so that its settings are recognisable.
    a = setup(A, a_args.a_account, PRIVATE + "-marker", 7)
    b = setup(B, a_args.b_account, "b-marker", 16)
    a["root_key"], a["root_secret"] = a_args.a_key_id, a_args.a_secret
    b["root_key"], b["root_secret"] = a_args.b_key_id, a_args.b_secret
    r["same_names_in_both"] = a["instance"] != b["instance"] and a["alice_id"] != b["alice_id"]

    # Things only A has, and a stored message.
    A.ram.create_user(ram.CreateUserRequest(user_name=PRIVATE + "-user"))
    A.ram.create_group(ram.CreateGroupRequest(group_name=PRIVATE + "-group"))
    A.ram.create_policy(ram.CreatePolicyRequest(
        policy_name=PRIVATE + "-policy",
        policy_document=doc([{"Effect": "Allow", "Action": "rocketmq:GetInstance", "Resource": "*"}])))
    A.rocketmq.create_topic(a["instance"], PRIVATE + "-topic", mq.CreateTopicRequest(message_type="NORMAL"))
    a["message_id"] = A.rocketmq.verify_send_message(
        a["instance"], "t", mq.VerifySendMessageRequest(message=PRIVATE + "-body", message_key=PRIVATE + "-key")
    ).body.data
    a["default_rg"] = [
        g.id
        for g in A.rm.list_resource_groups(rm.ListResourceGroupsRequest()).body.resource_groups.resource_group
        if g.name == "default"
    ][0]

    # B's administrator.
    B.ram.create_user(ram.CreateUserRequest(user_name="admin"))
    B.ram.attach_policy_to_user(
        ram.AttachPolicyToUserRequest(policy_type="System", policy_name="AdministratorAccess", user_name="admin")
    )
    admin_key = B.ram.create_access_key(ram.CreateAccessKeyRequest(user_name="admin")).body.access_key
    B.ram.create_login_profile(ram.CreateLoginProfileRequest(
        user_name="admin", password="Admin-passw0rd1", password_reset_required=False))
    b["admin_password"] = "Admin-passw0rd1"
    b["admin_key"] = admin_key.access_key_id
    b["admin_secret"] = admin_key.access_key_secret
    B_admin = Clients(a_args.endpoint, admin_key.access_key_id, admin_key.access_key_secret)

    a_secrets = [
        a["account"], a["alice_id"], a["alice_key"], a["root_key"], a["prod"], a["default_rg"],
        a["instance"], a["message_id"], PRIVATE,
    ]
    for who, c in (("B root", B), ("B admin", B_admin)):
        attack(t, who, c, a, b, a_secrets)

    # A's policies cannot name B's resources to any effect.
    A.ram.create_user(ram.CreateUserRequest(user_name="reacher"))
    A.ram.create_policy(
        ram.CreatePolicyRequest(
            policy_name="reach-b",
            policy_document=doc(
                [
                    {"Effect": "Allow", "Action": "*", "Resource": [
                        f"acs:*:*:{b['account']}:*",
                        f"acs:rocketmq:*:{b['account']}:instance/{b['instance']}",
                        f"acs:rocketmq:*:{b['account']}:instance/{b['instance']}/*",
                        f"acs:mq:*:{b['account']}:{b['instance']}%*",
                        f"acs:ram:*:{b['account']}:user/*",
                    ]}
                ]
            ),
        )
    )
    A.ram.attach_policy_to_user(
        ram.AttachPolicyToUserRequest(policy_type="Custom", policy_name="reach-b", user_name="reacher")
    )
    reacher_key = A.ram.create_access_key(ram.CreateAccessKeyRequest(user_name="reacher")).body.access_key
    a["reacher_key"] = reacher_key.access_key_id
    a["reacher_secret"] = reacher_key.access_key_secret
    reacher = Clients(a_args.endpoint, reacher_key.access_key_id, reacher_key.access_key_secret)
    b_secrets = [b["account"], b["alice_id"], b["alice_key"], b["root_key"], b["prod"], b["instance"], "b-marker"]
    reach(t, "A reacher", reacher, b, b_secrets)
    reach(t, "A root", A, b, b_secrets)

    # Nothing of A changed.
    r["a_intact"] = intact(A, a)
    if not all(r["a_intact"].values()):
        t.leaks.append(f"A's resources changed: {r['a_intact']}")

    r["attempts"] = t.attempts
    r["leaks"] = t.leaks
    r["codes"] = t.codes
    r["b_request_ids"] = t.request_ids
    r["setup"] = {"a": a, "b": b}
    emit(r)


def attack(t, who, c, a, b, secrets):
    ai, bi = a["instance"], b["instance"]
    # RAM: by the shared names, B only ever meets its own.
    t.clean(who, "GetUser alice", lambda: c.ram.get_user(ram.GetUserRequest(user_name="alice")), secrets)
    t.clean(who, "ListUsers", lambda: c.ram.list_users(ram.ListUsersRequest()), secrets)
    t.refused(who, "GetUser a-private-user", lambda: c.ram.get_user(ram.GetUserRequest(user_name=PRIVATE + "-user")))
    t.refused(who, "UpdateUser a-private-user", lambda: c.ram.update_user(
        ram.UpdateUserRequest(user_name=PRIVATE + "-user", new_comments="owned")))
    t.refused(who, "DeleteUser a-private-user", lambda: c.ram.delete_user(ram.DeleteUserRequest(user_name=PRIVATE + "-user")))
    t.refused(who, "CreateLoginProfile a-private-user", lambda: c.ram.create_login_profile(
        ram.CreateLoginProfileRequest(user_name=PRIVATE + "-user", password="Owned-passw0rd")))
    t.refused(who, "CreateAccessKey for a-private-user", lambda: c.ram.create_access_key(
        ram.CreateAccessKeyRequest(user_name=PRIVATE + "-user")))
    t.same_as_missing(who, "GetUser", PRIVATE + "-user", "nobody-has-this",
                      lambda x: c.ram.get_user(ram.GetUserRequest(user_name=x)))
    # RAM groups.
    t.clean(who, "ListGroups", lambda: c.ram.list_groups(ram.ListGroupsRequest()), secrets)
    t.refused(who, "GetGroup a-private-group", lambda: c.ram.get_group(ram.GetGroupRequest(group_name=PRIVATE + "-group")))
    t.refused(who, "UpdateGroup a-private-group", lambda: c.ram.update_group(
        ram.UpdateGroupRequest(group_name=PRIVATE + "-group", new_comments="owned")))
    t.refused(who, "AddUserToGroup a-private-group", lambda: c.ram.add_user_to_group(
        ram.AddUserToGroupRequest(group_name=PRIVATE + "-group", user_name="alice")))
    t.refused(who, "AttachPolicyToGroup a-private-group", lambda: c.ram.attach_policy_to_group(
        ram.AttachPolicyToGroupRequest(group_name=PRIVATE + "-group", policy_type="System",
                                       policy_name="AliyunMQReadOnlyAccess")))
    t.refused(who, "DeleteGroup a-private-group", lambda: c.ram.delete_group(ram.DeleteGroupRequest(group_name=PRIVATE + "-group")))
    # A's custom policy only A has.
    t.refused(who, "GetPolicy a-private-policy", lambda: c.ram.get_policy(
        ram.GetPolicyRequest(policy_type="Custom", policy_name=PRIVATE + "-policy")))
    t.refused(who, "CreatePolicyVersion a-private-policy", lambda: c.ram.create_policy_version(
        ram.CreatePolicyVersionRequest(policy_name=PRIVATE + "-policy", set_as_default=True,
                                       policy_document=doc([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))))
    t.refused(who, "ListPolicyVersions a-private-policy", lambda: c.ram.list_policy_versions(
        ram.ListPolicyVersionsRequest(policy_type="Custom", policy_name=PRIVATE + "-policy")))
    t.refused(who, "AttachPolicyToUser a-private-policy", lambda: c.ram.attach_policy_to_user(
        ram.AttachPolicyToUserRequest(policy_type="Custom", policy_name=PRIVATE + "-policy", user_name="alice")))
    t.refused(who, "DeletePolicy a-private-policy", lambda: c.ram.delete_policy(
        ram.DeletePolicyRequest(policy_name=PRIVATE + "-policy")))
    t.clean(who, "ListGroupsForUser alice", lambda: c.ram.list_groups_for_user(
        ram.ListGroupsForUserRequest(user_name="alice")), secrets)
    t.clean(who, "ListUsersForGroup devs", lambda: c.ram.list_users_for_group(
        ram.ListUsersForGroupRequest(group_name="devs")), secrets)
    # AccessKeys: A's key ids are unknown to B, with or without a user name.
    for key, owner in ((a["alice_key"], "alice"), (a["root_key"], None)):
        t.refused(who, f"UpdateAccessKey {owner or 'root'} key", lambda key=key, owner=owner: c.ram.update_access_key(
            ram.UpdateAccessKeyRequest(user_access_key_id=key, user_name=owner, status="Inactive")))
        t.refused(who, f"DeleteAccessKey {owner or 'root'} key", lambda key=key, owner=owner: c.ram.delete_access_key(
            ram.DeleteAccessKeyRequest(user_access_key_id=key, user_name=owner)))
        t.refused(who, f"GetAccessKeyLastUsed {owner or 'root'} key", lambda key=key, owner=owner: c.ram.get_access_key_last_used(
            ram.GetAccessKeyLastUsedRequest(user_access_key_id=key, user_name=owner)))
    t.clean(who, "ListAccessKeys alice", lambda: c.ram.list_access_keys(ram.ListAccessKeysRequest(user_name="alice")), secrets)
    t.clean(who, "ListAccessKeys root", lambda: c.ram.list_access_keys(ram.ListAccessKeysRequest()), secrets)
    # Policies and grants.
    t.clean(who, "GetPolicy readers", lambda: c.ram.get_policy(
        ram.GetPolicyRequest(policy_type="Custom", policy_name="readers")), secrets)
    t.clean(who, "GetPolicyVersion readers v1", lambda: c.ram.get_policy_version(
        ram.GetPolicyVersionRequest(policy_type="Custom", policy_name="readers", version_id="v1")), secrets)
    t.clean(who, "ListPolicies", lambda: c.ram.list_policies(ram.ListPoliciesRequest()), secrets)
    t.clean(who, "ListEntitiesForPolicy readers", lambda: c.ram.list_entities_for_policy(
        ram.ListEntitiesForPolicyRequest(policy_type="Custom", policy_name="readers")), secrets)
    t.clean(who, "ListEntitiesForPolicy AliyunMQFullAccess", lambda: c.ram.list_entities_for_policy(
        ram.ListEntitiesForPolicyRequest(policy_type="System", policy_name="AdministratorAccess")), secrets)
    t.clean(who, "ListPoliciesForUser alice", lambda: c.ram.list_policies_for_user(
        ram.ListPoliciesForUserRequest(user_name="alice")), secrets)
    t.refused(who, "AttachPolicyToUser scoped to A's group", lambda: c.ram.attach_policy_to_user(
        ram.AttachPolicyToUserRequest(policy_type="System", policy_name="AliyunMQFullAccess",
                                      user_name="alice", resource_group_id=a["prod"])))
    t.refused(who, "RM AttachPolicy at A's account scope", lambda: c.rm.attach_policy(rm.AttachPolicyRequest(
        policy_type="System", policy_name="AliyunMQFullAccess", principal_type="IMSUser",
        principal_name="alice", resource_group_id=a["account"])))
    t.refused(who, "RM AttachPolicy in A's resource group", lambda: c.rm.attach_policy(rm.AttachPolicyRequest(
        policy_type="System", policy_name="AliyunMQFullAccess", principal_type="IMSUser",
        principal_name="alice", resource_group_id=a["prod"])))
    t.refused(who, "RM AttachPolicy to alice@<A's alias>", lambda: c.rm.attach_policy(rm.AttachPolicyRequest(
        policy_type="System", policy_name="AliyunMQFullAccess", principal_type="IMSUser",
        principal_name="alice@tenant-a.onaliyun.com", resource_group_id=b["account"])))
    t.refused(who, "RM DetachPolicy in A's resource group", lambda: c.rm.detach_policy(rm.DetachPolicyRequest(
        policy_type="Custom", policy_name="readers", principal_type="IMSUser",
        principal_name="alice", resource_group_id=a["prod"])))
    t.clean(who, "RM ListPolicyAttachments", lambda: c.rm.list_policy_attachments(
        rm.ListPolicyAttachmentsRequest()), secrets)
    t.clean(who, "RM ListPolicyAttachments in A's group", lambda: c.rm.list_policy_attachments(
        rm.ListPolicyAttachmentsRequest(resource_group_id=a["prod"])), secrets)
    # Resource groups.
    for rg in (a["prod"], a["default_rg"]):
        t.refused(who, f"GetResourceGroup {rg}", lambda rg=rg: c.rm.get_resource_group(rm.GetResourceGroupRequest(resource_group_id=rg)))
        t.refused(who, f"UpdateResourceGroup {rg}", lambda rg=rg: c.rm.update_resource_group(
            rm.UpdateResourceGroupRequest(resource_group_id=rg, new_display_name="owned")))
        t.refused(who, f"DeleteResourceGroup {rg}", lambda rg=rg: c.rm.delete_resource_group(rm.DeleteResourceGroupRequest(resource_group_id=rg)))
        t.refused(who, f"ListResources {rg}", lambda rg=rg: c.rm.list_resources(rm.ListResourcesRequest(resource_group_id=rg)))
    t.clean(who, "ListResourceGroups", lambda: c.rm.list_resource_groups(rm.ListResourceGroupsRequest()), secrets)
    t.clean(who, "ListResources", lambda: c.rm.list_resources(rm.ListResourcesRequest()), secrets)
    t.batch_refused(who, "MoveResources A's instance into B's group", lambda: c.rm.move_resources(rm.MoveResourcesRequest(
        resource_group_id=b["prod"], resources=[rm.MoveResourcesRequestResources(
            region_id="cn-hangzhou", resource_id=ai, resource_type="instance", service="rocketmq")])))
    t.batch_refused(who, "MoveResources B's instance into A's group", lambda: c.rm.move_resources(rm.MoveResourcesRequest(
        resource_group_id=a["prod"], resources=[rm.MoveResourcesRequestResources(
            region_id="cn-hangzhou", resource_id=bi, resource_type="instance", service="rocketmq")])))
    # Instances, topics, groups.
    t.clean(who, "ListInstances", lambda: c.rocketmq.list_instances(mq.ListInstancesRequest(page_number=1, page_size=100)), secrets)
    t.refused(who, "GetInstance", lambda: c.rocketmq.get_instance(ai))
    t.refused(who, "UpdateInstance", lambda: c.rocketmq.update_instance(ai, mq.UpdateInstanceRequest(remark="owned")))
    t.refused(who, "ChangeResourceGroup", lambda: c.rocketmq.change_resource_group(mq.ChangeResourceGroupRequest(
        region_id="cn-hangzhou", resource_group_id=b["prod"], resource_id=ai, resource_type="instance")))
    t.refused(who, "ListTopics", lambda: c.rocketmq.list_topics(ai, mq.ListTopicsRequest(page_number=1, page_size=100)))
    t.clean(who, "ListTopics own orders", lambda: c.rocketmq.list_topics(bi, mq.ListTopicsRequest(page_number=1, page_size=100)), secrets)
    for topic in ("t", PRIVATE + "-topic"):
        t.refused(who, f"GetTopic {topic}", lambda topic=topic: c.rocketmq.get_topic(ai, topic))
        t.refused(who, f"UpdateTopic {topic}", lambda topic=topic: c.rocketmq.update_topic(ai, topic, mq.UpdateTopicRequest(remark="owned")))
        t.refused(who, f"DeleteTopic {topic}", lambda topic=topic: c.rocketmq.delete_topic(ai, topic))
    t.refused(who, "CreateTopic in A's instance", lambda: c.rocketmq.create_topic(ai, "planted", mq.CreateTopicRequest(message_type="NORMAL")))
    t.refused(who, "ListConsumerGroups", lambda: c.rocketmq.list_consumer_groups(ai, mq.ListConsumerGroupsRequest(page_number=1, page_size=100)))
    t.refused(who, "GetConsumerGroup", lambda: c.rocketmq.get_consumer_group(ai, "g"))
    t.refused(who, "UpdateConsumerGroup", lambda: c.rocketmq.update_consumer_group(ai, "g", mq.UpdateConsumerGroupRequest(remark="owned")))
    t.refused(who, "DeleteConsumerGroup", lambda: c.rocketmq.delete_consumer_group(ai, "g"))
    t.refused(who, "CreateConsumerGroup in A's instance", lambda: c.rocketmq.create_consumer_group(
        ai, "planted", mq.CreateConsumerGroupRequest(delivery_order_type="Concurrently")))
    # Messages, query, lag, offsets.
    t.refused(who, "VerifySendMessage", lambda: c.rocketmq.verify_send_message(ai, "t", mq.VerifySendMessageRequest(message="planted")))
    t.refused(who, "ListMessages", lambda: c.rocketmq.list_messages(ai, "t", mq.ListMessagesRequest(page_number=1, page_size=10)))
    t.refused(who, "ListMessages by key", lambda: c.rocketmq.list_messages(ai, "t", mq.ListMessagesRequest(
        message_key=PRIVATE + "-key", page_number=1, page_size=10)))
    t.refused(who, "GetMessageDetail", lambda: c.rocketmq.get_message_detail(ai, "t", a["message_id"]))
    t.refused(who, "GetMessageDetail of A's id in B's own topic", lambda: c.rocketmq.get_message_detail(bi, "t", a["message_id"]))
    t.clean(who, "ListMessages by A's key in B's own topic", lambda: c.rocketmq.list_messages(bi, "t", mq.ListMessagesRequest(
        message_key=PRIVATE + "-key", page_number=1, page_size=10)), secrets)
    t.refused(who, "GetConsumerGroupLag", lambda: c.rocketmq.get_consumer_group_lag(ai, "g", mq.GetConsumerGroupLagRequest(topic_name="t")))
    t.refused(who, "ResetConsumeOffset", lambda: c.rocketmq.reset_consume_offset(
        ai, "g", "t", mq.ResetConsumeOffsetRequest(reset_type="LATEST_OFFSET")))
    t.refused(who, "DeleteInstance", lambda: c.rocketmq.delete_instance(ai))
    # Refusals are no oracle: A's ids fail exactly like ids nobody has.
    t.same_as_missing(who, "GetInstance", ai, "rmq-cn-nobodyhas000",
                      lambda x: c.rocketmq.get_instance(x))
    t.same_as_missing(who, "GetTopic", ai, "rmq-cn-nobodyhas000",
                      lambda x: c.rocketmq.get_topic(x, "t"))
    t.same_as_missing(who, "GetResourceGroup", a["prod"], "rg-nobodyhas0000",
                      lambda x: c.rm.get_resource_group(rm.GetResourceGroupRequest(resource_group_id=x)))
    t.same_as_missing(who, "UpdateAccessKey", a["alice_key"], "LTAI" + "0" * 20,
                      lambda x: c.ram.update_access_key(ram.UpdateAccessKeyRequest(
                          user_access_key_id=x, user_name="alice", status="Inactive")))
    t.same_as_missing(who, "GetMessageDetail in B's own topic", a["message_id"], "01" + "0" * 32,
                      lambda x: c.rocketmq.get_message_detail(bi, "t", x))
    # Simulation about A's principals and resources.
    t.clean(who, "SimulatePrincipalPolicy A's resource", lambda: c.call_rpc("2015-05-01", "SimulatePrincipalPolicy", {
        "UserName": "alice", "ActionName": "rocketmq:GetInstance",
        "ResourceArn": f"acs:rocketmq:cn-hangzhou:{a['account']}:instance/{ai}"}), [a["alice_id"], PRIVATE])


def reach(t, who, c, b, secrets):
    bi = b["instance"]
    t.refused(who, "GetInstance of B", lambda: c.rocketmq.get_instance(bi))
    t.refused(who, "UpdateInstance of B", lambda: c.rocketmq.update_instance(bi, mq.UpdateInstanceRequest(remark="owned")))
    t.refused(who, "GetTopic of B", lambda: c.rocketmq.get_topic(bi, "t"))
    t.refused(who, "DeleteTopic of B", lambda: c.rocketmq.delete_topic(bi, "t"))
    t.refused(who, "GetConsumerGroup of B", lambda: c.rocketmq.get_consumer_group(bi, "g"))
    t.refused(who, "ListMessages of B", lambda: c.rocketmq.list_messages(bi, "t", mq.ListMessagesRequest(page_number=1, page_size=10)))
    t.refused(who, "VerifySendMessage to B", lambda: c.rocketmq.verify_send_message(bi, "t", mq.VerifySendMessageRequest(message="x")))
    t.refused(who, "GetResourceGroup of B", lambda: c.rm.get_resource_group(rm.GetResourceGroupRequest(resource_group_id=b["prod"])))
    t.refused(who, "UpdateAccessKey of B's alice", lambda: c.ram.update_access_key(
        ram.UpdateAccessKeyRequest(user_access_key_id=b["alice_key"], user_name="alice", status="Inactive")))
    t.refused(who, "RM AttachPolicy in B's group", lambda: c.rm.attach_policy(rm.AttachPolicyRequest(
        policy_type="System", policy_name="AliyunMQFullAccess", principal_type="IMSUser",
        principal_name="alice", resource_group_id=b["prod"])))
    t.clean(who, "GetUser alice", lambda: c.ram.get_user(ram.GetUserRequest(user_name="alice")), secrets)
    t.clean(who, "ListInstances", lambda: c.rocketmq.list_instances(mq.ListInstancesRequest(page_number=1, page_size=100)), secrets)


def intact(A, a):
    ai = a["instance"]
    alice = A.ram.get_user(ram.GetUserRequest(user_name="alice")).body.user
    keys = A.ram.list_access_keys(ram.ListAccessKeysRequest(user_name="alice")).body.access_keys.access_key
    policy = A.ram.get_policy(ram.GetPolicyRequest(policy_type="Custom", policy_name="readers")).body
    attached = A.ram.list_policies_for_user(ram.ListPoliciesForUserRequest(user_name="alice")).body.policies.policy
    prod = A.rm.get_resource_group(rm.GetResourceGroupRequest(resource_group_id=a["prod"])).body.resource_group
    inst = A.rocketmq.get_instance(ai).body.data
    topics = A.rocketmq.list_topics(ai, mq.ListTopicsRequest(page_number=1, page_size=100)).body.data.list
    group = A.rocketmq.get_consumer_group(ai, "g").body.data
    detail = A.rocketmq.get_message_detail(ai, "t", a["message_id"]).body.data
    lag = A.rocketmq.get_consumer_group_lag(ai, "g", mq.GetConsumerGroupLagRequest(topic_name="t")).body.data
    ram_group = A.ram.get_group(ram.GetGroupRequest(group_name=PRIVATE + "-group")).body.group
    private_policy = A.ram.get_policy(ram.GetPolicyRequest(policy_type="Custom", policy_name=PRIVATE + "-policy")).body
    return {
        "private_group": ram_group.group_name == PRIVATE + "-group" and not ram_group.comments,
        "private_policy": private_policy.policy.default_version == "v1",
        "alice": alice.user_id == a["alice_id"] and alice.comments == PRIVATE + "-marker",
        "private_user": A.ram.get_user(ram.GetUserRequest(user_name=PRIVATE + "-user")).body.user.user_name == PRIVATE + "-user",
        "alice_key_active": [(k.access_key_id, k.status) for k in keys] == [(a["alice_key"], "Active")],
        "policy": policy.policy.description == PRIVATE + "-marker",
        "grants": sorted(p.policy_name for p in attached) == ["readers"],
        "prod": prod.display_name == PRIVATE + "-marker",
        "instance": inst.remark == PRIVATE + "-marker" and inst.resource_group_id == a["prod"],
        "topics": sorted(x.topic_name for x in topics) == sorted([PRIVATE + "-topic", "t", "tx"]),
        "group": group.remark == PRIVATE + "-marker",
        "message": detail.body == PRIVATE + "-body",
        "lag": lag.total_lag.ready_count == 1,
    }


if __name__ == "__main__":
    try:
        main()
    except (ClientException, ServerException) as e:
        sys.stderr.write(f"setup failed: {e.code}: {e.message}\n")
        raise
