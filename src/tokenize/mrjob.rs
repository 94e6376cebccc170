//! `--tokenizer mrjob`: the tokenizer of mrjob's word-count example, byte for byte, so a user
//! can check mrwc against an old job.
//!
//! mrjob reads each line (without its `\n`) as UTF-8, or as latin-1 when that fails, then runs
//! `re.findall(r"[\w']+", line)` and lowercases each match with `str.lower()`. Python's `\w` on
//! `str` is `str.isalnum()` or `_`: letters (L*) and numbers (N*), but not combining marks, so
//! a decomposed `cafe\u{301}` is the word `cafe`. The apostrophe is any ASCII `'`, anywhere
//! (`'hello'` keeps its quotes). Because one bad byte changes how its whole line is read, only
//! `\n` is a chunk boundary.

use crate::tokenize::{class, is_letter_or_number, Token, Tokenizer, WordMapper};

#[derive(Debug, Clone)]
pub struct Mrjob {
    case: WordMapper,
    latin1: String,
}

impl Mrjob {
    pub fn with(mapper: WordMapper) -> Mrjob {
        Mrjob { case: mapper, latin1: String::new() }
    }
}

/// Python's `[\w']` for one character.
#[inline]
fn is_token_char(c: char) -> bool {
    c == '_' || c == '\'' || is_letter_or_number(c)
}

impl Tokenizer for Mrjob {
    #[inline]
    fn is_boundary(&self, b: u8) -> bool {
        b == b'\n'
    }

    fn tokenize<F: FnMut(Token<'_>)>(&mut self, text: &[u8], mut emit: F) {
        // Segments end at a newline or at a very long line's forced cuts (`split::MAX_RUN`),
        // the same points at which the splitter may cut.
        let mut pos = 0;
        while pos < text.len() {
            let end = crate::split::chunk_end(text, pos, SEGMENT, &|b| b == b'\n');
            self.tokenize_lines(&text[pos..end], &mut emit);
            pos = end;
        }
    }
}

/// Text is handed to the line loop in segments of about this size.
const SEGMENT: usize = 1 << 16;

impl Mrjob {
    fn tokenize_lines<F: FnMut(Token<'_>)>(&mut self, text: &[u8], mut emit: F) {
        for line in text.split(|&b| b == b'\n') {
            match std::str::from_utf8(line) {
                Ok(line) => tokens(line, &mut self.case, &mut emit),
                Err(_) => {
                    // latin-1 maps each byte to the code point of the same value.
                    self.latin1.clear();
                    self.latin1.extend(line.iter().map(|&b| char::from(b)));
                    tokens(&self.latin1, &mut self.case, &mut emit);
                }
            }
        }
    }
}

fn tokens<F: FnMut(Token<'_>)>(line: &str, case: &mut WordMapper, emit: &mut F) {
    let mut start = None;
    let mut flags = 0;
    for (i, c) in line.char_indices() {
        if is_token_char(c) {
            start.get_or_insert(i);
            flags |= class::of(line.as_bytes()[i]);
        } else if let Some(s) = start.take() {
            emit(case.apply(Token::at(line.as_bytes(), s, i), flags));
            flags = 0;
        }
    }
    if let Some(s) = start {
        emit(case.apply(Token::at(line.as_bytes(), s, line.len()), flags));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::testing::{assert_boundaries_hold, words_of};
    use crate::tokenize::{Case, Normalize};

    fn mrjob(text: &[u8]) -> Vec<String> {
        words_of(&mut Mrjob::with(WordMapper::new(Case::Lower, Normalize::None)), text)
    }

    #[test]
    fn words_are_runs_of_word_characters_and_apostrophes() {
        assert_eq!(mrjob(b"Don't 'quote' me, x_1 -- 42nd."), ["don't", "'quote'", "me", "x_1", "42nd"]);
        assert_eq!(mrjob("例如CPU、内存".as_bytes()), ["例如cpu", "内存"]);
    }

    #[test]
    fn combining_marks_are_not_word_characters() {
        assert_eq!(mrjob("cafe\u{301} café".as_bytes()), ["cafe", "café"]);
    }

    #[test]
    fn a_line_that_is_not_utf8_is_read_as_latin1() {
        // The valid "é" of the first line reads as "Ã©" there, because of the \xff; the
        // second line is UTF-8 again.
        assert_eq!(mrjob(b"caf\xc3\xa9 \xff\xb5\nCAF\xc3\xa9"), ["caf\u{e3}", "\u{ff}\u{b5}", "café"]);
    }

    #[test]
    fn boundary_contract_holds() {
        assert_boundaries_hold(
            &mut Mrjob::with(WordMapper::new(Case::Lower, Normalize::None)),
            b"a'b c\nd\xffe f\xc3\xa9\ng",
        );
    }
}
