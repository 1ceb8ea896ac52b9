//! Decompression on its own thread: a gzip or lz4 stream is decoded into blocks of whole lines
//! that the parsing thread consumes, so inflating and parsing overlap (2 cores: about the time
//! of the slower of the two instead of their sum).
//!
//! Line numbers, empty-line handling and the truncation error are those of
//! [`super::lines::for_each_line`] (a test checks that the two agree).

use std::io::Read;
use std::sync::mpsc::{sync_channel, SyncSender};

use super::lines::Decoded;
use crate::error::{CoreError, Result};

/// Decoded bytes per block handed to the parser (small in tests, to cross many block ends).
const BLOCK: usize = if cfg!(test) { 64 << 10 } else { 4 << 20 };
/// Blocks in flight between the two threads (bounds memory to a few blocks).
const DEPTH: usize = 2;
/// Room past a block for the read that crosses it.
const SLACK: usize = BLOCK / 4;

/// Call `f(line_no, line)` for every line of gzip or lz4 `data`, decoding on a helper thread.
/// Returns the number of lines seen (1-based numbers; `\n` and a trailing `\r` removed; empty
/// lines skipped but counted).
///
/// # Errors
/// The first error `f` returns (decoding then stops), or [`CoreError::Truncated`] naming the last
/// complete line when the stream is cut; every complete line before the cut has been passed to `f`.
pub fn for_each_line_pipelined<F>(data: &[u8], kind: Decoded, mut f: F) -> Result<u64>
where
    F: FnMut(u64, &[u8]) -> Result<()>,
{
    let (tx, rx) = sync_channel::<Result<Vec<u8>>>(DEPTH);
    std::thread::scope(|s| {
        s.spawn(move || decode(data, kind, &tx));
        let mut line_no = 0u64;
        // ends when the decoder is done (sender dropped); returning early drops `rx`, which
        // makes the decoder's next send fail and stops it
        for msg in rx {
            let block = msg?;
            let mut rest = block.as_slice();
            while !rest.is_empty() {
                let (line, next) = match memchr::memchr(b'\n', rest) {
                    Some(pos) => (&rest[..pos], &rest[pos + 1..]),
                    None => (rest, &rest[rest.len()..]),
                };
                line_no += 1;
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if !line.is_empty() {
                    f(line_no, line)?;
                }
                rest = next;
            }
        }
        Ok(line_no)
    })
}

/// The decoder thread: send blocks ending at a line end; on a decoding error send the complete
/// lines first, then [`CoreError::Truncated`] with the number of the last complete line.
fn decode(data: &[u8], kind: Decoded, tx: &SyncSender<Result<Vec<u8>>>) {
    let (mut reader, container): (Box<dyn Read + '_>, &'static str) = match kind {
        Decoded::Gzip => (Box::new(flate2::read::MultiGzDecoder::new(data)), "gzip"),
        Decoded::Lz4 => (Box::new(lz4_flex::frame::FrameDecoder::new(data)), "lz4"),
        Decoded::Plain => (Box::new(data), "plain"),
    };
    // `buf[..filled]` holds decoded bytes not yet sent; the rest is scratch space for `read`
    let mut buf: Vec<u8> = vec![0; BLOCK + SLACK];
    let mut filled = 0usize;
    let mut lines_sent = 0u64;
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0); // one line longer than a block
        }
        let n = match reader.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let whole = memchr::memrchr(b'\n', &buf[..filled]).map_or(0, |p| p + 1);
                buf.truncate(whole);
                lines_sent += memchr::memchr_iter(b'\n', &buf).count() as u64;
                if !buf.is_empty() && tx.send(Ok(buf)).is_err() {
                    return;
                }
                let err = CoreError::Truncated { container, line: lines_sent, msg: e.to_string() };
                let _ = tx.send(Err(err));
                return;
            }
        };
        if n == 0 {
            buf.truncate(filled);
            if !buf.is_empty() {
                let _ = tx.send(Ok(buf));
            }
            return;
        }
        filled += n;
        if filled >= BLOCK {
            if let Some(pos) = memchr::memrchr(b'\n', &buf[..filled]) {
                let tail = filled - (pos + 1);
                let mut next = vec![0; (BLOCK + SLACK).max(2 * tail)];
                next[..tail].copy_from_slice(&buf[pos + 1..filled]);
                buf.truncate(pos + 1);
                lines_sent += memchr::memchr_iter(b'\n', &buf).count() as u64;
                if tx.send(Ok(std::mem::replace(&mut buf, next))).is_err() {
                    return;
                }
                filled = tail;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::for_each_line;
    use std::io::Write;

    fn gz(text: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(text).unwrap();
        e.finish().unwrap()
    }

    type Seen = (Result<u64>, Vec<(u64, Vec<u8>)>);

    fn collect_both(data: &[u8]) -> [Seen; 2] {
        let mut a = Vec::new();
        let ra = for_each_line(data, |i, l| {
            a.push((i, l.to_vec()));
            Ok(())
        });
        let mut b = Vec::new();
        let rb = for_each_line_pipelined(data, Decoded::detect(data), |i, l| {
            b.push((i, l.to_vec()));
            Ok(())
        });
        [(ra, a), (rb, b)]
    }

    #[test]
    fn agrees_with_for_each_line_whole_and_cut() {
        // ~1.3 MB of text: many blocks, lines with \r, empty lines, no final newline
        let text: Vec<u8> = (0..100_000u32)
            .flat_map(|i| if i % 1000 == 7 { b"\n".to_vec() } else { format!("line {i} x\r\n").into_bytes() })
            .chain(*b"end")
            .collect();
        let z = gz(&text);
        let [a, b] = collect_both(&z);
        assert_eq!(a, b);
        assert_eq!(a.0, Ok(100_001));
        let [a, b] = collect_both(&z[..z.len() * 2 / 3]);
        assert_eq!(a, b);
        assert!(matches!(a.0, Err(CoreError::Truncated { container: "gzip", line, .. }) if line > 10_000));
        let mut enc = lz4_flex::frame::FrameEncoder::new(Vec::new());
        enc.write_all(&text).unwrap();
        let lz = enc.finish().unwrap();
        let [a, b] = collect_both(&lz);
        assert_eq!(a, b);
    }

    #[test]
    fn stops_at_the_first_error() {
        let text: Vec<u8> = (0..200_000u32).flat_map(|i| format!("{i}\n").into_bytes()).collect();
        let z = gz(&text);
        let mut seen = 0;
        let r = for_each_line_pipelined(&z, Decoded::Gzip, |i, _| {
            seen = i;
            if i == 1234 {
                Err(CoreError::InvalidInput("stop".into()))
            } else {
                Ok(())
            }
        });
        assert_eq!(r, Err(CoreError::InvalidInput("stop".into())));
        assert_eq!(seen, 1234);
    }
}
