//! Where the hub's store lives, and bringing it to this binary's schema.
//!
//! Two back ends behind one `sqlx::Any` pool, so every query is written
//! once: an SQLite file (the default, under `data_dir`) or a PostgreSQL
//! database (`[store] url = "postgres://…"`), which several hub replicas
//! may share. Each has its own numbered migrations (`schema/sqlite/vN.sql`,
//! `schema/postgres/vN.sql`); a test keeps their tables and columns equal.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::{Executor, Row};

use crate::store::StoreError;

/// SQLite upgrades, in order: `SQLITE[i]` takes the file from version `i`
/// to `i + 1` (tracked in `PRAGMA user_version`).
/// - v2: identity keys in UTC milliseconds, and the repair of v1 rows;
/// - v3: the boxes' store health, alerts published on MQTT;
/// - v4: names PostgreSQL also reads unquoted, the scheduler's lease and
///   report claims;
/// - v5: quarter-hour roll-ups of the minutes.
pub const SQLITE: &[&str] = &[
    include_str!("../schema/sqlite/v1.sql"),
    include_str!("../schema/sqlite/v2.sql"),
    include_str!("../schema/sqlite/v3.sql"),
    include_str!("../schema/sqlite/v4.sql"),
    include_str!("../schema/sqlite/v5.sql"),
];

/// PostgreSQL upgrades, in order (tracked in the `liyi_schema` table).
/// v1 is the shape SQLite reaches at its v4; v2 adds the roll-ups (v5).
pub const POSTGRES: &[&str] = &[include_str!("../schema/postgres/v1.sql"), include_str!("../schema/postgres/v2.sql")];

/// A lock number for migrations, so that replicas starting together
/// upgrade one at a time.
const MIGRATION_LOCK: i64 = 0x6c69_7969_6d67; // "liyimg"

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the hub's store is: `[store] url` in `hub.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL URL, `postgres://user[:password]@host[:port]/database`.
    Postgres(String),
}

impl StoreUrl {
    /// Reads `url`: `sqlite://PATH` (a relative path is under `data_dir`)
    /// or `postgres://…` / `postgresql://…`. The error says what to write.
    pub fn parse(url: &str, data_dir: &Path) -> Result<StoreUrl, String> {
        let url = url.trim();
        if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(
                    "sqlite:// needs a file, e.g. \"sqlite://hub.sqlite\" (under data_dir) or \"sqlite:///var/lib/liyi/hub.sqlite\"".into(),
                );
            }
            let p = Path::new(path);
            return Ok(StoreUrl::Sqlite(if p.is_absolute() { p.to_path_buf() } else { data_dir.join(p) }));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let rest = url.split_once("://").map(|x| x.1).unwrap_or_default();
            let host_and_db = rest.rsplit_once('@').map_or(rest, |x| x.1);
            if host_and_db.is_empty() || host_and_db.starts_with('/') {
                return Err("the PostgreSQL URL has no host: write \"postgres://USER@HOST:5432/DATABASE\"".into());
            }
            if !host_and_db.contains('/') || host_and_db.ends_with('/') {
                return Err("the PostgreSQL URL names no database: write \"postgres://USER@HOST:5432/DATABASE\"".into());
            }
            return Ok(StoreUrl::Postgres(url.to_string()));
        }
        Err(format!(
            "{url:?} is not a store URL: write \"sqlite://hub.sqlite\" (the default, a file under data_dir) or \"postgres://USER@HOST:5432/DATABASE\""
        ))
    }

    pub fn backend(&self) -> Backend {
        match self {
            StoreUrl::Sqlite(_) => Backend::Sqlite,
            StoreUrl::Postgres(_) => Backend::Postgres,
        }
    }

    /// The URL as logs and errors show it: a password is replaced by `***`.
    pub fn shown(&self) -> String {
        match self {
            StoreUrl::Sqlite(p) => p.display().to_string(),
            StoreUrl::Postgres(u) => redact(u),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    match rest.rsplit_once('@') {
        Some((cred, host)) => match cred.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Opens a pool on `url`; the error names the store and what to do.
pub async fn connect(url: &StoreUrl, max_connections: u32) -> Result<AnyPool, StoreError> {
    sqlx::any::install_default_drivers();
    let shown = PathBuf::from(url.shown());
    let open_err = |message: String, fix: &str| StoreError::Open { path: shown.clone(), message, fix: fix.to_string() };
    match url {
        StoreUrl::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| open_err(format!("cannot create {}: {e}", dir.display()), "check the data folder's permissions"))?;
            }
            let pool = AnyPoolOptions::new()
                .max_connections(max_connections)
                .after_connect(|c, _| {
                    Box::pin(async move {
                        // WAL: readers never wait for the writer. NORMAL never
                        // corrupts the file on power loss.
                        c.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON")
                            .await?;
                        Ok(())
                    })
                })
                .connect(&format!("sqlite://{}?mode=rwc", path.display()))
                .await
                .map_err(|e| {
                    let m = e.to_string();
                    if m.contains("not a database") || m.contains("file is encrypted") {
                        open_err("is not a SQLite database".into(), "point at a Liyi hub store, or at a new file name to create one")
                    } else {
                        open_err(m, "check that the path is a Liyi hub store (SQLite) and writable")
                    }
                })?;
            Ok(pool)
        }
        StoreUrl::Postgres(u) => AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect(u)
            .await
            .map_err(|e| {
                open_err(
                    format!("cannot connect to PostgreSQL: {e}"),
                    "check that the server runs, that the URL's user, host, port and database are right, and that the database exists (createdb)",
                )
            }),
    }
}

