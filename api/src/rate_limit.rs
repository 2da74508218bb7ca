//! Rate limiting: a token bucket per caller that refills continuously, with a separate,
//! lower budget for writes.
//!
//! Who a caller is depends on what the edge knows, in this order:
//! - before anything else, the client's address: anonymous requests spend the address's
//!   budget, and bearer strings that turn out not to be valid spend a second budget of
//!   the address ([`Caller::FailedSignIn`]), which is looked at *before* the token is
//!   looked up — so a stream of random bearer strings meets 429 without reaching the
//!   database (tokens that were valid lately skip that check, so members behind the
//!   same address are not locked out);
//! - then the valid token's member ([`Caller::Member`]), or the bot's own identity with
//!   its larger budget ([`Caller::Bot`]); a request the bot makes for a Discord user also
//!   spends that user's own budget ([`Caller::DiscordUser`]), so one user cannot use up
//!   the bot's.
//!
//! Buckets live in this process's memory, at most [`MAX_TRACKED`] of them: two
//! generations of keys, the older dropped whole when the newer fills, so memory and the
//! time of a check stay bounded whatever the number of distinct callers. Several
//! processes behind a load balancer each enforce the limit on the traffic they see,
//! which bounds a caller at N × limit; that is the documented trade-off for not needing
//! a shared store.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Who a budget belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Caller {
    /// An anonymous caller's address.
    Address(IpAddr),
    /// Bearer strings from this address that were not valid tokens.
    FailedSignIn(IpAddr),
    /// A member, by id, acting with their own token.
    Member(i64),
    /// The bot's identity, by member id.
    Bot(i64),
    /// A Discord user the bot acts for, by Discord id.
    DiscordUser(String),
    /// Sign-in attempts (asking for a code, typing one, accepting an invitation) from
    /// this address.
    SignIn(IpAddr),
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

impl Bucket {
    /// The bucket refilled up to `now`, at `per_minute`, never above `per_minute`.
    fn refilled(self, per_minute: u32, now: Instant) -> Self {
        let capacity = f64::from(per_minute);
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        Self { tokens: (self.tokens + elapsed * capacity / 60.0).min(capacity), updated: now }
    }

    /// How long until one token is there again, at `per_minute`.
    fn wait(self, per_minute: u32) -> Duration {
        Duration::from_secs_f64(((1.0 - self.tokens) * 60.0 / f64::from(per_minute)).max(1.0))
    }
}

/// Most buckets kept at once, across both generations.
pub const MAX_TRACKED: usize = 100_000;

type Key = (Caller, Budget);

/// A map that keeps at most `capacity` entries in two generations: lookups move a
/// key into the young one, and when it is full the old one is dropped whole. A key idle
/// for a whole generation is forgotten — for a bucket, it starts again full, which only
/// frees the budget of callers who stopped calling.
#[derive(Debug)]
struct Generations<K, V> {
    young: HashMap<K, V>,
    old: HashMap<K, V>,
    capacity: usize,
}

impl<K, V> Generations<K, V> {
    fn with_capacity(capacity: usize) -> Self {
        Self { young: HashMap::new(), old: HashMap::new(), capacity }
    }
}

impl<K: std::hash::Hash + Eq + Clone, V: Copy> Generations<K, V> {
    fn get(&mut self, key: &K) -> Option<V> {
        if let Some(value) = self.young.get(key) {
            return Some(*value);
        }
        let value = self.old.remove(key)?;
        self.put(key.clone(), value);
        Some(value)
    }

    fn put(&mut self, key: K, value: V) {
        if !self.young.contains_key(&key) && self.young.len() >= self.capacity / 2 {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, value);
    }

    fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }
}

type Buckets = Generations<Key, Bucket>;

/// The budgets per minute; 0 turns a budget off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Requests per minute for members, Discord users, anonymous addresses and failed
    /// sign-ins from one address.
    pub per_minute: u32,
    /// Mutations per minute, on top of the request budget.
    pub writes_per_minute: u32,
    /// Requests (and writes) per minute for the bot's identity.
    pub bot_per_minute: u32,
    /// Sign-in attempts per minute from one address.
    pub sign_in_per_minute: u32,
}

