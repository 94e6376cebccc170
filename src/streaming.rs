//! `mrwc map` and `mrwc reduce`: the Hadoop Streaming contract, so Hadoop Streaming, mrjob and
//! Spark can run mrwc as their mapper, combiner and reducer.
//!
//! Both are plain filters: text in on stdin, `word<TAB>count` lines out on stdout, nothing but
//! diagnostics on stderr, no files written (beyond spills under `--max-memory`), non-zero exit
//! on error. With `--counters`, Hadoop's counter protocol lines
//! (`reporter:counter:mrwc,NAME,N`) go to stderr at the end.
//!
//! - `map` tokenizes with the same `--tokenizer`/`--case` rules as the main command and combines
//!   in a table; when the table passes `--max-memory` it writes its counts out and starts over
//!   (partial sums are valid mapper output: the reducer adds them up). Output order: none.
//! - `reduce` sums the counts of each key. By default it makes one pass in constant memory over
//!   input grouped by key, as Hadoop's shuffle (key order) and `LC_ALL=C sort` (line order: a key
//!   followed by a byte below TAB sorts before the key alone) deliver it; it accepts either
//!   order, locks onto the one the input shows, and stops with the line number when the input is
//!   not grouped, rather than write a wrong total. `--unsorted` sums in a table instead (spilling
//!   sorted runs past `--max-memory`), for input in any order (Spark). Output is in key order.
//! - Malformed reduce input (no TAB, a count that is not a plain decimal number, a sum past
//!   `u64`) fails with the line number and exit 1, unless `--skip-bad-records`, which skips such
//!   lines, counts them, and reports the count and the first one on stderr.

use std::io::{self, BufRead, BufWriter, Write};
use std::sync::Arc;

use clap::Args;

use crate::budget::Budget;
use crate::error::{io_reason, Error, Result};
use crate::input::encoding::{Decoding, EncodingArg};
use crate::input::InputArg;
use crate::input::{self, WalkOptions};
use crate::keys::{Keys, Tag, Tally};
use crate::map::{Boundary, MapSpec, MapWorker};
use crate::output::{ColumnList, Format, Row};
use crate::records::SortKey;
use crate::runfile;
use crate::spill::Spiller;
use crate::split::Splitter;
use crate::table::{CountOverflow, CountTable};
use crate::tokenize::{with_tokenizer, Tokenizer};

#[derive(Debug, Clone, Args)]
pub struct MapArgs {
    /// How text is cut into words (as in the main command).
    #[command(flatten)]
    pub map: MapSpec,
    /// Memory for the combining table; past half of it, counts are written out early (e.g.
    /// 256M).
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = crate::units::size)]
    pub max_memory: usize,
    /// Tests only: lift the 1M floor under --max-memory.
    #[arg(long, hide = true)]
    pub test_tiny_budget: bool,
    /// Write Hadoop Streaming counter lines (reporter:counter:mrwc,NAME,N) on stderr.
    #[arg(long)]
    pub counters: bool,
    /// The name of the file being mapped, for --by-file and --df (default:
    /// $mapreduce_map_input_file, then $map_input_file, as Hadoop Streaming sets them, else -).
    #[arg(long, value_name = "NAME")]
    pub input_name: Option<String>,
    /// Map task after task in one process (Spark's executors: see `serve`).
    #[arg(long, hide = true)]
    pub serve: bool,
}

impl MapArgs {
    /// The document name of this map task's records (see [`crate::keys`]).
    fn input_name(&self) -> Result<Vec<u8>> {
        let from_env = || ["mapreduce_map_input_file", "map_input_file"].iter().find_map(std::env::var_os);
        let name = match &self.input_name {
            Some(name) => name.as_bytes().to_vec(),
            None => from_env().map_or_else(|| b"-".to_vec(), |n| n.as_encoded_bytes().to_vec()),
        };
        if name.iter().any(|&b| b == b'\t' || b == b'\n' || b == b'\r') {
            let shown = String::from_utf8_lossy(&name).escape_debug().to_string();
            return Err(Error::Usage(format!(
                "input name '{shown}' holds a TAB or a line end, which the streaming format cannot carry"
            )));
        }
        Ok(name)
    }
}

