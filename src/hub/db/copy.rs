//! `liyi hub migrate-store`: copies a hub store to another engine (a county
//! hub's SQLite file into PostgreSQL, or back), then reads both again and
//! compares them row for row. The target must be empty: nothing is merged.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use sqlx::any::AnyArguments;
use sqlx::{Arguments, Row};

use super::backend::{self, Backend};
use super::{HubDb, col};
use crate::store::StoreError;

/// Every table, in an order that keeps references valid, and the columns
/// that order its rows.
pub const TABLES: &[(&str, &[&str])] = &[
    ("box", &["id"]),
    ("camera", &["box", "window_id"]),
    ("camera_day", &["box", "window_id", "day"]),
    ("minute", &["box", "window_id", "minute_ms"]),
    ("minute_quarter", &["box", "window_id", "quarter_ms"]),
    ("event", &["id"]),
    ("clip", &["id"]),
    ("clip_file_gone", &["path"]),
    ("refused_clip", &["id"]),
    ("account", &["id"]),
    ("session", &["token_sha256"]),
    ("audit_log", &["id"]),
    ("alert", &["id"]),
    ("report_sent", &["day", "channel"]),
    ("report_claim", &["day", "channel"]),
    ("signin_failure", &["id"]),
    ("lease", &["name"]),
];

/// Rows per INSERT: under both engines' limits on parameters.
const BATCH: usize = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Real,
    Text,
}

/// One value as both engines store it.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// What was copied: (table, rows), in copy order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Copied {
    pub tables: Vec<(String, u64)>,
}

impl Copied {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.1).sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the target store is not empty (table {table} has {rows} rows). Fix: copy into a new, empty database (createdb), never into a hub in use"
    )]
    TargetNotEmpty { table: String, rows: i64 },
    #[error("the two stores' tables differ ({0}). Fix: run this liyi's `liyi hub` once on the source so it is upgraded, then copy again")]
    Schema(String),
    #[error("{table} {key}: {message}. Fix: run `liyi check` on the source, repair or remove the row, then copy again")]
    Row { table: String, key: String, message: String },
    #[error(
        "after the copy, {table} differs from the source ({detail}). The source's rows were not changed (it was only brought to this liyi's schema); the target is incomplete: drop it and copy again"
    )]
    Mismatch { table: String, detail: String },
}

fn sql(db: &HubDb) -> impl Fn(sqlx::Error) -> CopyError + '_ {
    move |source| CopyError::Store(StoreError::Sql { path: db.path.clone(), source })
}

