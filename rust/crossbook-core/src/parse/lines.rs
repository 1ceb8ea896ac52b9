//! Line iteration over plain, gzip or lz4-framed bytes, streaming (the decompressed text is never
//! held whole), with truncation reported as [`CoreError::Truncated`] after the last complete line.

use std::io::Read;

use crate::error::{CoreError, Result};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const LZ4_MAGIC: [u8; 4] = [0x04, 0x22, 0x4d, 0x18];
const CHUNK: usize = 1 << 20;

/// The container a byte buffer was found to be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    Plain,
    Gzip,
    Lz4,
}

impl Decoded {
    /// Detect the container from magic bytes.
    #[must_use]
    pub fn detect(data: &[u8]) -> Self {
        if data.starts_with(&GZIP_MAGIC) {
            Self::Gzip
        } else if data.starts_with(&LZ4_MAGIC) {
            Self::Lz4
        } else {
            Self::Plain
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Gzip => "gzip",
            Self::Lz4 => "lz4",
        }
    }
}

/// Decompress a whole buffer (gzip, lz4 frame, or plain copied as is).
///
/// # Errors
/// [`CoreError::Truncated`] when the compressed stream ends early or is corrupt.
pub fn decompress(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() * 4);
    for_each_line(data, |_, line| {
        out.extend_from_slice(line);
        out.push(b'\n');
        Ok(())
    })?;
    Ok(out)
}

/// Call `f(line_no, line)` for every line (1-based numbers, `\n` and a trailing `\r` removed,
/// empty lines skipped but counted). Returns the number of lines seen.
///
/// # Errors
/// The first error `f` returns, or [`CoreError::Truncated`] if the compressed stream is cut:
/// every complete line before the cut has been passed to `f`, the partial last line has not.
pub fn for_each_line<F>(data: &[u8], mut f: F) -> Result<u64>
where
    F: FnMut(u64, &[u8]) -> Result<()>,
{
    let kind = Decoded::detect(data);
    let mut line_no: u64 = 0;
    let mut emit = |line: &[u8], line_no: &mut u64| -> Result<()> {
        *line_no += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return Ok(());
        }
        f(*line_no, line)
    };
    if kind == Decoded::Plain {
        let mut rest = data;
        while let Some(pos) = memchr::memchr(b'\n', rest) {
            emit(&rest[..pos], &mut line_no)?;
            rest = &rest[pos + 1..];
        }
        if !rest.is_empty() {
            emit(rest, &mut line_no)?;
        }
        return Ok(line_no);
    }
    let mut reader: Box<dyn Read + '_> = match kind {
        Decoded::Gzip => Box::new(flate2::read::MultiGzDecoder::new(data)),
        Decoded::Lz4 => Box::new(lz4_flex::frame::FrameDecoder::new(data)),
        Decoded::Plain => Box::new(data),
    };
    let mut buf: Vec<u8> = vec![0; CHUNK];
    let mut filled = 0usize;
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = match reader.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(CoreError::Truncated { container: kind.name(), line: line_no, msg: e.to_string() });
            }
        };
        if n == 0 {
            if filled > 0 {
                emit(&buf[..filled], &mut line_no)?;
            }
            return Ok(line_no);
        }
        let end = filled + n;
        let mut start = 0usize;
        while let Some(pos) = memchr::memchr(b'\n', &buf[start..end]) {
            emit(&buf[start..start + pos], &mut line_no)?;
            start += pos + 1;
        }
        buf.copy_within(start..end, 0);
        filled = end - start;
    }
}

/// The first `n` non-empty lines of plain, gzip or lz4 bytes (for format detection). A stream
/// cut before `n` lines gives what it has.
#[must_use]
pub fn head(data: &[u8], n: usize) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(n);
    let stop = CoreError::InvalidInput(String::new());
    let _ = for_each_line(data, |_, line| {
        out.push(line.to_vec());
        if out.len() >= n {
            Err(stop.clone())
        } else {
            Ok(())
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(text: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(text).map_err(|_| ()).ok();
        e.finish().unwrap_or_default()
    }

    #[test]
    fn plain_gzip_and_lz4_give_the_same_lines() {
        let text = b"a 1\r\nb 2\n\nc 3";
        let collect = |d: &[u8]| {
            let mut v = Vec::new();
            let n = for_each_line(d, |i, l| {
                v.push((i, l.to_vec()));
                Ok(())
            });
            (n, v)
        };
        let want = vec![(1, b"a 1".to_vec()), (2, b"b 2".to_vec()), (4, b"c 3".to_vec())];
        assert_eq!(collect(text), (Ok(4), want.clone()));
        assert_eq!(collect(&gz(text)), (Ok(4), want.clone()));
        let mut enc = lz4_flex::frame::FrameEncoder::new(Vec::new());
        enc.write_all(text).ok();
        let lz = enc.finish().unwrap_or_default();
        assert_eq!(collect(&lz), (Ok(4), want));
    }

    #[test]
    fn truncated_gzip_reports_the_last_complete_line() {
        let text: Vec<u8> = (0..20_000).flat_map(|i| format!("line {i}\n").into_bytes()).collect();
        let z = gz(&text);
        let cut = &z[..z.len() / 2];
        let mut seen = 0u64;
        let r = for_each_line(cut, |i, _| {
            seen = i;
            Ok(())
        });
        match r {
            Err(CoreError::Truncated { container, line, .. }) => {
                assert_eq!(container, "gzip");
                assert_eq!(line, seen);
                assert!(seen > 100 && seen < 20_000);
            }
            other => panic!("expected Truncated, got {other:?}"),
        }
    }
}
