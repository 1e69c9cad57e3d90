//! Pure helpers of the application service: due dates, request hashes for idempotency, the
//! attachments a submission references, notice texts, and the CSV export's bytes. No I/O.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::{OffsetDateTime, UtcOffset};

use super::NewApplication;
use crate::procedures::form::def::{Field, FieldKind, FormDefinition};
use crate::procedures::receipt::ReceiptNumber;

const JST: UtcOffset = time::macros::offset!(+9);

/// The due date of a case: the end (23:59:59.999 JST) of the day that is `days` 開庁日 after
/// the day it was submitted, in Japan time, not counting that day (`calendar::add_open_days`:
/// weekends, national holidays and 12/29–1/3 are skipped). 標準処理期間 0 means the same day,
/// or the next 開庁日 when the city hall was closed that day. Negative days are read as 0.
pub fn due_at(submitted_at_ms: i64, days: i64) -> i64 {
    let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(submitted_at_ms) * 1_000_000)
    else {
        return submitted_at_ms;
    };
    let date = t.to_offset(JST).date();
    let target = crate::calendar::add_open_days(date, days);
    let Some(next) = target.next_day() else {
        return submitted_at_ms;
    };
    let midnight = next.midnight().assume_offset(JST);
    (midnight.unix_timestamp_nanos() / 1_000_000) as i64 - 1
}

/// Whether an open case is past its due date at `now`.
pub fn overdue(state: &str, due_at: Option<i64>, now: i64) -> bool {
    let open = super::OPEN_STATES.iter().any(|s| s.as_str() == state);
    open && due_at.is_some_and(|d| d < now)
}

/// The JSON value with every object's keys sorted, so equal content has equal text.
pub fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), canonical(&m[k]));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// What tells a retry from a different request under the same idempotency key: the
/// procedure, the form version, the applicant and the answers (SHA-256, hex).
pub fn request_hash(new: &NewApplication) -> String {
    let who = match &new.applicant {
        super::Applicant::Resident { user_id, .. } => format!("user:{user_id}"),
        super::Applicant::Guest { email, .. } => format!("guest:{email}"),
    };
    let doc = serde_json::json!([
        new.procedure_id,
        new.form_version_id,
        who,
        canonical(&Value::Object(new.answers.clone())),
    ]);
    hex::encode(Sha256::digest(doc.to_string().as_bytes()))
}

/// The (answer path, attachment id) of every file answer, in form order: `"photo"` for a
/// top-level field, `"children/0/certificate"` inside a group item.
pub fn file_answers(def: &FormDefinition, answers: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for page in &def.pages {
        for field in &page.fields {
            collect_files(field, answers.get(&field.id), &field.id, &mut out);
        }
    }
    out
}

fn collect_files(
    field: &Field,
    value: Option<&Value>,
    path: &str,
    out: &mut Vec<(String, String)>,
) {
    let Some(value) = value else { return };
    match &field.kind {
        FieldKind::File { .. } => {
            if let Some(id) = value.get("id").and_then(Value::as_str) {
                out.push((path.to_owned(), id.to_owned()));
            }
        }
        FieldKind::Group { fields, .. } => {
            let Some(items) = value.as_array() else {
                return;
            };
            for (i, item) in items.iter().enumerate() {
                for inner in fields {
                    collect_files(
                        inner,
                        item.get(&inner.id),
                        &format!("{path}/{i}/{}", inner.id),
                        out,
                    );
                }
            }
        }
        _ => {}
    }
}

/// Top-level field ids whose answers differ between two answer sets (for 補正: what a
/// resubmission changed), in the order of the form, then any unknown keys in key order.
pub fn changed_fields(
    def: &FormDefinition,
    before: &Map<String, Value>,
    after: &Map<String, Value>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for page in &def.pages {
        for f in &page.fields {
            seen.push(&f.id);
            if before.get(&f.id) != after.get(&f.id) {
                out.push(f.id.clone());
            }
        }
    }
    let mut extra: Vec<&String> = before
        .keys()
        .chain(after.keys())
        .filter(|k| !seen.contains(&k.as_str()))
        .collect();
    extra.sort();
    extra.dedup();
    for k in extra {
        if before.get(k) != after.get(k) {
            out.push(k.clone());
        }
    }
    out
}

