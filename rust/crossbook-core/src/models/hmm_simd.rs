//! Runtime CPU dispatch of the lane kernel ([`super::hmm_lanes::run`]): the one place in crossbook-core
//! that needs `unsafe`.
//!
//! Why: the wheel is built for baseline x86-64 (SSE2, no FMA) so that it runs on any x86-64 machine, which
//! leaves the generic lane kernel at two f64 per instruction and without fused multiply-add. The AVX2 +
//! FMA kernel (`hmm_avx2`: intrinsics, and the generic emission code compiled for AVX2) does four lanes
//! per instruction with FMA, about twice as fast (the emissions alone: 6 ns instead of 15 ns per row).
//! Calling a `#[target_feature(enable = "avx2,fma")]` function is `unsafe` in Rust because running AVX2
//! instructions on a CPU without them is undefined behaviour; the call below is made only after
//! `is_x86_feature_detected!` has confirmed both features, which is the documented contract. No other
//! unsafe operation happens here: the kernels themselves are safe code.
//!
//! Everywhere else (other architectures, or x86-64 without AVX2/FMA) the safe generic instantiation runs:
//! with `mul_add` where the architecture always has a fused multiply-add (aarch64), with separate
//! multiplies and adds on x86-64. The AVX2 kernel and the generic kernel with `F = true` give identical
//! bits (same operations in the same order; IEEE fma is correctly rounded); the tests check it.

#![allow(unsafe_code)]

use super::hmm_forward::Emission;
use super::hmm_lanes::{run, LaneModel, Segments, Snapshot, LANES};

/// The lane kernel on the best instruction set the CPU has.
pub(super) fn run_best<const K: usize, const D: usize>(
    m: &LaneModel<K, D>,
    em: &Emission,
    seg: &Segments<'_, K>,
    probs: Option<&mut [f64]>,
) -> Vec<[Snapshot<K>; LANES]> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above), the only requirement of
            // `hmm_avx2::run`'s target features.
            return unsafe { super::hmm_avx2::run(m, em, seg, probs) };
        }
        run::<K, D, false>(m, em, seg, probs)
    }
    #[cfg(target_arch = "aarch64")]
    {
        run::<K, D, true>(m, em, seg, probs)
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        run::<K, D, false>(m, em, seg, probs)
    }
}

/// Whether [`run_best`] takes the fused (FMA) path on this machine, so tests can compare it with the
/// generic code of the same rounding.
#[cfg(test)]
pub(super) fn uses_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(target_arch = "aarch64")]
    {
        true
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}
