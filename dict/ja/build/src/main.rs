//! Builds mrwc's Japanese dictionary: IPADIC's lexicon (every `*.csv` of the source folder, in
//! name order), `matrix.def`, `char.def` and `unk.def`, compiled by vibrato and cut into
//! LZ4-compressed chunks that mrwc unpacks in parallel. Each lexicon entry keeps its surface,
//! connection ids and cost, with an empty feature: segmentation reads nothing else, and every
//! feature string is an allocation when the dictionary is read (keeping the part of speech cost
//! 9 ms of each first Japanese run; the readings and base forms would triple the size).
//!
//! The file: `mrwc-lz4`, a little-endian u32 chunk count, then for each chunk its unpacked and
//! packed lengths (u32 each), then the chunks, each one LZ4 block (`src/tokenize/segment/ja.rs`
//! reads it).
//!
//! Usage: mrwc-ja-dict SOURCE_DIR OUTPUT

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, source, output] = args.as_slice() else {
        eprintln!("usage: mrwc-ja-dict SOURCE_DIR OUTPUT");
        return ExitCode::from(2);
    };
    match build(Path::new(source), Path::new(output)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mrwc-ja-dict: {e}");
            ExitCode::FAILURE
        }
    }
}

fn build(source: &Path, output: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let mut lexicons: Vec<PathBuf> = fs::read_dir(source)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    lexicons.retain(|p| p.extension().is_some_and(|e| e == "csv"));
    lexicons.sort();
    if lexicons.is_empty() {
        return Err(format!("{}: no *.csv lexicon files", source.display()).into());
    }
    let mut lexicon = String::new();
    let mut entries = 0usize;
    for path in &lexicons {
        let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for (n, line) in text.lines().enumerate() {
            let fields: Vec<&str> = line.splitn(6, ',').collect();
            if fields.len() < 5 {
                return Err(format!("{}:{}: fewer than 5 fields", path.display(), n + 1).into());
            }
            lexicon.push_str(&fields[..4].join(","));
            lexicon.push_str(",\n");
            entries += 1;
        }
    }
    let open = |name: &str| File::open(source.join(name)).map_err(|e| format!("{name}: {e}"));
    let dict = vibrato::SystemDictionaryBuilder::from_readers(
        lexicon.as_bytes(),
        open("matrix.def")?,
        open("char.def")?,
        open("unk.def")?,
    )?;
    let mut raw = Vec::new();
    dict.write(&mut raw)?;
    let compressed = pack(&raw);
    fs::write(output, &compressed)?;
    eprintln!(
        "{}: {entries} entries from {} files; {} bytes, {} compressed",
        output.display(),
        lexicons.len(),
        raw.len(),
        compressed.len()
    );
    Ok(())
}

/// How many chunks the dictionary is cut into: as many threads can unpack it.
const CHUNKS: usize = 4;

fn pack(raw: &[u8]) -> Vec<u8> {
    let chunks: Vec<&[u8]> = raw.chunks(raw.len().div_ceil(CHUNKS)).collect();
    let packed: Vec<Vec<u8>> = chunks.iter().map(|c| lz4_flex::block::compress(c)).collect();
    let mut out = b"mrwc-lz4".to_vec();
    out.extend_from_slice(&(chunks.len() as u32).to_le_bytes());
    for (chunk, packed) in chunks.iter().zip(&packed) {
        out.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
        out.extend_from_slice(&(packed.len() as u32).to_le_bytes());
    }
    for p in &packed {
        out.extend_from_slice(p);
    }
    out
}
