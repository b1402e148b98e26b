//! The error type of the catalogue and its mapping onto the stable RAM / ResourceManager codes.
//!
//! Messages are lowercase, name the offending input in backticks and never contain a secret.

use std::borrow::Cow;
use std::fmt;

use petrel_model::{ErrorCode, NameError};

/// Which kind of entity a "does not exist" / "already exists" error is about; decides the suffix
/// of the Alibaba code (`EntityNotExist.<suffix>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// An account (tenant).
    Account,
    /// An account alias (only for "already exists").
    AccountAlias,
    /// A RAM user.
    User,
    /// A RAM group.
    Group,
    /// A custom policy.
    Policy,
    /// A version of a custom policy.
    PolicyVersion,
    /// An AccessKey of a user or of the root.
    AccessKey,
    /// The login profile of a user.
    LoginProfile,
    /// A user's membership of a group.
    Membership,
    /// A policy attached to a user.
    UserPolicy,
    /// A policy attached to a group.
    GroupPolicy,
    /// A resource group.
    ResourceGroup,
    /// A RocketMQ instance.
    Instance,
    /// A topic of an instance.
    Topic,
    /// A consumer group of an instance.
    ConsumerGroup,
}

impl Entity {
    /// The code suffix, e.g. `User.AccessKey`.
    pub fn code_suffix(self) -> &'static str {
        match self {
            Entity::Account => "Account",
            Entity::AccountAlias => "AccountAlias",
            Entity::User => "User",
            Entity::Group => "Group",
            Entity::Policy => "Policy",
            Entity::PolicyVersion => "Policy.Version",
            Entity::AccessKey => "User.AccessKey",
            Entity::LoginProfile => "User.LoginProfile",
            Entity::Membership => "User.Group",
            Entity::UserPolicy => "User.Policy",
            Entity::GroupPolicy => "Group.Policy",
            Entity::ResourceGroup => "ResourceGroup",
            Entity::Instance => "Instance",
            Entity::Topic => "Topic",
            Entity::ConsumerGroup => "ConsumerGroup",
        }
    }
}

/// Every failure of the catalogue. [`MetaError::code`] gives the stable code front ends render.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    /// A name or id broke its rule (from `petrel-model`).
    #[error(transparent)]
    InvalidName(#[from] NameError),

    /// Any other invalid input; `param` is the code suffix such as `Comments.Length`.
    #[error("{message}")]
    InvalidParameter {
        /// Code suffix after `InvalidParameter.`.
        param: Cow<'static, str>,
        /// Lowercase explanation naming the input.
        message: String,
    },

    /// A password that does not meet the password policy.
    #[error("password is too weak: {reason}")]
    PasswordTooWeak {
        /// Which rule failed.
        reason: &'static str,
    },

    /// The entity does not exist. `subject` already names it, e.g. ``user `alice` ``.
    #[error("{subject} does not exist in account `{account}`")]
    NotFound {
        /// Kind of entity (decides the code).
        entity: Entity,
        /// The account searched.
        account: String,
        /// What was looked for, with the names in backticks.
        subject: String,
    },

    /// The account itself does not exist.
    #[error("account `{account}` does not exist")]
    AccountNotFound {
        /// The id or alias given.
        account: String,
    },

    /// The entity exists already.
    #[error("{subject} already exists in account `{account}`")]
    AlreadyExists {
        /// Kind of entity (decides the code).
        entity: Entity,
        /// The account.
        account: String,
        /// What clashed, with the names in backticks.
        subject: String,
    },

    /// Another account already uses the alias.
    #[error("account alias `{alias}` is already taken")]
    AliasTaken {
        /// The alias.
        alias: String,
    },

    /// A delete refused because something still refers to the entity.
    #[error("cannot delete {subject} in account `{account}`: {reason}")]
    DeleteConflict {
        /// Code suffix after `DeleteConflict.`, e.g. `User.AccessKey`.
        code: &'static str,
        /// The account.
        account: String,
        /// What was to be deleted.
        subject: String,
        /// Why it cannot go (and how to proceed).
        reason: String,
    },

    /// A per-account or per-entity quota would be exceeded.
    #[error("limit exceeded in account `{account}`: {detail}")]
    LimitExceeded {
        /// Code suffix after `LimitExceeded.`, e.g. `User.AccessKey`.
        code: &'static str,
        /// The account.
        account: String,
        /// Which limit, with its value.
        detail: String,
    },

    /// A login with an unknown name or a wrong password. Deliberately does not say which.
    #[error("invalid login name or password")]
    InvalidCredentials,

    /// The account is disabled.
    #[error("account `{account}` is disabled")]
    AccountDisabled {
        /// The account id.
        account: String,
    },

    /// An AccessKey secret could not be unsealed with the current master key.
    #[error(
        "cannot unseal the secret of access key `{access_key_id}`: the master key is not the one \
         it was sealed with, or the record is damaged"
    )]
    Unseal {
        /// The AccessKey id.
        access_key_id: String,
    },

    /// The master key file is missing, unsafe, malformed or does not match the catalogue.
    #[error("master key `{path}`: {problem}")]
    MasterKey {
        /// Path of `master.key`.
        path: String,
        /// What is wrong and what to do.
        problem: String,
    },

    /// The catalogue file was written by a newer Petrel.
    #[error(
        "catalog `{path}` has schema version {found}, newer than the {supported} this binary \
         supports: upgrade petrel or restore an older catalog"
    )]
    SchemaTooNew {
        /// Path of `meta.redb`.
        path: String,
        /// Version found in the file.
        found: u64,
        /// Newest version this build knows.
        supported: u64,
    },

    /// The caller of [`crate::Catalog::write`] abandoned the transaction for a reason of its own
    /// (which it reports itself); nothing was written.
    #[error("transaction abandoned by the caller")]
    Aborted,

    /// The embedded database failed.
    #[error("catalog storage failed while {context}: {source}")]
    Storage {
        /// What we were doing.
        context: Cow<'static, str>,
        /// The redb error.
        #[source]
        source: redb::Error,
    },

    /// A file-system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing, naming the path.
        context: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A stored value could not be decoded (or encoded).
    #[error("catalog record `{key}` in table `{table}` is unreadable: {detail}")]
    Corrupt {
        /// Table name.
        table: String,
        /// Record key.
        key: String,
        /// Decoder message.
        detail: String,
    },

    /// A cryptographic primitive failed (random source, bad hashing parameters).
    #[error("cryptographic operation failed: {detail}")]
    Crypto {
        /// What failed.
        detail: String,
    },
}

