use sqlx::any::AnyRow;

use super::*;

impl HubDb {
    // ---- health -----------------------------------------------------------

    /// Records a heartbeat: the box and its cameras are seen now; time a
    /// camera was down since the last beat (or the whole gap, if the box
    /// was silent) counts as offline on `day`; dropped frames add up.
    pub async fn heartbeat(&self, box_id: &str, hb: &Heartbeat, now: f64, day: &str, silent_after_s: f64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        let failing = !hb.store.ok;
        let was_failing = sqlx::query("SELECT store_failing FROM box WHERE id = $1")
            .bind(box_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(self.sql())?
            .and_then(|r| col::<i64>(&r, "store_failing").ok())
            .is_some_and(|f| f != 0);
        sqlx::query(
            "UPDATE box SET last_seen_unix = $1, boot_unix = $2, version = $3, outbox_json = $4, store_json = $5, store_failing = $6 WHERE id = $7",
        )
        .bind(now)
        .bind(hb.boot_unix)
        .bind(&hb.version)
        .bind(serde_json::to_string(&hb.outbox).expect("stats serialise"))
        .bind(serde_json::to_string(&hb.store).expect("stats serialise"))
        .bind(failing as i64)
        .bind(box_id)
        .execute(&mut *tx)
        .await
        .map_err(self.sql())?;
        // The box's store began or stopped refusing rows: an alert, sent
        // with the others by the health job.
        if failing != was_failing {
            sqlx::query("INSERT INTO alert (ts_unix, kind, box, window_id) VALUES ($1, $2, $3, NULL)")
                .bind(now)
                .bind(if failing { "box_store_failing" } else { "box_store_ok" })
                .bind(box_id)
                .execute(&mut *tx)
                .await
                .map_err(self.sql())?;
        }
        for c in &hb.windows {
            let prev = sqlx::query(
                "SELECT source_up, last_seen_unix, boot_unix, frames_stale, down_since_unix FROM camera WHERE box = $1 AND window_id = $2",
            )
            .bind(box_id)
            .bind(&c.id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(self.sql())?;
            // The previous beat, typed; a row that does not read (a REAL
            // where a count belongs) is treated as no previous beat.
            let prev = prev.as_ref().and_then(|p| {
                let read = || -> Result<(f64, bool, f64, i64, Option<f64>), String> {
                    Ok((
                        col(p, "last_seen_unix")?,
                        col::<i64>(p, "source_up")? != 0,
                        col(p, "boot_unix")?,
                        col(p, "frames_stale")?,
                        col(p, "down_since_unix")?,
                    ))
                };
                read().map_err(|e| tracing::warn!(box_id, window = %c.id, error = %e, "unreadable camera row; counted afresh")).ok()
            });
            // Counters are checked to fit an i64 at ingest (`validate::heartbeat`);
            // differences and sums saturate rather than wrap.
            let stale = i64::try_from(c.frames_stale).unwrap_or(i64::MAX);
            let (offline, dropped, down_since) = match prev {
                Some((last_seen, was_up, boot, prev_stale, prev_down)) => {
                    let gap = (now - last_seen).max(0.0);
                    let offline = if gap > silent_after_s || !was_up || !c.source_up { gap } else { 0.0 };
                    let same_boot = (boot - hb.boot_unix).abs() < 1e-3;
                    let dropped = if same_boot { stale.saturating_sub(prev_stale.max(0)).max(0) } else { stale };
                    let down_since = if c.source_up { None } else { prev_down.or(Some(now)) };
                    (offline, dropped, down_since)
                }
                None => (0.0, stale, (!c.source_up).then_some(now)),
            };
            sqlx::query(
                "INSERT INTO camera (box, window_id, name, source_up, last_seen_unix, boot_unix, frames_stale, down_since_unix) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (box, window_id) DO UPDATE SET name = excluded.name, source_up = excluded.source_up, last_seen_unix = excluded.last_seen_unix,
                   boot_unix = excluded.boot_unix, frames_stale = excluded.frames_stale, down_since_unix = excluded.down_since_unix",
            )
            .bind(box_id)
            .bind(&c.id)
            .bind(&c.name)
            .bind(c.source_up as i64)
            .bind(now)
            .bind(hb.boot_unix)
            .bind(stale)
            .bind(OptF64(down_since))
            .execute(&mut *tx)
            .await
            .map_err(self.sql())?;
            // Dropped frames add up, saturating at the largest count. An
            // SQLite column may hold a REAL a broken writer left there: it
            // is replaced by the cap rather than added to.
            let integer = match self.backend {
                Backend::Sqlite => "typeof(camera_day.dropped) = 'integer' AND ",
                Backend::Postgres => "",
            };
            let upsert = format!(
                "INSERT INTO camera_day (box, window_id, day, offline_s, dropped) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (box, window_id, day) DO UPDATE SET offline_s = camera_day.offline_s + excluded.offline_s,
                   dropped = CASE WHEN {integer}camera_day.dropped <= 9223372036854775807 - excluded.dropped
                                  THEN camera_day.dropped + excluded.dropped ELSE 9223372036854775807 END"
            );
            sqlx::query(&upsert)
                .bind(box_id)
                .bind(&c.id)
                .bind(day)
                .bind(offline)
                .bind(dropped)
                .execute(&mut *tx)
                .await
                .map_err(self.sql())?;
        }
        tx.commit().await.map_err(self.sql())
    }

    /// Opens and closes alerts from what the boxes last said: a box silent
    /// for `silent_s`, a camera down for `down_s`, and their recoveries.
    /// Returns every alert not yet delivered.
    /// `since`: when this hub process started; a box is not called silent
    /// for the time the hub itself was down.
    pub async fn check_health(&self, now: f64, silent_s: f64, down_s: f64, since: f64) -> Result<Vec<Alert>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        let mut raised = Vec::new();
        let boxes =
            sqlx::query("SELECT id, last_seen_unix, created_unix, silent FROM box").fetch_all(&mut *tx).await.map_err(self.sql())?;
        for b in &boxes {
            let read = || -> Result<(String, f64, bool), String> {
                Ok((
                    col(b, "id")?,
                    col::<Option<f64>>(b, "last_seen_unix")?.map_or_else(|| col(b, "created_unix"), Ok)?,
                    col::<i64>(b, "silent")? != 0,
                ))
            };
            let (id, seen, silent) = match read() {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(row = %format!("box {}: {e}", row_key(b, &["id"])), "unreadable stored row skipped");
                    continue;
                }
            };
            let seen = seen.max(since);
            let now_silent = now - seen > silent_s;
            if now_silent != silent {
                sqlx::query("UPDATE box SET silent = $1 WHERE id = $2")
                    .bind(now_silent as i64)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await
                    .map_err(self.sql())?;
                raised.push((if now_silent { "box_offline" } else { "box_back" }, id.clone(), None));
            }
        }
        let cams =
            sqlx::query("SELECT c.box, c.window_id, c.down_since_unix, c.alerted, b.silent FROM camera c JOIN box b ON b.id = c.box")
                .fetch_all(&mut *tx)
                .await
                .map_err(self.sql())?;
        for c in &cams {
            let read = || -> Result<(String, String, bool, Option<f64>, bool), String> {
                Ok((
                    col(c, "box")?,
                    col(c, "window_id")?,
                    col::<i64>(c, "alerted")? != 0,
                    col(c, "down_since_unix")?,
                    col::<i64>(c, "silent")? != 0,
                ))
            };
            let (b, w, alerted, down_since, box_silent) = match read() {
                Ok(v) => v,
                Err(e) => {
                    tracing::warn!(row = %format!("camera {}: {e}", row_key(c, &["box", "window_id"])), "unreadable stored row skipped");
                    continue;
                }
            };
            let down = down_since.is_some_and(|t| now - t > down_s);
            if down != alerted && !box_silent {
                sqlx::query("UPDATE camera SET alerted = $1 WHERE box = $2 AND window_id = $3")
                    .bind(down as i64)
                    .bind(&b)
                    .bind(&w)
                    .execute(&mut *tx)
                    .await
                    .map_err(self.sql())?;
                raised.push((if down { "camera_down" } else { "camera_back" }, b, Some(w)));
            }
        }
        for (kind, b, w) in raised {
            sqlx::query("INSERT INTO alert (ts_unix, kind, box, window_id) VALUES ($1, $2, $3, $4)")
                .bind(now)
                .bind(kind)
                .bind(&b)
                .bind(&w)
                .execute(&mut *tx)
                .await
                .map_err(self.sql())?;
        }
        tx.commit().await.map_err(self.sql())?;
        // New alerts and any an earlier tick could not deliver.
        self.undelivered_alerts().await
    }

