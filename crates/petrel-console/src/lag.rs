//! Consumer lag as the group and topic pages show it: ready and in-flight counts and how far
//! behind (the age of the oldest unfinished message). Each number comes from the broker after
//! the service authorizes `rocketmq:GetConsumerGroupLag`; when a number cannot be known it is
//! shown as unavailable with the reason, never as zero.

use std::sync::Arc;

use petrel_broker::Broker;

use crate::App;
use crate::ctx::Ctx;
use crate::i18n::fill;
use crate::mqshared::{duration_text, group_ref, now_ms, topic_ref};

/// One group's lag on one topic.
#[derive(Debug, Clone)]
pub struct LagRow {
    pub group: String,
    pub topic: String,
    /// Whether the counts are known.
    pub known: bool,
    pub ready: String,
    pub inflight: String,
    /// How far behind, or why that is unknown.
    pub lag_time: String,
    /// Why the counts are unknown (empty when known).
    pub reason: String,
}

impl LagRow {
    fn unavailable(lang: &str, group: &str, topic: &str, reason: String) -> LagRow {
        let word = fill(lang, "lag.unavailable", &[]);
        LagRow {
            group: group.to_owned(),
            topic: topic.to_owned(),
            known: false,
            ready: word.clone(),
            inflight: word.clone(),
            lag_time: word,
            reason,
        }
    }
}

/// The lag of each `(group, topic)` pair of `instance`, in order. Runs blocking work: call from
/// a blocking task.
pub fn lag_rows(
    app: &Arc<App>,
    ctx: &Ctx,
    broker: Option<&Arc<Broker>>,
    instance: &str,
    pairs: &[(String, String)],
) -> Vec<LagRow> {
    pairs
        .iter()
        .map(|(group, topic)| lag_row(app, ctx, broker, instance, group, topic))
        .collect()
}

fn lag_row(
    app: &Arc<App>,
    ctx: &Ctx,
    broker: Option<&Arc<Broker>>,
    instance: &str,
    group: &str,
    topic: &str,
) -> LagRow {
    let Some(broker) = broker else {
        return LagRow::unavailable(ctx.lang, group, topic, fill(ctx.lang, "lag.no_broker", &[]));
    };
    let account = &ctx.session.account_id;
    let stats = app
        .service
        .consumer_group_lag_target(&ctx.caller(), instance, group, topic)
        .map_err(|e| format!("{e} ({})", e.code()))
        .and_then(|(_, t)| {
            let tref = topic_ref(account, instance, &t).map_err(|e| e.to_string())?;
            let gref = group_ref(account, instance, group).map_err(|e| e.to_string())?;
            broker
                .group_topic_stats(&gref, &tref)
                .map_err(|e| e.to_string())
        });
    match stats {
        Err(reason) => LagRow::unavailable(ctx.lang, group, topic, reason),
        Ok(s) => LagRow {
            group: group.to_owned(),
            topic: topic.to_owned(),
            known: true,
            ready: s.ready.to_string(),
            inflight: s.inflight.to_string(),
            lag_time: match s.delivery_lag_ms(now_ms()) {
                Some(0) if s.pending() == 0 => fill(ctx.lang, "lag.caught_up", &[]),
                Some(ms) => duration_text(ms),
                None => fill(ctx.lang, "lag.unknown_time", &[]),
            },
            reason: String::new(),
        },
    }
}
