//! Plan 1-1 オンライン申請: receipt numbers (受付番号, issue 3, "Applications and cases").
//!
//! Submitting an application gives the resident a number like `7KQ2-M9XD-M` that they quote on
//! the phone and at the counter. It must be unique, short enough to read aloud, unguessable,
//! and a misheard or mistyped number must be caught rather than lead to someone else's
//! application. This module generates and parses them; it holds no randomness and no storage.
//! The caller draws the bits (`rand::random::<u64>()`) and the database's unique constraint
//! makes the number unique: on a collision, draw again.
//!
//! **Format.** 40 random bits written as 8 Crockford base-32 symbols, then 1 check symbol, shown
//! in groups of 4, 4 and 1: `7KQ2-M9XD-M`. Stored as [`ReceiptNumber::compact`] (`7KQ2M9XDM`).
//!
//! **Why Crockford base 32.** Its alphabet `0123456789ABCDEFGHJKMNPQRSTVWXYZ` drops I, L, O
//! (read as 1, 1, 0, which [`ReceiptNumber::parse`] does) and U (so no accidental English
//! words). It is case-insensitive, every symbol carries exactly 5 bits, and digits and capital
//! letters are what a Japanese keyboard and phone caller handle without thinking (英数字).
//! 40 bits take 8 symbols; in decimal they would take 13 digits.
//!
//! **Why 40 bits.** 2⁴⁰ ≈ 1.1 × 10¹². A city that issues 100,000 receipt numbers a year fills one
//! in 11 million of them. A number alone opens nothing: every lookup (page or API) answers only
//! the applicant's own session or token, the handling department's staff, or a guest whose mail
//! link carries the application's 256-bit key; anyone else gets the same 404 as for a number
//! that does not exist, so guessing numbers tells nothing, not even whether one exists. Staff on
//! the phone also confirm the caller's name and date of birth (as a counter does). Even without
//! those rules, a guesser with 700,000 tries a year (login's throttle rate) would hit *a given*
//! number with probability 700,000 / 2⁴⁰ ≈ 6 × 10⁻⁷ a year. The number's job is to be an unambiguous
//! handle that reveals no volume or order (sequential numbers would), not a password. 40 bits
//! also keep generation collisions rare: with a million numbers stored, a new draw collides with
//! probability 10⁶ / 2⁴⁰ ≈ 10⁻⁶, and the retry costs nothing.
//!
//! **The check symbol.** The 9 symbols d₀…d₈ (values 0–31) are read as elements of GF(32), the
//! field with 32 elements (polynomial x⁵ + x² + 1), and a number is valid when
//! Σ αⁱ·d₈₋ᵢ = 0 with α = x, the Horner form being Damm's quasigroup x∘y = α·x + y. Changing one
//! symbol changes the sum by αⁱ·e ≠ 0, so **every single-symbol error** is caught;
//! swapping two neighbouring different symbols changes it by αⁱ·(α + 1)·(a + b) ≠ 0 because
//! α ≠ 1, so **every adjacent transposition** is caught, the check symbol included; and since
//! α has order 31, transpositions two apart are caught too. Crockford's own check (value mod 37)
//! would do the same but needs five extra symbols (`* ~ $ = U`) that are hard to say on the phone
//! and to type on a Japanese keyboard; this check stays inside the 32 symbols.

use std::fmt;
use std::str::FromStr;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const DATA_SYMBOLS: usize = 8;
const SYMBOLS: usize = DATA_SYMBOLS + 1;
const MASK: u64 = (1 << ReceiptNumber::BITS) - 1;

/// A receipt number. Once constructed it is valid; its check symbol is derived, never stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceiptNumber(u64);

/// Why a typed receipt number was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("empty receipt number")]
    Empty,
    #[error("character {0:?} is not used in receipt numbers")]
    InvalidCharacter(char),
    #[error("receipt number has {0} symbols, not 9")]
    WrongLength(usize),
    #[error("check symbol does not match")]
    CheckMismatch,
}

