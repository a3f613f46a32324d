//! `liyi replay --config FILE TRACE.jsonl... [--json]`

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::replay::{Replay, Summary};
use crate::trace::TraceReader;

/// Run the etiquette rules over recorded keypoint traces (no pixels).
///
/// A trace is JSON lines: the `liyi analyze --json` object plus "ts" (RFC
/// 3339 with offset) and "window". With --json, stdout carries only the
/// events, one JSON object per line; a summary goes to stderr.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The window configuration the traces were recorded under.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,

    /// Trace files, read in the order given; frames of each window must be
    /// in time order.
    #[arg(required = true, value_name = "TRACE.jsonl")]
    traces: Vec<PathBuf>,

    /// Print events as JSON lines on stdout.
    #[arg(long)]
    json: bool,

    /// Also write per-window minute metrics as JSON lines to this file.
    #[arg(long, value_name = "FILE")]
    minutes: Option<PathBuf>,

    /// Instead of events: how many events each rule would raise at each of a
    /// range of its thresholds (a table; JSON lines with --json). For tuning
    /// a hall's settings on its own recorded days.
    #[arg(long, conflicts_with_all = ["minutes", "store"])]
    sweep: bool,

    /// Also store the events and minute metrics in this SQLite store (created
    /// if missing; replaying the same trace twice stores nothing twice).
    #[arg(long, value_name = "FILE")]
    store: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(config) = super::load_config(&args.config) else { return Ok(ExitCode::FAILURE) };
    if args.sweep {
        return sweep(&config, &args.traces, args.json);
    }
    let total: u64 = args.traces.iter().map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)).sum();
    let bar = if total > 1 << 20 {
        let b = ProgressBar::new(total);
        b.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {bytes}/{total_bytes} {eta} {wide_msg}")
                .expect("static template")
                .progress_chars("=> "),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let mut replay = Replay::new(&config);
    let mut all = Vec::new();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut done = 0u64;
    for path in &args.traces {
        bar.set_message(path.display().to_string());
        let mut reader = TraceReader::open(path)?;
        while let Some(frame) = reader.next() {
            let frame = frame?;
            let events = replay.push(&frame).map_err(|m| anyhow::anyhow!("{}:{}: {m}", path.display(), reader.line()))?;
            print_events(&mut out, &events, args.json, &bar)?;
            all.extend(events);
            if reader.line() % 512 == 0 {
                bar.set_position(done + reader.bytes_read);
            }
        }
        done += reader.bytes_read;
    }
    let (events, minutes) = replay.finish();
    print_events(&mut out, &events, args.json, &bar)?;
    all.extend(events);
    bar.finish_and_clear();
    if let Some(p) = &args.minutes {
        let mut f = std::io::BufWriter::new(std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?);
        for m in &minutes {
            serde_json::to_writer(&mut f, m)?;
            f.write_all(b"\n")?;
        }
        f.flush()?;
    }
    if let Some(path) = &args.store {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let added = runtime.block_on(async {
            let mut store = crate::store::Store::open(path).await?;
            if config.hub.is_some() {
                store = store.with_outbox();
            }
            let added = store.insert_events(&all).await?;
            store.upsert_minutes(&minutes).await?;
            store.close().await;
            Ok::<_, crate::store::StoreError>(added)
        })?;
        eprintln!("stored {added} new event(s) and {} minute(s) in {}", minutes.len(), path.display());
    }
    eprint!("{}", summary_text(&replay, &all, &minutes));
    eprint!("{}", baseline_text(&replay));
    Ok(ExitCode::SUCCESS)
}

/// Each window's clerk baseline and what weakens the posture rules there.
fn baseline_text(replay: &Replay) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    for (window, st) in replay.baselines() {
        match &st.baseline {
            Some(b) => {
                let _ = writeln!(
                    t,
                    "baseline {window}: {} samples; shoulders {:.0} px wide at ({:.0}, {:.0}){}{}",
                    st.samples,
                    b.shoulder_width_px,
                    b.shoulder_px[0],
                    b.shoulder_px[1],
                    b.rise_px.map_or(String::new(), |r| format!(", {r:.0} px above the desk line")),
                    b.head_up_px.map_or(String::new(), |h| format!(", head {h:.0} px above them")),
                );
            }
            None => {
                let _ = writeln!(t, "baseline {window}: not learnt yet ({} samples)", st.samples);
            }
        }
        for p in &st.placement {
            if !matches!(p, crate::rules::baseline::Placement::NoBaseline { .. }) {
                let _ = writeln!(t, "  warning: {}", p.advice());
            }
        }
    }
    t
}

