//! Splitting never changes the words: for any bytes and any chunk size, cutting the text with
//! the job's rule (`MapSpec::boundary`: the tokenizer's boundaries, or line ends when its words
//! depend on the line) and tokenizing each chunk gives the words of the whole text, for every
//! tokenizer, case mode and normalization form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mrwc::tokenize::{Case, Normalize};
use mrwc::map::MapSpec;
use mrwc::split::chunk_end;
use mrwc::tokenize::{Mrjob, Tokenizer, Unicode, Whitespace, WordMapper, Words};

fn words<T: Tokenizer>(tok: &mut T, text: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    tok.tokenize(text, |w| out.push(w.to_vec()));
    out
}

fn check<T: Tokenizer>(mut tok: T, text: &[u8], size: usize) {
    let whole = words(&mut tok, text);
    let rule = MapSpec::default().boundary(tok.clone());
    let mut parts = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let end = chunk_end(text, start, size, &rule);
        assert!(end > start, "the splitter made no progress");
        parts.extend(words(&mut tok, &text[start..end]));
        start = end;
    }
    assert_eq!(parts, whole, "chunk size {size}");
}

fuzz_target!(|data: &[u8]| {
    let Some((&size, text)) = data.split_first() else { return };
    let size = usize::from(size % 32) + 1;
    for case in [Case::Lower, Case::Fold, Case::Keep] {
        for normalize in [Normalize::None, Normalize::Nfkc] {
            let mapper = WordMapper::new(case, normalize);
            check(Words::with(mapper.clone()), text, size);
            check(Whitespace::with(mapper.clone()), text, size);
            check(Mrjob::with(mapper.clone()), text, size);
            check(Unicode::with(mapper), text, size);
        }
    }
});