#[derive(Debug, Clone, Args)]
pub struct ReduceArgs {
    /// With the map's --by-file, --df or --doc-per-line: fold the keyed records into rows (the
    /// main command's tsv columns: `file<TAB>word<TAB>count`, `word<TAB>count<TAB>df`).
    /// Without them, reduce sums each key as it comes, which is the combiner for any map.
    #[command(flatten)]
    pub keys: crate::keys::KeyArgs,
    /// Input in any order: sum in a table (spilling past --max-memory) instead of one pass.
    #[arg(long)]
    pub unsorted: bool,
    /// Skip malformed lines, count them and report them, instead of failing.
    #[arg(long)]
    pub skip_bad_records: bool,
    /// Memory for --unsorted's table before it spills (e.g. 256M).
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = crate::units::size)]
    pub max_memory: usize,
    /// Tests only: lift the 1M floor under --max-memory.
    #[arg(long, hide = true)]
    pub test_tiny_budget: bool,
    /// Directory for --unsorted's spills (default: the system temp directory).
    #[arg(long, value_name = "DIR")]
    pub tmp_dir: Option<std::path::PathBuf>,
    /// Write Hadoop Streaming counter lines (reporter:counter:mrwc,NAME,N) on stderr.
    #[arg(long)]
    pub counters: bool,
}

/// A filter is one worker: its table spills at half of `--max-memory` (see [`crate::budget`]).
fn spill_at(bytes: usize, tiny: bool) -> Result<usize> {
    let budget = Budget::new(bytes, 1, tiny).map_err(|why| {
        Error::Usage(format!("invalid value '{}' for --max-memory: {why}", crate::units::size_text(bytes)))
    })?;
    Ok(budget.spill_at(1))
}

fn write_error(e: &io::Error) -> Error {
    Error::output("write error", e)
}

pub(crate) fn counters(enabled: bool, values: &[(&str, u64)]) {
    if enabled {
        for (name, value) in values {
            crate::error::stderr_text(&format!("reporter:counter:mrwc,{name},{value}\n"));
        }
    }
}

fn write_record(out: &mut impl Write, word: &[u8], count: u64) -> io::Result<()> {
    out.write_all(word)?;
    writeln!(out, "\t{count}")
}

/// A closed stdout ends a filter quietly, as with the main command.
fn finish(result: io::Result<()>) -> Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| write_error(&e)),
    }
}

/// `mrwc map`.
pub fn map(args: &MapArgs) -> Result<()> {
    let spill_at = spill_at(args.max_memory, args.test_tiny_budget)?;
    let mut spec = args.map.clone();
    spec.prepare()?;
    let keys = spec.keys();
    let name = if keys.plain() { Vec::new() } else { args.input_name()? };
    with_tokenizer!(spec.tokenize, spec.lexicons(), |tokenizer| {
        let worker = spec.worker(tokenizer.clone(), spill_at);
        if args.serve {
            return serve(worker, (keys, &name));
        }
        map_with(spec.boundary(tokenizer), worker, (keys, &name), (spec.encoding, args.counters))
    })
}

/// Writes a table's records as `key<TAB>count` lines (keys with a header in their text form,
/// see [`crate::keys`], named `name`).
fn write_table(table: CountTable, (keys, name): (Keys, &[u8]), out: &mut impl Write) -> io::Result<()> {
    let (mut result, mut text) = (Ok(()), Vec::new());
    table.for_each(|key, count| {
        if result.is_ok() {
            result = if keys.plain() {
                write_record(out, key, count)
            } else {
                text.clear();
                keys.write_text(&mut text, key, name);
                write_record(out, &text, count)
            };
        }
    });
    result
}

/// `mrwc map --serve`: one process maps task after task, so a dictionary is loaded once per
/// process rather than once per task (Spark's Python workers keep one such process each; see
/// `driver.py`). A task arrives as frames `N<LF>` followed by N bytes of whole lines, and ends
/// with `0<LF>`; its records follow as in `mrwc map` (some may come before its end, when the
/// table passes `--max-memory`), then an empty line, which no record is. End of input between
/// tasks ends the process; within a task, it ends it without the task's records. A UTF-8 BOM
/// at a task's start is skipped, as `mrwc map` skips one at its stdin's start.
fn serve<T: Tokenizer>(mut worker: MapWorker<T>, keys: (Keys, &[u8])) -> Result<()> {
    let mut input = io::stdin().lock();
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let (mut header, mut block, mut first) = (Vec::new(), Vec::new(), true);
    let read_error = |e: io::Error| Error::Input { path: "-".into(), reason: io_reason(&e) };
    loop {
        header.clear();
        if input.read_until(b'\n', &mut header).map_err(read_error)? == 0 {
            return Ok(());
        }
        let size = std::str::from_utf8(header.strip_suffix(b"\n").unwrap_or(&header)).ok().and_then(|n| n.parse().ok());
        let Some(size) = size else {
            let shown = String::from_utf8_lossy(&header).escape_debug().to_string();
            return Err(Error::Job(format!("map --serve: expected a frame's size, got '{shown}'")));
        };
        // A closed stdout ends the process quietly, as it ends `mrwc map`.
        let written = |r: io::Result<()>| match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
            other => other.map(|()| true).map_err(|e| write_error(&e)),
        };
        if size == 0 {
            let done = write_table(worker.take(), keys, &mut out).and_then(|()| out.write_all(b"\n"));
            if !written(done.and_then(|()| out.flush()))? {
                return Ok(());
            }
            first = true;
            continue;
        }
        block.resize(size, 0);
        match io::Read::read_exact(&mut input, &mut block) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            other => other.map_err(read_error)?,
        }
        let mut text = &block[..];
        if first {
            worker.start_task(0);
            text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
            first = false;
        }
        if worker.map(text) && !written(write_table(worker.take(), keys, &mut out))? {
            return Ok(());
        }
    }
}

