//! `liyi hub --config hub.toml`: serve the hub; with a subcommand, manage
//! its users and boxes. `liyi report --date D`: a day's summary.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use super::RuntimeArgs;
use crate::hub::{self, Hub, HubConfig, db::Role};

/// Run the hub: receive boxes' numbers and clips, send daily summaries,
/// serve supervisors, trainers and admins. With a subcommand: manage users
/// and boxes.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = false)]
pub struct Args {
    /// The hub configuration (see config/hub.example.toml).
    #[arg(long, value_name = "FILE", default_value = "hub.toml")]
    config: PathBuf,

    #[command(subcommand)]
    admin: Option<Admin>,

    #[command(flatten)]
    runtime: RuntimeArgs,
}

#[derive(Debug, clap::Subcommand)]
enum Admin {
    /// Register a box; prints its token once (copy it into the box's [hub]).
    #[command(name = "box-add")]
    BoxAdd {
        /// Box id, e.g. chengguan-box1.
        id: String,
        /// The service hall it watches.
        #[arg(long)]
        hall: String,
    },
    /// Issue a new token for a box (the old one stops working).
    #[command(name = "box-token")]
    BoxToken { id: String },
    /// List boxes and when each was last heard from.
    #[command(name = "box-list")]
    BoxList,
    /// Create a user. The password is read from LIYI_PASSWORD or stdin.
    #[command(name = "user-add")]
    UserAdd {
        name: String,
        /// supervisor, trainer or admin.
        #[arg(long)]
        role: String,
        /// Limit the user to one hall.
        #[arg(long)]
        hall: Option<String>,
    },
    /// Copy a hub store into an empty one on another engine, e.g. a county
    /// hub's SQLite file into PostgreSQL, then compare the two row for row.
    /// Stop the hub first. Needs no hub.toml.
    #[command(name = "migrate-store")]
    MigrateStore {
        /// The store to copy: sqlite://FILE or postgres://USER@HOST:PORT/DB.
        #[arg(long, value_name = "URL")]
        from: String,
        /// The empty store to fill (made and brought to this liyi's schema).
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

fn load(path: &std::path::Path) -> anyhow::Result<HubConfig> {
    hub::config::load(path).map_err(|e| anyhow::anyhow!("{e}"))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(Admin::MigrateStore { from, to }) = &args.admin {
        return migrate_store(from, to);
    }
    let cfg = load(&args.config)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    match args.admin {
        Some(cmd) => rt.block_on(admin(cfg, cmd)),
        None => {
            let faces = args.runtime.runtime().map_err(|e| e.to_string()).and_then(|r| {
                crate::vision::retinaface::FaceDetector::load(
                    r,
                    &args.runtime.catalog(),
                    crate::vision::engine::EngineOptions { intra_threads: 1 },
                )
                .map_err(|e| e.to_string())
            });
            if let Err(e) = &faces {
                eprintln!("warning: the face model did not load ({e}); clip uploads will be refused until it does");
            }
            rt.block_on(serve(cfg, faces))
        }
    }
}

async fn serve(cfg: HubConfig, faces: Result<crate::vision::retinaface::FaceDetector, String>) -> anyhow::Result<ExitCode> {
    let listen = cfg.listen;
    let mqtt = cfg.mqtt.as_ref().map(|m| Arc::new(crate::mqtt::Publisher::start(&tokio::runtime::Handle::current(), m, "hub")));
    let hub = Hub::open(cfg, faces, mqtt.clone()).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}; is another hub running? Fix: change `listen` in the config"))?;
    let bound = listener.local_addr()?;
    eprintln!("hub: http://{bound}/  (store {})", hub.cfg.store.shown());
    tracing::info!(%bound, "hub started");
    // Ctrl-C or SIGTERM: stop taking requests, let those under way finish,
    // stop the scheduler, and close the store (checkpointing its WAL).
    let shutdown = crate::base::shutdown::Shutdown::new();
    shutdown.on_signals();
    let scheduler = tokio::spawn(hub::tasks::run(Arc::clone(&hub), std::time::Duration::from_secs(5)));
    let app = hub::web::router(Arc::clone(&hub));
    let mut stop = shutdown.signal();
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async move { stop.wait().await })
        .await;
    scheduler.abort();
    let _ = scheduler.await;
    hub::tasks::release(&hub).await;
    if let Some(m) = mqtt {
        m.close(std::time::Duration::from_secs(3)).await;
    }
    hub.db.close().await;
    tracing::info!("hub stopped");
    eprintln!("hub: stopped");
    served?;
    Ok(ExitCode::SUCCESS)
}

