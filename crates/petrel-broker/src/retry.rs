//! Retry policies of consumer groups: how many times a message is delivered before it goes to
//! the group's dead-letter queue, and how long a failed delivery waits before the next one.
//!
//! The catalogue owns each group's policy; the front end hands it to every receive (see
//! [`crate::ReceiveRequest::retry`]). The same policy goes to the clients in the Telemetry
//! settings reply, where the SDKs use it for the delays of their negative acks (spec §14).

use std::time::Duration;

/// Apache RocketMQ's default consumer backoff table (`messageDelayLevel` from level 3): the
/// wait after the 1st, 2nd, … failed attempt; the last entry repeats.
pub const DEFAULT_BACKOFF_TABLE_SECS: [u64; 18] = [
    1, 5, 10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200,
];

/// Apache's default: 16 retries, so 17 deliveries in all.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 17;

/// How long a failed delivery waits before the next attempt.
#[derive(Debug, Clone)]
pub enum Backoff {
    /// No wait beyond the invisible time (simple consumers: the invisible duration they ask
    /// for is their retry interval, as in ApsaraMQ).
    Immediate,
    /// `initial × multiplier^(n−1)` after the n-th failed attempt, at most `max`.
    Exponential {
        /// Wait after the first failure.
        initial: Duration,
        /// Longest wait.
        max: Duration,
        /// Growth per attempt (1 gives a fixed interval).
        multiplier: f64,
    },
    /// The n-th entry after the n-th failed attempt; the last entry repeats (spec §14's
    /// `customized_backoff`).
    Customized(Vec<Duration>),
}

impl PartialEq for Backoff {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Backoff::Immediate, Backoff::Immediate) => true,
            (
                Backoff::Exponential {
                    initial: a,
                    max: b,
                    multiplier: c,
                },
                Backoff::Exponential {
                    initial: x,
                    max: y,
                    multiplier: z,
                },
            ) => a == x && b == y && c.to_bits() == z.to_bits(),
            (Backoff::Customized(a), Backoff::Customized(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Backoff {}

impl Backoff {
    /// Apache's default table ([`DEFAULT_BACKOFF_TABLE_SECS`]).
    pub fn default_table() -> Backoff {
        Backoff::Customized(
            DEFAULT_BACKOFF_TABLE_SECS
                .iter()
                .map(|s| Duration::from_secs(*s))
                .collect(),
        )
    }

    /// A fixed interval (an exponential backoff with multiplier 1, which is how the SDKs
    /// understand it).
    pub fn fixed(interval: Duration) -> Backoff {
        Backoff::Exponential {
            initial: interval,
            max: interval,
            multiplier: 1.0,
        }
    }

    /// The wait after the `failed_attempt`-th delivery failed (1-based; 0 counts as 1).
    pub fn delay(&self, failed_attempt: u32) -> Duration {
        let n = failed_attempt.max(1);
        match self {
            Backoff::Immediate => Duration::ZERO,
            Backoff::Customized(table) => {
                let i = usize::try_from(n - 1).unwrap_or(usize::MAX);
                table
                    .get(i)
                    .or(table.last())
                    .copied()
                    .unwrap_or(Duration::ZERO)
            }
            Backoff::Exponential {
                initial,
                max,
                multiplier,
            } => {
                if !multiplier.is_finite() {
                    return *max;
                }
                let exp = i32::try_from(n - 1).unwrap_or(i32::MAX);
                let secs = initial.as_secs_f64() * multiplier.max(0.0).powi(exp);
                // NaN, infinity and overflow all mean "as long as allowed".
                Duration::try_from_secs_f64(secs).unwrap_or(*max).min(*max)
            }
        }
    }
}

/// A consumer group's retry policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Deliveries in all (the first plus the retries); a message whose last attempt failed
    /// goes to the dead-letter queue instead of being delivered again. 0 counts as 1.
    pub max_attempts: u32,
    /// The wait before a retry.
    pub backoff: Backoff,
}

impl Default for RetryPolicy {
    /// Apache's default: 17 attempts with the default backoff table.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            backoff: Backoff::default_table(),
        }
    }
}

impl RetryPolicy {
    /// `max_attempts` deliveries, each retried as soon as the invisible time ends.
    pub fn immediate(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            backoff: Backoff::Immediate,
        }
    }

    /// Deliveries in all, at least 1.
    pub fn attempts(&self) -> u32 {
        self.max_attempts.max(1)
    }

    /// The wait after delivery `attempt` ended unsettled, before the next attempt. The last
    /// attempt has none: its message goes to the dead-letter queue as soon as it failed.
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        if attempt >= self.attempts() {
            Duration::ZERO
        } else {
            self.backoff.delay(attempt)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_backoff_grows_and_caps() {
        let b = Backoff::Exponential {
            initial: Duration::from_secs(5),
            max: Duration::from_secs(60),
            multiplier: 2.0,
        };
        let secs: Vec<u64> = (1..=6).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(secs, vec![5, 10, 20, 40, 60, 60]);
        assert_eq!(b.delay(u32::MAX), Duration::from_secs(60));
        let weird = Backoff::Exponential {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(9),
            multiplier: f64::NAN,
        };
        assert_eq!(weird.delay(3), Duration::from_secs(9));
        assert_eq!(
            Backoff::fixed(Duration::from_secs(3)).delay(10),
            Duration::from_secs(3)
        );
    }

    #[test]
    fn customized_backoff_repeats_its_last_entry() {
        let b = Backoff::default_table();
        assert_eq!(b.delay(1), Duration::from_secs(1));
        assert_eq!(b.delay(4), Duration::from_secs(30));
        assert_eq!(b.delay(18), Duration::from_secs(7200));
        assert_eq!(b.delay(40), Duration::from_secs(7200));
        assert_eq!(Backoff::Customized(Vec::new()).delay(2), Duration::ZERO);
    }

    #[test]
    fn the_last_attempt_has_no_retry_delay() {
        let p = RetryPolicy {
            max_attempts: 3,
            backoff: Backoff::fixed(Duration::from_secs(2)),
        };
        assert_eq!(p.retry_delay(1), Duration::from_secs(2));
        assert_eq!(p.retry_delay(3), Duration::ZERO);
        assert_eq!(RetryPolicy::immediate(0).attempts(), 1);
    }
}
