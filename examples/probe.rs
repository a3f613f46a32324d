fn main() {
    let i: usize = std::env::args().nth(1).unwrap().parse().unwrap();
    let w = liyi::sim::family::draw_window(liyi::sim::family::TUNING, i, 60.0);
    let mut t = 0.0;
    for s in w.scenario.segments.iter().take(8) { println!("{t:.0} {:.0} {:?} {}", s.secs, s.clerk, s.citizen); t += s.secs; }
    println!("{:?} monitor {:?}", w.traits.yaw_deg, w.scene.monitor);
    let sim = liyi::sim::simulate(&w.scenario, &w.sim_config());
    for f in sim.frames.iter().step_by(20).take(40) { for p in &f.trace.frame.people { let k=&p.keypoints; println!("{:.0} {} L({:.0},{:.0},{:.2}) R({:.0},{:.0},{:.2})", (f.trace.ts - sim.frames[0].trace.ts).num_seconds(), f.truth.form, k[5].x,k[5].y,k[5].conf,k[6].x,k[6].y,k[6].conf); } }
}
