//! The tool's own failures (I/O, internal bugs, broken templates): exit code 3.
//! Problems in the user's input are `Diagnostic`s, not errors.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A template that does not compile or render. `message` starts with the line when
    /// known; `line` and `range` (bytes in the template's source) locate it for a diagnostic
    /// when the template is the user's override.
    #[error("template {name}: {message}")]
    Template {
        name: String,
        message: String,
        line: Option<usize>,
        range: Option<std::ops::Range<usize>>,
    },
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
