//! Reading Japan Post's 住所の郵便番号 files: pure functions, no storage.
//!
//! Two layouts are accepted, told apart by their bytes (`decode`):
//! * `KEN_ALL.CSV`: Shift_JIS, half-width kana, a long 町域名 split over several rows;
//! * `utf_ken_all.csv`: UTF-8, full-width kana, one record per line.
//!
//! Both have the same 15 columns (Japan Post's readme): 全国地方公共団体コード, 旧郵便番号,
//! 郵便番号, 都道府県名カナ, 市区町村名カナ, 町域名カナ, 都道府県名, 市区町村名, 町域名, and six
//! one-digit flags. A gzipped file of either is read too (the shipped 千葉県 data is one).
//!
//! The 町域名 is cleaned for filling an address form ([`clean_town`]): 「以下に掲載がない場合」
//! and 「○○の次に番地がくる場合」 give an empty town, 「（次のビルを除く）」 is dropped, any other
//! （…） remark goes to `town_note`, and 「○○一円」 (the whole of a village) gives an empty town.

use std::fmt;
use std::io::Read;

use crate::procedures::search::fold_width;

/// One address a postal code stands for, ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::FromRow)]
pub struct Entry {
    pub code: String,
    pub local_government_code: String,
    pub prefecture: String,
    pub prefecture_kana: String,
    pub city: String,
    pub city_kana: String,
    pub town: String,
    pub town_kana: String,
    pub town_note: String,
}

/// The text encoding a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    ShiftJis,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8 (utf_ken_all.csv)",
            Encoding::ShiftJis => "Shift_JIS (KEN_ALL.CSV)",
        }
    }
}

/// A whole file, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub encoding: Encoding,
    /// Non-empty lines read (Japan Post's rows, before split town names are joined).
    pub rows: usize,
    pub entries: Vec<Entry>,
}

/// Why a file was refused; `line` is 1-based (0 when the file as a whole is wrong).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for ParseError {}

fn err(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}

const COLUMNS: usize = 15;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const UTF8_BOM: [u8; 3] = [0xef, 0xbb, 0xbf];

/// Parses a file's bytes: gunzips if needed, detects the encoding, reads every row and joins
/// split town names. Nothing is returned unless the whole file is well formed.
pub fn parse(bytes: &[u8]) -> Result<Parsed, ParseError> {
    let (encoding, text) = decode(bytes)?;
    let mut rows = 0;
    let mut entries = Vec::new();
    let mut joiner = Joiner::default();
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        rows += 1;
        let raw = parse_row(line).map_err(|m| err(i + 1, m))?;
        if let Some(done) = joiner.push(i + 1, raw)? {
            entries.push(done.into_entry());
        }
    }
    joiner.finish()?;
    if rows == 0 {
        return Err(err(0, "the file has no rows"));
    }
    Ok(Parsed {
        encoding,
        rows,
        entries,
    })
}

/// Gunzips when the bytes start with gzip's magic number, then decodes: UTF-8 (with or without
/// a byte-order mark) when the bytes are valid UTF-8, else Shift_JIS.
pub fn decode(bytes: &[u8]) -> Result<(Encoding, String), ParseError> {
    let unzipped;
    let bytes = if bytes.starts_with(&GZIP_MAGIC) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|e| {
                err(
                    0,
                    format!("the file looks gzipped but cannot be unpacked: {e}"),
                )
            })?;
        unzipped = out;
        &unzipped[..]
    } else {
        bytes
    };
    let bytes = bytes.strip_prefix(&UTF8_BOM).unwrap_or(bytes);
    let utf8_error = match std::str::from_utf8(bytes) {
        Ok(s) => return Ok((Encoding::Utf8, s.to_owned())),
        Err(e) => e,
    };
    // 0x0A is never the second byte of a Shift_JIS character, so lines split safely.
    let mut text = String::with_capacity(bytes.len() * 3 / 2);
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            text.push('\n');
        }
        match encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(line) {
            Some(s) => text.push_str(&s),
            None => {
                // Name the line where the likelier encoding (the one that got further) broke.
                let utf8_line = bytes[..utf8_error.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1;
                return Err(err(
                    utf8_line.max(i + 1),
                    "neither UTF-8 nor Shift_JIS text: is this Japan Post's KEN_ALL.CSV or utf_ken_all.csv?",
                ));
            }
        }
    }
    Ok((Encoding::ShiftJis, text))
}