/// Copies every row of `from` into the empty store `to`, in one transaction,
/// then compares the two row for row.
pub async fn copy_store(from: &HubDb, to: &HubDb) -> Result<Copied, CopyError> {
    let (a, b) = (
        backend::tables(&from.pool, from.backend).await.map_err(sql(from))?,
        backend::tables(&to.pool, to.backend).await.map_err(sql(to))?,
    );
    if a != b {
        return Err(CopyError::Schema(format!("source {} tables, target {} tables", a.len(), b.len())));
    }
    let columns: HashMap<String, Vec<String>> = a.into_iter().collect();
    for (t, _) in TABLES {
        if !columns.contains_key(*t) {
            return Err(CopyError::Schema(format!("table {t} is missing")));
        }
        let n: i64 = col(&sqlx::query(&format!("SELECT COUNT(*) AS n FROM {t}")).fetch_one(&to.pool).await.map_err(sql(to))?, "n")
            .map_err(|m| CopyError::Row { table: t.to_string(), key: String::new(), message: m })?;
        if n > 0 {
            return Err(CopyError::TargetNotEmpty { table: t.to_string(), rows: n });
        }
    }
    let kinds = kinds(to).await?;
    let mut copied = Copied::default();
    let mut tx = to.pool.begin().await.map_err(sql(to))?;
    for (table, key) in TABLES {
        let cols = &columns[*table];
        let list = quote_end(&cols.join(", "));
        let select = format!("SELECT {list} FROM {table} ORDER BY {}", order(key, from.backend, &kinds, table));
        let col_kinds: Vec<Kind> = cols.iter().map(|c| kinds.get(&(table.to_string(), c.clone())).copied().unwrap_or(Kind::Text)).collect();
        let mut rows = sqlx::query(&select).fetch(&from.pool);
        let mut batch: Vec<Vec<Val>> = Vec::with_capacity(BATCH);
        let mut n = 0u64;
        while let Some(r) = rows.try_next().await.map_err(sql(from))? {
            batch.push(read_row(&r, table, key, cols, &kinds)?);
            if batch.len() == BATCH {
                n += insert(&mut tx, table, &list, &col_kinds, &batch).await.map_err(sql(to))?;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            n += insert(&mut tx, table, &list, &col_kinds, &batch).await.map_err(sql(to))?;
        }
        copied.tables.push((table.to_string(), n));
    }
    if to.backend == Backend::Postgres {
        // Identity columns continue after the copied ids.
        let numbered = |t: &str| kinds.get(&(t.to_string(), "id".to_string())) == Some(&Kind::Int);
        for (table, _) in TABLES.iter().filter(|(t, k)| *k == ["id"] && numbered(t)) {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            ))
            .execute(&mut *tx)
            .await
            .map_err(sql(to))?;
        }
    }
    tx.commit().await.map_err(sql(to))?;
    verify(from, to, &columns, &kinds).await?;
    Ok(copied)
}

/// `end` is a word PostgreSQL reserves: quoted in column lists.
fn quote_end(list: &str) -> String {
    list.split(", ")
        .map(|c| if c == "end" || c == "\"end\"" { "\"end\"".to_string() } else { c.to_string() })
        .collect::<Vec<_>>()
        .join(", ")
}