async fn admin(cfg: HubConfig, cmd: Admin) -> anyhow::Result<ExitCode> {
    let db = hub::HubDb::connect(&cfg.store).await?;
    match cmd {
        Admin::MigrateStore { .. } => anyhow::bail!("migrate-store runs without the hub's store open"),
        Admin::BoxAdd { id, hall } => {
            let token = db.add_box(&id, &hall, crate::base::clock::now_unix()).await?;
            println!("{token}");
            eprintln!("box {id} registered for {hall}. Put the token above into the box's token_file; it is not shown again.");
        }
        Admin::BoxToken { id } => {
            println!("{}", db.rotate_token(&id).await?);
        }
        Admin::BoxList => {
            for b in db.boxes().await? {
                let seen = b.last_seen_unix.map_or("never".to_string(), |t| format!("{:.0} s ago", hub::db::now_unix() - t));
                println!("{}\t{}\t{seen}\t{} camera(s)", b.id, b.hall, b.cameras.len());
            }
        }
        Admin::UserAdd { name, role, hall } => {
            let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("--role {role:?}: use supervisor, trainer or admin"))?;
            let password = super::pages_password::read_password(&format!("password for {name}"))?;
            db.add_user(&name, role, hall.as_deref(), &password, crate::base::clock::now_unix()).await?;
            eprintln!("user {name} ({}) created", role.as_str());
        }
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Print or send a day's compliance summary from the hub's store.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The hub configuration.
    #[arg(long, value_name = "FILE", default_value = "hub.toml")]
    config: PathBuf,

    /// The day, YYYY-MM-DD (hub timezone), 2000 to 2200. Default: yesterday.
    #[arg(long, value_parser = hub::summary::parse_report_date)]
    date: Option<chrono::NaiveDate>,

    /// Only this hall.
    #[arg(long)]
    hall: Option<String>,

    /// html, csv, json, markdown or text.
    #[arg(long, default_value = "text")]
    format: String,

    /// Write here instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,

    /// Also deliver it (e-mail and webhook, as configured), even if it went
    /// out before.
    #[arg(long)]
    send: bool,
}