/// A field's label by id (top level), or the id itself.
pub fn field_label(def: &FormDefinition, id: &str, ja: bool) -> String {
    def.pages
        .iter()
        .flat_map(|p| p.fields.iter())
        .find(|f| f.id == id)
        .map(|f| {
            if ja {
                f.label_ja.clone()
            } else {
                f.label_en.clone()
            }
        })
        .unwrap_or_else(|| id.to_owned())
}

/// Every top-level field (id, label ja, label en), for the 補正依頼 checkboxes.
pub fn top_fields(def: &FormDefinition) -> Vec<(String, String, String)> {
    def.pages
        .iter()
        .flat_map(|p| p.fields.iter())
        .map(|f| (f.id.clone(), f.label_ja.clone(), f.label_en.clone()))
        .collect()
}

/// Facts for the confirmation e-mail.
pub struct MailFacts<'a> {
    pub town_ja: &'a str,
    pub town_en: &'a str,
    pub applicant: &'a str,
    pub procedure_ja: &'a str,
    pub procedure_en: &'a str,
    pub receipt: ReceiptNumber,
    pub submitted_at: i64,
    pub link: &'a str,
    pub fee_yen: Option<i64>,
}

/// Subject and body of the 受付 confirmation mail (Japanese, then English).
pub fn confirmation_mail(f: &MailFacts<'_>) -> (String, String) {
    use crate::web::i18n::Lang;
    let subject = format!(
        "【{}】申請を受け付けました（受付番号 {}） / Application received",
        f.town_ja, f.receipt
    );
    let fee = match f.fee_yen {
        Some(y) if y > 0 => format!("手数料: {}円\n", crate::procedures::model::yen(y)),
        _ => String::new(),
    };
    let body = format!(
        "{} 様\n\n次の申請を受け付けました。\n\n手続: {}\n受付番号: {}\n受付日時: {}\n{fee}\n\
         申請の状況とお知らせは、次のページでご確認いただけます。\n{}\n\n\
         お問い合わせの際は受付番号をお伝えください。\n\n\
         --\nWe have received your application \"{}\".\nReceipt number: {}\nReceived: {}\n\
         You can follow it here: {}\n\n--\n{} / {}\n",
        f.applicant,
        f.procedure_ja,
        f.receipt,
        Lang::Ja.datetime(f.submitted_at),
        f.link,
        f.procedure_en,
        f.receipt,
        Lang::En.datetime(f.submitted_at),
        f.link,
        f.town_ja,
        f.town_en,
    );
    (subject, body)
}

/// What a notice to the applicant says (message, 補正依頼, decision, completion).
pub struct Notice<'a> {
    pub town_ja: &'a str,
    pub applicant: &'a str,
    pub receipt: &'a str,
    pub procedure_ja: &'a str,
    /// 「職員からのメッセージ」, 「補正のお願い」…
    pub what_ja: &'a str,
    pub what_en: &'a str,
    /// The message or notice text (may be empty).
    pub text: &'a str,
    pub link: &'a str,
}

/// Subject and body of a notice mail.
pub fn notice_mail(n: &Notice<'_>) -> (String, String) {
    let Notice {
        town_ja,
        applicant,
        receipt,
        procedure_ja,
        what_ja,
        what_en,
        text,
        link,
    } = n;
    let subject = format!("【{town_ja}】{what_ja}（受付番号 {receipt}） / {what_en}");
    let text = if text.is_empty() {
        String::new()
    } else {
        format!("\n{text}\n")
    };
    let body = format!(
        "{applicant} 様\n\n「{procedure_ja}」の申請（受付番号 {receipt}）について、{what_ja}があります。\n{text}\n\
         詳しくは次のページでご確認ください。\n{link}\n\n--\n{what_en} about your application {receipt}: {link}\n\n--\n{town_ja}\n"
    );
    (subject, body)
}

// ---- CSV --------------------------------------------------------------------------------------

