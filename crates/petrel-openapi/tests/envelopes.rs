//! The answers SDKs parse: PascalCase RPC objects and the camelCase RocketMQ wrapper, JSON on
//! every path (errors, unknown actions, void operations), the right status for each failure,
//! denials with an `AccessDeniedDetail`, activation gating, and list pagination.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use common::{Call, Fixture};
use serde_json::Value;

const RAM: &str = "2015-05-01";

async fn rpc(f: &Fixture, action: &str, query: &str) -> common::Answer {
    f.send(f.call().rpc(RAM, action, query).signed()).await
}

/// A RAM user with an AccessKey; returns its signer.
async fn user_with_key(f: &Fixture, name: &str) -> (String, String) {
    assert_eq!(
        rpc(f, "CreateUser", &format!("UserName={name}"))
            .await
            .status,
        200
    );
    let key = rpc(f, "CreateAccessKey", &format!("UserName={name}")).await;
    let k = &key.body["AccessKey"];
    (
        k["AccessKeyId"].as_str().unwrap().to_owned(),
        k["AccessKeySecret"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn void_operations_answer_json_with_a_request_id() {
    let f = Fixture::new();
    rpc(&f, "CreateUser", "UserName=gone").await;
    let a = rpc(&f, "DeleteUser", "UserName=gone").await;
    assert_eq!(a.status, 200);
    let obj = a.body.as_object().unwrap();
    assert_eq!(obj.len(), 1, "only RequestId: {obj:?}");
    assert_eq!(a.body["RequestId"].as_str(), a.header_request_id.as_deref());
}

#[tokio::test]
async fn an_unknown_action_or_version_is_refused_with_json() {
    let f = Fixture::new();
    let a = rpc(&f, "NoSuchAction", "").await;
    assert_eq!((a.status, a.code()), (404, "InvalidAction.NotFound"));
    assert!(a.body["Message"].as_str().unwrap().contains("NoSuchAction"));
    let a = f
        .send(f.call().rpc("1999-01-01", "ListUsers", "").signed())
        .await;
    assert_eq!((a.status, a.code()), (400, "InvalidVersion"));
}

#[tokio::test]
async fn missing_and_malformed_parameters_name_the_parameter() {
    let f = Fixture::new();
    let a = rpc(&f, "CreateUser", "").await;
    assert_eq!((a.status, a.code()), (400, "MissingParameter.UserName"));
    let a = rpc(&f, "CreateUser", "UserName=bad+name%21").await;
    assert_eq!(a.status, 400);
    assert!(
        a.code().starts_with("InvalidParameter.UserName"),
        "{:?}",
        a.body
    );
    let a = rpc(
        &f,
        "CreateLoginProfile",
        "UserName=x&Password=p&PasswordResetRequired=maybe",
    )
    .await;
    assert_eq!(a.code(), "InvalidParameter.PasswordResetRequired");
}

#[tokio::test]
async fn entity_errors_carry_ram_codes_and_statuses() {
    let f = Fixture::new();
    let a = rpc(&f, "GetUser", "UserName=nobody").await;
    assert_eq!((a.status, a.code()), (404, "EntityNotExist.User"));
    rpc(&f, "CreateUser", "UserName=twice").await;
    let a = rpc(&f, "CreateUser", "UserName=twice").await;
    assert_eq!((a.status, a.code()), (409, "EntityAlreadyExists.User"));
    for _ in 0..2 {
        assert_eq!(
            rpc(&f, "CreateAccessKey", "UserName=twice").await.status,
            200
        );
    }
    let a = rpc(&f, "CreateAccessKey", "UserName=twice").await;
    assert_eq!((a.status, a.code()), (409, "LimitExceeded.User.AccessKey"));
    let a = rpc(&f, "GetPolicy", "PolicyType=Custom&PolicyName=nothing").await;
    assert_eq!((a.status, a.code()), (404, "EntityNotExist.Policy"));
}

#[tokio::test]
async fn a_sixth_policy_version_is_refused() {
    let f = Fixture::new();
    let doc = |n: u32| {
        let d = format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"rocketmq:GetTopic","Resource":"acs:rocketmq:*:*:instance/i{n}"}}]}}"#
        );
        urlencode(&d)
    };
    let a = rpc(
        &f,
        "CreatePolicy",
        &format!("PolicyName=p&PolicyDocument={}", doc(1)),
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    for n in 2..=5 {
        let a = rpc(
            &f,
            "CreatePolicyVersion",
            &format!("PolicyName=p&PolicyDocument={}", doc(n)),
        )
        .await;
        assert_eq!(a.body["PolicyVersion"]["VersionId"], format!("v{n}"));
    }
    let a = rpc(
        &f,
        "CreatePolicyVersion",
        &format!("PolicyName=p&PolicyDocument={}", doc(6)),
    )
    .await;
    assert_eq!((a.status, a.code()), (409, "LimitExceeded.Policy.Version"));
    let a = rpc(
        &f,
        "CreatePolicyVersion",
        &format!(
            "PolicyName=p&PolicyDocument={}&RotateStrategy=DeleteOldestNonDefaultVersionWhenLimitExceeded&SetAsDefault=True",
            doc(6)
        ),
    )
    .await;
    assert_eq!(a.body["PolicyVersion"]["VersionId"], "v6", "{:?}", a.body);
    let a = rpc(&f, "ListPolicyVersions", "PolicyName=p&PolicyType=Custom").await;
    let ids: Vec<&str> = a.body["PolicyVersions"]["PolicyVersion"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["VersionId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["v1", "v3", "v4", "v5", "v6"],
        "the oldest non-default version went"
    );
}

#[tokio::test]
async fn a_denied_ram_call_is_403_no_permission_with_access_denied_detail() {
    let f = Fixture::new();
    let (id, secret) = user_with_key(&f, "alice").await;
    let a = f
        .send(
            Call::new(&id, &secret)
                .rpc(RAM, "CreateUser", "UserName=bob")
                .signed(),
        )
        .await;
    assert_eq!((a.status, a.code()), (403, "NoPermission"), "{:?}", a.body);
    let d = &a.body["AccessDeniedDetail"];
    assert_eq!(d["AuthAction"], "ram:CreateUser");
    assert_eq!(d["AuthPrincipalType"], "SubUser");
    assert_eq!(d["AuthPrincipalDisplayName"], "alice");
    assert_eq!(d["NoPermissionType"], "ImplicitDeny");
}

#[tokio::test]
async fn rocketmq_calls_before_activation_are_refused_naming_activation() {
    let f = Fixture::new();
    let a = f
        .send(
            f.call()
                .roa("ListInstances", "GET", "/instances", None)
                .signed(),
        )
        .await;
    assert_eq!((a.status, a.code()), (403, "ServiceNotActivated"));
    assert_eq!(a.body["success"], false);
    assert_eq!(a.body["httpStatusCode"], 403);
    assert!(a.body["message"].as_str().unwrap().contains("activate"));
    assert!(a.body["requestId"].is_string());

    let open = f
        .send(f.call().rpc("2019-02-14", "OpenOnsService", "").signed())
        .await;
    assert_eq!(open.status, 200, "{:?}", open.body);
    assert!(open.body["OrderId"].is_string());
    let again = f
        .send(f.call().rpc("2019-02-14", "OpenOnsService", "").signed())
        .await;
    assert_eq!((again.status, again.code()), (400, "OrderOpend"));

    let a = f
        .send(
            f.call()
                .roa("ListInstances", "GET", "/instances", None)
                .signed(),
        )
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["success"], true);
    assert_eq!(a.body["data"]["totalCount"], 0);
    assert_eq!(a.body["data"]["list"], Value::Array(Vec::new()));
}

