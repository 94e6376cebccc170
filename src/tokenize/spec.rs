//! The tokenizer flags: which tokenizer ([`TokenizerKind`]), case mapping and normalization a job uses. One flag
//! group (`clap::Args`) shared by the main command, `mrwc map` and the procs workers.

use clap::ValueEnum;

use super::TokenizerKind;
use crate::units::value_name;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Case {
    /// Full Unicode lowercase (ASCII fast path).
    Lower,
    /// Full Unicode case folding: `Straße` and `STRASSE` count together.
    Fold,
    /// Keep words as written.
    Keep,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Normalize {
    /// Words as they are in the input.
    None,
    /// Canonical composition: a decomposed `café` counts with the composed one.
    Nfc,
    /// Compatibility composition: also fullwidth `ＣＰＵ` -> `CPU`, ligatures, superscripts.
    Nfkc,
}

/// How the `words` tokenizer cuts a run of Han characters without kana: Chinese and Japanese
/// share the characters, and the words differ (`環境変数` is `環境`, `変数` in Japanese).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Han {
    /// Japanese when its line holds a kana character, else Chinese.
    Auto,
    /// Always Chinese (jieba).
    Zh,
    /// Always Japanese (IPADIC).
    Ja,
}

/// How text becomes words: the flags shared by the main command, `mrwc map` and the workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct TokenizerSpec {
    /// How text is cut into words.
    #[arg(short = 't', long, value_enum, default_value_t = TokenizerKind::Words)]
    pub tokenizer: TokenizerKind,
    /// Case mapping applied to each word (after --normalize).
    #[arg(long = "case", value_enum, default_value_t = Case::Lower)]
    pub case: Case,
    /// Unicode normalization applied to each word.
    #[arg(long, value_enum, default_value_t = Normalize::None)]
    pub normalize: Normalize,
    /// How `-t words` cuts Han text without kana: as Japanese when its line has kana (auto), or
    /// always as Chinese or Japanese.
    #[arg(long, value_enum, default_value_t = Han::Auto)]
    pub han: Han,
}

impl Default for TokenizerSpec {
    /// The command line's defaults.
    fn default() -> TokenizerSpec {
        TokenizerSpec { tokenizer: TokenizerKind::Words, case: Case::Lower, normalize: Normalize::None, han: Han::Auto }
    }
}

impl TokenizerSpec {
    /// The same flags as command-line arguments, for a worker process or `mrwc map` elsewhere.
    pub fn to_args(&self) -> Vec<String> {
        vec![
            "--tokenizer".into(),
            value_name(self.tokenizer),
            "--case".into(),
            value_name(self.case),
            "--normalize".into(),
            value_name(self.normalize),
            "--han".into(),
            value_name(self.han),
        ]
    }
}
