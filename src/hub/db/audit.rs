use sqlx::any::AnyRow;

use super::*;

impl HubDb {
    // ---- audit log and report deliveries -----------------------------------

    /// Appends an audit-log entry dated `now` (unix seconds).
    pub async fn audit(&self, user: &str, action: &str, target: &str, detail: &str, now: f64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO audit_log (ts_unix, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(now)
            .bind(user)
            .bind(action)
            .bind(target)
            .bind(detail)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(())
    }

    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query("SELECT ts_unix, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(self.sql())?;
        let read = |r: &AnyRow| -> Result<AuditEntry, String> {
            Ok(AuditEntry {
                ts_unix: col(r, "ts_unix")?,
                user: col(r, "actor")?,
                action: col(r, "action")?,
                target: col(r, "target")?,
                detail: col(r, "detail")?,
            })
        };
        Ok(self.read_rows(&rows, "audit_log", &["ts_unix"], read).0)
    }

    pub async fn report_sent(&self, day: NaiveDate, channel: &str) -> Result<bool, StoreError> {
        let r = sqlx::query("SELECT 1 FROM report_sent WHERE day = $1 AND channel = $2")
            .bind(day.to_string())
            .bind(channel)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(r.is_some())
    }

    /// Records the day's report as sent on `channel` at `now` (unix seconds).
    pub async fn mark_report_sent(&self, day: NaiveDate, channel: &str, now: f64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO report_sent (day, channel, sent_unix) VALUES ($1, $2, $3) ON CONFLICT (day, channel) DO NOTHING")
            .bind(day.to_string())
            .bind(channel)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(())
    }

    /// Forgets that `day`'s report went out on `channel`, and any claim on
    /// it (`liyi report --send`: a person resends it).
    pub async fn forget_report(&self, day: NaiveDate, channel: &str) -> Result<(), StoreError> {
        for table in ["report_sent", "report_claim"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE day = $1 AND channel = $2"))
                .bind(day.to_string())
                .bind(channel)
                .execute(&self.pool)
                .await
                .map_err(self.sql())?;
        }
        Ok(())
    }

    /// Row counts, for tests and the admin page.
    pub async fn counts(&self) -> Result<(i64, i64, i64), StoreError> {
        let r =
            sqlx::query("SELECT (SELECT COUNT(*) FROM minute) AS m, (SELECT COUNT(*) FROM event) AS e, (SELECT COUNT(*) FROM clip) AS c")
                .fetch_one(&self.pool)
                .await
                .map_err(self.sql())?;
        let n = |c: &str| col::<i64>(&r, c).map_err(self.bad());
        Ok((n("m")?, n("e")?, n("c")?))
    }
}
