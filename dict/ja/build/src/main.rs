//! Builds mrwc's Japanese dictionary: IPADIC's lexicon (every `*.csv` of the source folder, in
//! name order), `matrix.def`, `char.def` and `unk.def`, compiled by vibrato and compressed by
//! zstd. Each lexicon entry keeps its surface, connection ids, cost and the first field of its
//! part of speech: segmentation reads only the first four, and the rest (readings, base forms)
//! would triple the size.
//!
//! Usage: mrwc-ja-dict SOURCE_DIR OUTPUT.zst

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, source, output] = args.as_slice() else {
        eprintln!("usage: mrwc-ja-dict SOURCE_DIR OUTPUT.zst");
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
            lexicon.push_str(&fields[..5].join(","));
            lexicon.push('\n');
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
    let compressed = zstd::encode_all(raw.as_slice(), 19)?;
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
