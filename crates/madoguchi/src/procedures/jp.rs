//! Plan 1-1 オンライン申請, issue 3 "Forms": the Japanese field types residents meet on paper.
//!
//! Each rule is a pure function over plain types (no I/O, no clock): 和暦 dates
//! ([`parse_wareki`], [`format_wareki`]), フリガナ ([`normalize_furigana`]), 郵便番号
//! ([`PostalCode`]), telephone numbers ([`PhoneNumber`]) and yen amounts ([`Yen`]). Parsing
//! forgives what people actually type (full-width digits, half-width kana, the many dashes);
//! once a value is constructed it is valid. Every error says, in Japanese and in English
//! ([`FieldMessage`]), what is wrong and how to fix it, in words an elderly resident can follow.
//!
//! Width folding and the kana shift are the ones catalogue search uses (`super::search`), so a
//! form and a search read `１`, `ｶﾞ` and `－` the same way.

use std::fmt;

use time::{Date, Month, macros::date};

use super::search::{fold_width, hiragana_to_katakana, is_dash};

/// The two sentences every field error offers: Japanese for residents, English for the English
/// pages. Both name what is wrong and how to fix it.
pub trait FieldMessage {
    fn message_ja(&self) -> String;
    fn message_en(&self) -> String;
}

/// `Display` (for logs and `?`) is the English message; each error is a `std::error::Error`.
macro_rules! english_display {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.message_en())
            }
        }

        impl std::error::Error for $t {}
    };
}

/// Quotes at most a few dozen characters of what was typed back to the resident.
fn echo(input: &str) -> String {
    const MAX: usize = 30;
    let t = input.trim();
    if t.chars().count() <= MAX {
        t.to_string()
    } else {
        t.chars().take(MAX).chain(['…']).collect()
    }
}

/// A dash typed between digits: any hyphen or dash, and ー, which a Japanese input method
/// produces when the resident presses the minus key in kana mode.
fn is_digit_dash(c: char) -> bool {
    is_dash(c) || c == 'ー'
}

// ───────────────────────────── 和暦 ─────────────────────────────

/// A Japanese era (元号) since the Meiji restoration.
///
/// Years of 明治 are counted on the proleptic Gregorian calendar from 1868-01-25 (明治元年
/// 1月1日 of the old calendar). Japan itself kept the lunisolar calendar until 明治5年12月2日
/// (1872-12-31), so old-calendar dates of 明治1–5年 must be converted before entry; no resident
/// form needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Era {
    Meiji,
    Taisho,
    Showa,
    Heisei,
    Reiwa,
}

impl Era {
    pub const ALL: [Era; 5] = [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

    /// The first day of the era.
    pub const fn start(self) -> Date {
        match self {
            Era::Meiji => date!(1868 - 01 - 25),
            Era::Taisho => date!(1912 - 07 - 30),
            Era::Showa => date!(1926 - 12 - 25),
            Era::Heisei => date!(1989 - 01 - 08),
            Era::Reiwa => date!(2019 - 05 - 01),
        }
    }

    pub const fn name_ja(self) -> &'static str {
        match self {
            Era::Meiji => "明治",
            Era::Taisho => "大正",
            Era::Showa => "昭和",
            Era::Heisei => "平成",
            Era::Reiwa => "令和",
        }
    }

    pub const fn name_en(self) -> &'static str {
        match self {
            Era::Meiji => "Meiji",
            Era::Taisho => "Taisho",
            Era::Showa => "Showa",
            Era::Heisei => "Heisei",
            Era::Reiwa => "Reiwa",
        }
    }

    /// The letter used in short forms such as `R6.9.1`.
    pub const fn letter(self) -> char {
        match self {
            Era::Meiji => 'M',
            Era::Taisho => 'T',
            Era::Showa => 'S',
            Era::Heisei => 'H',
            Era::Reiwa => 'R',
        }
    }

    /// The era a date falls in and its year within the era (1 = 元年); `None` before 明治.
    pub fn of(date: Date) -> Option<(Era, i32)> {
        Era::ALL
            .iter()
            .rev()
            .find(|e| e.start() <= date)
            .map(|&e| (e, date.year() - e.start().year() + 1))
    }
}

fn era_year_ja(year: i32) -> String {
    if year == 1 {
        "元".to_string()
    } else {
        year.to_string()
    }
}

/// `令和6年9月1日`, with 元年 for the first year of an era. Dates before 明治 (which no
/// [`parse_wareki`] result can be) are written in the Western calendar, `1867年1月1日`.
pub fn format_wareki(date: Date) -> String {
    let (m, d) = (u8::from(date.month()), date.day());
    match Era::of(date) {
        Some((era, y)) => format!("{}{}年{m}月{d}日", era.name_ja(), era_year_ja(y)),
        None => format!("{}年{m}月{d}日", date.year()),
    }
}

/// The English form: `1 September 2024 (Reiwa 6)`.
pub fn format_wareki_en(date: Date) -> String {
    let western = format!("{} {} {}", date.day(), date.month(), date.year());
    match Era::of(date) {
        Some((era, y)) => format!("{western} ({} {y})", era.name_en()),
        None => western,
    }
}

/// A date as the resident typed it, before it was checked; errors quote it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypedDate {
    pub era: Option<Era>,
    pub year: u32,
    pub month: u32,
    pub day: u32,
}

impl TypedDate {
    fn ja(&self) -> String {
        match self.era {
            Some(e) => format!(
                "{}{}年{}月{}日",
                e.name_ja(),
                era_year_ja(self.year as i32),
                self.month,
                self.day
            ),
            None => format!("{}年{}月{}日", self.year, self.month, self.day),
        }
    }

    fn en(&self) -> String {
        let year = match self.era {
            Some(e) => format!("{} {}", e.name_en(), self.year),
            None => self.year.to_string(),
        };
        format!("day {} of month {} in {year}", self.day, self.month)
    }
}

/// Why a date could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarekiError {
    Empty,
    /// Not in any form we read.
    Unrecognized {
        input: String,
    },
    /// A year of two or three digits and no era: 令和 or 平成 or a four-digit year is missing.
    MissingEra {
        input: String,
    },
    /// `令和0年`.
    YearZero {
        era: Era,
    },
    /// The month or day does not exist (`2月30日`, `13月`).
    NoSuchDate {
        typed: TypedDate,
    },
    /// The day exists but not in the era named: `平成31年5月1日` is 令和元年5月1日.
    WrongEra {
        typed: TypedDate,
        actual: Date,
    },
    /// Before 明治元年 (1868-01-25).
    BeforeMeiji {
        typed: TypedDate,
    },
    /// Past the year 9999.
    TooFarAhead {
        typed: TypedDate,
    },
}

const DATE_EXAMPLE_JA: &str = "「令和6年9月1日」や「2024年9月1日」のように入力してください。";
const DATE_EXAMPLE_EN: &str = "Please write it like \"Reiwa 6.9.1\" or \"2024-09-01\".";

