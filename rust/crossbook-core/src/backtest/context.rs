//! The strategy's view of the quoted book: the rebuilt L2 book with a per-level history (when each
//! level last appeared, how often it flickers), and the `BookContext` / `WallContext` of a fill.

use std::cmp::Ordering;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use super::records::{BookContext, WallContext};
use super::stream::BookMsg;
use crate::book::{BookRows, L2Book, Level, Side};

const BPS: f64 = 1e4;

/// Hash of a `(side, price)` level key: folded 64×64→128-bit multiplication. The keys are prices on
/// a tick grid we produce ourselves, so the standard SipHash's flooding resistance buys nothing and
/// costs a third of a level update; folding the high half in keeps the grid's zero low bits from
/// clustering buckets.
#[derive(Debug, Default, Clone, Copy)]
struct LevelKeyHasher(u64);

impl LevelKeyHasher {
    #[inline]
    fn mix(&mut self, v: u64) {
        let p = u128::from(self.0 ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = (p as u64) ^ ((p >> 64) as u64);
    }
}

impl Hasher for LevelKeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.mix(u64::from(*b));
        }
    }

    #[inline]
    fn write_i8(&mut self, v: i8) {
        self.mix(v as u64);
    }

    #[inline]
    fn write_i64(&mut self, v: i64) {
        self.mix(v as u64);
    }
}

/// Per-level history of the quoted book: when each live level appeared, and every appear /
/// disappear event of the last flicker window in time order (one log for all levels, so a level
/// update costs one hash probe and no allocation; the rare fill-time queries scan the window).
#[derive(Debug, Clone)]
pub(crate) struct LevelTracker {
    /// live levels `(side, px)` → when they last went from empty to non-empty, ns
    born: HashMap<(i8, i64), i64, BuildHasherDefault<LevelKeyHasher>>,
    /// `(t, side, px)` of appear / disappear events in `(t_last − window, t_last]`
    flips: VecDeque<(i64, i8, i64)>,
    window_ns: i64,
}

impl LevelTracker {
    pub(crate) fn new(window_ns: i64) -> Self {
        Self { born: HashMap::default(), flips: VecDeque::new(), window_ns }
    }

    /// Level `(side, px)` holds `qty` from `t` on (calls come in time order).
    #[inline]
    pub(crate) fn set(&mut self, t: i64, side: i8, px: i64, qty: i64) {
        let flipped = if qty > 0 {
            match self.born.entry((side, px)) {
                Entry::Vacant(v) => {
                    v.insert(t);
                    true
                }
                Entry::Occupied(_) => false,
            }
        } else {
            self.born.remove(&(side, px)).is_some()
        };
        if flipped {
            self.flips.push_back((t, side, px));
            let cutoff = t.saturating_sub(self.window_ns);
            while self.flips.front().is_some_and(|f| f.0 <= cutoff) {
                self.flips.pop_front();
            }
        }
    }

    /// Level `(side, px)` went from `prev` to `qty` at `t` (the book reported `prev`): only an
    /// appearance or a disappearance touches the history, a size change of a live level costs nothing.
    #[inline]
    pub(crate) fn change(&mut self, t: i64, side: i8, px: i64, prev: i64, qty: i64) {
        if (prev > 0) != (qty > 0) {
            self.set(t, side, px, qty);
        }
    }

    /// Age of the level at `t` (ms since it last appeared); NaN when it is empty.
    pub(crate) fn age_ms(&self, side: i8, px: i64, t: i64) -> f64 {
        self.born.get(&(side, px)).map_or(f64::NAN, |&b| t.saturating_sub(b) as f64 / 1e6)
    }

    /// Appear/disappear events of the level in `(t − window, t]`, per second.
    pub(crate) fn flicker_rate(&self, side: i8, px: i64, t: i64) -> f64 {
        let cutoff = t.saturating_sub(self.window_ns);
        let n = self.flips.iter().filter(|f| f.0 > cutoff && f.0 <= t && f.1 == side && f.2 == px).count();
        n as f64 / (self.window_ns as f64 * 1e-9)
    }
}

