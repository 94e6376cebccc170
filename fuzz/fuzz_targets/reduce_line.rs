//! The streaming reducer's line parser never panics, and what it accepts is exactly
//! `KEY<TAB>DIGITS[\r]` (the key is everything before the last TAB) with a count that fits a
//! u64.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mrwc::streaming::parse_line;

fuzz_target!(|line: &[u8]| {
    if let Ok((key, count)) = parse_line(line) {
        let rest = &line[key.len() + 1..];
        assert_eq!(line[key.len()], b'\t');
        assert!(!rest.contains(&b'\t'));
        let digits = rest.strip_suffix(b"\r").unwrap_or(rest);
        assert!(!digits.is_empty() && digits.iter().all(u8::is_ascii_digit));
        assert_eq!(std::str::from_utf8(digits).unwrap().parse::<u64>().unwrap(), count);
    }
});
