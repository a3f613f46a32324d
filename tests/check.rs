//! `liyi check` on real stores: a healthy edge store and hub store pass; a
//! missing clip file, a stray file, a damaged file and a store from a newer
//! liyi are each named, and the store is never changed.

mod common;
mod hub_support;

use std::path::Path;

fn check(args: &[&std::ffi::OsStr]) -> (bool, String) {
    let out = common::liyi().arg("check").args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

/// An edge store with one clip whose three files are in `dir/clips`.
fn edge_store(dir: &Path) -> std::path::PathBuf {
    let store = dir.join("edge.sqlite");
    let clips = dir.join("clips/w01");
    std::fs::create_dir_all(&clips).unwrap();
    for f in ["a.mp4", "a.png", "a.json"] {
        std::fs::write(clips.join(f), b"x").unwrap();
    }
    let t = chrono::DateTime::parse_from_rfc3339("2026-11-28T09:00:00+08:00").unwrap();
    let row = liyi::store::ClipRow {
        id: 0,
        window: "w01".into(),
        rule: "absent".into(),
        event_start: t,
        trigger_ts: t,
        created_unix: 1.0e9,
        video: "w01/a.mp4".into(),
        thumbnail: "w01/a.png".into(),
        sidecar: "w01/a.json".into(),
        bytes: 3,
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let s = liyi::store::Store::open(&store).await.unwrap();
        s.insert_clip(&row).await.unwrap();
        s.close().await;
    });
    store
}

#[test]
fn a_healthy_edge_store_passes_and_each_fault_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = edge_store(dir.path());
    let (ok, text) = check(&["--store".as_ref(), store.as_os_str()]);
    assert!(ok, "{text}");
    assert!(text.contains("integrity ok") && text.contains("all 3 file(s)"), "{text}");
    let before = std::fs::read(&store).unwrap();

    // A clip file gone, another file that no row names.
    std::fs::remove_file(dir.path().join("clips/w01/a.png")).unwrap();
    std::fs::write(dir.path().join("clips/w01/left.mp4"), b"x").unwrap();
    let (ok, text) = check(&["--store".as_ref(), store.as_os_str()]);
    assert!(!ok, "{text}");
    assert!(text.contains("FAIL clips: 1 file(s)") && text.contains("#1 w01/a.png"), "{text}");
    assert!(text.contains("WARN clips: 1 file(s)") && text.contains("left.mp4"), "{text}");
    assert!(text.contains("Fix:"), "{text}");
    assert_eq!(std::fs::read(&store).unwrap(), before, "the check changes nothing");
}

#[test]
fn a_damaged_store_and_one_from_a_newer_liyi_fail() {
    let dir = tempfile::tempdir().unwrap();
    let store = edge_store(dir.path());
    // A newer schema version than this binary writes.
    let newer = dir.path().join("newer.sqlite");
    std::fs::copy(&store, &newer).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect_with(&sqlx::sqlite::SqliteConnectOptions::new().filename(&newer)).await.unwrap();
        sqlx::query(&format!("PRAGMA user_version = {}", liyi::store::SCHEMA_VERSION + 1)).execute(&mut c).await.unwrap();
        c.close().await.unwrap();
    });
    let (ok, text) = check(&["--store".as_ref(), newer.as_os_str(), "--clips".as_ref(), dir.path().join("clips").as_os_str()]);
    assert!(!ok && text.contains("is newer than this liyi"), "{text}");

    // Pages overwritten in the middle of the file.
    let mut bytes = std::fs::read(&store).unwrap();
    assert!(bytes.len() > 8192, "a store of several pages");
    for b in &mut bytes[4096..8192] {
        *b = 0x5a;
    }
    std::fs::write(&store, &bytes).unwrap();
    let (ok, text) = check(&["--store".as_ref(), store.as_os_str()]);
    assert!(!ok && text.contains("FAIL edge store"), "{text}");
}

#[test]
fn the_hub_store_is_checked_from_its_config() {
    let dir = tempfile::tempdir().unwrap();
    let hub = hub_support::HubProc::configure(dir.path(), "");
    hub.admin(&["box-add", "box-a", "--hall", "甲大厅"], None);
    let (ok, text) = check(&["--hub-config".as_ref(), hub.config.as_os_str()]);
    assert!(ok, "{text}");
    assert!(text.contains("hub store") && text.contains("integrity ok") && text.contains("this liyi's"), "{text}");
    let (ok, text) = check(&[]);
    assert!(!ok && text.contains("--store"), "{text}");
}

/// On PostgreSQL: the schema version and every clip row against the files.
#[test]
fn the_hub_store_on_postgres_is_checked_from_its_config() {
    let Some(engine) = hub_support::Engine::postgres("the_hub_store_on_postgres_is_checked_from_its_config") else { return };
    let dir = tempfile::tempdir().unwrap();
    let hub = hub_support::HubProc::configure_on(dir.path(), "", engine);
    hub.admin(&["box-add", "box-a", "--hall", "甲大厅"], None);
    let (ok, text) = check(&["--hub-config".as_ref(), hub.config.as_os_str()]);
    assert!(ok, "{text}");
    assert!(text.contains("hub store schema") && text.contains("this liyi's"), "{text}");
    // A clip row whose files are not there: named, and the check fails.
    hub_support::rt().block_on(async {
        let db = hub.db().await;
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-28T09:00:00+08:00").unwrap();
        let meta = liyi::wire::ClipMeta { window: "w1".into(), rule: "absent".into(), event_start: t, trigger_ts: t };
        db.insert_clip("box-a", &meta, "box-a/gone.mp4", "box-a/gone.png", "{}", 1, 0.0).await.unwrap();
    });
    let (ok, text) = check(&["--hub-config".as_ref(), hub.config.as_os_str()]);
    assert!(!ok && text.contains("gone.mp4"), "{text}");
}