/// The limiter.
#[derive(Debug)]
pub struct RateLimiter {
    limits: Limits,
    buckets: Mutex<Buckets>,
    /// Fingerprints of tokens that were valid lately: they skip the address's
    /// failed-sign-in check, so invalid tokens sent from an address do not lock out the
    /// members who share it (a library branch behind one address).
    known_tokens: Mutex<Generations<String, ()>>,
}

impl RateLimiter {
    /// A limiter with these budgets.
    pub fn new(limits: Limits) -> Self {
        Self::tracking(limits, MAX_TRACKED)
    }

    /// A limiter that keeps at most `capacity` buckets and as many known tokens.
    fn tracking(limits: Limits, capacity: usize) -> Self {
        Self {
            limits,
            buckets: Mutex::new(Generations::with_capacity(capacity)),
            known_tokens: Mutex::new(Generations::with_capacity(capacity)),
        }
    }

    fn per_minute(&self, caller: &Caller, budget: Budget) -> u32 {
        match (caller, budget) {
            (Caller::Bot(_), _) => self.limits.bot_per_minute,
            (Caller::SignIn(_), _) => self.limits.sign_in_per_minute,
            (_, Budget::Requests) => self.limits.per_minute,
            (_, Budget::Writes) => self.limits.writes_per_minute,
        }
    }

    /// Takes one request (and then one write, for a mutation) from `caller`'s budgets, or
    /// says how long to wait before trying again. A mutation refused for its write budget
    /// has still spent a request: every request a caller sends counts.
    pub fn check(&self, caller: &Caller, is_write: bool, now: Instant) -> Result<(), Duration> {
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        let budgets: &[Budget] = if is_write { &[Budget::Requests, Budget::Writes] } else { &[Budget::Requests] };
        for budget in budgets {
            let per_minute = self.per_minute(caller, *budget);
            if per_minute == 0 {
                continue;
            }
            let key = (caller.clone(), *budget);
            let mut bucket = buckets
                .get(&key)
                .unwrap_or(Bucket { tokens: f64::from(per_minute), updated: now })
                .refilled(per_minute, now);
            let refused = bucket.tokens < 1.0;
            if !refused {
                bucket.tokens -= 1.0;
            }
            buckets.put(key, bucket);
            if refused {
                return Err(bucket.wait(per_minute));
            }
        }
        Ok(())
    }

    /// Whether `caller` has a request left, without taking it: how the edge refuses a
    /// bearer string from an address that has sent too many invalid ones, before it
    /// costs a database lookup.
    pub fn peek(&self, caller: &Caller, now: Instant) -> Result<(), Duration> {
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        let per_minute = self.per_minute(caller, Budget::Requests);
        if per_minute == 0 {
            return Ok(());
        }
        match buckets.get(&(caller.clone(), Budget::Requests)) {
            Some(bucket) => {
                let bucket = bucket.refilled(per_minute, now);
                buckets.put((caller.clone(), Budget::Requests), bucket);
                if bucket.tokens < 1.0 { Err(bucket.wait(per_minute)) } else { Ok(()) }
            }
            None => Ok(()),
        }
    }

    /// Takes one sign-in attempt from `address`'s budget, or says how long to wait: what
    /// stops one address trying codes, or flooding addresses with mail, faster than a
    /// person would.
    pub fn check_sign_in(&self, address: IpAddr, now: Instant) -> Result<(), Duration> {
        self.check(&Caller::SignIn(address), false, now)
    }

    /// Notes that the token with this fingerprint was valid.
    pub fn remember_valid(&self, fingerprint: &str) {
        if let Ok(mut known) = self.known_tokens.lock() {
            known.put(fingerprint.to_owned(), ());
        }
    }

    /// Whether the token with this fingerprint was valid lately.
    pub fn was_valid(&self, fingerprint: &str) -> bool {
        self.known_tokens.lock().is_ok_and(|mut known| known.get(&fingerprint.to_owned()).is_some())
    }