impl FieldMessage for WarekiError {
    fn message_ja(&self) -> String {
        match self {
            Self::Empty => format!("日付が入力されていません。{DATE_EXAMPLE_JA}"),
            Self::Unrecognized { input } => {
                format!(
                    "「{}」は日付として読み取れません。{DATE_EXAMPLE_JA}",
                    echo(input)
                )
            }
            Self::MissingEra { input } => format!(
                "「{}」は年号がないため、いつの年か分かりません。年号（令和・平成・昭和など）を付けるか、西暦を4桁で入力してください。{DATE_EXAMPLE_JA}",
                echo(input)
            ),
            Self::YearZero { era } => format!(
                "{}0年という年はありません。最初の年は「{}元年」（1年）です。",
                era.name_ja(),
                era.name_ja()
            ),
            Self::NoSuchDate { typed } => format!(
                "{}という日はありません。月と日を確かめてください。",
                typed.ja()
            ),
            Self::WrongEra { typed, actual } => {
                let era = Era::of(*actual).map_or("西暦", |(e, _)| e.name_ja());
                format!(
                    "{}は{}です。{era}で入力してください。",
                    typed.ja(),
                    format_wareki(*actual)
                )
            }
            Self::BeforeMeiji { typed } => format!(
                "{}は明治より前の日付のため入力できません。明治元年1月25日（1868年1月25日）以降の日付を入力してください。",
                typed.ja()
            ),
            Self::TooFarAhead { typed } => {
                format!("{}は先すぎる日付です。年を確かめてください。", typed.ja())
            }
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::Empty => format!("No date was entered. {DATE_EXAMPLE_EN}"),
            Self::Unrecognized { input } => {
                format!(
                    "\"{}\" cannot be read as a date. {DATE_EXAMPLE_EN}",
                    echo(input)
                )
            }
            Self::MissingEra { input } => format!(
                "\"{}\" has no era name, so the year is unclear. Add the era (Reiwa, Heisei, Showa …) or write the year with four digits. {DATE_EXAMPLE_EN}",
                echo(input)
            ),
            Self::YearZero { era } => format!(
                "There is no year 0 of {}. Its first year is written {} 1 (元年).",
                era.name_en(),
                era.name_en()
            ),
            Self::NoSuchDate { typed } => format!(
                "There is no {}. Please check the month and the day.",
                typed.en()
            ),
            Self::WrongEra { typed, actual } => {
                let era = Era::of(*actual).map_or("Western", |(e, _)| e.name_en());
                format!(
                    "There is no {}: that day is {}. Please enter it in the {era} era.",
                    typed.en(),
                    format_wareki_en(*actual)
                )
            }
            Self::BeforeMeiji { typed } => format!(
                "{} is before the Meiji era and cannot be entered. Please enter a date from 25 January 1868 on.",
                typed.en()
            ),
            Self::TooFarAhead { typed } => format!(
                "{} is too far in the future. Please check the year.",
                typed.en()
            ),
        }
    }
}

english_display!(WarekiError);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    /// A number and how many digits it was written with.
    Num(u32, usize),
    /// 元 (the first year of an era).
    Gan,
    Sep(char),
}

/// Splits `6年9月1日` or `06/09/01` into tokens; `None` for anything else.
fn tokens(s: &str) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(mut n) = c.to_digit(10) {
            let mut len = 1;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                chars.next();
                len += 1;
                if len > 6 {
                    return None;
                }
                n = n * 10 + d;
            }
            out.push(Tok::Num(n, len));
        } else if c == '元' {
            out.push(Tok::Gan);
        } else if matches!(c, '年' | '月' | '日' | '.' | '/') || is_digit_dash(c) {
            out.push(Tok::Sep(if is_digit_dash(c) { '-' } else { c }));
        } else {
            return None;
        }
    }
    Some(out)
}

/// The year token, month and day of `Y年M月D日` (日 may be left off) or `Y.M.D` with one of
/// `.`, `/`, `-` used for both separators.
fn year_month_day(toks: &[Tok]) -> Option<(Tok, u32, u32)> {
    use Tok::{Num, Sep};
    let (y, m, d) = match toks {
        [y, Sep('年'), Num(m, _), Sep('月'), Num(d, _), Sep('日')]
        | [y, Sep('年'), Num(m, _), Sep('月'), Num(d, _)] => (*y, *m, *d),
        [y, Sep(a), Num(m, _), Sep(b), Num(d, _)] if a == b && matches!(a, '.' | '/' | '-') => {
            (*y, *m, *d)
        }
        _ => return None,
    };
    matches!(y, Num(..) | Tok::Gan).then_some((y, m, d))
}

/// Splits off a leading era: its name (`令和`; `㋿` and `㍻` arrive here already spelt out by
/// width folding) or its letter (`R`, `h`).
fn split_era(s: &str) -> (Option<Era>, &str) {
    for era in Era::ALL {
        if let Some(rest) = s.strip_prefix(era.name_ja()) {
            return (Some(era), rest);
        }
    }
    let mut chars = s.chars();
    if let Some(c) = chars.next() {
        let upper = c.to_ascii_uppercase();
        if let Some(era) = Era::ALL.into_iter().find(|e| e.letter() == upper) {
            return (Some(era), chars.as_str());
        }
    }
    (None, s)
}

/// Reads a date typed in the Japanese era calendar or the Western one.
///
/// Accepted: `令和6年9月1日`, `令和元年5月1日`, `R6.9.1`, `R06/09/01`, `h31.4.30`,
/// `令和６年９月１日` (any full-width characters), `㋿6.9.1`, `2024-09-01`, `2024/9/1`,
/// `2024年9月1日`; white space anywhere is ignored and `日` may be left off. Refused, each with
/// its own [`WarekiError`]: dates outside the era named (`平成31年5月1日` is 令和元年5月1日,
/// `昭和64年1月8日` is 平成元年1月8日), days that do not exist (`2月30日`), year 0, dates
/// before 明治 and a year of two or three digits with no era.
pub fn parse_wareki(input: &str) -> Result<Date, WarekiError> {
    let s: String = fold_width(input)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if s.is_empty() {
        return Err(WarekiError::Empty);
    }
    let unrecognized = || WarekiError::Unrecognized {
        input: input.to_string(),
    };
    let (era, rest) = split_era(&s);
    let (year_tok, month, day) = tokens(rest)
        .as_deref()
        .and_then(year_month_day)
        .ok_or_else(unrecognized)?;
    let year = match (era, year_tok) {
        (Some(_), Tok::Gan) => 1,
        (Some(era), Tok::Num(0, _)) => return Err(WarekiError::YearZero { era }),
        (Some(_), Tok::Num(n, _)) => n,
        (None, Tok::Num(n, 4)) => n,
        (None, Tok::Num(..)) => {
            return Err(WarekiError::MissingEra {
                input: input.to_string(),
            });
        }
        _ => return Err(unrecognized()),
    };
    let typed = TypedDate {
        era,
        year,
        month,
        day,
    };
    let western = match era {
        Some(e) => i64::from(e.start().year()) + i64::from(year) - 1,
        None => i64::from(year),
    };
    if western > 9999 {
        return Err(WarekiError::TooFarAhead { typed });
    }
    let date = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .zip(u8::try_from(day).ok())
        .and_then(|(m, d)| Date::from_calendar_date(western as i32, m, d).ok())
        .ok_or(WarekiError::NoSuchDate { typed })?;
    let Some((actual_era, _)) = Era::of(date) else {
        return Err(WarekiError::BeforeMeiji { typed });
    };
    match era {
        Some(e) if e != actual_era => Err(WarekiError::WrongEra {
            typed,
            actual: date,
        }),
        _ => Ok(date),
    }
}

// ───────────────────────────── フリガナ ─────────────────────────────

/// Why a フリガナ was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FuriganaError {
    Empty,
    /// The first character that is not kana, ー or a space.
    BadChar(char),
}

impl FieldMessage for FuriganaError {
    fn message_ja(&self) -> String {
        match self {
            Self::Empty => {
                "フリガナが入力されていません。お名前の読みをカタカナで入力してください。".into()
            }
            Self::BadChar(c) => {
                format!("「{c}」はフリガナに使えません。カタカナで入力してください。")
            }
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::Empty => {
                "No furigana was entered. Please write how your name is read, in katakana.".into()
            }
            Self::BadChar(c) => format!(
                "\"{c}\" cannot be used in furigana. Please write the reading in katakana (hiragana is also fine)."
            ),
        }
    }
}