impl ReceiptError {
    pub fn message_ja(&self) -> String {
        match self {
            ReceiptError::Empty => "受付番号を入力してください（例: 7KQ2-M9XD-M）。".to_owned(),
            ReceiptError::InvalidCharacter(c) => format!(
                "受付番号に使われない文字「{c}」が含まれています。数字と英字で入力してください（例: 7KQ2-M9XD-M）。"
            ),
            ReceiptError::WrongLength(n) => format!(
                "受付番号は英数字9文字です（例: 7KQ2-M9XD-M）。入力された番号は{n}文字です。"
            ),
            ReceiptError::CheckMismatch => {
                "受付番号の確認文字が合いません。番号をもう一度お確かめください。".to_owned()
            }
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            ReceiptError::Empty => "Enter the receipt number (for example 7KQ2-M9XD-M).".to_owned(),
            ReceiptError::InvalidCharacter(c) => format!(
                "The character “{c}” does not occur in receipt numbers. Use digits and letters (for example 7KQ2-M9XD-M)."
            ),
            ReceiptError::WrongLength(n) => format!(
                "A receipt number has 9 letters and digits (for example 7KQ2-M9XD-M); this one has {n}."
            ),
            ReceiptError::CheckMismatch => {
                "The receipt number's check character does not match. Please check the number again."
                    .to_owned()
            }
        }
    }
}

/// Multiplication by α = x in GF(32) with modulus x⁵ + x² + 1.
fn times_alpha(v: u8) -> u8 {
    let v = v << 1;
    if v & 0x20 != 0 { v ^ 0x25 } else { v }
}

/// Σ αⁱ·d₍ₙ₋₁₋ᵢ₎ in Horner form (Damm's x∘y = α·x + y). Zero for a valid number.
fn syndrome(symbols: &[u8]) -> u8 {
    symbols.iter().fold(0, |acc, &d| times_alpha(acc) ^ d)
}

/// Whether 9 symbol values (each 0–31) form a valid number.
fn is_valid(symbols: &[u8; SYMBOLS]) -> bool {
    syndrome(symbols) == 0
}

impl ReceiptNumber {
    /// Random bits a receipt number carries.
    pub const BITS: u32 = 40;

    /// The number for the caller's random draw; only the low 40 bits are used.
    pub fn from_random(bits: u64) -> ReceiptNumber {
        ReceiptNumber(bits & MASK)
    }

    /// The 40-bit value, for storage as an integer if preferred.
    pub fn value(self) -> u64 {
        self.0
    }

    /// The 9 symbol values: 8 data symbols, most significant first, then the check symbol.
    fn symbols(self) -> [u8; SYMBOLS] {
        let mut s = [0u8; SYMBOLS];
        for (i, slot) in s.iter_mut().take(DATA_SYMBOLS).enumerate() {
            // Five bits per symbol; the mask keeps the value below 32.
            *slot = ((self.0 >> (5 * (DATA_SYMBOLS - 1 - i))) & 0x1f) as u8;
        }
        // α·(syndrome of the data) + c = 0, and −y = y in characteristic 2.
        s[DATA_SYMBOLS] = times_alpha(syndrome(&s[..DATA_SYMBOLS]));
        s
    }

    /// The 9 symbols without separators, e.g. `7KQ2M9XDM`: the form to store and index.
    pub fn compact(self) -> String {
        self.symbols()
            .iter()
            .map(|&v| char::from(ALPHABET[usize::from(v)]))
            .collect()
    }

    /// Reads a number as a person typed or said it: case, spaces and hyphens anywhere,
    /// full-width characters, O for 0 and I or L for 1 are all forgiven. The check symbol
    /// must match.
    pub fn parse(input: &str) -> Result<ReceiptNumber, ReceiptError> {
        let mut symbols: Vec<u8> = Vec::with_capacity(SYMBOLS);
        for raw in input.chars() {
            let c = fold_width(raw);
            if is_separator(c) {
                continue;
            }
            let v = symbol_value(c).ok_or(ReceiptError::InvalidCharacter(raw))?;
            symbols.push(v);
        }
        let symbols: [u8; SYMBOLS] = match symbols.len() {
            0 => return Err(ReceiptError::Empty),
            SYMBOLS => {
                let mut a = [0u8; SYMBOLS];
                a.copy_from_slice(&symbols);
                a
            }
            n => return Err(ReceiptError::WrongLength(n)),
        };
        if !is_valid(&symbols) {
            return Err(ReceiptError::CheckMismatch);
        }
        let value = symbols[..DATA_SYMBOLS]
            .iter()
            .fold(0u64, |acc, &v| (acc << 5) | u64::from(v));
        Ok(ReceiptNumber(value))
    }
}

