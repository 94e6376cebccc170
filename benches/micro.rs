//! Micro-benchmarks of the engine's hot paths, each reported with `Throughput::Bytes` of text:
//!
//! - `tokenize/{whitespace,words,mrjob,unicode}`: the tokenizers alone (each word is only summed
//!   by length) on English; `tokenize-zh/words` on Simplified Chinese (jieba) when
//!   `../shared/corpus/zh-modern-1mb.txt` is present;
//! - `table/add_one`: tokenizing plus counting into the combining table (the map task);
//! - `partition/into_partitions`: draining a combined table into R partitions.
//!
//! Input: the King James Bible from `../shared/corpus/kjv.txt` when present, otherwise text
//! generated with a fixed seed, so results are comparable run to run.
//! Run: `cargo bench --bench micro`.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use mrwc::map::MapSpec;
use mrwc::table::CountTable;
use mrwc::tokenize::{Case, Normalize};
use mrwc::tokenize::{Mrjob, Tokenizer, Unicode, Whitespace, WordMapper, Words};

fn corpus() -> Vec<u8> {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/kjv.txt");
    if let Ok(text) = std::fs::read(shared) {
        return text;
    }
    // xorshift with a fixed seed: 4 MB of words drawn from a 5,000-word vocabulary.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = Vec::with_capacity(4 << 20);
    while out.len() < 4 << 20 {
        let word = next() % 5000;
        out.extend_from_slice(format!("Word{word} ").as_bytes());
        if next() % 12 == 0 {
            out.push(b'\n');
        }
    }
    out
}

/// Times `tok` over `text`, each word only summed by length.
fn bench_tokenizer<T: Tokenizer>(group: &mut BenchmarkGroup<WallTime>, name: &str, mut tok: T, text: &[u8]) {
    group.bench_function(name, |b| {
        b.iter(|| {
            let mut total = 0usize;
            tok.tokenize(black_box(text), |w| total += w.len());
            total
        })
    });
}

fn tokenize(c: &mut Criterion) {
    let text = corpus();
    let mapper = || WordMapper::new(Case::Lower, Normalize::None);
    let mut group = c.benchmark_group("tokenize");
    group.throughput(Throughput::Bytes(text.len() as u64));
    bench_tokenizer(&mut group, "whitespace", Whitespace::with(mapper()), &text);
    bench_tokenizer(&mut group, "words", Words::with(mapper()), &text);
    bench_tokenizer(&mut group, "mrjob", Mrjob::with(mapper()), &text);
    bench_tokenizer(&mut group, "unicode", Unicode::with(mapper()), &text);
    group.finish();

    let zh = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/zh-modern-1mb.txt");
    if let Ok(text) = std::fs::read(zh) {
        let mut group = c.benchmark_group("tokenize-zh");
        group.throughput(Throughput::Bytes(text.len() as u64));
        bench_tokenizer(&mut group, "words", Words::with(mapper()), &text);
        group.finish();
    }
}

fn table(c: &mut Criterion) {
    let text = corpus();
    let mut group = c.benchmark_group("table");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("add_one", |b| {
        b.iter(|| {
            let mut worker = MapSpec::default().worker(Whitespace::new(Case::Lower), usize::MAX);
            worker.map(black_box(&text));
            worker.take().len()
        })
    });
    group.finish();
}

fn partition(c: &mut Criterion) {
    let text = corpus();
    let mut worker = MapSpec::default().worker(Words::new(Case::Lower), usize::MAX);
    worker.map(&text);
    let table = worker.take();
    let mut group = c.benchmark_group("partition");
    group.throughput(Throughput::Elements(table.len() as u64));
    group.bench_function("into_partitions", |b| {
        b.iter_batched(
            || {
                let mut copy = CountTable::with_capacity(table.len());
                table.for_each(|w, n| copy.add(w, n).expect("no overflow"));
                copy
            },
            |t| t.into_partitions(black_box(mrwc::partition::Partitioner::hash(8))),
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, tokenize, table, partition);
criterion_main!(benches);