/// ORDER BY for a table's key, byte order for text on both engines.
fn order(key: &[&str], backend: Backend, kinds: &HashMap<(String, String), Kind>, table: &str) -> String {
    key.iter()
        .map(|c| match (backend, kinds.get(&(table.to_string(), c.to_string()))) {
            (Backend::Postgres, Some(Kind::Text)) => format!("{c} COLLATE \"C\""),
            _ => c.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Each column's kind, from the target's declared types.
async fn kinds(db: &HubDb) -> Result<HashMap<(String, String), Kind>, CopyError> {
    let rows = match db.backend {
        Backend::Sqlite => sqlx::query(
            "SELECT m.name AS t, p.name AS c, UPPER(p.type) AS ty FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&db.pool)
        .await
        .map_err(sql(db))?,
        Backend::Postgres => sqlx::query(
            "SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c, UPPER(CAST(data_type AS TEXT)) AS ty
             FROM information_schema.columns WHERE table_schema = current_schema()",
        )
        .fetch_all(&db.pool)
        .await
        .map_err(sql(db))?,
    };
    let mut out = HashMap::new();
    for r in &rows {
        let (t, c, ty): (String, String, String) =
            (r.try_get("t").map_err(sql(db))?, r.try_get("c").map_err(sql(db))?, r.try_get("ty").map_err(sql(db))?);
        let kind = if ty.contains("INT") {
            Kind::Int
        } else if ty.contains("REAL") || ty.contains("DOUBLE") || ty.contains("FLOAT") {
            Kind::Real
        } else {
            Kind::Text
        };
        out.insert((t, c), kind);
    }
    Ok(out)
}

/// One row's values; an error names the row by the table's key columns
/// (`key`) and the column that does not read.
fn read_row(
    r: &sqlx::any::AnyRow,
    table: &str,
    key: &[&str],
    cols: &[String],
    kinds: &HashMap<(String, String), Kind>,
) -> Result<Vec<Val>, CopyError> {
    cols.iter()
        .map(|c| {
            let kind = kinds.get(&(table.to_string(), c.clone())).copied().unwrap_or(Kind::Text);
            read_val(r, c, kind).map_err(|message| CopyError::Row { table: table.to_string(), key: super::row_key(r, key), message })
        })
        .collect()
}

/// One value as the column's kind; a REAL holding a whole number in an
/// integer column reads as that integer, anything else that does not fit
/// is an error naming the column.
fn read_val(r: &sqlx::any::AnyRow, c: &str, kind: Kind) -> Result<Val, String> {
    use sqlx::ValueRef;
    if r.try_get_raw(c).map_err(|e| format!("{c}: {e}"))?.is_null() {
        return Ok(Val::Null);
    }
    match kind {
        Kind::Int => col::<i64>(r, c).map(Val::Int).or_else(|e| match col::<f64>(r, c) {
            Ok(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Ok(Val::Int(f as i64)),
            _ => Err(e),
        }),
        Kind::Real => col::<f64>(r, c).map(Val::Real).or_else(|e| col::<i64>(r, c).map(|i| Val::Real(i as f64)).map_err(|_| e)),
        Kind::Text => col::<String>(r, c).map(Val::Text),
    }
}

async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    list: &str,
    kinds: &[Kind],
    rows: &[Vec<Val>],
) -> Result<u64, sqlx::Error> {
    let width = rows[0].len();
    let mut args = AnyArguments::default();
    let mut values = Vec::with_capacity(rows.len());
    let mut i = 0;
    for row in rows {
        let mut marks = Vec::with_capacity(width);
        for (j, v) in row.iter().enumerate() {
            i += 1;
            marks.push(format!("${i}"));
            let added = match v {
                Val::Null => match kinds[j] {
                    Kind::Int => args.add(Option::<i64>::None),
                    Kind::Real => args.add(super::OptF64(None)),
                    Kind::Text => args.add(Option::<String>::None),
                },
                Val::Int(x) => args.add(*x),
                Val::Real(x) => args.add(*x),
                Val::Text(s) => args.add(s.clone()),
            };
            added.map_err(sqlx::Error::Encode)?;
        }
        values.push(format!("({})", marks.join(", ")));
    }
    let q = format!("INSERT INTO {table} ({list}) VALUES {}", values.join(", "));
    Ok(sqlx::query_with(&q, args).execute(&mut **tx).await?.rows_affected())
}

/// Reads both stores again, table by table in key order, and compares
/// every value.
async fn verify(
    from: &HubDb,
    to: &HubDb,
    columns: &HashMap<String, Vec<String>>,
    kinds: &HashMap<(String, String), Kind>,
) -> Result<(), CopyError> {
    for (table, key) in TABLES {
        let cols = &columns[*table];
        let list = quote_end(&cols.join(", "));
        let a_sql = format!("SELECT {list} FROM {table} ORDER BY {}", order(key, from.backend, kinds, table));
        let b_sql = format!("SELECT {list} FROM {table} ORDER BY {}", order(key, to.backend, kinds, table));
        let mut a = sqlx::query(&a_sql).fetch(&from.pool);
        let mut b = sqlx::query(&b_sql).fetch(&to.pool);
        let mut n = 0u64;
        loop {
            let (x, y) = (a.try_next().await.map_err(sql(from))?, b.try_next().await.map_err(sql(to))?);
            match (x, y) {
                (None, None) => break,
                (Some(_), None) | (None, Some(_)) => {
                    return Err(CopyError::Mismatch { table: table.to_string(), detail: format!("the row counts differ after {n} rows") });
                }
                (Some(x), Some(y)) => {
                    let (x, y) = (read_row(&x, table, key, cols, kinds)?, read_row(&y, table, key, cols, kinds)?);
                    if x != y {
                        let at = cols.iter().zip(x.iter().zip(&y)).find(|(_, (p, q))| p != q).map(|(c, _)| c.as_str()).unwrap_or("?");
                        return Err(CopyError::Mismatch { table: table.to_string(), detail: format!("row {} differs in {at}", n + 1) });
                    }
                }
            }
            n += 1;
        }
    }
    Ok(())
}
