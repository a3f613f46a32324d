use sqlx::any::AnyRow;

use super::*;

impl HubDb {
    // ---- what summaries read ------------------------------------------------
    //
    // Every column is read typed and fallibly: a row that does not decode
    // (a REAL where an INTEGER belongs, JSON that does not parse, an unknown
    // rule) is named in the returned list and skipped, never a panic and
    // never the whole summary.

    /// Minutes of `[from, to)` (unix seconds), optionally for one hall;
    /// unreadable rows are logged and skipped.
    pub async fn minutes_between(&self, from: f64, to: f64, hall: Option<&str>) -> Result<Vec<MinuteRow>, StoreError> {
        Ok(self.minutes_checked(from, to, hall).await?.0)
    }

    /// The minutes, and the rows that could not be read (named, skipped).
    pub async fn minutes_checked(&self, from: f64, to: f64, hall: Option<&str>) -> Result<(Vec<MinuteRow>, Vec<String>), StoreError> {
        let rows = sqlx::query(
            "SELECT b.hall, m.box, m.window_id, COALESCE(c.name, m.window_id) AS name, m.minute_unix, m.observed_s, m.in_service_s, m.staffed_s,
                    m.compliant_s, m.unknown_s, m.rules_json
             FROM minute m JOIN box b ON b.id = m.box LEFT JOIN camera c ON c.box = m.box AND c.window_id = m.window_id
             WHERE m.minute_unix >= $1 AND m.minute_unix < $2 AND ($3 IS NULL OR b.hall = $3) ORDER BY m.minute_unix",
        )
        .bind(from)
        .bind(to)
        .bind(hall)
        .fetch_all(&self.pool)
        .await
        .map_err(self.sql())?;
        let read = |r: &AnyRow| -> Result<MinuteRow, String> {
            Ok(MinuteRow {
                hall: col(r, "hall")?,
                box_id: col(r, "box")?,
                window: col(r, "window_id")?,
                name: col(r, "name")?,
                minute_unix: col(r, "minute_unix")?,
                observed_s: col(r, "observed_s")?,
                in_service_s: col(r, "in_service_s")?,
                staffed_s: col(r, "staffed_s")?,
                compliant_s: col(r, "compliant_s")?,
                unknown_s: col(r, "unknown_s")?,
                rules: serde_json::from_str(&col::<String>(r, "rules_json")?).map_err(|e| format!("rules_json: {e}"))?,
            })
        };
        Ok(self.read_rows(&rows, "minute", &["box", "window_id", "minute_unix"], read))
    }

    /// Events of `[from, to)`; unreadable rows are logged and skipped.
    pub async fn events_between(&self, from: f64, to: f64, hall: Option<&str>) -> Result<Vec<EventRow>, StoreError> {
        Ok(self.events_checked(from, to, hall).await?.0)
    }

    pub async fn events_checked(&self, from: f64, to: f64, hall: Option<&str>) -> Result<(Vec<EventRow>, Vec<String>), StoreError> {
        let rows = sqlx::query(
            "SELECT e.id, b.hall, e.box, e.window_id, COALESCE(c.name, e.window_id) AS name, e.rule, e.start, e.start_unix, e.end_unix, e.duration_s,
                    e.confidence, e.false_alarm_by
             FROM event e JOIN box b ON b.id = e.box LEFT JOIN camera c ON c.box = e.box AND c.window_id = e.window_id
             WHERE e.start_unix >= $1 AND e.start_unix < $2 AND ($3 IS NULL OR b.hall = $3) ORDER BY e.start_unix, e.id",
        )
        .bind(from)
        .bind(to)
        .bind(hall)
        .fetch_all(&self.pool)
        .await
        .map_err(self.sql())?;
        let read = |r: &AnyRow| -> Result<EventRow, String> {
            let rule: String = col(r, "rule")?;
            Ok(EventRow {
                id: col(r, "id")?,
                hall: col(r, "hall")?,
                box_id: col(r, "box")?,
                window: col(r, "window_id")?,
                name: col(r, "name")?,
                rule: RuleCode::ALL.into_iter().find(|c| c.as_str() == rule).ok_or_else(|| format!("rule: unknown {rule:?}"))?,
                start: col(r, "start")?,
                start_unix: col(r, "start_unix")?,
                end_unix: col(r, "end_unix")?,
                duration_s: col(r, "duration_s")?,
                confidence: col(r, "confidence")?,
                false_alarm: col::<Option<String>>(r, "false_alarm_by")?.is_some(),
            })
        };
        Ok(self.read_rows(&rows, "event", &["id"], read))
    }