/// The columns of one row, as Japan Post wrote them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RawRow {
    local_government_code: String,
    code: String,
    prefecture_kana: String,
    city_kana: String,
    town_kana: String,
    prefecture: String,
    city: String,
    town: String,
}

impl RawRow {
    fn into_entry(self) -> Entry {
        let (town, town_kana, town_note) = clean_town(&self.town, &self.town_kana, &self.city);
        let (town, town_note) = (same_dashes(&town), same_dashes(&town_note));
        Entry {
            code: self.code,
            local_government_code: self.local_government_code,
            prefecture: self.prefecture,
            prefecture_kana: widen_kana(&self.prefecture_kana),
            city: self.city,
            city_kana: widen_kana(&self.city_kana),
            town,
            town_kana,
            town_note,
        }
    }
}

/// Splits one CSV line (double quotes around text, `""` for a quote inside) and checks it.
fn parse_row(line: &str) -> Result<RawRow, String> {
    let fields = split_csv(line)?;
    if fields.len() != COLUMNS {
        return Err(format!(
            "expected {COLUMNS} columns (Japan Post's 住所の郵便番号 layout), found {}",
            fields.len()
        ));
    }
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(&fields[0], 5) {
        return Err(format!(
            "column 1 (全国地方公共団体コード) must be 5 digits, found {:?}",
            fields[0]
        ));
    }
    if !digits(&fields[2], 7) {
        return Err(format!(
            "column 3 (郵便番号) must be 7 digits, found {:?}",
            fields[2]
        ));
    }
    for (i, name) in [(6, "都道府県名"), (7, "市区町村名")] {
        if fields[i].trim().is_empty() {
            return Err(format!("column {} ({name}) is empty", i + 1));
        }
    }
    for (i, f) in fields.iter().enumerate().skip(9) {
        if !digits(f, 1) {
            return Err(format!(
                "column {} (a flag) must be one digit, found {f:?}",
                i + 1
            ));
        }
    }
    let mut it = fields.into_iter();
    let mut next = || it.next().unwrap_or_default();
    let local_government_code = next();
    let _old_code = next();
    Ok(RawRow {
        local_government_code,
        code: next(),
        prefecture_kana: next().trim().to_owned(),
        city_kana: next().trim().to_owned(),
        town_kana: next().trim().to_owned(),
        prefecture: next().trim().to_owned(),
        city: next().trim().to_owned(),
        town: next().trim().to_owned(),
    })
}

fn split_csv(line: &str) -> Result<Vec<String>, String> {
    // Japan Post's files never put a quote or comma inside a column: take the quick path when
    // every column is plain or simply quoted.
    let quick: Option<Vec<String>> = line
        .split(',')
        .map(
            |f| match f.strip_prefix('"').and_then(|f| f.strip_suffix('"')) {
                Some(inner) if !inner.contains('"') => Some(inner.to_owned()),
                _ if !f.contains('"') => Some(f.to_owned()),
                _ => None,
            },
        )
        .collect();
    if let Some(fields) = quick {
        return Ok(fields);
    }
    let mut fields = Vec::with_capacity(COLUMNS);
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    quoted = false;
                    if !matches!(chars.peek(), None | Some(',')) {
                        return Err("text after a closing quote".into());
                    }
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == ',' {
            fields.push(std::mem::take(&mut cur));
            at_start = true;
        } else if c == '"' {
            return Err("a quote in the middle of an unquoted column".into());
        } else {
            cur.push(c);
            at_start = false;
        }
    }
    if quoted {
        return Err("a quoted column is not closed on this line".into());
    }
    fields.push(cur);
    Ok(fields)
}

