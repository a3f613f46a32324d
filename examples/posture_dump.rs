//! Per-frame posture measures against the learnt baseline, with the
//! simulator's truth, as CSV: the data the head-on-desk cue model is fitted
//! on (`scripts/fit-posture.py`). Run it on the tuning family only.
//!
//!     cargo run --release --example posture_dump -- --windows 80 > tuning.csv

use liyi::rules::WindowRules;
use liyi::sim::family::{self, draw_window};
use liyi::sim::simulate;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |k: &str| args.iter().position(|a| a == k).and_then(|i| args.get(i + 1)).cloned();
    let n: usize = arg("--windows").and_then(|v| v.parse().ok()).unwrap_or(80);
    let minutes: f32 = arg("--minutes").and_then(|v| v.parse().ok()).unwrap_or(60.0);
    let features = liyi::rules::posture::head_feature_columns();
    println!(
        "win,t,activity,form,trunk_t,neck_t,chair,h,d,tilt,conf_tilt,sw_px,drop,shift,scale,one,roll,head_drop,head_desk,face_seen,face_usual,wrist_head,posture,trunk_est,neck_est,p{features}"
    );
    for i in 0..n {
        let w = draw_window(family::TUNING, i, minutes);
        let sim = simulate(&w.scenario, &w.sim_config());
        let window = w.window(&sim);
        let mut rules = WindowRules::new(&window);
        let t0 = sim.frames[0].trace.ts;
        for f in &sim.frames {
            let fr = &f.trace.frame;
            let (o, _) = rules.push(f.trace.ts, &fr.people, fr.width, fr.height);
            let Some(m) = o.measures else { continue };
            let s = |v: Option<f32>| v.map_or(String::new(), |v| format!("{v:.3}"));
            let tr = &f.truth;
            println!(
                "{i},{:.1},{:?},{},{:.1},{:.1},{:.2},{:.2},{:.2},{:.1},{:.0},{:.0},{:.3},{:.3},{:.3},{},{:.1},{},{},{},{},{},{:?},{},{},{},{}",
                (f.trace.ts - t0).num_milliseconds() as f64 / 1000.0,
                tr.activity,
                tr.form,
                tr.trunk_deg,
                tr.neck_deg,
                tr.chair_m,
                w.camera.height_m,
                w.camera.distance_m,
                w.camera.tilt_deg,
                w.configured_tilt_deg,
                w.shoulder_px(),
                m.drop,
                m.shift,
                m.scale,
                u8::from(m.one_shoulder),
                m.roll_deg,
                s(m.head_drop),
                s(m.head_above_desk),
                m.face_seen,
                m.face_usual,
                s(m.wrist_to_head),
                o.posture,
                s(o.trunk_deg),
                s(o.neck_deg),
                s(o.head_on_desk_p),
                rules
                    .head_features(&o, fr.width, fr.height)
                    .expect("an observation with measures")
                    .iter()
                    .map(|v| format!("{v:.3}"))
                    .collect::<Vec<_>>()
                    .join(","),
            );
        }
    }
}