/// Apply one applied message to the strategy's book at `t`, recording level changes (level
/// history and the running band sums).
pub(crate) fn apply_message(
    book: &mut L2Book,
    tracker: &mut LevelTracker,
    bands: &mut BandSums,
    rows: &BookRows<'_>,
    m: &BookMsg,
    t: i64,
) {
    if m.snapshot {
        let old: Vec<(Side, i64)> = [Side::Bid, Side::Ask]
            .into_iter()
            .flat_map(|s| book.side(s).iter().map(move |l| (s, l.px)).collect::<Vec<_>>())
            .collect();
        book.clear();
        bands.reset();
        for r in m.start..m.end {
            if let Some(s) = Side::from_i8(rows.side[r]) {
                book.set(s, rows.px[r], rows.qty[r]);
            }
        }
        for (s, px) in old {
            if book.side(s).qty_at(px) == 0 {
                tracker.set(t, s.sign(), px, 0);
            }
        }
        for r in m.start..m.end {
            if rows.side[r] != 0 {
                tracker.set(t, rows.side[r], rows.px[r], rows.qty[r]);
            }
        }
    } else {
        for r in m.start..m.end {
            if let Some(s) = Side::from_i8(rows.side[r]) {
                let prev = book.replace(s, rows.px[r], rows.qty[r]);
                bands.on_level(s, rows.px[r], prev, rows.qty[r]);
                tracker.change(t, rows.side[r], rows.px[r], prev, rows.qty[r]);
            }
        }
    }
}

/// Levels of one side within `band` (price units, scaled) of `mid` (scaled).
fn in_band(book: &L2Book, side: Side, mid: f64, band: f64) -> impl Iterator<Item = Level> + '_ {
    book.side(side).iter().take_while(move |l| (l.px as f64 - mid).abs() <= band)
}

/// Exact running `(Σ qty, Σ px·qty)` of each side's levels from the touch out to a price limit,
/// kept up to date level by level as the book changes and moved to a new limit by summing only the
/// levels between the old and the new one: the band statistics of every quote cycle without
/// walking the band (it spans hundreds of levels on a BTC perp).
#[derive(Debug, Clone, Default)]
pub(crate) struct BandSums {
    /// per side (bid, ask): `(limit, Σ qty, Σ px·qty)`; None until asked for after a reset
    sides: [Option<(i64, i128, i128)>; 2],
}

impl BandSums {
    fn idx(s: Side) -> usize {
        match s {
            Side::Bid => 0,
            Side::Ask => 1,
        }
    }

    /// `px` is within the band of limit `lim` (bids at or above it, asks at or below it).
    fn inside(s: Side, px: i64, lim: i64) -> bool {
        match s {
            Side::Bid => px >= lim,
            Side::Ask => px <= lim,
        }
    }

    /// The book was replaced (snapshot, clear): recompute on the next request.
    pub(crate) fn reset(&mut self) {
        self.sides = [None, None];
    }

    /// Level `(s, px)` went from `prev` to `qty`.
    #[inline]
    pub(crate) fn on_level(&mut self, s: Side, px: i64, prev: i64, qty: i64) {
        if let Some((lim, q, pq)) = &mut self.sides[Self::idx(s)] {
            if Self::inside(s, px, *lim) {
                let d = i128::from(qty) - i128::from(prev);
                *q = q.wrapping_add(d);
                *pq = pq.wrapping_add(i128::from(px).wrapping_mul(d));
            }
        }
    }

