//! The Japanese analyzer's dictionary: IPADIC as `dict/ja/regenerate` compiles it, embedded in
//! the binary as LZ4 chunks and unpacked on the first Japanese run, plus the user's words.
//!
//! The first Japanese run of a process pays for the unpacking and for vibrato's reading of the
//! 16.7 MB it gives (its own serialization). The chunks unpack on threads of their own, each into
//! its part of one buffer, which is then read as a slice and dropped: zstd streaming through a
//! reader had taken half of the 51 ms this cost before. (The buffer and the structures read from
//! it peak at 52 MB of RSS in a one-word Japanese run; the stream read peaked at 54 MB, its
//! entries then carrying a part-of-speech string each.)

use super::UserWord;

static IPADIC: &[u8] = include_bytes!("../../../dict/ja/ipadic.vibrato.lz4");

/// The analyzer over IPADIC with `user` words added as nouns.
pub(crate) fn tokenizer(user: &[UserWord]) -> vibrato::Tokenizer {
    let raw = unpack(IPADIC).expect("the embedded dictionary unpacks");
    let mut dict = vibrato::Dictionary::read(raw.as_slice()).expect("the embedded dictionary reads");
    drop(raw);
    if !user.is_empty() {
        dict = dict
            .reset_user_lexicon_from_reader(Some(user_lexicon(user).as_bytes()))
            .expect("user words are valid entries");
    }
    // MeCab groups unknown characters of one class into words of at most 24 characters.
    vibrato::Tokenizer::new(dict).max_grouping_len(24)
}

/// Unpacks the file `dict/ja/build` writes: `mrwc-lz4`, a little-endian u32 chunk count, each
/// chunk's unpacked and packed lengths (u32s), then the chunks, each one LZ4 block. `None` when
/// it is not laid out so.
fn unpack(file: &[u8]) -> Option<Vec<u8>> {
    let u32_at = |at: usize| Some(u32::from_le_bytes(file.get(at..at + 4)?.try_into().ok()?) as usize);
    let rest = file.strip_prefix(b"mrwc-lz4")?;
    let count = u32_at(8)?;
    let lengths: Vec<(usize, usize)> =
        (0..count).map(|i| Some((u32_at(12 + 8 * i)?, u32_at(16 + 8 * i)?))).collect::<Option<_>>()?;
    let mut packed = rest.get(4 + 8 * count..)?;
    let mut raw = vec![0u8; lengths.iter().map(|&(r, _)| r).sum()];
    let mut jobs = Vec::with_capacity(count);
    let mut out = raw.as_mut_slice();
    for &(unpacked, len) in &lengths {
        let (chunk, tail) = (packed.get(..len)?, packed.get(len..)?);
        packed = tail;
        let (to, rest) = std::mem::take(&mut out).split_at_mut(unpacked);
        out = rest;
        jobs.push((chunk, to));
    }
    let fits = |(chunk, to): (&[u8], &mut [u8])| lz4_flex::block::decompress_into(chunk, to).ok() == Some(to.len());
    let all = std::thread::scope(|s| {
        let mut jobs = jobs.into_iter();
        let first = jobs.next();
        let others: Vec<_> = jobs.map(|job| s.spawn(move || fits(job))).collect();
        let mine = first.is_none_or(fits);
        others.into_iter().fold(mine, |all, h| h.join().unwrap_or(false) && all)
    });
    (all && packed.is_empty()).then_some(raw)
}

/// The user's words as vibrato's user lexicon (MeCab's CSV): each a common noun (IPADIC's
/// connection id 1285, `名詞,一般`) with a cost below any of IPADIC's nouns, so that a user word
/// wins over every cut into parts. A word with a comma or quote is quoted CSV.
fn user_lexicon(words: &[UserWord]) -> String {
    const NOUN: u16 = 1285;
    const COST: i16 = -2000;
    let mut csv = String::new();
    for w in words {
        let surface =
            if w.word.contains([',', '"']) { format!("\"{}\"", w.word.replace('"', "\"\"")) } else { w.word.clone() };
        csv.push_str(&format!("{surface},{NOUN},{NOUN},{COST},名詞\n"));
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_dictionary_unpacks_and_damage_is_refused() {
        let raw = unpack(IPADIC).unwrap();
        assert_eq!(&raw[..21], b"VibratoTokenizer 0.5\n");
        let mut cut = IPADIC.to_vec();
        cut.truncate(IPADIC.len() - 1);
        assert!(unpack(&cut).is_none());
        let mut grown = IPADIC.to_vec();
        grown.push(0);
        assert!(unpack(&grown).is_none());
        assert!(unpack(b"mrwc-lz").is_none());
        assert!(unpack(b"mrwc-lz4\x01\x00\x00\x00\x05\x00\x00\x00\x01\x00\x00\x00\x00").is_none());
    }
}
