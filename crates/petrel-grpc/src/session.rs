//! Client sessions, keyed by account and `x-mq-client-id` (spec §14): the client's latest
//! settings, when it was last heard from, and the sender of its Telemetry stream (the way to
//! push commands to it: orphaned-transaction checks go to the producers whose settings list
//! the topic).
//!
//! A session is created by the first call of a client and dropped by NotifyClientTermination.
//! Sessions without a Telemetry stream that have been silent for [`IDLE`] are pruned whenever a
//! new one is created, so the table stays bounded by the clients actually alive.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use petrel_proto::v2;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// What a Telemetry stream sends to its client.
pub(crate) type TelemetrySender = mpsc::Sender<Result<v2::TelemetryCommand, tonic::Status>>;

/// A session silent this long without an open Telemetry stream is forgotten.
pub(crate) const IDLE: Duration = Duration::from_secs(600);

/// One client.
#[derive(Debug)]
pub(crate) struct Session {
    /// The client's type, from its settings or heartbeat (`ClientType` value).
    pub client_type: i32,
    /// The settings the client last sent, as merged and answered.
    pub settings: Option<v2::Settings>,
    /// Last call seen.
    pub last_seen: Instant,
    /// The open Telemetry stream, if any.
    pub telemetry: Option<TelemetrySender>,
}

type Key = (String, String);

/// Every client session of the server.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    map: Mutex<HashMap<Key, Session>>,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Session>> {
        // A poisoned table only holds sessions, which stay valid.
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn entry<'a>(
        map: &'a mut HashMap<Key, Session>,
        account: &str,
        client_id: &str,
    ) -> &'a mut Session {
        let key = (account.to_owned(), client_id.to_owned());
        if !map.contains_key(&key) {
            let now = Instant::now();
            map.retain(|_, s| {
                s.telemetry.as_ref().is_some_and(|t| !t.is_closed())
                    || now.duration_since(s.last_seen) < IDLE
            });
        }
        map.entry(key).or_insert_with(|| Session {
            client_type: 0,
            settings: None,
            last_seen: Instant::now(),
            telemetry: None,
        })
    }

    /// Records a call of the client (a heartbeat, any request): creates or refreshes its session.
    pub fn touch(&self, account: &str, client_id: &str, client_type: Option<i32>) {
        if client_id.is_empty() {
            return;
        }
        let mut map = self.lock();
        let s = Self::entry(&mut map, account, client_id);
        s.last_seen = Instant::now();
        if let Some(t) = client_type.filter(|t| *t != 0) {
            s.client_type = t;
        }
    }

    /// Stores the settings answered to the client and the stream they came on.
    pub fn set_settings(
        &self,
        account: &str,
        client_id: &str,
        settings: v2::Settings,
        telemetry: &TelemetrySender,
    ) {
        if client_id.is_empty() {
            return;
        }
        let mut map = self.lock();
        let s = Self::entry(&mut map, account, client_id);
        s.last_seen = Instant::now();
        if let Some(t) = settings.client_type.filter(|t| *t != 0) {
            s.client_type = t;
        }
        s.settings = Some(settings);
        s.telemetry = Some(telemetry.clone());
    }

    /// Forgets the Telemetry stream `telemetry` of the client if it is still the current one
    /// (a reconnected client may already have a newer stream).
    pub fn detach_telemetry(&self, account: &str, client_id: &str, telemetry: &TelemetrySender) {
        let mut map = self.lock();
        if let Some(s) = map.get_mut(&(account.to_owned(), client_id.to_owned()))
            && s.telemetry
                .as_ref()
                .is_some_and(|t| t.same_channel(telemetry))
        {
            s.telemetry = None;
        }
    }

    /// The open Telemetry streams of the producers of `account` that publish `topic` of
    /// `instance` (a topic listed without namespace matches any instance: the Rust SDK cannot
    /// send one), with the namespace each listed it under.
    pub fn producers_of(
        &self,
        account: &str,
        instance: &str,
        topic: &str,
    ) -> Vec<(TelemetrySender, String)> {
        let map = self.lock();
        let mut out = Vec::new();
        for ((acc, _), s) in map.iter() {
            let (Some(tx), Some(settings)) = (&s.telemetry, &s.settings) else {
                continue;
            };
            if acc != account || tx.is_closed() {
                continue;
            }
            let Some(v2::settings::PubSub::Publishing(p)) = &settings.pub_sub else {
                continue;
            };
            let listed = p.topics.iter().find(|r| {
                r.name == topic
                    && (r.resource_namespace.is_empty() || r.resource_namespace == instance)
            });
            if let Some(r) = listed {
                out.push((tx.clone(), r.resource_namespace.clone()));
            }
        }
        out
    }

    /// The SDK the client's settings named.
    pub fn user_agent(&self, account: &str, client_id: &str) -> Option<v2::Ua> {
        self.lock()
            .get(&(account.to_owned(), client_id.to_owned()))
            .and_then(|s| s.settings.as_ref()?.user_agent.clone())
    }

    /// Drops the session of a terminating client.
    pub fn remove(&self, account: &str, client_id: &str) {
        self.lock()
            .remove(&(account.to_owned(), client_id.to_owned()));
    }

    /// Forgets every Telemetry stream (server shutdown: their responses can then end).
    pub fn close_all(&self) {
        for s in self.lock().values_mut() {
            s.telemetry = None;
        }
    }

    /// The settings last answered to a client.
    #[cfg(test)]
    pub fn settings(&self, account: &str, client_id: &str) -> Option<v2::Settings> {
        self.lock()
            .get(&(account.to_owned(), client_id.to_owned()))
            .and_then(|s| s.settings.clone())
    }

    /// Number of sessions.
    pub fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sessions_are_per_account_and_forget_their_stream() {
        let sessions = Sessions::default();
        let (tx, _rx) = mpsc::channel(1);
        sessions.set_settings("a", "c1", v2::Settings::default(), &tx);
        sessions.touch("b", "c1", Some(1));
        assert_eq!(sessions.len(), 2);
        assert!(sessions.settings("a", "c1").is_some());
        assert!(sessions.settings("b", "c1").is_none());
        let (other, _rx2) = mpsc::channel(1);
        sessions.detach_telemetry("a", "c1", &other);
        assert!(
            sessions.lock()[&("a".into(), "c1".into())]
                .telemetry
                .is_some()
        );
        sessions.detach_telemetry("a", "c1", &tx);
        assert!(
            sessions.lock()[&("a".into(), "c1".into())]
                .telemetry
                .is_none()
        );
        sessions.remove("a", "c1");
        assert_eq!(sessions.len(), 1);
    }
}
