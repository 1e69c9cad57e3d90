//! The catalogue's rules, with no database or HTTP inside: identity levels, life-event tags,
//! validation of a procedure, the text that search runs over, fee and period wording, and the
//! plan 1-1 KPI constants.

use serde::Serialize;

use super::search::normalize_for_search;
use crate::web::i18n::Lang;

/// How sure the city must be of who applies online.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentityLevel {
    /// Anyone may apply without logging in.
    None,
    /// A Madoguchi account is needed.
    SignedIn,
    /// Identity proven with the My Number card (JPKI / デジタル認証アプリ).
    Card,
}

impl IdentityLevel {
    /// Whether an application at this level can be accepted online from a session whose
    /// sign-in was (`card_session`) or was not made with the My Number card (デジタル認証アプリ,
    /// docs/identity.md). A `card` procedure needs a card session; the web runner refuses it
    /// otherwise (the draft is kept) and offers the card sign-in. The API passes `false`: a
    /// bearer token proves no card, so the API refuses `card` procedures.
    pub fn accepts_online_submission(self, card_session: bool) -> bool {
        !matches!(self, IdentityLevel::Card) || card_session
    }

    pub const ALL: [IdentityLevel; 3] = [
        IdentityLevel::None,
        IdentityLevel::SignedIn,
        IdentityLevel::Card,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityLevel::None => "none",
            IdentityLevel::SignedIn => "signed_in",
            IdentityLevel::Card => "card",
        }
    }
    pub fn parse(s: &str) -> Option<IdentityLevel> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
    /// Message key of the plain-words description.
    pub fn key(self) -> &'static str {
        match self {
            IdentityLevel::None => "proc.identity_none",
            IdentityLevel::SignedIn => "proc.identity_signed_in",
            IdentityLevel::Card => "proc.identity_card",
        }
    }
}

/// Life events (ライフイベント) a procedure belongs to; the 手続きナビ (plan 1-3) builds on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LifeEvent {
    Birth,
    Marriage,
    Divorce,
    Death,
    MoveIn,
    MoveOut,
    MoveWithin,
    Childcare,
    Care,
    Disaster,
    Tax,
    Business,
}

impl LifeEvent {
    pub const ALL: [LifeEvent; 12] = [
        LifeEvent::Birth,
        LifeEvent::Marriage,
        LifeEvent::Divorce,
        LifeEvent::Death,
        LifeEvent::MoveIn,
        LifeEvent::MoveOut,
        LifeEvent::MoveWithin,
        LifeEvent::Childcare,
        LifeEvent::Care,
        LifeEvent::Disaster,
        LifeEvent::Tax,
        LifeEvent::Business,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            LifeEvent::Birth => "birth",
            LifeEvent::Marriage => "marriage",
            LifeEvent::Divorce => "divorce",
            LifeEvent::Death => "death",
            LifeEvent::MoveIn => "move_in",
            LifeEvent::MoveOut => "move_out",
            LifeEvent::MoveWithin => "move_within",
            LifeEvent::Childcare => "childcare",
            LifeEvent::Care => "care",
            LifeEvent::Disaster => "disaster",
            LifeEvent::Tax => "tax",
            LifeEvent::Business => "business",
        }
    }
    pub fn parse(s: &str) -> Option<LifeEvent> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }
    pub fn key(self) -> &'static str {
        match self {
            LifeEvent::Birth => "life.birth",
            LifeEvent::Marriage => "life.marriage",
            LifeEvent::Divorce => "life.divorce",
            LifeEvent::Death => "life.death",
            LifeEvent::MoveIn => "life.move_in",
            LifeEvent::MoveOut => "life.move_out",
            LifeEvent::MoveWithin => "life.move_within",
            LifeEvent::Childcare => "life.childcare",
            LifeEvent::Care => "life.care",
            LifeEvent::Disaster => "life.disaster",
            LifeEvent::Tax => "life.tax",
            LifeEvent::Business => "life.business",
        }
    }
}

