//! Sums and the population standard deviation computed exactly as NumPy computes them, bit for bit, so
//! that scaling by the standard deviation gives the same doubles as scikit-learn's `scale` (which calls
//! `np.nanstd`). On tied data (a lattice of values) the max-norm distances between scaled points tie
//! too, and which of them compare below a radius then depends on the last bit of the scale.
//!
//! NumPy's `add.reduce` over contiguous float64 uses pairwise summation (`pairwise_sum` in
//! `numpy/_core/src/umath/loops_utils.h.src`): fewer than 8 terms are added in order; up to 128 terms go
//! into eight running sums, combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), the terms past
//! the last multiple of 8 added after; longer runs are split at half the length rounded down to a
//! multiple of 8 and the two halves summed recursively. `np.var` is Σ(v − mean)² / n with mean = Σv / n,
//! both sums pairwise, and `np.std` its square root. Eight running sums also make the adds independent.

/// Terms summed in blocks of eight running sums before the halves recurse (NumPy's `PW_BLOCKSIZE`).
const BLOCK: usize = 128;

/// Σ f(v_i) in NumPy's pairwise order.
#[must_use]
#[inline]
pub fn pairwise_sum(v: &[f64], f: &impl Fn(f64) -> f64) -> f64 {
    let n = v.len();
    if n < 8 {
        let mut res = 0.0;
        for &e in v {
            res += f(e);
        }
        res
    } else if n <= BLOCK {
        // plain indexing (iterator adapters are not always inlined in builds without LTO)
        let mut r = [f(v[0]), f(v[1]), f(v[2]), f(v[3]), f(v[4]), f(v[5]), f(v[6]), f(v[7])];
        let whole = n - n % 8;
        let mut i = 8;
        while i < whole {
            let b = [v[i], v[i + 1], v[i + 2], v[i + 3], v[i + 4], v[i + 5], v[i + 6], v[i + 7]];
            for j in 0..8 {
                r[j] += f(b[j]);
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += f(v[i]);
            i += 1;
        }
        res
    } else {
        let half = n / 2;
        let half = half - half % 8;
        pairwise_sum(&v[..half], f) + pairwise_sum(&v[half..], f)
    }
}

/// Population standard deviation as `np.std(v)` (and `np.nanstd` without NaN) computes it.
#[cfg(test)]
#[must_use]
pub fn population_std(v: &[f64]) -> f64 {
    std_given_sum(v, pairwise_sum(v, &|e| e))
}

/// [`population_std`] given `sum` = [`pairwise_sum`] of `v`.
#[must_use]
pub fn std_given_sum(v: &[f64], sum: f64) -> f64 {
    let n = v.len() as f64;
    let mean = sum / n;
    (pairwise_sum(v, &|e| {
        let d = e - mean;
        d * d
    }) / n)
        .sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_cases() {
        assert_eq!(pairwise_sum(&[], &|e| e), 0.0);
        assert_eq!(pairwise_sum(&[1.0, 2.0, 3.0], &|e| e), 6.0);
        assert_eq!(population_std(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]), 2.0);
    }

    #[test]
    fn matches_numpy_bit_for_bit() {
        // printed by NumPy 2 for v = ((i * 7919) % 1000) / 37 - 13, i = 0..n (exact in both):
        // np.sum(v), np.std(v) (= np.nanstd(v.reshape(-1, 1), axis=0)), as bits
        let v = |n: u32| (0..n).map(|i| f64::from((i * 7919) % 1000) / 37.0 - 13.0).collect::<Vec<f64>>();
        for (n, sum, std) in [
            (5u32, 0x4035_3759_f229_8376u64, 0x4021_ca5a_0dbc_f711u64),
            (100, 0x4039_acf9_14c1_baceu64, 0x401f_8b19_442b_2283u64),
            (1000, 0x407f_4000_0000_0000u64, 0x401f_3546_8102_939bu64),
            (12345, 0x40b8_2014_c1ba_cf92u64, 0x401f_3508_913d_c852u64),
        ] {
            let v = v(n);
            assert_eq!(pairwise_sum(&v, &|e| e).to_bits(), sum, "sum n={n}");
            assert_eq!(population_std(&v).to_bits(), std, "std n={n}");
        }
    }
}
