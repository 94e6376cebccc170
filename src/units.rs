//! Sizes, durations and enum spellings on the command line: one parser each, used as clap
//! value parsers by every subcommand, so a bad value gets the same message wherever it is given.

use std::time::Duration;

use clap::ValueEnum;

const SIZE_HELP: &str = "expected bytes with an optional K, M, G or T suffix (e.g. 4096, 512K, 4M, 1G)";
const DURATION_HELP: &str = "expected a duration such as 600, 90s, 0.5s, 10m, 1h or 500ms";

/// A `--max-memory`, `--chunk-size` or `--size` value, in bytes.
pub fn size(text: &str) -> Result<usize, String> {
    parse_size(text).ok_or_else(|| SIZE_HELP.to_string())
}

/// A size that must not be zero.
pub fn positive_size(text: &str) -> Result<usize, String> {
    match size(text)? {
        0 => Err("must be at least 1".into()),
        n => Ok(n),
    }
}

/// A count that must be at least 1 (`--jobs`, `--partitions`, `--top`, `--max-attempts`).
pub fn positive<T: std::str::FromStr + PartialEq + From<u8>>(text: &str) -> Result<T, String> {
    match text.trim().parse::<T>() {
        Ok(n) if n == T::from(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a whole number".into()),
    }
}

/// A count from 1 to `most`.
pub fn count_up_to(most: usize) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync + 'static {
    move |text| match positive::<usize>(text)? {
        n if n > most => Err(format!("must be at most {most}")),
        n => Ok(n),
    }
}

/// A duration that must not be zero (timeouts, snapshot intervals, windows).
pub fn positive_duration(text: &str) -> Result<Duration, String> {
    match parse_duration(text) {
        Some(d) if d.is_zero() => Err("must be longer than 0".into()),
        Some(d) => Ok(d),
        None => Err(DURATION_HELP.to_string()),
    }
}

/// Parses `600` (seconds), `90s`, `10m`, `1h`, `500ms`, and decimals of each (`0.3s`, `1.5m`,
/// `2.5ms`), to the nanosecond.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') || fraction.len() > 9 {
        return None;
    }
    let nanos_per_unit: u128 = match unit.trim() {
        "ms" => 1_000_000,
        "" | "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    };
    let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let scale = 10u128.pow(fraction.len() as u32);
    let fraction: u128 = if fraction.is_empty() { 0 } else { fraction.parse().ok()? };
    let nanos = whole.checked_mul(nanos_per_unit)?.checked_add(fraction * nanos_per_unit / scale)?;
    let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
    Some(Duration::new(secs, (nanos % 1_000_000_000) as u32))
}

/// Parses `4096`, `512K`, `4M`, `1G`, `2MiB`, `64kb` (binary multiples, case-insensitive).
pub fn parse_size(text: &str) -> Option<usize> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, suffix) = t.split_at(split);
    let n: usize = digits.parse().ok()?;
    let shift = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return None,
    };
    n.checked_mul(1usize.checked_shl(shift)?)
}

/// `1M`, `640K`, or bytes: a size as a flag would spell it.
pub fn size_text(n: usize) -> String {
    match n {
        n if n != 0 && n % (1 << 20) == 0 => format!("{}M", n >> 20),
        n if n != 0 && n % (1 << 10) == 0 => format!("{}K", n >> 10),
        n => n.to_string(),
    }
}

/// The command-line spelling of an enum value.
pub fn value_name<E: ValueEnum>(value: E) -> String {
    value.to_possible_value().expect("no value is skipped").get_name().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("512K"), Some(512 << 10));
        assert_eq!(parse_size("4m"), Some(4 << 20));
        assert_eq!(parse_size("2MiB"), Some(2 << 20));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("1 kb"), Some(1024));
        assert_eq!(size_text(1 << 20), "1M");
        assert_eq!(size_text(640 << 10), "640K");
        assert_eq!(size_text(1000), "1000");
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("600"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0.3s"), Some(Duration::from_millis(300)));
        assert_eq!(parse_duration(".5m"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("2.5ms"), Some(Duration::from_micros(2500)));
        assert_eq!(parse_duration("1."), Some(Duration::from_secs(1)));
        for bad in ["x", ".", "1.2.3s", "-1s", "1e3", "1.0000000001s", "99999999999999999999h", "s"] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
        assert!(positive_duration("0s").is_err());
    }

    #[test]
    fn bad_sizes_are_rejected() {
        for bad in ["", "M", "1.5M", "-1", "4X", "99999999999999999999"] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
        assert_eq!(positive_size("0"), Err("must be at least 1".into()));
    }
}