/// The version a store is at (0: empty).
pub async fn version(pool: &AnyPool, backend: Backend) -> Result<i64, sqlx::Error> {
    match backend {
        Backend::Sqlite => Ok(sqlx::query("PRAGMA user_version").fetch_one(pool).await?.try_get::<i64, _>(0)?),
        Backend::Postgres => {
            let exists: bool = sqlx::query("SELECT to_regclass('liyi_schema') IS NOT NULL AS e").fetch_one(pool).await?.try_get("e")?;
            if !exists {
                return Ok(0);
            }
            let row = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM liyi_schema").fetch_one(pool).await?;
            row.try_get("v")
        }
    }
}

/// The number of upgrades this binary knows for `backend`.
pub fn known(backend: Backend) -> i64 {
    match backend {
        Backend::Sqlite => SQLITE.len() as i64,
        Backend::Postgres => POSTGRES.len() as i64,
    }
}

/// Takes PostgreSQL's upgrade lock for the rest of `tx`: one replica at a
/// time upgrades the schema or fills what an upgrade left empty.
pub(super) async fn upgrade_lock(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MIGRATION_LOCK).execute(&mut **tx).await.map(|_| ())
}

/// Brings the store up to this binary's schema, one transaction per step.
/// A store newer than this binary is refused, untouched. On PostgreSQL the
/// steps run under an advisory lock, so replicas that start together do not
/// upgrade twice.
pub async fn migrate(pool: &AnyPool, backend: Backend, shown: &Path) -> Result<(), StoreError> {
    let sql = |source| StoreError::Sql { path: shown.to_path_buf(), source };
    let steps = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let known = steps.len() as i64;
    let mut tx = pool.begin().await.map_err(sql)?;
    if backend == Backend::Postgres {
        upgrade_lock(&mut tx).await.map_err(sql)?;
        sqlx::raw_sql("CREATE TABLE IF NOT EXISTS liyi_schema (version BIGINT NOT NULL, upgraded_unix DOUBLE PRECISION NOT NULL)")
            .execute(&mut *tx)
            .await
            .map_err(sql)?;
    }
    let found: i64 = match backend {
        Backend::Sqlite => sqlx::query("PRAGMA user_version").fetch_one(&mut *tx).await.and_then(|r| r.try_get::<i64, _>(0)),
        Backend::Postgres => {
            sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM liyi_schema").fetch_one(&mut *tx).await.and_then(|r| r.try_get("v"))
        }
    }
    .map_err(|e| {
        let m = e.to_string();
        if m.contains("not a database") || m.contains("file is encrypted") {
            StoreError::Open {
                path: shown.to_path_buf(),
                message: "is not a SQLite database".into(),
                fix: "point at a Liyi hub store, or at a new file name to create one".into(),
            }
        } else {
            sql(e)
        }
    })?;
    if found > known {
        return Err(StoreError::TooNew { path: shown.to_path_buf(), found, known });
    }
    for (i, step) in steps.iter().enumerate().skip(found.max(0) as usize) {
        sqlx::raw_sql(step).execute(&mut *tx).await.map_err(sql)?;
        match backend {
            Backend::Sqlite => {
                sqlx::raw_sql(&format!("PRAGMA user_version = {}", i + 1)).execute(&mut *tx).await.map_err(sql)?;
            }
            Backend::Postgres => {
                sqlx::query("INSERT INTO liyi_schema (version, upgraded_unix) VALUES ($1, $2)")
                    .bind(i as i64 + 1)
                    .bind(crate::base::clock::now_unix())
                    .execute(&mut *tx)
                    .await
                    .map_err(sql)?;
            }
        }
        // SQLite commits each step on its own (its DDL is transactional,
        // and a later failure keeps the earlier steps).
        if backend == Backend::Sqlite {
            tx.commit().await.map_err(sql)?;
            tx = pool.begin().await.map_err(sql)?;
        }
        tracing::info!(store = %shown.display(), version = i + 1, "hub schema upgraded");
    }
    tx.commit().await.map_err(sql)?;
    Ok(())
}