/// Reads the stored comma-separated tags; unknown tags are skipped (a newer version may add some).
pub fn parse_life_events(s: &str) -> Vec<LifeEvent> {
    let mut v: Vec<LifeEvent> = s
        .split(',')
        .filter_map(|t| LifeEvent::parse(t.trim()))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The stored form: tags in a fixed order without duplicates, so equal sets compare equal.
pub fn join_life_events(events: &[LifeEvent]) -> String {
    let mut v = events.to_vec();
    v.sort();
    v.dedup();
    v.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(",")
}

/// A catalogue entry as its author writes it (the demo loader today, the staff editor later).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcedureDraft {
    pub slug: String,
    pub name_ja: String,
    pub name_en: String,
    /// Hiragana reading of `name_ja`, so kana queries find kanji names.
    pub reading_ja: String,
    /// Code of the 課 in charge, if assigned.
    pub department: Option<String>,
    pub summary_ja: String,
    pub summary_en: String,
    /// Who may apply.
    pub eligibility_ja: String,
    /// Required documents, one per line.
    pub documents_ja: String,
    pub legal_basis: String,
    /// None = free.
    pub fee_yen: Option<i64>,
    /// 標準処理期間 in days; None = not set, 0 = same day.
    pub processing_days: Option<i64>,
    pub identity_level: IdentityLevel,
    pub life_events: Vec<LifeEvent>,
    pub online: bool,
}

pub const MAX_SLUG: usize = 64;
pub const MAX_NAME: usize = 200;
pub const MAX_TEXT: usize = 4000;

/// A slug is the procedure's address: lower-case ASCII letters, digits and inner hyphens.
pub fn valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SLUG
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A reading is hiragana (with ー, ・ and spaces); ASCII letters and digits are allowed for
/// names such as 「DX推進」.
pub fn valid_reading(s: &str) -> bool {
    !s.trim().is_empty()
        && s.chars().count() <= MAX_NAME
        && s.chars().all(|c| {
            ('ぁ'..='ゖ').contains(&c)
                || matches!(c, 'ー' | '・' | ' ' | '　' | 'ゝ' | 'ゞ')
                || c.is_ascii_alphanumeric()
        })
}

/// Checks a draft; each problem is (field, message key).
pub fn validate(d: &ProcedureDraft) -> Vec<(&'static str, &'static str)> {
    let mut errs = Vec::new();
    if !valid_slug(&d.slug) {
        errs.push(("slug", "v.slug_invalid"));
    }
    for (field, v) in [("name_ja", &d.name_ja), ("name_en", &d.name_en)] {
        if v.trim().is_empty() {
            errs.push((field, "v.text_required"));
        } else if v.chars().count() > MAX_NAME {
            errs.push((field, "v.text_long"));
        }
    }
    if !valid_reading(&d.reading_ja) {
        errs.push(("reading_ja", "v.reading_invalid"));
    }
    for (field, v) in [
        ("summary_ja", &d.summary_ja),
        ("summary_en", &d.summary_en),
        ("eligibility_ja", &d.eligibility_ja),
        ("documents_ja", &d.documents_ja),
        ("legal_basis", &d.legal_basis),
    ] {
        if v.chars().count() > MAX_TEXT {
            errs.push((field, "v.text_long"));
        }
    }
    if d.summary_ja.trim().is_empty() {
        errs.push(("summary_ja", "v.text_required"));
    }
    if d.fee_yen.is_some_and(|f| !(0..=10_000_000).contains(&f)) {
        errs.push(("fee_yen", "v.amount_invalid"));
    }
    if d.processing_days.is_some_and(|p| !(0..=3650).contains(&p)) {
        errs.push(("processing_days", "v.days_invalid"));
    }
    errs
}

/// Separates fields in `search_text`. Normalisation removes it from every query token, so a
/// token can never match across two fields.
pub const FIELD_SEPARATOR: char = '|';

/// The normalised text search runs over: names, reading, summaries, eligibility, legal basis and
/// the Japanese names of the life events.
pub fn search_text(d: &ProcedureDraft) -> String {
    let mut parts = vec![
        d.name_ja.as_str(),
        d.reading_ja.as_str(),
        d.name_en.as_str(),
        d.summary_ja.as_str(),
        d.summary_en.as_str(),
        d.eligibility_ja.as_str(),
        d.legal_basis.as_str(),
    ];
    let mut events = d.life_events.clone();
    events.sort();
    events.dedup();
    parts.extend(events.iter().map(|e| Lang::Ja.t(e.key())));
    parts
        .into_iter()
        .map(normalize_for_search)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(&FIELD_SEPARATOR.to_string())
}

