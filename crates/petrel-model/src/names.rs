//! Name and id rules of every catalogue entity, in one place so that the management API, the
//! console and the CLI refuse the same inputs with the same message.

use std::fmt;

/// Which kind of name failed validation; decides the Alibaba error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// RAM user name: 1–64 of `[A-Za-z0-9._-]`.
    UserName,
    /// RAM group name: 1–64 of letters, digits and hyphens.
    GroupName,
    /// Custom policy name: 1–128 of letters, digits and hyphens.
    PolicyName,
    /// Resource group name: 3–50 of letters, digits and hyphens, starting with a letter.
    ResourceGroupName,
    /// Display name: 1–128 of any printable characters.
    DisplayName,
    /// Account alias: 3–32 of lowercase letters, digits and hyphens, starting with a letter.
    AccountAlias,
    /// RocketMQ instance id: 3–64 of letters, digits, `-` and `_`.
    InstanceId,
    /// Topic name: 1–64 of letters, digits, `%`, `-` and `_`.
    TopicName,
    /// Consumer group id: 1–64 of letters, digits, `%`, `-` and `_`.
    ConsumerGroupId,
    /// A message type name.
    MessageType,
}

impl NameKind {
    /// The parameter name used in Alibaba error codes (`InvalidParameter.<Param>.…`).
    pub fn param(self) -> &'static str {
        match self {
            NameKind::UserName => "UserName",
            NameKind::GroupName => "GroupName",
            NameKind::PolicyName => "PolicyName",
            NameKind::ResourceGroupName => "Name",
            NameKind::DisplayName => "DisplayName",
            NameKind::AccountAlias => "AccountAlias",
            NameKind::InstanceId => "InstanceId",
            NameKind::TopicName => "TopicName",
            NameKind::ConsumerGroupId => "ConsumerGroupId",
            NameKind::MessageType => "MessageType",
        }
    }

    fn bounds(self) -> (usize, usize) {
        match self {
            NameKind::UserName | NameKind::GroupName | NameKind::InstanceId => (1, 64),
            NameKind::PolicyName | NameKind::DisplayName => (1, 128),
            NameKind::ResourceGroupName => (3, 50),
            NameKind::AccountAlias => (3, 32),
            NameKind::TopicName | NameKind::ConsumerGroupId => (1, 64),
            NameKind::MessageType => (1, 16),
        }
    }

    fn allowed(self, c: char) -> bool {
        match self {
            NameKind::UserName => c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'),
            NameKind::GroupName | NameKind::PolicyName | NameKind::ResourceGroupName => {
                c.is_ascii_alphanumeric() || c == '-'
            }
            NameKind::AccountAlias => c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-',
            NameKind::InstanceId => c.is_ascii_alphanumeric() || matches!(c, '-' | '_'),
            NameKind::TopicName | NameKind::ConsumerGroupId => {
                c.is_ascii_alphanumeric() || matches!(c, '%' | '-' | '_')
            }
            NameKind::DisplayName => !c.is_control(),
            NameKind::MessageType => c.is_ascii_alphabetic(),
        }
    }
}

/// A name that breaks its rule. The message names the input and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind_label} `{value}`: {rule}")]
pub struct NameError {
    kind: NameKind,
    kind_label: &'static str,
    value: String,
    rule: String,
    problem: NameProblem,
}

/// What was wrong with a name; decides the suffix of the Alibaba error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    /// Too short or too long.
    Length,
    /// A character outside the allowed set.
    InvalidChars,
    /// Right characters in the wrong arrangement.
    Format,
}

impl NameError {
    /// A name error for `value` of `kind`, explained by `rule`.
    pub fn new(kind: NameKind, value: &str, rule: impl Into<String>) -> Self {
        Self::with_problem(kind, value, rule, NameProblem::Format)
    }

    fn with_problem(
        kind: NameKind,
        value: &str,
        rule: impl Into<String>,
        problem: NameProblem,
    ) -> Self {
        NameError {
            kind,
            kind_label: label(kind),
            value: value.chars().take(200).collect(),
            rule: rule.into(),
            problem,
        }
    }

    /// The kind of name.
    pub fn kind(&self) -> NameKind {
        self.kind
    }

    /// The Alibaba error code, e.g. `InvalidParameter.UserName.Length`.
    pub fn alibaba_code(&self) -> String {
        let suffix = match self.problem {
            NameProblem::Length => "Length",
            NameProblem::InvalidChars => "InvalidChars",
            NameProblem::Format => "Format",
        };
        format!("InvalidParameter.{}.{}", self.kind.param(), suffix)
    }
}

fn label(kind: NameKind) -> &'static str {
    match kind {
        NameKind::UserName => "user name",
        NameKind::GroupName => "group name",
        NameKind::PolicyName => "policy name",
        NameKind::ResourceGroupName => "resource group name",
        NameKind::DisplayName => "display name",
        NameKind::AccountAlias => "account alias",
        NameKind::InstanceId => "instance id",
        NameKind::TopicName => "topic name",
        NameKind::ConsumerGroupId => "consumer group id",
        NameKind::MessageType => "message type",
    }
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(label(*self))
    }
}

/// Checks `value` against the rule for `kind`.
pub fn validate_name(kind: NameKind, value: &str) -> Result<(), NameError> {
    let (min, max) = kind.bounds();
    let len = value.chars().count();
    if len < min || len > max {
        return Err(NameError::with_problem(
            kind,
            value,
            format!("must be {min} to {max} characters long, got {len}"),
            NameProblem::Length,
        ));
    }
    if let Some(bad) = value.chars().find(|c| !kind.allowed(*c)) {
        return Err(NameError::with_problem(
            kind,
            value,
            format!("character `{bad}` is not allowed"),
            NameProblem::InvalidChars,
        ));
    }
    let starts_with_letter = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic());
    if matches!(kind, NameKind::ResourceGroupName | NameKind::AccountAlias) && !starts_with_letter {
        return Err(NameError::with_problem(
            kind,
            value,
            "must start with a letter",
            NameProblem::Format,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_follow_ram_rules() {
        assert!(validate_name(NameKind::UserName, "alice.ops_1-x").is_ok());
        let too_long = "a".repeat(65);
        let err = validate_name(NameKind::UserName, &too_long).unwrap_err();
        assert_eq!(err.alibaba_code(), "InvalidParameter.UserName.Length");
        let err = validate_name(NameKind::UserName, "al ice").unwrap_err();
        assert_eq!(err.alibaba_code(), "InvalidParameter.UserName.InvalidChars");
        assert!(err.to_string().contains("`al ice`"));
    }

    #[test]
    fn resource_group_names_must_start_with_a_letter() {
        assert!(validate_name(NameKind::ResourceGroupName, "prod-1").is_ok());
        let err = validate_name(NameKind::ResourceGroupName, "1prod").unwrap_err();
        assert_eq!(err.alibaba_code(), "InvalidParameter.Name.Format");
    }

    #[test]
    fn empty_policy_name_is_refused() {
        assert!(validate_name(NameKind::PolicyName, "").is_err());
        assert!(validate_name(NameKind::PolicyName, "topic_admin").is_err());
        assert!(validate_name(NameKind::PolicyName, "topic-admin").is_ok());
    }
}
