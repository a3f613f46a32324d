//! Event precision and recall of every rule on simulated windows drawn at
//! random (for docs/accuracy.md).
//!
//!     cargo run --release --example accuracy_sim -- --family held-out --windows 200
//!     cargo run --release --example accuracy_sim -- --family tuning --windows 120
//!
//! `--list` names every missed and false event; `--debug I [--at S]` shows
//! window I frame by frame; `--why-slouch` sorts the missed slouches by what
//! the rules saw in most of their frames (use it on the tuning family only).
//!
//! A family is a seed (`liyi::sim::family`); thresholds were chosen on the
//! tuning family only. A detected event counts when it overlaps a truth
//! event of the same rule (5 s slack).

use std::collections::BTreeMap;

use liyi::rules::RuleCode;
use liyi::sim::evaluate::Score;
use liyi::sim::family::{self, Bucket, Report, Scores, WindowResult};

/// Options that take a value, and switches.
const VALUED: [&str; 6] = ["--family", "--windows", "--minutes", "--threads", "--debug", "--at"];
const SWITCHES: [&str; 3] = ["--cold", "--list", "--why-slouch"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // An option not understood (`--help` included) runs nothing: the
    // default family is the held-out one, which must not be read by
    // accident.
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if VALUED.contains(&a) && i + 1 < args.len() {
            i += 2;
        } else if SWITCHES.contains(&a) {
            i += 1;
        } else {
            eprintln!(
                "accuracy_sim: {a:?} is not understood{}.\nUsage: accuracy_sim [--family tuning|held-out|fresh|third|SEED] [--windows N] [--minutes M] [--threads T] [--cold] [--list | --why-slouch | --debug I [--at S]]\nThe default family is held-out: choose thresholds on --family tuning only.",
                if VALUED.contains(&a) { " (it needs a value)" } else { "" }
            );
            std::process::exit(2);
        }
    }
    let arg = |k: &str| args.iter().position(|a| a == k).and_then(|i| args.get(i + 1)).cloned();
    let family_name = arg("--family").unwrap_or_else(|| "held-out".into());
    let seed = match family_name.as_str() {
        "tuning" => family::TUNING,
        "held-out" => family::HELD_OUT,
        "fresh" => family::FRESH,
        "third" => family::THIRD,
        other => other.parse().unwrap_or_else(|_| {
            eprintln!("accuracy_sim: --family tuning|held-out|fresh|third|SEED, not {other:?}");
            std::process::exit(2)
        }),
    };
    // A value that does not read runs nothing either.
    fn value<T: std::str::FromStr>(arg: Option<String>, k: &str) -> Option<T> {
        let v = arg?;
        Some(v.parse().unwrap_or_else(|_| {
            eprintln!("accuracy_sim: {k} {v:?} does not read as a number");
            std::process::exit(2)
        }))
    }
    let n: usize = value(arg("--windows"), "--windows").unwrap_or(200);
    let minutes: f32 = value(arg("--minutes"), "--minutes").unwrap_or(60.0);
    let threads: usize = value(arg("--threads"), "--threads").unwrap_or(2);
    if let Some(i) = value(arg("--debug"), "--debug") {
        debug(seed, i, minutes, value(arg("--at"), "--at"));
        return;
    }
    let t0 = std::time::Instant::now();
    if args.iter().any(|a| a == "--why-slouch") {
        why_slouch(seed, n, minutes, threads);
        return;
    }
    let start = if args.iter().any(|a| a == "--cold") { family::Start::Cold } else { family::Start::Warm };
    let report = family::evaluate(seed, n, minutes, threads, start);
    eprintln!("{n} windows × {minutes} min in {:.0} s", t0.elapsed().as_secs_f64());
    if args.iter().any(|a| a == "--list") {
        for w in &report.windows {
            // Whether the window's clerk moves the chair (drawn once).
            let chair = family::draw_window(seed, w.index, 1.0).chair.back_max_m > 0.0;
            for (r, t, form) in &w.false_events {
                println!("false  w{} {r} at {t:.0} in {form} (shoulders {:.0} px) chair {}", w.index, w.shoulder_px, chair);
            }
            if w.visits.too_often() != w.truth_visits.too_often() {
                println!(
                    "visits w{} the rules {} hidden of {} (warned {}), the truth {} of {}",
                    w.index,
                    w.visits.hidden,
                    w.visits.visits,
                    w.visits.too_often(),
                    w.truth_visits.hidden,
                    w.truth_visits.visits
                );
            }
            for (r, t, form, hidden) in &w.missed {
                let hidden = if *hidden { " hidden by a visitor" } else { "" };
                println!("missed w{} {r} at {t:.0} in {form} (shoulders {:.0} px) chair {chair}{hidden}", w.index, w.shoulder_px);
            }
        }
        return;
    }
    print(
        &format!(
            "{family_name}` ({}",
            if start == family::Start::Cold { "cold start: no baseline kept" } else { "baseline kept from the previous day" }
        ),
        &report,
        minutes,
    );
}

