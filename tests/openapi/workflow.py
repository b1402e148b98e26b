"""The workflow of the product page, through the official SDKs: activate the service; create a
RAM user with an AccessKey and a console password; attach AliyunMQPubOnlyAccess at account scope
and AliyunMQSubOnlyAccess to three users at once; create a custom policy that allows managing
topics only, scoped to a resource group; then, as that user, create a topic in an instance of
that group (allowed) and of another group (refused), and a consumer group (refused). The root
creates the instances, a topic and a consumer group, sends a test message, reads the lag, finds
the message (ListMessages by key, GetMessageDetail) and resets the group's offset to the latest
(ResetConsumeOffset), after which the lag is empty. Prints one JSON report."""

import json

from alibabacloud_ram20150501 import models as ram
from alibabacloud_resourcemanager20200331 import models as rm
from alibabacloud_rocketmq20220801 import models as mq

from sdk import Clients, emit, failure, parse_args

TOPIC_MANAGER = {
    "Version": "1",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "rocketmq:CreateTopic",
                "rocketmq:GetTopic",
                "rocketmq:ListTopics",
                "rocketmq:UpdateTopic",
                "rocketmq:DeleteTopic",
            ],
            "Resource": "acs:rocketmq:*:*:instance/*",
        }
    ],
}