    /// `(Σ qty, Σ px·qty)` of side `s` of `book` out to `lim`; the band follows `lim` from now on.
    pub(crate) fn sums(&mut self, book: &L2Book, s: Side, lim: i64) -> (i128, i128) {
        let side = book.side(s);
        let k = Self::idx(s);
        let (q, pq) = match self.sides[k] {
            None => side.sums_in(lim, None),
            Some((old, q, pq)) if old == lim => (q, pq),
            // the band widens: add the levels between the limits
            Some((old, q, pq)) if Self::inside(s, old, lim) => {
                let (dq, dpq) = side.sums_in(lim, Some(old));
                (q.wrapping_add(dq), pq.wrapping_add(dpq))
            }
            // it narrows: take them out
            Some((old, q, pq)) => {
                let (dq, dpq) = side.sums_in(old, Some(lim));
                (q.wrapping_sub(dq), pq.wrapping_sub(dpq))
            }
        };
        self.sides[k] = Some((lim, q, pq));
        (q, pq)
    }
}

fn to_i64(x: i128) -> i64 {
    i64::try_from(x).unwrap_or(if x < 0 { i64::MIN } else { i64::MAX })
}

/// Size-weighted price of the levels within `band_bps` of the mid (scaled price units), or NaN:
/// bids at or above `mid − band`, asks at or below `mid + band` (`band = mid · band_bps / 10⁴`).
pub(crate) fn weighted_band_price(book: &L2Book, band_bps: f64) -> f64 {
    band_price_and_depth(book, &mut BandSums::default(), band_bps).0
}

/// The size-weighted price of the band (see [`weighted_band_price`]) and the depth `(bid, ask)`
/// within it (what [`L2Book::depth_within_bps`] computes: bids with `px >= mid·(1 − bps/10⁴)`, asks
/// with `px <= mid·(1 + bps/10⁴)`), from the running sums of `bands` (exact integers).
pub(crate) fn band_price_and_depth(book: &L2Book, bands: &mut BandSums, band_bps: f64) -> (f64, Option<(i64, i64)>) {
    let Some(mid) = book.mid() else { return (f64::NAN, None) };
    let band = mid * band_bps / BPS;
    // integer limits of the float bounds (prices are exact in f64 below 2^53)
    let (bid_lim, ask_lim) = ((mid - band).ceil() as i64, (mid + band).floor() as i64);
    let (bq, bpq) = bands.sums(book, Side::Bid, bid_lim);
    let (aq, apq) = bands.sums(book, Side::Ask, ask_lim);
    let q = bq.wrapping_add(aq);
    let wp = if q > 0 { bpq.wrapping_add(apq) as f64 / q as f64 } else { f64::NAN };
    // the depth bounds equal the band's up to rounding: correct by the levels in between, if any
    let (bid_d, ask_d) = ((mid * (1.0 - band_bps / 1e4)).ceil() as i64, (mid * (1.0 + band_bps / 1e4)).floor() as i64);
    let bids = book.side(Side::Bid);
    let asks = book.side(Side::Ask);
    let bd = match bid_d.cmp(&bid_lim) {
        Ordering::Equal => bq,
        Ordering::Less => bq + bids.sums_in(bid_d, Some(bid_lim)).0,
        Ordering::Greater => bq - bids.sums_in(bid_lim, Some(bid_d)).0,
    };
    let ad = match ask_d.cmp(&ask_lim) {
        Ordering::Equal => aq,
        Ordering::Greater => aq + asks.sums_in(ask_d, Some(ask_lim)).0,
        Ordering::Less => aq - asks.sums_in(ask_lim, Some(ask_d)).0,
    };
    (wp, Some((to_i64(bd), to_i64(ad))))
}