fn f(v: Option<f64>) -> String {
    v.map_or("—".to_string(), |v| format!("{v:.3}"))
}

fn pr(s: &Score) -> String {
    format!("{} / {}", f(s.precision()), f(s.recall()))
}

fn rules_table(title: &str, scores: &Scores) {
    println!("{title}\n");
    println!("| rule | precision | recall | true pos | false pos | false neg | hidden by a visitor: found / missed | recall in sight |");
    println!("|---|---|---|---|---|---|---|---|");
    for (r, s) in scores {
        println!(
            "| `{r}` | {} | {} | {} | {} | {} | {} / {} | {} |",
            f(s.precision()),
            f(s.recall()),
            s.true_pos,
            s.false_pos,
            s.false_neg,
            s.hidden_found,
            s.hidden_missed,
            f(s.recall_in_sight())
        );
    }
    println!();
}

fn grouped(title: &str, report: &Report, names: &[&str], key: impl Fn(&WindowResult) -> usize) {
    let rules = [RuleCode::Slouching, RuleCode::HeadOnDesk, RuleCode::Absent, RuleCode::CrossedLegs, RuleCode::NotStandingToGreet];
    println!("{title}\n");
    print!("| band | windows |");
    for r in rules {
        print!(" `{r}` |");
    }
    println!();
    println!("|---|---|{}", "---|".repeat(rules.len()));
    for (i, name) in names.iter().enumerate() {
        let n = report.windows.iter().filter(|w| key(w) == i).count();
        let s = report.total(|w| key(w) == i);
        print!("| {name} | {n} |");
        for r in rules {
            print!(" {} |", pr(&s.get(&r).copied().unwrap_or_default()));
        }
        println!();
    }
    println!();
}

