//! Random identifiers (account, user and group ids, AccessKey ids and secrets, resource group and
//! instance ids) and the checks of free-text fields that `petrel-model` has no rule for.

use rand::Rng;
use rand::distr::{Alphanumeric, SampleString};

use crate::error::{MetaError, Quoted};

const BASE36_LOWER: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// `len` random decimal digits, the first one non-zero.
fn numeric(len: usize) -> String {
    let mut rng = rand::rng();
    let mut s = String::with_capacity(len);
    s.push(char::from(b'1' + rng.random_range(0..9u8)));
    for _ in 1..len {
        s.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    s
}

fn base36(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| {
            let i = rng.random_range(0..BASE36_LOWER.len());
            BASE36_LOWER.get(i).map_or('0', |b| char::from(*b))
        })
        .collect()
}

/// A 16-digit account id.
pub(crate) fn account_id() -> String {
    numeric(16)
}

/// A 16-digit RAM user id.
pub(crate) fn user_id() -> String {
    numeric(16)
}

/// A RAM group id: `g-` + 16 base62 characters.
pub(crate) fn group_id() -> String {
    format!("g-{}", Alphanumeric.sample_string(&mut rand::rng(), 16))
}

/// An AccessKey id: `LTAI` + 20 base62 characters.
pub(crate) fn access_key_id() -> String {
    format!("LTAI{}", Alphanumeric.sample_string(&mut rand::rng(), 20))
}

/// An AccessKey secret: 30 base62 characters (~178 bits).
pub(crate) fn access_key_secret() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 30)
}

/// A resource group id: `rg-` + 13 lowercase base36 characters.
pub(crate) fn resource_group_id() -> String {
    format!("rg-{}", base36(13))
}

/// An instance id: `rmq-cn-` + 11 lowercase base36 characters.
pub(crate) fn instance_id() -> String {
    format!("rmq-cn-{}", base36(11))
}

/// Checks that `account` looks like an account id (16 digits) so that it can be a key prefix.
pub(crate) fn check_account_id(account: &str) -> Result<(), MetaError> {
    if account.len() == 16 && account.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(MetaError::AccountNotFound {
            account: account.chars().take(64).collect(),
        })
    }
}

/// Checks a resource group id's shape (`rg-` + lowercase base36) before it is used in a key.
pub(crate) fn check_resource_group_id(id: &str, account: &str) -> Result<(), MetaError> {
    let ok = id.len() <= 64
        && id
            .strip_prefix("rg-")
            .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        Err(MetaError::not_found(
            crate::error::Entity::ResourceGroup,
            account,
            format!("resource group {}", Quoted(id)),
        ))
    }
}

/// Checks an optional free-text field: at most `max` characters, no control characters except
/// (when `multiline`) newlines and tabs. `param` is the code stem, e.g. `Comments`.
pub(crate) fn check_text(
    param: &'static str,
    label: &str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Result<(), MetaError> {
    let len = value.chars().count();
    if len > max {
        return Err(MetaError::invalid(
            format!("{param}.Length"),
            format!("{label} must be at most {max} characters long, got {len}"),
        ));
    }
    let bad = value
        .chars()
        .find(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')));
    if let Some(c) = bad {
        return Err(MetaError::invalid(
            format!("{param}.InvalidChars"),
            format!("{label} must not contain control character {c:?}"),
        ));
    }
    Ok(())
}

/// Checks a required free-text field: like [`check_text`] but also non-empty.
pub(crate) fn check_required_text(
    param: &'static str,
    label: &str,
    value: &str,
    max: usize,
) -> Result<(), MetaError> {
    if value.trim().is_empty() {
        return Err(MetaError::invalid(
            format!("{param}.Length"),
            format!("{label} must not be empty"),
        ));
    }
    check_text(param, label, value, max, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_their_documented_shapes() {
        let a = account_id();
        assert_eq!(a.len(), 16);
        assert!(check_account_id(&a).is_ok());
        let ak = access_key_id();
        assert!(ak.starts_with("LTAI") && ak.len() == 24);
        assert!(ak.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(access_key_secret().len(), 30);
        let rg = resource_group_id();
        assert_eq!(rg.len(), 16);
        assert!(
            rg[3..]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert!(instance_id().starts_with("rmq-cn-"));
        assert!(group_id().starts_with("g-"));
    }

    #[test]
    fn account_ids_must_be_sixteen_digits() {
        assert!(check_account_id("123").is_err());
        assert!(check_account_id("12345678901234/6").is_err());
    }

    #[test]
    fn text_fields_are_bounded() {
        assert!(check_text("Comments", "comments", "ok", 128, false).is_ok());
        let e = check_text("Comments", "comments", &"x".repeat(129), 128, false).unwrap_err();
        assert_eq!(e.code().as_str(), "InvalidParameter.Comments.Length");
        assert!(check_text("Remark", "remark", "a\nb", 10, false).is_err());
        assert!(check_text("Remark", "remark", "a\nb", 10, true).is_ok());
        assert!(check_required_text("InstanceName", "instance name", " ", 10).is_err());
    }
}
