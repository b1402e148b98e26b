//! The built-in, read-only system policies, with the contents and version ids Alibaba publishes
//! for them (AdministratorAccess, the RAM pair, the four MQ policies).
//!
//! They are built from typed parts rather than parsed from text so that building them cannot fail
//! at run time; a test checks that their printed form parses back to the same documents.
//!
//! Petrel's gRPC front end checks `mq:PUB` on the topic and `mq:SUB` on the topic and the group
//! (ARN `acs:mq:{region}:{account}:{instance}%{name}`), which is exactly what the published
//! Pub/Sub-only policies grant, so no Petrel-specific action is added to them.

use std::sync::{Arc, OnceLock};

use crate::condition::Condition;
use crate::eval::{Attachment, PolicyType, Scope, Via};
use crate::glob::{Case, Glob};
use crate::policy::{Effect, PolicyDocument, ResourcePattern, Statement};
use crate::risk::{Risk, classify};

/// A built-in policy.
#[derive(Debug)]
pub struct SystemPolicy {
    name: &'static str,
    version_id: &'static str,
    description: &'static str,
    document: Arc<PolicyDocument>,
}

impl SystemPolicy {
    /// The policy name, e.g. `AliyunMQPubOnlyAccess`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The current (default, only) version id, e.g. `v4`.
    pub fn version_id(&self) -> &'static str {
        self.version_id
    }

    /// One line saying what the policy grants.
    pub fn description(&self) -> &'static str {
        self.description
    }

    /// The document.
    pub fn document(&self) -> &Arc<PolicyDocument> {
        &self.document
    }

    /// Whether attaching it needs a high-risk confirmation.
    pub fn risk(&self) -> Risk {
        classify(&self.document)
    }

    /// An attachment of this policy, ready for [`crate::evaluate`].
    pub fn attachment(&self, scope: Scope, via: Via) -> Attachment {
        Attachment {
            policy_name: self.name.to_owned(),
            policy_type: PolicyType::System,
            version_id: self.version_id.to_owned(),
            document: Arc::clone(&self.document),
            scope,
            via,
        }
    }
}

/// Every system policy, in a stable order.
pub fn system_policies() -> &'static [SystemPolicy] {
    static POLICIES: OnceLock<Vec<SystemPolicy>> = OnceLock::new();
    POLICIES.get_or_init(build)
}

/// The system policy named `name` (exact, case-sensitive), if any.
pub fn system_policy(name: &str) -> Option<&'static SystemPolicy> {
    system_policies().iter().find(|p| p.name == name)
}

fn allow_on_all(actions: &[&str], conditions: Vec<Condition>) -> Statement {
    Statement::from_parts(
        None,
        Effect::Allow,
        false,
        actions
            .iter()
            .map(|a| Glob::new(a, Case::Insensitive))
            .collect(),
        vec![ResourcePattern::any()],
        conditions,
    )
}

fn policy(
    name: &'static str,
    version_id: &'static str,
    description: &'static str,
    statements: Vec<Statement>,
) -> SystemPolicy {
    SystemPolicy {
        name,
        version_id,
        description,
        document: Arc::new(PolicyDocument::from_statements(statements)),
    }
}

/// MQ policies also let the holder create the service-linked role the console needs.
fn service_linked_role(services: &[&str]) -> Statement {
    allow_on_all(
        &["ram:CreateServiceLinkedRole"],
        vec![Condition::string_equals("ram:ServiceName", services)],
    )
}

fn build() -> Vec<SystemPolicy> {
    vec![
        policy(
            "AdministratorAccess",
            "v1",
            "Full access to every resource of the account, including RAM.",
            vec![allow_on_all(&["*"], Vec::new())],
        ),
        policy(
            "AliyunRAMFullAccess",
            "v1",
            "Full access to RAM: users, groups, AccessKeys, policies and grants.",
            vec![allow_on_all(&["ram:*"], Vec::new())],
        ),
        policy(
            "AliyunRAMReadOnlyAccess",
            "v1",
            "Read-only access to RAM: view users, groups, policies and grants.",
            vec![allow_on_all(
                &[
                    "ram:Get*",
                    "ram:List*",
                    "ram:GenerateCredentialReport",
                    "accessanalyzer:Get*",
                    "accessanalyzer:List*",
                ],
                Vec::new(),
            )],
        ),
        policy(
            "AliyunMQFullAccess",
            "v5",
            "Full access to ApsaraMQ for RocketMQ: every console and API action, sending and subscribing.",
            vec![
                allow_on_all(&["mq:*", "rocketmq:*", "mq-as:*"], Vec::new()),
                service_linked_role(&["ons.aliyuncs.com", "migration.rmq.aliyuncs.com"]),
            ],
        ),
        policy(
            "AliyunMQReadOnlyAccess",
            "v6",
            "Read-only access to ApsaraMQ for RocketMQ: view instances, topics, groups and messages.",
            vec![allow_on_all(
                &[
                    "mq:OnsInstanceBaseInfo",
                    "mq:List*",
                    "mq:Query*",
                    "mq:Get*",
                    "mq:Download*",
                    "mq:Dashboard*",
                    "rocketmq:List*",
                    "rocketmq:SubmitQuery*",
                    "rocketmq:Get*",
                    "rocketmq:Download*",
                    "mq-as:List*",
                    "mq-as:Get*",
                ],
                Vec::new(),
            )],
        ),
        policy(
            "AliyunMQPubOnlyAccess",
            "v4",
            "Send-only access: send messages to every topic of the account through the SDKs.",
            vec![
                allow_on_all(&["mq:PUB", "mq:OnsInstanceBaseInfo"], Vec::new()),
                service_linked_role(&["ons.aliyuncs.com"]),
            ],
        ),
        policy(
            "AliyunMQSubOnlyAccess",
            "v4",
            "Subscribe-only access: consume messages of every topic and group of the account through the SDKs.",
            vec![
                allow_on_all(&["mq:SUB", "mq:OnsInstanceBaseInfo"], Vec::new()),
                service_linked_role(&["ons.aliyuncs.com"]),
            ],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_policies_print_and_reparse_to_themselves() {
        assert_eq!(system_policies().len(), 7);
        for p in system_policies() {
            let text = p.document().to_json_pretty();
            let again = PolicyDocument::parse(&text).unwrap();
            assert_eq!(&again, &**p.document(), "{}", p.name());
        }
    }

    #[test]
    fn versions_are_the_published_ones() {
        let v = |n| system_policy(n).unwrap().version_id();
        assert_eq!(v("AliyunMQFullAccess"), "v5");
        assert_eq!(v("AliyunMQReadOnlyAccess"), "v6");
        assert_eq!(v("AliyunMQPubOnlyAccess"), "v4");
        assert_eq!(v("AliyunMQSubOnlyAccess"), "v4");
        assert_eq!(v("AdministratorAccess"), "v1");
        assert!(system_policy("administratoraccess").is_none());
    }
}
