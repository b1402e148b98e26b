//! Alibaba Cloud Resource Names: `acs:<service>:<region>:<account>:<relative-id>`.
//!
//! Builders for every resource Petrel authorizes on, so that front ends never format ARNs by hand
//! and the evaluator always sees the same spelling.

use std::fmt;

/// A parsed ARN. Fields are kept as written; `*` is allowed in patterns, not in request ARNs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Arn {
    service: String,
    region: String,
    account: String,
    relative: String,
}

/// An ARN that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid arn `{value}`: {reason}")]
pub struct ArnError {
    value: String,
    reason: &'static str,
}

impl Arn {
    /// An ARN from its parts.
    pub fn new(service: &str, region: &str, account: &str, relative: &str) -> Self {
        Arn {
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            relative: relative.to_owned(),
        }
    }

    /// Parses `acs:<service>:<region>:<account>:<relative>`; the relative id may contain `:`.
    pub fn parse(value: &str) -> Result<Self, ArnError> {
        let err = |reason| ArnError {
            value: value.chars().take(200).collect(),
            reason,
        };
        let mut parts = value.splitn(5, ':');
        if parts.next() != Some("acs") {
            return Err(err("must start with `acs:`"));
        }
        let service = parts.next().ok_or_else(|| err("missing service"))?;
        let region = parts.next().ok_or_else(|| err("missing region"))?;
        let account = parts.next().ok_or_else(|| err("missing account"))?;
        let relative = parts.next().ok_or_else(|| err("missing resource"))?;
        if service.is_empty() {
            return Err(err("service is empty"));
        }
        Ok(Arn::new(service, region, account, relative))
    }

    /// The service code (`mq`, `rocketmq`, `ram`).
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The region (`*` in patterns).
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The owning account id.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The resource path after the account.
    pub fn relative(&self) -> &str {
        &self.relative
    }

    /// Data plane topic: `acs:mq:{region}:{account}:{instance}%{topic}`.
    pub fn mq_topic(region: &str, account: &str, instance: &str, topic: &str) -> Self {
        Arn::new("mq", region, account, &format!("{instance}%{topic}"))
    }

    /// Data plane consumer group: `acs:mq:{region}:{account}:{instance}%{group}`.
    pub fn mq_group(region: &str, account: &str, instance: &str, group: &str) -> Self {
        Arn::new("mq", region, account, &format!("{instance}%{group}"))
    }

    /// Management: `acs:rocketmq:{region}:{account}:instance/{id}`.
    pub fn rocketmq_instance(region: &str, account: &str, instance: &str) -> Self {
        Arn::new("rocketmq", region, account, &format!("instance/{instance}"))
    }

    /// Management: `acs:rocketmq:{region}:{account}:instance/{id}/topic/{topic}`.
    pub fn rocketmq_topic(region: &str, account: &str, instance: &str, topic: &str) -> Self {
        Arn::new(
            "rocketmq",
            region,
            account,
            &format!("instance/{instance}/topic/{topic}"),
        )
    }

    /// Management: `acs:rocketmq:{region}:{account}:instance/{id}/consumergroup/{group}`.
    pub fn rocketmq_group(region: &str, account: &str, instance: &str, group: &str) -> Self {
        Arn::new(
            "rocketmq",
            region,
            account,
            &format!("instance/{instance}/consumergroup/{group}"),
        )
    }

    /// RAM user: `acs:ram:*:{account}:user/{name}`.
    pub fn ram_user(account: &str, user: &str) -> Self {
        Arn::new("ram", "*", account, &format!("user/{user}"))
    }

    /// RAM group: `acs:ram:*:{account}:group/{name}`.
    pub fn ram_group(account: &str, group: &str) -> Self {
        Arn::new("ram", "*", account, &format!("group/{group}"))
    }

    /// Custom policy `acs:ram:*:{account}:policy/{name}`; system policies use account `system`.
    pub fn ram_policy(account: &str, policy: &str) -> Self {
        Arn::new("ram", "*", account, &format!("policy/{policy}"))
    }

    /// Resource group: `acs:ram:*:{account}:resourcegroup/{id}`.
    pub fn ram_resource_group(account: &str, rg: &str) -> Self {
        Arn::new("ram", "*", account, &format!("resourcegroup/{rg}"))
    }

    /// The account itself (activation, account-wide settings): `acs:ram:*:{account}:*`.
    pub fn ram_account(account: &str) -> Self {
        Arn::new("ram", "*", account, "*")
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "acs:{}:{}:{}:{}",
            self.service, self.region, self.account, self.relative
        )
    }
}

impl std::str::FromStr for Arn {
    type Err = ArnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Arn::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_spell_arns_as_alibaba_documents_them() {
        assert_eq!(
            Arn::rocketmq_group("cn-hangzhou", "123", "rmq-1", "GID_a").to_string(),
            "acs:rocketmq:cn-hangzhou:123:instance/rmq-1/consumergroup/GID_a"
        );
        assert_eq!(
            Arn::mq_topic("cn-hangzhou", "123", "rmq-1", "orders").to_string(),
            "acs:mq:cn-hangzhou:123:rmq-1%orders"
        );
    }

    #[test]
    fn parse_round_trips_and_keeps_colons_in_the_resource() {
        let arn = Arn::parse("acs:oss:*:123:bucket/a:b").unwrap();
        assert_eq!(arn.relative(), "bucket/a:b");
        assert_eq!(arn.to_string(), "acs:oss:*:123:bucket/a:b");
        assert!(Arn::parse("arn:aws:s3:::x").is_err());
        assert!(Arn::parse("acs:mq").is_err());
    }
}
