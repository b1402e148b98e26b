//! Operator operations on accounts (tenants): create one and hand out its root login and
//! AccessKey once, list them, disable, enable and delete them; and the console's self-service
//! sign-up, which is account creation with a password the new owner chose.
//!
//! These act above every account, so no account principal can reach them: the binary calls
//! them for an operator (holder of the operator token, or of the stopped server's data dir) and
//! the console for a sign-up when the configuration allows it. Each change is audited in the
//! affected account's log as the `operator` system principal (a deleted account's log goes
//! with it, so its deletion is logged by the server instead).

use petrel_meta::{
    Account, AuditPrincipal, AuditSource, MetaError, NewAccount, NewAuditRecord, Outcome,
    PrincipalKind, check_password_policy,
};
use petrel_model::Arn;
use serde::Serialize;

use crate::Service;
use crate::bootstrap::{InitialCredentials, generate_password};
use crate::caller::new_request_id;
use crate::error::ServiceError;

/// An account as the operator sees it.
#[derive(Debug, Clone, Serialize)]
pub struct AccountSummary {
    /// The account id.
    pub id: String,
    /// The alias (the root logs in as `root@<alias>`).
    pub alias: String,
    /// Whether its principals may sign in and call.
    pub enabled: bool,
    /// Whether the messaging service is activated.
    pub activated: bool,
    /// How many instances it has.
    pub instances: usize,
    /// Creation time, RFC 3339.
    pub created_at: String,
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn operator_record(
    account: &Account,
    action: &str,
    reason: &str,
    source: AuditSource,
) -> NewAuditRecord {
    NewAuditRecord {
        account_id: account.id.clone(),
        principal: AuditPrincipal {
            kind: PrincipalKind::System,
            display: "operator".to_owned(),
        },
        action: action.to_owned(),
        resource: Arn::ram_account(&account.id).to_string(),
        outcome: Outcome::Allowed,
        reason: reason.to_owned(),
        request_id: new_request_id(),
        source,
    }
}

impl Service {
    /// Creates an account. With `password` the root gets that password (checked against the
    /// password policy); without, a generated one. The credentials are returned here only.
    pub fn create_account(
        &self,
        alias: &str,
        password: Option<&str>,
        source: AuditSource,
        reason: &str,
    ) -> Result<InitialCredentials, ServiceError> {
        let password = match password {
            Some(p) => {
                check_password_policy(p)?;
                p.to_owned()
            }
            None => generate_password(),
        };
        let hash = self.catalog.hash_password(&password)?;
        let (account, key) = self.catalog.write(|tx| {
            let (account, key) = tx.create_account(NewAccount {
                alias: alias.to_owned(),
                root_password: hash,
            })?;
            tx.append_audit(operator_record(
                &account,
                "petrel:CreateAccount",
                reason,
                source,
            ))?;
            Ok((account, key))
        })?;
        tracing::info!(account = %account.id, alias = %account.alias, "account created");
        Ok(InitialCredentials {
            login_name: account.root_login_name(),
            account_id: account.id,
            password,
            access_key_id: key.id.clone(),
            access_key_secret: key.secret.expose().to_owned(),
        })
    }

    /// Every account, by id.
    pub fn list_accounts(&self) -> Result<Vec<AccountSummary>, ServiceError> {
        Ok(self.catalog.read(|tx| {
            let mut out = Vec::new();
            for a in tx.list_accounts()? {
                let instances = tx.list_instances(&a.id, None)?.len();
                out.push(AccountSummary {
                    activated: a.is_activated(),
                    created_at: rfc3339(a.created_at),
                    id: a.id,
                    alias: a.alias,
                    enabled: a.enabled,
                    instances,
                });
            }
            Ok(out)
        })?)
    }

    fn find_account_or_fail(
        tx: &petrel_meta::ReadTx<'_>,
        alias_or_id: &str,
    ) -> Result<Account, MetaError> {
        tx.find_account(alias_or_id)?
            .ok_or_else(|| MetaError::AccountNotFound {
                account: alias_or_id.chars().take(64).collect(),
            })
    }

    /// Enables or disables the account named by alias or id. A disabled account's root, RAM
    /// users and AccessKeys are refused by every front end until it is enabled again.
    pub fn set_account_enabled(
        &self,
        alias_or_id: &str,
        enabled: bool,
        source: AuditSource,
    ) -> Result<AccountSummary, ServiceError> {
        let (account, instances) = self.catalog.write(|tx| {
            let found = Self::find_account_or_fail(tx, alias_or_id)?;
            let account = tx.set_account_enabled(&found.id, enabled)?;
            let action = if enabled {
                "petrel:EnableAccount"
            } else {
                "petrel:DisableAccount"
            };
            tx.append_audit(operator_record(
                &account,
                action,
                "operator command",
                source,
            ))?;
            let instances = tx.list_instances(&account.id, None)?.len();
            Ok((account, instances))
        })?;
        tracing::info!(account = %account.id, enabled, "account state changed");
        Ok(AccountSummary {
            activated: account.is_activated(),
            created_at: rfc3339(account.created_at),
            id: account.id,
            alias: account.alias,
            enabled: account.enabled,
            instances,
        })
    }

    /// Deletes the account named by alias or id with all its catalogue data; refused while it
    /// has instances unless `force`. Its messages stay in the log, unreachable (every store key
    /// carries the account id, which is never reused), until retention removes them.
    pub fn delete_account(&self, alias_or_id: &str, force: bool) -> Result<Account, ServiceError> {
        let account = self.catalog.write(|tx| {
            let found = Self::find_account_or_fail(tx, alias_or_id)?;
            tx.delete_account(&found.id, force)
        })?;
        tracing::info!(account = %account.id, alias = %account.alias, force, "account deleted");
        Ok(account)
    }
}
