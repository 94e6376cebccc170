//! The library's error type and the helpers that make its messages safe to print.
//!
//! Every message names the thing it is about (an input path, `stdout`, an output path) and the
//! cause, on one line, without the `mrwc:` prefix that the binary adds. Paths are passed through
//! [`quote_path`] so that a file name holding a newline, a tab, invalid UTF-8 or a terminal escape
//! sequence can never inject raw bytes into the user's terminal.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// What can go wrong in a job. [`Error::exit_code`] is the documented exit status of each.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag's value is not usable (detected after clap parsed it).
    #[error("{0}")]
    Usage(String),
    /// One or more inputs cannot be read; each line names one input.
    #[error("{}", .0.join("\nmrwc: "))]
    BadInputs(Vec<String>),
    /// An input failed while it was being read (after the up-front checks passed).
    #[error("{path}: {reason}")]
    Input { path: String, reason: String },
    /// Writing the result failed (full disk, closed stdout, unwritable directory).
    #[error("{what}: {reason}")]
    Output { what: String, reason: String },
    /// A temp or spill directory cannot be used.
    #[error("{what}: {reason}")]
    TempDir { what: String, reason: String },
    /// The job failed while running: a task failed, a count overflowed.
    #[error("{0}")]
    Job(String),
    /// A library caller cancelled the job ([`crate::interrupt::cancel`]).
    #[error("cancelled")]
    Cancelled,
}

impl Error {
    /// The exit status documented in the README's "Exit codes" table.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::BadInputs(_) | Error::Input { .. } => 2,
            Error::Output { .. } | Error::TempDir { .. } | Error::Job(_) => 1,
            Error::Cancelled => 130,
        }
    }

    pub fn input(path: &str, err: &io::Error) -> Error {
        Error::Input { path: path.to_string(), reason: io_reason(err) }
    }

    pub fn output(what: impl Into<String>, err: &io::Error) -> Error {
        Error::Output { what: what.into(), reason: io_reason(err) }
    }

    /// A work file or directory at `path` failed with `err`.
    pub fn temp_dir(path: &Path, err: &io::Error) -> Error {
        Error::TempDir { what: quote_path(path), reason: io_reason(err) }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Writes text to stderr, ignoring failure. `eprintln!` panics when stderr is a closed pipe;
/// a diagnostic that cannot be shown must not turn into a crash.
pub fn stderr_text(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Writes `mrwc: MESSAGE` on stderr (see [`stderr_text`]).
pub fn diag(message: impl std::fmt::Display) {
    stderr_text(&format!("mrwc: {message}\n"));
}

/// The cause of an I/O error as a reader of a Unix tool expects it: `No such file or directory`,
/// without Rust's ` (os error 2)` suffix.
pub fn io_reason(err: &io::Error) -> String {
    let text = err.to_string();
    match (err.raw_os_error(), text.rfind(" (os error ")) {
        (Some(_), Some(at)) => text[..at].to_string(),
        _ => text,
    }
}

/// Renders a path for a one-line message. Printable UTF-8 is shown as it is; anything else
/// (control characters, invalid UTF-8, escape sequences) makes the whole name shown quoted with
/// `\n`, `\t`, `\u{1b}` and `\xNN` escapes.
pub fn quote_path(path: &Path) -> String {
    quote_bytes(path.as_os_str().as_encoded_bytes())
}

/// Characters that must not reach a terminal raw: controls, line and paragraph separators, and
/// the bidirectional formatting characters (U+202E RIGHT-TO-LEFT OVERRIDE makes `txt.exe`
/// display as `exe.txt`).
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

fn quote_bytes(bytes: &[u8]) -> String {
    let plain = std::str::from_utf8(bytes).ok().filter(|s| !s.chars().any(is_unsafe));
    if let Some(s) = plain {
        return s.to_string();
    }
    let mut out = String::from("'");
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\'' => out.push_str("\\'"),
                '\\' => out.push_str("\\\\"),
                c if is_unsafe(c) => out.extend(c.escape_default()),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn plain_names_are_unquoted() {
        assert_eq!(quote_path(Path::new("dir/file.txt")), "dir/file.txt");
        assert_eq!(quote_path(Path::new("中文 名.txt")), "中文 名.txt");
    }

    #[test]
    fn control_characters_and_invalid_bytes_are_escaped() {
        let p = Path::new(OsStr::from_bytes(b"a\nb\tc\x1b[31m\xff'"));
        assert_eq!(quote_path(p), r"'a\nb\tc\u{1b}[31m\xff\''");
    }

    #[test]
    fn bidirectional_overrides_are_escaped() {
        assert_eq!(quote_path(Path::new("evil\u{202e}txt.exe")), r"'evil\u{202e}txt.exe'");
        assert_eq!(quote_path(Path::new("a\u{2067}b")), r"'a\u{2067}b'");
        assert_eq!(quote_path(Path::new("עברית.txt")), "עברית.txt");
    }

    #[test]
    fn io_reason_drops_the_os_error_suffix() {
        let e = io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(io_reason(&e), "No such file or directory");
    }
}