fn print(family: &str, report: &Report, minutes: f32) {
    println!("## Family `{family}): {} windows × {minutes} min\n", report.windows.len());
    rules_table("### Every window (precision / recall per rule)", &report.total(|_| true));
    rules_table(
        "### Inside the recommended placement (2.1–2.4 m high, 2.6–3.0 m away, tilt 10–35°)",
        &report.total(|w| w.bucket.recommended()),
    );
    rules_table("### Outside it", &report.total(|w| !w.bucket.recommended()));
    println!("Cells are precision / recall.\n");
    grouped("### By camera height (m)", report, &Bucket::HEIGHTS, |w| w.bucket.height as usize);
    grouped("### By distance to the clerk (m)", report, &Bucket::DISTANCES, |w| w.bucket.distance as usize);
    grouped("### By camera tilt (°)", report, &Bucket::TILTS, |w| w.bucket.tilt as usize);
    let px = ["< 40", "40–70", "70–110", "110–160", "≥ 160"];
    grouped("### By the clerk's shoulder width in the image (px)", report, &px, |w| {
        [40.0, 70.0, 110.0, 160.0].iter().filter(|c| w.shoulder_px >= **c).count()
    });
    // Joint cells (height × distance × tilt) for the posture rules.
    println!("### By placement cell: `slouching` and `head_on_desk`\n");
    println!("| height m | distance m | tilt ° | windows | `slouching` | `head_on_desk` |");
    println!("|---|---|---|---|---|---|");
    let mut cells: BTreeMap<Bucket, Vec<&WindowResult>> = BTreeMap::new();
    for w in &report.windows {
        cells.entry(w.bucket).or_default().push(w);
    }
    for (b, ws) in &cells {
        let mut t = Scores::new();
        for w in ws {
            for (r, s) in &w.scores {
                t.entry(*r).or_default().add(*s);
            }
        }
        let get = |r: RuleCode| pr(&t.get(&r).copied().unwrap_or_default());
        println!(
            "| {} | {} | {} | {}{} | {} | {} |",
            Bucket::HEIGHTS[b.height as usize],
            Bucket::DISTANCES[b.distance as usize],
            Bucket::TILTS[b.tilt as usize],
            ws.len(),
            if b.recommended() { " (recommended)" } else { "" },
            get(RuleCode::Slouching),
            get(RuleCode::HeadOnDesk)
        );
    }
    println!();
    visitors_table(report);
    println!("### By behaviour form\n");
    println!("| rule | form | truth events | found | recall | false events starting in this form |");
    println!("|---|---|---|---|---|---|");
    for ((r, form), c) in report.forms() {
        let recall = (c.truth > 0).then(|| f64::from(c.found) / f64::from(c.truth));
        println!(
            "| `{r}` | {} | {} | {} | {} | {} |",
            if form.is_empty() { "—" } else { &form },
            c.truth,
            c.found,
            f(recall),
            c.false_events
        );
    }
}

/// How often a visitor hid the clerk, as the rules counted it and as the
/// truth has it, and whether each window's placement warning
/// (`Placement::VisitorsHideClerk`) matches the one the truth would give.
fn visitors_table(report: &Report) {
    let sum = |get: &dyn Fn(&WindowResult) -> liyi::rules::visits::VisitTally| {
        report.windows.iter().map(get).fold((0u64, 0u64), |(v, h), t| (v + u64::from(t.visits), h + u64::from(t.hidden)))
    };
    println!("### Visits a visitor hid the clerk in\n");
    println!("| counted by | visits | hidden | share |");
    println!("|---|---|---|---|");
    for (name, (v, h)) in [("the rules", sum(&|w| w.visits)), ("the truth", sum(&|w| w.truth_visits))] {
        println!("| {name} | {v} | {h} | {} |", f((v > 0).then(|| h as f64 / v as f64)));
    }
    let mut cells = [[0u32; 2]; 2];
    for w in &report.windows {
        cells[usize::from(w.truth_visits.too_often())][usize::from(w.visits.too_often())] += 1;
    }
    println!(
        "\nThe placement warning (a tenth or more of {} or more visits hidden), by window: warned and due {}, warned but not due {}, due but not warned {}, neither {}.\n",
        liyi::rules::visits::MIN_VISITS,
        cells[1][1],
        cells[0][1],
        cells[1][0],
        cells[0][0]
    );
    let greeting = |warned: bool| {
        let s = report.total(|w| w.visits.too_often() == warned);
        s.get(&RuleCode::NotStandingToGreet).map_or("—".to_string(), pr)
    };
    println!("Greeting (precision / recall) in the windows the rules warned: {}; in the others: {}.\n", greeting(true), greeting(false));
}

