//! 全銀 characters: conversion of what a resident types into 全銀 half-width kana, the
//! character classes of the C fields, and JIS X 0201 bytes.
//!
//! A 全銀 text value in this crate is a Rust `String` of half-width characters: digits, `A`–`Z`,
//! a few ASCII signs and half-width katakana U+FF61–U+FF9F. Each of them is one byte in the file
//! (JIS X 0201 8-bit, which is also the single-byte range of Shift_JIS / CP932): ASCII stays as
//! it is, U+FF61–U+FF9F become 0xA1–0xDF. So a value's length in bytes is its length in
//! characters, and voiced kana take two (`ｶﾞ` = `B6 DE`).
//!
//! Character classes (JBA 付録1 as read by zengin4j, see the crate docs):
//!
//! | class | allowed |
//! |---|---|
//! | [`CharClass::Base`] | `0-9`, space, `ｱ`–`ﾝ`, `ﾞ`, `ﾟ` |
//! | [`CharClass::Name`] (預金者名, 委託者名) | base + `A`–`Z` + `(` `)` `-` `.` |
//! | [`CharClass::ExtendedName`] (per bank) | name + `/` `｢` `｣` `\` `ｦ` |
//! | [`CharClass::BankName`] (銀行名, 支店名) | base + `A`–`Z` + `-` |
//!
//! Never allowed: small kana `ｧ`–`ｯ` (write the large kana), `ｰ` (write `-`), lowercase,
//! comma, `｡`, `､`, `･`, anything double-byte.

use std::fmt;

/// The set of characters a C field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CharClass {
    /// Every C field: `0-9`, space, `ｱ`–`ﾝ`, `ﾞ`, `ﾟ`.
    Base,
    /// Party names (預金者名, 委託者名): base + `A`–`Z` + `(` `)` `-` `.`. The strict default.
    #[default]
    Name,
    /// Names at banks whose spec admits more: name + `/` `｢` `｣` `\` `ｦ`.
    ExtendedName,
    /// Bank and branch names: base + `A`–`Z` + `-`.
    BankName,
}

impl CharClass {
    /// Whether the JIS X 0201 byte `b` is allowed in this class.
    pub const fn allows_byte(self, b: u8) -> bool {
        let base = matches!(b, b'0'..=b'9' | b' ' | 0xB1..=0xDF);
        match self {
            Self::Base => base,
            Self::Name => base || matches!(b, b'A'..=b'Z' | b'(' | b')' | b'-' | b'.'),
            Self::ExtendedName => {
                base || matches!(
                    b,
                    b'A'..=b'Z' | b'(' | b')' | b'-' | b'.' | b'/' | 0xA2 | 0xA3 | 0x5C | 0xA6
                )
            }
            Self::BankName => base || matches!(b, b'A'..=b'Z' | b'-'),
        }
    }

    /// Whether the (already half-width) character `c` is allowed in this class.
    pub fn allows(self, c: char) -> bool {
        encode_char(c).is_some_and(|b| self.allows_byte(b))
    }
}

/// Whether `c` may stand in a 預金者名 under the strict default ([`CharClass::Name`]).
///
/// `c` must already be 全銀 half-width: `is_allowed('ｱ')` is true, `is_allowed('ア')` is false
/// (convert first with [`to_zengin`]).
pub fn is_allowed(c: char) -> bool {
    CharClass::Name.allows(c)
}

/// A character that cannot be converted to an allowed 全銀 character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadChar {
    /// The character as the input had it.
    pub ch: char,
    /// Its position in the input, 1-based, counted in characters (as a resident counts).
    pub position: usize,
}

impl BadChar {
    /// A message for the resident, e.g. `3文字目の「ヲ」は使えません。`.
    pub fn message_ja(&self) -> String {
        let shown = if self.ch.is_whitespace() || self.ch.is_control() {
            format!("U+{:04X}", u32::from(self.ch))
        } else {
            self.ch.to_string()
        };
        format!("{}文字目の「{shown}」は使えません。", self.position)
    }
}

impl fmt::Display for BadChar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "character {} '{}' (U+{:04X}) is not allowed",
            self.position,
            self.ch,
            u32::from(self.ch)
        )
    }
}

impl std::error::Error for BadChar {}

/// A byte that is not a JIS X 0201 character (see [`decode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadByte {
    /// The byte.
    pub byte: u8,
    /// Its offset in the input, 0-based.
    pub offset: usize,
}

impl fmt::Display for BadByte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "byte 0x{:02X} at offset {} is not JIS X 0201",
            self.byte, self.offset
        )
    }
}

impl std::error::Error for BadByte {}

