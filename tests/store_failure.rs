//! The agent's store fails while it runs: another process holds the
//! SQLite write lock, so every write is refused (what a full disk, a
//! read-only or damaged file does too). Rows wait in memory and are
//! retried; `/status`, `/metrics` and the status page say so; when the lock
//! goes the rows land and the run ends well. Held past `--store-give-up-s`,
//! the agent stops and exits non-zero, naming the store and what was lost.

mod common;

use std::time::Duration;

use sqlx::Connection;

/// A connection to `store` holding its write lock until dropped.
fn hold_write_lock(rt: &tokio::runtime::Runtime, store: &std::path::Path) -> sqlx::SqliteConnection {
    rt.block_on(async {
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(store)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(30));
        let mut c = sqlx::SqliteConnection::connect_with(&opts).await.unwrap();
        sqlx::query("BEGIN EXCLUSIVE").execute(&mut c).await.unwrap();
        c
    })
}

fn status(agent: &common::RunningAgent) -> Option<serde_json::Value> {
    serde_json::from_str(&agent.get("/status")).ok()
}

fn start(dir: &std::path::Path, extra: &[&str]) -> (common::RunningAgent, std::path::PathBuf) {
    let config = common::street_config(dir, "");
    let store = dir.join("edge.sqlite");
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["--loop-files".as_ref(), "--config".as_ref(), config.as_os_str(), "--store".as_ref(), store.as_os_str()];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    let agent = common::RunningAgent::spawn(&args);
    // Something to write: frames analysed (a generous cap, not asserted).
    common::wait_for(Duration::from_secs(120), || {
        status(&agent).filter(|s| s["windows"][0]["frames_analysed"].as_u64().unwrap_or(0) > 0).map(|_| ())
    })
    .expect("the agent analyses frames");
    (agent, store)
}

#[test]
fn rows_wait_while_the_store_is_locked_and_land_when_it_frees() {
    let dir = tempfile::tempdir().unwrap();
    let (mut agent, store) = start(dir.path(), &[]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let lock = hold_write_lock(&rt, &store);

    // Stop: the agent hands over its last minute, events and baseline, and
    // the store refuses them.
    // SAFETY: kill(2) on our own child's pid; no memory is involved.
    assert_eq!(unsafe { libc::kill(agent.child.id() as i32, libc::SIGTERM) }, 0);
    let failing = common::wait_for(Duration::from_secs(120), || status(&agent).filter(|s| s["store"]["ok"] == false))
        .expect("/status reports the failing store");
    let st = &failing["store"];
    assert!(st["unsaved"].as_u64().unwrap() > 0, "{st}");
    assert!(st["write_failures"].as_u64().unwrap() > 0, "{st}");
    assert!(st["failing_since_unix"].as_f64().is_some(), "{st}");
    assert!(st["last_error"].as_str().unwrap().contains("locked"), "{st}");
    assert!(agent.child.try_wait().unwrap().is_none(), "the agent waits for its store instead of exiting");
    let metrics = agent.get("/metrics");
    assert!(metrics.contains("\nliyi_store_ok 0\n"), "{metrics}");
    assert!(metrics.lines().any(|l| l.starts_with("liyi_store_unsaved_rows ") && l != "liyi_store_unsaved_rows 0"), "{metrics}");
    let page = agent.get("/");
    assert!(page.contains("id=\"store-failing\"") && page.contains("本地存储"), "the status page warns in zh-CN");

    // The lock goes: everything lands, the run ends well.
    drop(lock);
    let exit = common::wait_for(Duration::from_secs(180), || agent.child.try_wait().unwrap()).expect("the agent exits after its rows land");
    assert!(exit.success(), "{exit:?}: {:?}", agent.log.lock().unwrap());
    rt.block_on(async {
        let s = liyi::store::Store::open(&store).await.unwrap();
        assert_eq!(s.integrity_check().await.unwrap(), "ok");
        assert!(!s.minutes(Some("street")).await.unwrap().is_empty(), "the last minute was kept and written");
        assert!(!s.baselines().await.unwrap().is_empty(), "the baseline was kept and written");
    });
}

#[test]
fn a_store_locked_past_the_bound_stops_the_agent_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (mut agent, store) = start(dir.path(), &["--store-give-up-s", "3"]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _lock = hold_write_lock(&rt, &store);
    // The next minute to close (within a minute of running) is refused;
    // 3 s later the agent gives up on its own, without a signal.
    let exit = common::wait_for(Duration::from_secs(300), || agent.child.try_wait().unwrap()).expect("the agent gives up and exits");
    assert!(!exit.success(), "a run that lost rows must not exit 0");
    let log = agent.log.lock().unwrap().join("\n");
    assert!(log.contains("could not be written to the store") && log.contains(&store.display().to_string()), "{log}");
    assert!(log.contains("Fix:"), "the message says what to do: {log}");
}
