//! Per-key rate limiting (a token bucket per bearer token, and per account name for sign-in
//! attempts), so one runaway client or a password guesser cannot crowd out the rest.
//! The time is passed in, so the limiter is tested without waiting.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Token buckets by key.
#[derive(Debug)]
pub struct RateLimiter {
    capacity: f64,
    per_second: f64,
    buckets: HashMap<String, (f64, Instant)>,
}

impl RateLimiter {
    /// A limiter allowing bursts of `capacity` requests and `per_second` on average.
    pub fn new(capacity: u32, per_second: f64) -> RateLimiter {
        RateLimiter {
            capacity: f64::from(capacity.max(1)),
            per_second: per_second.max(0.001),
            buckets: HashMap::new(),
        }
    }

    /// Takes one request for `key` at `now`: `Ok` when allowed, else how long to wait.
    pub fn take(&mut self, key: &str, now: Instant) -> Result<(), Duration> {
        if self.buckets.len() > 100_000 {
            // Forget full buckets so the map cannot grow without bound.
            let (capacity, per_second) = (self.capacity, self.per_second);
            self.buckets.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * per_second < capacity
            });
        }
        let (tokens, at) = self
            .buckets
            .entry(key.to_string())
            .or_insert((self.capacity, now));
        let refilled = (*tokens
            + now.saturating_duration_since(*at).as_secs_f64() * self.per_second)
            .min(self.capacity);
        *at = now;
        if refilled >= 1.0 {
            *tokens = refilled - 1.0;
            Ok(())
        } else {
            *tokens = refilled;
            Err(Duration::from_secs_f64((1.0 - refilled) / self.per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_requests_wait_for_the_refill() {
        let mut limiter = RateLimiter::new(3, 2.0);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take("a", start), Ok(()));
        }
        let wait = limiter.take("a", start).expect_err("bucket empty");
        assert_eq!(wait, Duration::from_millis(500));
        // Another key has its own bucket.
        assert_eq!(limiter.take("b", start), Ok(()));
        assert_eq!(
            limiter.take("a", start + Duration::from_millis(500)),
            Ok(())
        );
        assert!(limiter
            .take("a", start + Duration::from_millis(500))
            .is_err());
    }
}