english_display!(FuriganaError);

/// Normalises the reading of a name to full-width katakana.
///
/// Hiragana becomes katakana (`やまだ` → `ヤマダ`), half-width katakana becomes full-width with
/// its voiced marks joined (`ﾔﾏﾀﾞ` → `ヤマダ`, `ﾊﾟ` → `パ`; a separate `゛`/`゜` is joined too),
/// and each run of spaces, half- or full-width, becomes one full-width space (`ヤマダ　タロウ`);
/// spaces at either end are dropped. The long vowel mark ー is kept. Anything else (kanji,
/// Latin letters, digits, ・) is refused, naming the first such character.
pub fn normalize_furigana(input: &str) -> Result<String, FuriganaError> {
    // The spacing voiced marks become combining ones so that width folding joins them to the
    // kana before them (NFKC would otherwise turn ゛ into a space and a lone mark).
    let joined: String = input
        .chars()
        .map(|c| match c {
            '゛' => '\u{3099}',
            '゜' => '\u{309A}',
            _ => c,
        })
        .collect();
    let mut out = String::with_capacity(joined.len());
    let mut space = false;
    for c in fold_width(&joined).chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        let k = hiragana_to_katakana(c);
        if !matches!(k, 'ァ'..='ヺ' | 'ー' | 'ヽ' | 'ヾ') {
            return Err(FuriganaError::BadChar(c));
        }
        if space {
            out.push('\u{3000}');
            space = false;
        }
        out.push(k);
    }
    if out.is_empty() {
        return Err(FuriganaError::Empty);
    }
    Ok(out)
}

// ───────────────────────────── 郵便番号 ─────────────────────────────

/// A 郵便番号: seven digits. Display writes `272-8501`.
///
/// Whether the number exists, and which address it stands for, is a question for the Japan
/// Post data, not for this type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PostalCode(String);

/// Why a 郵便番号 was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostalCodeError {
    Empty,
    BadChar(char),
    /// Not seven digits; the count found.
    WrongLength(usize),
    /// A hyphen somewhere other than after the third digit.
    HyphenPlace,
}

const POSTAL_EXAMPLE_JA: &str = "「272-8501」のように7桁の数字で入力してください。";
const POSTAL_EXAMPLE_EN: &str = "Please enter the seven digits, like 272-8501.";

impl FieldMessage for PostalCodeError {
    fn message_ja(&self) -> String {
        match self {
            Self::Empty => format!("郵便番号が入力されていません。{POSTAL_EXAMPLE_JA}"),
            Self::BadChar(c) => format!("「{c}」は郵便番号に使えません。{POSTAL_EXAMPLE_JA}"),
            Self::WrongLength(n) => {
                format!("郵便番号は7桁ですが、{n}桁入力されています。{POSTAL_EXAMPLE_JA}")
            }
            Self::HyphenPlace => format!(
                "「-」の位置が違います。最初の3桁の後に入れるか、「-」なしで{POSTAL_EXAMPLE_JA}"
            ),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::Empty => format!("No postal code was entered. {POSTAL_EXAMPLE_EN}"),
            Self::BadChar(c) => {
                format!("\"{c}\" cannot be used in a postal code. {POSTAL_EXAMPLE_EN}")
            }
            Self::WrongLength(n) => {
                format!("A postal code has 7 digits, but {n} were entered. {POSTAL_EXAMPLE_EN}")
            }
            Self::HyphenPlace => format!(
                "The hyphen goes after the first three digits, or leave it out. {POSTAL_EXAMPLE_EN}"
            ),
        }
    }
}

english_display!(PostalCodeError);

impl PostalCode {
    /// Accepts `272-8501`, `2728501`, `〒272-8501`, full-width digits, and any hyphen or dash
    /// (`－ ― ‐ ー`) or a space after the third digit.
    pub fn parse(input: &str) -> Result<Self, PostalCodeError> {
        let folded = fold_width(input);
        let s = folded.trim();
        let s = s.strip_prefix('〒').unwrap_or(s).trim_start();
        if s.is_empty() {
            return Err(PostalCodeError::Empty);
        }
        let mut digits = String::with_capacity(7);
        let mut hyphen_at = None;
        for c in s.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if is_digit_dash(c) || c == ' ' {
                if hyphen_at.is_some() {
                    return Err(PostalCodeError::HyphenPlace);
                }
                hyphen_at = Some(digits.len());
            } else {
                return Err(PostalCodeError::BadChar(c));
            }
        }
        if digits.len() != 7 {
            return Err(PostalCodeError::WrongLength(digits.len()));
        }
        if hyphen_at.is_some_and(|at| at != 3) {
            return Err(PostalCodeError::HyphenPlace);
        }
        Ok(Self(digits))
    }

    /// The seven digits, `2728501`.
    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", &self.0[..3], &self.0[3..])
    }
}

// ───────────────────────────── 電話番号 ─────────────────────────────

/// What kind of Japanese number it is, by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhoneKind {
    /// 固定電話: 10 digits, `0` and an area code.
    Fixed,
    /// 携帯電話: 070, 080, 090 and 11 digits.
    Mobile,
    /// IP電話: 050 and 11 digits.
    Ip,
    /// フリーダイヤル: 0120 and 10 digits, or 0800 and 11 digits.
    TollFree,
}

impl PhoneKind {
    fn of(digits: &str) -> Self {
        // 0800 before 080: a toll-free number, not a mobile one.
        if digits.starts_with("0120") || digits.starts_with("0800") {
            PhoneKind::TollFree
        } else if ["070", "080", "090"].iter().any(|p| digits.starts_with(p)) {
            PhoneKind::Mobile
        } else if digits.starts_with("050") {
            PhoneKind::Ip
        } else {
            PhoneKind::Fixed
        }
    }

    fn expected_len(self, digits: &str) -> usize {
        match self {
            PhoneKind::Mobile | PhoneKind::Ip => 11,
            PhoneKind::TollFree if digits.starts_with("0800") => 11,
            PhoneKind::TollFree | PhoneKind::Fixed => 10,
        }
    }

    fn name_ja(self) -> &'static str {
        match self {
            PhoneKind::Fixed => "固定電話の番号",
            PhoneKind::Mobile => "携帯電話の番号",
            PhoneKind::Ip => "IP電話（050）の番号",
            PhoneKind::TollFree => "フリーダイヤルの番号",
        }
    }

    fn name_en(self) -> &'static str {
        match self {
            PhoneKind::Fixed => "A landline number",
            PhoneKind::Mobile => "A mobile number",
            PhoneKind::Ip => "An IP phone (050) number",
            PhoneKind::TollFree => "A toll-free number",
        }
    }
}

/// A Japanese telephone number, kept as its digits in domestic form (`09012345678`).
///
/// Display hyphenates mobile and IP numbers `090-1234-5678`, 0120 numbers `0120-123-456` and
/// 0800 numbers `0800-123-4567`. Landline numbers are shown as plain digits: where the area
/// code ends (1 to 5 digits after the 0) depends on the number itself and needs the Ministry's
/// numbering table, which is out of scope here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

/// Why a telephone number was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneError {
    Empty,
    BadChar(char),
    /// The digits do not begin with 0 (the area code or 090 is missing).
    NoLeadingZero,
    /// An international number other than +81.
    Foreign,
    /// The right prefix but the wrong number of digits.
    WrongLength {
        kind: PhoneKind,
        expected: usize,
        got: usize,
    },
}