/// One CSV field, quoted as RFC 4180 requires (when it holds a comma, quote, CR or LF; quotes
/// doubled). A field starting with `=`, `+`, `-`, `@`, tab or CR is prefixed with `'` so Excel
/// does not run it as a formula (CSV injection).
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The rows as CSV text with CRLF line ends (also after the last row).
pub fn csv_text(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Which bytes the CSV is sent as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvEncoding {
    /// UTF-8 with a byte order mark (what Excel needs to read UTF-8). The default.
    Utf8Bom,
    /// Shift_JIS as JIS X 0208 defines it (`?encoding=sjis`): what older 基幹系 systems and
    /// RPA tools accept. Vendor extensions (NEC/IBM: 髙, ①, ㈱…) are replaced too.
    ShiftJis,
    /// Windows-31J (`?encoding=cp932`): Shift_JIS with the NEC/IBM extensions, which Excel on
    /// Windows reads.
    Cp932,
}

impl CsvEncoding {
    pub fn parse(s: Option<&str>) -> Option<CsvEncoding> {
        match s.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("utf-8") | Some("utf8") => Some(CsvEncoding::Utf8Bom),
            Some("sjis") | Some("shift_jis") | Some("shift-jis") => Some(CsvEncoding::ShiftJis),
            Some("cp932") | Some("windows-31j") => Some(CsvEncoding::Cp932),
            Some(_) => None,
        }
    }
    pub fn charset(self) -> &'static str {
        match self {
            CsvEncoding::Utf8Bom => "utf-8",
            CsvEncoding::ShiftJis => "shift_jis",
            CsvEncoding::Cp932 => "windows-31j",
        }
    }
}

/// The replacement for characters Shift_JIS cannot hold (〓, げた記号; 0x81 0xAC).
pub const GETA: char = '〓';
const GETA_SJIS: [u8; 2] = [0x81, 0xAC];

/// Whether a two-byte Windows-31J code is in JIS X 0208 (rows 1–8 and 16–84), i.e. not one
/// of the NEC special characters (row 13), NEC-selected or IBM extensions.
fn in_jis_x_0208(lead: u8, trail: u8) -> bool {
    match lead {
        0x81..=0x84 | 0x89..=0x9F | 0xE0..=0xE9 => true,
        0x88 => trail >= 0x9F,
        0xEA => trail <= 0xA4,
        _ => false,
    }
}