/// Escapes a normalised token for `LIKE … ESCAPE '!'` and wraps it in `%…%`.
pub fn like_contains(token: &str) -> String {
    let mut p = String::with_capacity(token.len() + 2);
    p.push('%');
    for c in token.chars() {
        if matches!(c, '%' | '_' | '!') {
            p.push('!');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The escape character used with [`like_contains`].
pub const LIKE_ESCAPE: char = '!';

/// Groups digits by thousands: 1500 → "1,500".
pub fn yen(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// 「1,200円」 / 「¥1,200」.
pub fn yen_label(n: i64, l: Lang) -> String {
    let digits = yen(n);
    match l {
        Lang::Ja => format!("{digits}円"),
        Lang::En => format!("¥{digits}"),
    }
}

/// 「手数料 300円」 / 「無料」.
pub fn fee_label(l: Lang, fee: Option<i64>) -> String {
    match fee {
        Some(f) if f > 0 => l.t("proc.fee_amount").replace("{n}", &yen(f)),
        _ => l.t("proc.free").to_owned(),
    }
}

/// 「標準処理期間 14日」, 「即日」 for 0, 「定めなし」 when not set.
pub fn processing_label(l: Lang, days: Option<i64>) -> String {
    match days {
        Some(0) => l.t("proc.processing_same_day").to_owned(),
        Some(d) => l.t("proc.processing_days").replace("{n}", &d.to_string()),
        None => l.t("proc.processing_none").to_owned(),
    }
}

/// Plan 1-1 KPI for one municipality: procedures residents can complete online.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OnlineKpi {
    /// 全国地方公共団体コード.
    pub municipality: String,
    /// Catalogue entries marked online.
    pub online: i64,
    /// All catalogue entries.
    pub total: i64,
    /// The plan's target, where the municipality has one (市川市: 173 by the end of FY2025).
    pub target: Option<i64>,
    /// The plan's starting point (市川市: 73 in April 2024).
    pub baseline: Option<i64>,
}

/// Baseline and target of the "procedures online" KPI. Only 市川市's DX Action Plan (1-1: 73 →
/// 173) is known; other municipalities have none until their plans are entered, and the API
/// then answers `null` rather than borrowing Ichikawa's numbers.
pub fn kpi_plan(municipality: &str) -> Option<(i64, i64)> {
    match municipality {
        "122033" => Some((73, 173)),
        _ => None,
    }
}

pub fn online_kpi(municipality: &str, online: i64, total: i64) -> OnlineKpi {
    let plan = kpi_plan(municipality);
    OnlineKpi {
        municipality: municipality.to_owned(),
        online,
        total,
        baseline: plan.map(|p| p.0),
        target: plan.map(|p| p.1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::has_key;

    fn draft() -> ProcedureDraft {
        ProcedureDraft {
            slug: "jido-teate".into(),
            name_ja: "児童手当の認定請求".into(),
            name_en: "Child allowance".into(),
            reading_ja: "じどうてあてのにんていせいきゅう".into(),
            department: None,
            summary_ja: "概要".into(),
            summary_en: "Summary".into(),
            eligibility_ja: "".into(),
            documents_ja: "".into(),
            legal_basis: "児童手当法".into(),
            fee_yen: None,
            processing_days: Some(30),
            identity_level: IdentityLevel::Card,
            life_events: vec![LifeEvent::Childcare, LifeEvent::Birth, LifeEvent::Birth],
            online: true,
        }
    }

    #[test]
    fn tags_round_trip_in_canonical_order() {
        assert_eq!(
            join_life_events(&[LifeEvent::Care, LifeEvent::Birth, LifeEvent::Care]),
            "birth,care"
        );
        assert_eq!(
            parse_life_events("care, birth,unknown,,care"),
            vec![LifeEvent::Birth, LifeEvent::Care]
        );
        assert_eq!(parse_life_events(""), vec![]);
        for e in LifeEvent::ALL {
            assert_eq!(LifeEvent::parse(e.as_str()), Some(e));
            assert_eq!(parse_life_events(&join_life_events(&[e])), vec![e]);
        }
        for l in IdentityLevel::ALL {
            assert_eq!(IdentityLevel::parse(l.as_str()), Some(l));
        }
        assert_eq!(IdentityLevel::parse("Card"), None);
    }

    #[test]
    fn slugs() {
        for ok in ["a", "jido-teate", "kaigo-2", "x1"] {
            assert!(valid_slug(ok), "{ok}");
        }
        let long = "a".repeat(65);
        for bad in [
            "", "-a", "a-", "a--b", "A", "a_b", "a b", "児童", "a/b", &long,
        ] {
            assert!(!valid_slug(bad), "{bad}");
        }
    }

    #[test]
    fn readings() {
        assert!(valid_reading("じどうてあて"));
        assert!(valid_reading("ようかいご・ようしえん にんてい"));
        assert!(valid_reading("DXすいしん"));
        assert!(!valid_reading("ジドウテアテ"), "katakana is not a reading");
        assert!(!valid_reading("児童手当"));
        assert!(!valid_reading("  "));
    }

    #[test]
    fn validation_names_each_bad_field() {
        assert!(validate(&draft()).is_empty());
        let mut d = draft();
        d.slug = "Bad Slug".into();
        d.name_en = " ".into();
        d.reading_ja = "カナ".into();
        d.fee_yen = Some(-1);
        d.processing_days = Some(5000);
        d.summary_ja = "".into();
        let fields: Vec<&str> = validate(&d).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            vec![
                "slug",
                "name_en",
                "reading_ja",
                "summary_ja",
                "fee_yen",
                "processing_days"
            ]
        );
        for (_, key) in validate(&d) {
            assert!(has_key(key), "{key}");
        }
    }

    #[test]
    fn search_text_holds_every_searchable_field_normalised() {
        let t = search_text(&draft());
        assert!(t.contains("児童手当の認定請求"));
        assert!(t.contains("じどうてあてのにんていせいきゅう"));
        assert!(t.contains("childallowance"));
        assert!(t.contains("児童手当法"));
        // Life-event names, once each.
        let care = normalize_for_search(Lang::Ja.t("life.childcare"));
        assert_eq!(t.matches(care.as_str()).count(), 1);
        assert!(!t.contains("||"), "empty fields leave no gap: {t}");
        // A token never contains the separator.
        assert!(!normalize_for_search("a|b").contains(FIELD_SEPARATOR));
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_contains("じどう"), "%じどう%");
        assert_eq!(like_contains("100%"), "%100!%%");
        assert_eq!(like_contains("a_b!"), "%a!_b!!%");
    }

    #[test]
    fn fees_and_periods_in_plain_words() {
        assert_eq!(yen(300), "300");
        assert_eq!(yen(1500), "1,500");
        assert_eq!(yen(1_234_567), "1,234,567");
        assert_eq!(yen(0), "0");
        assert_eq!(fee_label(Lang::Ja, Some(300)), "手数料 300円");
        assert_eq!(fee_label(Lang::Ja, None), "無料");
        assert_eq!(fee_label(Lang::Ja, Some(0)), "無料");
        assert_eq!(fee_label(Lang::En, Some(3000)), "Fee: ¥3,000");
        assert_eq!(processing_label(Lang::Ja, Some(30)), "標準処理期間 30日");
        assert_eq!(processing_label(Lang::Ja, Some(0)), "標準処理期間 即日");
        assert!(processing_label(Lang::Ja, None).contains("定め"));
    }

    #[test]
    fn kpi_plan_only_for_ichikawa() {
        let k = online_kpi("122033", 5, 20);
        assert_eq!((k.baseline, k.target), (Some(73), Some(173)));
        let k = online_kpi("123226", 1, 5);
        assert_eq!((k.baseline, k.target), (None, None));
        assert_eq!((k.online, k.total), (1, 5));
    }
}
