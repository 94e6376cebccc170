//! `mrwc part`: what a Spark executor runs to write one reduce partition of `--output-dir`.
//! It reads the partition's totals (`word<TAB>count`, as `mrwc reduce` writes them) on stdin
//! and writes the partition's part file on stdout through the output stage's
//! [`output::write_part`], so the bytes and their order are those of `-r threads
//! --output-dir` for the same partition. Spark's writer then puts them in place (see
//! `driver.py`). With `--counters`, the records written are reported on stderr as Hadoop's
//! counter line `reporter:counter:mrwc,OUTPUT_RECORDS,N`.

use std::io::{self, BufRead, BufWriter, Write};

use clap::Args;

use crate::error::{io_reason, Error, Result};
use crate::output::{self, Format, OutputSpec, SortOrder};
use crate::table::CountTable;

#[derive(Debug, Clone, Args)]
pub struct PartArgs {
    #[arg(long, value_enum, default_value_t = SortOrder::Count)]
    pub sort: SortOrder,
    #[arg(long, value_enum, default_value_t = Format::Tsv)]
    pub format: Format,
    #[arg(long, default_value_t = 1)]
    pub min_count: u64,
    #[arg(long)]
    pub counters: bool,
}

/// `mrwc part`.
pub fn run(args: &PartArgs) -> Result<()> {
    let mut table = CountTable::default();
    let mut line = Vec::new();
    let mut input = io::stdin().lock();
    for line_no in 1u64.. {
        line.clear();
        let n =
            input.read_until(b'\n', &mut line).map_err(|e| Error::Input { path: "-".into(), reason: io_reason(&e) })?;
        if n == 0 {
            break;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let bad = |why: &str| Error::Job(format!("part: line {line_no}: {why}"));
        let (word, count) = crate::streaming::parse_line(text).map_err(bad)?;
        table.add(word, count).map_err(|e| bad(&e.to_string()))?;
    }
    let records = table.into_records();
    let spec = OutputSpec {
        sort: args.sort,
        top: None,
        min_count: args.min_count,
        format: args.format,
        parallel: false,
        budget: crate::budget::Budget::given(usize::MAX, false),
        keys: crate::keys::Keys::default(),
        columns: output::ColumnList::default(),
        names: &[],
        partitioner: crate::partition::Partitioner::hash(1),
        total_order: false,
    };
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let written = output::write_part(records, &spec, &mut out).and_then(|n| out.flush().map(|()| n));
    let written = written.map_err(|e| Error::output("write error", &e))?;
    crate::streaming::counters(args.counters, &[("OUTPUT_RECORDS", written)]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_args_round_trip_through_the_flags() {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrap {
            #[command(flatten)]
            part: PartArgs,
        }
        let mut spec = OutputSpec::for_tests(crate::keys::Keys::default(), SortOrder::Word, None, 3);
        spec.format = Format::Csv;
        let args = output::part_args(&spec);
        let parsed = Wrap::parse_from(std::iter::once("part".to_string()).chain(args)).part;
        assert_eq!((parsed.sort, parsed.format, parsed.min_count), (SortOrder::Word, Format::Csv, 3));
    }
}
