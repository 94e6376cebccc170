//! Compiles the Chinese dictionary (`dict/zh/dict.txt`, jieba's) into the trie that
//! `src/tokenize/segment/zh.rs` reads in place, and the Traditional -> Simplified table of the
//! CJK blocks, so that the first Chinese run of a process builds nothing (building jieba's trie
//! from text took 75 ms of every such process). Only with the `segment-zh` feature.
//!
//! The trie's layout is described where it is read (`zh.rs`, `Trie`); both sides must agree,
//! and the unit tests there compare the trie's cuts with jieba-rs's.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "segment-zh")]
    zh::build();
}

#[cfg(feature = "segment-zh")]
mod zh {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    pub fn build() {
        let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
        let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
        let dict = root.join("dict/zh/dict.txt");
        println!("cargo:rerun-if-changed={}", dict.display());
        write_trie(&dict, &out.join("zh-trie.bin"));
        write_simplified(&out.join("zh-simplified.bin"));
    }

    /// One node of the trie while it is built: its children by character, and the index of its
    /// frequency among the distinct ones (0: the path to it is not a word).
    #[derive(Default)]
    struct Node {
        children: BTreeMap<char, usize>,
        freq: u16,
    }

    fn write_trie(dict: &Path, out: &Path) {
        let text = std::fs::read_to_string(dict).unwrap_or_else(|e| panic!("{}: {e}", dict.display()));
        let mut entries: Vec<(&str, u64)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let mut fields = line.split_ascii_whitespace();
            let Some(word) = fields.next() else { continue };
            let freq = fields.next().map_or(0, |f| f.parse().unwrap_or_else(|e| panic!("line {}: {f}: {e}", i + 1)));
            assert!(freq > 0, "line {}: {word} has no frequency", i + 1);
            entries.push((word, freq));
        }
        // As jieba-rs loads its dictionary: a later line of the same word replaces the earlier
        // one's frequency, and the total is the sum over all lines.
        let total: u64 = entries.iter().map(|&(_, f)| f).sum();
        let by_word: BTreeMap<&str, u64> = entries.iter().copied().collect();
        let mut freqs: Vec<u64> = by_word.values().copied().collect();
        freqs.sort_unstable();
        freqs.dedup();
        assert!(freqs.len() < usize::from(u16::MAX), "too many distinct frequencies");
        let freq_index = |f: u64| freqs.binary_search(&f).unwrap() as u16 + 1;

        let mut nodes = vec![Node::default()];
        for (word, &freq) in &by_word {
            let mut at = 0;
            for c in word.chars() {
                at = match nodes[at].children.get(&c) {
                    Some(&child) => child,
                    None => {
                        nodes.push(Node::default());
                        let child = nodes.len() - 1;
                        nodes[at].children.insert(c, child);
                        child
                    }
                };
            }
            nodes[at].freq = freq_index(freq);
        }

        // Breadth first, so that every node's children are consecutive and sorted by character.
        let mut order = vec![0usize];
        let mut i = 0;
        while i < order.len() {
            order.extend(nodes[order[i]].children.values().copied());
            i += 1;
        }
        let mut id = vec![0u32; nodes.len()];
        for (new, &old) in order.iter().enumerate() {
            id[old] = new as u32;
        }
        let n = order.len();
        let mut first_child = Vec::with_capacity(n + 1);
        let mut labels = vec![0u32; n];
        let mut freq_of = Vec::with_capacity(n);
        let mut next = 1u32;
        for &old in &order {
            first_child.push(next);
            for (&c, &child) in &nodes[old].children {
                labels[id[child] as usize] = c as u32;
                next += 1;
            }
            freq_of.push(nodes[old].freq);
        }
        first_child.push(next);
        let mut root = vec![0u32; 0x10000];
        for (&c, &child) in &nodes[0].children {
            if (c as u32) < 0x10000 {
                root[c as usize] = id[child];
            }
        }

        let mut bytes = Vec::new();
        for v in [n as u64, freqs.len() as u64, total] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        for v in root.iter().chain(&first_child).chain(&labels) {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        for &f in &freqs {
            bytes.extend_from_slice(&(f as u32).to_le_bytes());
        }
        for v in &freq_of {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        std::fs::write(out, bytes).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    }

    /// Traditional -> Simplified for U+3400..U+9FFF as little-endian u16s, 0 where a character
    /// stays. Only mappings between characters of three UTF-8 bytes are kept, so the projection of
    /// a string has the string's byte offsets.
    fn write_simplified(out: &Path) {
        const FIRST: u32 = 0x3400;
        const LAST: u32 = 0x9fff;
        // One conversion of all characters, each on its own line so that fast2s's few context rules
        // (which look at neighbours) see none.
        let all: String = (FIRST..=LAST).filter_map(char::from_u32).flat_map(|c| [c, '\n']).collect();
        let converted = fast2s::convert(&all);
        let mut table = vec![0u16; (LAST - FIRST + 1) as usize];
        for (from, to) in all.split('\n').zip(converted.split('\n')) {
            let (Some(f), Some(t)) = (from.chars().next(), to.chars().next()) else { continue };
            if f != t && to.chars().count() == 1 && t.len_utf8() == 3 {
                table[(f as u32 - FIRST) as usize] = t as u32 as u16;
            }
        }
        let bytes: Vec<u8> = table.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(out, bytes).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    }
}
