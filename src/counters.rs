//! Hadoop-style job counters and phase timings, printed by `--stats` on stderr.
//!
//! Counters are plain numbers filled in by the job once each phase is over (workers keep their
//! own [`crate::map::MapStats`] and hand them in at the end), so counting costs nothing on the
//! hot path.

use std::fmt::Write as _;
use std::time::Duration;

use crate::map::MapStats;

#[derive(Debug, Default, Clone)]
pub struct Counters {
    pub runner: String,
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
}

impl Counters {
    /// The report printed by `--stats`.
    pub fn report(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "mrwc: counters (runner {}, {} worker{})", self.runner, self.workers, plural(self.workers));
        let rows: [(&str, u64); 11] = [
            ("input files", self.input_files),
            ("skipped inputs", self.skipped_inputs),
            ("input bytes", self.map.input_bytes),
            ("map tasks", self.map.tasks),
            ("map output records", self.map.output_records),
            ("filtered tokens", self.map.removed),
            ("combine output records", self.map.combined),
            ("reduce partitions", self.reduce_partitions),
            ("distinct words", self.distinct_words),
            ("output records", self.output_records),
            ("", 0),
        ];
        let spills = [
            ("spills", self.spill.spills),
            ("spilled records", self.spill.records),
            ("spilled bytes", self.spill.bytes),
        ];
        let failed = [("failed attempts", self.failed_attempts)];
        let procs = if self.runner == "procs" { &failed[..] } else { &[] };
        let rows = rows.iter().filter(|(n, _)| !n.is_empty()).chain(&spills).chain(procs);
        for (name, value) in rows {
            let _ = writeln!(s, "  {name:<24}{:>16}", group_digits(*value));
        }
        let _ = writeln!(s, "mrwc: phases");
        let total: Duration = self.phases.iter().map(|(_, d)| *d).sum();
        for (name, d) in self.phases.iter().chain([&("total", total)]) {
            let _ = write!(s, "  {name:<24}{:>12.3} s", d.as_secs_f64());
            if matches!(*name, "map" | "total") && !d.is_zero() {
                let _ = write!(s, "  {:>9.1} MB/s", self.map.input_bytes as f64 / 1e6 / d.as_secs_f64());
            }
            s.push('\n');
        }
        s
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `1234567` -> `1,234,567`.
/// `1234567` as `1,234,567`.
pub(crate) fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
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
            runner: "threads".into(),
            workers: 2,
            input_files: 1,
            map: MapStats { tasks: 3, input_bytes: 2_000_000, output_records: 10, combined: 4, removed: 0 },
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
