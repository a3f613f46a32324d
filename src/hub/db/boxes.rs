use sqlx::any::AnyRow;

use super::*;

impl HubDb {
    // ---- boxes ----------------------------------------------------------

    /// Registers a box at `now` (unix seconds); returns its token, shown
    /// once (only its hash is kept).
    pub async fn add_box(&self, id: &str, hall: &str, now: f64) -> Result<String, AdminError> {
        if !crate::config::valid_id(id) {
            return Err(AdminError::Invalid(format!("box id {id:?}: use letters, digits, -, _ and . (at most 64)")));
        }
        if hall.trim().is_empty() {
            return Err(AdminError::Invalid("hall: give the service hall's name".into()));
        }
        let token = secret();
        let r = sqlx::query("INSERT INTO box (id, hall, token_sha256, created_unix) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING")
            .bind(id)
            .bind(hall.trim())
            .bind(sha256_hex(&token))
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        if r.rows_affected() == 0 {
            return Err(AdminError::Invalid(format!("box {id:?} is registered already; `liyi hub box token {id}` issues a new token")));
        }
        Ok(token)
    }

    /// Issues a new token for a box; the old one stops working.
    pub async fn rotate_token(&self, id: &str) -> Result<String, AdminError> {
        let token = secret();
        let r = sqlx::query("UPDATE box SET token_sha256 = $1 WHERE id = $2")
            .bind(sha256_hex(&token))
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        if r.rows_affected() == 0 {
            return Err(AdminError::Invalid(format!("no box {id:?}")));
        }
        Ok(token)
    }

    pub async fn box_for_token(&self, token: &str) -> Result<Option<BoxInfo>, StoreError> {
        let row = sqlx::query("SELECT id, hall FROM box WHERE token_sha256 = $1")
            .bind(sha256_hex(token))
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        row.map(|r| Ok(BoxInfo { id: col(&r, "id")?, hall: col(&r, "hall")? })).transpose().map_err(self.bad())
    }

    pub async fn halls(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("SELECT DISTINCT hall FROM box ORDER BY hall").fetch_all(&self.pool).await.map_err(self.sql())?;
        rows.iter().map(|r| col(r, "hall")).collect::<Result<_, _>>().map_err(self.bad())
    }

    pub async fn boxes(&self) -> Result<Vec<BoxHealth>, StoreError> {
        let rows = sqlx::query("SELECT id, hall, last_seen_unix, version, outbox_json, store_json, silent FROM box ORDER BY hall, id")
            .fetch_all(&self.pool)
            .await
            .map_err(self.sql())?;
        let cams =
            sqlx::query("SELECT box, window_id, name, source_up, last_seen_unix, down_since_unix FROM camera ORDER BY box, window_id")
                .fetch_all(&self.pool)
                .await
                .map_err(self.sql())?;
        let cam = |c: &AnyRow| -> Result<(String, CameraHealth), String> {
            let health = CameraHealth {
                window: col(c, "window_id")?,
                name: col(c, "name")?,
                source_up: col::<i64>(c, "source_up")? != 0,
                last_seen_unix: col(c, "last_seen_unix")?,
                down_since_unix: col(c, "down_since_unix")?,
            };
            Ok((col(c, "box")?, health))
        };
        let (cams, _) = self.read_rows(&cams, "camera", &["box", "window_id"], cam);
        let read = |r: &AnyRow| -> Result<BoxHealth, String> {
            let id: String = col(r, "id")?;
            Ok(BoxHealth {
                cameras: cams.iter().filter(|(b, _)| *b == id).map(|(_, c)| c.clone()).collect(),
                id,
                hall: col(r, "hall")?,
                last_seen_unix: col(r, "last_seen_unix")?,
                version: col(r, "version")?,
                outbox: col::<Option<String>>(r, "outbox_json")?.and_then(|j| serde_json::from_str(&j).ok()),
                store: col::<Option<String>>(r, "store_json")?.and_then(|j| serde_json::from_str(&j).ok()),
                silent: col::<i64>(r, "silent")? != 0,
            })
        };
        Ok(self.read_rows(&rows, "box", &["id"], read).0)
    }
}