const PHONE_EXAMPLE_JA: &str = "「090-1234-5678」や「047-334-1111」のように入力してください。";
const PHONE_EXAMPLE_EN: &str = "Please write it like 090-1234-5678 or 047-334-1111.";

impl FieldMessage for PhoneError {
    fn message_ja(&self) -> String {
        match self {
            Self::Empty => format!("電話番号が入力されていません。{PHONE_EXAMPLE_JA}"),
            Self::BadChar(c) => {
                format!("「{c}」は電話番号に使えません。数字と「-」だけで{PHONE_EXAMPLE_JA}")
            }
            Self::NoLeadingZero => format!(
                "電話番号は「0」から始まります。市外局番（携帯電話は090など）から{PHONE_EXAMPLE_JA}"
            ),
            Self::Foreign => format!(
                "日本の電話番号を入力してください。海外の番号は使えません。{PHONE_EXAMPLE_JA}"
            ),
            Self::WrongLength {
                kind,
                expected,
                got,
            } => format!(
                "{}は{expected}桁ですが、{got}桁入力されています。抜けている数字や多い数字がないか確かめてください。",
                kind.name_ja()
            ),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::Empty => format!("No telephone number was entered. {PHONE_EXAMPLE_EN}"),
            Self::BadChar(c) => format!(
                "\"{c}\" cannot be used in a telephone number; use digits and hyphens. {PHONE_EXAMPLE_EN}"
            ),
            Self::NoLeadingZero => format!(
                "A telephone number starts with 0. Please include the area code (or 090 and the like for a mobile). {PHONE_EXAMPLE_EN}"
            ),
            Self::Foreign => format!(
                "Please enter a Japanese telephone number; numbers abroad cannot be used. {PHONE_EXAMPLE_EN}"
            ),
            Self::WrongLength {
                kind,
                expected,
                got,
            } => format!(
                "{} has {expected} digits, but {got} were entered. Please check for a missing or extra digit.",
                kind.name_en()
            ),
        }
    }
}

english_display!(PhoneError);

impl PhoneNumber {
    /// Accepts digits with hyphens (any dash, or ー), spaces and parentheses, full-width or
    /// not: `090-1234-5678`, `０９０（１２３４）５６７８`, `047 334 1111`. `+81` is turned into
    /// the domestic 0 (`+81 90-1234-5678`, and `+81 (0)90…` with the 0 kept once).
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let folded = fold_width(input);
        let s = folded.trim();
        if s.is_empty() {
            return Err(PhoneError::Empty);
        }
        let (international, s) = match s.strip_prefix('+') {
            Some(rest) => match rest.strip_prefix("81") {
                Some(rest) => (true, rest),
                None => return Err(PhoneError::Foreign),
            },
            None => (false, s),
        };
        let mut digits = String::with_capacity(11);
        for c in s.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !(is_digit_dash(c) || matches!(c, ' ' | '(' | ')')) {
                return Err(PhoneError::BadChar(c));
            }
        }
        if international && !digits.starts_with('0') {
            digits.insert(0, '0');
        }
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        // 00… and 010… are the prefixes for calling abroad.
        if digits.starts_with("00") || digits.starts_with("010") {
            return Err(PhoneError::Foreign);
        }
        if !digits.starts_with('0') {
            return Err(PhoneError::NoLeadingZero);
        }
        let kind = PhoneKind::of(&digits);
        let expected = kind.expected_len(&digits);
        if digits.len() != expected {
            return Err(PhoneError::WrongLength {
                kind,
                expected,
                got: digits.len(),
            });
        }
        Ok(Self(digits))
    }

    /// The digits in domestic form, `09012345678`.
    pub fn digits(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> PhoneKind {
        PhoneKind::of(&self.0)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.0;
        match self.kind() {
            PhoneKind::Mobile | PhoneKind::Ip => write!(f, "{}-{}-{}", &d[..3], &d[3..7], &d[7..]),
            PhoneKind::TollFree => write!(f, "{}-{}-{}", &d[..4], &d[4..7], &d[7..]),
            PhoneKind::Fixed => f.write_str(d),
        }
    }
}

// ───────────────────────────── 金額 ─────────────────────────────

/// An amount of yen: a whole number from 0 to 1兆 (10^12). Display writes `1,000円`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Yen(u64);

/// Why an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YenError {
    Empty,
    BadChar(char),
    /// A decimal point: yen has no smaller unit on a form.
    Decimal,
    Negative,
    /// A comma that does not separate groups of three digits (`10,00`).
    CommaPlace,
    TooLarge,
}

impl FieldMessage for YenError {
    fn message_ja(&self) -> String {
        match self {
            Self::Empty => "金額が入力されていません。「1000」のように数字で入力してください。".into(),
            Self::BadChar(c) => format!(
                "「{c}」は金額に使えません。「1000」や「1,000円」のように数字で入力してください。"
            ),
            Self::Decimal => "金額に小数点は使えません。1円単位の整数で入力してください（例：1000）。".into(),
            Self::Negative => "マイナスの金額は入力できません。0円以上の金額を入力してください。".into(),
            Self::CommaPlace => "「,」の位置が違います。3桁ごとに区切るか、「,」なしで入力してください（例：1,000 または 1000）。".into(),
            Self::TooLarge => "金額が大きすぎます。桁数を確かめてください。".into(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::Empty => "No amount was entered. Please enter a number, like 1000.".into(),
            Self::BadChar(c) => format!(
                "\"{c}\" cannot be used in an amount. Please enter a number, like 1000 or 1,000円."
            ),
            Self::Decimal => "An amount in yen has no decimal point. Please enter whole yen, like 1000.".into(),
            Self::Negative => "A negative amount cannot be entered. Please enter 0 yen or more.".into(),
            Self::CommaPlace => "A comma is out of place. Put one every three digits, or leave commas out (1,000 or 1000).".into(),
            Self::TooLarge => "The amount is too large. Please check the number of digits.".into(),
        }
    }
}

english_display!(YenError);

impl Yen {
    pub const MAX: u64 = 1_000_000_000_000;

    /// Accepts `1000`, `1,000`, `1000円`, `￥1,000`, `¥1,000`, full-width digits and commas
    /// (`１，０００円`). Commas must separate groups of three.
    pub fn parse(input: &str) -> Result<Self, YenError> {
        let folded = fold_width(input);
        let s = folded.trim();
        let s = s.strip_prefix(['¥', '\\']).unwrap_or(s).trim_start();
        let s = s.strip_suffix('円').unwrap_or(s).trim_end();
        if s.is_empty() {
            return Err(YenError::Empty);
        }
        if s.starts_with(|c: char| is_digit_dash(c) || c == '▲' || c == '△') {
            return Err(YenError::Negative);
        }
        let mut value: u64 = 0;
        for c in s.chars() {
            match c {
                '0'..='9' => {
                    value = value
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(u64::from(c as u8 - b'0')))
                        .filter(|&v| v <= Self::MAX)
                        .ok_or(YenError::TooLarge)?;
                }
                ',' => {}
                '.' => return Err(YenError::Decimal),
                _ => return Err(YenError::BadChar(c)),
            }
        }
        let mut groups = s.split(',');
        let first_ok = groups.next().is_some_and(|g| (1..=3).contains(&g.len()));
        if s.contains(',') && !(first_ok && groups.all(|g| g.len() == 3)) {
            return Err(YenError::CommaPlace);
        }
        Ok(Self(value))
    }

