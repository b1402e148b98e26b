"""The subscription operations of RocketMQ 2022-08-01 through the official SDK, while a consumer
of the group is online: list the group's subscriptions, the topic's, one subscription's clients,
and a refused delete. Usage: subscriptions.py <common args> --instance I --group G --topic T."""

import argparse
import sys

from alibabacloud_rocketmq20220801 import models as mq

from sdk import Clients, emit, failure


def main():
    p = argparse.ArgumentParser()
    for name in ("--endpoint", "--key-id", "--secret", "--instance", "--group", "--topic"):
        p.add_argument(name, required=True)
    args = p.parse_args()
    c = Clients(args.endpoint, args.key_id, args.secret).rocketmq
    r = {}
    group = c.list_consumer_group_subscriptions(
        args.instance, args.group, mq.ListConsumerGroupSubscriptionsRequest()
    ).body
    r["group"] = [d.to_map() for d in group.data]
    r["group_request_id"] = group.request_id
    r["topic"] = [d.to_map() for d in c.list_topic_subscriptions(args.instance, args.topic).body.data]
    one = c.get_consumer_group_subscription(args.instance, args.group, args.topic).body.data
    r["clients"] = [
        {"connection": d.connection_dto.to_map(), "subscription": d.subscription_dto.to_map()}
        for d in one
    ]
    r["delete_online"] = failure(
        lambda: c.delete_consumer_group_subscription(
            args.instance,
            args.group,
            mq.DeleteConsumerGroupSubscriptionRequest(topic_name=args.topic),
        )
    )
    emit(r)


if __name__ == "__main__":
    sys.exit(main())
