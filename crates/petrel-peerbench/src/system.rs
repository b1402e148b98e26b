//! The systems under test and the two durability modes each runs in.

use serde::{Deserialize, Serialize};

/// A broker the suite can start and drive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `petrel serve`, over the RocketMQ 5 gRPC protocol.
    Petrel,
    /// NATS server with JetStream, one stream per topic.
    Nats,
    /// Redis streams, one stream key per topic with a consumer group.
    Redis,
    /// RabbitMQ quorum queues, one per topic, with publisher confirms.
    RabbitmqQuorum,
    /// RabbitMQ streams, one per topic, over the stream protocol.
    RabbitmqStream,
}

/// When a system acknowledges a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Durability {
    /// After the message is on disk (fsync): Petrel's default.
    Fsync,
    /// The system's own defaults (Petrel then acks after the write, `flush_mode = "async"`).
    Defaults,
}

/// One system in one durability mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Target {
    pub kind: Kind,
    pub durability: Durability,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 5] = [
        Kind::Petrel,
        Kind::Nats,
        Kind::Redis,
        Kind::RabbitmqQuorum,
        Kind::RabbitmqStream,
    ];

    /// Whether this system's defaults already fsync before acknowledging, so one set of
    /// runs serves both comparisons.
    pub fn defaults_fsync(self) -> bool {
        matches!(self, Kind::RabbitmqQuorum)
    }

    /// Why the system cannot run in `durability`, if it cannot.
    pub fn unsupported(self, durability: Durability) -> Option<&'static str> {
        match (self, durability) {
            (Kind::RabbitmqStream, Durability::Fsync) => Some(
                "RabbitMQ streams have no setting that fsyncs before confirming (they rely on \
                 replication), so they appear with their defaults only",
            ),
            _ => None,
        }
    }
}

impl Target {
    /// The name the report uses.
    pub fn label(self) -> &'static str {
        match (self.kind, self.durability) {
            (Kind::Petrel, Durability::Fsync) => "Petrel (flush sync)",
            (Kind::Petrel, Durability::Defaults) => "Petrel (flush async)",
            (Kind::Nats, Durability::Fsync) => "NATS JetStream (sync_interval: always)",
            (Kind::Nats, Durability::Defaults) => "NATS JetStream (defaults)",
            (Kind::Redis, Durability::Fsync) => "Redis streams (appendfsync always)",
            (Kind::Redis, Durability::Defaults) => "Redis streams (defaults)",
            (Kind::RabbitmqQuorum, _) => "RabbitMQ quorum queues",
            (Kind::RabbitmqStream, _) => "RabbitMQ streams (defaults)",
        }
    }

    /// A short file- and JSON-friendly id.
    pub fn id(self) -> String {
        let kind = match self.kind {
            Kind::Petrel => "petrel",
            Kind::Nats => "nats",
            Kind::Redis => "redis",
            Kind::RabbitmqQuorum => "rabbitmq-quorum",
            Kind::RabbitmqStream => "rabbitmq-stream",
        };
        let mode = match self.durability {
            Durability::Fsync => "fsync",
            Durability::Defaults => "defaults",
        };
        format!("{kind}-{mode}")
    }

    /// Every target the suite runs for `kinds` and `modes`: a kind whose defaults already
    /// fsync runs once (as fsync), a kind that cannot fsync runs with its defaults only.
    pub fn plan(kinds: &[Kind], modes: &[Durability]) -> Vec<Target> {
        let mut out = Vec::new();
        for &durability in modes {
            for &kind in kinds {
                if kind.unsupported(durability).is_some() {
                    continue;
                }
                if kind.defaults_fsync() && durability == Durability::Defaults {
                    if modes.contains(&Durability::Fsync) {
                        continue;
                    }
                    out.push(Target {
                        kind,
                        durability: Durability::Fsync,
                    });
                    continue;
                }
                out.push(Target { kind, durability });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_runs_quorum_queues_once_and_streams_only_with_defaults() {
        let plan = Target::plan(&Kind::ALL, &[Durability::Fsync, Durability::Defaults]);
        let ids: Vec<String> = plan.iter().map(|t| t.id()).collect();
        assert_eq!(
            ids,
            [
                "petrel-fsync",
                "nats-fsync",
                "redis-fsync",
                "rabbitmq-quorum-fsync",
                "petrel-defaults",
                "nats-defaults",
                "redis-defaults",
                "rabbitmq-stream-defaults",
            ]
        );
    }

    #[test]
    fn a_defaults_only_plan_still_runs_quorum_queues() {
        let plan = Target::plan(&[Kind::RabbitmqQuorum], &[Durability::Defaults]);
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].durability, Durability::Fsync);
    }
}
