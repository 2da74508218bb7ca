//! Rate limiting per API token and, for anonymous callers, per client address: a token
//! bucket per caller that refills continuously, with a separate, lower budget for writes.
//!
//! Buckets live in this process's memory. Several processes behind a load balancer each
//! enforce the limit on the traffic they see, which bounds a caller at N × limit; that
//! is the documented trade-off for not needing a shared store.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Who a budget belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Caller {
    /// A bearer token, by the first half of its fingerprint (the token itself is never kept).
    Token(String),
    /// An anonymous caller's address.
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Budget {
    Requests,
    Writes,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Beyond this many tracked callers, idle buckets are forgotten.
const MAX_TRACKED: usize = 50_000;

/// The limiter. A limit of 0 turns that budget off.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    writes_per_minute: u32,
    buckets: Mutex<HashMap<(Caller, Budget), Bucket>>,
}

impl RateLimiter {
    /// Allows `per_minute` requests and `writes_per_minute` mutations per caller per minute.
    pub fn new(per_minute: u32, writes_per_minute: u32) -> Self {
        Self { per_minute, writes_per_minute, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one request (and one write, for a mutation) from `caller`'s budgets, or says
    /// how long to wait before trying again.
    pub fn check(&self, caller: &Caller, is_write: bool, now: Instant) -> Result<(), Duration> {
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        if buckets.len() > MAX_TRACKED {
            buckets.retain(|_, bucket| now.duration_since(bucket.updated) < Duration::from_secs(120));
        }
        let mut take = |budget: Budget, per_minute: u32| -> Result<(), Duration> {
            if per_minute == 0 {
                return Ok(());
            }
            let capacity = f64::from(per_minute);
            let per_second = capacity / 60.0;
            let bucket = buckets.entry((caller.clone(), budget)).or_insert(Bucket { tokens: capacity, updated: now });
            let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
            bucket.updated = now;
            if bucket.tokens >= 1.0 {
                bucket.tokens -= 1.0;
                Ok(())
            } else {
                Err(Duration::from_secs_f64(((1.0 - bucket.tokens) / per_second).max(1.0)))
            }
        };
        take(Budget::Requests, self.per_minute)?;
        if is_write {
            take(Budget::Writes, self.writes_per_minute)?;
        }
        Ok(())
    }
}
