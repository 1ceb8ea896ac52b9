//! The Python exception tree (rooted at `crossbook.CrossbookError`) and the one mapping from
//! [`CoreError`] to it.

use crossbook_core::CoreError;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(crossbook._core, CrossbookError, PyException, "Root of every crossbook error.");
create_exception!(crossbook._core, ParseError, CrossbookError, "A source file could not be read; names file and line.");
create_exception!(crossbook._core, MalformedLineError, ParseError, "A line is not valid for its format.");
create_exception!(crossbook._core, UnknownMessageError, ParseError, "A message type the reader does not know.");
create_exception!(
    crossbook._core,
    InvalidValueError,
    ParseError,
    "A field holds NaN, a negative size or a non-number."
);
create_exception!(crossbook._core, TimestampOrderError, ParseError, "The receive clock of a file went backwards.");
create_exception!(crossbook._core, TruncatedFileError, ParseError, "A compressed file ends early.");
create_exception!(crossbook._core, UnknownFormatError, ParseError, "The file content matches no known format.");
create_exception!(
    crossbook._core,
    SequenceGapError,
    CrossbookError,
    "An order-book update does not chain to the previous one."
);
create_exception!(crossbook._core, InvalidInputError, CrossbookError, "Arguments that cannot be used.");

/// A core error with the source it came from (a file path, or "" when not from a file).
pub struct Located<'a>(pub CoreError, pub &'a str);

impl From<Located<'_>> for PyErr {
    fn from(Located(e, source): Located<'_>) -> PyErr {
        let msg = if source.is_empty() { e.to_string() } else { format!("{source}: {e}") };
        let err = match &e {
            CoreError::Malformed { .. } => MalformedLineError::new_err(msg),
            CoreError::UnknownMessage { .. } => UnknownMessageError::new_err(msg),
            CoreError::InvalidValue { .. } => InvalidValueError::new_err(msg),
            CoreError::TimestampBackwards { .. } => TimestampOrderError::new_err(msg),
            CoreError::Truncated { .. } => TruncatedFileError::new_err(msg),
            CoreError::SequenceGap { .. } => SequenceGapError::new_err(msg),
            CoreError::InvalidInput(_) => InvalidInputError::new_err(msg),
        };
        Python::attach(|py| {
            let v = err.value(py);
            // attributes for programmatic use; failures to set them are not worth a second error
            let _ = v.setattr("path", source);
            let _ = v.setattr("line", e.line());
            let _ = v.setattr("kind", e.kind());
        });
        err
    }
}

impl From<CoreErr> for PyErr {
    fn from(CoreErr(e): CoreErr) -> PyErr {
        Located(e, "").into()
    }
}

/// Newtype so `?` converts core errors that carry no file.
pub struct CoreErr(pub CoreError);

impl From<CoreError> for CoreErr {
    fn from(e: CoreError) -> Self {
        CoreErr(e)
    }
}

/// Register the exception classes on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("CrossbookError", py.get_type::<CrossbookError>())?;
    m.add("ParseError", py.get_type::<ParseError>())?;
    m.add("MalformedLineError", py.get_type::<MalformedLineError>())?;
    m.add("UnknownMessageError", py.get_type::<UnknownMessageError>())?;
    m.add("InvalidValueError", py.get_type::<InvalidValueError>())?;
    m.add("TimestampOrderError", py.get_type::<TimestampOrderError>())?;
    m.add("TruncatedFileError", py.get_type::<TruncatedFileError>())?;
    m.add("UnknownFormatError", py.get_type::<UnknownFormatError>())?;
    m.add("SequenceGapError", py.get_type::<SequenceGapError>())?;
    m.add("InvalidInputError", py.get_type::<InvalidInputError>())?;
    Ok(())
}
