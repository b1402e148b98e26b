//! The operations, one module per family of the RAM / ResourceManager / RocketMQ APIs. Each
//! method names the permissions it needs and runs through the pipeline.

pub mod access_keys;
pub mod activation;
pub mod audit;
pub mod authn;
pub mod data_plane;
pub mod dead_letters;
pub mod grants;
pub mod groups;
pub mod instances;
pub mod messages;
pub mod policies;
pub mod query;
pub mod ram_details;
pub mod resource_groups;
pub mod rocketmq_details;
pub mod subscriptions;
pub mod tenants;
pub mod users;