    /// Camera health of a local day; unreadable rows are logged and skipped.
    pub async fn health_of(&self, day: NaiveDate, hall: Option<&str>) -> Result<Vec<HealthRow>, StoreError> {
        Ok(self.health_checked(day, hall).await?.0)
    }

    pub async fn health_checked(&self, day: NaiveDate, hall: Option<&str>) -> Result<(Vec<HealthRow>, Vec<String>), StoreError> {
        let rows = sqlx::query(
            "SELECT b.hall, d.box, d.window_id, d.day, d.offline_s, d.dropped FROM camera_day d JOIN box b ON b.id = d.box
             WHERE d.day = $1 AND ($2 IS NULL OR b.hall = $2)",
        )
        .bind(day.to_string())
        .bind(hall)
        .fetch_all(&self.pool)
        .await
        .map_err(self.sql())?;
        let read = |r: &AnyRow| -> Result<HealthRow, String> {
            Ok(HealthRow {
                hall: col(r, "hall")?,
                box_id: col(r, "box")?,
                window: col(r, "window_id")?,
                offline_s: col(r, "offline_s")?,
                dropped: col(r, "dropped")?,
            })
        };
        Ok(self.read_rows(&rows, "camera_day", &["box", "window_id", "day"], read))
    }

    /// Reads every row with `read`; a row that fails is named (table, key
    /// columns, the error), logged and left out.
    pub(super) fn read_rows<T>(
        &self,
        rows: &[AnyRow],
        table: &str,
        key: &[&str],
        read: impl Fn(&AnyRow) -> Result<T, String>,
    ) -> (Vec<T>, Vec<String>) {
        let mut ok = Vec::with_capacity(rows.len());
        let mut bad = Vec::new();
        for r in rows {
            match read(r) {
                Ok(v) => ok.push(v),
                Err(e) => {
                    let message = format!("{table} {}: {e}", row_key(r, key));
                    tracing::warn!(store = %self.path.display(), row = %message, "unreadable stored row skipped");
                    bad.push(message);
                }
            }
        }
        (ok, bad)
    }

    /// Marks an event a false alarm at `now` (unix seconds), or takes the
    /// mark back (`by` = `None`); returns the event's hall, or `None` if
    /// there is no such event.
    pub async fn set_false_alarm(&self, event_id: i64, by: Option<&str>, now: f64) -> Result<Option<String>, StoreError> {
        let hall = sqlx::query("SELECT b.hall AS hall FROM event e JOIN box b ON b.id = e.box WHERE e.id = $1")
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        let Some(hall) = hall else { return Ok(None) };
        sqlx::query("UPDATE event SET false_alarm_by = $1, false_alarm_unix = $2 WHERE id = $3")
            .bind(by)
            .bind(OptF64(by.map(|_| now)))
            .bind(event_id)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(Some(col(&hall, "hall").map_err(self.bad())?))
    }

    pub async fn event_hall(&self, event_id: i64) -> Result<Option<String>, StoreError> {
        let r = sqlx::query("SELECT b.hall AS hall FROM event e JOIN box b ON b.id = e.box WHERE e.id = $1")
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        r.map(|r| col(&r, "hall")).transpose().map_err(self.bad())
    }
}