/// One window in detail: truth and detected events, and the observations
/// around each missed or false event (or around `--at SECONDS`).
fn debug(seed: u64, i: usize, minutes: f32, at: Option<f64>) {
    use liyi::rules::WindowRules;
    let w = family::draw_window(seed, i, minutes);
    let sim = liyi::sim::simulate(&w.scenario, &w.sim_config());
    let window = w.window(&sim);
    println!(
        "camera {:?}\nconfigured tilt {} shoulder px {:.0} legs {} monitor {:?}",
        w.camera,
        w.configured_tilt_deg,
        w.shoulder_px(),
        w.legs_visible,
        w.scene.monitor.is_some()
    );
    let t0 = sim.frames[0].trace.ts;
    let secs = |t: chrono::DateTime<chrono::FixedOffset>| (t - t0).num_milliseconds() as f64 / 1000.0;
    for t in &sim.truth_events {
        println!("truth  {:<22} {:>7.1} → {:>7.1} {}", t.rule, secs(t.start), secs(t.end), t.form);
    }
    let mut rules = WindowRules::new(&window);
    if !std::env::args().any(|a| a == "--cold") {
        rules.set_learner(family::previous_day(&w, &window));
    }
    let mut rows = Vec::new();
    let mut events = Vec::new();
    for f in &sim.frames {
        let (o, e) = rules.push(f.trace.ts, &f.trace.frame.people, f.trace.frame.width, f.trace.frame.height);
        events.extend(e);
        let seen: Vec<String> = f
            .trace
            .frame
            .people
            .iter()
            .map(|p| format!("{:.0}:{}", p.bbox.center().1, p.keypoints.iter().filter(|k| k.conf >= 0.5).count()))
            .collect();
        let phases = rules.phases();
        let seen = format!(
            "{} ph abs:{} sl:{} hd:{} b {}",
            seen.join(","),
            phases[0].1,
            phases[1].1,
            phases[2].1,
            rules.baseline().map_or("-".into(), |b| format!(
                "sy {:.0} sw {:.0} up {:?} n {}",
                b.shoulder_px[1],
                b.shoulder_width_px,
                b.head_up_px.map(|v| v.round()),
                b.samples
            ))
        );
        rows.push((secs(f.trace.ts), o, f.truth.clone(), rules.baseline().is_some(), seen));
    }
    events.extend(rules.finish().0);
    for e in &events {
        println!("event  {:<22} {:>7.1} → {:>7.1} {}", e.rule.as_str(), secs(e.start), secs(e.end), e.closed_by);
    }
    let Some(at) = at else { return };
    let near = |t: f64| if at < 0.0 { true } else { (t - at).abs() < 40.0 };
    for (t, o, tr, ready, seen) in rows.iter().filter(|r| near(r.0)).step_by(2) {
        let m = o.measures;
        println!(
            "{t:>7.1} {:<13} true {:>3.0}/{:<3.0} chair {:>5.2} {seen} present {} {:?} trunk {:>5} neck {:>5} head {:?} p {:>4} drop {:>5} scale {:>5} hd {:>5} hdesk {:>5} face {}/{} wrist {:>5} cit {} hidden {}/{} base {ready} ",
            tr.form,
            tr.trunk_deg,
            tr.neck_deg,
            tr.chair_m,
            o.present,
            o.posture,
            o.trunk_deg.map_or("-".into(), |v| format!("{v:.0}")),
            o.neck_deg.map_or("-".into(), |v| format!("{v:.0}")),
            o.head_on_desk,
            o.head_on_desk_p.map_or("-".into(), |v| format!("{v:.2}")),
            m.map_or("-".into(), |m| format!("{:.2}", m.drop)),
            m.map_or("-".into(), |m| format!("{:.3}", m.scale)),
            m.and_then(|m| m.head_drop).map_or("-".into(), |v| format!("{v:.2}")),
            m.and_then(|m| m.head_above_desk).map_or("-".into(), |v| format!("{v:.2}")),
            m.map_or(0, |m| m.face_seen),
            m.map_or(0, |m| m.face_usual),
            m.and_then(|m| m.wrist_to_head).map_or("-".into(), |v| format!("{v:.2}")),
            o.citizen_at_counter,
            tr.clerk_hidden,
            o.clerk_hidden,
        );
    }
}

