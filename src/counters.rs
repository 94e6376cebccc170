//! Hadoop-style job counters and phase timings: printed by `--stats` on stderr, written as one
//! JSON object by `--stats-json` (see [`Counters::to_json`], and the user guide for each field).
//!
//! Counters are plain numbers filled in by the job once each phase is over (workers keep their
//! own [`crate::map::MapStats`] and hand them in at the end), so counting costs nothing on the
//! hot path.

use std::fmt::Write as _;
use std::time::Duration;

use crate::map::MapStats;

#[derive(Debug, Default, Clone)]
pub struct Counters {
    /// The runner's registered name, or `online`: an identifier, written as it is.
    pub runner: &'static str,
    pub workers: usize,
    pub input_files: u64,
    pub skipped_inputs: u64,
    pub map: MapStats,
    pub reduce_partitions: u64,
    pub distinct_words: u64,
    pub output_records: u64,
    /// What map workers spilled to disk to stay within --max-memory.
    pub spill: crate::spill::SpillStats,
    /// Task attempts that failed and were retried (procs runner).
    pub failed_attempts: u64,
    pub phases: Vec<(&'static str, Duration)>,
    /// Under `--encoding`: inputs decoded per encoding (name, inputs, of which detected).
    pub encodings: Vec<(&'static str, u64, u64)>,
}

impl Counters {
    /// Every counter: its `--stats` name, its `--stats-json` key and its value, in report order.
    pub(crate) fn rows(&self) -> [(&'static str, &'static str, u64); 15] {
        [
            ("input files", "input_files", self.input_files),
            ("skipped inputs", "skipped_inputs", self.skipped_inputs),
            ("input bytes", "input_bytes", self.map.input_bytes),
            ("undecodable sequences", "undecodable_sequences", self.map.undecodable),
            ("map tasks", "map_tasks", self.map.tasks),
            ("map output records", "map_output_records", self.map.output_records),
            ("filtered tokens", "filtered_tokens", self.map.removed),
            ("combine output records", "combine_output_records", self.map.combined),
            ("reduce partitions", "reduce_partitions", self.reduce_partitions),
            ("distinct words", "distinct_words", self.distinct_words),
            ("output records", "output_records", self.output_records),
            ("spills", "spills", self.spill.spills),
            ("spilled records", "spilled_records", self.spill.records),
            ("spilled bytes", "spilled_bytes", self.spill.bytes),
            ("failed attempts", "failed_attempts", self.failed_attempts),
        ]
    }

    /// The rows `--stats` and the report show: failed attempts only where tasks are retried,
    /// undecodable sequences only where inputs were decoded.
    pub(crate) fn shown_rows(&self) -> impl Iterator<Item = (&'static str, &'static str, u64)> + '_ {
        self.rows().into_iter().filter(|(name, _, _)| match *name {
            "failed attempts" => self.runner == "procs",
            "undecodable sequences" => !self.encodings.is_empty(),
            _ => true,
        })
    }

    fn total(&self) -> Duration {
        self.phases.iter().map(|(_, d)| *d).sum()
    }

    /// The report printed by `--stats`.
    pub fn report(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "mrwc: counters (runner {}, {} worker{})", self.runner, self.workers, plural(self.workers));
        for (name, _, value) in self.shown_rows() {
            let _ = writeln!(s, "  {name:<24}{:>16}", group_digits(value));
        }
        if !self.encodings.is_empty() {
            let _ = writeln!(s, "mrwc: input encodings");
            for (name, n, detected) in &self.encodings {
                let how = if *detected == *n {
                    "detected"
                } else if *detected == 0 {
                    "as told"
                } else {
                    "some detected"
                };
                let _ = writeln!(s, "  {name:<24}{:>16}  ({how})", group_digits(*n));
            }
        }
        let _ = writeln!(s, "mrwc: phases");
        for (name, d) in self.phases.iter().chain([&("total", self.total())]) {
            let _ = write!(s, "  {name:<24}{:>12.3} s", d.as_secs_f64());
            if matches!(*name, "map" | "total") && !d.is_zero() {
                let _ = write!(s, "  {:>9.1} MB/s", self.map.input_bytes as f64 / 1e6 / d.as_secs_f64());
            }
            s.push('\n');
        }
        s
    }

    /// `--stats-json`: the counters, phase timings, throughput, peak memory and what ran, as one
    /// JSON object on one line. Every key is always present; the user guide describes each.
    pub fn to_json(&self) -> String {
        let mut s = String::from("{");
        let _ = write!(s, "\"mrwc_version\":\"{}\",\"runner\":\"{}\"", env!("CARGO_PKG_VERSION"), self.runner);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let _ = write!(s, ",\"workers\":{},\"cores\":{cores}", self.workers);
        for (_, key, value) in self.rows() {
            let _ = write!(s, ",\"{key}\":{value}");
        }
        s.push_str(",\"encodings\":[");
        for (i, (name, n, detected)) in self.encodings.iter().enumerate() {
            let sep = if i > 0 { "," } else { "" };
            let _ = write!(s, "{sep}{{\"name\":\"{name}\",\"inputs\":{n},\"detected\":{detected}}}");
        }
        s.push_str("],\"phases\":[");
        for (i, (name, d)) in self.phases.iter().enumerate() {
            let _ =
                write!(s, "{}{{\"name\":\"{name}\",\"seconds\":{:.6}}}", if i > 0 { "," } else { "" }, d.as_secs_f64());
        }
        let total = self.total().as_secs_f64();
        let rate = if total > 0.0 { self.map.input_bytes as f64 / total } else { 0.0 };
        let (own, children) = peak_rss();
        let _ = write!(
            s,
            "],\"total_seconds\":{total:.6},\"bytes_per_second\":{rate:.0},\"peak_rss_bytes\":{own},\"children_peak_rss_bytes\":{children}}}"
        );
        s.push('\n');
        s
    }
}

/// The peak resident memory of this process and of its largest finished child (procs workers,
/// spark-submit), in bytes.
fn peak_rss() -> (u64, u64) {
    let max_rss = |who| {
        // SAFETY: rusage is plain data that getrusage fills in.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: a valid pointer to a rusage; `who` is RUSAGE_SELF or RUSAGE_CHILDREN.
        let ok = unsafe { libc::getrusage(who, &mut usage) } == 0;
        if ok {
            (usage.ru_maxrss.max(0) as u64) * 1024
        } else {
            0
        }
    };
    (max_rss(libc::RUSAGE_SELF), max_rss(libc::RUSAGE_CHILDREN))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `1234567` as `1,234,567`.
pub(crate) fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_grouped_by_thousands() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1,000");
        assert_eq!(group_digits(4_298_239), "4,298,239");
    }

    #[test]
    fn report_lists_every_counter_and_phase() {
        let c = Counters {
            runner: "threads",
            workers: 2,
            input_files: 1,
            map: MapStats {
                tasks: 3,
                input_bytes: 2_000_000,
                output_records: 10,
                combined: 4,
                removed: 0,
                undecodable: 0,
            },
            phases: vec![("map", Duration::from_secs(1)), ("reduce", Duration::from_millis(5))],
            ..Counters::default()
        };
        let r = c.report();
        assert!(r.contains("runner threads, 2 workers"), "{r}");
        assert!(r.contains("input bytes                    2,000,000"), "{r}");
        assert!(r.contains("map                            1.000 s        2.0 MB/s"), "{r}");
        assert!(r.contains("total"), "{r}");
    }
}
