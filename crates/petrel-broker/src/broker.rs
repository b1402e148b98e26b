//! The `Broker` handle: opening (progress replay), the shared state every operation works on,
//! the background task (snapshots, dedup pruning), snapshots, lag statistics and shutdown.
//!
//! The operations themselves live in `send`, `receive` and `settle`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use petrel_store::{Store, TimeCursor};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::config::BrokerConfig;
use crate::dedup::Dedup;
use crate::dlq::{DeadLetter, DeadLetterPage};
use crate::error::{BrokerError, Result};
use crate::message::{Delivered, InvisibleChanged, OutgoingMessage, SendReceipt, now_ms};
use crate::names::{GroupRef, TopicRef, same_namespace};
use crate::offsets::{QueueReset, ResetTarget};
use crate::progress::codec::StateKey;
use crate::progress::journal;
use crate::progress::state::GroupTopicState;
use crate::query::{MessagePage, QueriedMessage};
use crate::receive::ReceiveRequest;
use crate::timer::{self, Timer};
use crate::txn::{self, TransactionCheck, TransactionResolution, Transactions};

/// Locks a std mutex, ignoring poisoning (state is kept consistent by construction: no code
/// path panics while holding a lock).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Per store topic: the round-robin queue counter and the wake-up of long-polling receivers.
#[derive(Default)]
pub(crate) struct TopicRt {
    pub rr: AtomicU32,
    /// Woken (all waiters) when messages were stored in the topic.
    pub arrived: Notify,
    pub metrics: crate::metrics::TopicMetrics,
}

/// Progress of one (group, topic) and the wake-up of its long-polling receivers when an
/// invisible deadline moved earlier (or, for FIFO consumption, a message group was unblocked).
#[derive(Default)]
pub(crate) struct Sub {
    pub state: Mutex<GroupTopicState>,
    pub changed: Notify,
    /// The group consumes in message-group order: settling a delivery may unblock the next
    /// message of its group, so waiting receivers are woken by acks too.
    pub orderly: AtomicBool,
    /// Receipt handles recently forwarded to the dead-letter queue (queue, offset, token), so
    /// that a client retrying a forward whose answer it lost is told OK (clients retry the
    /// forward until it succeeds).
    pub forwarded: Mutex<std::collections::VecDeque<(u32, u64, u128)>>,
    pub metrics: crate::metrics::GroupMetrics,
}

/// How many forwarded handles a (group, topic) remembers.
pub(crate) const FORWARDED_MEMORY: usize = 1024;

impl Sub {
    /// A delivery was settled (acked or dead-lettered).
    pub fn settled(&self) {
        if self.orderly.load(Ordering::Relaxed) {
            self.changed.notify_waiters();
        }
    }
}

pub(crate) struct Inner {
    pub store: Arc<Store>,
    pub cfg: BrokerConfig,
    pub runtime: tokio::runtime::Handle,
    topics: Mutex<HashMap<Arc<str>, Arc<TopicRt>>>,
    subs: Mutex<HashMap<StateKey, Arc<Sub>>>,
    pub dedup: Dedup,
    pub timer: Timer,
    pub txn: Transactions,
    pub shutdown: watch::Sender<bool>,
    records_since_snapshot: AtomicU64,
    snapshot_wanted: Notify,
    last_snapshot: tokio::sync::Mutex<Instant>,
}

impl Inner {
    pub fn check_open(&self) -> Result<()> {
        if *self.shutdown.borrow() {
            return Err(BrokerError::Closed);
        }
        Ok(())
    }

    pub fn topic_rt(&self, key: &Arc<str>) -> Arc<TopicRt> {
        let mut topics = lock(&self.topics);
        Arc::clone(topics.entry(Arc::clone(key)).or_default())
    }

    pub fn state_key(group: &GroupRef, topic: &TopicRef) -> StateKey {
        (Arc::clone(group.key()), Arc::clone(topic.key()))
    }

    /// The progress of (group, topic), created empty if new.
    pub fn sub(&self, key: &StateKey) -> Arc<Sub> {
        let mut subs = lock(&self.subs);
        Arc::clone(subs.entry(key.clone()).or_default())
    }

