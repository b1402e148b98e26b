//! The one message catalogue of the console, English and Chinese. Templates look text up by
//! key through [`crate::view::Chrome::t`]; a test checks that every key a template uses is here
//! in both languages.

/// `(key, English, Chinese)`.
const CATALOGUE: &[(&str, &str, &str)] = &[
    // Error page.
    ("err.denied", "Access denied", "无权访问"),
    ("err.failed", "The request failed", "请求失败"),
    ("err.back", "Back", "返回"),
    ("err.home", "Console home", "控制台首页"),
    // Navigation and frame.
    ("nav.overview", "Overview", "概览"),
    ("nav.instances", "Instances", "实例列表"),
    ("nav.users", "Users", "用户"),
    ("nav.user_groups", "User groups", "用户组"),
    ("nav.grants", "Grants", "授权"),
    ("nav.policies", "Policies", "权限策略"),
    ("nav.resource_groups", "Resource groups", "资源组"),
    ("nav.identities", "Identities", "身份管理"),
    ("nav.permissions", "Permissions", "权限管理"),
    ("nav.mq", "Message Queue", "消息队列"),
    ("nav.audit", "Audit log", "操作审计"),
    ("nav.governance", "Governance", "治理"),
    ("signout", "Sign out", "退出登录"),
    ("theme", "Theme", "主题"),
    // Common words.
    ("create", "Create", "创建"),
    ("search", "Search", "搜索"),
    ("grant", "Grant Permission", "新增授权"),
    ("remark", "Remark", "备注"),
    ("created", "Created", "创建时间"),
    ("topic", "Topic", "Topic"),
    ("rename", "Rename", "重命名"),
    ("delete", "Delete", "删除"),
    ("move", "Move", "转移"),
    ("name", "Name", "名称"),
    ("display_name", "Display name", "显示名称"),
    ("page.first", "First page", "第一页"),
    ("page.next", "Next page", "下一页"),
    // Activation.
    (
        "activate.title",
        "Activate ApsaraMQ for RocketMQ",
        "开通云消息队列 RocketMQ 版",
    ),
    ("activate.now", "Activate now", "立即开通"),
    (
        "activate.terms",
        "I have read and agree to the terms of service",
        "我已阅读并同意服务协议",
    ),
    // Message query.
    ("msg.title", "Message query", "消息查询"),
    ("msg.by_id", "By message ID", "按 Message ID 查询"),
    ("msg.by_key", "By message key", "按 Message Key 查询"),
    (
        "msg.by_time",
        "By topic and time range",
        "按 Topic 和时间范围查询",
    ),
    ("msg.id", "Message ID", "Message ID"),
    ("msg.key", "Message key", "Message Key"),
    ("msg.keys", "Keys", "Keys"),
    ("msg.tag", "Tag", "Tag"),
    (
        "msg.key_hint",
        "The newest 64 matches are shown, newest first.",
        "最多显示最新的 64 条，按时间倒序。",
    ),
    ("msg.from", "From", "开始时间"),
    ("msg.to", "To", "结束时间"),
    (
        "msg.no_topics",
        "This instance has no topics yet.",
        "该实例还没有 Topic。",
    ),
    ("msg.store_time", "Store time", "存储时间"),
    ("msg.born_time", "Born time", "生产时间"),
    ("msg.born_host", "Born host", "生产者地址"),
    ("msg.delivery_time", "Delivery time", "定时投递时间"),
    ("msg.body", "Body", "消息体"),
    (
        "msg.body_cut",
        "only the first 64 KiB shown",
        "仅显示前 64 KiB",
    ),
    ("msg.detail", "Message", "消息详情"),
    ("msg.type", "Message type", "消息类型"),
    ("msg.group", "Message group", "消息组"),
    ("msg.position", "Position", "队列位置"),
    (
        "msg.delivery",
        "Delivery state per consumer group",
        "各消费者分组的投递状态",
    ),
    ("msg.state", "State", "状态"),
    (
        "msg.no_groups",
        "The instance has no consumer groups.",
        "该实例没有消费者分组。",
    ),
    (
        "msg.recent",
        "Messages of the last hour",
        "最近一小时的消息",
    ),
    ("msg.send", "Send a test message", "发送测试消息"),
    // Topics and consumer groups.
    ("topic.queues", "Queues", "队列数"),
    ("group.id", "Group ID", "Group ID"),
    ("group.title", "Consumer group", "消费者分组"),
    ("group.order", "Delivery order", "投递顺序"),
    ("group.retry", "Retry policy", "重试策略"),
    (
        "group.clients",
        "Subscriptions and online clients",
        "订阅关系与在线客户端",
    ),
    (
        "group.clients_note",
        "As the group's clients report them. A subscription is online while one of its clients was heard from in the last minute; the list fills again as clients reconnect after a restart.",
        "根据该分组的客户端上报。一分钟内有客户端心跳的订阅为在线；服务重启后，客户端重连时列表会重新生成。",
    ),
    ("sub.status", "Status", "状态"),
    ("sub.filter", "Filter", "过滤表达式"),
    ("sub.consistent", "Consistent", "订阅一致"),
    ("sub.clients", "Clients", "客户端"),
    ("sub.online", "Online", "在线"),
    ("yes", "Yes", "是"),
    ("no", "No", "否"),
    ("sub.offline", "Offline", "离线"),
    (
        "sub.none",
        "No client of this group has subscribed since the server started.",
        "服务启动以来，该分组还没有客户端订阅。",
    ),
    ("lag.title", "Consumer lag", "消息堆积"),
    (
        "lag.note",
        "Per topic of the instance. A group that has never received from a topic counts everything retained as ready. Unknown figures say unavailable, never zero.",
        "按实例的每个 Topic 统计。从未消费过某 Topic 的分组会把所有保留的消息计为就绪。无法获得的数值显示为不可用，而不是 0。",
    ),
    ("lag.ready", "Ready", "就绪消息数"),
    ("lag.inflight", "In flight", "处理中消息数"),
    ("lag.time", "Lag time", "堆积时间"),
    ("lag.none", "Nothing to show.", "暂无数据。"),
    ("reset.title", "Reset consumer offset", "重置消费位点"),
    ("reset.latest", "To the latest message", "重置到最新位点"),
    ("reset.time", "To a time", "重置到指定时间"),
    ("reset.go", "Reset offset", "重置位点"),
    (
        "reset.confirm",
        "Reset this group's offset? Messages before the new position are skipped, later ones are delivered again.",
        "确定重置该分组的消费位点？新位点之前的消息将被跳过，之后的消息会重新投递。",
    ),
    ("dlq.title", "Dead letters", "死信消息"),
    ("dlq.attempts", "Attempts", "投递次数"),
    ("dlq.reason", "Reason", "原因"),
    ("dlq.at", "Dead-lettered at", "进入死信时间"),
    ("dlq.resend", "Re-send", "重新投递"),
    ("dlq.resent", "Re-sent", "已重新投递"),
    ("dlq.none", "No dead letters.", "没有死信消息。"),
    // Policies.
    ("pol.custom", "Custom policy", "自定义策略"),
    ("pol.system", "System policy", "系统策略"),
    ("pol.high_risk", "High risk", "高风险"),
    ("pol.note", "Note", "备注"),
    ("pol.default_version", "Default version", "默认版本"),
    ("pol.default", "Default", "默认"),
    ("pol.versions", "Versions", "版本管理"),
    ("pol.version", "Version", "版本"),
    ("pol.document", "Policy document", "策略内容"),
    ("pol.set_default", "Set as default", "设为默认版本"),
    ("pol.new_version", "Create a new version", "创建新版本"),
    (
        "pol.rotate",
        "At the limit of 5 versions, delete the oldest one that is not the default",
        "达到 5 个版本上限时，删除最早的非默认版本",
    ),
    ("pol.principal", "Principal", "授权主体"),
    ("pol.attached", "Attached", "授权时间"),
    // Resource groups.
    ("rg.identifier", "Identifier", "标识"),
    ("rg.create", "Create resource group", "创建资源组"),
    ("rg.default", "default", "默认"),
    (
        "rg.move",
        "Move an instance to another resource group",
        "将实例转移到其他资源组",
    ),
    ("rg.instance", "Instance", "实例"),
    ("rg.target", "Target resource group", "目标资源组"),
    (
        "rg.delete_confirm",
        "Delete this resource group? It is refused while it holds instances or scoped grants.",
        "确定删除该资源组？资源组中仍有实例或授权时将被拒绝删除。",
    ),
    // User groups.
    ("ug.title", "User group", "用户组"),
    ("ug.name", "Group name", "用户组名称"),
    ("ug.create", "Create user group", "创建用户组"),
    ("ug.none", "No user groups yet.", "还没有用户组。"),
    ("ug.members", "Members", "组成员"),
    ("ug.joined", "Joined", "加入时间"),
    ("ug.remove", "Remove", "移除"),
    ("ug.add", "Add members", "添加组成员"),
    ("ug.no_members", "No members.", "没有组成员。"),
    ("ug.permissions", "Permissions", "权限"),
    ("ug.type", "Type", "类型"),
    ("ug.scope", "Scope", "授权范围"),
    ("ug.no_grants", "No grants.", "没有授权。"),
    ("ug.delete", "Delete user group", "删除用户组"),
    (
        "ug.delete_confirm",
        "Delete this user group? A group that still has members or grants is refused.",
        "确定删除该用户组？仍有成员或授权的用户组将被拒绝删除。",
    ),
    // Audit log.
    (
        "audit.note",
        "Every decision and change in this account, newest first: who, what, when, through which front end, and whether it was allowed.",
        "本账号的每一次鉴权与变更，按时间倒序：谁、做了什么、何时、通过哪个入口，以及是否被允许。",
    ),
    ("audit.who", "Who", "操作者"),
    ("audit.action", "Action", "操作"),
    ("audit.resource", "Resource", "资源"),
    ("audit.outcome", "Outcome", "结果"),
    ("audit.when", "When", "时间"),
    ("audit.via", "Via", "来源"),
    ("audit.any", "Any", "全部"),
    ("audit.allowed", "Allowed", "允许"),
    ("audit.denied", "Denied", "拒绝"),
    ("audit.none", "No records match.", "没有匹配的记录。"),
    // Pages converted from English-only text.
    ("activate.short", "Activate", "开通"),
    (
        "activate.body",
        "Your account has not activated the message queue service yet. Instances, topics and consumer groups are unavailable until it is activated.",
        "您的账号尚未开通消息队列服务。开通之前，实例、Topic 和消费者分组均不可用。",
    ),
    ("inst.create", "Create instance", "创建实例"),
    ("inst.name", "Instance name", "实例名称"),
    ("inst.rg", "Resource group", "资源组"),
    ("inst.default_rg", "Default resource group", "默认资源组"),
    ("inst.id_name", "Instance ID / name", "实例 ID / 名称"),
    ("inst.none", "No instances yet.", "还没有实例。"),
    ("inst.topics", "Topics", "Topic 管理"),
    ("inst.topic_name", "Topic name", "Topic 名称"),
    ("type.normal", "Normal", "普通消息"),
    ("type.fifo", "FIFO", "顺序消息"),
    ("type.delay", "Delay", "定时/延时消息"),
    ("type.tx", "Transaction", "事务消息"),
    ("inst.create_topic", "Create topic", "创建 Topic"),
    ("inst.groups", "Consumer groups", "消费者分组管理"),
    ("inst.max_retries", "Max retries", "最大重试次数"),
    ("inst.create_group", "Create group", "创建 Group"),
    ("send", "Send", "发送"),
    ("user.create", "Create user", "创建用户"),
    (
        "user.search_hint",
        "Login name or display name",
        "登录名称或显示名称",
    ),
    (
        "user.grant_selected",
        "Grant Permission (selected)",
        "批量授权",
    ),
    ("user.count_of", "Shown:", "显示："),
    ("user.login", "Login name", "登录名称"),
    ("actions", "Actions", "操作"),
    ("user.add_perm", "Add permissions", "添加权限"),
    ("user.none", "No users.", "没有用户。"),
    ("user.no_match", "No users match", "没有匹配的用户："),
    ("user.logon", "Logon name", "登录名称"),
    ("user.email", "Email", "邮箱"),
    ("user.access", "Access mode", "访问方式"),
    ("user.password", "Console password", "控制台登录密码"),
    (
        "user.password_hint",
        "Leave empty for a user without console access.",
        "留空则该用户不能登录控制台。",
    ),
    (
        "user.ak",
        "Create an AccessKey for API access",
        "创建 AccessKey 用于 API 访问",
    ),
    ("ok", "OK", "确定"),
    (
        "grants.confirm",
        "Revoke the selected grants?",
        "确定解除所选授权？",
    ),
    ("grants.policy", "Policy", "权限策略"),
    ("grants.type", "Policy type", "策略类型"),
    ("grants.scope", "Resource scope", "资源范围"),
    ("grants.revoke", "Revoke selected", "批量解除授权"),
    ("pol.create", "Create policy", "创建权限策略"),
    ("pol.name", "Policy name", "策略名称"),
    ("pol.refs", "References", "引用次数"),
    ("gp.scope", "Resource Scope", "资源范围"),
    ("gp.account", "Account", "账号级别"),
    ("gp.rg", "ResourceGroup", "资源组级别"),
    (
        "gp.multi",
        "Several principals at once: hold Ctrl (⌘) to select more.",
        "可同时选择多个授权主体：按住 Ctrl（⌘）多选。",
    ),
    ("gp.system", "System Policy", "系统策略"),
    ("gp.custom", "Custom Policy", "自定义策略"),
    ("gp.search", "Search policies", "搜索策略"),
    ("cancel", "Cancel", "取消"),
    // Connecting clients.
    ("inst.connect", "Connect a client", "客户端接入"),
    ("inst.endpoint", "Endpoint", "接入点"),
    (
        "inst.endpoint_text",
        "The RocketMQ gRPC endpoint of this server; the SDKs take the instance id as their namespace and a RAM user's AccessKey as credentials.",
        "本服务器的 RocketMQ gRPC 接入点；SDK 以实例 ID 作为 namespace，以 RAM 用户的 AccessKey 作为凭证。",
    ),
    ("inst.namespace", "Namespace", "命名空间"),
    ("inst.credentials", "Credentials", "身份凭证"),
    (
        "inst.credentials_text",
        "The AccessKey of a RAM user granted to publish or subscribe (for example AliyunMQPubOnlyAccess).",
        "已授予收发消息权限（例如 AliyunMQPubOnlyAccess）的 RAM 用户的 AccessKey。",
    ),
    (
        "inst.retry_interval",
        "Fixed retry interval (s)",
        "固定重试间隔（秒）",
    ),
    (
        "inst.retry_interval_hint",
        "Empty: growing intervals (the RocketMQ backoff table)",
        "留空：阶梯间隔（RocketMQ 退避表）",
    ),
    // Users.
    (
        "ak.once",
        "The AccessKey secret is shown only once. Copy it now.",
        "AccessKey Secret 仅显示一次，请立即复制保存。",
    ),
    ("user.console", "Console logon", "控制台登录"),
    (
        "user.console_on",
        "Console access is enabled.",
        "已开启控制台访问。",
    ),
    (
        "user.console_off",
        "No console password yet.",
        "尚未设置控制台登录密码。",
    ),
    (
        "user.new_password",
        "New console password",
        "新的控制台登录密码",
    ),
    (
        "user.reset_required",
        "Require a change at next logon",
        "下次登录时必须修改密码",
    ),
    ("user.reset_password", "Reset password", "重置密码"),
    (
        "user.enable_console",
        "Enable console logon",
        "开启控制台登录",
    ),
    ("status", "Status", "状态"),
    ("none", "None", "无"),
    ("ak.create", "Create AccessKey", "创建 AccessKey"),
    ("user.no_grants", "No direct grants", "没有直接授权"),
    ("user.created_title", "User created", "用户已创建"),
    (
        "user.created_pw",
        "The user was created with a console password.",
        "用户已创建，并设置了控制台登录密码。",
    ),
    (
        "user.created_plain",
        "The user was created.",
        "用户已创建。",
    ),
    ("user.view", "View user", "查看用户"),
    ("user.back", "Back to users", "返回用户列表"),
    // Text built by the handlers, with {0}, {1}, … filled in by `fill`.
    ("st.not_delivered", "Not delivered yet", "尚未投递"),
    (
        "st.in_flight",
        "Delivered (attempt {0}), awaiting its ack; invisible until {1}",
        "已投递（第 {0} 次），等待确认；{1} 之前不可见",
    ),
    (
        "st.awaiting",
        "Delivered (attempt {0}), not acked in time: will be delivered again",
        "已投递（第 {0} 次），未及时确认：将再次投递",
    ),
    ("st.consumed", "Consumed", "已消费"),
    (
        "st.dead",
        "Moved to the dead-letter queue",
        "已进入死信队列",
    ),
    (
        "st.finished",
        "Finished (consumed or dead-lettered: the dead-letter queue is too long to tell)",
        "已完成（已消费或已进入死信：死信队列过长，无法区分）",
    ),
    (
        "q.id_none",
        "No message with id {0} in this topic.",
        "该 Topic 中没有 ID 为 {0} 的消息。",
    ),
    ("q.id_found", "1 message found.", "找到 1 条消息。"),
    (
        "q.key_truncated",
        "Showing the newest {0} messages with key {1}, newest first. More exist: at most {2} are shown, so narrow the query (by time range) to see older ones.",
        "显示 Key 为 {1} 的最新 {0} 条消息，按时间倒序。还有更多：最多显示 {2} 条，请按时间范围缩小查询以查看更早的消息。",
    ),
    (
        "q.key_none",
        "No message with key {0} in this topic.",
        "该 Topic 中没有 Key 为 {0} 的消息。",
    ),
    (
        "q.key_found",
        "{0} message(s) with key {1}, newest first.",
        "Key 为 {1} 的消息共 {0} 条，按时间倒序。",
    ),
    (
        "q.time_more",
        "{0} message(s) stored from {1} to {2}, oldest first, {3} per page: more follow on the next page.",
        "{1} 至 {2} 存储的消息 {0} 条，按时间正序，每页 {3} 条：下一页还有更多。",
    ),
    (
        "q.time_last",
        "{0} message(s) stored from {1} to {2}, oldest first, {3} per page: this is the last page.",
        "{1} 至 {2} 存储的消息 {0} 条，按时间正序，每页 {3} 条：这是最后一页。",
    ),
    (
        "send.done",
        "message {0} sent to topic {1}",
        "消息 {0} 已发送到 Topic {1}",
    ),
    (
        "q.position",
        "queue {0} · offset {1}",
        "队列 {0} · 位点 {1}",
    ),
    ("lag.unavailable", "unavailable", "不可用"),
    ("lag.caught_up", "none (caught up)", "无（已追平）"),
    (
        "lag.unknown_time",
        "unavailable: the oldest unfinished message could not be read",
        "不可用：无法读取最早的未完成消息",
    ),
    (
        "lag.no_broker",
        "the broker is not running in this process",
        "本进程中未运行 Broker",
    ),
    (
        "retry.default",
        "growing intervals (the RocketMQ backoff table)",
        "阶梯间隔（RocketMQ 退避表）",
    ),
    ("retry.fixed", "every {0} s", "每 {0} 秒"),
    (
        "retry.text",
        "up to {0} retries, {1}; then to the dead-letter queue",
        "最多重试 {0} 次，{1}；之后进入死信队列",
    ),
    ("reset.to_latest", "the latest message", "最新位点"),
    (
        "reset.to_time",
        "the first message stored at or after {0}",
        "{0} 及之后存储的第一条消息",
    ),
    (
        "reset.done",
        "Offset of {0} on topic {1} reset to {2} ({3}).",
        "{0} 在 Topic {1} 上的消费位点已重置到{2}（{3}）。",
    ),
    ("reset.queue", "queue {0} → {1}", "队列 {0} → {1}"),
    (
        "dlq.done",
        "Dead letter {0} re-sent: {1} will receive it again from topic {2}.",
        "死信消息 {0} 已重新投递：{1} 将从 Topic {2} 再次收到它。",
    ),
    (
        "dash.sent",
        "Messages sent per second, by topic",
        "每秒发送消息数（按 Topic）",
    ),
    (
        "dash.consumed",
        "Messages consumed per second, by consumer group",
        "每秒消费消息数（按消费者分组）",
    ),
    (
        "dash.waiting",
        "Messages waiting (ready + in flight), by group / topic",
        "堆积消息数（就绪 + 处理中，按分组 / Topic）",
    ),
    (
        "dash.lag_time",
        "Lag time in seconds (gaps: unknown), by group / topic",
        "堆积时间（秒，空白处为未知，按分组 / Topic）",
    ),
    (
        "dash.collecting",
        "Collecting: points appear as samples are taken",
        "采集中：采样后显示数据点",
    ),
    // Dashboard.
    ("dash.title", "Dashboard", "监控大盘"),
    (
        "dash.note",
        "The last 15 minutes, sampled in this process (history restarts with it). Samples:",
        "最近 15 分钟，由本进程采样（进程重启后重新开始）。采样点：",
    ),
    (
        "dash.hidden",
        "Lag not shown where the service refused it:",
        "以下堆积数据因无权限而未显示：",
    ),
];