/// Half-width forms of the full-width katakana U+30A1 (ァ) … U+30FA (ヺ), small kana already
/// made large, voiced kana split into base + `ﾞ`/`ﾟ`. ヰ/ヱ become ｲ/ｴ (JIS X 0201 has neither).
const KATAKANA: [&str; 90] = [
    "ｱ", "ｱ", "ｲ", "ｲ", "ｳ", "ｳ", "ｴ", "ｴ", "ｵ", "ｵ", // ァアィイゥウェエォオ
    "ｶ", "ｶﾞ", "ｷ", "ｷﾞ", "ｸ", "ｸﾞ", "ｹ", "ｹﾞ", "ｺ", "ｺﾞ", // カガキギクグケゲコゴ
    "ｻ", "ｻﾞ", "ｼ", "ｼﾞ", "ｽ", "ｽﾞ", "ｾ", "ｾﾞ", "ｿ", "ｿﾞ", // サザシジスズセゼソゾ
    "ﾀ", "ﾀﾞ", "ﾁ", "ﾁﾞ", "ﾂ", "ﾂ", "ﾂﾞ", "ﾃ", "ﾃﾞ", "ﾄ",
    "ﾄﾞ", // タダチヂッツヅテデトド
    "ﾅ", "ﾆ", "ﾇ", "ﾈ", "ﾉ", // ナニヌネノ
    "ﾊ", "ﾊﾞ", "ﾊﾟ", "ﾋ", "ﾋﾞ", "ﾋﾟ", "ﾌ", "ﾌﾞ", "ﾌﾟ", // ハバパヒビピフブプ
    "ﾍ", "ﾍﾞ", "ﾍﾟ", "ﾎ", "ﾎﾞ", "ﾎﾟ", // ヘベペホボポ
    "ﾏ", "ﾐ", "ﾑ", "ﾒ", "ﾓ", // マミムメモ
    "ﾔ", "ﾔ", "ﾕ", "ﾕ", "ﾖ", "ﾖ", // ャヤュユョヨ
    "ﾗ", "ﾘ", "ﾙ", "ﾚ", "ﾛ", // ラリルレロ
    "ﾜ", "ﾜ", "ｲ", "ｴ", "ｦ", "ﾝ", // ヮワヰヱヲン
    "ｳﾞ", "ｶ", "ｹ", // ヴヵヶ
    "ﾜﾞ", "ｲﾞ", "ｴﾞ", "ｦﾞ", // ヷヸヹヺ
];

/// Push the 全銀 form of `c` (one or two half-width characters) or return false when there is
/// none.
fn transliterate(c: char, out: &mut String) -> bool {
    let u = u32::from(c);
    match c {
        // Hiragana ぁ..ゖ → katakana, then the table.
        '\u{3041}'..='\u{3096}' => {
            out.push_str(KATAKANA[(u - 0x3041) as usize]);
        }
        '\u{30A1}'..='\u{30FA}' => out.push_str(KATAKANA[(u - 0x30A1) as usize]),
        // Voiced / semi-voiced marks: combining and spacing forms.
        '\u{3099}' | '\u{309B}' => out.push('ﾞ'),
        '\u{309A}' | '\u{309C}' => out.push('ﾟ'),
        // Long vowel marks and dashes → hyphen-minus.
        'ー' | 'ｰ' | '‐' | '‑' | '–' | '—' | '―' | '−' => out.push('-'),
        '\u{3000}' => out.push(' '),
        '「' => out.push('｢'),
        '」' => out.push('｣'),
        '・' => out.push('･'),
        '￥' | '¥' => out.push('\\'),
        // Full-width ASCII → ASCII, upper-cased.
        '\u{FF01}'..='\u{FF5E}' => {
            let a = (u - 0xFF01 + 0x21) as u8;
            out.push(char::from(a.to_ascii_uppercase()));
        }
        // Half-width small kana → large, half-width long vowel → hyphen.
        'ｧ' => out.push('ｱ'),
        'ｨ' => out.push('ｲ'),
        'ｩ' => out.push('ｳ'),
        'ｪ' => out.push('ｴ'),
        'ｫ' => out.push('ｵ'),
        'ｬ' => out.push('ﾔ'),
        'ｭ' => out.push('ﾕ'),
        'ｮ' => out.push('ﾖ'),
        'ｯ' => out.push('ﾂ'),
        '\u{FF61}'..='\u{FF9F}' => out.push(c),
        ' '..='~' => out.push(c.to_ascii_uppercase()),
        _ => return false,
    }
    true
}

/// Convert what a resident typed into a 全銀 預金者名 (strict [`CharClass::Name`]).
///
/// Full-width and half-width katakana, hiragana, full-width letters, digits and space are
/// converted: small kana become large (`キュウ` → `ｷﾕｳ`), `ー` becomes `-`, voiced kana are split
/// into base + `ﾞ`/`ﾟ` (`ダ` → `ﾀﾞ`), lowercase becomes uppercase. Any character that has no
/// allowed 全銀 form is refused and named; nothing is dropped silently.
///
/// ```
/// assert_eq!(zengin::kana::to_zengin("やまだ　たろう").unwrap(), "ﾔﾏﾀﾞ ﾀﾛｳ");
/// let bad = zengin::kana::to_zengin("ヤマダ花子").unwrap_err();
/// assert_eq!((bad.ch, bad.position), ('花', 4));
/// ```
pub fn to_zengin(input: &str) -> Result<String, BadChar> {
    to_zengin_in(input, CharClass::Name)
}