    /// Every topic used since start, for metrics.
    pub fn topics_snapshot(&self) -> Vec<(Arc<str>, Arc<TopicRt>)> {
        lock(&self.topics)
            .iter()
            .map(|(k, t)| (Arc::clone(k), Arc::clone(t)))
            .collect()
    }

    /// Every (group, topic) with progress, for metrics.
    pub fn subs_snapshot(&self) -> Vec<(StateKey, Arc<Sub>)> {
        lock(&self.subs)
            .iter()
            .map(|(k, s)| (k.clone(), Arc::clone(s)))
            .collect()
    }

    /// The progress of (group, topic) if the group ever received from the topic.
    pub fn existing_sub(&self, key: &StateKey) -> Option<Arc<Sub>> {
        lock(&self.subs).get(key).cloned()
    }

    /// Counts a submitted progress record and asks for a snapshot when enough piled up.
    pub fn count_record(&self) {
        let n = self.records_since_snapshot.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= self.cfg.snapshot_every_records {
            self.snapshot_wanted.notify_one();
        }
    }

    async fn snapshot_due(&self) -> bool {
        let since = self.last_snapshot.lock().await.elapsed();
        let records = self.records_since_snapshot.load(Ordering::Relaxed);
        records >= self.cfg.snapshot_every_records
            || (records > 0 && since >= self.cfg.snapshot_interval)
            || since >= self.cfg.snapshot_max_age
    }

    /// Writes a snapshot of every group's progress and waits until it is durable.
    pub async fn snapshot(&self) -> Result<()> {
        let mut last = self.last_snapshot.lock().await;
        let pending = self.records_since_snapshot.load(Ordering::Relaxed);
        let cut = journal::snapshot_cut(&self.store);
        let subs: Vec<(StateKey, Arc<Sub>)> = lock(&self.subs)
            .iter()
            .map(|(k, s)| (k.clone(), Arc::clone(s)))
            .collect();
        let states: Vec<(StateKey, GroupTopicState)> = subs
            .into_iter()
            .map(|(k, s)| {
                let state = lock(&s.state).clone();
                (k, state)
            })
            .collect();
        journal::append_snapshot(&self.store, &states, cut).await?;
        self.records_since_snapshot
            .fetch_sub(pending, Ordering::Relaxed);
        *last = Instant::now();
        tracing::debug!(
            states = states.len(),
            replay_from = cut,
            "consumer progress snapshot written"
        );
        Ok(())
    }
}

async fn background(inner: Arc<Inner>) {
    let mut shutdown = inner.shutdown.subscribe();
    let tick = Duration::from_millis(500).min(inner.cfg.snapshot_interval);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = inner.snapshot_wanted.notified() => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
        inner.dedup.prune();
        if inner.snapshot_due().await
            && let Err(e) = inner.snapshot().await
        {
            tracing::warn!(error = %e, "consumer progress snapshot failed; will retry");
        }
    }
}

/// Lag of one queue for one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStats {
    /// Queue id.
    pub queue_id: u32,
    /// Earliest offset still in the store.
    pub min_offset: u64,
    /// One past the newest message.
    pub max_offset: u64,
    /// First offset the group has not finished (where a new group starts: `min_offset`).
    pub consume_offset: u64,
    /// Deliveries awaiting their ack whose invisible time has not ended.
    pub inflight: u64,
    /// Messages the group can receive now (including expired deliveries).
    pub ready: u64,
    /// Store time of the oldest message the group has not finished (the one at
    /// `consume_offset`), ms since the epoch; `None` when it has finished everything, or when
    /// that message could not be read (then the lag is unknown, never zero).
    pub oldest_unconsumed_ms: Option<i64>,
}

/// Lag of one group on one topic: the sums over its queues, and each queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupTopicStats {
    /// Messages ready to be received.
    pub ready: u64,
    /// Deliveries in flight.
    pub inflight: u64,
    /// Store time of the oldest message the group has not finished in any queue; `None` when
    /// nothing is left (`ready + inflight == 0`) or when it could not be determined (a
    /// queue with messages left whose oldest could not be read). Check [`Self::pending`].
    pub oldest_unconsumed_ms: Option<i64>,
    /// Per queue, `0..queue_count`.
    pub queues: Vec<QueueStats>,
}

