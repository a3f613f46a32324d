//! Retention: clips older than the maximum age go, then the oldest until
//! the clips fit the quota. Only clips: events and minute metrics are never
//! deleted to make room.

use std::path::Path;

use crate::config::ClipSettings;
use crate::store::{ClipRow, Store, StoreError};

/// Which clips to delete (ids), given every clip oldest first: pure.
pub fn plan(clips: &[ClipRow], now_unix: f64, max_age_days: f64, quota_bytes: u64) -> Vec<i64> {
    let oldest_kept = now_unix - max_age_days * 86_400.0;
    let mut total: u64 = clips.iter().map(|c| c.bytes).sum();
    let mut out = Vec::new();
    for c in clips {
        if c.created_unix < oldest_kept || total > quota_bytes {
            out.push(c.id);
            total -= c.bytes;
        }
    }
    out
}

/// Applies [`plan`]: deletes every file of each evicted clip, then its row.
/// Returns how many clips went.
pub async fn enforce(store: &Store, root: &Path, settings: &ClipSettings, now_unix: f64) -> Result<usize, StoreError> {
    let clips = store.clips().await?;
    let quota = (settings.quota_mb * 1024.0 * 1024.0) as u64;
    let evict = plan(&clips, now_unix, settings.max_age_days, quota);
    for c in clips.iter().filter(|c| evict.contains(&c.id)) {
        for f in [&c.video, &c.thumbnail, &c.sidecar] {
            match std::fs::remove_file(root.join(f)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!(file = %root.join(f).display(), error = %e, "cannot delete an evicted clip file"),
            }
        }
        tracing::info!(window = %c.window, rule = %c.rule, video = %c.video, "clip evicted by retention");
    }
    store.delete_clips(&evict).await?;
    Ok(evict.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(id: i64, created: f64, bytes: u64) -> ClipRow {
        let t = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
        ClipRow {
            id,
            window: "w".into(),
            rule: "slouching".into(),
            event_start: t,
            trigger_ts: t,
            created_unix: created,
            video: format!("{id}.mp4"),
            thumbnail: format!("{id}.png"),
            sidecar: format!("{id}.json"),
            bytes,
        }
    }

    #[test]
    fn old_clips_go_first_then_the_oldest_until_the_quota_fits() {
        let day = 86_400.0;
        let clips = [clip(1, 0.0, 100), clip(2, 20.0 * day, 100), clip(3, 25.0 * day, 100), clip(4, 29.0 * day, 100)];
        // Nothing too old and all fits.
        assert!(plan(&clips, 29.5 * day, 30.0, 1000).is_empty());
        // Clip 1 is past 30 days.
        assert_eq!(plan(&clips, 31.0 * day, 30.0, 1000), vec![1]);
        // Quota of 250 bytes: the oldest go until 200 remain.
        assert_eq!(plan(&clips, 29.5 * day, 30.0, 250), vec![1, 2]);
        // Both at once.
        assert_eq!(plan(&clips, 31.0 * day, 30.0, 150), vec![1, 2, 3]);
    }
}
