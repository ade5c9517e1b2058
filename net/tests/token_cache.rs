//! The token cache, the caller token rule and redaction.

use segur_net::token::{AccessToken, CallerToken, TokenCache, TokenError, TokenProvider};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

struct Counting(AtomicU32, Duration);
impl TokenProvider for Counting {
    fn access_token(&self) -> Result<AccessToken, TokenError> {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        AccessToken::new(format!("tok{n}"), SystemTime::now() + self.1)
    }
}

struct Failing;
impl TokenProvider for Failing {
    fn access_token(&self) -> Result<AccessToken, TokenError> {
        Err(TokenError::Provider("session ended".into()))
    }
}

#[test]
fn cache_refreshes_before_expiry_and_after_invalidate() {
    let long = TokenCache::new(
        Counting(AtomicU32::new(0), Duration::from_secs(300)),
        Duration::from_secs(30),
    );
    assert_eq!(long.access_token().unwrap().expose(), "tok0");
    assert_eq!(long.access_token().unwrap().expose(), "tok0");
    long.invalidate();
    assert_eq!(long.access_token().unwrap().expose(), "tok1");
    let short = TokenCache::new(
        Counting(AtomicU32::new(0), Duration::from_secs(10)),
        Duration::from_secs(30),
    );
    assert_eq!(short.access_token().unwrap().expose(), "tok0");
    assert_eq!(short.access_token().unwrap().expose(), "tok1");
}

#[test]
fn cache_rejects_expired_tokens_and_passes_provider_errors() {
    let expired = TokenCache::new(Counting(AtomicU32::new(0), Duration::ZERO), Duration::ZERO);
    assert_eq!(expired.access_token().unwrap_err(), TokenError::Expired);
    let failing = TokenCache::new(Failing, Duration::ZERO);
    assert!(matches!(
        failing.access_token(),
        Err(TokenError::Provider(_))
    ));
}

#[test]
fn cache_is_shared_between_threads() {
    let cache = Arc::new(TokenCache::new(
        Counting(AtomicU32::new(0), Duration::from_secs(300)),
        Duration::from_secs(30),
    ));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let c = Arc::clone(&cache);
            std::thread::spawn(move || c.access_token().unwrap().expose().to_owned())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), "tok0");
    }
}

#[test]
fn token_text_never_shows() {
    let t = AccessToken::new("abc.def".into(), SystemTime::now()).unwrap();
    assert!(!format!("{t:?}").contains("abc.def"));
    assert!(!format!("{t}").contains("abc.def"));
    let c = CallerToken::new("abc.def".into(), None).unwrap();
    assert!(!format!("{c:?}").contains("abc.def"));
    let e = AccessToken::new("abc def".into(), SystemTime::now()).unwrap_err();
    assert_eq!(
        e,
        TokenError::Malformed {
            reason: "byte outside printable ASCII or a space",
            position: 3
        }
    );
    assert!(!e.to_string().contains("abc"));
    assert!(AccessToken::new(String::new(), SystemTime::now()).is_err());
}

#[test]
fn caller_token_rule() {
    let c = CallerToken::new("tok".into(), None).unwrap();
    let t = c.access_token().unwrap();
    let left = t.expires_at().duration_since(SystemTime::now()).unwrap();
    assert!(left <= CallerToken::DEFAULT_LIFETIME && left > Duration::from_secs(230));
    // Reusable while valid (a reconnecting session presents it again).
    assert_eq!(c.access_token().unwrap().expose(), "tok");
    c.refused();
    assert_eq!(c.access_token().unwrap_err(), TokenError::Refused);
    let given = SystemTime::now() + Duration::from_secs(60);
    let c = CallerToken::new("tok".into(), Some(given)).unwrap();
    assert_eq!(c.access_token().unwrap().expires_at(), given);
    let old = CallerToken::new("tok".into(), Some(SystemTime::now())).unwrap();
    assert_eq!(old.access_token().unwrap_err(), TokenError::Expired);
}
