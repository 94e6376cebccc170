//! Shuffle: regrouping map outputs by partition.
//!
//! Each map worker hands over one `Records` per partition; reducer `p` needs the `p`-th list of
//! every worker. In one process the shuffle moves ownership, it copies no words.

use crate::records::Records;

/// Turns `[worker][partition]` into `[partition][worker]`, dropping empty lists.
pub fn by_partition(map_outputs: Vec<Vec<Records>>, partitions: usize) -> Vec<Vec<Records>> {
    let mut out: Vec<Vec<Records>> = (0..partitions).map(|_| Vec::with_capacity(map_outputs.len())).collect();
    for worker in map_outputs {
        debug_assert_eq!(worker.len(), partitions);
        for (p, records) in worker.into_iter().enumerate() {
            if !records.is_empty() {
                out[p].push(records);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(word: &str) -> Records {
        let mut r = Records::default();
        r.push(word.as_bytes(), 1);
        r
    }

    #[test]
    fn transposes_and_drops_empty_lists() {
        let w0 = vec![one("a"), Records::default()];
        let w1 = vec![one("b"), one("c")];
        let got = by_partition(vec![w0, w1], 2);
        assert_eq!(got, vec![vec![one("a"), one("b")], vec![one("c")]]);
    }
}