    /// A health alert about the hub itself: scheduled job `job` failed (box
    /// `hub`, the job's name as the window). Delivered like the others.
    pub async fn raise_hub_alert(&self, now: f64, job: &str, error: &str) -> Result<(), StoreError> {
        tracing::warn!(job, error, "health alert: hub job failed");
        sqlx::query("INSERT INTO alert (ts_unix, kind, box, window_id) VALUES ($1, 'hub_job_failed', 'hub', $2)")
            .bind(now)
            .bind(job)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(())
    }

    pub async fn undelivered_alerts(&self) -> Result<Vec<Alert>, StoreError> {
        let rows = sqlx::query("SELECT a.id, a.ts_unix, a.kind, a.box, a.window_id, a.published, COALESCE(b.hall, '') AS hall FROM alert a LEFT JOIN box b ON b.id = a.box WHERE a.delivered = 0 ORDER BY a.id")
            .fetch_all(&self.pool)
            .await
            .map_err(self.sql())?;
        let read = |r: &AnyRow| -> Result<Alert, String> {
            Ok(Alert {
                id: col(r, "id")?,
                ts_unix: col(r, "ts_unix")?,
                kind: col(r, "kind")?,
                box_id: col(r, "box")?,
                hall: col(r, "hall")?,
                window: col(r, "window_id")?,
                published: col::<i64>(r, "published")? != 0,
            })
        };
        Ok(self.read_rows(&rows, "alert", &["id"], read).0)
    }

    /// Alerts handed to the MQTT publisher: not published again while they
    /// wait for the webhook.
    pub async fn mark_alerts_published(&self, ids: &[i64]) -> Result<(), StoreError> {
        for id in ids {
            sqlx::query("UPDATE alert SET published = 1 WHERE id = $1").bind(id).execute(&self.pool).await.map_err(self.sql())?;
        }
        Ok(())
    }

    pub async fn mark_alerts_delivered(&self, ids: &[i64]) -> Result<(), StoreError> {
        for id in ids {
            sqlx::query("UPDATE alert SET delivered = 1 WHERE id = $1").bind(id).execute(&self.pool).await.map_err(self.sql())?;
        }
        Ok(())
    }
}