#[tokio::test]
async fn rocketmq_answers_use_the_camel_case_wrapper_and_decode_path_segments() {
    let f = Fixture::new();
    f.send(f.call().rpc("2019-02-14", "OpenOnsService", "").signed())
        .await;
    let a = f
        .send(
            f.call()
                .roa(
                    "CreateInstance",
                    "POST",
                    "/instances",
                    Some(r#"{"instanceName":"orders","remark":"r"}"#),
                )
                .signed(),
        )
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let iid = a.body["data"].as_str().unwrap().to_owned();
    let path = format!("/instances/{iid}/topics/order%2Dcreated");
    let a = f
        .send(
            f.call()
                .roa(
                    "CreateTopic",
                    "POST",
                    &path,
                    Some(r#"{"maxSendTps":100,"messageType":"FIFO","remark":"hi there"}"#),
                )
                .signed(),
        )
        .await;
    assert_eq!(
        (a.status, &a.body["data"]),
        (200, &Value::Bool(true)),
        "{:?}",
        a.body
    );
    let a = f
        .send(f.call().roa("GetTopic", "GET", &path, None).signed())
        .await;
    assert_eq!(a.body["data"]["topicName"], "order-created");
    assert_eq!(a.body["data"]["messageType"], "FIFO");
    assert_eq!(a.body["data"]["instanceId"], iid.as_str());
    let a = f
        .send(
            f.call()
                .roa(
                    "GetTopic",
                    "GET",
                    &format!("/instances/{iid}/topics/missing"),
                    None,
                )
                .signed(),
        )
        .await;
    assert_eq!((a.status, a.code()), (404, "EntityNotExist.Topic"));
    assert_eq!(a.body["httpStatusCode"], 404);
    let a = f
        .send(
            f.call()
                .roa(
                    "CreateTopic",
                    "POST",
                    &format!("/instances/{iid}/topics/t2"),
                    Some(r#"{"messageType":"SOMETIMES"}"#),
                )
                .signed(),
        )
        .await;
    assert_eq!(a.code(), "InvalidParameter.MessageType");
    // The action must be served at its own path.
    let a = f
        .send(f.call().roa("GetTopic", "DELETE", &path, None).signed())
        .await;
    assert_eq!((a.status, a.code()), (404, "InvalidAction.NotFound"));
}

#[tokio::test]
async fn ram_lists_page_by_marker() {
    let f = Fixture::new();
    for name in ["u1", "u2", "u3"] {
        rpc(&f, "CreateUser", &format!("UserName={name}")).await;
    }
    let a = rpc(&f, "ListUsers", "MaxItems=2").await;
    assert_eq!(a.body["IsTruncated"], true);
    let marker = a.body["Marker"].as_str().unwrap().to_owned();
    let names: Vec<&str> = a.body["Users"]["User"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["UserName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["u1", "u2"]);
    let a = rpc(&f, "ListUsers", &format!("MaxItems=2&Marker={marker}")).await;
    assert_eq!(a.body["IsTruncated"], false);
    assert_eq!(a.body["Users"]["User"][0]["UserName"], "u3");
    let a = rpc(&f, "ListUsers", "MaxItems=1001").await;
    assert_eq!(a.code(), "InvalidParameter.MaxItems");
}

#[tokio::test]
async fn the_simulator_names_the_deciding_statement() {
    let f = Fixture::new();
    rpc(&f, "CreateUser", "UserName=carol").await;
    let a = rpc(
        &f,
        "AttachPolicyToUser",
        "UserName=carol&PolicyType=System&PolicyName=AliyunMQPubOnlyAccess",
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let arn = urlencode(&format!("acs:mq:cn-hangzhou:{}:rmq-1%orders", f.account));
    let a = rpc(
        &f,
        "SimulatePrincipalPolicy",
        &format!("UserName=carol&ActionName=mq%3APUB&ResourceArn={arn}"),
    )
    .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["Decision"], "Allow");
    assert_eq!(
        a.body["MatchedStatement"]["PolicyName"],
        "AliyunMQPubOnlyAccess"
    );
    assert_eq!(a.body["MatchedStatement"]["Scope"], "Account");
    let a = rpc(
        &f,
        "SimulatePrincipalPolicy",
        &format!("UserName=carol&ActionName=mq%3ASUB&ResourceArn={arn}"),
    )
    .await;
    assert_eq!(a.body["Decision"], "ImplicitDeny");
    assert_eq!(a.body["Allowed"], false);
}

#[tokio::test]
async fn caller_identity_tells_root_from_user() {
    let f = Fixture::new();
    let a = f
        .send(f.call().rpc("2015-04-01", "GetCallerIdentity", "").signed())
        .await;
    assert_eq!(a.body["IdentityType"], "Account");
    assert_eq!(a.body["AccountId"], f.account.as_str());
    let (id, secret) = user_with_key(&f, "dave").await;
    let a = f
        .send(
            Call::new(&id, &secret)
                .rpc("2015-04-01", "GetCallerIdentity", "")
                .signed(),
        )
        .await;
    assert_eq!(a.body["IdentityType"], "RAMUser");
    assert_eq!(a.body["Arn"], format!("acs:ram::{}:user/dave", f.account));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn consumer_groups_keep_their_retry_policy_through_update() {
    let f = Fixture::new();
    f.send(f.call().rpc("2019-02-14", "OpenOnsService", "").signed())
        .await;
    let a = f
        .send(
            f.call()
                .roa("CreateInstance", "POST", "/instances", Some("{}"))
                .signed(),
        )
        .await;
    let iid = a.body["data"].as_str().unwrap().to_owned();
    let path = format!("/instances/{iid}/consumerGroups/GID_orders");
    let body = r#"{"consumeRetryPolicy":{"maxRetryTimes":3,"retryPolicy":"FixedRetryPolicy","fixedIntervalRetryTime":5},"deliveryOrderType":"Orderly","exclusive":false,"remark":"r"}"#;
    let a = f
        .send(
            f.call()
                .roa("CreateConsumerGroup", "POST", &path, Some(body))
                .signed(),
        )
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let a = f
        .send(
            f.call()
                .roa(
                    "UpdateConsumerGroup",
                    "PATCH",
                    &path,
                    Some(r#"{"remark":"changed"}"#),
                )
                .signed(),
        )
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    let a = f
        .send(
            f.call()
                .roa("GetConsumerGroup", "GET", &path, None)
                .signed(),
        )
        .await;
    let g = &a.body["data"];
    assert_eq!(g["remark"], "changed");
    assert_eq!(g["deliveryOrderType"], "Orderly");
    assert_eq!(g["consumeRetryPolicy"]["retryPolicy"], "FixedRetryPolicy");
    assert_eq!(g["consumeRetryPolicy"]["maxRetryTimes"], 3);
    assert_eq!(g["consumeRetryPolicy"]["fixedIntervalRetryTime"], 5);
    let list = format!("/instances/{iid}/consumerGroups");
    let a = f
        .send(
            f.call()
                .roa("ListConsumerGroups", "GET", &list, None)
                .signed(),
        )
        .await;
    assert_eq!(a.body["data"]["totalCount"], 1);
    let a = f
        .send(
            f.call()
                .roa("DeleteConsumerGroup", "DELETE", &path, None)
                .signed(),
        )
        .await;
    assert_eq!(a.body["data"], true);
    let a = f
        .send(
            f.call()
                .roa("GetConsumerGroup", "GET", &path, None)
                .signed(),
        )
        .await;
    assert_eq!((a.status, a.code()), (404, "EntityNotExist.ConsumerGroup"));
}

#[tokio::test]
async fn message_operations_without_a_broker_answer_service_unavailable() {
    let f = Fixture::new();
    f.send(f.call().rpc("2019-02-14", "OpenOnsService", "").signed())
        .await;
    let a = f
        .send(
            f.call()
                .roa(
                    "VerifySendMessage",
                    "POST",
                    "/instances/i-1/topics/t/messages",
                    Some(r#"{"message":"m"}"#),
                )
                .signed(),
        )
        .await;
    assert_eq!((a.status, a.code()), (503, "ServiceUnavailable"));
    assert_eq!(a.body["success"], false);
}

#[tokio::test]
async fn resource_manager_scopes_attachments_to_a_group_or_the_account() {
    let f = Fixture::new();
    rpc(&f, "CreateUser", "UserName=erin").await;
    let rg = rm(
        &f,
        "CreateResourceGroup",
        "Name=team-x&DisplayName=Team+X".into(),
    )
    .await;
    assert_eq!(rg.status, 200, "{:?}", rg.body);
    let rg_id = rg.body["ResourceGroup"]["Id"].as_str().unwrap().to_owned();
    for scope in [rg_id.as_str(), f.account.as_str()] {
        let a = rm(&f,
            "AttachPolicy",
            format!("ResourceGroupId={scope}&PolicyType=System&PolicyName=AliyunMQReadOnlyAccess&PrincipalType=IMSUser&PrincipalName=erin%40acme.onaliyun.com"),
        )
        .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
    }
    let a = rm(
        &f,
        "ListPolicyAttachments",
        "PrincipalType=IMSUser&PrincipalName=erin".into(),
    )
    .await;
    assert_eq!(a.body["TotalCount"], 2);
    let scopes: Vec<&str> = a.body["PolicyAttachments"]["PolicyAttachment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["ResourceGroupId"].as_str().unwrap())
        .collect();
    assert!(
        scopes.contains(&rg_id.as_str()) && scopes.contains(&f.account.as_str()),
        "{scopes:?}"
    );
    assert_eq!(
        a.body["PolicyAttachments"]["PolicyAttachment"][0]["PrincipalName"],
        "erin@acme.onaliyun.com"
    );
    let a = rm(&f,
        "DetachPolicy",
        format!("ResourceGroupId={rg_id}&PolicyType=System&PolicyName=AliyunMQReadOnlyAccess&PrincipalType=IMSUser&PrincipalName=erin"),
    )
    .await;
    assert_eq!(a.status, 200);
    let a = rm(
        &f,
        "ListPolicyAttachments",
        format!("ResourceGroupId={rg_id}"),
    )
    .await;
    assert_eq!(a.body["TotalCount"], 0);
    let a = rm(
        &f,
        "GetResourceGroup",
        "ResourceGroupId=rg-doesnotexist1".into(),
    )
    .await;
    assert_eq!(
        (a.status, a.code()),
        (404, "EntityNotExists.ResourceGroup"),
        "{:?}",
        a.body
    );
}

async fn rm(f: &Fixture, action: &str, query: String) -> common::Answer {
    f.send(f.call().rpc("2020-03-31", action, &query).signed())
        .await
}