/// Joins a 町域名 that Japan Post split over several rows: the first row opens a （ that a
/// later row of the same postal code closes. The kana is split the same way, or repeated
/// unchanged on every row (then it is taken once).
#[derive(Default)]
struct Joiner {
    open: Option<(usize, RawRow, String)>,
}

fn unclosed(s: &str) -> bool {
    s.matches('（').count() > s.matches('）').count()
}

impl Joiner {
    fn push(&mut self, line: usize, row: RawRow) -> Result<Option<RawRow>, ParseError> {
        match self.open.take() {
            None if unclosed(&row.town) => {
                let first_kana = row.town_kana.clone();
                self.open = Some((line, row, first_kana));
                Ok(None)
            }
            None => Ok(Some(row)),
            Some((start, mut acc, first_kana)) => {
                if row.code != acc.code {
                    return Err(err(
                        line,
                        format!(
                            "the town name opened with （ on line {start} ({}) is not closed before a row for another postal code",
                            acc.code
                        ),
                    ));
                }
                acc.town.push_str(&row.town);
                if row.town_kana != first_kana {
                    acc.town_kana.push_str(&row.town_kana);
                }
                if unclosed(&acc.town) {
                    self.open = Some((start, acc, first_kana));
                    Ok(None)
                } else {
                    Ok(Some(acc))
                }
            }
        }
    }

    fn finish(self) -> Result<(), ParseError> {
        match self.open {
            Some((start, acc, _)) => Err(err(
                start,
                format!(
                    "the town name of {} opens （ but the file ends before it is closed",
                    acc.code
                ),
            )),
            None => Ok(()),
        }
    }
}

/// The same text whichever decoder made the file: Shift_JIS 0x8160 and 0x817C are 〜 and − to
/// some converters (iconv) and ～ and － to others (Windows, WHATWG); the latter are kept.
pub fn same_dashes(s: &str) -> String {
    if !s.contains(['\u{301C}', '\u{2212}']) {
        return s.to_owned();
    }
    s.replace('\u{301C}', "\u{FF5E}")
        .replace('\u{2212}', "\u{FF0D}")
}

/// Half-width kana to full-width (`ﾁﾊﾞｹﾝ` → `チバケン`), full-width left as is.
pub fn widen_kana(kana: &str) -> String {
    if kana.chars().all(|c| matches!(c, 'ァ'..='ヺ' | 'ー')) {
        return kana.to_owned();
    }
    fold_width(kana).trim().to_owned()
}

const NOT_LISTED: &str = "以下に掲載がない場合";
const BANCHI_NEXT: &str = "の次に番地がくる場合";
const EXCEPT_BUILDINGS: &str = "次のビルを除く";
const ICHIEN: &str = "一円";

