//! Snapshots: what online mode shows every `--every`, and the thread that writes them.
//!
//! On a terminal a snapshot is a table redrawn in place (word, count, share of all words
//! counted, change since the previous snapshot) under a status line. Into a pipe or a file it is
//! a block of lines in `--format`, flushed at once so `| jq` sees it live: tsv and mrjob blocks
//! end with an empty line, csv and json blocks are whole documents (header, array), and each
//! jsonl line carries the snapshot's number and time.
//!
//! The writer runs on its own thread behind a channel that holds one snapshot. When the reader
//! of stdout is slower than the snapshots, the event loop finds the slot taken and drops the new
//! snapshot (counting it) instead of queueing: a slow consumer never makes mrwc buffer without
//! bound, and never slows the counting.

use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use crate::output::Format;

/// One snapshot of the top words.
pub struct Snapshot {
    /// 1, 2, 3...: the snapshot's number, dropped ones included.
    pub number: u64,
    pub time: SystemTime,
    pub elapsed: Duration,
    /// `(word, count, change since the previous snapshot or None when new there)`.
    pub top: Vec<(Box<[u8]>, u64, Option<u64>)>,
    /// Words counted (in the window, with one): the denominator of the shares.
    pub tokens: u64,
    pub distinct: usize,
    /// Bytes read since the start.
    pub bytes: u64,
    pub window: Option<Duration>,
    pub dropped: u64,
}

/// Where snapshots go and how they look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A table redrawn in place on a terminal.
    Live,
    /// Blocks of lines in an output format.
    Blocks(Format),
}

/// The writer thread and its one-snapshot slot.
pub struct Writer {
    slot: Option<SyncSender<Snapshot>>,
    thread: Option<JoinHandle<()>>,
    /// Set when stdout is gone (a closed pipe): the job then stops.
    pub closed: Arc<AtomicBool>,
    pub dropped: u64,
    pub written: u64,
}

