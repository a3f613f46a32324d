//! `liyi check`: a consistency check of a store and its clips folder, in the
//! manner of Moonfire NVR's `db check`. Read-only: the store is opened
//! read-only (never upgraded) and nothing is deleted. It checks
//! - SQLite's own integrity and foreign keys;
//! - the schema version against this binary's;
//! - every clip row's files: inside the clips folder, present;
//! - every file in the clips folder: belongs to a clip row.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Row};

use crate::doctor::Check;

/// Which store: its name in messages, the schema version this binary
/// writes, and the clip table's file columns (relative to the clips folder).
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub name: &'static str,
    pub schema_version: i64,
    pub file_columns: &'static [&'static str],
}

pub const EDGE: Kind =
    Kind { name: "edge store", schema_version: crate::store::SCHEMA_VERSION, file_columns: &["video", "thumbnail", "sidecar"] };
pub const HUB: Kind = Kind { name: "hub store", schema_version: crate::hub::db::SCHEMA_VERSION, file_columns: &["video", "thumbnail"] };

/// Checks the hub's store, on either engine, and its clips folder. On
/// PostgreSQL the server keeps its own integrity (and references); the
/// schema version and the clip rows against the files are checked.
pub async fn check_hub(url: &crate::hub::db::StoreUrl, clips: &Path) -> Vec<Check> {
    use crate::hub::db::{Backend, HubDb, PG_SCHEMA_VERSION, backend};
    let url = match url {
        crate::hub::db::StoreUrl::Sqlite(path) => return check(HUB, path, clips).await,
        pg => pg,
    };
    let what = HUB.name;
    let db = match HubDb::connect_unmigrated(url).await {
        Ok(db) => db,
        Err(e) => return vec![Check::fail(what, e.to_string(), "check [store] url in hub.toml and that the server runs")],
    };
    let kind = Kind { schema_version: PG_SCHEMA_VERSION, ..HUB };
    let mut out = vec![match backend::version(db.pool(), Backend::Postgres).await {
        Ok(v) => version_check(v, kind),
        Err(e) => Check::fail(format!("{what} schema"), e.to_string(), "check that the URL names the hub's database"),
    }];
    let rows = sqlx::query("SELECT id, video, thumbnail FROM clip ORDER BY id").fetch_all(db.pool()).await.and_then(|rows| {
        let mut out = Vec::new();
        for r in &rows {
            let id: i64 = r.try_get("id")?;
            for c in HUB.file_columns {
                out.push((id, r.try_get::<String, _>(*c)?));
            }
        }
        Ok(out)
    });
    match rows {
        Ok(rows) => out.extend(files(&rows, clips)),
        Err(e) => out.push(Check::fail(format!("{what} clips"), format!("the clip rows cannot be read: {e}"), "see the lines above")),
    }
    db.close().await;
    out
}

/// How many paths a line names before "and N more".
const SHOWN: usize = 5;

/// Checks the store at `db` and the clips folder `clips`.
pub async fn check(kind: Kind, db: &Path, clips: &Path) -> Vec<Check> {
    let what = kind.name;
    if !db.is_file() {
        return vec![Check::fail(
            what,
            format!("{} does not exist", db.display()),
            "give the store's path (--store, or the hub's data_dir)",
        )];
    }
    let opts = SqliteConnectOptions::new().filename(db).read_only(true);
    let mut c = match SqliteConnection::connect_with(&opts).await {
        Ok(c) => c,
        Err(e) => {
            return vec![Check::fail(what, format!("{} cannot be opened: {e}", db.display()), "check the path and its permissions")];
        }
    };
    let mut out = vec![integrity(&mut c, db, what).await, foreign_keys(&mut c, what).await, version(&mut c, kind).await];
    match clip_paths(&mut c, kind).await {
        Ok(rows) => out.extend(files(&rows, clips)),
        Err(e) => out.push(Check::fail(format!("{what} clips"), format!("the clip rows cannot be read: {e}"), "see the lines above")),
    }
    let _ = c.close().await;
    out
}

async fn integrity(c: &mut SqliteConnection, db: &Path, what: &str) -> Check {
    match sqlx::query("PRAGMA integrity_check").fetch_all(&mut *c).await {
        Ok(rows) => {
            let lines: Vec<String> = rows.iter().filter_map(|r| r.try_get::<String, _>(0).ok()).collect();
            if lines == ["ok"] {
                Check::ok(what, format!("{}: integrity ok", db.display()))
            } else {
                Check::fail(
                    what,
                    format!("{} is damaged: {}", db.display(), lines.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("; ")),
                    "stop the service, copy the file aside, then restore it from a backup or rescue it with `sqlite3 FILE .recover`",
                )
            }
        }
        Err(e) => Check::fail(what, format!("{} cannot be read as SQLite: {e}", db.display()), "restore the file from a backup"),
    }
}

async fn foreign_keys(c: &mut SqliteConnection, what: &str) -> Check {
    match sqlx::query("PRAGMA foreign_key_check").fetch_all(&mut *c).await {
        Ok(rows) if rows.is_empty() => Check::ok(format!("{what} references"), "every reference points at a row"),
        Ok(rows) => {
            let tables: BTreeSet<String> = rows.iter().filter_map(|r| r.try_get::<String, _>(0).ok()).collect();
            Check::fail(
                format!("{what} references"),
                format!(
                    "{} row(s) point at rows that are gone (tables: {})",
                    rows.len(),
                    tables.into_iter().collect::<Vec<_>>().join(", ")
                ),
                "restore the file from a backup; the rows were changed outside liyi",
            )
        }
        Err(e) => Check::fail(format!("{what} references"), e.to_string(), "restore the file from a backup"),
    }
}

