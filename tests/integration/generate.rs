//! `mrwc gen`: determinism, size, distribution.

use crate::util::*;

fn gen(args: &[&str]) -> Vec<u8> {
    let run = Mrwc::new().arg("gen").args(args).output();
    run.assert_code(0);
    run.stdout_bytes
}

#[test]
fn same_arguments_give_the_same_bytes_and_a_pinned_sample() {
    let args = ["--size", "300K", "--vocab", "5000", "--seed", "3", "--script", "mixed"];
    let a = gen(&args);
    assert_eq!(a, gen(&args));
    assert_ne!(a, gen(&["--size", "300K", "--vocab", "5000", "--seed", "4", "--script", "mixed"]));
    let t = TestDir::new();
    t.cmd().args(["gen", "-o", "out.txt"]).args(args).stdout();
    assert_eq!(std::fs::read(t.join("out.txt")).unwrap(), a);
    // The bytes are part of the contract (benchmarks on other machines rely on them).
    let small = gen(&["--size", "1K", "--vocab", "50", "--seed", "1", "--script", "mixed"]);
    assert_snapshot("gen-1k-mixed.txt", std::str::from_utf8(&small).unwrap());
    // With a large vocabulary: rare words are composed, not stored, and drawn from the tail.
    let large = gen(&["--size", "2K", "--vocab", "1000000", "--seed", "1", "--script", "mixed"]);
    assert_snapshot("gen-2k-mixed-1m.txt", std::str::from_utf8(&large).unwrap());
}

#[test]
fn output_is_whole_lines_within_the_size() {
    for (size, bytes) in [("0", 0usize), ("100", 100), ("5M", 5 << 20)] {
        let out = gen(&["--size", size, "--vocab", "1000"]);
        assert!(out.len() <= bytes, "{size}: {} bytes", out.len());
        assert!(out.len() + 2 * 400 >= bytes, "{size}: only {} bytes", out.len());
        assert!(out.is_empty() || out.ends_with(b"\n"));
    }
}

#[test]
fn words_follow_the_zipf_law_over_the_vocabulary() {
    let text = gen(&["--size", "4M", "--vocab", "1000", "--zipf", "1.0", "--seed", "9"]);
    let counts = Mrwc::new().args(["-f", "tsv"]).stdin(text).stdout();
    let counts: Vec<u64> = counts.lines().map(|l| l.rsplit('\t').next().unwrap().parse().unwrap()).collect();
    assert!(counts.len() <= 1000 && counts.len() > 900, "{} distinct words", counts.len());
    // Under Zipf(1), the word of rank r appears about 1/r as often as the first.
    for r in [2usize, 3, 5, 10] {
        let ratio = counts[0] as f64 / counts[r - 1] as f64;
        assert!((ratio / r as f64 - 1.0).abs() < 0.1, "rank {r}: ratio {ratio}");
    }
}

#[test]
fn a_large_vocabulary_reaches_its_rare_words_in_zipf_proportion() {
    // 100,000 words: draws beyond the 16,384 most frequent take the generator's second
    // (tail) table. Under Zipf(1) they are 1 - H(16384) / H(100000) = 15.0% of the words.
    let text = gen(&["--size", "8M", "--vocab", "100000", "--seed", "5", "--script", "latin"]);
    let counts = Mrwc::new().args(["-f", "tsv"]).stdin(text).stdout();
    let counts: Vec<u64> = counts.lines().map(|l| l.rsplit('\t').next().unwrap().parse().unwrap()).collect();
    assert!(counts.len() > 30_000, "only {} distinct words", counts.len());
    let total: u64 = counts.iter().sum();
    let rare: u64 = counts.iter().skip(16_384).sum();
    let share = rare as f64 / total as f64;
    assert!((share - 0.150).abs() < 0.02, "rare words are {share:.3} of the text");
    for r in [2usize, 3, 5] {
        let ratio = counts[0] as f64 / counts[r - 1] as f64;
        assert!((ratio / r as f64 - 1.0).abs() < 0.1, "rank {r}: ratio {ratio}");
    }
}

#[test]
fn han_script_is_valid_utf8_without_spaces() {
    let text = gen(&["--size", "64K", "--script", "han"]);
    let text = String::from_utf8(text).unwrap();
    assert!(!text.contains(' ') && text.contains('。'));
}

#[test]
fn bad_gen_flags_are_usage_errors() {
    for args in [["--size", "x"], ["--vocab", "0"], ["--zipf", "-1"]] {
        Mrwc::new().arg("gen").args(args).output().assert_code(2);
    }
}