/// One map worker over stdin; its "spill" is writing its table out (keys with a header in
/// their text form, see [`crate::keys`]).
fn map_with<T: Tokenizer>(
    boundary: Boundary<T>,
    mut worker: MapWorker<T>,
    (keys, name): (Keys, &[u8]),
    (encoding, report): (EncodingArg, bool),
) -> Result<()> {
    let plan = input::plan(&[InputArg::Stdin], WalkOptions { recursive: false, follow: false, urls: false });
    let decoding = Arc::new(Decoding::new(encoding, false));
    let splitter = Splitter::new(&plan.sources, 1 << 20, false, boundary.clone()).decoding(Arc::clone(&decoding));
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let write_table = |table: CountTable, out: &mut BufWriter<io::StdoutLock>| write_table(table, (keys, name), out);
    for chunk in splitter {
        let mut chunk = chunk?;
        worker.start_task(chunk.source);
        let mut full = false;
        // stdin is a stream: its chunks come whole, never as a whole-source reader.
        chunk
            .for_each_piece(1 << 20, &boundary, |piece| full |= worker.map(piece))
            .map_err(|e| Error::input("-", &e))?;
        if full {
            let r = write_table(worker.take(), &mut out);
            if r.as_ref().is_err_and(|e| e.kind() == io::ErrorKind::BrokenPipe) {
                return Ok(());
            }
            r.map_err(|e| write_error(&e))?;
        }
    }
    finish(write_table(worker.take(), &mut out).and_then(|()| out.flush()))?;
    let stats = worker.take_stats();
    let mut rows = vec![
        ("MAP_INPUT_BYTES", stats.input_bytes),
        ("MAP_OUTPUT_RECORDS", stats.output_records),
        ("COMBINE_OUTPUT_RECORDS", stats.combined),
    ];
    if encoding != EncodingArg::Utf8 {
        rows.push(("UNDECODABLE_SEQUENCES", decoding.undecodable()));
    }
    counters(report, &rows);
    Ok(())
}

/// Splits a reduce input line (without its `\n`) into key and count, or says why it is
/// malformed. The key is everything before the last TAB (a key in text form holds TABs, see
/// [`crate::keys`]); the count is a plain decimal number that fits a `u64`, optionally
/// followed by one `\r`.
pub fn parse_line(line: &[u8]) -> std::result::Result<(&[u8], u64), &'static str> {
    let tab = line.iter().rposition(|&b| b == b'\t').ok_or("no TAB between key and count")?;
    let (key, value) = (&line[..tab], &line[tab + 1..]);
    let value = value.strip_suffix(b"\r").unwrap_or(value);
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err("the count is not a plain decimal number");
    }
    let count = std::str::from_utf8(value)
        .ok()
        .and_then(|v| v.parse().ok())
        .ok_or("the count is larger than 18446744073709551615")?;
    Ok((key, count))
}

/// The order a grouped input was sorted in, once the input shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grouping {
    Unknown,
    /// Keys in byte order (Hadoop's shuffle).
    Key,
    /// Lines in byte order (`LC_ALL=C sort`): `key<TAB>` compared.
    Line,
}