def main():
    args = parse_args()
    root = Clients(args.endpoint, args.key_id, args.secret)
    r = {}

    # Before activation the RocketMQ API refuses, naming activation.
    r["before_activation"] = failure(
        lambda: root.rocketmq.list_instances(mq.ListInstancesRequest())
    )
    opened = root.ons.open_ons_service()
    r["order_id"] = opened.body.order_id
    r["request_id"] = opened.body.request_id
    r["activate_again"] = failure(
        lambda: root.ons.open_ons_service()
    )

    # A RAM user with an AccessKey and a console password.
    user = root.ram.create_user(
        ram.CreateUserRequest(user_name="dev", display_name="Developer Ä")
    ).body.user
    r["user"] = {"name": user.user_name, "display": user.display_name, "id": user.user_id}
    key = root.ram.create_access_key(ram.CreateAccessKeyRequest(user_name="dev")).body.access_key
    r["key_status"] = key.status
    # The RocketMQ client test uses this key after the program ends.
    r["dev_key"] = {"id": key.access_key_id, "secret": key.access_key_secret}
    profile = root.ram.create_login_profile(
        ram.CreateLoginProfileRequest(
            user_name="dev", password="Str0ng-Passw0rd", password_reset_required=True
        )
    ).body.login_profile
    r["login_profile"] = {
        "user": profile.user_name,
        "reset": profile.password_reset_required,
    }

    # AliyunMQPubOnlyAccess at account scope (ResourceManager: the account id as scope).
    root.rm.attach_policy(
        rm.AttachPolicyRequest(
            policy_type="System",
            policy_name="AliyunMQPubOnlyAccess",
            principal_type="IMSUser",
            principal_name="dev@petrel.onaliyun.com",
            resource_group_id=args.account,
        )
    )

    # AliyunMQSubOnlyAccess to three users at once (our GrantPermissions, all or nothing).
    for name in ("reader1", "reader2", "reader3"):
        root.ram.create_user(ram.CreateUserRequest(user_name=name))
    granted = root.call_rpc(
        "2015-05-01",
        "GrantPermissions",
        {
            "UserNames": json.dumps(["reader1", "reader2", "reader3"]),
            "PolicyType": "System",
            "PolicyNames": json.dumps(["AliyunMQSubOnlyAccess"]),
        },
    )
    r["granted"] = len(granted["Grants"]["Grant"])
    holders = root.ram.list_entities_for_policy(
        ram.ListEntitiesForPolicyRequest(policy_type="System", policy_name="AliyunMQSubOnlyAccess")
    ).body
    r["sub_holders"] = sorted(u.user_name for u in holders.users.user)

    # Two resource groups; an instance in each, created by the root.
    team_a = root.rm.create_resource_group(
        rm.CreateResourceGroupRequest(name="team-a", display_name="Team A")
    ).body.resource_group.id
    team_b = root.rm.create_resource_group(
        rm.CreateResourceGroupRequest(name="team-b", display_name="Team B")
    ).body.resource_group.id
    inst_a = root.rocketmq.create_instance(
        mq.CreateInstanceRequest(instance_name="orders-a", resource_group_id=team_a, series_code="standard")
    ).body.data
    inst_b = root.rocketmq.create_instance(
        mq.CreateInstanceRequest(instance_name="orders-b", resource_group_id=team_b)
    ).body.data
    got = root.rocketmq.get_instance(inst_a).body.data
    r["instance_a"] = {"id": got.instance_id, "rg": got.resource_group_id, "name": got.instance_name}
    r["team_a"] = team_a
    resources = root.rm.list_resources(rm.ListResourcesRequest(resource_group_id=team_b)).body
    r["team_b_resources"] = [x.resource_id for x in resources.resources.resource]
    r["instance_b"] = inst_b

    # The root creates a topic and a consumer group too.
    root.rocketmq.create_topic(
        inst_b, "root-topic", mq.CreateTopicRequest(message_type="NORMAL", remark="by root")
    )
    root.rocketmq.create_consumer_group(
        inst_b,
        "GID_root",
        mq.CreateConsumerGroupRequest(
            delivery_order_type="Concurrently",
            consume_retry_policy=mq.CreateConsumerGroupRequestConsumeRetryPolicy(
                retry_policy="DefaultRetryPolicy", max_retry_times=16
            ),
            remark="r",
        ),
    )
    # A test message through the management API, then what the group has yet to consume.
    r["sent_message_id"] = root.rocketmq.verify_send_message(
        inst_b,
        "root-topic",
        mq.VerifySendMessageRequest(message="hello from the sdk", message_tag="TagA", message_key="k1"),
    ).body.data
    lag = root.rocketmq.get_consumer_group_lag(
        inst_b, "GID_root", mq.GetConsumerGroupLagRequest(topic_name="root-topic")
    ).body.data
    r["lag"] = {
        "ready": lag.total_lag.ready_count,
        "inflight": lag.total_lag.inflight_count,
        "topic_ready": lag.topic_lag_map["root-topic"].ready_count,
    }
    # Message query, then an offset reset to the latest offset, which empties the lag.
    listed = root.rocketmq.list_messages(
        inst_b, "root-topic", mq.ListMessagesRequest(message_key="k1", page_number=1, page_size=10)
    ).body.data
    assert listed.total_count == 1, listed.to_map()
    assert listed.list[0].message_id == r["sent_message_id"], listed.to_map()
    detail = root.rocketmq.get_message_detail(inst_b, "root-topic", r["sent_message_id"]).body.data
    assert (detail.message_tag, detail.message_keys, detail.body) == (
        "TagA",
        ["k1"],
        "hello from the sdk",
    ), detail.to_map()
    root.rocketmq.reset_consume_offset(
        inst_b, "GID_root", "root-topic", mq.ResetConsumeOffsetRequest(reset_type="LATEST_OFFSET")
    )
    after = root.rocketmq.get_consumer_group_lag(
        inst_b, "GID_root", mq.GetConsumerGroupLagRequest(topic_name="root-topic")
    ).body.data
    assert (after.total_lag.ready_count, after.total_lag.delivery_duration) == (0, 0), after.to_map()
    r["message_query"] = {
        "listed": listed.total_count,
        "detail_tag": detail.message_tag,
        "ready_after_reset": after.total_lag.ready_count,
    }
    group = root.rocketmq.get_consumer_group(inst_b, "GID_root").body.data
    r["root_group"] = {
        "id": group.consumer_group_id,
        "order": group.delivery_order_type,
        "retries": group.consume_retry_policy.max_retry_times,
    }

    # A custom policy managing topics only, attached to dev at the scope of team-a.
    created = root.ram.create_policy(
        ram.CreatePolicyRequest(
            policy_name="TopicManager",
            policy_document=json.dumps(TOPIC_MANAGER),
            description="manage topics only",
        )
    ).body.policy
    r["policy"] = {"name": created.policy_name, "version": created.default_version}
    root.ram.attach_policy_to_user(
        ram.AttachPolicyToUserRequest(
            policy_type="Custom", policy_name="TopicManager", user_name="dev", resource_group_id=team_a
        )
    )
    attachments = root.rm.list_policy_attachments(
        rm.ListPolicyAttachmentsRequest(principal_type="IMSUser", principal_name="dev")
    ).body.policy_attachments.policy_attachment
    r["dev_attachments"] = sorted(
        [a.policy_name, a.resource_group_id] for a in attachments
    )
    policies = root.ram.list_policies_for_user(ram.ListPoliciesForUserRequest(user_name="dev")).body
    r["dev_policies"] = sorted(p.policy_name for p in policies.policies.policy)

    # As dev.
    dev = Clients(args.endpoint, key.access_key_id, key.access_key_secret)
    who = dev.sts.get_caller_identity()
    r["dev_identity"] = {"type": who.body.identity_type, "arn": who.body.arn}
    r["dev_topic_in_a"] = dev.rocketmq.create_topic(
        inst_a, "orders", mq.CreateTopicRequest(message_type="NORMAL")
    ).body.data
    listed = dev.rocketmq.list_topics(inst_a, mq.ListTopicsRequest(page_number=1, page_size=10)).body.data
    r["dev_topics_in_a"] = [t.topic_name for t in listed.list]
    r["dev_topic_in_b"] = failure(
        lambda: dev.rocketmq.create_topic(inst_b, "orders", mq.CreateTopicRequest(message_type="NORMAL"))
    )
    r["dev_group_in_a"] = failure(
        lambda: dev.rocketmq.create_consumer_group(
            inst_a, "GID_dev", mq.CreateConsumerGroupRequest(delivery_order_type="Concurrently")
        )
    )
    r["dev_create_user"] = failure(
        lambda: dev.ram.create_user(ram.CreateUserRequest(user_name="intruder"))
    )

    # The simulator explains both decisions.
    sim = lambda instance: root.call_rpc(
        "2015-05-01",
        "SimulatePrincipalPolicy",
        {
            "UserName": "dev",
            "ActionName": "rocketmq:CreateTopic",
            "ResourceArn": f"acs:rocketmq:cn-hangzhou:{args.account}:instance/{instance}/topic/orders",
        },
    )
    allowed, denied = sim(inst_a), sim(inst_b)
    r["simulate_a"] = {
        "decision": allowed["Decision"],
        "policy": allowed["MatchedStatement"]["PolicyName"],
        "scope": allowed["MatchedStatement"]["Scope"],
    }
    r["simulate_b"] = {"decision": denied["Decision"], "allowed": denied["Allowed"]}
    emit(r)


if __name__ == "__main__":
    main()
