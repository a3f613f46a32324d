//! The hub stops cleanly on SIGTERM (what systemd sends): it exits 0, says
//! so, and leaves its store checkpointed (no WAL left to replay).

mod common;
mod hub_support;

use std::time::Duration;

use hub_support::HubProc;

#[test]
fn hub_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut hub = HubProc::configure(dir.path(), "");
    hub.admin(&["box-add", "box1", "--hall", "大厅"], None);
    hub.start();
    let child = hub.child.as_mut().unwrap();
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child's pid; no memory is involved.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = common::wait_for(Duration::from_secs(60), || child.try_wait().unwrap()).expect("the hub exits on SIGTERM");
    assert!(status.success(), "{status:?}");
    hub.child = None;
    let wal = hub.store().with_extension("sqlite-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal_len, 0, "the store was checkpointed and closed");
}