/// Whether key `b` may follow key `a` in grouped input, updating what the input has shown.
fn may_follow(grouping: &mut Grouping, a: &[u8], b: &[u8]) -> bool {
    let key = a < b;
    let line = {
        let n = a.len().min(b.len());
        match a[..n].cmp(&b[..n]) {
            std::cmp::Ordering::Less => true,
            std::cmp::Ordering::Greater => false,
            // One key is a prefix of the other: the longer one's next byte meets the TAB.
            std::cmp::Ordering::Equal if a.len() < b.len() => b'\t' < b[n],
            std::cmp::Ordering::Equal => a[n] < b'\t',
        }
    };
    match (*grouping, key, line) {
        (_, true, true) => true,
        (Grouping::Unknown, true, false) => {
            *grouping = Grouping::Key;
            true
        }
        (Grouping::Unknown, false, true) => {
            *grouping = Grouping::Line;
            true
        }
        (Grouping::Key, k, _) => k,
        (Grouping::Line, _, l) => l,
        (Grouping::Unknown, false, false) => false,
    }
}

/// `mrwc reduce`.
pub fn reduce(args: &ReduceArgs) -> Result<()> {
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut line = Vec::new();
    let (mut line_no, mut records) = (0u64, 0u64);
    let mut bad: (u64, Option<String>) = (0, None);
    let spill_at = spill_at(args.max_memory, args.test_tiny_budget)?;
    let read_error = |e: io::Error| Error::Input { path: "-".into(), reason: io_reason(&e) };

    let keys = args.keys.keys()?;
    let mut totals = Totals { out: &mut out, fold: (!keys.plain()).then(|| Fold::new(keys)), written: 0 };
    let mut table = CountTable::default();
    let tmp = args.tmp_dir.clone().unwrap_or_else(std::env::temp_dir);
    let spiller = Spiller::new(&tmp, crate::partition::Partitioner::hash(1));
    let mut current: Option<(Vec<u8>, u64)> = None;
    let mut grouping = Grouping::Unknown;

    let result = loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => break Ok(()),
            Ok(_) => {}
            Err(e) => return Err(read_error(e)),
        }
        line_no += 1;
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let parsed = parse_line(text).and_then(|(key, count)| match keys.plain() || Keys::parse_text(key).is_some() {
            true => Ok((key, count)),
            false => Err("the key is not word<TAB>file<TAB>c|l, as `mrwc map` writes it with these options"),
        });
        let (key, count) = match parsed {
            Ok(kc) => kc,
            Err(why) if args.skip_bad_records => {
                bad.0 += 1;
                bad.1.get_or_insert_with(|| format!("line {line_no}: {why}"));
                continue;
            }
            Err(why) => return Err(Error::Job(format!("reduce: line {line_no}: {why}"))),
        };
        records += 1;
        let overflow = || Error::Job(format!("reduce: line {line_no}: count overflow: the total exceeds {}", u64::MAX));
        if args.unsorted {
            table.add(key, count).map_err(|_| overflow())?;
            if table.memory_bytes() > spill_at {
                spiller.spill_table(std::mem::take(&mut table))?;
            }
            continue;
        }
        match &mut current {
            Some((k, total)) if k.as_slice() == key => *total = total.checked_add(count).ok_or_else(overflow)?,
            Some((k, total)) => {
                if !may_follow(&mut grouping, k, key) {
                    return Err(Error::Job(format!(
                        "reduce: line {line_no}: input is not grouped by key: sort it (LC_ALL=C sort) or use --unsorted"
                    )));
                }
                if let Err(e) = totals.emit(k, *total) {
                    break Err(e);
                }
                k.clear();
                k.extend_from_slice(key);
                *total = count;
            }
            None => current = Some((key.to_vec(), count)),
        }
    };
    let result = result.and_then(|()| match current.take() {
        Some((k, total)) => totals.emit(&k, total),
        None => Ok(()),
    });
    let result = if args.unsorted { result.and(emit_unsorted(table, spiller, &mut totals)?) } else { result };
    let result = result.and_then(|()| totals.finish());
    let written = totals.written;
    finish(result.and_then(|()| out.flush()))?;
    if let (n, Some(first)) = &bad {
        crate::error::diag(format!(
            "reduce: skipped {n} bad record{} (first: {first})",
            if *n == 1 { "" } else { "s" }
        ));
    }
    counters(
        args.counters,
        &[("REDUCE_INPUT_RECORDS", records), ("REDUCE_OUTPUT_RECORDS", written), ("BAD_RECORDS", bad.0)],
    );
    Ok(())
}

/// Writes `--unsorted`'s totals in key order: from the table, or merged with its spills.
fn emit_unsorted(table: CountTable, spiller: Spiller, totals: &mut Totals) -> Result<io::Result<()>> {
    if !spiller.spilled() {
        let mut records = table.into_records();
        records.sort(SortKey::Word, false);
        for (word, count) in records.iter() {
            if let Err(e) = totals.emit(word, count) {
                return Ok(Err(e));
            }
        }
        return Ok(Ok(()));
    }
    spiller.spill_table(table)?;
    let (runs, work) = spiller.into_runs().expect("spilled");
    let mut result = Ok(());
    runfile::merge_paths(&runs[0], work.path(), |word, count| {
        result = totals.emit(word, count);
        Ok(result.is_ok())
    })?;
    Ok(result)
}

