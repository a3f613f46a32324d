use super::*;

impl HubDb {
    // ---- ingest -----------------------------------------------------------

    /// Stores a validated batch in one transaction: minutes replace the
    /// stored minute with the same key, events already stored are kept,
    /// except an open one (`closed_by` = "open", sent when it began), which
    /// the closed version of the same event (same key) replaces. Rows are
    /// stamped as received at `now` (unix seconds).
    pub async fn ingest(&self, box_id: &str, b: &IngestBatch, now: f64) -> Result<IngestReply, StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        // One batch of a box at a time. Two batches of one box in flight at
        // once (a resend to another replica while the first still runs, or a
        // broken box) would each rewrite a shared quarter from the minutes
        // it sees, without the other's; this row lock (PostgreSQL; SQLite
        // has one writer anyway) makes the second wait for the first.
        sqlx::query("UPDATE box SET token_sha256 = token_sha256 WHERE id = $1").bind(box_id).execute(&mut *tx).await.map_err(self.sql())?;
        let mut reply = IngestReply::default();
        let mut quarters = std::collections::BTreeSet::new();
        for m in &b.minutes {
            let Some(minute) = m.minute else { continue };
            quarters.insert((m.window.clone(), quarters::quarter_of(minute.timestamp_millis())));
            sqlx::query(
                "INSERT INTO minute (box, window_id, minute, minute_ms, minute_unix, observed_s, in_service_s, staffed_s, compliant_s, unknown_s, rules_json,
                                     received_unix)
                 VALUES ($1, $2, $3, $12, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (box, window_id, minute_ms) DO UPDATE SET minute = excluded.minute,
                   observed_s = excluded.observed_s, in_service_s = excluded.in_service_s, staffed_s = excluded.staffed_s,
                   compliant_s = excluded.compliant_s, unknown_s = excluded.unknown_s, rules_json = excluded.rules_json,
                   received_unix = excluded.received_unix",
            )
            .bind(box_id)
            .bind(&m.window)
            .bind(minute.to_rfc3339())
            .bind(minute.timestamp_millis() as f64 / 1000.0)
            .bind(m.observed_s)
            .bind(m.in_service_s)
            .bind(m.staffed_s)
            .bind(m.compliant_s)
            .bind(m.unknown_s)
            .bind(serde_json::to_string(&m.rules).expect("rule metrics serialise"))
            .bind(now)
            .bind(minute.timestamp_millis())
            .execute(&mut *tx)
            .await
            .map_err(self.sql())?;
            reply.minutes += 1;
        }
        for e in &b.events {
            let r = sqlx::query(
                "INSERT INTO event (box, window_id, rule, start, start_ms, start_unix, \"end\", end_ms, end_unix, duration_s, confidence, closed_by, values_json,
                                    received_unix)
                 VALUES ($1, $2, $3, $4, $13, $5, $6, $14, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (box, window_id, rule, start_ms) DO UPDATE SET
                   \"end\" = excluded.\"end\", end_ms = excluded.end_ms, end_unix = excluded.end_unix, duration_s = excluded.duration_s,
                   confidence = excluded.confidence, closed_by = excluded.closed_by, values_json = excluded.values_json
                 WHERE event.closed_by = 'open' AND excluded.closed_by <> 'open'",
            )
            .bind(box_id)
            .bind(&e.window)
            .bind(e.rule.as_str())
            .bind(e.start.to_rfc3339())
            .bind(unix(e.start))
            .bind(e.end.to_rfc3339())
            .bind(unix(e.end))
            .bind(e.duration_s)
            .bind(f64::from(e.confidence))
            .bind(&e.closed_by)
            .bind(serde_json::to_string(&e.values).expect("a map of numbers serialises"))
            .bind(now)
            .bind(e.start.timestamp_millis())
            .bind(e.end.timestamp_millis())
            .execute(&mut *tx)
            .await
            .map_err(self.sql())?;
            reply.events_new += r.rows_affected();
        }
        // The roll-ups of the quarters these minutes fall in, in the same
        // transaction: they never disagree with the minutes.
        self.refresh_quarters(&mut tx, box_id, &quarters).await?;
        tx.commit().await.map_err(self.sql())?;
        Ok(reply)
    }

    /// The clip already stored under this key, if any.
    pub async fn clip_id(&self, box_id: &str, m: &ClipMeta) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT id FROM clip WHERE box = $1 AND window_id = $2 AND rule = $3 AND event_start_ms = $4")
            .bind(box_id)
            .bind(&m.window)
            .bind(&m.rule)
            .bind(m.event_start.timestamp_millis())
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        row.map(|r| col(&r, "id")).transpose().map_err(self.bad())
    }

    /// Indexes a clip whose files are written (and checked), received at
    /// `now` (unix seconds); returns its id and whether it was new.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_clip(
        &self,
        box_id: &str,
        m: &ClipMeta,
        video: &str,
        thumbnail: &str,
        sidecar: &str,
        bytes: u64,
        now: f64,
    ) -> Result<(i64, bool), StoreError> {
        let bytes = i64::try_from(bytes).map_err(|_| self.bad()(format!("clip bytes: {bytes} does not fit a 64-bit integer")))?;
        let r = sqlx::query(
            "INSERT INTO clip (box, window_id, rule, event_start, event_start_ms, event_start_unix, trigger_ts, received_unix, video, thumbnail, sidecar_json,
                               bytes)
             VALUES ($1, $2, $3, $4, $12, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (box, window_id, rule, event_start_ms) DO NOTHING RETURNING id",
        )
        .bind(box_id)
        .bind(&m.window)
        .bind(&m.rule)
        .bind(m.event_start.to_rfc3339())
        .bind(unix(m.event_start))
        .bind(m.trigger_ts.to_rfc3339())
        .bind(now)
        .bind(video)
        .bind(thumbnail)
        .bind(sidecar)
        .bind(bytes)
        .bind(m.event_start.timestamp_millis())
        .fetch_optional(&self.pool)
        .await
        .map_err(self.sql())?;
        match r {
            Some(r) => Ok((col(&r, "id").map_err(self.bad())?, true)),
            None => Ok((self.clip_id(box_id, m).await?.unwrap_or(0), false)),
        }
    }

    /// Logs a clip the hub refused, at `now` (unix seconds).
    pub async fn log_refused_clip(&self, box_id: &str, m: &ClipMeta, reason: &str, now: f64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO refused_clip (ts_unix, box, window_id, rule, event_start, event_start_ms, reason) VALUES ($1, $2, $3, $4, $5, $7, $6)")
            .bind(now)
            .bind(box_id)
            .bind(&m.window)
            .bind(&m.rule)
            .bind(m.event_start.to_rfc3339())
            .bind(reason)
            .bind(m.event_start.timestamp_millis())
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(())
    }

    pub async fn refused_clips(&self) -> Result<i64, StoreError> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM refused_clip").fetch_one(&self.pool).await.map_err(self.sql())?;
        col(&r, "n").map_err(self.bad())
    }
}