/// [`to_zengin`] for a given character class (e.g. [`CharClass::BankName`] for a branch name
/// taken from the zengin-code `kana` field).
pub fn to_zengin_in(input: &str, class: CharClass) -> Result<String, BadChar> {
    let mut out = String::with_capacity(input.len());
    for (i, c) in input.chars().enumerate() {
        let bad = BadChar {
            ch: c,
            position: i + 1,
        };
        let start = out.len();
        if !transliterate(c, &mut out) {
            return Err(bad);
        }
        if !out[start..].chars().all(|h| class.allows(h)) {
            return Err(bad);
        }
    }
    Ok(out)
}

/// The JIS X 0201 byte of a half-width character, if it has one: ASCII 0x20–0x7E as itself
/// (`¥` also as 0x5C), U+FF61–U+FF9F as 0xA1–0xDF.
pub fn encode_char(c: char) -> Option<u8> {
    let u = u32::from(c);
    match u {
        0x20..=0x7E => Some(u as u8),
        0xA5 => Some(0x5C),
        0xFF61..=0xFF9F => Some((u - 0xFF61 + 0xA1) as u8),
        _ => None,
    }
}

/// The character of a JIS X 0201 byte: 0x20–0x7E as ASCII (0x5C as `\`, as Shift_JIS decoders
/// do), 0xA1–0xDF as U+FF61–U+FF9F; `None` for any other byte.
pub fn decode_byte(b: u8) -> Option<char> {
    match b {
        0x20..=0x7E => Some(char::from(b)),
        0xA1..=0xDF => char::from_u32(0xFF61 + u32::from(b) - 0xA1),
        _ => None,
    }
}

/// Encode a 全銀 string as JIS X 0201 bytes (one byte per character). Refuses any character
/// without a single-byte form; the position is 1-based in characters.
pub fn encode(s: &str) -> Result<Vec<u8>, BadChar> {
    let mut out = Vec::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        out.push(encode_char(c).ok_or(BadChar {
            ch: c,
            position: i + 1,
        })?);
    }
    Ok(out)
}

/// Decode JIS X 0201 bytes (0x20–0x7E, 0xA1–0xDF).
pub fn decode(bytes: &[u8]) -> Result<String, BadByte> {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (offset, &byte) in bytes.iter().enumerate() {
        out.push(decode_byte(byte).ok_or(BadByte { byte, offset })?);
    }
    Ok(out)
}

/// Length of a 全銀 string in bytes of the file (its number of characters).
pub fn byte_len(s: &str) -> usize {
    s.chars().count()
}

/// The longest prefix of a 全銀 string that fits `max_bytes` without separating a kana from
/// its `ﾞ`/`ﾟ` (`truncate("ｶﾞｷﾞ", 3)` is `"ｶﾞ"`).
pub fn truncate(s: &str, max_bytes: usize) -> &str {
    let mut cut = s.len();
    for (n, (i, _)) in s.char_indices().enumerate() {
        if n == max_bytes {
            cut = i;
            break;
        }
    }
    if cut == s.len() {
        return s;
    }
    let head = &s[..cut];
    if s[cut..].starts_with(['ﾞ', 'ﾟ']) {
        // The next character is a mark of the last one kept: drop that one too.
        match head.char_indices().next_back() {
            Some((i, _)) => &s[..i],
            None => head,
        }
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_covers_every_katakana() {
        // Spot checks at both ends of the table and at each row start keep it aligned.
        let cases = [
            ('ァ', "ｱ"),
            ('カ', "ｶ"),
            ('ガ', "ｶﾞ"),
            ('ッ', "ﾂ"),
            ('ヅ', "ﾂﾞ"),
            ('ナ', "ﾅ"),
            ('パ', "ﾊﾟ"),
            ('ポ', "ﾎﾟ"),
            ('マ', "ﾏ"),
            ('ョ', "ﾖ"),
            ('ロ', "ﾛ"),
            ('ン', "ﾝ"),
            ('ヴ', "ｳﾞ"),
            ('ヶ', "ｹ"),
            ('ヺ', "ｦﾞ"),
        ];
        for (c, want) in cases {
            let mut s = String::new();
            assert!(transliterate(c, &mut s));
            assert_eq!(s, want, "{c}");
        }
    }

    #[test]
    fn truncate_keeps_voiced_pairs() {
        assert_eq!(truncate("ｶﾞｷﾞ", 3), "ｶﾞ");
        assert_eq!(truncate("ｶﾞｷﾞ", 4), "ｶﾞｷﾞ");
        assert_eq!(truncate("ｶﾞｷﾞ", 1), "");
        assert_eq!(truncate("ABC", 2), "AB");
        assert_eq!(truncate("ABC", 9), "ABC");
    }
}