pub fn report(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let cfg = load(&args.config)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let date = match args.date {
            Some(d) => d,
            None => chrono::Utc::now().with_timezone(&cfg.timezone).date_naive() - chrono::Days::new(1),
        };
        let lang = cfg.language;
        let hub = Hub::open(cfg, Err("not needed for reports".into()), None).await?;
        let s = hub::report::build(&hub, date, args.hall.as_deref()).await?;
        for row in &s.skipped_rows {
            eprintln!("warning: a stored row could not be read and is left out of the summary: {row}");
        }
        let link = hub::report::link(&hub, date);
        let text = match args.format.as_str() {
            "html" => hub::render::summary_html(&s, lang, None, "", args.hall.as_deref(), &[], hub.now_utc())?,
            "csv" => hub::render::summary_csv(&s),
            "json" => serde_json::to_string_pretty(&s)?,
            "markdown" => hub::render::summary_markdown(&s, lang, &link),
            "text" => hub::render::summary_text(&s, lang, &link),
            other => anyhow::bail!("--format {other:?}: use html, csv, json, markdown or text"),
        };
        match &args.out {
            Some(p) => crate::atomic::write_bytes(p, text.as_bytes()).with_context(|| format!("cannot write {}", p.display()))?,
            None => print!("{text}"),
        }
        if args.send {
            if hub.cfg.email.is_none() && hub.cfg.webhook.is_none() {
                anyhow::bail!("--send: the config has neither [email] nor [webhook]");
            }
            for channel in ["email", "webhook"] {
                forget(&hub, date, channel).await?;
            }
            let failed = hub::report::deliver_day(&hub, date).await?;
            if !failed.is_empty() {
                anyhow::bail!("delivery failed: {}", failed.join("; "));
            }
            eprintln!("summary of {date} delivered");
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// `--send` resends: forget that the day went out.
async fn forget(hub: &Hub, date: chrono::NaiveDate, channel: &str) -> anyhow::Result<()> {
    hub.db.forget_report(date, channel).await?;
    Ok(())
}

/// Send what waits in a box's outbox to its hub, then exit.
#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// The box's configuration (its [hub] section).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,

    /// The edge store.
    #[arg(long, value_name = "FILE", default_value = "liyi-edge.sqlite")]
    store: PathBuf,

    /// The clips folder. Default: `clips/` beside the store.
    #[arg(long, value_name = "DIR")]
    clips: Option<PathBuf>,
}

pub fn push(args: PushArgs) -> anyhow::Result<ExitCode> {
    let Some(cfg) = super::load_config(&args.config) else { return Ok(ExitCode::FAILURE) };
    let Some(link) = cfg.hub.clone() else { anyhow::bail!("{}: no [hub] section; add url, box and token_file", args.config.display()) };
    let clips = args.clips.clone().unwrap_or_else(|| crate::agent::service::clips_beside(&args.store));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let store = crate::store::Store::open(&args.store).await?.with_outbox();
        let up = crate::uplink::Uplink::new(link, store.clone(), &clips)?;
        let moved = up.drain().await?;
        let left = store.outbox_stats().await?;
        println!(
            "sent {} row(s) and {} clip(s); {} row(s) and {} clip(s) refused by the hub; waiting: {} minute(s), {} event(s), {} clip(s)",
            moved.rows.saturating_sub(up.refused_rows()),
            moved.clips,
            up.refused_rows(),
            moved.clips_refused,
            left.minutes,
            left.events,
            left.clips
        );
        if let Some(n) = left.unsent.filter(|n| *n > 0) {
            println!("never sent, in all: {n} row(s) (refused by the hub, unreadable, or over the outbox bounds; each stays in the store). The latest:");
            for u in store.unsent(10).await? {
                let at = chrono::DateTime::from_timestamp(u.at_unix as i64, 0)
                    .map_or_else(|| "?".to_string(), |t| t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S").to_string());
                println!("  {at}  {} in window {}: {}", u.kind, u.window.as_deref().unwrap_or("?"), u.reason);
            }
        }
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}

fn migrate_store(from: &str, to: &str) -> anyhow::Result<ExitCode> {
    use crate::hub::db::{HubDb, StoreUrl, copy};
    let here = std::env::current_dir()?;
    let from = StoreUrl::parse(from, &here).map_err(|e| anyhow::anyhow!("--from: {e}"))?;
    let to = StoreUrl::parse(to, &here).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    if from == to {
        anyhow::bail!("--from and --to are the same store; give an empty store as --to");
    }
    if let StoreUrl::Sqlite(p) = &from
        && !p.is_file()
    {
        anyhow::bail!("--from: {} does not exist. Fix: give the hub's store, e.g. sqlite:///var/lib/liyi-hub/hub.sqlite", p.display());
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async {
        // The source is brought to this liyi's schema first (as `liyi hub`
        // would on its next start), so both sides have the same tables.
        let a = HubDb::connect(&from).await?;
        // A hub still serving this store would write rows the copy misses.
        if let Some((holder, until)) = a.lease_holder(crate::hub::db::SCHEDULE).await?
            && until > crate::base::clock::now_unix() {
                anyhow::bail!("--from: hub process {holder} is running on this store. Fix: stop every hub process on it (one that was killed rather than stopped holds the store for up to 30 s more), then copy");
            }
        let b = HubDb::connect(&to).await?;
        eprintln!("copying {} -> {}", from.shown(), to.shown());
        let copied = copy::copy_store(&a, &b).await?;
        for (table, n) in &copied.tables {
            println!("{table}\t{n}");
        }
        println!("copied {} rows; every row read back and compared equal", copied.rows());
        a.close().await;
        b.close().await;
        eprintln!("Next: set [store] url in hub.toml to the --to URL (the clips folder stays under data_dir), and start the hub.");
        Ok(ExitCode::SUCCESS)
    })
}