/// Where reduce's totals go, in key order: `key<TAB>count` lines, or rows folded from keys in
/// text form.
struct Totals<'a> {
    out: &'a mut dyn Write,
    fold: Option<Fold>,
    /// Lines written.
    written: u64,
}

impl Totals<'_> {
    fn emit(&mut self, key: &[u8], total: u64) -> io::Result<()> {
        match &mut self.fold {
            None => {
                self.written += 1;
                write_record(&mut self.out, key, total)
            }
            Some(fold) => fold.push(key, total, &mut self.out, &mut self.written),
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        match &mut self.fold {
            None => Ok(()),
            Some(fold) => fold.flush(&mut self.out, &mut self.written),
        }
    }
}

/// Folds the totals of one word's keys (`word<TAB>file<TAB>tag`, consecutive in key order)
/// into rows, as the main command's output stage does (`crate::output::rows`).
struct Fold {
    keys: Keys,
    columns: ColumnList,
    word: Vec<u8>,
    /// The word's totals: document name, tag, total.
    entries: Vec<(Vec<u8>, Tag, u64)>,
}

impl Fold {
    fn new(keys: Keys) -> Fold {
        Fold { keys, columns: ColumnList::defaults(keys), word: Vec::new(), entries: Vec::new() }
    }

    fn push(&mut self, key: &[u8], total: u64, out: &mut dyn Write, written: &mut u64) -> io::Result<()> {
        let (word, name, tag) = Keys::parse_text(key).expect("checked when read");
        if word != self.word.as_slice() {
            self.flush(out, written)?;
            self.word = word.to_vec();
        }
        self.entries.push((name.to_vec(), tag, total));
        Ok(())
    }

    fn flush(&mut self, out: &mut dyn Write, written: &mut u64) -> io::Result<()> {
        let entries = std::mem::take(&mut self.entries);
        let mut rows: Vec<(&[u8], Tally)> = Vec::new();
        for (name, tag, total) in &entries {
            let file: &[u8] = if self.keys.by_file { name } else { b"" };
            if rows.last().is_none_or(|r| r.0 != file) {
                rows.push((file, Tally::default()));
            }
            let row = rows.last_mut().expect("a row");
            self.keys.tally(&mut row.1, *tag, *total).ok_or_else(|| io::Error::other(CountOverflow.to_string()))?;
        }
        for (file, Tally { count, df }) in rows {
            let row = Row { file, word: &self.word, count, df, ..Row::default() };
            Format::Tsv.get().record(out, *written, &row, self.columns.as_slice())?;
            *written += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_or_say_why_not() {
        assert_eq!(parse_line(b"word\t12"), Ok((&b"word"[..], 12)));
        assert_eq!(parse_line(b"\t0\r"), Ok((&b""[..], 0)));
        assert_eq!(parse_line(b"no tab"), Err("no TAB between key and count"));
        assert_eq!(parse_line(b"w\tf.txt\tc\t3"), Ok((&b"w\tf.txt\tc"[..], 3)));
        for bad in [&b"w\t"[..], b"w\t-1", b"w\t+1", b"w\t1.0", b"w\t 1", b"w\t1\t"] {
            assert_eq!(parse_line(bad), Err("the count is not a plain decimal number"), "{bad:?}");
        }
        assert_eq!(parse_line(b"w\t18446744073709551616"), Err("the count is larger than 18446744073709551615"));
    }

    #[test]
    fn grouping_accepts_key_order_or_line_order_but_not_a_mix() {
        let mut g = Grouping::Unknown;
        assert!(may_follow(&mut g, b"a", b"b"));
        assert_eq!(g, Grouping::Unknown);
        // "a\x01" before "a" is line order (0x01 < TAB); it sets the mode.
        assert!(may_follow(&mut g, b"a\x01", b"a"));
        assert_eq!(g, Grouping::Line);
        assert!(!may_follow(&mut g, b"a", b"a\x01"));
        let mut g = Grouping::Unknown;
        assert!(may_follow(&mut g, b"a", b"a\x01"));
        assert_eq!(g, Grouping::Key);
        assert!(!may_follow(&mut g, b"b", b"a"));
        assert!(may_follow(&mut g, b"a", b"ab"));
    }
}
