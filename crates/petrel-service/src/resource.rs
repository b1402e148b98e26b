//! What an operation acts on, and how that becomes the ARN and resource group the authorizer
//! evaluates. Front ends name resources; only this module spells their ARNs.

use petrel_meta::{MetaError, ReadTx};
use petrel_model::Arn;

/// A resource inside the caller's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// The account as a whole (activation, account-wide listings).
    Account,
    /// A RAM user.
    User(String),
    /// A RAM group.
    Group(String),
    /// A custom policy (system policies are read-only and live under account `system`).
    Policy(String),
    /// A system policy.
    SystemPolicy(String),
    /// A resource group, by id.
    ResourceGroup(String),
    /// Every instance (`instance/*`): creation and un-targeted listing.
    AllInstances,
    /// An instance about to be created in a resource group (the account's default group when
    /// `None`): creation is authorized against the group it will land in.
    NewInstance {
        /// The target group.
        resource_group: Option<String>,
    },
    /// A RocketMQ instance (management plane).
    Instance(String),
    /// A topic (management plane).
    Topic {
        /// Instance id.
        instance: String,
        /// Topic name.
        topic: String,
    },
    /// A consumer group (management plane).
    ConsumerGroup {
        /// Instance id.
        instance: String,
        /// Group id.
        group: String,
    },
    /// A topic as the data plane names it (`mq:PUB` / `mq:SUB`).
    MqTopic {
        /// Instance id.
        instance: String,
        /// Topic name.
        topic: String,
    },
    /// A consumer group as the data plane names it (`mq:SUB`).
    MqGroup {
        /// Instance id.
        instance: String,
        /// Group id.
        group: String,
    },
}

/// The resource as the evaluator sees it.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Its ARN.
    pub arn: Arn,
    /// Its resource group, for resource-group-scoped grants; `None` for resources outside
    /// groups (RAM entities, the account).
    pub resource_group: Option<String>,
}

impl Resource {
    /// The ARN and resource group of this resource in `account` under `region`.
    ///
    /// Topics and consumer groups belong to their instance's group. An instance that does not
    /// exist has no group: only account-scoped grants can then apply, which is what creation of
    /// a resource with an unknown parent should get.
    pub fn resolve(
        &self,
        tx: &ReadTx<'_>,
        region: &str,
        account: &str,
    ) -> Result<Resolved, MetaError> {
        let group_of = |instance: &str| -> Result<Option<String>, MetaError> {
            match tx.resource_group_of_instance(account, instance) {
                Ok(rg) => Ok(Some(rg)),
                Err(MetaError::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        };
        let (arn, resource_group) = match self {
            Resource::Account => (Arn::ram_account(account), None),
            Resource::User(name) => (Arn::ram_user(account, name), None),
            Resource::Group(name) => (Arn::ram_group(account, name), None),
            Resource::Policy(name) => (Arn::ram_policy(account, name), None),
            Resource::SystemPolicy(name) => (Arn::ram_policy("system", name), None),
            // A group is not inside itself: managing it needs an account-scoped grant.
            Resource::ResourceGroup(id) => (Arn::ram_resource_group(account, id), None),
            Resource::AllInstances => (Arn::rocketmq_instance(region, account, "*"), None),
            Resource::NewInstance { resource_group } => {
                let rg = match resource_group {
                    Some(rg) => rg.clone(),
                    None => tx.default_resource_group(account)?.id,
                };
                (Arn::rocketmq_instance(region, account, "*"), Some(rg))
            }
            Resource::Instance(id) => (Arn::rocketmq_instance(region, account, id), group_of(id)?),
            Resource::Topic { instance, topic } => (
                Arn::rocketmq_topic(region, account, instance, topic),
                group_of(instance)?,
            ),
            Resource::ConsumerGroup { instance, group } => (
                Arn::rocketmq_group(region, account, instance, group),
                group_of(instance)?,
            ),
            Resource::MqTopic { instance, topic } => (
                Arn::mq_topic(region, account, instance, topic),
                group_of(instance)?,
            ),
            Resource::MqGroup { instance, group } => (
                Arn::mq_group(region, account, instance, group),
                group_of(instance)?,
            ),
        };
        Ok(Resolved {
            arn,
            resource_group,
        })
    }
}
