use liyi::sim::evaluate::*;
use liyi::sim::{Scenario, SimConfig, simulate};
use liyi::rules::WindowRules;
fn main() {
    let cfg = SimConfig::default();
    let sc = Scenario::library().into_iter().find(|s| s.name == "slouch_trunk").unwrap();
    let sim = simulate(&sc, &cfg);
    let w = window_for(&sim, &cfg.camera, &cfg.window);
    let mut r = WindowRules::new(&w);
    let t0 = sim.frames[0].trace.ts;
    for f in &sim.frames { let (o, e) = r.push(f.trace.ts, &f.trace.frame.people, 1280, 720); let t=(f.trace.ts-t0).num_milliseconds() as f64/1000.0;
      for e in e { println!("EVENT {} {} {}", e.rule.as_str(), (e.start-t0).num_seconds(), (e.end-t0).num_seconds()); }
      if (t as i64) % 10 == 0 && t.fract()==0.0 && t > 80.0 && t < 440.0 { println!("{t} {} trunk {:?} neck {:?} p {:?} head {:?} base {:?}", f.truth.form, o.trunk_deg.map(|v| v.round()), o.neck_deg.map(|v| v.round()), o.head_on_desk_p.map(|v| (v*100.0).round()), o.head_on_desk, r.baseline().map(|b| (b.shoulder_px[1].round(), b.samples))); } }
}