impl Writer {
    pub fn start(style: Style) -> crate::error::Result<Writer> {
        let (tx, rx) = mpsc::sync_channel(1);
        let closed = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&closed);
        let thread = std::thread::Builder::new()
            .name("mrwc-snapshots".into())
            .spawn(move || write_all(rx, style, &flag))
            .map_err(|e| crate::error::Error::Job(format!("cannot start the snapshot writer thread: {e}")))?;
        Ok(Writer { slot: Some(tx), thread: Some(thread), closed, dropped: 0, written: 0 })
    }

    /// Hands a snapshot to the writer, or drops it if the previous one is still being written.
    pub fn offer(&mut self, snapshot: Snapshot) {
        let Some(slot) = &self.slot else { return };
        match slot.try_send(snapshot) {
            Ok(()) => self.written += 1,
            Err(TrySendError::Full(_)) => self.dropped += 1,
            Err(TrySendError::Disconnected(_)) => self.closed.store(true, Ordering::Relaxed),
        }
    }

    /// Writes `last` (waiting for room) if given, then waits until everything offered is written.
    pub fn finish(&mut self, last: Option<Snapshot>) {
        if let (Some(slot), Some(last)) = (&self.slot, last) {
            if slot.send(last).is_ok() {
                self.written += 1;
            }
        }
        self.slot = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // The reader may have gone without the writer ever hitting EPIPE (`| head -1` read the
        // one snapshot the pipe held): ask the pipe itself.
        if stdout_reader_gone() {
            self.closed.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// Whether stdout is a pipe whose reader has gone: poll reports POLLERR on such a write end.
fn stdout_reader_gone() -> bool {
    let mut fd = libc::pollfd { fd: 1, events: libc::POLLOUT, revents: 0 };
    // SAFETY: one pollfd, zero timeout.
    let ready = unsafe { libc::poll(&mut fd, 1, 0) };
    ready == 1 && fd.revents & libc::POLLERR != 0
}

fn write_all(rx: Receiver<Snapshot>, style: Style, closed: &AtomicBool) {
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut drawn_lines = 0;
    for snapshot in rx {
        let written = match style {
            Style::Live => draw(&mut out, &snapshot, &mut drawn_lines),
            Style::Blocks(format) => block(&mut out, &snapshot, format),
        };
        if written.and_then(|()| out.flush()).is_err() {
            // A closed pipe or a full disk: nothing more can be shown.
            closed.store(true, Ordering::Relaxed);
            return;
        }
    }
}

/// Renders one snapshot as a block of lines in `format`, framed as the format frames it.
pub fn block(out: &mut impl Write, s: &Snapshot, format: Format) -> io::Result<()> {
    let top: Vec<(&[u8], u64)> = s.top.iter().map(|(word, count, _)| (&word[..], *count)).collect();
    format.get().snapshot(out, s.number, s.time, &top)
}

/// Redraws the live table: the cursor goes back up over the previous one, which is cleared.
fn draw(out: &mut impl Write, s: &Snapshot, drawn_lines: &mut usize) -> io::Result<()> {
    if *drawn_lines > 0 {
        write!(out, "\x1b[{}A\r\x1b[J", *drawn_lines)?;
    }
    let text = table(s);
    out.write_all(text.as_bytes())?;
    *drawn_lines = text.lines().count();
    Ok(())
}

/// The live table as text (without terminal controls).
pub fn table(s: &Snapshot) -> String {
    let secs = s.elapsed.as_secs_f64().max(1e-9);
    let scope = match s.window {
        Some(w) => format!("last {}", humantime::format_duration(w)),
        None => "all time".to_string(),
    };
    let mut text = format!(
        "mrwc --online  {} read  {} words ({scope})  {:.1} MB/s  {} distinct  snapshot {}{}\n",
        human_bytes(s.bytes),
        crate::counters::group_digits(s.tokens),
        s.bytes as f64 / secs / 1e6,
        crate::counters::group_digits(s.distinct as u64),
        s.number,
        if s.dropped > 0 { format!("  ({} dropped)", s.dropped) } else { String::new() },
    );
    let words: Vec<String> = s.top.iter().map(|(w, _, _)| printable(w)).collect();
    let width = words.iter().map(|w| w.chars().count()).max().unwrap_or(4).clamp(4, 40);
    text.push_str(&format!("{:<width$}  {:>12}  {:>7}  {:>10}\n", "WORD", "COUNT", "SHARE", "CHANGE"));
    for ((_, count, before), word) in s.top.iter().zip(&words) {
        let share = if s.tokens == 0 { 0.0 } else { *count as f64 * 100.0 / s.tokens as f64 };
        let change = match before {
            None => "new".to_string(),
            Some(b) if count >= b => format!("+{}", crate::counters::group_digits(count - b)),
            Some(b) => format!("-{}", crate::counters::group_digits(b - count)),
        };
        let shown: String = word.chars().take(width).collect();
        let pad = width - shown.chars().count();
        text.push_str(&format!(
            "{shown}{}  {:>12}  {:>6.2}%  {:>10}\n",
            " ".repeat(pad),
            crate::counters::group_digits(*count),
            share,
            change
        ));
    }
    text
}

/// A word made safe for a terminal: control characters and invalid bytes are escaped, so a
/// word can never move the cursor or change colours.
fn printable(word: &[u8]) -> String {
    let mut out = String::new();
    for chunk in word.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

fn human_bytes(n: u64) -> String {
    match n {
        0..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Snapshot {
        Snapshot {
            number: 3,
            time: SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_000_000_123),
            elapsed: Duration::from_secs(2),
            top: vec![(b"the"[..].into(), 1500, Some(1000)), (b"a\x1b[31m"[..].into(), 20, None)],
            tokens: 3000,
            distinct: 40,
            bytes: 2_500_000,
            window: None,
            dropped: 1,
        }
    }

    fn render(format: Format) -> String {
        let mut out = Vec::new();
        block(&mut out, &sample(), format).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn blocks_are_the_output_formats_with_separators() {
        assert_eq!(render(Format::Tsv), "the\t1500\na\x1b[31m\t20\n\n");
        assert_eq!(
            render(Format::Jsonl),
            "{\"snapshot\":3,\"time\":\"2026-11-18T11:06:40.123Z\",\"word\":\"the\",\"count\":1500}\n\
             {\"snapshot\":3,\"time\":\"2026-11-18T11:06:40.123Z\",\"word\":\"a\\u001b[31m\",\"count\":20}\n"
        );
        assert_eq!(render(Format::Csv), "word,count\r\nthe,1500\r\na\x1b[31m,20\r\n\n");
        assert!(render(Format::Json).starts_with("[\n{\"word\":\"the\",\"count\":1500},"));
    }

    #[test]
    fn the_live_table_shows_shares_changes_and_escapes_words() {
        let text = table(&sample());
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains("2.5 MB read") && lines[0].contains("3,000 words (all time)"), "{}", lines[0]);
        assert!(lines[0].contains("1.2 MB/s") && lines[0].contains("(1 dropped)"), "{}", lines[0]);
        assert!(lines[2].starts_with("the ") && lines[2].contains("1,500") && lines[2].contains("50.00%"));
        assert!(lines[2].ends_with("+500"), "{}", lines[2]);
        assert!(lines[3].starts_with("a\\u{1b}[31m") && lines[3].ends_with("new"), "{}", lines[3]);
        assert!(!text.contains('\x1b'));
    }
}