/// The text of `key` in `lang` (`zh` or anything else for English); the key itself when the
/// catalogue lacks it, so a missing entry shows up instead of an empty label.
pub fn translate<'a>(lang: &str, key: &'a str) -> &'a str {
    match CATALOGUE.iter().find(|(k, _, _)| *k == key) {
        Some((_, en, zh)) => {
            if lang == "zh" {
                zh
            } else {
                en
            }
        }
        None => key,
    }
}

/// The text of `key` in `lang` with `{0}`, `{1}`, … replaced by `args` in order.
pub fn fill(lang: &str, key: &str, args: &[&dyn std::fmt::Display]) -> String {
    let mut out = translate(lang, key).to_owned();
    for (i, a) in args.iter().enumerate() {
        out = out.replace(&format!("{{{i}}}"), &a.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn catalogue_has_both_languages_for_every_key_once() {
        let mut seen = HashSet::new();
        for (key, en, zh) in CATALOGUE {
            assert!(seen.insert(key), "{key} is in the catalogue twice");
            assert!(!en.is_empty() && !zh.is_empty(), "{key}");
            assert_eq!(translate("en", key), *en);
            assert_eq!(translate("zh", key), *zh);
        }
        assert_eq!(translate("zh", "no.such.key"), "no.such.key");
    }

    #[test]
    fn filled_text_takes_its_arguments_in_both_languages() {
        assert_eq!(
            fill("en", "q.key_found", &[&2, &"order-42"]),
            "2 message(s) with key order-42, newest first."
        );
        assert_eq!(
            fill("zh", "q.key_found", &[&2, &"order-42"]),
            "Key 为 order-42 的消息共 2 条，按时间倒序。"
        );
        for (key, en, zh) in CATALOGUE {
            let count = |s: &str| (0..10).filter(|i| s.contains(&format!("{{{i}}}"))).count();
            assert_eq!(
                count(en),
                count(zh),
                "{key} has the same placeholders in both"
            );
        }
    }

    #[test]
    fn every_key_a_template_uses_is_in_the_catalogue() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut used = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("t(\"").skip(1) {
                let key = piece.split('"').next().unwrap();
                used += 1;
                assert!(
                    CATALOGUE.iter().any(|(k, _, _)| *k == key),
                    "{} uses `{key}`, which the catalogue lacks",
                    path.display()
                );
            }
        }
        assert!(used > 50, "only {used} keys found: is the scan broken?");
    }

    #[test]
    fn every_key_the_handlers_fill_in_is_in_the_catalogue() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut used = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.ends_with("i18n.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("fill(").skip(1) {
                // `fill(lang, "key", …)`: the key is the first string literal after the comma.
                let Some((_, rest)) = piece.split_once(',') else {
                    continue;
                };
                let rest = rest.trim_start();
                let Some(rest) = rest.strip_prefix('"') else {
                    continue;
                };
                let key = rest.split('"').next().unwrap();
                used += 1;
                assert!(
                    CATALOGUE.iter().any(|(k, _, _)| *k == key),
                    "{} fills `{key}`, which the catalogue lacks",
                    path.display()
                );
            }
        }
        assert!(used > 20, "only {used} keys found: is the scan broken?");
    }
}
