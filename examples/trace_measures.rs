//! Per-frame measures of a recorded trace as the rules see them, as CSV:
//! for reading why the rules judged a window of an independent simulator
//! (or a real recording) as they did. No truth is read here; join the CSV
//! with the simulator's own timeline.
//!
//!     cargo run --release --example trace_measures -- window.toml trace.jsonl [--features] > measures.csv
//!
//! `--features` adds the head-on-desk cue model's inputs (`f1`…`fN`,
//! `posture::HEAD_FEATURES` of them, as `posture_dump` writes them), for fitting the model on a second tuning
//! family (`scripts/fit-posture.py`).

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let features = args.iter().any(|a| a == "--features");
    let files: Vec<&String> = args.iter().filter(|a| *a != "--features").collect();
    let [config, trace] = files.as_slice() else { anyhow::bail!("usage: trace_measures CONFIG TRACE.jsonl [--features]") };
    let cfg = liyi::config::load(std::path::Path::new(config)).map_err(|e| anyhow::anyhow!("{e}"))?;
    let window = cfg.windows.first().ok_or_else(|| anyhow::anyhow!("{config}: no window"))?;
    let mut rules = liyi::rules::WindowRules::new(window);
    println!(
        "t,present,posture,trunk,neck,sink,p,drop,scale,one,head_drop,head_desk,face_seen,face_usual,wrist_head,slouch,head,citizen,hidden,people,greet{}",
        if features { liyi::rules::posture::head_feature_columns() } else { String::new() }
    );
    let mut t0 = None;
    for line in std::fs::read_to_string(trace)?.lines().filter(|l| !l.trim().is_empty()) {
        let f = liyi::trace::parse_line(line).map_err(|e| anyhow::anyhow!("{trace}: {e}"))?;
        let t = (f.ts - *t0.get_or_insert(f.ts)).num_milliseconds() as f64 / 1000.0;
        let (o, _) = rules.push(f.ts, &f.frame.people, f.frame.width, f.frame.height);
        let m = o.measures;
        let opt = |v: Option<f32>| v.map_or(String::new(), |v| format!("{v:.3}"));
        let phases = rules.phases();
        let extra = match (features, rules.head_features(&o, f.frame.width, f.frame.height)) {
            (true, Some(x)) => x.iter().map(|v| format!(",{v:.4}")).collect::<String>(),
            (true, None) => ",".repeat(liyi::rules::posture::HEAD_FEATURES),
            (false, _) => String::new(),
        };
        println!(
            "{t:.1},{},{:?},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}{extra}",
            o.present,
            o.posture,
            opt(o.trunk_deg),
            opt(o.neck_deg),
            opt(o.sink),
            opt(o.head_on_desk_p),
            opt(m.map(|m| m.drop)),
            opt(m.map(|m| m.scale)),
            m.map_or(String::new(), |m| u8::from(m.one_shoulder).to_string()),
            opt(m.and_then(|m| m.head_drop)),
            opt(m.and_then(|m| m.head_above_desk)),
            m.map_or(0, |m| m.face_seen),
            m.map_or(0, |m| m.face_usual),
            opt(m.and_then(|m| m.wrist_to_head)),
            phases[1].1,
            phases[2].1,
            o.citizen_at_counter,
            o.clerk_hidden,
            o.people,
            phases[4].1
        );
    }
    Ok(())
}
