//! The Petrel catalogue: accounts and activation, RAM users, groups, AccessKeys (secrets sealed
//! with a master key), login profiles (argon2id), custom policies and versions, attachments,
//! resource groups, instances, topics, consumer groups and the audit log, in one embedded redb
//! file (`meta.redb`) next to `master.key` in the data dir.
//!
//! Everything below an account is keyed by the account id first: two accounts may both have a
//! user `alice`, a policy `readers`, a resource group `prod` and an instance `orders`, and no
//! lookup crosses accounts.
//!
//! ```no_run
//! # fn main() -> Result<(), petrel_meta::MetaError> {
//! use petrel_meta::{Catalog, CatalogOptions, NewAccount, NewUser};
//!
//! let catalog = Catalog::open(std::path::Path::new("./petrel-data"), CatalogOptions::default())?;
//! let root_password = catalog.hash_password("Sup3r-secret")?;
//! let (account, root_key) = catalog.write(|tx| {
//!     tx.create_account(NewAccount { alias: "acme".into(), root_password })
//! })?;
//! println!("root AccessKey {} (secret shown once)", root_key.id);
//! catalog.write(|tx| {
//!     tx.create_user(&account.id, NewUser { name: "alice".into(), ..Default::default() })
//! })?;
//! # Ok(()) }
//! ```
//!
//! Mutations return the stored entity; every method names its RAM counterpart where there is
//! one, and errors map to RAM codes through [`MetaError::code`].

mod access_keys;
mod accounts;
mod attachments;
mod audit;
mod catalog;
mod consumer_groups;
mod error;
mod groups;
mod ids;
mod instances;
mod login;
mod login_profiles;
pub mod migrations;
mod password;
mod policies;
mod resource_groups;
pub mod schema;
mod seal;
mod tables;
mod topics;
mod users;

pub use access_keys::{
    AccessKey, AccessKeyRecord, AccessKeyStatus, CreatedAccessKey, MAX_ACCESS_KEYS, Owner,
};
pub use accounts::{Account, Activation, ActivationOutcome, NewAccount};
pub use attachments::{
    Attachment, AttachmentFilter, AttachmentWithVia, GroupAttachment,
    MAX_CUSTOM_POLICIES_PER_PRINCIPAL, MAX_SYSTEM_POLICIES_PER_PRINCIPAL, PolicyEntities,
    PolicyRef, PolicyType, Principal, Scope, UserAttachment, Via,
};
pub use audit::{
    AuditFilter, AuditPrincipal, AuditRecord, AuditSource, NewAuditRecord, Outcome, PrincipalKind,
};
pub use catalog::{
    AccessKeyAuth, Catalog, CatalogOptions, MASTER_KEY_FILE, META_FILE, ReadTx, WriteTx,
};
pub use consumer_groups::{
    ConsumerGroup, ConsumerGroupUpdate, DeliveryOrder, MAX_RETRY_TIMES, NewConsumerGroup,
    RetryBackoff, RetryPolicy,
};
pub use error::{Entity, MetaError};
pub use groups::{
    Group, GroupMember, GroupMembership, GroupUpdate, MAX_GROUPS, MAX_GROUPS_PER_USER, NewGroup,
};
pub use instances::{Instance, InstanceUpdate, NewInstance};
pub use login::{LoginIdentity, LoginPrincipal};
pub use login_profiles::{LoginProfile, LoginProfileUpdate, NewLoginProfile};
pub use password::{
    PASSWORD_MAX_LEN, PASSWORD_MIN_LEN, PasswordHash, PasswordHashing, check_password_policy,
};
pub use policies::{
    MAX_DESCRIPTION_CHARS, MAX_POLICIES, MAX_POLICY_DOCUMENT_CHARS, MAX_POLICY_VERSIONS, NewPolicy,
    NewPolicyVersion, Policy, PolicyVersion, RotateStrategy,
};
pub use resource_groups::{
    DEFAULT_RESOURCE_GROUP_DISPLAY_NAME, DEFAULT_RESOURCE_GROUP_NAME, MAX_RESOURCE_GROUPS,
    NewResourceGroup, ResourceGroup, ResourceGroupStatus,
};
pub use schema::SCHEMA_VERSION;
pub use seal::{MASTER_KEY_LEN, Secret};
pub use topics::{DEFAULT_QUEUE_COUNT, MAX_QUEUE_COUNT, NewTopic, Topic, TopicUpdate};
pub use users::{MAX_USERS, NewUser, User, UserUpdate};
