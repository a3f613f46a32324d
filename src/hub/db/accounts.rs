use super::*;

/// Whether `name` can be an account's: 1-64 bytes once trimmed, no control
/// characters. The sign-in page refuses any other name before counting it.
pub fn valid_user_name(name: &str) -> bool {
    let name = name.trim();
    !name.is_empty() && name.len() <= 64 && !name.chars().any(char::is_control)
}

impl HubDb {
    // ---- users and sessions ----------------------------------------------

    /// Adds a user, created at `now` (unix seconds).
    pub async fn add_user(&self, name: &str, role: Role, hall: Option<&str>, password: &str, now: f64) -> Result<(), AdminError> {
        if !valid_user_name(name) {
            return Err(AdminError::Invalid("name: give 1-64 printable characters".into()));
        }
        let hash = crate::secret::hash_password(password).map_err(AdminError::Invalid)?;
        let r = sqlx::query(
            "INSERT INTO account (name, role, hall, password_hash, created_unix) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.trim())
        .bind(role.as_str())
        .bind(hall.map(str::trim).filter(|h| !h.is_empty()))
        .bind(hash)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(self.sql())?;
        if r.rows_affected() == 0 {
            return Err(AdminError::Invalid(format!("user {name:?} exists already")));
        }
        Ok(())
    }

    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query("SELECT id, name, role, hall FROM account ORDER BY name").fetch_all(&self.pool).await.map_err(self.sql())?;
        Ok(rows.iter().filter_map(user_from).collect())
    }

    /// The user, if the password matches (argon2 verification).
    pub async fn check_password(&self, name: &str, password: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT id, name, role, hall, password_hash FROM account WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        let Some(row) = row else {
            // Same work for unknown names, so timing does not tell them apart.
            crate::secret::burn_password_check(password);
            return Ok(None);
        };
        let hash: String = col(&row, "password_hash").map_err(self.bad())?;
        let ok = crate::secret::verify_password(password, &hash);
        Ok(if ok { user_from(&row) } else { None })
    }

    /// The user called `name` and their password hash, for a sign-in that
    /// checks the password itself (off the async threads).
    pub async fn user_and_hash(&self, name: &str) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query("SELECT id, name, role, hall, password_hash FROM account WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        let Some(r) = row else { return Ok(None) };
        let Some(user) = user_from(&r) else { return Ok(None) };
        Ok(Some((user, col(&r, "password_hash").map_err(self.bad())?)))
    }

    /// Starts a session at `now` (unix seconds), live until `now` +
    /// [`SESSION_S`]; sessions expired by `now` are deleted. Returns
    /// (cookie token, CSRF token).
    pub async fn new_session(&self, user: &User, now: f64) -> Result<(String, String), StoreError> {
        let (token, csrf) = (secret(), secret());
        sqlx::query("DELETE FROM session WHERE expires_unix < $1").bind(now).execute(&self.pool).await.map_err(self.sql())?;
        sqlx::query("INSERT INTO session (token_sha256, user_id, csrf, expires_unix) VALUES ($1, $2, $3, $4)")
            .bind(sha256_hex(&token))
            .bind(user.id)
            .bind(&csrf)
            .bind(now + SESSION_S)
            .execute(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok((token, csrf))
    }

    /// The session's user and CSRF token, if the session is live at `now`
    /// (unix seconds).
    pub async fn session(&self, token: &str, now: f64) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query("SELECT u.id, u.name, u.role, u.hall, s.csrf FROM session s JOIN account u ON u.id = s.user_id WHERE s.token_sha256 = $1 AND s.expires_unix > $2")
            .bind(sha256_hex(token))
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.sql())?;
        Ok(row.and_then(|r| Some((user_from(&r)?, col(&r, "csrf").ok()?))))
    }

    pub async fn end_session(&self, token: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM session WHERE token_sha256 = $1").bind(sha256_hex(token)).execute(&self.pool).await.map_err(self.sql())?;
        Ok(())
    }
}