impl GroupTopicStats {
    /// Messages the group has not finished (ready or in flight).
    pub fn pending(&self) -> u64 {
        self.ready + self.inflight
    }

    /// How far behind the group is at `now_ms`: the age of its oldest unfinished message,
    /// `Some(0)` when nothing is left, `None` when unknown.
    pub fn delivery_lag_ms(&self, now_ms: i64) -> Option<u64> {
        if self.pending() == 0 {
            return Some(0);
        }
        self.oldest_unconsumed_ms
            .map(|t| u64::try_from(now_ms.saturating_sub(t)).unwrap_or(0))
    }
}

/// The messaging semantics of Petrel over a [`Store`]; see the crate documentation.
///
/// Share it as `Arc<Broker>`; every method takes `&self`. Must be opened inside a Tokio
/// runtime. Call [`Broker::close`] before closing the store.
pub struct Broker {
    inner: Arc<Inner>,
    background: Mutex<Vec<JoinHandle<()>>>,
    subscriptions: crate::subscriptions::Subscriptions,
}

impl Broker {
    /// Opens the broker over `store`: loads the latest consumer-progress snapshot, replays the
    /// progress records after it and starts the background task. Must be called inside a Tokio
    /// runtime (the background task and send completions run on it). Blocks while replaying
    /// (bounded by `snapshot_every_records` records).
    pub fn open(store: Arc<Store>, config: BrokerConfig) -> Result<Broker> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            BrokerError::Internal("the broker must be opened inside a tokio runtime".into())
        })?;
        let started = Instant::now();
        let loaded = journal::load(&store)?;
        tracing::info!(
            groups = loaded.states.len(),
            replayed = loaded.replayed,
            took_ms = started.elapsed().as_millis() as u64,
            "consumer progress loaded"
        );
        let mut states = loaded.states;
        let timer_state = states.entry(timer::timer_key()).or_default();
        let timer = Timer::load(&store, timer_state)?;
        let half_state = states.entry(txn::half_key()).or_default();
        let transactions = Transactions::load(&store, half_state, config.transaction_check_delay)?;
        let subs = states
            .into_iter()
            .map(|(k, state)| {
                let sub = Sub {
                    state: Mutex::new(state),
                    ..Sub::default()
                };
                (k, Arc::new(sub))
            })
            .collect();
        let (shutdown, _) = watch::channel(false);
        let inner = Arc::new(Inner {
            store,
            dedup: Dedup::new(config.dedup_window, config.dedup_capacity),
            timer,
            txn: transactions,
            cfg: config,
            runtime: runtime.clone(),
            topics: Mutex::new(HashMap::new()),
            subs: Mutex::new(subs),
            shutdown,
            records_since_snapshot: AtomicU64::new(loaded.replayed),
            snapshot_wanted: Notify::new(),
            last_snapshot: tokio::sync::Mutex::new(Instant::now()),
        });
        let tasks = vec![
            runtime.spawn(background(Arc::clone(&inner))),
            runtime.spawn(timer::run(Arc::clone(&inner))),
            runtime.spawn(txn::run(Arc::clone(&inner))),
        ];
        Ok(Broker {
            inner,
            background: Mutex::new(tasks),
            subscriptions: crate::subscriptions::Subscriptions::default(),
        })
    }

    /// Which groups consume which topics, as their clients report it.
    pub fn subscriptions(&self) -> &crate::subscriptions::Subscriptions {
        &self.subscriptions
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// The configuration in use.
    pub fn config(&self) -> &BrokerConfig {
        &self.inner.cfg
    }

    /// Sends a batch of messages to `topic` (all-or-nothing) and returns one receipt per
    /// message, in order, once they are durable (per the store's flush mode; no runtime thread
    /// waits for the fsync). Every message is validated first (spec §12 limits, type against
    /// the topic's type). DELAY messages not yet due wait in the delay timer; TRANSACTION
    /// messages are stored as half messages and their receipts carry the transaction id.
    ///
    /// A message whose id was already stored in `topic` (a retried send) is not stored again:
    /// its receipt is the original's, with `duplicate = true`. This holds for ids sent within
    /// `dedup_window`, also across a restart (see [`BrokerConfig::dedup_window`]).
    pub async fn send(
        &self,
        topic: &TopicRef,
        messages: Vec<OutgoingMessage>,
    ) -> Result<Vec<SendReceipt>> {
        crate::send::send(&self.inner, topic, messages).await
    }

    /// Receives up to `request.batch_size` messages for `group` from `topic` (POP semantics:
    /// within a group each message goes to one receiver at a time; every group gets every
    /// message). Expired deliveries come first (with `delivery_attempt` incremented and a new
    /// handle; after the last attempt of `request.retry` to the dead-letter queue instead),
    /// then messages never delivered to the group, round-robin over queues. With
    /// `request.orderly`, message groups are delivered in order (see the crate docs).
    ///
    /// If nothing is ready it waits up to `request.long_polling_timeout` and answers as soon as
    /// a matching message arrives or a delivery expires; an empty vector means nothing arrived
    /// in time (or the broker is closing). The front end clamps the timeout (spec §8).
    pub async fn receive(
        &self,
        group: &GroupRef,
        topic: &TopicRef,
        request: &ReceiveRequest,
    ) -> Result<Vec<Delivered>> {
        crate::receive::receive(&self.inner, group, topic, request).await
    }

    /// Acknowledges one delivery; once this returns `Ok` the ack is durable and the message is
    /// never delivered to the group again. A malformed, stale (acked, changed, delivered again)
    /// or foreign handle is refused with `INVALID_RECEIPT_HANDLE`. A handle stays valid after
    /// its invisible time ended, until the message is delivered again.
    pub async fn ack(
        &self,
        group: &GroupRef,
        topic: &TopicRef,
        receipt_handle: &str,
    ) -> Result<()> {
        let mut results = self.ack_many(group, topic, &[receipt_handle]).await;
        results.pop().unwrap_or(Ok(()))
    }

    /// Acknowledges several deliveries with one durable record; one result per handle, in
    /// order (an `AckMessageRequest` has several entries).
    pub async fn ack_many(
        &self,
        group: &GroupRef,
        topic: &TopicRef,
        receipt_handles: &[&str],
    ) -> Vec<Result<()>> {
        crate::settle::ack_many(&self.inner, group, topic, receipt_handles).await
    }

    /// Makes a delivery invisible for `invisible_duration` from now (0 makes it visible at
    /// once: a negative ack) and returns its new handle; the old one becomes invalid. The
    /// delivery attempt is unchanged (it increments when the message is delivered again).
    pub async fn change_invisible_duration(
        &self,
        group: &GroupRef,
        topic: &TopicRef,
        receipt_handle: &str,
        invisible_duration: Duration,
    ) -> Result<InvisibleChanged> {
        crate::settle::change_invisible(
            &self.inner,
            group,
            topic,
            receipt_handle,
            invisible_duration,
        )
        .await
    }

    /// Moves the delivery holding `receipt_handle` to the group's dead-letter queue now
    /// (ForwardMessageToDeadLetterQueue: push consumers send it for FIFO messages whose local
    /// retries failed). Durable when it returns; the handle is then stale.
    pub async fn forward_to_dead_letter_queue(
        &self,
        group: &GroupRef,
        topic: &TopicRef,
        receipt_handle: &str,
    ) -> Result<()> {
        crate::dlq::forward(&self.inner, group, topic, receipt_handle).await
    }

    /// A page of `group`'s dead letters, oldest first, from `from` (a [`DeadLetterPage::next`];
    /// `None` starts at the oldest retained), at most `limit` (1..=1000).
    pub fn dead_letters(
        &self,
        group: &GroupRef,
        from: Option<u64>,
        limit: usize,
    ) -> Result<DeadLetterPage> {
        crate::dlq::list(&self.inner, group, from, limit)
    }

    /// One dead letter of `group` by its [`DeadLetter::dlq_offset`]; `NOT_FOUND` if there is
    /// none.
    pub fn dead_letter(&self, group: &GroupRef, dlq_offset: u64) -> Result<DeadLetter> {
        crate::dlq::get(&self.inner, group, dlq_offset)
    }

    /// Re-sends a dead letter to its group: the original message (from `topic`, which must be
    /// where it came from) becomes deliverable to `group` again, from attempt 1; other groups
    /// are unaffected. Once per dead letter (`PRECONDITION_FAILED` after); the original must
    /// still be retained. Durable when it returns.
    pub async fn resend_dead_letter(
        &self,
        group: &GroupRef,
        topic: &TopicRef,
        dlq_offset: u64,
    ) -> Result<()> {
        crate::dlq::resend(&self.inner, group, topic, dlq_offset).await
    }

    /// Lag of `group` on `topic` (a group that never received starts at the earliest offset,
    /// so everything retained counts as ready).
    pub fn group_topic_stats(&self, group: &GroupRef, topic: &TopicRef) -> Result<GroupTopicStats> {
        same_namespace(group, topic)?;
        self.inner
            .topic_rt(topic.key())
            .metrics
            .note_spec(topic.spec());
        let key = Inner::state_key(group, topic);
        let sub = self.inner.existing_sub(&key);
        let state = sub.as_ref().map(|s| lock(&s.state).clone());
        let now = now_ms();
        let mut out = GroupTopicStats {
            ready: 0,
            inflight: 0,
            oldest_unconsumed_ms: None,
            queues: Vec::new(),
        };
        let mut oldest_known = true;
        for q in 0..topic.spec().queue_count {
            let (min, max) = self.inner.store.queue_offsets(topic.store_topic(), q);
            let progress = state.as_ref().and_then(|s| s.queues.get(&q));
            let (consume, inflight, finished) = match progress {
                None => (min, 0, 0),
                Some(p) => {
                    let consume = p.consume.clamp(min, max);
                    let inflight = p
                        .inflight
                        .range(consume..max)
                        .filter(|(_, f)| f.deadline_ms > now)
                        .count() as u64;
                    let finished = p.done.count();
                    (consume, inflight, finished)
                }
            };
            let ready = (max - consume).saturating_sub(inflight + finished);
            let oldest = if ready + inflight > 0 {
                let t = crate::offsets::store_time(&self.inner, topic, q, consume);
                oldest_known &= t.is_some();
                t
            } else {
                None
            };
            if let Some(t) = oldest {
                out.oldest_unconsumed_ms = Some(out.oldest_unconsumed_ms.map_or(t, |o| o.min(t)));
            }
            out.ready += ready;
            out.inflight += inflight;
            out.queues.push(QueueStats {
                queue_id: q,
                min_offset: min,
                max_offset: max,
                consume_offset: consume,
                inflight,
                ready,
                oldest_unconsumed_ms: oldest,
            });
        }
        if !oldest_known {
            // One queue's oldest is unknown, so the minimum over all queues is too.
            out.oldest_unconsumed_ms = None;
        }
        Ok(out)
    }

    /// Resets `group`'s progress on `topic`, every queue, to `target` and returns where each
    /// queue now starts. Durable when it returns (survives a restart); deliveries in flight
    /// become stale. A group that never received from the topic starts there too.
    pub async fn reset_offset(
        &self,
        group: &GroupRef,
        topic: &TopicRef,
        target: ResetTarget,
    ) -> Result<Vec<QueueReset>> {
        crate::offsets::reset(&self.inner, group, topic, target).await
    }

    /// The newest message of `topic` with id `message_id`, with where each of `groups` stands
    /// with it; `None` if the store holds none.
    pub fn message_by_id(
        &self,
        topic: &TopicRef,
        message_id: &str,
        groups: &[GroupRef],
    ) -> Result<Option<QueriedMessage>> {
        crate::query::by_id(&self.inner, topic, message_id, groups)
    }

    /// Messages of `topic` carrying `key`, newest first, at most `limit`
    /// (1..=[`MAX_QUERY_MESSAGES`](crate::MAX_QUERY_MESSAGES)); `truncated` says more may exist.
    pub fn messages_by_key(
        &self,
        topic: &TopicRef,
        key: &str,
        limit: usize,
        groups: &[GroupRef],
    ) -> Result<MessagePage> {
        crate::query::by_key(&self.inner, topic, key, limit, groups)
    }

    /// Messages of `topic` stored in `start_ms..=end_ms`, oldest first, at most `limit`
    /// (1..=[`MAX_QUERY_MESSAGES`](crate::MAX_QUERY_MESSAGES)), continuing after `after` (a
    /// previous page's `next`).
    pub fn messages_by_time(
        &self,
        topic: &TopicRef,
        start_ms: i64,
        end_ms: i64,
        limit: usize,
        after: Option<TimeCursor>,
        groups: &[GroupRef],
    ) -> Result<MessagePage> {
        crate::query::by_time(&self.inner, topic, start_ms, end_ms, limit, after, groups)
    }

    /// Ends the transaction `transaction_id` (from the send's receipt) of message `message_id`
    /// (empty: not checked) sent to `topic`: a commit delivers the half message, a rollback
    /// discards it. Durable when it returns. A transaction that is unknown, of another topic
    /// or message, or already ended is refused with `INVALID_TRANSACTION_ID`.
    pub async fn end_transaction(
        &self,
        topic: &TopicRef,
        message_id: &str,
        transaction_id: &str,
        resolution: TransactionResolution,
    ) -> Result<()> {
        txn::end(&self.inner, topic, message_id, transaction_id, resolution).await
    }

    /// The orphaned-transaction checks published from now on: each should reach a live
    /// producer of the topic, which answers with [`Broker::end_transaction`].
    pub fn transaction_checks(&self) -> tokio::sync::broadcast::Receiver<TransactionCheck> {
        self.inner.txn.subscribe()
    }

    /// Transactions neither committed nor rolled back yet.
    pub fn pending_transactions(&self) -> usize {
        self.inner.txn.pending()
    }

    /// RecallMessage: cancels the DELAY message of `handle` (from its [`SendReceipt`]) sent to
    /// `topic` before it is delivered, and returns its message id. Durable when it returns: the
    /// message is never delivered, also after a restart. A handle that is malformed is refused
    /// with `BAD_REQUEST`; one whose message was delivered, recalled already, or never sent to
    /// `topic` with `NOT_FOUND`.
    pub async fn recall(&self, topic: &TopicRef, handle: &str) -> Result<String> {
        timer::recall(&self.inner, topic, handle).await
    }

    /// Delayed messages waiting for their delivery time.
    pub fn pending_delayed(&self) -> usize {
        self.inner.timer.pending()
    }

    /// Writes a consumer-progress snapshot now (shortens the next open's replay).
    pub async fn checkpoint(&self) -> Result<()> {
        self.inner.snapshot().await
    }

    /// Stops the broker: wakes long-polling receivers (they answer empty), stops the
    /// background task and writes a final snapshot. Later calls fail with
    /// [`BrokerError::Closed`]. The store stays open (it is the caller's).
    pub async fn close(&self) -> Result<()> {
        if self.inner.shutdown.send_replace(true) {
            return Ok(());
        }
        self.stop_background().await;
        self.inner.snapshot().await
    }

    /// Stops the broker the way a crash would: no final snapshot. For recovery tests; the
    /// progress acknowledged so far is durable exactly as after a crash.
    #[doc(hidden)]
    pub async fn abandon(self) {
        self.inner.shutdown.send_replace(true);
        self.stop_background().await;
    }

    async fn stop_background(&self) {
        let tasks = std::mem::take(&mut *lock(&self.background));
        for task in tasks {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.inner.shutdown.send_replace(true);
        for task in lock(&self.background).drain(..) {
            task.abort();
        }
    }
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("groups", &lock(&self.inner.subs).len())
            .field("closed", &*self.inner.shutdown.borrow())
            .finish()
    }
}