/// The `BookContext` of the book now (`px_unit`, `qty_unit`: scale factors, `tick` scaled).
/// `past_wp` = the band's size-weighted price one second ago (scaled), for the migration velocity.
pub(crate) fn book_context(book: &L2Book, band_bps: f64, tick: i64, units: (f64, f64), past_wp: f64) -> BookContext {
    let (px_unit, qty_unit) = units;
    let (Some(bb), Some(ba)) = (book.best_bid(), book.best_ask()) else { return BookContext::NONE };
    let mid = 0.5 * (bb.px as f64 + ba.px as f64);
    if mid <= 0.0 {
        return BookContext::NONE;
    }
    let band = mid * band_bps / BPS;
    let (mut bq, mut aq, mut occupied) = (0.0, 0.0, 0usize);
    for l in in_band(book, Side::Bid, mid, band) {
        bq += l.qty as f64;
        occupied += 1;
    }
    for l in in_band(book, Side::Ask, mid, band) {
        aq += l.qty as f64;
        occupied += 1;
    }
    let slots = 2.0 * (band / tick.max(1) as f64).floor().max(1.0);
    let wp = weighted_band_price(book, band_bps);
    BookContext {
        mid_price: mid / px_unit,
        spread_bps: (ba.px - bb.px) as f64 / mid * BPS,
        bid_depth_10bps: bq / qty_unit,
        ask_depth_10bps: aq / qty_unit,
        liquidity_asymmetry: if bq + aq > 0.0 { (aq - bq) / (aq + bq) } else { f64::NAN },
        band_density: (occupied as f64 / slots).min(1.0),
        migration_velocity: (wp - past_wp) / mid * BPS,
    }
}

/// Settings of the wall search.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WallParams {
    pub k: f64,
    pub band_bps: f64,
    pub levels: usize,
}

/// The nearest wall on side `side` (+1 bid, −1 ask) to our price `px` (scaled) at `t`.
pub(crate) fn wall_context(
    book: &L2Book,
    tracker: &LevelTracker,
    side: i8,
    px: i64,
    t: i64,
    w: WallParams,
    units: (f64, f64),
) -> WallContext {
    let (Some(mid), Some(bs)) = (book.mid(), Side::from_i8(side)) else { return WallContext::NONE };
    let mut sizes: Vec<i64> =
        book.top(Side::Bid, w.levels).chain(book.top(Side::Ask, w.levels)).map(|l| l.qty).collect();
    if sizes.is_empty() {
        return WallContext::NONE;
    }
    sizes.sort_unstable();
    let n = sizes.len();
    let median = if n % 2 == 1 { sizes[n / 2] as f64 } else { 0.5 * (sizes[n / 2 - 1] as f64 + sizes[n / 2] as f64) };
    let threshold = w.k * median;
    let band = mid * w.band_bps / BPS;
    let nearest = in_band(book, bs, mid, band)
        .filter(|l| l.qty as f64 >= threshold && l.qty > 0)
        .min_by_key(|l| (l.px.abs_diff(px), if side == 1 { -l.px } else { l.px }));
    let Some(wall) = nearest else { return WallContext::NONE };
    // inside: our order between the touch and the wall
    let position = match (side, px.cmp(&wall.px)) {
        (_, std::cmp::Ordering::Equal) => 2,
        (1, std::cmp::Ordering::Greater) | (-1, std::cmp::Ordering::Less) => 1,
        _ => 3,
    };
    WallContext {
        nearest_wall_distance_bps: px.abs_diff(wall.px) as f64 / mid * BPS,
        nearest_wall_size: wall.qty as f64 / units.1,
        position_relative_to_wall: position,
        wall_age_ms: tracker.age_ms(side, wall.px, t),
        wall_flicker_rate: tracker.flicker_rate(side, wall.px, t),
    }
}

/// Append the top `n` levels of a side as `[px, qty]` pairs (decoded), NaN-padded to `2n` values.
pub(crate) fn push_levels(book: &L2Book, side: Side, n: usize, units: (f64, f64), out: &mut Vec<f64>) {
    let end = out.len() + 2 * n;
    for l in book.top(side, n) {
        out.push(l.px as f64 / units.0);
        out.push(l.qty as f64 / units.1);
    }
    out.resize(end, f64::NAN);
}
