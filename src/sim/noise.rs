//! Deterministic randomness: a tiny SplitMix64 generator (portable and stable
//! across crate versions, unlike `rand`'s `SmallRng`), Box–Muller normals, and
//! smooth band-limited "idle motion" signals.

/// SplitMix64 pseudo-random generator. Same seed ⇒ same sequence, on every
/// platform and forever (the algorithm is fixed here).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // Pre-mix so that nearby seeds give unrelated streams.
        Rng(mix(seed, 0x5EED_1E71_C0DE_0001))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.uniform()
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f32) -> bool {
        self.uniform() < p
    }

    /// Standard normal sample (Box–Muller).
    pub fn normal(&mut self) -> f32 {
        let u1 = self.uniform().max(1e-7);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
    }

    /// Normal sample with standard deviation `sigma`.
    pub fn gauss(&mut self, sigma: f32) -> f32 {
        self.normal() * sigma
    }
}

/// Combine two 64-bit values into a well-mixed one (used to derive
/// independent per-purpose and per-frame streams from the user seed).
pub fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b.rotate_left(32) ^ 0xD6E8_FEB8_6659_FD93;
    z = (z ^ (z >> 32)).wrapping_mul(0xD6E8_FEB8_6659_FD93);
    z = (z ^ (z >> 32)).wrapping_mul(0xD6E8_FEB8_6659_FD93);
    z ^ (z >> 32)
}

/// A smooth pseudo-random signal in roughly `[-1, 1]`: a sum of three
/// sinusoids with random phases and frequencies around `base_hz`. Continuous
/// in time, so poses drift naturally between frames.
#[derive(Debug, Clone)]
pub struct Smooth {
    terms: [(f32, f32, f32); 3],
}

impl Smooth {
    pub fn new(rng: &mut Rng, base_hz: f32) -> Self {
        let mut term = |amp: f32, k: f32| {
            let f = base_hz * k * rng.range(0.7, 1.3);
            (amp, f, rng.range(0.0, std::f32::consts::TAU))
        };
        Smooth { terms: [term(0.55, 1.0), term(0.3, 2.3), term(0.15, 5.1)] }
    }

    pub fn at(&self, t: f64) -> f32 {
        self.terms.iter().map(|&(a, f, p)| a * ((std::f64::consts::TAU * f as f64 * t) as f32 + p).sin()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
    }

    #[test]
    fn normal_has_unit_variance() {
        let mut r = Rng::new(3);
        let n = 20_000;
        let xs: Vec<f32> = (0..n).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f32>() / n as f32;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / n as f32;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "var {var}");
    }

    #[test]
    fn smooth_is_bounded_and_continuous() {
        let s = Smooth::new(&mut Rng::new(1), 0.05);
        let mut prev = s.at(0.0);
        for i in 1..2000 {
            let v = s.at(i as f64 * 0.5);
            assert!(v.abs() <= 1.0);
            assert!((v - prev).abs() < 0.5);
            prev = v;
        }
    }
}
