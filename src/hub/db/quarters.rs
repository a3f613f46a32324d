//! Quarter-hour roll-ups of the minute rows (`minute_quarter`): what a
//! day's summary reads, so that a province's day (millions of minute rows)
//! renders in seconds. A quarter is rewritten from its stored minutes in
//! the same transaction as any minute in it changes, so the roll-ups are
//! the minutes' sums, never a second account that could drift.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::TryStreamExt;
use sqlx::any::AnyRow;

use super::*;
use crate::rules::metrics::RuleMinute;

/// A quarter hour, in milliseconds.
pub const QUARTER_MS: i64 = 15 * 60 * 1000;

/// The start of the quarter hour holding `ms` (UTC milliseconds).
pub fn quarter_of(ms: i64) -> i64 {
    ms.div_euclid(QUARTER_MS) * QUARTER_MS
}

/// The sums of one quarter's minutes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sums {
    pub minutes: i64,
    pub observed_s: f64,
    pub in_service_s: f64,
    pub staffed_s: f64,
    pub compliant_s: f64,
    pub unknown_s: f64,
    pub rules: BTreeMap<RuleCode, RuleMinute>,
}

impl Sums {
    pub fn add(&mut self, m: &MinuteRow) {
        self.minutes += 1;
        self.observed_s += m.observed_s;
        self.in_service_s += m.in_service_s;
        self.staffed_s += m.staffed_s;
        self.compliant_s += m.compliant_s;
        self.unknown_s += m.unknown_s;
        for (rule, r) in &m.rules {
            let e = self.rules.entry(*rule).or_default();
            e.violation_s += r.violation_s;
            e.events = e.events.saturating_add(r.events);
        }
    }

    /// The sums as one row of the summary's input, dated at `quarter_unix`.
    pub fn row(&self, like: &MinuteRow, quarter_unix: f64) -> MinuteRow {
        MinuteRow {
            minute_unix: quarter_unix,
            observed_s: self.observed_s,
            in_service_s: self.in_service_s,
            staffed_s: self.staffed_s,
            compliant_s: self.compliant_s,
            unknown_s: self.unknown_s,
            rules: self.rules.clone(),
            ..like.clone()
        }
    }
}

/// A minute row as the roll-up reads it (no hall or name needed).
fn minute_of(r: &AnyRow) -> Result<MinuteRow, String> {
    Ok(MinuteRow {
        hall: String::new(),
        box_id: col(r, "box")?,
        window: col(r, "window_id")?,
        name: String::new(),
        minute_unix: col(r, "minute_unix")?,
        observed_s: col(r, "observed_s")?,
        in_service_s: col(r, "in_service_s")?,
        staffed_s: col(r, "staffed_s")?,
        compliant_s: col(r, "compliant_s")?,
        unknown_s: col(r, "unknown_s")?,
        rules: serde_json::from_str(&col::<String>(r, "rules_json")?).map_err(|e| format!("rules_json: {e}"))?,
    })
}

const MINUTE_COLUMNS: &str =
    "box, window_id, minute_ms, minute_unix, observed_s, in_service_s, staffed_s, compliant_s, unknown_s, rules_json";

impl HubDb {
    /// Rewrites the quarters `keys` (window, quarter start ms) of `box_id`
    /// from their stored minutes, inside the caller's transaction.
    pub(super) async fn refresh_quarters(
        &self,
        tx: &mut sqlx::Transaction<'_, Any>,
        box_id: &str,
        keys: &BTreeSet<(String, i64)>,
    ) -> Result<(), StoreError> {
        for (window, q) in keys {
            let rows = sqlx::query(&format!(
                "SELECT {MINUTE_COLUMNS} FROM minute WHERE box = $1 AND window_id = $2 AND minute_ms >= $3 AND minute_ms < $4"
            ))
            .bind(box_id)
            .bind(window)
            .bind(*q)
            .bind(q + QUARTER_MS)
            .fetch_all(&mut **tx)
            .await
            .map_err(self.sql())?;
            let mut sums = Sums::default();
            for m in self.read_rows(&rows, "minute", &["box", "window_id", "minute_ms"], minute_of).0 {
                sums.add(&m);
            }
            self.write_quarter(tx, box_id, window, *q, &sums).await?;
        }
        Ok(())
    }

