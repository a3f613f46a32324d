fn main() {
    if std::env::args().nth(3).is_some() { zones(std::env::args().nth(1).unwrap().parse().unwrap()); return; }
    let i: usize = std::env::args().nth(1).unwrap().parse().unwrap();
    let a: f64 = std::env::args().nth(2).unwrap().parse().unwrap();
    let w = liyi::sim::family::draw_window(liyi::sim::family::TUNING, i, 60.0);
    let sim = liyi::sim::simulate(&w.scenario, &w.sim_config());
    for f in &sim.frames { let t = (f.trace.ts - sim.frames[0].trace.ts).num_milliseconds() as f64/1000.0; if (t-a).abs() > 12.0 { continue; }
      for p in &f.trace.frame.people { let k=&p.keypoints; println!("{t:.1} {} box {:.0},{:.0},{:.0},{:.0} L({:.0},{:.0},{:.2}) R({:.0},{:.0},{:.2}) nose({:.0},{:.0},{:.2}) Lear {:.2} Rear {:.2}", f.truth.form, p.bbox.x1,p.bbox.y1,p.bbox.x2,p.bbox.y2, k[5].x,k[5].y,k[5].conf,k[6].x,k[6].y,k[6].conf,k[0].x,k[0].y,k[0].conf,k[3].conf,k[4].conf); } }
}
#[allow(dead_code)]
fn zones(i: usize) {
    let w = liyi::sim::family::draw_window(liyi::sim::family::TUNING, i, 60.0);
    let sim = liyi::sim::simulate(&w.scenario, &w.sim_config());
    println!("{:?}", sim.zones);
    println!("{:?}", w.scene);
}
