//! A consumer group's page: delivery order and retry policy, lag on each topic of the instance,
//! resetting its offset on a topic (to the latest message or to a time), and its dead-letter
//! queue with re-send. Also a topic's page, which shows every group's lag on that topic.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use petrel_broker::{DeadLetter, ResetTarget};
use petrel_meta::{ConsumerGroup, RetryBackoff, Topic};

use crate::App;
use crate::auth::blocking;
use crate::ctx::Ctx;
use crate::error::ConsoleError;
use crate::form::Fields;
use crate::i18n::fill;
use crate::lag::{LagRow, lag_rows};
use crate::mqshared::{
    broker, broker_error, enc, group_ref, parse_input_time, time_text, topic_ref,
};
use crate::view::{Chrome, page};

/// Dead letters shown per page.
const DLQ_PAGE: usize = 50;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/instances/{id}/groups/{group}", get(detail))
        .route("/instances/{id}/groups/{group}/reset", post(reset))
        .route(
            "/instances/{id}/groups/{group}/dead-letters/{offset}/resend",
            post(resend),
        )
        .route("/instances/{id}/topics/{topic}", get(topic_detail))
}

/// One dead letter as the table shows it.
#[derive(Debug, Clone)]
pub struct LetterRow {
    pub offset: u64,
    pub message_id: String,
    pub topic: String,
    pub href: String,
    pub attempts: u32,
    pub reason: &'static str,
    pub at: String,
    pub resent_at: String,
}

/// One subscription of the group, as its clients report it.
pub struct SubRow {
    pub topic: String,
    pub online: bool,
    pub filter: String,
    pub consistent: bool,
    /// `client id (host, SDK version)` of each client, online ones first.
    pub clients: Vec<(String, bool)>,
}

/// The group's subscriptions, or why they cannot be shown.
fn subscriptions(
    app: &Arc<App>,
    ctx: &Ctx,
    instance: &str,
    group: &str,
) -> Result<Vec<SubRow>, ConsoleError> {
    let broker = broker(app)?;
    app.service.group_subscriptions_target(
        &ctx.caller(),
        "rocketmq:ListConsumerGroupSubscriptions",
        instance,
        group,
    )?;
    let subs = broker
        .subscriptions()
        .of_group(&ctx.session.account_id, instance, group);
    Ok(subs
        .into_iter()
        .map(|s| SubRow {
            topic: s.topic,
            online: s.online,
            filter: format!("{} {}", s.filter.kind, s.filter.expression),
            consistent: s.consistent,
            clients: s
                .clients
                .into_iter()
                .map(|c| {
                    let sdk = format!("{} {}", c.info.language, c.info.version);
                    (
                        format!("{} ({}, {})", c.info.client_id, c.info.host, sdk.trim()),
                        c.online,
                    )
                })
                .collect(),
        })
        .collect())
}

fn letter_row(instance: &str, d: &DeadLetter) -> LetterRow {
    LetterRow {
        offset: d.dlq_offset,
        href: format!(
            "/console/instances/{}/topics/{}/messages/{}",
            enc(instance),
            enc(&d.message.topic),
            enc(&d.message.message_id)
        ),
        message_id: d.message.message_id.clone(),
        topic: d.message.topic.clone(),
        attempts: d.attempts,
        reason: d.reason.as_str(),
        at: time_text(d.dead_lettered_at_ms),
        resent_at: d.resent_at_ms.map(time_text).unwrap_or_default(),
    }
}

fn retry_text(lang: &str, g: &ConsumerGroup) -> String {
    let timing = match g.retry_policy.backoff {
        RetryBackoff::Default => fill(lang, "retry.default", &[]),
        RetryBackoff::Fixed { interval_seconds } => fill(lang, "retry.fixed", &[&interval_seconds]),
    };
    fill(
        lang,
        "retry.text",
        &[&g.retry_policy.max_retry_times, &timing],
    )
}

#[derive(Template)]
#[template(path = "group.html")]
struct GroupPage {
    chrome: Chrome,
    instance_id: String,
    group: ConsumerGroup,
    retry: String,
    topics: Vec<Topic>,
    lag: Vec<LagRow>,
    letters: Vec<LetterRow>,
    letters_total: String,
    letters_error: String,
    next_letters: String,
    notice: String,
    subs: Vec<SubRow>,
    subs_error: String,
}

async fn group_page(
    app: &Arc<App>,
    ctx: &Ctx,
    id: String,
    group_id: String,
    dlq_from: Option<u64>,
    notice: String,
) -> Result<Response, ConsoleError> {
    let chrome = ctx.chrome(app, "instances");
    if !chrome.activated {
        return Ok(Redirect::to("/console/activate").into_response());
    }
    let (app2, ctx2) = (app.clone(), ctx.clone());
    let broker = app.broker.clone();
    blocking(move || {
        let (app, ctx) = (app2, ctx2);
        let caller = ctx.caller();
        let group = app.service.get_consumer_group(&caller, &id, &group_id)?;
        let topics = app.service.list_topics(&caller, &id)?;
        let pairs: Vec<(String, String)> = topics
            .iter()
            .map(|t| (group_id.clone(), t.name.clone()))
            .collect();
        let lag = lag_rows(&app, &ctx, broker.as_ref(), &id, &pairs);
        let mut letters = Vec::new();
        let mut letters_total = String::new();
        let mut next_letters = String::new();
        let letters_error = match dead_letters(&app, &ctx, &id, &group_id, dlq_from) {
            Ok(page) => {
                letters = page.items.iter().map(|d| letter_row(&id, d)).collect();
                letters_total = page.total.to_string();
                if let Some(next) = page.next {
                    next_letters = format!(
                        "/console/instances/{}/groups/{}?dlq_from={next}#dead-letters",
                        enc(&id),
                        enc(&group_id)
                    );
                }
                String::new()
            }
            Err(e) => format!("{e} ({})", e.code()),
        };
        let (subs, subs_error) = match subscriptions(&app, &ctx, &id, &group_id) {
            Ok(rows) => (rows, String::new()),
            Err(e) => (Vec::new(), format!("{e} ({})", e.code())),
        };
        Ok(page(&GroupPage {
            subs,
            subs_error,
            retry: retry_text(ctx.lang, &group),
            chrome,
            instance_id: id,
            group,
            topics,
            lag,
            letters,
            letters_total,
            letters_error,
            next_letters,
            notice,
        }))
    })
    .await?
}

