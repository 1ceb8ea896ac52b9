#![allow(clippy::unwrap_used, clippy::all)]
// temporary prototype (not committed)
#![allow(unsafe_code, clippy::needless_range_loop)]
use std::time::Instant;

const K: usize = 4;
const D: usize = 4;

#[inline(always)]
fn pow2(e: i64) -> f64 {
    f64::from_bits(((e + 1023) as u64) << 52)
}

#[inline(always)]
fn exp_poly(x: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    const INV: f64 = 2.0 / std::f64::consts::LN_2;
    const HI: f64 = 6.931_471_803_691_238e-1 / 2.0;
    const LO: f64 = 1.908_214_929_270_587_7e-10 / 2.0;
    let x = if x < -708.0 { -708.0 } else { x };
    let t = x.mul_add(INV, MAGIC);
    let kf = t - MAGIC;
    let k = (t.to_bits() as i64).wrapping_sub(MAGIC.to_bits() as i64);
    let r = (-kf).mul_add(LO, (-kf).mul_add(HI, x));
    let mut p: f64 = 1.0 / 3628800.0;
    p = p.mul_add(r, 1.0 / 362880.0);
    p = p.mul_add(r, 1.0 / 40320.0);
    p = p.mul_add(r, 1.0 / 5040.0);
    p = p.mul_add(r, 1.0 / 720.0);
    p = p.mul_add(r, 1.0 / 120.0);
    p = p.mul_add(r, 1.0 / 24.0);
    p = p.mul_add(r, 1.0 / 6.0);
    p = p.mul_add(r, 0.5);
    p = p.mul_add(r, 1.0);
    p = p.mul_add(r, 1.0);
    let half = if k & 1 != 0 { std::f64::consts::SQRT_2 } else { 1.0 };
    p * half * pow2(k >> 1)
}

/// lane layout: xs[t][c][s], out b[t][j][s], mx[t][s]
#[inline(always)]
fn emis_lanes<const S: usize>(
    mu: &[[f64; D]; K],
    hi: &[[f64; D]; K],
    cst: &[f64; K],
    xs: &[[[f64; S]; D]],
    b: &mut [[[f64; S]; K]],
    mx: &mut [[f64; S]],
) {
    for t in 0..xs.len() {
        let mut lb = [[0.0; S]; K];
        for j in 0..K {
            for s in 0..S {
                let mut q = 0.0;
                for c in 0..D {
                    let z = xs[t][c][s] - mu[j][c];
                    q = (z * z).mul_add(hi[j][c], q);
                }
                lb[j][s] = cst[j] - q;
            }
        }
        let mut m = lb[0];
        for j in 1..K {
            for s in 0..S {
                m[s] = if lb[j][s] > m[s] { lb[j][s] } else { m[s] };
            }
        }
        for j in 0..K {
            for s in 0..S {
                b[t][j][s] = exp_poly(lb[j][s] - m[s]);
            }
        }
        mx[t] = m;
    }
}

#[target_feature(enable = "avx2,fma")]
fn emis_avx2<const S: usize>(
    mu: &[[f64; D]; K],
    hi: &[[f64; D]; K],
    cst: &[f64; K],
    xs: &[[[f64; S]; D]],
    b: &mut [[[f64; S]; K]],
    mx: &mut [[f64; S]],
) {
    emis_lanes(mu, hi, cst, xs, b, mx)
}
#[target_feature(enable = "avx512f")]
fn emis_avx512<const S: usize>(
    mu: &[[f64; D]; K],
    hi: &[[f64; D]; K],
    cst: &[f64; K],
    xs: &[[[f64; S]; D]],
    b: &mut [[[f64; S]; K]],
    mx: &mut [[f64; S]],
) {
    emis_lanes(mu, hi, cst, xs, b, mx)
}

fn main() {
    let mu = [[-1.0, 3.3, 0.0, 0.2], [-0.2, 3.9, 0.0, 0.4], [0.9, 4.4, 0.0, 0.6], [1.7, 4.9, 0.0, 2.0]];
    let var = [[0.05, 0.02, 0.01, 0.1], [0.06, 0.03, 0.02, 0.1], [0.1, 0.05, 0.01, 0.3], [0.2, 0.1, 0.005, 1.0]];
    let hi: [[f64; D]; K] = std::array::from_fn(|j| std::array::from_fn(|c| 0.5 / var[j][c]));
    let cst: [f64; K] =
        std::array::from_fn(|j| -0.5 * var[j].iter().map(|v| (2.0 * std::f64::consts::PI * v).ln()).sum::<f64>());
    const S: usize = 8;
    const T: usize = 1024;
    let n = 1_000_000usize;
    let mut seed = 1u64;
    let mut rnd = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 11) as f64) / (1u64 << 53) as f64
    };
    let xs: Vec<[[f64; S]; D]> =
        (0..T).map(|_| std::array::from_fn(|c| std::array::from_fn(|_| rnd() * 2.0 + c as f64))).collect();
    let mut b = vec![[[0.0; S]; K]; T];
    let mut mx = vec![[0.0; S]; T];
    let reps = n / (S * T);
    for name in ["avx2", "avx512"] {
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let t0 = Instant::now();
            for _ in 0..reps {
                match name {
                    "scalar" => emis_lanes(&mu, &hi, &cst, std::hint::black_box(&xs), &mut b, &mut mx),
                    "avx2" => unsafe { emis_avx2(&mu, &hi, &cst, std::hint::black_box(&xs), &mut b, &mut mx) },
                    _ => unsafe { emis_avx512(&mu, &hi, &cst, std::hint::black_box(&xs), &mut b, &mut mx) },
                }
            }
            best = best.min(t0.elapsed().as_secs_f64());
        }
        let chk: f64 = b.iter().map(|r| r[1][3]).sum();
        println!("{name}: {:.2} ns/row  ({chk})", best * 1e9 / (reps * S * T) as f64);
    }
    // accuracy of exp_poly
    let mut worst: f64 = 0.0;
    let mut x = 0.0;
    while x > -708.0 {
        let (a, e) = (exp_poly(x), x.exp());
        worst = worst.max(((a - e) / e).abs());
        x -= 0.0007313;
    }
    println!("exp_poly worst rel err {worst:e}");
}
