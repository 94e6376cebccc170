//! Partitioning: which reducer a word goes to.
//!
//! `partition(word) = fnv1a64(word) mod R`. The hash is FNV-1a, fixed and documented, rather
//! than the combiner's (ahash, whose output may change between crate versions and CPUs): every
//! thread, every worker process and every machine of a job must agree on where a word goes, and
//! `--output-dir` part files should hold the same words wherever the job ran. It runs once per
//! combined record, not per token, so its speed hardly matters.

/// Highest partition count: part files are named `part-00000` to `part-99999`.
pub const MAX_PARTITIONS: usize = 100_000;

/// FNV-1a's starting value (64 bits).
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64 bits.
#[inline]
pub fn fnv1a64(word: &[u8]) -> u64 {
    fnv1a64_extend(FNV_OFFSET, word)
}

/// Continues an FNV-1a hash `h` over more bytes (the run files' running checksum).
#[inline]
pub fn fnv1a64_extend(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Which reducer a word goes to: the job's partitioning rule and its partition count, passed
/// as one value through every stage and runner. A new rule is a new kind here and a new flag
/// in [`PartitionArgs`]; nothing else changes. `--total-order` is not one: on one machine the
/// result is sorted whole anyway, so the output stage cuts it into word ranges (see
/// `output::total_order_part`), and Spark cuts its own from a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partitioner {
    count: usize,
    /// Key bytes before the word (see [`crate::keys`]): not hashed, so a word's records meet.
    skip: usize,
}

impl Partitioner {
    /// `hash(word) mod count`.
    pub fn hash(count: usize) -> Partitioner {
        assert!((1..=MAX_PARTITIONS).contains(&count), "partition count out of range");
        Partitioner { count, skip: 0 }
    }

    /// This partitioner for keys whose first `header` bytes are not part of the word.
    pub fn skipping(self, header: usize) -> Partitioner {
        Partitioner { skip: header, ..self }
    }

    /// How many partitions there are.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The partition, in `0..count()`, of `word`.
    #[inline]
    pub fn of(&self, key: &[u8]) -> usize {
        partition_of(&key[self.skip..], self.count)
    }

    /// The flags that rebuild this partitioner in another process (a procs worker); the key
    /// layout travels with the map flags.
    pub fn to_args(&self) -> Vec<String> {
        vec!["--partitions".into(), self.count.to_string()]
    }
}

/// The partitioning flags.
#[derive(Debug, Clone, clap::Args)]
pub struct PartitionArgs {
    /// Reduce partitions, R: words go to partition hash(word) mod R (default: the worker count).
    #[arg(short = 'p', long, value_name = "R", value_parser = crate::units::count_up_to(MAX_PARTITIONS))]
    pub partitions: Option<usize>,
}

impl PartitionArgs {
    /// The partitioner these flags ask for; `workers` is the default count.
    pub fn partitioner(&self, workers: usize) -> Partitioner {
        Partitioner::hash(self.partitions.unwrap_or(workers.min(MAX_PARTITIONS)))
    }
}

/// The partition, in `0..partitions`, of a word.
#[inline]
pub fn partition_of(word: &[u8], partitions: usize) -> usize {
    debug_assert!(partitions > 0);
    if partitions == 1 {
        return 0;
    }
    (fnv1a64(word) % partitions as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_published_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn every_word_lands_in_range_and_words_spread() {
        let mut seen = [0usize; 7];
        for i in 0..7000 {
            let p = partition_of(format!("w{i}").as_bytes(), 7);
            seen[p] += 1;
        }
        assert!(seen.iter().all(|&n| n > 700), "{seen:?}");
        assert_eq!(partition_of(b"anything", 1), 0);
    }
}
