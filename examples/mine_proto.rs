//! Prototype: find the badge patch without boxes (not shipped).
use image::{GrayImage, imageops};
use std::path::Path;

const T: f32 = 64.0;

fn norm_region(p: &Path) -> GrayImage {
    let g = image::open(p).unwrap().to_luma8();
    let k = T / g.width() as f32;
    imageops::resize(&g, T as u32, ((g.height() as f32 * k).round() as u32).max(8), imageops::FilterType::Triangle)
}

fn cand(g: &GrayImage, x: u32, y: u32, w: u32, h: u32) -> Option<(u32, u32, Vec<f32>)> {
    let v: Vec<f32> = (0..h).flat_map(|j| (0..w).map(move |i| (i, j))).map(|(i, j)| g.get_pixel(x + i, y + j)[0] as f32).collect();
    let m = v.iter().sum::<f32>() / v.len() as f32;
    let c: Vec<f32> = v.iter().map(|a| a - m).collect();
    let n = c.iter().map(|a| a * a).sum::<f32>().sqrt();
    (n > 20.0).then(|| (w, h, c.iter().map(|a| a / n).collect()))
}

fn best(img: &GrayImage, p: &(u32, u32, Vec<f32>)) -> f32 {
    let (iw, ih) = img.dimensions();
    let (pw, ph) = (p.0, p.1);
    let mut b = -1.0f32;
    for y in 0..=(ih - ph) {
        for x in 0..=(iw - pw) {
            let mut s = 0.0;
            let mut sum = 0.0;
            let mut sq = 0.0;
            for j in 0..ph {
                for i in 0..pw {
                    let v = img.get_pixel(x + i, y + j)[0] as f32;
                    s += v * p.2[(j * pw + i) as usize];
                    sum += v;
                    sq += v * v;
                }
            }
            let e = sq - sum * sum / (pw * ph) as f32;
            if e > 1.0 {
                b = b.max(s / e.sqrt());
            }
        }
    }
    b
}

fn main() {
    let root = Path::new("/work/shared/datasets/Staff_Identification-nametag-overhead");
    let rows: Vec<(String, String)> = std::fs::read_to_string(root.join("labels.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| l.starts_with("nametag_crops"))
        .map(|l| {
            let v: Vec<&str> = l.split(',').collect();
            (v[0].to_string(), v[1].to_string())
        })
        .collect();
    let n: usize = std::env::args().nth(1).map_or(8, |s| s.parse().unwrap());
    let spread = |label: &str| {
        let pool: Vec<&(String, String)> = rows.iter().filter(|(p, l)| p.contains("/train/") && l == label).collect();
        (0..n).map(|i| pool[(2 * i + 1) * pool.len() / (2 * n)].0.clone()).collect::<Vec<_>>()
    };
    let pos: Vec<GrayImage> = spread("name_tag_visible").iter().map(|p| norm_region(&root.join(p))).collect();
    let neg: Vec<GrayImage> = spread("no_name_tag_box").iter().map(|p| norm_region(&root.join(p))).collect();
    let t0 = std::time::Instant::now();
    let mut top: Vec<(f32, usize, (u32, u32, Vec<f32>))> = vec![];
    for a in 0..3.min(pos.len()) {
        let g = &pos[a];
        for (w, h) in [(10u32, 8u32), (14, 10), (10, 14)] {
            let mut y = 0;
            while y + h <= g.height() {
                let mut x = 0;
                while x + w <= g.width() {
                    if let Some(c) = cand(g, x, y, w, h) {
                        let sp: f32 = pos.iter().enumerate().filter(|(j, _)| *j != a).map(|(_, im)| best(im, &c)).sum::<f32>()
                            / (pos.len() - 1) as f32;
                        let mut sn: Vec<f32> = neg.iter().map(|im| best(im, &c)).collect();
                        sn.sort_by(|a, b| b.total_cmp(a));
                        let sn = (sn[0] + sn[1]) / 2.0;
                        top.push((sp - sn, a, c));
                    }
                    x += 4;
                }
                y += 4;
            }
        }
    }
    top.sort_by(|a, b| b.0.total_cmp(&a.0));
    eprintln!("mined {} candidates in {:.1} s; best {:.3}", top.len(), t0.elapsed().as_secs_f32(), top[0].0);
    let chosen: Vec<_> = top.iter().take(3).map(|t| t.2.clone()).collect();
    // Score val crops: max over chosen of best match.
    let mut scored = vec![];
    for (p, l) in rows.iter().filter(|(p, _)| p.contains("/val/")) {
        let im = norm_region(&root.join(p));
        let s = chosen.iter().map(|c| best(&im, c)).fold(-1.0f32, f32::max);
        scored.push((s, l == "name_tag_visible"));
    }
    let pos_s: Vec<f32> = scored.iter().filter(|s| s.1).map(|s| s.0).collect();
    let neg_s: Vec<f32> = scored.iter().filter(|s| !s.1).map(|s| s.0).collect();
    let mut auc = 0.0;
    for a in &pos_s {
        for b in &neg_s {
            auc += if a > b {
                1.0
            } else if a == b {
                0.5
            } else {
                0.0
            };
        }
    }
    println!("n={n} AUC {:.3}", auc / (pos_s.len() * neg_s.len()) as f64);
}