fn dead_letters(
    app: &Arc<App>,
    ctx: &Ctx,
    instance: &str,
    group: &str,
    from: Option<u64>,
) -> Result<petrel_broker::DeadLetterPage, ConsoleError> {
    let broker = broker(app)?;
    app.service
        .dead_letters_target(&ctx.caller(), instance, group)?;
    let gref = group_ref(&ctx.session.account_id, instance, group)?;
    broker
        .dead_letters(&gref, from, DLQ_PAGE)
        .map_err(broker_error)
}

async fn detail(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path((id, group)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ConsoleError> {
    let q = Fields::parse(raw.unwrap_or_default().as_bytes());
    let from = match q.get("dlq_from") {
        "" => None,
        v => Some(v.parse().map_err(|_| ConsoleError::BadInput {
            field: "dlq_from",
            reason: format!("`{v}` is not a dead-letter position"),
        })?),
    };
    group_page(&app, &ctx, id, group, from, String::new()).await
}

async fn reset(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path((id, group)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let topic_name = fields.get("topic").to_owned();
    let target = match fields.get("target") {
        "latest" => ResetTarget::Latest,
        "time" => ResetTarget::Timestamp(parse_input_time("time", fields.get("time"))?),
        other => {
            return Err(ConsoleError::BadInput {
                field: "target",
                reason: format!("`{other}` is neither latest nor time"),
            });
        }
    };
    let broker = broker(&app)?;
    let caller = ctx.caller();
    let (svc, inst, g, t) = (app.clone(), id.clone(), group.clone(), topic_name.clone());
    let (_, topic) = blocking(move || {
        Ok(svc
            .service
            .reset_consume_offset_target(&caller, &inst, &g, &t)?)
    })
    .await?;
    let account = &ctx.session.account_id;
    let tref = topic_ref(account, &id, &topic)?;
    let gref = group_ref(account, &id, &group)?;
    let queues = broker
        .reset_offset(&gref, &tref, target)
        .await
        .map_err(broker_error)?;
    let lang = ctx.lang;
    let to = match target {
        ResetTarget::Latest => fill(lang, "reset.to_latest", &[]),
        ResetTarget::Timestamp(ms) => fill(lang, "reset.to_time", &[&time_text(ms)]),
    };
    let offsets: Vec<String> = queues
        .iter()
        .map(|q| fill(lang, "reset.queue", &[&q.queue_id, &q.offset]))
        .collect();
    let notice = fill(
        lang,
        "reset.done",
        &[&group, &topic_name, &to, &offsets.join(", ")],
    );
    group_page(&app, &ctx, id, group, None, notice).await
}

async fn resend(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path((id, group, offset)): Path<(String, String, u64)>,
    body: Bytes,
) -> Result<Response, ConsoleError> {
    let fields = Fields::from_bytes(&body);
    ctx.check_csrf(&fields)?;
    let topic_name = fields.get("topic").to_owned();
    let broker = broker(&app)?;
    let caller = ctx.caller();
    let (svc, inst, g) = (app.clone(), id.clone(), group.clone());
    let (_, topics) =
        blocking(move || Ok(svc.service.resend_dead_letter_target(&caller, &inst, &g)?)).await?;
    let topic = topics
        .into_iter()
        .find(|t| t.name == topic_name)
        .ok_or_else(|| ConsoleError::NotFound {
            what: format!("instance `{id}` has no topic `{topic_name}`"),
        })?;
    let account = &ctx.session.account_id;
    let tref = topic_ref(account, &id, &topic)?;
    let gref = group_ref(account, &id, &group)?;
    broker
        .resend_dead_letter(&gref, &tref, offset)
        .await
        .map_err(broker_error)?;
    let notice = fill(ctx.lang, "dlq.done", &[&offset, &group, &topic_name]);
    group_page(&app, &ctx, id, group, None, notice).await
}

#[derive(Template)]
#[template(path = "topic.html")]
struct TopicPage {
    chrome: Chrome,
    instance_id: String,
    topic: Topic,
    lag: Vec<LagRow>,
}

async fn topic_detail(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path((id, topic_name)): Path<(String, String)>,
) -> Result<Response, ConsoleError> {
    let chrome = ctx.chrome(&app, "instances");
    if !chrome.activated {
        return Ok(Redirect::to("/console/activate").into_response());
    }
    let broker = app.broker.clone();
    let (app, ctx) = (app.clone(), ctx.clone());
    blocking(move || {
        let caller = ctx.caller();
        let topic = app.service.get_topic(&caller, &id, &topic_name)?;
        let groups = app.service.list_consumer_groups(&caller, &id)?;
        let pairs: Vec<(String, String)> = groups
            .iter()
            .map(|g| (g.group_id.clone(), topic_name.clone()))
            .collect();
        let lag = lag_rows(&app, &ctx, broker.as_ref(), &id, &pairs);
        Ok(page(&TopicPage {
            chrome,
            instance_id: id,
            topic,
            lag,
        }))
    })
    .await?
}
