//! Both stores through the `SessionStore` interface; the Redis store against a real
//! `redis-server` (a counted skip when it is not installed), its keys, bytes and TTLs read back
//! with plain Redis commands, as Flask-Session would see them.

use serde_json::{json, Value};
use session_store::test_redis::TestRedis;
use session_store::{
    AnyStore, MemoryStore, RedisStore, SessionData, SessionId, SessionStore, StoreSpec,
};
use std::time::Duration;

const LIFETIME: Duration = Duration::from_secs(31 * 24 * 3600);

fn chapter_session(visit: u64) -> SessionData {
    match json!({"_permanent": true, "username": "cobra", "visit": visit}) {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// What every store must do: save, load, renew, delete, and know nothing of unknown ids.
async fn behaves_as_a_session_store(store: &impl SessionStore) {
    let id = SessionId::random().unwrap();
    assert_eq!(store.load(&id).await.unwrap(), None);
    store.save(&id, &chapter_session(1)).await.unwrap();
    assert_eq!(store.load(&id).await.unwrap(), Some(chapter_session(1)));
    store.save(&id, &chapter_session(2)).await.unwrap();
    assert_eq!(store.load(&id).await.unwrap(), Some(chapter_session(2)));

    let other = SessionId::random().unwrap();
    assert_eq!(store.load(&other).await.unwrap(), None);
    store.delete(&other).await.unwrap();

    store.delete(&id).await.unwrap();
    assert_eq!(store.load(&id).await.unwrap(), None);
}

#[tokio::test]
async fn memory_store_keeps_sessions() {
    behaves_as_a_session_store(&MemoryStore::new(LIFETIME)).await;
    behaves_as_a_session_store(&AnyStore::open(&StoreSpec::Memory, LIFETIME).await.unwrap()).await;
}

#[tokio::test]
async fn memory_store_forgets_a_session_after_its_lifetime_unless_saved_again() {
    let store = MemoryStore::new(Duration::from_millis(300));
    let (kept, left) = (SessionId::random().unwrap(), SessionId::random().unwrap());
    store.save(&kept, &chapter_session(1)).await.unwrap();
    store.save(&left, &chapter_session(1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    store.save(&kept, &chapter_session(2)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(store.load(&left).await.unwrap(), None);
    assert_eq!(store.load(&kept).await.unwrap(), Some(chapter_session(2)));
}

#[tokio::test]
async fn memory_store_is_bounded() {
    let store = MemoryStore::with_capacity(LIFETIME, 50);
    let ids: Vec<SessionId> = (0..500).map(|_| SessionId::random().unwrap()).collect();
    for id in &ids {
        store.save(id, &chapter_session(1)).await.unwrap();
    }
    let mut kept = 0;
    for id in &ids {
        kept += store.load(id).await.unwrap().is_some() as usize;
    }
    // moka applies the bound in the background; allow it some slack, but not 10x.
    assert!(kept <= 100, "{kept} of 500 kept with a bound of 50");
}

#[tokio::test]
async fn redis_store_keeps_sessions_as_flask_session_does() {
    let redis = match TestRedis::start() {
        Ok(r) => r,
        Err(reason) => return test_support::skip(reason),
    };
    let store = RedisStore::connect(&redis.url(), LIFETIME).await.unwrap();
    behaves_as_a_session_store(&store).await;
    let spec: StoreSpec = redis.url().parse().unwrap();
    behaves_as_a_session_store(&AnyStore::open(&spec, LIFETIME).await.unwrap()).await;

    // The key, the bytes and the TTL, read with plain commands.
    let id = SessionId::parse("YsfLea-LHOxaTzAZt7T1Zsexi3eeCqr5I7WXFitbdWE").unwrap();
    store.save(&id, &chapter_session(2)).await.unwrap();
    let mut raw = store.connection();
    let key = "session:YsfLea-LHOxaTzAZt7T1Zsexi3eeCqr5I7WXFitbdWE";
    let bytes: Vec<u8> = redis::cmd("GET")
        .arg(key)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(
        bytes,
        b"\x83\xaa_permanent\xc3\xa8username\xa5cobra\xa5visit\x02"
    );
    let ttl: i64 = redis::cmd("TTL")
        .arg(key)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!((2678390..=2678400).contains(&ttl), "TTL {ttl}");
    assert_eq!(store.ttl_secs(&id).await.unwrap(), Some(ttl as u64));

    // Renewed on save: shorten it by hand, save, and it is the lifetime again.
    let _: () = redis::cmd("EXPIRE")
        .arg(key)
        .arg(60)
        .query_async(&mut raw)
        .await
        .unwrap();
    store.save(&id, &chapter_session(3)).await.unwrap();
    assert!(store.ttl_secs(&id).await.unwrap().unwrap() > 2678000);

    // Flask-Session's bytes, written by someone else, are read.
    let written_elsewhere = SessionId::random().unwrap();
    let _: () = redis::cmd("SET")
        .arg(RedisStore::key(&written_elsewhere))
        .arg(&b"\x83\xaa_permanent\xc3\xa8username\xa5cobra\xa5visit\x07"[..])
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(
        store.load(&written_elsewhere).await.unwrap(),
        Some(chapter_session(7))
    );

    // Another app's value under a session key is an error, not a panic.
    let foreign = SessionId::random().unwrap();
    let _: () = redis::cmd("SET")
        .arg(RedisStore::key(&foreign))
        .arg("not msgpack {")
        .query_async(&mut raw)
        .await
        .unwrap();
    let e = store.load(&foreign).await.unwrap_err();
    assert!(e.to_string().contains("cannot be read"), "{e}");
}

#[tokio::test]
async fn redis_store_expires_sessions() {
    let redis = match TestRedis::start() {
        Ok(r) => r,
        Err(reason) => return test_support::skip(reason),
    };
    let store = RedisStore::connect(&redis.url(), Duration::from_secs(1))
        .await
        .unwrap();
    let id = SessionId::random().unwrap();
    store.save(&id, &chapter_session(1)).await.unwrap();
    assert!(store.load(&id).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(store.load(&id).await.unwrap(), None);
}

#[tokio::test]
async fn redis_gone_is_an_error_not_a_hang() {
    let redis = match TestRedis::start() {
        Ok(r) => r,
        Err(reason) => return test_support::skip(reason),
    };
    let url = redis.url();
    let store = RedisStore::connect(&url, LIFETIME).await.unwrap();
    drop(redis);
    let started = std::time::Instant::now();
    let id = SessionId::random().unwrap();
    assert!(store.load(&id).await.is_err());
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    // And a store that is not there at all fails to open.
    assert!(RedisStore::connect(&url, LIFETIME).await.is_err());
}
