//! The product-page workflow driven by an operator with the CLI against a running server, and
//! what a RAM user may and may not do with its own key.

use serde_json::Value;

use crate::common::Server;
use crate::harness::{Cli, Key, root_key, send_test_message, text};

#[test]
fn operator_runs_the_product_page_workflow_against_a_running_server() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = Server::start_in(&data, &[]);
    let cli = Cli {
        endpoint: format!("http://{}", server.http_addr),
        home: tmp.path().join("home"),
    };
    let root = root_key(&data);

    // Activation; a second one is not an error.
    let activated = cli.json(&root, &["activate"]);
    assert_eq!(activated["status"], "activated", "{activated}");
    assert!(cli.ok(&root, &["activate"]).contains("already activated"));

    // A RAM user with a console password and an AccessKey.
    let created = cli.json(
        &root,
        &["user", "create", "dev", "--password", "Passw0rd123"],
    );
    assert_eq!(created["User"]["UserName"], "dev");
    assert_eq!(created["LoginProfile"]["UserName"], "dev");
    let key = cli.json(&root, &["key", "create", "--user", "dev"]);
    let dev = Key {
        id: text(&key, "AccessKeyId").to_owned(),
        secret: text(&key, "AccessKeySecret").to_owned(),
    };
    assert_eq!(key["Status"], "Active");

    // Pub at account scope.
    let grants = cli.json(
        &root,
        &[
            "grant",
            "--user",
            "dev",
            "--policy",
            "AliyunMQPubOnlyAccess",
            "--scope",
            "account",
        ],
    );
    assert_eq!(grants[0]["PolicyName"], "AliyunMQPubOnlyAccess");
    assert_eq!(grants[0]["ResourceGroupId"], Value::Null);

    // Sub to three users in one grant.
    for u in ["sub1", "sub2", "sub3"] {
        cli.ok(&root, &["user", "create", u]);
    }
    let grants = cli.json(
        &root,
        &[
            "grant",
            "--user",
            "sub1",
            "--user",
            "sub2",
            "--user",
            "sub3",
            "--policy",
            "AliyunMQSubOnlyAccess",
        ],
    );
    let mut who: Vec<&str> = grants
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["PrincipalName"].as_str().unwrap())
        .collect();
    who.sort_unstable();
    assert_eq!(who, ["sub1", "sub2", "sub3"]);
    let listed = cli.ok(&root, &["user", "get", "sub2"]);
    assert!(listed.contains("AliyunMQSubOnlyAccess"), "{listed}");

    // Two resource groups, an instance in each.
    let team_a = cli.json(&root, &["rg", "create", "team-a"]);
    let team_a = text(&team_a, "Id").to_owned();
    let team_b = cli.json(&root, &["rg", "create", "team-b"]);
    let team_b = text(&team_b, "Id").to_owned();
    let inst_a = cli.json(
        &root,
        &["instance", "create", "orders", "--resource-group", &team_a],
    );
    let inst_a = text(&inst_a, "instanceId").to_owned();
    let inst_b = cli.json(
        &root,
        &["instance", "create", "billing", "--resource-group", &team_b],
    );
    let inst_b = text(&inst_b, "instanceId").to_owned();
    let instances = cli.json(&root, &["instance", "list", "--resource-group", &team_a]);
    assert_eq!(instances.as_array().unwrap().len(), 1);
    assert_eq!(instances[0]["instanceName"], "orders");

    // A custom policy that manages topics only, granted at the scope of team-a.
    let doc = tmp.path().join("topics.json");
    std::fs::write(
        &doc,
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"rocketmq:*Topic*","Resource":"*"}]}"#,
    )
    .unwrap();
    let policy = cli.json(
        &root,
        &[
            "policy",
            "create",
            "TopicManager",
            "--document",
            doc.to_str().unwrap(),
        ],
    );
    assert_eq!(policy["PolicyName"], "TopicManager");
    cli.ok(
        &root,
        &[
            "grant",
            "--user",
            "dev",
            "--policy",
            "custom:TopicManager",
            "--scope",
            &team_a,
        ],
    );

    // As dev: a topic in team-a's instance is allowed…
    assert!(
        cli.ok(
            &dev,
            &["topic", "create", "orders-events", "--instance", &inst_a]
        )
        .contains("orders-events")
    );
    // …in team-b's it is refused, with the server's code, message and denial detail…
    let refused = cli.fails(
        &dev,
        &["topic", "create", "invoices", "--instance", &inst_b],
        1,
    );
    assert!(refused.contains("NoPermission"), "{refused}");
    assert!(refused.contains("rocketmq:CreateTopic"), "{refused}");
    assert!(refused.contains("implicit deny"), "{refused}");
    assert!(refused.contains("access denied: ImplicitDeny"), "{refused}");
    // …and so is a consumer group anywhere; as JSON on standard error for scripts.
    let refused = cli.fails(
        &dev,
        &[
            "group",
            "create",
            "GID_dev",
            "--instance",
            &inst_a,
            "--output",
            "json",
        ],
        1,
    );
    let error: Value = serde_json::from_str(refused.trim()).unwrap();
    assert_eq!(error["exitCode"], 1);
    assert_eq!(error["error"]["code"], "NoPermission");
    assert_eq!(error["error"]["httpStatus"], 403);
    assert_eq!(error["error"]["action"], "CreateConsumerGroup");
    assert!(error["error"]["requestId"].is_string());
    assert_eq!(
        error["error"]["accessDeniedDetail"]["AuthAction"],
        "rocketmq:CreateConsumerGroup"
    );
    // The simulator agrees with what happened.
    cli.ok(
        &root,
        &[
            "simulate",
            "--user",
            "dev",
            "--action",
            "rocketmq:CreateTopic",
            "--instance",
            &inst_a,
            "--topic",
            "x",
            "--management",
        ],
    );
    let denied = cli.run(
        &root,
        &[
            "simulate",
            "--user",
            "dev",
            "--action",
            "rocketmq:CreateTopic",
            "--instance",
            &inst_b,
            "--topic",
            "x",
            "--management",
            "--json",
        ],
    );
    assert_eq!(denied.status.code(), Some(1));
    let sim: Value = serde_json::from_slice(&denied.stdout).unwrap();
    assert_eq!(sim["Allowed"], false);
    assert_eq!(sim["Decision"], "ImplicitDeny");

    // As root: a topic and a consumer group, then the group's lag on the topic.
    cli.ok(
        &root,
        &[
            "topic",
            "create",
            "payments",
            "--instance",
            &inst_a,
            "--type",
            "FIFO",
        ],
    );
    cli.ok(
        &root,
        &[
            "group",
            "create",
            "GID_app",
            "--instance",
            &inst_a,
            "--max-retries",
            "5",
        ],
    );
    let topics = cli.json(&root, &["topic", "list", "--instance", &inst_a]);
    let names: Vec<&str> = topics
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["topicName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["orders-events", "payments"]);
    let group = cli.json(&root, &["group", "get", "GID_app", "--instance", &inst_a]);
    assert_eq!(group["consumeRetryPolicy"]["maxRetryTimes"], 5);
    let lag = cli.json(
        &root,
        &[
            "lag",
            "--instance",
            &inst_a,
            "--group",
            "GID_app",
            "--topic",
            "payments",
        ],
    );
    assert_eq!(lag["consumerGroupId"], "GID_app");
    assert_eq!(lag["totalLag"]["readyCount"], 0);
    assert!(lag["topicLagMap"]["payments"].is_object(), "{lag}");
    assert!(
        cli.ok(
            &root,
            &[
                "lag",
                "--instance",
                &inst_a,
                "--group",
                "GID_app",
                "--topic",
                "payments"
            ]
        )
        .contains("ready:")
    );

    // A message on the topic: found by key, by id and by store time, shown in detail, then
    // skipped by resetting the group to the latest offset and re-delivered by a reset to a time.
    let sent = send_test_message(&server, &root, &inst_a, "payments", "order-1001");
    let lag_args = [
        "lag",
        "--instance",
        &inst_a,
        "--group",
        "GID_app",
        "--topic",
        "payments",
    ];
    assert_eq!(cli.json(&root, &lag_args)["totalLag"]["readyCount"], 1);
    let found = cli.json(
        &root,
        &[
            "message",
            "list",
            "--instance",
            &inst_a,
            "--topic",
            "payments",
            "--key",
            "order-1001",
        ],
    );
    assert_eq!(found["totalCount"], 1, "{found}");
    assert_eq!(found["list"][0]["messageId"], sent.as_str(), "{found}");
    let table = cli.ok(
        &root,
        &[
            "message",
            "list",
            "--instance",
            &inst_a,
            "--topic",
            "payments",
            "--key",
            "order-1001",
        ],
    );
    assert!(
        table.contains(&sent) && table.contains("order-1001"),
        "{table}"
    );
    let none = cli.json(
        &root,
        &[
            "message",
            "list",
            "--instance",
            &inst_a,
            "--topic",
            "payments",
            "--key",
            "order-9999",
        ],
    );
    assert_eq!(none["list"].as_array().unwrap().len(), 0, "{none}");
    let by_id = cli.json(
        &root,
        &[
            "message",
            "list",
            "--instance",
            &inst_a,
            "--topic",
            "payments",
            "--id",
            &sent,
        ],
    );
    assert_eq!(by_id["list"][0]["messageId"], sent.as_str(), "{by_id}");
    let by_time = cli.json(
        &root,
        &[
            "message",
            "list",
            "--instance",
            &inst_a,
            "--topic",
            "payments",
            "--from",
            "2000-01-01 00:00:00",
            "--to",
            "2999-12-31 23:59:59",
            "--page-size",
            "5",
        ],
    );
    assert_eq!(by_time["list"][0]["messageId"], sent.as_str(), "{by_time}");
    assert_eq!(by_time["pageSize"], 5, "{by_time}");
    let bad_time = cli.fails(
        &root,
        &[
            "message",
            "list",
            "--instance",
            &inst_a,
            "--topic",
            "payments",
            "--from",
            "yesterday",
            "--to",
            "today",
        ],
        1,
    );
    assert!(bad_time.contains("yesterday"), "{bad_time}");
    let detail = cli.json(
        &root,
        &[
            "message",
            "get",
            "--instance",
            &inst_a,
            "--topic",
            "payments",
            &sent,
        ],
    );
    assert_eq!(detail["messageId"], sent.as_str(), "{detail}");
    assert_eq!(detail["body"], "paid 42", "{detail}");
    assert_eq!(detail["messageKeys"][0], "order-1001", "{detail}");
    assert_eq!(detail["messageGroup"], "customer-7", "{detail}");
    let state = detail["deliveryStates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["consumerGroupId"] == "GID_app")
        .unwrap_or_else(|| panic!("no state of GID_app in {detail}"));
    assert_eq!(state["state"], "NOT_DELIVERED", "{detail}");
    let shown = cli.ok(
        &root,
        &[
            "message",
            "get",
            "--instance",
            &inst_a,
            "--topic",
            "payments",
            &sent,
        ],
    );
    assert!(
        shown.contains("paid 42") && shown.contains("GID_app"),
        "{shown}"
    );
    let missing = cli.fails(
        &root,
        &[
            "message",
            "get",
            "--instance",
            &inst_a,
            "--topic",
            "payments",
            "01NOSUCHMESSAGE",
        ],
        3,
    );
    assert!(missing.contains("ResourceNotFound.Message"), "{missing}");
    let reset = cli.json(
        &root,
        &[
            "offset",
            "reset",
            "--instance",
            &inst_a,
            "--group",
            "GID_app",
            "--topic",
            "payments",
            "--latest",
        ],
    );
    assert_eq!(reset["resetType"], "LATEST_OFFSET", "{reset}");
    assert_eq!(cli.json(&root, &lag_args)["totalLag"]["readyCount"], 0);
    let lag_table = cli.ok(&root, &lag_args);
    let ready = lag_table
        .lines()
        .find_map(|l| l.strip_prefix("ready:"))
        .unwrap_or_else(|| panic!("no ready line in {lag_table}"));
    assert_eq!(ready.trim(), "0", "{lag_table}");
    cli.ok(
        &root,
        &[
            "offset",
            "reset",
            "--instance",
            &inst_a,
            "--group",
            "GID_app",
            "--topic",
            "payments",
            "--to-time",
            "2000-01-01 00:00:00",
        ],
    );
    assert_eq!(cli.json(&root, &lag_args)["totalLag"]["readyCount"], 1);

    // A high-risk policy is refused without confirmation, granted with it.
    let risky = cli.fails(
        &root,
        &["grant", "--user", "sub1", "--policy", "AliyunMQFullAccess"],
        1,
    );
    assert!(
        risky.contains("InvalidParameter.HighRiskPolicy.NotConfirmed"),
        "{risky}"
    );
    assert!(risky.contains("--confirm-high-risk"), "{risky}");
    cli.ok(
        &root,
        &[
            "grant",
            "--user",
            "sub1",
            "--policy",
            "AliyunMQFullAccess",
            "--confirm-high-risk",
        ],
    );

    // A wrong secret is refused with the server's code.
    let wrong = Key {
        id: dev.id.clone(),
        secret: "not-the-secret".to_owned(),
    };
    let refused = cli.fails(&wrong, &["user", "list"], 1);
    assert!(refused.contains("SignatureDoesNotMatch"), "{refused}");

    // Not found is 3; a revoke of several; a forced delete removes what holds the user.
    let missing = cli.fails(&root, &["user", "get", "nobody"], 3);
    assert!(missing.contains("EntityNotExist.User"), "{missing}");
    cli.ok(
        &root,
        &[
            "revoke",
            "--user",
            "sub2",
            "--user",
            "sub3",
            "--policy",
            "AliyunMQSubOnlyAccess",
        ],
    );
    assert!(
        !cli.ok(&root, &["user", "get", "sub2"])
            .contains("AliyunMQSubOnlyAccess")
    );
    let conflict = cli.fails(&root, &["user", "delete", "dev"], 1);
    assert!(conflict.contains("DeleteConflict.User"), "{conflict}");
    let removed = cli.json(&root, &["user", "delete", "dev", "--force"]);
    let removed = removed["removed"].to_string();
    assert!(
        removed.contains("TopicManager") && removed.contains(&team_a),
        "{removed}"
    );
    cli.fails(&root, &["user", "get", "dev"], 3);

    drop(server);
}
