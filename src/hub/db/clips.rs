use sqlx::any::AnyRow;

use super::*;

impl HubDb {
    // ---- clips ----------------------------------------------------------------

    const CLIP_SELECT: &'static str =
        "SELECT k.id, k.box, b.hall, k.window_id, COALESCE(c.name, k.window_id) AS window_name, k.rule, k.event_start, k.event_start_unix,
            k.received_unix, k.video, k.thumbnail, k.sidecar_json, k.bytes, k.status, k.notes, k.tags, e.id AS event_id, e.false_alarm_by
        FROM clip k JOIN box b ON b.id = k.box LEFT JOIN camera c ON c.box = k.box AND c.window_id = k.window_id
        LEFT JOIN event e ON e.box = k.box AND e.window_id = k.window_id AND e.rule = k.rule AND e.start_ms = k.event_start_ms";

    pub async fn clips(&self, f: &ClipFilter) -> Result<Vec<ClipInfo>, StoreError> {
        let (from, to) = f.between.unwrap_or((f64::MIN, f64::MAX));
        let sql = format!(
            "{} WHERE ($1 IS NULL OR b.hall = $1) AND ($2 IS NULL OR k.window_id = $2) AND ($3 IS NULL OR k.rule = $3)
               AND k.event_start_unix >= $4 AND k.event_start_unix < $5 AND ($6 IS NULL OR k.status = $6) AND k.status != 'expired'
             ORDER BY k.event_start_unix DESC LIMIT 500",
            Self::CLIP_SELECT
        );
        let rows = sqlx::query(&sql)
            .bind(&f.hall)
            .bind(&f.window)
            .bind(&f.rule)
            .bind(from)
            .bind(to)
            .bind(&f.status)
            .fetch_all(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(self.read_rows(&rows, "clip", &["id"], clip_from).0)
    }

    pub async fn clip(&self, id: i64) -> Result<Option<ClipInfo>, StoreError> {
        let sql = format!("{} WHERE k.id = $1 AND k.status != 'expired'", Self::CLIP_SELECT);
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await.map_err(self.sql())?;
        Ok(row.as_ref().map(|r| self.read_rows(std::slice::from_ref(r), "clip", &["id"], clip_from).0).and_then(|mut v| v.pop()))
    }

    pub async fn set_clip_status(&self, id: i64, status: &str, by: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE clip SET status = $1, reviewed_by = $2 WHERE id = $3")
            .bind(status)
            .bind(by)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(())
    }

    /// A trainer's review in one transaction: notes and tags, the new
    /// status if any (`kept`/`discarded`), and the audit-log entry, dated
    /// `now` (unix seconds).
    pub async fn review_clip(&self, id: i64, notes: &str, tags: &str, status: Option<&str>, by: &str, now: f64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        sqlx::query("UPDATE clip SET notes = $1, tags = $2 WHERE id = $3")
            .bind(notes)
            .bind(tags)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(self.sql())?;
        if let Some(st) = status {
            sqlx::query("UPDATE clip SET status = $1, reviewed_by = $2 WHERE id = $3")
                .bind(st)
                .bind(by)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(self.sql())?;
        }
        sqlx::query("INSERT INTO audit_log (ts_unix, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(now)
            .bind(by)
            .bind(format!("clip_{}", status.unwrap_or("notes_saved")))
            .bind(format!("clip {id}"))
            .bind(tags)
            .execute(&mut *tx)
            .await
            .map_err(self.sql())?;
        tx.commit().await.map_err(self.sql())
    }

    pub async fn set_clip_notes(&self, id: i64, notes: &str, tags: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE clip SET notes = $1, tags = $2 WHERE id = $3")
            .bind(notes)
            .bind(tags)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(())
    }

    /// Clips past `max_age_s` that no trainer kept: marked expired; returns
    /// their files (relative paths) for the caller to delete.
    pub async fn expire_clips(&self, now: f64, max_age_s: f64) -> Result<Vec<String>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        let rows = sqlx::query(
            "UPDATE clip SET status = 'expired' WHERE status IN ('new', 'discarded') AND received_unix < $1 RETURNING video, thumbnail",
        )
        .bind(now - max_age_s)
        .fetch_all(&mut *tx)
        .await
        .map_err(self.sql())?;
        let read = |r: &AnyRow| -> Result<[String; 2], String> { Ok([col(r, "video")?, col(r, "thumbnail")?]) };
        let mut files: Vec<String> = self.read_rows(&rows, "clip", &["video"], read).0.into_iter().flatten().collect();
        // Files a version-1 store left behind when it merged duplicates.
        let gone = sqlx::query("DELETE FROM clip_file_gone RETURNING path").fetch_all(&mut *tx).await.map_err(self.sql())?;
        files.extend(self.read_rows(&gone, "clip_file_gone", &["path"], |r| col::<String>(r, "path")).0);
        // A file that a clip still shown uses stays (version-1 paths could
        // be shared by two clips).
        let mut out = Vec::new();
        let mut listed = std::collections::HashSet::new();
        for f in files {
            if listed.contains(&f) {
                continue;
            }
            let used = sqlx::query("SELECT 1 FROM clip WHERE status != 'expired' AND (video = $1 OR thumbnail = $1) LIMIT 1")
                .bind(&f)
                .fetch_optional(&mut *tx)
                .await
                .map_err(self.sql())?;
            listed.insert(f.clone());
            if used.is_none() {
                out.push(f);
            }
        }
        tx.commit().await.map_err(self.sql())?;
        Ok(out)
    }
}