    async fn write_quarter(
        &self,
        tx: &mut sqlx::Transaction<'_, Any>,
        box_id: &str,
        window: &str,
        q: i64,
        s: &Sums,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO minute_quarter (box, window_id, quarter_ms, quarter_unix, minutes, observed_s, in_service_s, staffed_s, compliant_s,
                                         unknown_s, rules_json)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (box, window_id, quarter_ms) DO UPDATE SET minutes = excluded.minutes, observed_s = excluded.observed_s,
               in_service_s = excluded.in_service_s, staffed_s = excluded.staffed_s, compliant_s = excluded.compliant_s,
               unknown_s = excluded.unknown_s, rules_json = excluded.rules_json",
        )
        .bind(box_id)
        .bind(window)
        .bind(q)
        .bind(q as f64 / 1000.0)
        .bind(s.minutes)
        .bind(s.observed_s)
        .bind(s.in_service_s)
        .bind(s.staffed_s)
        .bind(s.compliant_s)
        .bind(s.unknown_s)
        .bind(serde_json::to_string(&s.rules).expect("rule sums serialise"))
        .execute(&mut **tx)
        .await
        .map_err(self.sql())?;
        Ok(())
    }

    /// Fills the roll-ups from the stored minutes when a store has minutes
    /// and no roll-ups (a store upgraded to them, or copied without them).
    /// Returns the quarters written.
    ///
    /// On PostgreSQL, replicas that start together fill once: the check and
    /// the fill run under the upgrade lock, and minutes are locked against
    /// writes until the fill commits, so a minute ingested by another
    /// replica meanwhile cannot be left out of its quarter.
    pub async fn rebuild_quarters_if_missing(&self) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        if self.backend == Backend::Postgres {
            backend::upgrade_lock(&mut tx).await.map_err(self.sql())?;
        }
        self.lock_minutes(&mut tx).await?;
        // Two probes of one row each: cheap on a store of millions of rows.
        for (table, want) in [("minute_quarter", false), ("minute", true)] {
            let found = sqlx::query(&format!("SELECT 1 AS one FROM {table} LIMIT 1")).fetch_optional(&mut *tx).await.map_err(self.sql())?;
            if found.is_some() != want {
                return Ok(0);
            }
        }
        tracing::info!(store = %self.path.display(), "filling the quarter-hour roll-ups from the stored minutes (once)");
        let n = self.rebuild_in(&mut tx).await?;
        tx.commit().await.map_err(self.sql())?;
        Ok(n)
    }

    /// Rewrites every roll-up from the stored minutes, in one transaction
    /// that minute writes wait for.
    pub async fn rebuild_quarters(&self) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        self.lock_minutes(&mut tx).await?;
        let n = self.rebuild_in(&mut tx).await?;
        tx.commit().await.map_err(self.sql())?;
        Ok(n)
    }

    /// Holds minute writes off until `tx` ends. On PostgreSQL a SHARE lock
    /// (reads go on); SQLite has one writer at a time, and `tx` takes the
    /// write lock at its first write, before it reads the minutes.
    async fn lock_minutes(&self, tx: &mut sqlx::Transaction<'_, Any>) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            sqlx::query("LOCK TABLE minute IN SHARE MODE").execute(&mut **tx).await.map_err(self.sql())?;
        }
        Ok(())
    }

    /// Rewrites every roll-up from the minutes `tx` sees.
    async fn rebuild_in(&self, tx: &mut sqlx::Transaction<'_, Any>) -> Result<u64, StoreError> {
        sqlx::query("DELETE FROM minute_quarter").execute(&mut **tx).await.map_err(self.sql())?;
        let mut sums: BTreeMap<(String, String, i64), Sums> = BTreeMap::new();
        {
            let sql = format!("SELECT {MINUTE_COLUMNS} FROM minute");
            let mut rows = sqlx::query(&sql).fetch(&mut **tx);
            while let Some(r) = rows.try_next().await.map_err(self.sql())? {
                let key = (col::<i64>(&r, "minute_ms"), minute_of(&r));
                match key {
                    (Ok(ms), Ok(m)) => sums.entry((m.box_id.clone(), m.window.clone(), quarter_of(ms))).or_default().add(&m),
                    (Err(e), _) | (_, Err(e)) => {
                        tracing::warn!(row = %format!("minute {}: {e}", row_key(&r, &["box", "window_id", "minute_ms"])), "unreadable stored row left out of the roll-up")
                    }
                }
            }
        }
        let n = sums.len() as u64;
        for ((b, w, q), s) in &sums {
            self.write_quarter(tx, b, w, *q, s).await?;
        }
        Ok(n)
    }

    /// The quarter-hour sums of `[from, to)` (unix seconds, on quarter
    /// boundaries), optionally for one hall, as summary rows dated at each
    /// quarter's start; unreadable rows are named and skipped.
    pub async fn quarters_checked(&self, from: f64, to: f64, hall: Option<&str>) -> Result<(Vec<MinuteRow>, Vec<String>), StoreError> {
        let rows = sqlx::query(
            "SELECT b.hall, q.box, q.window_id, COALESCE(c.name, q.window_id) AS name, q.quarter_unix, q.quarter_ms, q.observed_s,
                    q.in_service_s, q.staffed_s, q.compliant_s, q.unknown_s, q.rules_json
             FROM minute_quarter q JOIN box b ON b.id = q.box LEFT JOIN camera c ON c.box = q.box AND c.window_id = q.window_id
             WHERE q.quarter_unix >= $1 AND q.quarter_unix < $2 AND ($3 IS NULL OR b.hall = $3) ORDER BY q.quarter_unix",
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
                minute_unix: col(r, "quarter_unix")?,
                observed_s: col(r, "observed_s")?,
                in_service_s: col(r, "in_service_s")?,
                staffed_s: col(r, "staffed_s")?,
                compliant_s: col(r, "compliant_s")?,
                unknown_s: col(r, "unknown_s")?,
                rules: serde_json::from_str(&col::<String>(r, "rules_json")?).map_err(|e| format!("rules_json: {e}"))?,
            })
        };
        Ok(self.read_rows(&rows, "minute_quarter", &["box", "window_id", "quarter_ms"], read))
    }

    /// One window's minutes of `[from, to)`, with its hall and name.
    pub async fn window_minutes(&self, box_id: &str, window: &str, from: f64, to: f64) -> Result<Vec<MinuteRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT b.hall, m.box, m.window_id, COALESCE(c.name, m.window_id) AS name, m.minute_unix, m.minute_ms, m.observed_s,
                    m.in_service_s, m.staffed_s, m.compliant_s, m.unknown_s, m.rules_json
             FROM minute m JOIN box b ON b.id = m.box LEFT JOIN camera c ON c.box = m.box AND c.window_id = m.window_id
             WHERE m.box = $1 AND m.window_id = $2 AND m.minute_unix >= $3 AND m.minute_unix < $4 ORDER BY m.minute_unix",
        )
        .bind(box_id)
        .bind(window)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await
        .map_err(self.sql())?;
        let read = |r: &AnyRow| -> Result<MinuteRow, String> {
            let m = minute_of(r)?;
            Ok(MinuteRow { hall: col(r, "hall")?, name: col(r, "name")?, ..m })
        };
        Ok(self.read_rows(&rows, "minute", &["box", "window_id", "minute_ms"], read).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_start_on_the_quarter_hour() {
        assert_eq!(quarter_of(0), 0);
        assert_eq!(quarter_of(QUARTER_MS - 1), 0);
        assert_eq!(quarter_of(QUARTER_MS), QUARTER_MS);
        assert_eq!(quarter_of(-1), -QUARTER_MS);
        // 09:44:59.999 +05:45 is in the quarter that starts at 09:30 local.
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-28T09:44:59.999+05:45").unwrap();
        let q = chrono::DateTime::from_timestamp_millis(quarter_of(t.timestamp_millis())).unwrap().with_timezone(t.offset());
        assert_eq!(q.to_rfc3339(), "2026-11-28T09:30:00+05:45");
    }
}