async fn version(c: &mut SqliteConnection, kind: Kind) -> Check {
    match sqlx::query_scalar::<_, i64>("PRAGMA user_version").fetch_one(&mut *c).await {
        Ok(v) => version_check(v, kind),
        Err(e) => Check::fail(format!("{} schema", kind.name), e.to_string(), "restore the file from a backup"),
    }
}

fn version_check(v: i64, kind: Kind) -> Check {
    let what = format!("{} schema", kind.name);
    if v == kind.schema_version {
        Check::ok(what, format!("version {v}, this liyi's"))
    } else if v < kind.schema_version {
        Check::warn(
            what,
            format!("version {v}; this liyi writes {}", kind.schema_version),
            "nothing to do: the next start of this liyi upgrades it (keep a backup first)",
        )
    } else {
        Check::fail(
            what,
            format!("version {v} is newer than this liyi understands ({})", kind.schema_version),
            "run the liyi that wrote it, or upgrade this one",
        )
    }
}

/// (row id, path) for every file a clip row names.
async fn clip_paths(c: &mut SqliteConnection, kind: Kind) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let sql = format!("SELECT id, {} FROM clip ORDER BY id", kind.file_columns.join(", "));
    let rows = sqlx::query(&sql).fetch_all(&mut *c).await?;
    let mut out = Vec::new();
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        for col in kind.file_columns {
            out.push((id, r.try_get::<String, _>(*col)?));
        }
    }
    Ok(out)
}

/// A stored path that stays inside the clips folder: relative, no `..`.
fn contained(p: &str) -> bool {
    let p = Path::new(p);
    !p.as_os_str().is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

/// The clip rows' files against the clips folder's files.
pub fn files(rows: &[(i64, String)], clips: &Path) -> Vec<Check> {
    let what = "clips";
    let mut out = Vec::new();
    let escaping: Vec<&(i64, String)> = rows.iter().filter(|(_, p)| !contained(p)).collect();
    if !escaping.is_empty() {
        out.push(Check::fail(
            what,
            format!(
                "{} row(s) name a file outside the clips folder: {}",
                escaping.len(),
                list(escaping.iter().map(|(id, p)| format!("#{id} {p:?}")))
            ),
            "these rows did not come from liyi; remove them after keeping a copy of the store",
        ));
    }
    let named: BTreeSet<&str> = rows.iter().filter(|(_, p)| contained(p)).map(|(_, p)| p.as_str()).collect();
    let missing: Vec<&(i64, String)> = rows.iter().filter(|(_, p)| contained(p) && !clips.join(p).is_file()).collect();
    if missing.is_empty() {
        out.push(Check::ok(what, format!("all {} file(s) the clip rows name are in {}", named.len(), clips.display())));
    } else {
        out.push(Check::fail(
            what,
            format!(
                "{} file(s) the clip rows name are missing from {}: {}",
                missing.len(),
                clips.display(),
                list(missing.iter().map(|(id, p)| format!("#{id} {p}")))
            ),
            "restore the clips folder from a backup (or give the right one with --clips); otherwise those clips are lost",
        ));
    }
    let on_disk = walk(clips);
    let strays: Vec<String> = on_disk
        .iter()
        .filter_map(|f| f.strip_prefix(clips).ok())
        .map(|r| r.to_string_lossy().into_owned())
        .filter(|r| !named.contains(r.as_str()))
        .collect();
    if !strays.is_empty() {
        out.push(Check::warn(
            what,
            format!("{} file(s) in {} belong to no clip row: {}", strays.len(), clips.display(), list(strays.iter().cloned())),
            "they may be left from a write a kill interrupted; check them with `liyi privacy-audit`, then delete them",
        ));
    }
    out
}

fn list(items: impl Iterator<Item = String>) -> String {
    let all: Vec<String> = items.collect();
    let mut s = all.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if all.len() > SHOWN {
        s += &format!(" and {} more", all.len() - SHOWN);
    }
    s
}

/// Every regular file under `dir` (none if it does not exist).
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => todo.push(e.path()),
                Ok(t) if t.is_file() => out.push(e.path()),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Level;

    #[test]
    fn paths_must_stay_inside_the_clips_folder() {
        assert!(contained("w01/2026-11-28/a.mp4"));
        for bad in ["", "/etc/passwd", "../x.mp4", "w01/../../x", "./a"] {
            assert!(!contained(bad), "{bad}");
        }
    }

    #[test]
    fn missing_and_stray_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("w01")).unwrap();
        std::fs::write(dir.path().join("w01/a.mp4"), b"x").unwrap();
        std::fs::write(dir.path().join("w01/stray.png"), b"x").unwrap();
        let rows = vec![(1, "w01/a.mp4".to_string()), (1, "w01/a.png".to_string()), (2, "../evil".to_string())];
        let checks = files(&rows, dir.path());
        let levels: Vec<Level> = checks.iter().map(|c| c.level).collect();
        assert_eq!(levels, [Level::Fail, Level::Fail, Level::Warn], "{checks:?}");
        assert!(checks[0].detail.contains("#2 \"../evil\""), "{}", checks[0]);
        assert!(checks[1].detail.contains("#1 w01/a.png") && !checks[1].detail.contains("a.mp4"), "{}", checks[1]);
        assert!(checks[2].detail.contains("stray.png"), "{}", checks[2]);
    }

    #[test]
    fn long_lists_are_cut() {
        assert_eq!(list((0..8).map(|i| i.to_string())), "0, 1, 2, 3, 4 and 3 more");
    }
}