    pub fn new(value: u64) -> Option<Self> {
        (value <= Self::MAX).then_some(Self(value))
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Yen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        write!(f, "{out}円")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::Duration;

    fn d(y: i32, m: u8, day: u8) -> Date {
        Date::from_calendar_date(y, Month::try_from(m).expect("month"), day).expect("date")
    }

    fn ok(s: &str) -> Date {
        parse_wareki(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> WarekiError {
        parse_wareki(s).expect_err(s)
    }

    // ── 和暦 ──

    #[test]
    fn era_starts_and_ends() {
        assert_eq!(Era::of(d(1868, 1, 24)), None);
        for (era, first) in [
            (Era::Meiji, d(1868, 1, 25)),
            (Era::Taisho, d(1912, 7, 30)),
            (Era::Showa, d(1926, 12, 25)),
            (Era::Heisei, d(1989, 1, 8)),
            (Era::Reiwa, d(2019, 5, 1)),
        ] {
            assert_eq!(era.start(), first);
            assert_eq!(Era::of(first), Some((era, 1)));
            let eve = first - Duration::days(1);
            assert_ne!(Era::of(eve).map(|(e, _)| e), Some(era));
        }
        assert_eq!(Era::of(d(1912, 7, 29)), Some((Era::Meiji, 45)));
        assert_eq!(Era::of(d(1926, 12, 24)), Some((Era::Taisho, 15)));
        assert_eq!(Era::of(d(1989, 1, 7)), Some((Era::Showa, 64)));
        assert_eq!(Era::of(d(2019, 4, 30)), Some((Era::Heisei, 31)));
        assert_eq!(Era::of(d(2024, 9, 1)), Some((Era::Reiwa, 6)));
        // The table is in order.
        for w in Era::ALL.windows(2) {
            assert!(w[0].start() < w[1].start());
        }
    }

    #[test]
    fn parses_the_forms_residents_write() {
        let day = d(2024, 9, 1);
        for s in [
            "令和6年9月1日",
            "令和06年09月01日",
            "令和6年9月1",
            "R6.9.1",
            "R06/09/01",
            "r6-9-1",
            "R6．9．1",
            "令和６年９月１日",
            "令和 6年 9月 1日",
            " 令和6年9月1日 ",
            "㋿6.9.1",
            "2024-09-01",
            "2024/9/1",
            "2024.9.1",
            "2024年9月1日",
            "２０２４年９月１日",
            "２０２４－０９－０１",
        ] {
            assert_eq!(ok(s), day, "{s}");
        }
        assert_eq!(ok("令和元年5月1日"), d(2019, 5, 1));
        assert_eq!(ok("令和1年5月1日"), d(2019, 5, 1));
        assert_eq!(ok("R1.5.1"), d(2019, 5, 1));
        assert_eq!(ok("h31.4.30"), d(2019, 4, 30));
        assert_eq!(ok("H31.4.30"), d(2019, 4, 30));
        assert_eq!(ok("㍻31.4.30"), d(2019, 4, 30));
        assert_eq!(ok("昭和64年1月7日"), d(1989, 1, 7));
        assert_eq!(ok("平成元年1月8日"), d(1989, 1, 8));
        assert_eq!(ok("S25.3.15"), d(1950, 3, 15));
        assert_eq!(ok("大正元年7月30日"), d(1912, 7, 30));
        assert_eq!(ok("T15.12.24"), d(1926, 12, 24));
        assert_eq!(ok("明治元年1月25日"), d(1868, 1, 25));
        assert_eq!(ok("M45.7.29"), d(1912, 7, 29));
        assert_eq!(ok("令和6年2月29日"), d(2024, 2, 29));
    }

    #[test]
    fn refuses_dates_outside_the_era_named() {
        let e = err("平成31年5月1日");
        assert_eq!(
            e,
            WarekiError::WrongEra {
                typed: TypedDate {
                    era: Some(Era::Heisei),
                    year: 31,
                    month: 5,
                    day: 1
                },
                actual: d(2019, 5, 1)
            }
        );
        assert_eq!(
            e.message_ja(),
            "平成31年5月1日は令和元年5月1日です。令和で入力してください。"
        );
        assert!(e.message_en().contains("1 May 2019 (Reiwa 1)"), "{e}");
        let e = err("昭和64年1月8日");
        assert_eq!(
            e.message_ja(),
            "昭和64年1月8日は平成元年1月8日です。平成で入力してください。"
        );
        // Too early for the era as well as too late.
        let e = err("令和元年4月30日");
        assert_eq!(
            e.message_ja(),
            "令和元年4月30日は平成31年4月30日です。平成で入力してください。"
        );
        assert!(matches!(
            err("大正元年7月29日"),
            WarekiError::WrongEra { .. }
        ));
        assert!(matches!(
            err("昭和100年1月1日"),
            WarekiError::WrongEra { .. }
        ));
        assert!(matches!(err("H32.1.1"), WarekiError::WrongEra { .. }));
    }

    #[test]
    fn refuses_days_that_do_not_exist() {
        for s in [
            "令和6年2月30日",
            "令和5年2月29日",
            "2023-02-29",
            "令和6年13月1日",
            "令和6年0月1日",
            "令和6年9月0日",
            "令和6年9月31日",
            "R6.4.31",
            "2024/99/99",
        ] {
            assert!(matches!(err(s), WarekiError::NoSuchDate { .. }), "{s}");
        }
        assert_eq!(
            err("令和6年2月30日").message_ja(),
            "令和6年2月30日という日はありません。月と日を確かめてください。"
        );
        assert_eq!(
            err("2023-02-29").message_en(),
            "There is no day 29 of month 2 in 2023. Please check the month and the day."
        );
    }

    #[test]
    fn refuses_year_zero_missing_era_and_the_rest() {
        assert_eq!(
            err("令和0年1月1日"),
            WarekiError::YearZero { era: Era::Reiwa }
        );
        assert!(err("R0.1.1").message_ja().contains("令和元年"));
        assert_eq!(err(""), WarekiError::Empty);
        assert_eq!(err(" 　"), WarekiError::Empty);
        for s in ["6.9.1", "06/09/01", "24-9-1", "999年1月1日"] {
            assert!(matches!(err(s), WarekiError::MissingEra { .. }), "{s}");
        }
        for s in [
            "元年5月1日",
            "令和6年9月",
            "令和6年9月1日生",
            "R6.9/1",
            "R6年9.1",
            "令和六年九月一日",
            "2024-09-01T00:00",
            "20240901",
            "X6.9.1",
            "令和",
            "yesterday",
            "1234567.1.1",
        ] {
            assert!(matches!(err(s), WarekiError::Unrecognized { .. }), "{s}");
        }
        assert!(matches!(
            err("明治元年1月24日"),
            WarekiError::BeforeMeiji { .. }
        ));
        assert!(matches!(err("1867-12-31"), WarekiError::BeforeMeiji { .. }));
        assert!(matches!(
            err("令和9999年1月1日"),
            WarekiError::TooFarAhead { .. }
        ));
        assert!(matches!(err("R99999.1.1"), WarekiError::TooFarAhead { .. }));
        // Long input is not echoed whole.
        let long = "あ".repeat(200);
        assert!(err(&long).message_ja().chars().count() < 100);
    }

    #[test]
    fn formats() {
        assert_eq!(format_wareki(d(2024, 9, 1)), "令和6年9月1日");
        assert_eq!(format_wareki(d(2019, 5, 1)), "令和元年5月1日");
        assert_eq!(format_wareki(d(2019, 4, 30)), "平成31年4月30日");
        assert_eq!(format_wareki(d(1989, 1, 7)), "昭和64年1月7日");
        assert_eq!(format_wareki(d(1868, 1, 25)), "明治元年1月25日");
        assert_eq!(format_wareki(d(1867, 1, 1)), "1867年1月1日");
        assert_eq!(
            format_wareki_en(d(2024, 9, 1)),
            "1 September 2024 (Reiwa 6)"
        );
        assert_eq!(format_wareki_en(d(2019, 5, 1)), "1 May 2019 (Reiwa 1)");
        assert_eq!(format_wareki_en(d(1867, 1, 1)), "1 January 1867");
    }

    #[test]
    fn every_error_has_both_messages() {
        let typed = TypedDate {
            era: Some(Era::Reiwa),
            year: 1,
            month: 1,
            day: 1,
        };
        let all = [
            WarekiError::Empty,
            WarekiError::Unrecognized { input: "x".into() },
            WarekiError::MissingEra {
                input: "6.9.1".into(),
            },
            WarekiError::YearZero { era: Era::Reiwa },
            WarekiError::NoSuchDate { typed },
            WarekiError::WrongEra {
                typed,
                actual: d(2019, 1, 1),
            },
            WarekiError::BeforeMeiji { typed },
            WarekiError::TooFarAhead { typed },
        ];
        for e in all {
            assert!(e.message_ja().ends_with('。'), "{e:?}");
            assert!(e.message_en().ends_with('.'), "{e:?}");
            assert_eq!(e.to_string(), e.message_en());
        }
    }

    const FIRST: Date = date!(1868 - 01 - 25);
    const LAST: Date = date!(2100 - 12 - 31);

    fn any_date() -> impl Strategy<Value = Date> {
        let span = (LAST - FIRST).whole_days();
        (0..=span).prop_map(|n| FIRST + Duration::days(n))
    }

    fn full_width_digits(s: &str) -> String {
        s.chars()
            .map(|c| match c.to_digit(10) {
                Some(n) => char::from_u32('０' as u32 + n).unwrap_or(c),
                None => c,
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn format_then_parse_round_trips(date in any_date()) {
            let s = format_wareki(date);
            prop_assert_eq!(parse_wareki(&s), Ok(date), "{}", s);
            prop_assert_eq!(parse_wareki(&full_width_digits(&s)), Ok(date), "{}", s);
        }

        #[test]
        fn short_forms_parse(date in any_date(), lower in any::<bool>(), sep in prop::sample::select(vec!['.', '/', '-'])) {
            let (era, y) = Era::of(date).expect("in range");
            let letter = if lower { era.letter().to_ascii_lowercase() } else { era.letter() };
            let (m, day) = (u8::from(date.month()), date.day());
            let plain = format!("{letter}{y}{sep}{m}{sep}{day}");
            let padded = format!("{letter}{y:02}{sep}{m:02}{sep}{day:02}");
            prop_assert_eq!(parse_wareki(&plain), Ok(date), "{}", plain);
            prop_assert_eq!(parse_wareki(&padded), Ok(date), "{}", padded);
        }

        #[test]
        fn western_and_wareki_agree(date in any_date()) {
            let iso = format!("{}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day());
            let kanji = format!("{}年{}月{}日", date.year(), u8::from(date.month()), date.day());
            prop_assert_eq!(parse_wareki(&iso), Ok(date));
            prop_assert_eq!(parse_wareki(&kanji), Ok(date));
            prop_assert_eq!(parse_wareki(&iso).map(format_wareki), Ok(format_wareki(date)));
            // The era year is the Western year counted from the era's first year.
            let (era, y) = Era::of(date).expect("in range");
            prop_assert_eq!(date.year(), era.start().year() + y - 1);
        }

        #[test]
        fn any_other_era_is_refused_naming_the_right_one(date in any_date()) {
            let (actual, _) = Era::of(date).expect("in range");
            let (m, day) = (u8::from(date.month()), date.day());
            for era in Era::ALL {
                let y = date.year() - era.start().year() + 1;
                if era == actual || y < 1 {
                    continue;
                }
                let s = format!("{}{y}年{m}月{day}日", era.name_ja());
                let e = parse_wareki(&s).expect_err("wrong era");
                prop_assert!(matches!(e, WarekiError::WrongEra { actual: a, .. } if a == date), "{}", s);
                let fix = format!("{}です。{}で入力してください。", format_wareki(date), actual.name_ja());
                prop_assert!(e.message_ja().ends_with(&fix), "{}", e.message_ja());
            }
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,20}", t in "[明治大正昭和平成令元年月日0-9０-９./\\-RHSTMrhstm ]{0,14}") {
            let _ = parse_wareki(&s);
            let _ = parse_wareki(&t);
        }
    }

    // ── フリガナ ──

    fn kana(s: &str) -> String {
        normalize_furigana(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn furigana_forms() {
        assert_eq!(kana("ヤマダ　タロウ"), "ヤマダ　タロウ");
        assert_eq!(kana("やまだ たろう"), "ヤマダ　タロウ");
        assert_eq!(kana("ﾔﾏﾀﾞ ﾀﾛｳ"), "ヤマダ　タロウ");
        assert_eq!(kana("ﾊﾟｰｸ"), "パーク");
        assert_eq!(kana("ｳﾞｨｸﾄﾙ"), "ヴィクトル");
        assert_eq!(kana("カ゛ク"), "ガク");
        assert_eq!(kana("ハ゜ン"), "パン");
        assert_eq!(kana("か\u{3099}"), "ガ");
        assert_eq!(kana("  ヤマダ  　 タロウ  "), "ヤマダ　タロウ");
        assert_eq!(kana("ヤマダタロウ"), "ヤマダタロウ");
        assert_eq!(kana("すずき　ｲﾁﾛｰ"), "スズキ　イチロー");
        assert_eq!(kana("ゔぁ"), "ヴァ");
        assert_eq!(kana("ぁぃぅぇぉっゃゅょゎゕゖ"), "ァィゥェォッャュョヮヵヶ");
        assert_eq!(kana("ガルシア マリア ホセ"), "ガルシア　マリア　ホセ");
        assert_eq!(kana("ヷヸヹヺ"), "ヷヸヹヺ");
    }

    #[test]
    fn furigana_refusals() {
        assert_eq!(normalize_furigana(""), Err(FuriganaError::Empty));
        assert_eq!(normalize_furigana(" 　 "), Err(FuriganaError::Empty));
        assert_eq!(
            normalize_furigana("山田 タロウ"),
            Err(FuriganaError::BadChar('山'))
        );
        assert_eq!(
            FuriganaError::BadChar('山').message_ja(),
            "「山」はフリガナに使えません。カタカナで入力してください。"
        );
        assert_eq!(
            normalize_furigana("ヤマダ taro"),
            Err(FuriganaError::BadChar('t'))
        );
        assert_eq!(
            normalize_furigana("ＹＡＭＡ"),
            Err(FuriganaError::BadChar('Y'))
        );
        assert_eq!(
            normalize_furigana("タロウ2"),
            Err(FuriganaError::BadChar('2'))
        );
        assert_eq!(
            normalize_furigana("スミス・ジョン"),
            Err(FuriganaError::BadChar('・'))
        );
        assert_eq!(normalize_furigana("タロウ\n"), Ok("タロウ".into()));
        assert_eq!(
            normalize_furigana("タ\u{0}"),
            Err(FuriganaError::BadChar('\u{0}'))
        );
        for e in [FuriganaError::Empty, FuriganaError::BadChar('x')] {
            assert!(e.message_ja().ends_with('。'));
            assert!(e.message_en().ends_with('.'));
        }
    }

    #[test]
    fn every_hiragana_and_half_width_katakana_is_accepted() {
        for c in ('ぁ'..='ゖ').chain('ｦ'..='ﾝ') {
            let k = kana(&c.to_string());
            assert!(
                k.chars().all(|c| matches!(c, 'ァ'..='ヺ' | 'ー')),
                "{c} -> {k}"
            );
        }
    }

    proptest! {
        #[test]
        fn furigana_output_is_clean_and_stable(s in "[ぁ-ゖァ-ヺｦ-ﾟー 　]{0,20}") {
            if let Ok(k) = normalize_furigana(&s) {
                let sp = '\u{3000}';
                prop_assert!(!k.starts_with(sp) && !k.ends_with(sp), "{}", k);
                prop_assert!(!k.contains(&format!("{sp}{sp}")), "{}", k);
                prop_assert!(k.chars().all(|c| matches!(c, 'ァ'..='ヺ' | 'ー' | 'ヽ' | 'ヾ' | '\u{3000}')), "{}", k);
                prop_assert_eq!(normalize_furigana(&k), Ok(k.clone()));
            }
        }

        #[test]
        fn hiragana_and_katakana_agree(s in "[ぁ-ゖ]{1,12}( [ぁ-ゖ]{1,12})?") {
            let kata: String = s.chars().map(hiragana_to_katakana).collect();
            prop_assert_eq!(normalize_furigana(&s), normalize_furigana(&kata));
        }

        #[test]
        fn furigana_names_a_bad_character_from_the_input(s in "\\PC{1,12}") {
            if let Err(FuriganaError::BadChar(c)) = normalize_furigana(&s) {
                prop_assert!(fold_width(&s).contains(c) || s.contains(c), "{} in {}", c, s);
            }
        }
    }

    // ── 郵便番号 ──

    #[test]
    fn postal_code_forms() {
        for s in [
            "272-8501",
            "2728501",
            "〒272-8501",
            "〒 272-8501",
            "２７２－８５０１",
            "〒２７２８５０１",
            "272―8501",
            "272‐8501",
            "272ー8501",
            "272−8501",
            "272 8501",
            " 272-8501 ",
        ] {
            let p = PostalCode::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(p.digits(), "2728501", "{s}");
            assert_eq!(p.to_string(), "272-8501", "{s}");
        }
    }

    #[test]
    fn postal_code_refusals() {
        use PostalCodeError as E;
        assert_eq!(PostalCode::parse(""), Err(E::Empty));
        assert_eq!(PostalCode::parse("〒"), Err(E::Empty));
        assert_eq!(PostalCode::parse("272-850"), Err(E::WrongLength(6)));
        assert_eq!(PostalCode::parse("27285011"), Err(E::WrongLength(8)));
        assert_eq!(PostalCode::parse("2728-501"), Err(E::HyphenPlace));
        assert_eq!(PostalCode::parse("272--8501"), Err(E::HyphenPlace));
        assert_eq!(PostalCode::parse("272-8501-"), Err(E::HyphenPlace));
        assert_eq!(PostalCode::parse("272-85O1"), Err(E::BadChar('O')));
        assert_eq!(PostalCode::parse("千葉県"), Err(E::BadChar('千')));
        assert_eq!(
            E::WrongLength(6).message_ja(),
            "郵便番号は7桁ですが、6桁入力されています。「272-8501」のように7桁の数字で入力してください。"
        );
        for e in [E::Empty, E::BadChar('x'), E::WrongLength(3), E::HyphenPlace] {
            assert!(e.message_ja().ends_with('。'));
            assert!(e.message_en().ends_with('.'));
        }
    }

    proptest! {
        #[test]
        fn postal_code_round_trips(n in 0u32..10_000_000, hyphen in any::<bool>(), mark in any::<bool>()) {
            let digits = format!("{n:07}");
            let typed = format!(
                "{}{}{}{}",
                if mark { "〒" } else { "" },
                &digits[..3],
                if hyphen { "-" } else { "" },
                &digits[3..]
            );
            let p = PostalCode::parse(&typed).expect("valid");
            prop_assert_eq!(p.digits(), digits.as_str());
            prop_assert_eq!(PostalCode::parse(&p.to_string()), Ok(p.clone()));
            prop_assert_eq!(PostalCode::parse(&full_width_digits(&typed)), Ok(p));
        }

        #[test]
        fn postal_code_never_panics(s in "\\PC{0,12}") {
            if let Ok(p) = PostalCode::parse(&s) {
                prop_assert_eq!(p.digits().len(), 7);
                prop_assert!(p.digits().bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }

    // ── 電話番号 ──

    fn phone(s: &str) -> PhoneNumber {
        PhoneNumber::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn phone_forms() {
        for (s, digits, shown, kind) in [
            (
                "090-1234-5678",
                "09012345678",
                "090-1234-5678",
                PhoneKind::Mobile,
            ),
            (
                "09012345678",
                "09012345678",
                "090-1234-5678",
                PhoneKind::Mobile,
            ),
            (
                "０９０－１２３４－５６７８",
                "09012345678",
                "090-1234-5678",
                PhoneKind::Mobile,
            ),
            (
                "090(1234)5678",
                "09012345678",
                "090-1234-5678",
                PhoneKind::Mobile,
            ),
            (
                "０９０（１２３４）５６７８",
                "09012345678",
                "090-1234-5678",
                PhoneKind::Mobile,
            ),
            (
                "080 1234 5678",
                "08012345678",
                "080-1234-5678",
                PhoneKind::Mobile,
            ),
            (
                "070ー1234ー5678",
                "07012345678",
                "070-1234-5678",
                PhoneKind::Mobile,
            ),
            (
                "+81 90-1234-5678",
                "09012345678",
                "090-1234-5678",
                PhoneKind::Mobile,
            ),
            (
                "+819012345678",
                "09012345678",
                "090-1234-5678",
                PhoneKind::Mobile,
            ),
            (
                "+81 (0)90-1234-5678",
                "09012345678",
                "090-1234-5678",
                PhoneKind::Mobile,
            ),
            (
                "＋８１ ９０ １２３４ ５６７８",
                "09012345678",
                "090-1234-5678",
                PhoneKind::Mobile,
            ),
            (
                "050-1234-5678",
                "05012345678",
                "050-1234-5678",
                PhoneKind::Ip,
            ),
            (
                "0120-123-456",
                "0120123456",
                "0120-123-456",
                PhoneKind::TollFree,
            ),
            (
                "0800-123-4567",
                "08001234567",
                "0800-123-4567",
                PhoneKind::TollFree,
            ),
            ("047-334-1111", "0473341111", "0473341111", PhoneKind::Fixed),
            ("03-1234-5678", "0312345678", "0312345678", PhoneKind::Fixed),
            (
                "(043)481-1111",
                "0434811111",
                "0434811111",
                PhoneKind::Fixed,
            ),
            (
                "+81 47 334 1111",
                "0473341111",
                "0473341111",
                PhoneKind::Fixed,
            ),
            ("0570-000-000", "0570000000", "0570000000", PhoneKind::Fixed),
        ] {
            let p = phone(s);
            assert_eq!(p.digits(), digits, "{s}");
            assert_eq!(p.to_string(), shown, "{s}");
            assert_eq!(p.kind(), kind, "{s}");
        }
    }

    #[test]
    fn phone_refusals() {
        use PhoneError as E;
        assert_eq!(PhoneNumber::parse(""), Err(E::Empty));
        assert_eq!(PhoneNumber::parse("--"), Err(E::Empty));
        assert_eq!(PhoneNumber::parse("334-1111"), Err(E::NoLeadingZero));
        assert_eq!(PhoneNumber::parse("+1 212 555 0100"), Err(E::Foreign));
        assert_eq!(PhoneNumber::parse("001-1-212-555-0100"), Err(E::Foreign));
        assert_eq!(PhoneNumber::parse("010-1-212-555-0100"), Err(E::Foreign));
        assert_eq!(
            PhoneNumber::parse("090-1234-567"),
            Err(E::WrongLength {
                kind: PhoneKind::Mobile,
                expected: 11,
                got: 10
            })
        );
        assert_eq!(
            PhoneNumber::parse("047-334-11111"),
            Err(E::WrongLength {
                kind: PhoneKind::Fixed,
                expected: 10,
                got: 11
            })
        );
        assert_eq!(
            PhoneNumber::parse("0120-123-4567"),
            Err(E::WrongLength {
                kind: PhoneKind::TollFree,
                expected: 10,
                got: 11
            })
        );
        assert_eq!(
            PhoneNumber::parse("0800-123-456"),
            Err(E::WrongLength {
                kind: PhoneKind::TollFree,
                expected: 11,
                got: 10
            })
        );
        assert_eq!(
            PhoneNumber::parse("050-1234-567"),
            Err(E::WrongLength {
                kind: PhoneKind::Ip,
                expected: 11,
                got: 10
            })
        );
        assert_eq!(
            PhoneNumber::parse("090-1234-5678 内線12"),
            Err(E::BadChar('内'))
        );
        assert_eq!(PhoneNumber::parse("090.1234.5678"), Err(E::BadChar('.')));
        assert_eq!(
            PhoneNumber::parse("090-1234-567")
                .expect_err("short")
                .message_ja(),
            "携帯電話の番号は11桁ですが、10桁入力されています。抜けている数字や多い数字がないか確かめてください。"
        );
        for e in [
            E::Empty,
            E::BadChar('x'),
            E::NoLeadingZero,
            E::Foreign,
            E::WrongLength {
                kind: PhoneKind::Fixed,
                expected: 10,
                got: 9,
            },
        ] {
            assert!(e.message_ja().ends_with('。'), "{e:?}");
            assert!(e.message_en().ends_with('.'), "{e:?}");
        }
    }

    proptest! {
        #[test]
        fn mobile_numbers_round_trip(prefix in prop::sample::select(vec!["070", "080", "090", "050"]), rest in 0u32..100_000_000) {
            let digits = format!("{prefix}{rest:08}");
            let p = PhoneNumber::parse(&digits).expect("valid");
            prop_assert_eq!(p.digits(), digits.as_str());
            let shown = p.to_string();
            prop_assert_eq!(shown.len(), 13);
            prop_assert_eq!(PhoneNumber::parse(&shown), Ok(p.clone()));
            let intl = format!("+81{}", &digits[1..]);
            prop_assert_eq!(PhoneNumber::parse(&intl), Ok(p));
        }

        #[test]
        fn fixed_numbers_keep_their_digits(area in 1u32..10, rest in 0u64..100_000_000) {
            let digits = format!("0{area}{rest:08}");
            // 010 is the prefix for calling abroad; 011 (札幌) and the rest are area codes.
            prop_assume!(PhoneKind::of(&digits) == PhoneKind::Fixed && !digits.starts_with("010"));
            let p = PhoneNumber::parse(&full_width_digits(&digits)).expect("valid");
            prop_assert_eq!(p.digits(), digits.as_str());
        }

        #[test]
        fn phone_never_panics(s in "\\PC{0,16}", t in "[+0-9０-９()（） -]{0,16}") {
            for x in [s, t] {
                if let Ok(p) = PhoneNumber::parse(&x) {
                    prop_assert!(p.digits().starts_with('0'));
                    prop_assert!(matches!(p.digits().len(), 10 | 11));
                }
            }
        }
    }

    // ── 金額 ──

    fn yen(s: &str) -> u64 {
        Yen::parse(s).unwrap_or_else(|e| panic!("{s}: {e}")).get()
    }

    #[test]
    fn yen_forms() {
        for s in [
            "1000",
            "1,000",
            "１０００円",
            "￥1,000",
            "¥1,000",
            "\\1000",
            "1000円",
            "１，０００円",
            " 1,000 円 ",
            "¥ 1000",
        ] {
            assert_eq!(yen(s), 1000, "{s}");
        }
        assert_eq!(yen("0"), 0);
        assert_eq!(yen("0円"), 0);
        assert_eq!(yen("007"), 7);
        assert_eq!(yen("1,000,000,000,000"), Yen::MAX);
        assert_eq!(yen("999,999"), 999_999);
    }

    #[test]
    fn yen_refusals() {
        use YenError as E;
        assert_eq!(Yen::parse(""), Err(E::Empty));
        assert_eq!(Yen::parse("円"), Err(E::Empty));
        assert_eq!(Yen::parse("1000.5"), Err(E::Decimal));
        assert_eq!(Yen::parse("１０００．５円"), Err(E::Decimal));
        assert_eq!(Yen::parse("-1000"), Err(E::Negative));
        assert_eq!(Yen::parse("−1000"), Err(E::Negative));
        assert_eq!(Yen::parse("▲1000"), Err(E::Negative));
        assert_eq!(Yen::parse("10,00"), Err(E::CommaPlace));
        assert_eq!(Yen::parse("1000,000"), Err(E::CommaPlace));
        assert_eq!(Yen::parse(",100"), Err(E::CommaPlace));
        assert_eq!(Yen::parse("100,"), Err(E::CommaPlace));
        assert_eq!(Yen::parse("1,000,000,000,001"), Err(E::TooLarge));
        assert_eq!(Yen::parse("99999999999999999999999"), Err(E::TooLarge));
        assert_eq!(Yen::parse("3万円"), Err(E::BadChar('万')));
        assert_eq!(Yen::parse("abc"), Err(E::BadChar('a')));
        assert_eq!(
            E::Decimal.message_ja(),
            "金額に小数点は使えません。1円単位の整数で入力してください（例：1000）。"
        );
        for e in [
            E::Empty,
            E::BadChar('x'),
            E::Decimal,
            E::Negative,
            E::CommaPlace,
            E::TooLarge,
        ] {
            assert!(e.message_ja().ends_with('。'), "{e:?}");
            assert!(e.message_en().ends_with('.'), "{e:?}");
        }
    }

    #[test]
    fn yen_display() {
        for (n, s) in [
            (0, "0円"),
            (1, "1円"),
            (999, "999円"),
            (1000, "1,000円"),
            (12_345, "12,345円"),
            (123_456, "123,456円"),
            (1_234_567, "1,234,567円"),
            (Yen::MAX, "1,000,000,000,000円"),
        ] {
            assert_eq!(Yen::new(n).expect("in range").to_string(), s);
        }
        assert_eq!(Yen::new(Yen::MAX + 1), None);
    }

    proptest! {
        #[test]
        fn yen_display_parses_back(n in 0..=Yen::MAX) {
            let y = Yen::new(n).expect("in range");
            prop_assert_eq!(Yen::parse(&y.to_string()), Ok(y));
            prop_assert_eq!(Yen::parse(&n.to_string()), Ok(y));
            prop_assert_eq!(Yen::parse(&full_width_digits(&format!("￥{n}"))), Ok(y));
        }

        #[test]
        fn yen_never_panics(s in "\\PC{0,16}", t in "[0-9,.円¥￥ -]{0,16}") {
            for x in [s, t] {
                if let Ok(y) = Yen::parse(&x) {
                    prop_assert!(y.get() <= Yen::MAX);
                }
            }
        }
    }
}