impl MetaError {
    /// The stable code front ends render (`EntityNotExist.User`, `LimitExceeded.User.AccessKey`…).
    pub fn code(&self) -> ErrorCode {
        match self {
            MetaError::InvalidName(e) => {
                let code = e.alibaba_code();
                let rest = code
                    .strip_prefix("InvalidParameter.")
                    .unwrap_or(code.as_str())
                    .to_owned();
                ErrorCode::InvalidParameter(rest.into())
            }
            MetaError::InvalidParameter { param, .. } => ErrorCode::InvalidParameter(param.clone()),
            MetaError::PasswordTooWeak { .. } => {
                ErrorCode::InvalidParameter("Password.TooWeak".into())
            }
            // ResourceManager spells its code with an `s`, unlike RAM.
            MetaError::NotFound {
                entity: Entity::ResourceGroup,
                ..
            } => ErrorCode::EntityNotExists("ResourceGroup".into()),
            MetaError::NotFound { entity, .. } => {
                ErrorCode::EntityNotExist(entity.code_suffix().into())
            }
            MetaError::AccountNotFound { .. } => ErrorCode::EntityNotExist("Account".into()),
            MetaError::AlreadyExists { entity, .. } => {
                ErrorCode::EntityAlreadyExists(entity.code_suffix().into())
            }
            MetaError::AliasTaken { .. } => ErrorCode::EntityAlreadyExists("AccountAlias".into()),
            MetaError::DeleteConflict { code, .. } => ErrorCode::DeleteConflict((*code).into()),
            MetaError::LimitExceeded { code, .. } => ErrorCode::LimitExceeded((*code).into()),
            MetaError::InvalidCredentials => ErrorCode::InvalidCredentials,
            MetaError::AccountDisabled { .. } => ErrorCode::AccountDisabled,
            MetaError::Aborted
            | MetaError::Unseal { .. }
            | MetaError::MasterKey { .. }
            | MetaError::SchemaTooNew { .. }
            | MetaError::Storage { .. }
            | MetaError::Io { .. }
            | MetaError::Corrupt { .. }
            | MetaError::Crypto { .. } => ErrorCode::InternalError,
        }
    }

    pub(crate) fn not_found(entity: Entity, account: &str, subject: impl Into<String>) -> Self {
        MetaError::NotFound {
            entity,
            account: account.to_owned(),
            subject: subject.into(),
        }
    }

    pub(crate) fn exists(entity: Entity, account: &str, subject: impl Into<String>) -> Self {
        MetaError::AlreadyExists {
            entity,
            account: account.to_owned(),
            subject: subject.into(),
        }
    }

    pub(crate) fn conflict(
        code: &'static str,
        account: &str,
        subject: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        MetaError::DeleteConflict {
            code,
            account: account.to_owned(),
            subject: subject.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn limit(code: &'static str, account: &str, detail: impl Into<String>) -> Self {
        MetaError::LimitExceeded {
            code,
            account: account.to_owned(),
            detail: detail.into(),
        }
    }

    pub(crate) fn invalid(param: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        MetaError::InvalidParameter {
            param: param.into(),
            message: message.into(),
        }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| MetaError::Io { context, source }
    }
}

/// Adapts any redb error into [`MetaError::Storage`] with a short description of the operation.
pub(crate) fn storage<E: Into<redb::Error>>(
    context: impl Into<Cow<'static, str>>,
) -> impl FnOnce(E) -> MetaError {
    let context = context.into();
    move |e| MetaError::Storage {
        context,
        source: e.into(),
    }
}

/// Backtick-quotes a user-supplied value for a message, shortened so that a hostile input cannot
/// flood the logs.
pub(crate) struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s: String = self.0.chars().take(200).collect();
        write!(f, "`{s}`")
    }
}
