//! Problems in the user's input: what went wrong, where, and how to fix it.
//!
//! A [`Diagnostic`] is data (a code, a severity, a message, a position, a help line); the
//! renderers in [`render`] turn a sorted list of them into text (miette), JSON or GitHub
//! annotations. Nothing here reads or writes files.

mod codes;
pub mod render;

pub use codes::Code;

use crate::load::yaml::{FileId, Pos};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Where: the offending node (for an unknown key, the key itself).
    pub pos: Pos,
    /// Short text under the underline.
    pub label: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, pos: Pos, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            message: message.into(),
            pos,
            label: None,
            help: None,
        }
    }

    pub fn warning(code: Code, pos: Pos, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, pos, message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// One input file as read: its path relative to the project root and its text (empty when
/// it could not be read). Diagnostics point into these by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<(String, String)>,
}

impl Sources {
    pub fn add(&mut self, path: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push((path.into(), text.into()));
        (self.files.len() - 1) as FileId
    }

    /// The id of the file read at `path`, when one was.
    pub fn find(&self, path: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|(p, _)| p == path)
            .map(|i| i as FileId)
    }

    pub fn path(&self, id: FileId) -> &str {
        &self.files[id as usize].0
    }

    pub fn text(&self, id: FileId) -> &str {
        &self.files[id as usize].1
    }

    /// The text of file `id`, when there is such a file.
    pub fn get_text(&self, id: FileId) -> Option<&str> {
        self.files.get(id as usize).map(|(_, text)| text.as_str())
    }

    /// The position of a whole file (line 1, column 1), for problems with no better place.
    pub fn file_pos(id: FileId) -> Pos {
        Pos {
            file: id,
            offset: 0,
            len: 0,
            line: 1,
            column: 1,
        }
    }
}

/// Every problem found in one run, sorted by file, line and column, without duplicates.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(ds);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    /// Sorts by file path, line, column, then code, and drops exact duplicates (the same
    /// rule firing once per environment on a line they share).
    pub fn finish(&mut self, sources: &Sources) {
        self.items.sort_by(|a, b| {
            (
                sources.path(a.pos.file),
                a.pos.line,
                a.pos.column,
                a.code,
                &a.message,
            )
                .cmp(&(
                    sources.path(b.pos.file),
                    b.pos.line,
                    b.pos.column,
                    b.code,
                    &b.message,
                ))
        });
        self.items.dedup();
    }
}

/// The closest candidate to `word` by edit distance, when it is close enough to be a typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let names = ["payment-service", "account-service", "fraud-service"];
        assert_eq!(
            did_you_mean("paymnet-service", names),
            Some("payment-service")
        );
        assert_eq!(did_you_mean("ledger", names), None);
    }
}
