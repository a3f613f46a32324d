//! SVG charts for pages and printed reports (text-free shapes with
//! `<title>` tooltips; labels come from the caller's translation table).

use std::fmt::Write as _;

use super::summary::HourFigures;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Colour of a compliance rate: green at 95 % and above, amber from 85 %,
/// red below.
pub fn rate_colour(rate: Option<f64>) -> &'static str {
    match rate {
        None => "#bbbbbb",
        Some(r) if r >= 0.95 => "#2e7d32",
        Some(r) if r >= 0.85 => "#f9a825",
        Some(_) => "#c62828",
    }
}

/// Hour-by-hour bars: height is the in-service time of the hour, the green
/// part compliant, grey unknown, the rest not compliant.
pub fn hours(hours: &[HourFigures], label_rate: &str) -> String {
    let shown: Vec<&HourFigures> = hours.iter().filter(|h| h.in_service_s > 0.0).collect();
    let (first, last) = match (shown.first(), shown.last()) {
        (Some(a), Some(b)) => (a.hour, b.hour),
        _ => return String::new(),
    };
    let max = shown.iter().map(|h| h.in_service_s).fold(1.0, f64::max);
    let n = (last - first + 1) as f64;
    let (w, h, pad) = (480.0, 120.0, 18.0);
    let bw = (w - 2.0 * pad) / n;
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {}" width="{w}" height="{}" role="img" xmlns="http://www.w3.org/2000/svg">"#,
        h + 20.0,
        h + 20.0
    );
    for hf in hours.iter().filter(|x| x.hour >= first && x.hour <= last) {
        let x = pad + (hf.hour - first) as f64 * bw;
        let total = hf.in_service_s / max * h;
        let comp = hf.compliant_s / max * h;
        let unk = hf.unknown_s / max * h;
        let rate = hf.rate.map_or("–".to_string(), |r| format!("{:.1} %", r * 100.0));
        let _ = write!(
            s,
            r##"<g><title>{:02}:00 {} {rate}</title><rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{total:.1}" fill="#c62828"/><rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{unk:.1}" fill="#bbbbbb"/><rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{comp:.1}" fill="#2e7d32"/></g>"##,
            hf.hour,
            esc(label_rate),
            h - total,
            bw - 2.0,
            h - total,
            bw - 2.0,
            h - comp,
            bw - 2.0
        );
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{}" font-size="10" text-anchor="middle" fill="#444">{}</text>"##,
            x + bw / 2.0 - 1.0,
            h + 14.0,
            hf.hour
        );
    }
    s.push_str("</svg>");
    s
}

/// A line per series over the same x labels; rates 0..1.
pub fn trend(labels: &[String], series: &[(String, Vec<Option<f64>>)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let (w, h, pad) = (640.0, 200.0, 30.0);
    let step = if labels.len() > 1 { (w - 2.0 * pad) / (labels.len() - 1) as f64 } else { 0.0 };
    let y = |r: f64| pad + (1.0 - r) * (h - 2.0 * pad);
    let palette = ["#1565c0", "#2e7d32", "#c62828", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037", "#37474f"];
    let mut s =
        format!(r#"<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" xmlns="http://www.w3.org/2000/svg">"#);
    for r in [0.5, 0.75, 0.9, 1.0] {
        let _ = write!(
            s,
            r##"<line x1="{pad}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="#ddd"/><text x="2" y="{:.1}" font-size="10" fill="#666">{:.0}%</text>"##,
            w - pad,
            y(r),
            y(r),
            y(r) + 3.0,
            r * 100.0
        );
    }
    for (i, l) in labels.iter().enumerate() {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{}" font-size="10" text-anchor="middle" fill="#444">{}</text>"##,
            pad + i as f64 * step,
            h - 8.0,
            esc(l)
        );
    }
    for (k, (name, values)) in series.iter().enumerate() {
        let colour = palette[k % palette.len()];
        let pts: Vec<String> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|r| format!("{:.1},{:.1}", pad + i as f64 * step, y(r.clamp(0.0, 1.0)))))
            .collect();
        let _ = write!(
            s,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"><title>{}</title></polyline>"#,
            pts.join(" "),
            esc(name)
        );
        for p in &pts {
            let (px, py) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = write!(s, r#"<circle cx="{px}" cy="{py}" r="3" fill="{colour}"/>"#);
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_and_escape_labels() {
        let day: Vec<HourFigures> = (0..24)
            .map(|h| HourFigures {
                hour: h,
                in_service_s: if (9..17).contains(&h) { 3600.0 } else { 0.0 },
                compliant_s: 3000.0,
                unknown_s: 100.0,
                violation_min: 8.0,
                rate: Some(0.83),
            })
            .collect();
        let svg = hours(&day, "合规率<");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<g>").count(), 8);
        assert!(svg.contains("合规率&lt;"));
        let t = trend(&["W1".into(), "W2".into()], &[("a<b".into(), vec![Some(0.9), None])]);
        assert!(t.contains("a&lt;b") && t.contains("<polyline"));
        assert_eq!(hours_empty(), "");
    }

    fn hours_empty() -> String {
        hours(&[], "x")
    }
}
