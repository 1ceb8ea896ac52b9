//! Reader: to be written (see issue #2).

use super::Options;
use crate::error::{CoreError, Result};
use crate::tables::Tables;

/// Parse one file.
///
/// # Errors
/// Always, until written.
pub fn parse(_data: &[u8], _opts: &Options<'_>) -> Result<Tables> {
    Err(CoreError::InvalidInput("reader not written yet".into()))
}
