//! Work that one hub process does for all: the schedule's lease, report
//! claims, and the sign-in failures every process counts.
//!
//! Several `liyi hub` processes may share one store. The schedule (daily
//! reports, health alerts, retention) runs in the one that holds the
//! `schedule` lease, which it renews on every tick; when the holder dies,
//! the lease runs out and another process takes it. A report is claimed in
//! the store before it is sent, so it goes out at most once even if two
//! processes were to try.

use super::*;

/// The lease's name for the hub's schedule.
pub const SCHEDULE: &str = "schedule";

/// What a report claim found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// This process may send it now.
    Mine,
    /// Sent already.
    Sent,
    /// Another process (`holder`) claimed it at `since` and has not said
    /// it went out: it may be sending, or it died while sending.
    Taken { holder: String, since: f64 },
}

impl HubDb {
    /// Takes or renews the lease `name` for `holder` until `now + ttl_s`;
    /// true when `holder` holds it. Atomic on both engines: of processes
    /// asking at once, one wins.
    pub async fn hold_lease(&self, name: &str, holder: &str, now: f64, ttl_s: f64) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "INSERT INTO lease (name, holder, expires_unix) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_unix = excluded.expires_unix
             WHERE lease.holder = excluded.holder OR lease.expires_unix < $4",
        )
        .bind(name)
        .bind(holder)
        .bind(now + ttl_s)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(self.sql())?;
        Ok(r.rows_affected() == 1)
    }

    /// Gives the lease up (a clean stop), so another process takes it at
    /// once.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM lease WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(())
    }

    /// Who holds the lease `name`, and until when.
    pub async fn lease_holder(&self, name: &str) -> Result<Option<(String, f64)>, StoreError> {
        let r = sqlx::query("SELECT holder, expires_unix FROM lease WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        r.map(|r| Ok((col(&r, "holder")?, col(&r, "expires_unix")?))).transpose().map_err(self.bad())
    }

    /// Claims `day`'s report on `channel` for `holder`, unless it was sent
    /// or another process claimed it.
    pub async fn claim_report(&self, day: NaiveDate, channel: &str, holder: &str, now: f64) -> Result<Claim, StoreError> {
        if self.report_sent(day, channel).await? {
            return Ok(Claim::Sent);
        }
        sqlx::query(
            "INSERT INTO report_claim (day, channel, holder, claimed_unix) VALUES ($1, $2, $3, $4) ON CONFLICT (day, channel) DO NOTHING",
        )
        .bind(day.to_string())
        .bind(channel)
        .bind(holder)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(self.sql())?;
        let r = sqlx::query("SELECT holder, claimed_unix FROM report_claim WHERE day = $1 AND channel = $2")
            .bind(day.to_string())
            .bind(channel)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        let Some(r) = r else {
            // Claimed and settled between the two statements.
            return Ok(if self.report_sent(day, channel).await? {
                Claim::Sent
            } else {
                Claim::Taken { holder: String::new(), since: now }
            });
        };
        let (who, since): (String, f64) = (col(&r, "holder").map_err(self.bad())?, col(&r, "claimed_unix").map_err(self.bad())?);
        if who != holder {
            return Ok(Claim::Taken { holder: who, since });
        }
        // Another process may have sent it and settled its claim between
        // the first look and this claim: looked at again, now that the
        // claim is ours (it committed before our insert, so it is seen).
        if self.report_sent(day, channel).await? {
            self.release_report(day, channel, holder).await?;
            return Ok(Claim::Sent);
        }
        Ok(Claim::Mine)
    }

    /// The report went out: recorded as sent, the claim settled, in one
    /// transaction.
    pub async fn report_delivered(&self, day: NaiveDate, channel: &str, now: f64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        sqlx::query("INSERT INTO report_sent (day, channel, sent_unix) VALUES ($1, $2, $3) ON CONFLICT (day, channel) DO NOTHING")
            .bind(day.to_string())
            .bind(channel)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(self.sql())?;
        sqlx::query("DELETE FROM report_claim WHERE day = $1 AND channel = $2")
            .bind(day.to_string())
            .bind(channel)
            .execute(&mut *tx)
            .await
            .map_err(self.sql())?;
        tx.commit().await.map_err(self.sql())
    }

    /// The report did not go out (the channel failed): the claim is given
    /// back, so a later tick tries again.
    pub async fn release_report(&self, day: NaiveDate, channel: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM report_claim WHERE day = $1 AND channel = $2 AND holder = $3")
            .bind(day.to_string())
            .bind(channel)
            .bind(holder)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(())
    }

    /// Renames a claim's holder (to mark a dead holder's claim as seen).
    pub async fn rename_claim(&self, day: NaiveDate, channel: &str, holder: &str, to: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE report_claim SET holder = $1 WHERE day = $2 AND channel = $3 AND holder = $4")
            .bind(to)
            .bind(day.to_string())
            .bind(channel)
            .bind(holder)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(())
    }

    // ---- sign-in failures, shared by every hub process ----------------------

    /// Records a wrong password for each of `keys` at `now`; failures older
    /// than `forget_before` are deleted on the way.
    pub async fn record_signin_failure(&self, keys: &[String], now: f64, forget_before: f64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(self.sql())?;
        sqlx::query("DELETE FROM signin_failure WHERE ts_unix < $1").bind(forget_before).execute(&mut *tx).await.map_err(self.sql())?;
        for k in keys {
            sqlx::query("INSERT INTO signin_failure (key, ts_unix) VALUES ($1, $2)")
                .bind(k)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(self.sql())?;
        }
        tx.commit().await.map_err(self.sql())
    }

    /// Wrong passwords for `key` since `since` (unix seconds), and the
    /// latest one's time.
    pub async fn signin_failures(&self, key: &str, since: f64) -> Result<(i64, Option<f64>), StoreError> {
        let r = sqlx::query("SELECT COUNT(*) AS n, MAX(ts_unix) AS last FROM signin_failure WHERE key = $1 AND ts_unix >= $2")
            .bind(key)
            .bind(since)
            .fetch_one(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok((col(&r, "n").map_err(self.bad())?, col(&r, "last").map_err(self.bad())?))
    }

    /// Forgets `key`'s failures (a right password).
    pub async fn clear_signin_failures(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM signin_failure WHERE key = $1").bind(key).execute(&self.pool).await.map_err(self.sql())?;
        Ok(())
    }
}