/// Why slouches were missed: for each missed truth slouch (cold start), the
/// share of its frames in which the clerk was not seen, stood, had the head
/// called on the desk, had the head cue leave it possible (slouching
/// unknown), had no posture measures, measured below every threshold, or
/// measured above one. Aggregated by the event's dominant reason and form.
fn why_slouch(seed: u64, n: usize, minutes: f32, threads: usize) {
    use liyi::rules::WindowRules;
    use liyi::rules::observe::Posture;
    const KINDS: [&str; 8] = ["not seen", "standing", "head on desk", "head cue unknown", "no measures", "below", "above", "no baseline"];
    let report = family::evaluate(seed, n, minutes, threads, family::Start::Cold);
    let mut table: BTreeMap<(String, &str), u32> = BTreeMap::new();
    let mut ratios: Vec<f32> = Vec::new();
    for wr in &report.windows {
        let missed: Vec<f64> = wr.missed.iter().filter(|m| m.0 == RuleCode::Slouching).map(|m| m.1).collect();
        if missed.is_empty() {
            continue;
        }
        let w = family::draw_window(seed, wr.index, minutes);
        let sim = liyi::sim::simulate(&w.scenario, &w.sim_config());
        let window = w.window(&sim);
        let t = window.thresholds.slouching;
        let t0 = sim.frames[0].trace.ts;
        let secs = |ts: chrono::DateTime<chrono::FixedOffset>| (ts - t0).num_milliseconds() as f64 / 1000.0;
        let mut rules = WindowRules::new(&window);
        let mut kinds = Vec::new();
        for f in &sim.frames {
            let (o, _) = rules.push(f.trace.ts, &f.trace.frame.people, f.trace.frame.width, f.trace.frame.height);
            let r = [o.trunk_deg.map(|v| v / t.trunk_deg), o.neck_deg.map(|v| v / t.neck_deg), o.sink.map(|v| v / t.sink)]
                .into_iter()
                .flatten()
                .fold(None, |a: Option<f32>, v| Some(a.map_or(v, |a| a.max(v))));
            let k = if !o.present {
                0
            } else if o.posture == Some(Posture::Standing) {
                1
            } else if o.head_on_desk == Some(true) {
                2
            } else if o.head_on_desk_p.is_some_and(|p| p > 0.15) {
                3
            } else {
                match r {
                    None if rules.baseline().is_none() => 7,
                    None => 4,
                    Some(r) if r <= 1.0 => 5,
                    Some(_) => 6,
                }
            };
            let back = rules.baseline().and_then(|b| b.back_seat_px).is_some();
            kinds.push((secs(f.trace.ts), k, r, f.truth.chair_m, back));
        }
        for te in sim.truth_events.iter().filter(|e| e.rule == "slouching") {
            let (a, b) = (secs(te.start), secs(te.end));
            if !missed.iter().any(|m| (m - a).abs() < 0.5) {
                continue;
            }
            let mut c = [0u32; 8];
            let (mut chair, mut back, mut nf) = (0.0f32, 0u32, 0u32);
            for (_, k, r, ch, bk) in kinds.iter().filter(|x| x.0 >= a && x.0 <= b) {
                chair += ch;
                back += *bk as u32;
                nf += 1;
                c[*k] += 1;
                if *k == 5 {
                    ratios.extend(*r);
                }
            }
            let total: u32 = c.iter().sum();
            let dom = (0..8).max_by_key(|&i| c[i]).unwrap_or(0);
            *table.entry((te.form.clone(), KINDS[dom])).or_default() += 1;
            println!(
                "w{} {:>6.0}-{:<6.0} {:<13} chair {:.2} back seat {:.0}% {}",
                wr.index,
                a,
                b,
                te.form,
                chair / nf.max(1) as f32,
                100.0 * back as f32 / nf.max(1) as f32,
                (0..8)
                    .filter(|&i| c[i] > 0)
                    .map(|i| format!("{} {:.0}%", KINDS[i], 100.0 * c[i] as f32 / total.max(1) as f32))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    println!("\n| form | dominant reason | missed |\n|---|---|---|");
    for ((form, k), v) in &table {
        println!("| {form} | {k} | {v} |");
    }
    ratios.sort_by(f32::total_cmp);
    let q = |p: f32| ratios.get(((ratios.len() as f32 - 1.0) * p) as usize).copied().unwrap_or(f32::NAN);
    println!("\nbelow-threshold frames: the largest measure over its threshold, quartiles {:.2} {:.2} {:.2}", q(0.25), q(0.5), q(0.75));
}
