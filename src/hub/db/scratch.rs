//! Scratch PostgreSQL databases for tests: each test makes its own on the
//! server `LIYI_TEST_PG` names (e.g. `postgres://postgres@127.0.0.1:5432/test`)
//! and it is dropped when the guard goes.
//!
//! Without `LIYI_TEST_PG` the PostgreSQL variants of the tests say that they
//! did not run and pass; `.ci/run` sets it, so there an unreachable server
//! fails the tests.

use sqlx::{Connection, Executor};

/// The variable that names the test server.
pub const VAR: &str = "LIYI_TEST_PG";

/// A database made for one test; dropped with the guard.
pub struct ScratchPg {
    /// Its URL.
    pub url: String,
    server: String,
    name: String,
}

impl ScratchPg {
    /// A new empty database, or `None` (with a note on stderr) when
    /// `LIYI_TEST_PG` is not set. Panics when it is set and the server
    /// cannot be used: a test machine that should have PostgreSQL must not
    /// pass silently.
    pub async fn new(test: &str) -> Option<ScratchPg> {
        let Ok(server) = std::env::var(VAR) else {
            eprintln!("{test}: the PostgreSQL variant did not run ({VAR} is not set)");
            return None;
        };
        let name = format!(
            "liyi_t_{}",
            crate::secret::random_token().to_lowercase().chars().filter(char::is_ascii_alphanumeric).take(16).collect::<String>()
        );
        let mut c = sqlx::PgConnection::connect(&server).await.unwrap_or_else(|e| panic!("{VAR}={server}: cannot connect: {e}"));
        c.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap_or_else(|e| panic!("{VAR}={server}: CREATE DATABASE: {e}"));
        let _ = c.close().await;
        let url = match server.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("{VAR}={server}: end the URL with a database, e.g. postgres://postgres@127.0.0.1:5432/test"),
        };
        Some(ScratchPg { url, server, name })
    }

    /// Drops the database now (the guard's drop does the same, blocking).
    fn drop_database(server: &str, name: &str) {
        let (server, name) = (server.to_string(), name.to_string());
        // Its own thread and runtime: a guard may be dropped inside or
        // outside an async context.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                let mut c = sqlx::PgConnection::connect(&server).await.ok()?;
                let _ = c.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
                let _ = c.close().await;
                Some(())
            })
        })
        .join();
    }
}

impl Drop for ScratchPg {
    fn drop(&mut self) {
        ScratchPg::drop_database(&self.server, &self.name);
    }
}
