//! The run-file reader never panics on corrupt input and never yields records out of order;
//! and any records written by the writer read back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mrwc::runfile::{Order, RunReader, RunWriter};

fuzz_target!(|data: &[u8]| {
    // Arbitrary bytes as a run file: an error or well-ordered records, never a panic.
    if let Ok(mut reader) = RunReader::new(data, "fuzz".into()) {
        let mut previous: Option<(Vec<u8>, u64)> = None;
        while let Ok(true) = reader.advance() {
            let current = (reader.word().to_vec(), reader.count());
            if let Some(p) = &previous {
                assert!(reader.order().before((&p.0, p.1), (&current.0, current.1)));
            }
            previous = Some(current);
        }
    }
    // The same bytes as records: written, then read back unchanged.
    let mut words: Vec<&[u8]> = data.split(|&b| b == 0).collect();
    words.sort();
    words.dedup();
    let mut writer = RunWriter::with_order(Vec::new(), Order::Word).unwrap();
    for (i, w) in words.iter().enumerate() {
        writer.push(w, i as u64 * 0x1_0000_0001).unwrap();
    }
    let bytes = writer.finish().unwrap().0;
    let mut reader = RunReader::new(bytes.as_slice(), "fuzz".into()).unwrap();
    for (i, w) in words.iter().enumerate() {
        assert!(reader.advance().unwrap());
        assert_eq!((reader.word(), reader.count()), (*w, i as u64 * 0x1_0000_0001));
    }
    assert!(!reader.advance().unwrap());
});
