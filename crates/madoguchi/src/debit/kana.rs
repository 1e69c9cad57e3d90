//! The account holder's name as the resident types it (full-width katakana or hiragana) →
//! 全銀 half-width kana, through the `zengin` crate's `kana::to_zengin` (small kana to large,
//! ー to `-`, voiced marks split). A refused character is named in the message.

use crate::web::i18n::Lang;

/// 預金者名 is 30 bytes in the 種別91 data record.
pub const HOLDER_MAX_BYTES: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HolderError {
    Empty,
    /// The character and its 1-based position.
    BadChar(char, usize),
    /// Bytes after conversion.
    TooLong(usize),
}

impl HolderError {
    pub fn key(&self) -> &'static str {
        match self {
            HolderError::Empty => "debit.err_holder_required",
            HolderError::BadChar(..) => "debit.err_holder_char",
            HolderError::TooLong(_) => "debit.err_holder_long",
        }
    }

    /// The message, naming the refused character.
    pub fn message(&self, l: Lang) -> String {
        match self {
            HolderError::BadChar(ch, pos) => {
                let shown = if ch.is_whitespace() || ch.is_control() {
                    format!("U+{:04X}", u32::from(*ch))
                } else {
                    ch.to_string()
                };
                l.t(self.key())
                    .replace("{pos}", &pos.to_string())
                    .replace("{ch}", &shown)
            }
            HolderError::TooLong(n) => l.t(self.key()).replace("{n}", &n.to_string()),
            HolderError::Empty => l.t(self.key()).to_owned(),
        }
    }
}

/// Converts and checks a holder name: spaces at the ends dropped and runs of spaces made one.
pub fn holder_name(input: &str) -> Result<String, HolderError> {
    let trimmed = input
        .split([' ', '\u{3000}'])
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if trimmed.is_empty() {
        return Err(HolderError::Empty);
    }
    // Positions are reported in the resident's own input.
    let h = zengin::kana::to_zengin(&trimmed).map_err(|b| {
        let pos = input
            .chars()
            .position(|c| c == b.ch)
            .map_or(b.position, |p| p + 1);
        HolderError::BadChar(b.ch, pos)
    })?;
    let n = zengin::kana::byte_len(&h);
    if n > HOLDER_MAX_BYTES {
        return Err(HolderError::TooLong(n));
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_and_names_refused_characters() {
        assert_eq!(holder_name("ヤマダ　タロウ").as_deref(), Ok("ﾔﾏﾀﾞ ﾀﾛｳ"));
        assert_eq!(holder_name(" すずき  しょうた ").as_deref(), Ok("ｽｽﾞｷ ｼﾖｳﾀ"));
        assert_eq!(
            holder_name("ミヤモト　ミューラー").as_deref(),
            Ok("ﾐﾔﾓﾄ ﾐﾕ-ﾗ-")
        );
        assert_eq!(holder_name("山田"), Err(HolderError::BadChar('山', 1)));
        assert_eq!(
            holder_name("ヤマダ、タロウ"),
            Err(HolderError::BadChar('、', 4))
        );
        assert_eq!(holder_name("　"), Err(HolderError::Empty));
        let long = "ガ".repeat(16);
        assert_eq!(holder_name(&long), Err(HolderError::TooLong(32)));
        let m = HolderError::BadChar('山', 1).message(Lang::Ja);
        assert!(m.contains("「山」") && m.contains('1'), "{m}");
    }
}