    /// How many buckets are kept now (never more than [`MAX_TRACKED`]).
    pub fn tracked(&self) -> usize {
        self.buckets.lock().map_or(0, |buckets| buckets.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_minute: u32, writes_per_minute: u32) -> RateLimiter {
        RateLimiter::new(Limits {
            per_minute,
            writes_per_minute,
            bot_per_minute: per_minute * 10,
            sign_in_per_minute: 10,
        })
    }

    fn address(n: u32) -> Caller {
        Caller::Address(IpAddr::from(n.to_be_bytes()))
    }

    #[test]
    fn a_caller_gets_its_budget_then_waits() {
        let limiter = limiter(3, 1);
        let now = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check(&Caller::Member(1), false, now).is_ok());
        }
        let wait = limiter.check(&Caller::Member(1), false, now).expect_err("over budget");
        assert!(wait >= Duration::from_secs(1));
        assert!(limiter.check(&Caller::Member(2), false, now).is_ok(), "another caller has its own budget");
    }

    #[test]
    fn a_bucket_refills_with_time() {
        let limiter = limiter(60, 60);
        let now = Instant::now();
        for _ in 0..60 {
            assert!(limiter.check(&Caller::Member(1), false, now).is_ok());
        }
        assert!(limiter.check(&Caller::Member(1), false, now).is_err());
        assert!(limiter.check(&Caller::Member(1), false, now + Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn writes_have_their_own_lower_budget_and_every_request_counts() {
        let limiter = limiter(3, 1);
        let now = Instant::now();
        assert!(limiter.check(&Caller::Member(1), true, now).is_ok());
        assert!(limiter.check(&Caller::Member(1), true, now).is_err(), "one write a minute");
        assert!(limiter.check(&Caller::Member(1), false, now).is_ok());
        assert!(limiter.check(&Caller::Member(1), false, now).is_err(), "the refused write spent a request");
    }

    #[test]
    fn the_bot_has_a_larger_budget_than_a_member() {
        let limiter = limiter(2, 2);
        let now = Instant::now();
        for _ in 0..20 {
            assert!(limiter.check(&Caller::Bot(9), false, now).is_ok());
        }
        assert!(limiter.check(&Caller::Bot(9), false, now).is_err());
    }

    #[test]
    fn peeking_takes_nothing_and_refuses_an_empty_bucket() {
        let limiter = limiter(2, 2);
        let now = Instant::now();
        let failed = Caller::FailedSignIn(IpAddr::from([127, 0, 0, 1]));
        assert!(limiter.peek(&failed, now).is_ok());
        assert!(limiter.peek(&failed, now).is_ok());
        assert!(limiter.check(&failed, false, now).is_ok());
        assert!(limiter.check(&failed, false, now).is_ok());
        assert!(limiter.peek(&failed, now).is_err());
    }

    #[test]
    fn a_limit_of_zero_turns_the_budget_off() {
        let limiter = limiter(0, 0);
        let now = Instant::now();
        for _ in 0..1000 {
            assert!(limiter.check(&Caller::Member(1), true, now).is_ok());
        }
        assert_eq!(limiter.tracked(), 0);
    }

    /// A small bound, so that filling it many times over takes milliseconds; the same code
    /// runs with [`MAX_TRACKED`] in the server.
    const CAPACITY: usize = 2_000;

    #[test]
    fn memory_stays_bounded_under_many_distinct_callers() {
        let limiter = RateLimiter::tracking(
            Limits { per_minute: 5, writes_per_minute: 5, bot_per_minute: 5, sign_in_per_minute: 5 },
            CAPACITY,
        );
        let now = Instant::now();
        for n in 0..(CAPACITY as u32 * 3 / 2) {
            let _ = limiter.check(&address(n), false, now);
            if n % 97 == 0 {
                assert!(limiter.tracked() <= CAPACITY);
            }
        }
        assert!(limiter.tracked() <= CAPACITY);
        assert!(limiter.tracked() >= CAPACITY / 2, "recent callers are still tracked");
    }

    #[test]
    fn a_busy_caller_keeps_its_spent_budget_while_others_come_and_go() {
        let limiter = RateLimiter::tracking(
            Limits { per_minute: 2, writes_per_minute: 2, bot_per_minute: 2, sign_in_per_minute: 2 },
            CAPACITY,
        );
        let now = Instant::now();
        let busy = Caller::Member(7);
        assert!(limiter.check(&busy, false, now).is_ok());
        assert!(limiter.check(&busy, false, now).is_ok());
        for n in 0..(CAPACITY as u32 * 20) {
            let _ = limiter.check(&address(n), false, now);
            if n % 100 == 0 {
                assert!(limiter.check(&busy, false, now).is_err(), "the busy caller stays limited");
            }
        }
    }
}