/// Full-width ASCII (Ａ, ７, －, the ideographic space) to its half-width form.
fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// What people put between groups: spaces, and every dash a Japanese IME offers, including the
/// katakana prolonged sound mark ー that often stands in for a hyphen.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30FC}' | '\u{FF70}' | '_' | '.'
        )
}

fn symbol_value(c: char) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        c => c,
    };
    let pos = ALPHABET.iter().position(|&a| char::from(a) == c)?;
    u8::try_from(pos).ok()
}

impl fmt::Display for ReceiptNumber {
    /// Grouped for reading aloud: `7KQ2-M9XD-M`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.compact();
        write!(f, "{}-{}-{}", &s[0..4], &s[4..8], &s[8..9])
    }
}

impl FromStr for ReceiptNumber {
    type Err = ReceiptError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReceiptNumber::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// splitmix64: a fixed, seeded sequence so the brute-force tests are reproducible.
    fn numbers(count: usize) -> impl Iterator<Item = ReceiptNumber> {
        let mut state: u64 = 0x0123_4567_89ab_cdef;
        std::iter::repeat_with(move || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ReceiptNumber::from_random(z ^ (z >> 31))
        })
        .take(count)
    }

    fn text(symbols: &[u8; SYMBOLS]) -> String {
        symbols
            .iter()
            .map(|&v| char::from(ALPHABET[usize::from(v)]))
            .collect()
    }

    #[test]
    fn the_documented_example_is_a_real_number() {
        let n = ReceiptNumber::parse("7KQ2-M9XD-M").map(|n| n.to_string());
        assert_eq!(n.as_deref(), Ok("7KQ2-M9XD-M"));
    }

    #[test]
    fn known_values() {
        assert_eq!(ReceiptNumber::from_random(0).to_string(), "0000-0000-0");
        assert_eq!(ReceiptNumber::from_random(1 << 40), ReceiptNumber(0));
        let top = ReceiptNumber::from_random(u64::MAX);
        assert_eq!(top.value(), (1 << 40) - 1);
        assert!(top.to_string().starts_with("ZZZZ-ZZZZ-"));
        let n = ReceiptNumber::from_random(0x12_3456_789a);
        assert_eq!(n.to_string().len(), 11);
        assert_eq!(n.compact(), n.to_string().replace('-', ""));
    }

    #[test]
    fn every_single_symbol_error_is_caught() {
        let mut tried = 0u64;
        for n in numbers(20_000) {
            let good = n.symbols();
            assert!(is_valid(&good));
            for pos in 0..SYMBOLS {
                for v in 0..32u8 {
                    if v == good[pos] {
                        continue;
                    }
                    let mut bad = good;
                    bad[pos] = v;
                    tried += 1;
                    assert!(!is_valid(&bad), "{} → {}", text(&good), text(&bad));
                }
            }
        }
        assert_eq!(tried, 20_000 * 9 * 31);
    }

    #[test]
    fn every_transposition_of_neighbours_or_symbols_two_apart_is_caught() {
        let mut tried = 0u64;
        for n in numbers(20_000) {
            let good = n.symbols();
            for gap in [1, 2] {
                for pos in 0..SYMBOLS - gap {
                    if good[pos] == good[pos + gap] {
                        continue;
                    }
                    let mut bad = good;
                    bad.swap(pos, pos + gap);
                    tried += 1;
                    assert!(!is_valid(&bad), "{} → {}", text(&good), text(&bad));
                }
            }
        }
        assert!(tried > 20_000 * 14);
    }

    #[test]
    fn errors_through_parse_say_the_check_does_not_match() {
        for n in numbers(500) {
            let good = n.compact();
            for (pos, c) in good.char_indices() {
                for other in ALPHABET.iter().map(|&a| char::from(a)).filter(|&o| o != c) {
                    let mut bad = good.clone();
                    bad.replace_range(pos..pos + 1, other.encode_utf8(&mut [0; 4]));
                    assert_eq!(
                        ReceiptNumber::parse(&bad),
                        Err(ReceiptError::CheckMismatch),
                        "{bad}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_random_string_passes_the_check_about_once_in_32() {
        // The other side of the coin: the check costs one symbol and catches 31 of 32 garbles.
        let passed = numbers(32_000)
            .filter(|n| {
                let mut s = n.symbols();
                s[SYMBOLS - 1] = (n.value() >> 7) as u8 & 0x1f;
                is_valid(&s)
            })
            .count();
        assert!((800..1200).contains(&passed), "{passed}");
    }

    #[test]
    fn parse_forgives_how_people_type() {
        let n = numbers(1).next().map(|n| n.to_string()).unwrap_or_default();
        let want = ReceiptNumber::parse(&n).expect("its own display");
        let full_width: String = n
            .chars()
            .map(|c| char::from_u32(u32::from(c) + 0xFEE0).unwrap_or(c))
            .collect();
        let compact = n.replace('-', "");
        let variants = [
            n.to_lowercase(),
            compact.clone(),
            format!("  {}  ", n.replace('-', " ")),
            n.replace('-', "ー"),
            n.replace('-', "\u{2212}"),
            full_width.clone(),
            full_width.to_lowercase().replace('－', "\u{3000}"),
            compact.chars().flat_map(|c| [c, ' ']).collect(),
            format!("{}-{}", &compact[..3], &compact[3..]),
        ];
        for v in variants {
            assert_eq!(ReceiptNumber::parse(&v), Ok(want), "{v:?}");
        }
        // O, I and L read as 0, 1 and 1.
        let zeros = ReceiptNumber::from_random(0);
        assert_eq!(ReceiptNumber::parse("oooo-OOOO-o"), Ok(zeros));
        let ones = ReceiptNumber::from_random(0x08_4210_8421); // every data symbol is 1
        let shown = ones.to_string();
        assert!(shown.starts_with("1111-1111-"), "{shown}");
        let check = &shown[10..];
        assert_eq!(
            ReceiptNumber::parse(&format!("IiLl lIiL {check}")),
            Ok(ones)
        );
        assert_eq!("0000-0000-0".parse::<ReceiptNumber>(), Ok(zeros));
    }

    #[test]
    fn parse_refuses_what_is_not_a_number() {
        use ReceiptError::*;
        let cases: &[(&str, ReceiptError)] = &[
            ("", Empty),
            ("  - ー ", Empty),
            ("0000-0000", WrongLength(8)),
            ("0000-0000-00", WrongLength(10)),
            ("0000-000U-0", InvalidCharacter('U')),
            ("0000-000u-0", InvalidCharacter('u')),
            ("0000-0000-*", InvalidCharacter('*')),
            ("受付0000-0000-0", InvalidCharacter('受')),
            ("0000-0000-1", CheckMismatch),
            ("1000-0000-0", CheckMismatch),
        ];
        for (input, want) in cases {
            assert_eq!(ReceiptNumber::parse(input).as_ref(), Err(want), "{input:?}");
        }
    }

    #[test]
    fn error_messages_are_plain_sentences() {
        let errors = [
            ReceiptError::Empty,
            ReceiptError::InvalidCharacter('U'),
            ReceiptError::WrongLength(8),
            ReceiptError::CheckMismatch,
        ];
        for e in errors {
            assert!(e.message_ja().ends_with('。'), "{}", e.message_ja());
            assert!(e.message_en().ends_with('.'), "{}", e.message_en());
        }
        assert_eq!(
            ReceiptError::CheckMismatch.message_ja(),
            "受付番号の確認文字が合いません。番号をもう一度お確かめください。"
        );
    }

    proptest! {
        #[test]
        fn display_and_compact_round_trip(bits in any::<u64>()) {
            let n = ReceiptNumber::from_random(bits);
            prop_assert_eq!(n.value(), bits & MASK);
            let shown = n.to_string();
            prop_assert_eq!(shown.len(), 11);
            prop_assert!(shown.chars().all(|c| c == '-' || ALPHABET.contains(&(c as u8))));
            prop_assert_eq!(ReceiptNumber::parse(&shown), Ok(n));
            prop_assert_eq!(ReceiptNumber::parse(&n.compact()), Ok(n));
            prop_assert_eq!(ReceiptNumber::parse(&shown.to_lowercase()), Ok(n));
        }

        #[test]
        fn parse_never_panics_and_accepts_only_valid_numbers(s in "\\PC{0,16}") {
            if let Ok(n) = ReceiptNumber::parse(&s) {
                prop_assert!(is_valid(&n.symbols()));
            }
        }
    }
}
