//! An instance's dashboard: charts of the last 15 minutes — messages sent per second per topic,
//! messages consumed per second per group, and per group and topic the messages waiting and
//! how far behind the group is — drawn from the [`crate::sampler`] history as server-side SVG.
//!
//! What the caller sees is what the service lets them list: the instance, its topics and
//! groups, and each group's lag (`rocketmq:GetConsumerGroupLag`, one decision per pair).

use std::collections::BTreeSet;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use petrel_meta::Instance;

use crate::App;
use crate::auth::blocking;
use crate::chart::{PALETTE, Series, svg};
use crate::ctx::Ctx;
use crate::error::ConsoleError;
use crate::i18n::fill;
use crate::mqshared::broker;
use crate::sampler::{INTERVAL, Sample, rates};
use crate::view::{Chrome, page};

/// Lines per chart (the busiest ones).
const MAX_SERIES: usize = 6;

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/instances/{id}/dashboard", get(dashboard))
}

/// A rendered chart with its legend.
#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub svg: String,
    pub legend: Vec<(String, &'static str)>,
}

fn chart(id: &str, title: &str, unit: &str, mut series: Vec<Series>, empty: &str) -> Chart {
    // Busiest first, by their largest known value.
    let peak = |s: &Series| s.points.iter().filter_map(|p| p.1).fold(0.0f64, f64::max);
    series.sort_by(|a, b| peak(b).total_cmp(&peak(a)).then(a.label.cmp(&b.label)));
    series.truncate(MAX_SERIES);
    Chart {
        title: title.to_owned(),
        svg: svg(id, title, unit, &series, empty),
        legend: series
            .iter()
            .enumerate()
            .map(|(i, s)| (s.label.clone(), PALETTE[i % PALETTE.len()]))
            .collect(),
    }
}

fn charts(lang: &str, samples: &[Sample], lag_pairs: &[(String, String)]) -> Vec<Chart> {
    let empty = &fill(lang, "dash.collecting", &[]);
    let topics: BTreeSet<&String> = samples.iter().flat_map(|s| s.stored.keys()).collect();
    let sent = topics
        .iter()
        .map(|t| Series {
            label: (*t).clone(),
            points: rates(samples, |s| s.stored.get(*t).copied()),
        })
        .collect();
    let groups: BTreeSet<&String> = lag_pairs.iter().map(|(g, _)| g).collect();
    let consumed = groups
        .iter()
        .map(|g| Series {
            label: (*g).clone(),
            points: rates(samples, |s| {
                // A group's total over the topics it may be seen on; unknown if any is.
                lag_pairs
                    .iter()
                    .filter(|(pg, _)| pg == *g)
                    .map(|p| s.pairs.get(p).map(|x| x.finished))
                    .sum::<Option<u64>>()
            }),
        })
        .collect();
    let per_pair = |value: &dyn Fn(&crate::sampler::PairSample) -> Option<f64>| {
        lag_pairs
            .iter()
            .map(|p| Series {
                label: format!("{} / {}", p.0, p.1),
                points: samples
                    .iter()
                    .map(|s| (s.at_ms, s.pairs.get(p).and_then(value)))
                    .collect(),
            })
            .collect::<Vec<_>>()
    };
    vec![
        chart(
            "sent",
            "Messages sent per second, by topic",
            "/s",
            sent,
            empty,
        ),
        chart(
            "consumed",
            &fill(lang, "dash.consumed", &[]),
            "/s",
            consumed,
            empty,
        ),
        chart(
            "waiting",
            &fill(lang, "dash.waiting", &[]),
            "msgs",
            per_pair(&|x| Some(x.pending as f64)),
            empty,
        ),
        chart(
            "lag-time",
            &fill(lang, "dash.lag_time", &[]),
            "s",
            per_pair(&|x| x.lag_ms.map(|ms| ms as f64 / 1000.0)),
            empty,
        ),
    ]
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    instance: Instance,
    charts: Vec<Chart>,
    samples: usize,
    interval_s: u64,
    hidden: Vec<String>,
}

async fn dashboard(
    State(app): State<Arc<App>>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let chrome = ctx.chrome(&app, "instances");
    if !chrome.activated {
        return Ok(Redirect::to("/console/activate").into_response());
    }
    let broker = broker(&app)?;
    let (app2, ctx2) = (app.clone(), ctx.clone());
    let (instance, samples, lag_pairs, hidden) = blocking(move || {
        let (app, ctx) = (app2, ctx2);
        let caller = ctx.caller();
        let instance = app.service.get_instance(&caller, &id)?;
        let topics = app.service.list_topics(&caller, &id)?;
        let groups: Vec<String> = app
            .service
            .list_consumer_groups(&caller, &id)?
            .into_iter()
            .map(|g| g.group_id)
            .collect();
        // Lag is a question about the group (`rocketmq:GetConsumerGroupLag` on it), so one
        // decision per group covers all its topics.
        let mut lag_pairs = Vec::new();
        let mut hidden = Vec::new();
        if let Some(first) = topics.first() {
            for g in &groups {
                match app
                    .service
                    .consumer_group_lag_target(&ctx.caller(), &id, g, &first.name)
                {
                    Ok(_) => lag_pairs.extend(topics.iter().map(|t| (g.clone(), t.name.clone()))),
                    Err(e) => hidden.push(format!("{g}: {e} ({})", e.code())),
                }
            }
        }
        let samples = app
            .sampler
            .history(&broker, &ctx.session.account_id, &id, &topics, &groups);
        Ok((instance, samples, lag_pairs, hidden))
    })
    .await?;
    page(&DashboardPage {
        chrome,
        instance,
        charts: charts(ctx.lang, &samples, &lag_pairs),
        samples: samples.len(),
        interval_s: INTERVAL.as_secs(),
        hidden,
    })
}
