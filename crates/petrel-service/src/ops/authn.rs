//! Authentication: turning an AccessKey signature or a console password into a [`Caller`].
//!
//! Front ends parse their wire's signature format (with `petrel-iam`) and hand this module a
//! verifier; the secret never leaves the service layer.

use petrel_meta::{AccessKeyStatus, LoginIdentity, MetaError, Owner};
use petrel_model::ErrorCode;

use crate::Service;
use crate::caller::{Caller, Identity, RequestContext};
use crate::error::ServiceError;

impl Service {
    /// Authenticates a request signed with AccessKey `access_key_id`: `verify` receives the
    /// key's secret and says whether the request's signature matches it.
    pub fn authenticate_access_key(
        &self,
        access_key_id: &str,
        context: RequestContext,
        verify: impl FnOnce(&str) -> bool,
    ) -> Result<Caller, ServiceError> {
        let generation = self.catalog.generation();
        let auth = match self.authn_cache.get(access_key_id, generation) {
            Some(auth) => auth,
            None => {
                let Some(auth) = self.catalog.authenticate_access_key(access_key_id)? else {
                    return Err(ServiceError::Unauthenticated {
                        code: ErrorCode::InvalidAccessKeyIdNotFound,
                        message: format!("access key `{access_key_id}` does not exist"),
                    });
                };
                self.authn_cache
                    .put(access_key_id, generation, auth.clone());
                auth
            }
        };
        Self::check_key(access_key_id, auth, context, verify)
    }

    fn check_key(
        access_key_id: &str,
        auth: petrel_meta::AccessKeyAuth,
        context: RequestContext,
        verify: impl FnOnce(&str) -> bool,
    ) -> Result<Caller, ServiceError> {
        if auth.access_key.status != AccessKeyStatus::Active {
            return Err(ServiceError::Unauthenticated {
                code: ErrorCode::InvalidAccessKeyIdInactive,
                message: format!("access key `{access_key_id}` is disabled"),
            });
        }
        if !verify(auth.secret.expose()) {
            return Err(ServiceError::Unauthenticated {
                code: ErrorCode::SignatureDoesNotMatch,
                message: format!(
                    "the request signature does not match the one computed with the secret of access key `{access_key_id}`"
                ),
            });
        }
        if !auth.account.enabled {
            return Err(ServiceError::AccountDisabled {
                account: auth.account.id,
            });
        }
        let identity = match auth.access_key.owner {
            Owner::Root => Identity::Root,
            Owner::User(name) => Identity::User(name),
        };
        Ok(Caller {
            account_id: auth.account.id,
            identity,
            context,
        })
    }

    /// Authenticates a console login: the root as `root@<alias>`, a RAM user as `name`,
    /// `name@alias` or `name@alias.onaliyun.com`.
    pub fn login(
        &self,
        account_alias_or_id: &str,
        login_name: &str,
        password: &str,
        context: RequestContext,
    ) -> Result<Caller, ServiceError> {
        let found = self
            .catalog
            .verify_login(account_alias_or_id, login_name, password)
            .map_err(|e| match e {
                MetaError::InvalidCredentials => ServiceError::Unauthenticated {
                    code: ErrorCode::InvalidCredentials,
                    message: e.to_string(),
                },
                other => ServiceError::Meta(other),
            })?;
        let identity = match found.identity {
            LoginIdentity::Root => Identity::Root,
            LoginIdentity::User { name, .. } => Identity::User(name),
        };
        Ok(Caller {
            account_id: found.account.id,
            identity,
            context,
        })
    }

    /// The root of `account_id`, for operator tools that act on a local data dir (the CLI
    /// against a stopped server). Refused for an unknown or disabled account.
    pub fn local_root(
        &self,
        account_id: &str,
        context: RequestContext,
    ) -> Result<Caller, ServiceError> {
        let account = self.catalog.read(|tx| tx.get_account(account_id))?;
        if !account.enabled {
            return Err(ServiceError::AccountDisabled {
                account: account.id,
            });
        }
        Ok(Caller {
            account_id: account.id,
            identity: Identity::Root,
            context,
        })
    }
}