/// Cleans a joined 町域名 and its kana for an address form: `(town, town_kana, town_note)`.
///
/// * 「以下に掲載がない場合」 (every other address of the city) → empty town;
/// * 「境町の次に番地がくる場合」 (the 番地 follows the city name) → empty town;
/// * 「利島村一円」 (the whole village, named like the city) → empty town; other 「○○一円」 →
///   「○○」; the place actually called 「一円」 (滋賀県犬上郡多賀町) stays;
/// * 「中瀬（次のビルを除く）」 → 「中瀬」 with no note (the buildings have codes of their own);
/// * 「協和（８８－２、…番地）」, 「奥瀬（その他）」, 「中央アエル（１階）」 → the town before the
///   bracket, the text inside as the note (two bracketed parts are joined with 「、」).
///
/// The kana loses its bracketed part too, and is widened to full-width katakana.
pub fn clean_town(town: &str, kana: &str, city: &str) -> (String, String, String) {
    let empty = || (String::new(), String::new(), String::new());
    if town == NOT_LISTED || town.ends_with(BANCHI_NEXT) {
        return empty();
    }
    let (base, note) = match town.find('（') {
        Some(at) => {
            let inner = &town[at + '（'.len_utf8()..];
            let inner = inner.strip_suffix('）').unwrap_or(inner);
            (town[..at].trim(), inner.replace("）（", "、"))
        }
        None => (town, String::new()),
    };
    let note = if note == EXCEPT_BUILDINGS {
        String::new()
    } else {
        note
    };
    let kana = widen_kana(kana);
    let kana = match kana.find('(') {
        Some(at) => kana[..at].trim_end().to_owned(),
        None => kana,
    };
    if base != ICHIEN
        && let Some(place) = base.strip_suffix(ICHIEN)
    {
        if city.ends_with(place) {
            return empty();
        }
        let kana = kana.strip_suffix("イチエン").unwrap_or(&kana).to_owned();
        return (place.to_owned(), kana, note);
    }
    (base.to_owned(), kana, note)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real rows of Japan Post's KEN_ALL.CSV (half-width kana, as published), as they appear in
    // public test fixtures of other KEN_ALL parsers, and of the shipped utf_ken_all_12.csv.gz.
    const KYOWA: &str = "01224,\"066  \",\"0660005\",\"ﾎｯｶｲﾄﾞｳ\",\"ﾁﾄｾｼ\",\"ｷｮｳﾜ(88-2､271-10､343-2､404-1､427-\",\"北海道\",\"千歳市\",\"協和（８８−２、２７１−１０、３４３−２、４０４−１、４２７−\",1,0,0,0,0,0\r\n\
01224,\"066  \",\"0660005\",\"ﾎｯｶｲﾄﾞｳ\",\"ﾁﾄｾｼ\",\"3､431-12､443-6､608-2､641-8､814､842-\",\"北海道\",\"千歳市\",\"３、４３１−１２、４４３−６、６０８−２、６４１−８、８１４、８４２−\",1,0,0,0,0,0\r\n\
01224,\"066  \",\"0660005\",\"ﾎｯｶｲﾄﾞｳ\",\"ﾁﾄｾｼ\",\"5､1137-3､1392､1657､1752ﾊﾞﾝﾁ)\",\"北海道\",\"千歳市\",\"５、１１３７−３、１３９２、１６５７、１７５２番地）\",1,0,0,0,0,0\r\n";
    const NOT_LISTED_ROW: &str = "01101,\"060  \",\"0600000\",\"ﾎｯｶｲﾄﾞｳ\",\"ｻｯﾎﾟﾛｼﾁｭｳｵｳｸ\",\"ｲｶﾆｹｲｻｲｶﾞﾅｲﾊﾞｱｲ\",\"北海道\",\"札幌市中央区\",\"以下に掲載がない場合\",0,0,0,0,0,0\r\n";
    const BANCHI_ROW: &str = "08546,\"30604\",\"3060433\",\"ｲﾊﾞﾗｷｹﾝ\",\"ｻｼﾏｸﾞﾝｻｶｲﾏﾁ\",\"ｻｶｲﾏﾁﾉﾂｷﾞﾆﾊﾞﾝﾁｶﾞｸﾙﾊﾞｱｲ\",\"茨城県\",\"猿島郡境町\",\"境町の次に番地がくる場合\",0,0,0,0,0,0\r\n";
    const ICHIEN_ROWS: &str = "13362,\"10003\",\"1000301\",\"ﾄｳｷｮｳﾄ\",\"ﾄｼﾏﾑﾗ\",\"ﾄｼﾏﾑﾗｲﾁｴﾝ\",\"東京都\",\"利島村\",\"利島村一円\",0,0,0,0,0,0\r\n\
25443,\"52203\",\"5220317\",\"ｼｶﾞｹﾝ\",\"ｲﾇｶﾐｸﾞﾝﾀｶﾞﾁｮｳ\",\"ｲﾁｴﾝ\",\"滋賀県\",\"犬上郡多賀町\",\"一円\",0,0,0,0,0,0\r\n";
    const FLOOR_ROW: &str = "04101,\"980  \",\"9806101\",\"ﾐﾔｷﾞｹﾝ\",\"ｾﾝﾀﾞｲｼｱｵﾊﾞｸ\",\"ﾁｭｳｵｳｱｴﾙ(1ｶｲ)\",\"宮城県\",\"仙台市青葉区\",\"中央アエル（１階）\",0,0,0,0,0,0\r\n";
    const SONOTA_ROW: &str = "02206,\"03403\",\"0340301\",\"ｱｵﾓﾘｹﾝ\",\"ﾄﾜﾀﾞｼ\",\"ｵｸｾ(ｿﾉﾀ)\",\"青森県\",\"十和田市\",\"奥瀬（その他）\",1,1,0,0,0,0\r\n";
    // utf_ken_all.csv layout (the shipped file): full-width kana, one record per line.
    const YAWATA_UTF: &str = "\"12203\",\"272  \",\"2720021\",\"チバケン\",\"イチカワシ\",\"ヤワタ\",\"千葉県\",\"市川市\",\"八幡\",0,0,1,0,0,0\r\n";
    const NAKASE_UTF: &str = "\"12106\",\"261  \",\"2610023\",\"チバケン\",\"チバシミハマク\",\"ナカセ\",\"千葉県\",\"千葉市美浜区\",\"中瀬（次のビルを除く）\",0,0,1,0,0,0\r\n";

    fn sjis(s: &str) -> Vec<u8> {
        let (bytes, _, bad) = encoding_rs::SHIFT_JIS.encode(s);
        assert!(!bad, "not encodable in Shift_JIS: {s}");
        bytes.into_owned()
    }

    fn one(file: &[u8]) -> Entry {
        let p = parse(file).expect("parses");
        assert_eq!(p.entries.len(), 1, "{:?}", p.entries);
        p.entries.into_iter().next().expect("one entry")
    }

    #[test]
    fn a_plain_utf8_row() {
        let e = one(YAWATA_UTF.as_bytes());
        assert_eq!(
            e,
            Entry {
                code: "2720021".into(),
                local_government_code: "12203".into(),
                prefecture: "千葉県".into(),
                prefecture_kana: "チバケン".into(),
                city: "市川市".into(),
                city_kana: "イチカワシ".into(),
                town: "八幡".into(),
                town_kana: "ヤワタ".into(),
                town_note: String::new(),
            }
        );
        assert_eq!(
            parse(YAWATA_UTF.as_bytes()).expect("parses").encoding,
            Encoding::Utf8
        );
    }

    #[test]
    fn shift_jis_with_half_width_kana_is_detected_and_widened() {
        let p = parse(&sjis(NOT_LISTED_ROW)).expect("parses");
        assert_eq!(p.encoding, Encoding::ShiftJis);
        let e = &p.entries[0];
        assert_eq!(e.prefecture_kana, "ホッカイドウ");
        assert_eq!(e.city_kana, "サッポロシチュウオウク");
        assert_eq!(e.city, "札幌市中央区");
    }

    #[test]
    fn a_utf8_byte_order_mark_and_gzip_are_accepted() {
        let mut bom = UTF8_BOM.to_vec();
        bom.extend_from_slice(YAWATA_UTF.as_bytes());
        assert_eq!(one(&bom).town, "八幡");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &sjis(KYOWA)).expect("gzip");
        let gz = gz.finish().expect("gzip");
        assert_eq!(one(&gz).town, "協和");
    }

    #[test]
    fn not_listed_means_an_empty_town() {
        let e = one(NOT_LISTED_ROW.as_bytes());
        assert_eq!((e.town.as_str(), e.town_kana.as_str()), ("", ""));
        assert_eq!(e.town_note, "");
    }

    #[test]
    fn banchi_next_means_an_empty_town() {
        let e = one(&sjis(BANCHI_ROW));
        assert_eq!(e.city, "猿島郡境町");
        assert_eq!(e.city_kana, "サシマグンサカイマチ");
        assert_eq!((e.town.as_str(), e.town_kana.as_str()), ("", ""));
    }

    #[test]
    fn ichien_of_the_village_is_empty_but_the_place_ichien_stays() {
        let p = parse(&sjis(ICHIEN_ROWS)).expect("parses");
        assert_eq!(p.entries[0].town, "");
        assert_eq!(p.entries[0].town_kana, "");
        assert_eq!(p.entries[1].town, "一円");
        assert_eq!(p.entries[1].town_kana, "イチエン");
    }

    #[test]
    fn a_town_split_over_three_rows_is_joined() {
        let p = parse(&sjis(KYOWA)).expect("parses");
        assert_eq!(p.rows, 3);
        assert_eq!(p.entries.len(), 1);
        let e = &p.entries[0];
        assert_eq!(e.code, "0660005");
        assert_eq!(e.town, "協和");
        assert_eq!(e.town_kana, "キョウワ");
        // Shift_JIS 0x817C (the fixture's −) decodes to the full-width hyphen-minus.
        assert_eq!(
            e.town_note,
            "８８－２、２７１－１０、３４３－２、４０４－１、４２７－３、４３１－１２、４４３－６、６０８－２、６４１－８、８１４、８４２－５、１１３７－３、１３９２、１６５７、１７５２番地"
        );
    }

    #[test]
    fn repeated_kana_on_continuation_rows_is_taken_once() {
        let rows = "26102,\"602  \",\"6020847\",\"ｷｮｳﾄﾌ\",\"ｷｮｳﾄｼｶﾐｷﾞｮｳｸ\",\"ｵｵﾐﾔﾁｮｳ\",\"京都府\",\"京都市上京区\",\"大宮町（今出川通河原町西入、今出川通寺町東入、\",0,0,0,0,0,0\r\n\
26102,\"602  \",\"6020847\",\"ｷｮｳﾄﾌ\",\"ｷｮｳﾄｼｶﾐｷﾞｮｳｸ\",\"ｵｵﾐﾔﾁｮｳ\",\"京都府\",\"京都市上京区\",\"中筋通石薬師上る）\",0,0,0,0,0,0\r\n";
        let e = one(&sjis(rows));
        assert_eq!(e.town, "大宮町");
        assert_eq!(e.town_kana, "オオミヤチョウ");
        assert_eq!(
            e.town_note,
            "今出川通河原町西入、今出川通寺町東入、中筋通石薬師上る"
        );
    }

    #[test]
    fn except_buildings_is_dropped() {
        let e = one(NAKASE_UTF.as_bytes());
        assert_eq!((e.town.as_str(), e.town_note.as_str()), ("中瀬", ""));
        assert_eq!(e.town_kana, "ナカセ");
    }

    #[test]
    fn floors_and_sonota_become_notes() {
        let e = one(&sjis(FLOOR_ROW));
        assert_eq!(
            (e.town.as_str(), e.town_kana.as_str(), e.town_note.as_str()),
            ("中央アエル", "チュウオウアエル", "１階")
        );
        let e = one(&sjis(SONOTA_ROW));
        assert_eq!(
            (e.town.as_str(), e.town_kana.as_str(), e.town_note.as_str()),
            ("奥瀬", "オクセ", "その他")
        );
    }

    #[test]
    fn wave_dashes_and_minus_signs_are_the_same_from_either_decoder() {
        let iconv = "\"12215\",\"28926\",\"2892614\",\"チバケン\",\"アサヒシ\",\"エガサキ\",\"千葉県\",\"旭市\",\"江ケ崎（１２〜２２、１７２３−３番地）\",1,0,0,0,0,0\r\n";
        let e = one(iconv.as_bytes());
        assert_eq!(e.town_note, "１２～２２、１７２３－３番地");
        assert_eq!(one(&sjis(&same_dashes(iconv))), e);
    }

    #[test]
    fn two_bracketed_parts_are_joined() {
        assert_eq!(
            clean_town("高層棟（Ａ棟）（１階）", "ｺｳｿｳﾄｳ(Aﾄｳ)(1ｶｲ)", "港区"),
            ("高層棟".into(), "コウソウトウ".into(), "Ａ棟、１階".into())
        );
    }

    #[test]
    fn several_towns_of_one_code_are_all_kept() {
        let file = "\"01209\",\"06805\",\"0680546\",\"ホッカイドウ\",\"ユウバリシ\",\"ナンブアオバチョウ\",\"北海道\",\"夕張市\",\"南部青葉町\",0,0,0,1,0,0\r\n\
\"01209\",\"06805\",\"0680546\",\"ホッカイドウ\",\"ユウバリシ\",\"ナンブキクスイチョウ\",\"北海道\",\"夕張市\",\"南部菊水町\",0,0,0,1,0,0\r\n";
        let p = parse(file.as_bytes()).expect("parses");
        let towns: Vec<&str> = p.entries.iter().map(|e| e.town.as_str()).collect();
        assert_eq!(towns, ["南部青葉町", "南部菊水町"]);
    }

    #[test]
    fn the_shipped_chiba_file_parses_in_full() {
        let p = parse(super::super::CHIBA_GZ).expect("shipped file parses");
        assert_eq!(p.encoding, Encoding::Utf8);
        assert_eq!(p.rows, 3610);
        assert_eq!(p.entries.len(), 3610);
        assert!(p.entries.iter().all(|e| e.prefecture == "千葉県"));
        assert!(p.entries.iter().all(|e| !e.town.contains('（')));
        assert!(
            p.entries
                .iter()
                .any(|e| e.code == "2720021" && e.town == "八幡")
        );
    }

    #[test]
    fn malformed_files_name_the_line() {
        let two = format!(
            "{YAWATA_UTF}\"12203\",\"272  \",\"272002\",\"チバケン\",\"イチカワシ\",\"ヤワタ\",\"千葉県\",\"市川市\",\"八幡\",0,0,1,0,0,0\r\n"
        );
        let e = parse(two.as_bytes()).expect_err("short code");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("郵便番号"), "{e}");
        assert_eq!(
            e.to_string(),
            "line 2: column 3 (郵便番号) must be 7 digits, found \"272002\""
        );

        let e = parse(format!("{YAWATA_UTF}a,b,c\r\n").as_bytes()).expect_err("columns");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("found 3"), "{e}");

        let e = parse(b"\"12203,\"x\"\r\n").expect_err("quote");
        assert_eq!(e.line, 1);

        let e = parse(
            YAWATA_UTF
                .replace(",0,0,1,0,0,0", ",0,0,1,0,0,x")
                .as_bytes(),
        )
        .expect_err("flag");
        assert!(e.message.contains("column 15"), "{e}");

        // KEN_ALL split rows cut short: the opening line is named.
        let first = KYOWA.lines().next().expect("first row");
        let e = parse(&sjis(&format!("{YAWATA_UTF}{first}\r\n"))).expect_err("unclosed");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("0660005"), "{e}");
        let e = parse(&sjis(&format!("{first}\r\n{YAWATA_UTF}"))).expect_err("interrupted");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("line 1"), "{e}");

        // UTF-8 with a broken byte on line 2.
        let mut bytes = YAWATA_UTF.as_bytes().to_vec();
        bytes.extend_from_slice(b"\"12203\",\"\xff\"\r\n");
        let e = parse(&bytes).expect_err("bad utf-8");
        assert_eq!(e.line, 2);

        // Bytes that are neither.
        let e = parse(b"01101,\"\x81\"\r\n").expect_err("bad sjis");
        assert_eq!(e.line, 1);

        assert_eq!(parse(b"\r\n\r\n").expect_err("empty").line, 0);
        assert_eq!(parse(b"").expect_err("empty").line, 0);
    }

    #[test]
    fn csv_quotes() {
        assert_eq!(
            split_csv("\"a\"\"b\",c,\"\"").expect("ok"),
            vec!["a\"b".to_owned(), "c".into(), String::new()]
        );
        assert!(split_csv("\"a\"b,c").is_err());
        assert!(split_csv("a\"b,c").is_err());
    }
}
