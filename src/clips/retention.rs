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
    let evicted: std::collections::HashSet<i64> = evict.iter().copied().collect();
    for c in clips.iter().filter(|c| evicted.contains(&c.id)) {
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

    /// A real store and real files: eviction removes every file of the
    /// evicted clips and their rows, and leaves the metrics alone.
    #[test]
    fn enforce_deletes_files_and_rows_never_metrics() {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let store = Store::open(&dir.path().join("edge.sqlite")).await.unwrap();
            let mut minute = crate::rules::MinuteMetrics { window: "w".into(), observed_s: 60.0, ..Default::default() };
            minute.minute = Some(chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap());
            store.upsert_minutes(&[minute]).await.unwrap();
            for (i, created) in [(1, 100.0), (2, 200.0), (3, 300.0)] {
                let mut c = clip(i, created, 0);
                c.event_start += chrono::Duration::minutes(i);
                for f in [&c.video, &c.thumbnail, &c.sidecar] {
                    std::fs::write(dir.path().join(f), vec![0u8; 400]).unwrap();
                }
                c.bytes = 1200;
                store.insert_clip(&c).await.unwrap();
            }
            // 3000 bytes allowed: the oldest clip (1200) goes.
            let settings = ClipSettings { quota_mb: 3000.0 / 1024.0 / 1024.0, ..ClipSettings::default() };
            assert_eq!(enforce(&store, dir.path(), &settings, 400.0).await.unwrap(), 1);
            for f in ["1.mp4", "1.png", "1.json"] {
                assert!(!dir.path().join(f).exists(), "{f}");
            }
            assert!(dir.path().join("2.mp4").exists() && dir.path().join("3.json").exists());
            let left: Vec<String> = store.clips().await.unwrap().into_iter().map(|c| c.video).collect();
            assert_eq!(left.len(), 2);
            assert!(!left.contains(&"1.mp4".to_string()));
            assert_eq!(store.minutes(None).await.unwrap().len(), 1, "metrics are never deleted");
            store.close().await;
        });
    }
}