/// Encodes CSV text. Returns the bytes and how many characters had to be replaced by 〓.
pub fn csv_bytes(text: &str, enc: CsvEncoding) -> (Vec<u8>, usize) {
    if enc == CsvEncoding::Utf8Bom {
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice(text.as_bytes());
        return (b, 0);
    }
    let mut out = Vec::with_capacity(text.len() * 2);
    let mut replaced = 0;
    let mut buf = [0u8; 4];
    for c in text.chars() {
        let s = c.encode_utf8(&mut buf);
        let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(s);
        let fits = !unmappable
            && match (enc, bytes.as_ref()) {
                (CsvEncoding::ShiftJis, [lead, trail]) => in_jis_x_0208(*lead, *trail),
                _ => true,
            };
        if fits {
            out.extend_from_slice(&bytes);
        } else {
            replaced += 1;
            out.extend_from_slice(&GETA_SJIS);
        }
    }
    (out, replaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_at_is_end_of_jst_day() {
        // 2026-04-01 10:00 JST = 01:00 UTC.
        let t = OffsetDateTime::parse(
            "2026-04-01T01:00:00Z",
            &time::format_description::well_known::Rfc3339,
        )
        .expect("time");
        let ms = (t.unix_timestamp_nanos() / 1_000_000) as i64;
        let same_day = due_at(ms, 0);
        let end = OffsetDateTime::parse(
            "2026-04-01T23:59:59.999+09:00",
            &time::format_description::well_known::Rfc3339,
        )
        .expect("time");
        assert_eq!(same_day, (end.unix_timestamp_nanos() / 1_000_000) as i64);
        // 2026-04-01 is a Wednesday: 14 開庁日 later, skipping three weekends, is 4/21 (Tue):
        // 4/2, 3, 6, 7, 8, 9, 10, 13, 14, 15, 16, 17, 20, 21.
        let end_21 = OffsetDateTime::parse(
            "2026-04-21T23:59:59.999+09:00",
            &time::format_description::well_known::Rfc3339,
        )
        .expect("time");
        assert_eq!(
            due_at(ms, 14),
            (end_21.unix_timestamp_nanos() / 1_000_000) as i64
        );
        assert_eq!(due_at(ms, -3), same_day);
        // 23:30 JST on 3/31 (14:30 UTC) is still 3/31 in Japan.
        let late = ms - 10 * 3_600_000 - 30 * 60_000;
        assert_eq!(same_day - due_at(late, 0), 86_400_000);
    }

    #[test]
    fn overdue_only_open_cases() {
        assert!(overdue("received", Some(10), 11));
        assert!(!overdue("received", Some(10), 10));
        assert!(!overdue("approved", Some(10), 11));
        assert!(!overdue("under_review", None, 11));
    }

    #[test]
    fn csv_quoting_follows_rfc4180_and_defuses_formulas() {
        assert_eq!(csv_field("abc"), "abc");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(
            csv_text(&[vec!["a".into(), "b,c".into()], vec!["".into(), "d".into()]]),
            "a,\"b,c\"\r\n,d\r\n"
        );
    }

    #[test]
    fn csv_bytes_utf8_bom_and_sjis_geta() {
        let (b, n) = csv_bytes("市川", CsvEncoding::Utf8Bom);
        assert_eq!(&b[..3], &[0xEF, 0xBB, 0xBF]);
        assert_eq!(&b[3..], "市川".as_bytes());
        assert_eq!(n, 0);
        // 髙 (IBM extension), ① and ㈱ (NEC row 13) and an emoji are not JIS X 0208.
        let (b, n) = csv_bytes("髙橋,①㈱,😀,市川\r\n", CsvEncoding::ShiftJis);
        assert_eq!(n, 4);
        let (back, _, errors) = encoding_rs::SHIFT_JIS.decode(&b);
        assert!(!errors);
        assert_eq!(back, "〓橋,〓〓,〓,市川\r\n");
        // Windows-31J keeps the vendor characters; only the emoji is lost.
        let (b, n) = csv_bytes("髙橋,①㈱,😀", CsvEncoding::Cp932);
        assert_eq!(n, 1);
        let (back, _, _) = encoding_rs::SHIFT_JIS.decode(&b);
        assert_eq!(back, "髙橋,①㈱,〓");
        // 市 is 0x8E 0x73, 〓 0x81 0xAC, ASCII stays one byte.
        assert_eq!(csv_bytes("市", CsvEncoding::ShiftJis).0, vec![0x8E, 0x73]);
        assert_eq!(
            csv_bytes("〓a", CsvEncoding::ShiftJis),
            (vec![0x81, 0xAC, b'a'], 0)
        );
        // Every JIS X 0208 kanji of the first and last rows round-trips.
        for c in ['亜', '腕', '弌', '熙'] {
            let (b, n) = csv_bytes(&c.to_string(), CsvEncoding::ShiftJis);
            assert_eq!(n, 0, "{c}");
            assert_eq!(encoding_rs::SHIFT_JIS.decode(&b).0, c.to_string());
        }
    }

    #[test]
    fn csv_encoding_parse() {
        assert_eq!(CsvEncoding::parse(None), Some(CsvEncoding::Utf8Bom));
        assert_eq!(
            CsvEncoding::parse(Some("SJIS")),
            Some(CsvEncoding::ShiftJis)
        );
        assert_eq!(CsvEncoding::parse(Some("cp932")), Some(CsvEncoding::Cp932));
        assert_eq!(CsvEncoding::parse(Some("latin1")), None);
    }

    #[test]
    fn canonical_sorts_keys_recursively() {
        let a: Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":[{"y":1,"x":2}],"c":3}}"#).expect("json");
        assert_eq!(
            canonical(&a).to_string(),
            r#"{"a":{"c":3,"d":[{"x":2,"y":1}]},"b":1}"#
        );
    }
}
