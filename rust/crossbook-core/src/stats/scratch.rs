//! Working buffers kept between calls of the KSG estimator.
//!
//! One estimate at 10⁵ pairs works through some 8 MB of arrays. Freshly allocated, every page of them
//! is faulted in by the kernel on first touch, and the allocator hands the memory back when the call
//! ends (glibc trims the heap top), so every call pays again: about a tenth of the single-threaded time.
//! A pool per element type keeps a few freed buffers for the next call instead; one is reused when its
//! capacity fits. Retention is bounded ([`KEEP_BYTES`] per pool, four pools: at most 64 MB, about 12 MB
//! after estimates at 10⁵ pairs), and a buffer is never shared: `take` moves it out of the pool, `give`
//! moves it back (a pool busy with another thread's call is skipped, never waited for). Contents of a taken buffer are unspecified (the
//! estimator overwrites every element it reads).

use std::sync::Mutex;

use super::grid::Pt;

/// Most bytes one pool keeps between calls (larger buffers are freed as usual).
pub const KEEP_BYTES: usize = 16 << 20;
/// Most buffers one pool keeps.
const KEEP_COUNT: usize = 8;

/// A pool of `Vec<T>` buffers.
#[derive(Debug)]
pub struct Pool<T> {
    bufs: Mutex<Vec<Vec<T>>>,
}

impl<T: Copy + Default> Pool<T> {
    #[must_use]
    pub const fn new() -> Self {
        Self { bufs: Mutex::new(Vec::new()) }
    }

    /// A kept buffer with capacity for `n` elements (its length as it was given back), or a new one.
    fn pop(&self, n: usize) -> Vec<T> {
        let found = self.bufs.try_lock().ok().and_then(|mut bufs| {
            let i = bufs.iter().position(|b| b.capacity() >= n)?;
            Some(bufs.swap_remove(i))
        });
        found.unwrap_or_else(|| Vec::with_capacity(n))
    }

    /// An empty vector with capacity for at least `n` elements.
    pub fn take_empty(&self, n: usize) -> Vec<T> {
        let mut v = self.pop(n);
        v.clear();
        v
    }

    /// A vector of length `n` with unspecified contents: a reused buffer keeps its old values (no
    /// writes), only elements past its old length are set to the default.
    pub fn take(&self, n: usize) -> Vec<T> {
        let mut v = self.pop(n);
        if v.len() >= n {
            v.truncate(n);
        } else {
            v.resize(n, T::default());
        }
        v
    }

    /// Keep `v` for a later call if there is room.
    pub fn give(&self, v: Vec<T>) {
        let bytes = v.capacity() * std::mem::size_of::<T>();
        if bytes == 0 || bytes > KEEP_BYTES {
            return;
        }
        if let Ok(mut bufs) = self.bufs.try_lock() {
            let held: usize = bufs.iter().map(|b| b.capacity() * std::mem::size_of::<T>()).sum();
            if bufs.len() < KEEP_COUNT && held + bytes <= KEEP_BYTES {
                bufs.push(v);
            }
        }
    }
}

impl<T: Copy + Default> Default for Pool<T> {
    fn default() -> Self {
        Self::new()
    }
}

pub static F64: Pool<f64> = Pool::new();
pub static U64: Pool<u64> = Pool::new();
pub static U32: Pool<u32> = Pool::new();
pub static PTS: Pool<Pt> = Pool::new();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_with_their_contents_and_within_bounds() {
        let pool: Pool<u32> = Pool::new();
        let mut v = pool.take(5);
        assert_eq!(v, vec![0; 5]);
        v.copy_from_slice(&[1, 2, 3, 4, 5]);
        let cap = v.capacity();
        pool.give(v);
        // reused: shorter takes keep the old values, longer ones extend with defaults if it fits
        let v = pool.take(3);
        assert_eq!((v.as_slice(), v.capacity()), (&[1, 2, 3][..], cap));
        pool.give(v);
        let v = pool.take_empty(2);
        assert!(v.is_empty() && v.capacity() >= 2);
        pool.give(v);
        // a buffer too large to keep is dropped; nothing larger than asked for is invented
        let big = KEEP_BYTES / 4 + 1;
        pool.give(Vec::with_capacity(big));
        assert!(pool.take_empty(big).capacity() >= big);
        let held = pool.bufs.lock().map(|b| b.len()).unwrap_or(0);
        assert!(held <= 1, "{held}");
        for _ in 0..2 * KEEP_COUNT {
            pool.give(vec![7; 10]);
        }
        assert_eq!(pool.bufs.lock().map(|b| b.len()).unwrap_or(0), KEEP_COUNT);
    }
}