fn print_events(out: &mut impl Write, events: &[crate::rules::Event], json: bool, bar: &ProgressBar) -> anyhow::Result<()> {
    for e in events {
        let line = if json {
            serde_json::to_string(e)?
        } else {
            let values: Vec<String> = e.values.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!(
                "{}  {:<22} {}  {} → {}  {:>6.0} s  conf {:.2}  {}",
                e.window,
                e.rule.as_str(),
                e.rule.zh(),
                e.start.format("%Y-%m-%d %H:%M:%S"),
                e.end.format("%H:%M:%S"),
                e.duration_s,
                e.confidence,
                values.join(" ")
            )
        };
        bar.suspend(|| writeln!(out, "{line}"))?;
    }
    Ok(())
}

fn summary_text(replay: &Replay, events: &[crate::rules::Event], minutes: &[crate::rules::MinuteMetrics]) -> String {
    use std::fmt::Write as _;
    let s = Summary::of(events, minutes);
    let mut t = String::new();
    let frames: u64 = replay.frames.values().sum();
    let _ = writeln!(t, "replayed {frames} frames from {} window(s)", replay.frames.len());
    let h = |secs: f64| format!("{:.1} min", secs / 60.0);
    let _ = writeln!(
        t,
        "in service {}, staffed {}, compliant {}, unknown {}",
        h(s.in_service_s),
        h(s.staffed_s),
        h(s.compliant_s),
        h(s.unknown_s)
    );
    if let Some(rate) = s.compliance_rate() {
        let _ = writeln!(t, "compliance rate {:.1}% of judged service time", rate * 100.0);
    }
    for (rule, (n, secs)) in &s.events {
        let _ = writeln!(t, "  {:<22} {:<6} {n} event(s), {}", rule.as_str(), rule.zh(), h(*secs));
    }
    if s.events.is_empty() {
        let _ = writeln!(t, "  no events");
    }
    t
}

fn sweep(config: &crate::config::Config, traces: &[PathBuf], json: bool) -> anyhow::Result<ExitCode> {
    let rows = crate::replay::sweep(config, |each| {
        for path in traces {
            let mut reader = TraceReader::open(path).map_err(|e| e.to_string())?;
            while let Some(frame) = reader.next() {
                let frame = frame.map_err(|e| e.to_string())?;
                each(&frame).map_err(|m| format!("{}:{}: {m}", path.display(), reader.line()))?;
            }
        }
        Ok(())
    })
    .map_err(|m| anyhow::anyhow!(m))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        for r in &rows {
            serde_json::to_writer(&mut out, r)?;
            out.write_all(b"\n")?;
        }
    } else {
        writeln!(out, "{:<24} {:<12} {:>8} {:>7} {:>9}", "rule", "setting", "value", "events", "minutes")?;
        let mut last = None;
        for r in &rows {
            if last.is_some_and(|l| l != (r.rule, r.setting)) {
                writeln!(out)?;
            }
            last = Some((r.rule, r.setting));
            let mark = if r.current { " *" } else { "" };
            writeln!(out, "{:<24} {:<12} {:>8} {:>7} {:>9.1}{mark}", r.rule.as_str(), r.setting, r.value, r.events, r.minutes)?;
        }
        writeln!(out, "\n* the configured value")?;
    }
    // The baselines the thresholds were judged against.
    let mut replay = Replay::new(config);
    for path in traces {
        let mut reader = TraceReader::open(path)?;
        while let Some(frame) = reader.next() {
            replay.push(&frame?).map_err(|m| anyhow::anyhow!("{}:{}: {m}", path.display(), reader.line()))?;
        }
    }
    if json {
        for (window, st) in replay.baselines() {
            serde_json::to_writer(&mut out, &serde_json::json!({ "window": window, "baseline": st }))?;
            out.write_all(b"\n")?;
        }
    } else {
        write!(out, "\n{}", baseline_text(&replay))?;
    }
    Ok(ExitCode::SUCCESS)
}