/// Every table and its columns, sorted: what the schema-parity test and
/// `liyi hub migrate-store` compare.
pub async fn tables(pool: &AnyPool, backend: Backend) -> Result<Vec<(String, Vec<String>)>, sqlx::Error> {
    let rows = match backend {
        Backend::Sqlite => {
            sqlx::query(
                "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, p.name",
            )
            .fetch_all(pool)
            .await?
        }
        Backend::Postgres => {
            sqlx::query(
                "SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name <> 'liyi_schema' ORDER BY table_name, column_name",
            )
            .fetch_all(pool)
            .await?
        }
    };
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for r in &rows {
        let (t, c): (String, String) = (r.try_get("t")?, r.try_get("c")?);
        match out.last_mut() {
            Some((last, cols)) if *last == t => cols.push(c),
            _ => out.push((t, vec![c])),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls_read_and_say_what_to_write() {
        let d = Path::new("/data");
        assert_eq!(StoreUrl::parse("sqlite://hub.sqlite", d).unwrap(), StoreUrl::Sqlite("/data/hub.sqlite".into()));
        assert_eq!(StoreUrl::parse("sqlite:///srv/h.db", d).unwrap(), StoreUrl::Sqlite("/srv/h.db".into()));
        assert_eq!(StoreUrl::parse(" postgres://u@h:5432/db ", d).unwrap(), StoreUrl::Postgres("postgres://u@h:5432/db".into()));
        assert!(StoreUrl::parse("postgresql://u:p@h/db", d).is_ok());
        for bad in ["", "sqlite://", "mysql://h/db", "postgres://", "postgres://u@h", "postgres://u@h:5432/", "hub.sqlite"] {
            let e = StoreUrl::parse(bad, d).unwrap_err();
            assert!(e.contains("postgres://") || e.contains("sqlite://"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn passwords_never_show() {
        assert_eq!(redact("postgres://liyi:s3cret@db:5432/hub"), "postgres://liyi:***@db:5432/hub");
        assert_eq!(redact("postgres://liyi@db/hub"), "postgres://liyi@db/hub");
        let u = StoreUrl::Postgres("postgres://a:p%40ss@h/db".into());
        assert!(!u.shown().contains("p%40ss"));
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_is_refused_without_panic(s in "\\PC{0,60}") {
            let _ = StoreUrl::parse(&s, Path::new("/d"));
            let _ = redact(&s);
        }
    }
}
