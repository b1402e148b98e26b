//! Console sessions: server-side records keyed by a random token in an HttpOnly, SameSite=Strict
//! cookie, each with its own CSRF token; and the sign-in throttle that slows repeated failures.
//!
//! Sessions live in memory: a restart signs everyone out, which is the safe direction, and a
//! sign-out (or an idle timeout) revokes the record so a copied cookie stops working at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use petrel_service::Identity;
use subtle::ConstantTimeEq;

/// The cookie that carries the session token.
pub const COOKIE: &str = "petrel_console";

/// A session idle for this long is revoked.
const IDLE: Duration = Duration::from_secs(60 * 60);

/// Failures allowed before sign-in slows down.
const FREE_FAILURES: u32 = 3;

/// The longest wait imposed after repeated failures.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// One signed-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// The account signed into.
    pub account_id: String,
    /// Root or a RAM user.
    pub identity: Identity,
    /// What the header shows (`root@petrel`, `alice@petrel`).
    pub login_name: String,
    /// The token every change must carry back.
    pub csrf: String,
    last_seen: Instant,
}

impl Session {
    /// Whether `presented` is this session's CSRF token (constant time).
    pub fn csrf_matches(&self, presented: &str) -> bool {
        bool::from(self.csrf.as_bytes().ct_eq(presented.as_bytes()))
    }
}

/// All sessions of this process.
#[derive(Debug, Default)]
pub struct Sessions {
    by_token: Mutex<HashMap<String, Session>>,
}

fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

impl Sessions {
    /// Opens a session and returns its cookie token.
    pub fn open(&self, account_id: String, identity: Identity, login_name: String) -> String {
        let token = random_token();
        let session = Session {
            account_id,
            identity,
            login_name,
            csrf: random_token(),
            last_seen: Instant::now(),
        };
        let mut map = self.by_token.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, s| s.last_seen.elapsed() < IDLE);
        map.insert(token.clone(), session);
        token
    }

    /// The live session of `token`, refreshing its idle clock.
    pub fn get(&self, token: &str) -> Option<Session> {
        let mut map = self.by_token.lock().unwrap_or_else(|e| e.into_inner());
        let session = map.get_mut(token)?;
        if session.last_seen.elapsed() >= IDLE {
            map.remove(token);
            return None;
        }
        session.last_seen = Instant::now();
        Some(session.clone())
    }

    /// Revokes a session (sign-out).
    pub fn revoke(&self, token: &str) {
        let mut map = self.by_token.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(token);
    }

    /// Revokes every session of one identity (its password changed or it was deleted).
    pub fn revoke_identity(&self, account_id: &str, identity: &Identity) {
        let mut map = self.by_token.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, s| !(s.account_id == account_id && &s.identity == identity));
    }

    /// How many sessions are open (for tests).
    pub fn len(&self) -> usize {
        self.by_token.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether no session is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The token in a `Cookie` header, if any.
pub fn token_from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|part| part.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

/// The `Set-Cookie` value for a new session.
pub fn set_cookie(token: &str) -> String {
    format!("{COOKIE}={token}; Path=/console; HttpOnly; SameSite=Strict")
}

/// The `Set-Cookie` value that clears the session cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0")
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// Per login name: after a few failures each further attempt must wait, doubling up to a
/// minute. Keyed by the name tried so one attacker cannot lock out other users by guessing theirs
/// only for long; a success clears it.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Failures>>,
}

impl Throttle {
    /// How long `login_name` must still wait before its next attempt, if at all.
    pub fn wait(&self, login_name: &str) -> Option<Duration> {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let f = map.get(&login_name.to_ascii_lowercase())?;
        let required = Self::required_wait(f.count)?;
        let elapsed = f.last.elapsed();
        (elapsed < required).then(|| required - elapsed)
    }

    fn required_wait(count: u32) -> Option<Duration> {
        let over = count.checked_sub(FREE_FAILURES)?.checked_sub(1)?;
        let secs = 1u64.checked_shl(over.min(16)).unwrap_or(u64::MAX);
        Some(Duration::from_secs(secs).min(MAX_WAIT))
    }

    /// Records a failed attempt.
    pub fn fail(&self, login_name: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map
            .entry(login_name.to_ascii_lowercase())
            .or_insert(Failures {
                count: 0,
                last: Instant::now(),
            });
        entry.count = entry.count.saturating_add(1);
        entry.last = Instant::now();
    }

    /// Clears the failures of `login_name` after a success.
    pub fn succeed(&self, login_name: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&login_name.to_ascii_lowercase());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn revoked_session_is_gone() {
        let s = Sessions::default();
        let t = s.open("1".into(), Identity::Root, "root@a".into());
        assert!(s.get(&t).is_some());
        s.revoke(&t);
        assert!(s.get(&t).is_none());
    }

    #[test]
    fn csrf_must_match_exactly() {
        let s = Sessions::default();
        let t = s.open("1".into(), Identity::Root, "root@a".into());
        let session = s.get(&t).unwrap();
        assert!(session.csrf_matches(&session.csrf.clone()));
        assert!(!session.csrf_matches(""));
        assert!(!session.csrf_matches("x"));
    }

    #[test]
    fn cookie_token_is_found_among_others() {
        assert_eq!(
            token_from_cookie_header("a=1; petrel_console=abc; b=2"),
            Some("abc")
        );
        assert_eq!(token_from_cookie_header("a=1"), None);
    }

    #[test]
    fn sign_in_slows_down_after_three_failures() {
        let t = Throttle::default();
        for _ in 0..3 {
            assert!(t.wait("Alice").is_none());
            t.fail("alice");
        }
        assert!(t.wait("alice").is_none());
        t.fail("alice");
        let wait = t.wait("ALICE").unwrap();
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO);
        t.fail("alice");
        assert!(t.wait("alice").unwrap() > Duration::from_secs(1));
        t.succeed("alice");
        assert!(t.wait("alice").is_none());
    }
}
