//! The runner's pure rules: what a button press means, how typed input is kept and put back,
//! group items added and removed, answers of skipped pages dropped, uploads checked by type,
//! content and size, the idempotency key of a draft, and draft expiry. No database, HTTP or
//! clock here (times are parameters).

use sha2::{Digest, Sha256};

use super::engine::{self, Answers};
use crate::procedures::form::def::{Field, FieldKind, FormDefinition, Page};

/// Drafts are kept this long after their last save (docs/applying.md).
pub const DRAFT_TTL_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// The expiry of a draft saved at `now`.
pub fn expiry(now_ms: i64) -> i64 {
    now_ms.saturating_add(DRAFT_TTL_MS)
}

/// What the resident asked for with the button they pressed (`name="action"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// 「次へ進む」 (also Enter in a text box, which submits without an action).
    Next,
    /// 「戻る」: keep what was typed, valid or not, and go back.
    Back,
    /// 「あとで続ける」: keep what was typed and ask where to mail the resume link.
    Later,
    /// 「子どもを追加」
    Add(String),
    /// 「この子どもを削除」: group id and item index.
    Remove(String, usize),
    /// 「住所を検索」: the address field's input name prefix (`f.address` or `f.kids.0.addr`).
    Postal(String),
    /// 「削除」 next to an uploaded file: the file answer's path.
    RemoveFile(String),
}

impl Action {
    pub fn parse(s: &str) -> Action {
        let (verb, arg) = s.split_once(':').unwrap_or((s, ""));
        match verb {
            "back" => Action::Back,
            "later" => Action::Later,
            "add" if !arg.is_empty() => Action::Add(arg.to_owned()),
            "remove" => match arg.rsplit_once('.') {
                Some((g, i)) => match i.parse() {
                    Ok(i) if !g.is_empty() => Action::Remove(g.to_owned(), i),
                    _ => Action::Next,
                },
                None => Action::Next,
            },
            "postal" if !arg.is_empty() => Action::Postal(arg.to_owned()),
            "remove-file" if !arg.is_empty() => Action::RemoveFile(arg.to_owned()),
            _ => Action::Next,
        }
    }
}

/// Input name of a field at a path: `children/0/name` → `f.children.0.name`.
pub fn input_name(path: &str) -> String {
    format!("f.{}", path.replace('/', "."))
}

/// Element id of a field at a path: `children/0/name` → `f-children-0-name`.
pub fn input_id(path: &str) -> String {
    format!("f-{}", path.replace(['/', '.'], "-"))
}

/// Hidden input that carries how many items of a group are on the page.
pub fn count_name(group: &str) -> String {
    format!("n.{group}")
}

/// The fields' inputs as a browser would send them, from canonical answers (to show a page
/// again that was answered before). Dates come back as 和暦, which the engine reads again.
pub fn answers_to_pairs(
    fields: &[Field],
    answers: &Answers,
    prefix: &str,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in fields {
        let path = format!("{prefix}{}", f.id);
        let name = input_name(&path);
        let Some(v) = answers.get(&f.id) else {
            continue;
        };
        match &f.kind {
            FieldKind::Name { .. } | FieldKind::Address => {
                if let Some(o) = v.as_object() {
                    for (k, sub) in o {
                        if let Some(s) = sub.as_str() {
                            out.push((format!("{name}.{k}"), s.to_owned()));
                        }
                    }
                }
            }
            FieldKind::Date { .. } => {
                if let Some(s) = v.as_str() {
                    let shown = time::Date::parse(
                        s,
                        time::macros::format_description!("[year]-[month]-[day]"),
                    )
                    .ok()
                    .map(crate::procedures::jp::format_wareki)
                    .unwrap_or_else(|| s.to_owned());
                    out.push((name, shown));
                }
            }
            FieldKind::YesNo => {
                if let Some(b) = v.as_bool() {
                    out.push((name, if b { "yes" } else { "no" }.to_owned()));
                }
            }
            FieldKind::Consent { .. } => {
                if v.as_bool() == Some(true) {
                    out.push((name, "on".to_owned()));
                }
            }
            FieldKind::MultiChoice { .. } => {
                for item in v.as_array().into_iter().flatten() {
                    if let Some(s) = item.as_str() {
                        out.push((name.clone(), s.to_owned()));
                    }
                }
            }
            FieldKind::File { .. } => {}
            FieldKind::Group { fields, .. } => {
                let items = v.as_array().map(Vec::as_slice).unwrap_or_default();
                out.push((count_name(&f.id), items.len().to_string()));
                for (i, item) in items.iter().enumerate() {
                    if let Some(o) = item.as_object() {
                        out.extend(answers_to_pairs(fields, o, &format!("{path}/{i}/")));
                    }
                }
            }
            _ => match v {
                serde_json::Value::String(s) => out.push((name, s.clone())),
                serde_json::Value::Number(n) => out.push((name, n.to_string())),
                _ => {}
            },
        }
    }
    out
}

/// First value sent under a name.
pub fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// How many items of a group the page shows: the hidden count, else the highest index sent,
/// never fewer than `min_items` nor more than `max_items`, and at least one.
pub fn item_count(pairs: &[(String, String)], group: &str, min: u32, max: u32) -> usize {
    let prefix = format!("f.{group}.");
    let by_index = pairs
        .iter()
        .filter_map(|(k, _)| {
            k.strip_prefix(&prefix)?
                .split('.')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .map(|i| i + 1)
        .max()
        .unwrap_or(0);
    let sent = get(pairs, &count_name(group))
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    let n = sent.max(by_index).max(min as usize).max(1);
    n.min(max.max(1) as usize)
}

/// Sets the hidden item count of a group.
pub fn set_count(pairs: &mut Vec<(String, String)>, group: &str, n: usize) {
    let name = count_name(group);
    pairs.retain(|(k, _)| *k != name);
    pairs.push((name, n.to_string()));
}

/// Removes item `index` of a group and renumbers the items after it, so indexes stay 0..n.
pub fn remove_item(pairs: &[(String, String)], group: &str, index: usize) -> Vec<(String, String)> {
    let prefix = format!("f.{group}.");
    pairs
        .iter()
        .filter_map(|(k, v)| {
            let Some(rest) = k.strip_prefix(&prefix) else {
                return Some((k.clone(), v.clone()));
            };
            let (i, tail) = rest.split_once('.').unwrap_or((rest, ""));
            match i.parse::<usize>() {
                Ok(i) if i == index => None,
                Ok(i) if i > index => Some((format!("{prefix}{}.{tail}", i - 1), v.clone())),
                _ => Some((k.clone(), v.clone())),
            }
        })
        .collect()
}

/// The answers a submission may carry: only those of pages and fields still shown. An answer
/// given on a page that a later change skipped is dropped (the engine refuses hidden answers).
pub fn prune(def: &FormDefinition, answers: &Answers) -> Answers {
    let mut kept = Answers::new();
    for page in &def.pages {
        // Conditions look only at earlier fields, so what is kept so far decides this page.
        if !engine::shown_pages(def, &kept)
            .iter()
            .any(|p| p.id == page.id)
        {
            continue;
        }
        for f in &page.fields {
            if engine::field_shown(f, &kept)
                && let Some(v) = answers.get(&f.id)
            {
                kept.insert(f.id.clone(), v.clone());
            }
        }
    }
    kept
}

/// The page that holds a field (by the first segment of an error path).
pub fn page_of<'a>(def: &'a FormDefinition, path: &str) -> Option<&'a Page> {
    let top = path.split('/').next().unwrap_or(path);
    def.pages
        .iter()
        .find(|p| p.fields.iter().any(|f| f.id == top))
}

/// The key that makes a double-clicked or retried 「申請する」 one application: the same draft
/// with the same answers always gives the same key.
pub fn idempotency_key(draft_id: i64, form_version_id: i64, answers: &Answers) -> String {
    let canonical = serde_json::json!([draft_id, form_version_id, answers]).to_string();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

// ---- uploads ------------------------------------------------------------------------------

/// The type a file's first bytes say it is (PDF, JPEG, PNG, HEIC/HEIF), whatever its name.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        match &bytes[8..12] {
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" => Some("image/heic"),
            b"mif1" | b"msf1" => Some("image/heif"),
            _ => None,
        }
    } else {
        None
    }
}

/// Why an upload was refused (each becomes a field message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadProblem {
    TooLarge {
        max_bytes: u64,
    },
    Empty,
    /// The declared or the real type is not one the field accepts.
    WrongType,
}

/// Checks a file: size, then the declared type, then what its bytes really are.
pub fn check_upload(
    accept: &[String],
    max_bytes: u64,
    declared: &str,
    size: u64,
    head: &[u8],
) -> Result<&'static str, UploadProblem> {
    if size > max_bytes {
        return Err(UploadProblem::TooLarge { max_bytes });
    }
    if size == 0 {
        return Err(UploadProblem::Empty);
    }
    let declared = normalise_type(declared);
    let accepted = |t: &str| accept.iter().any(|a| normalise_type(a) == t);
    let real = sniff(head).ok_or(UploadProblem::WrongType)?;
    // Some phones send HEIC as application/octet-stream: the bytes decide then.
    if (declared != "application/octet-stream" && declared != real) || !accepted(real) {
        return Err(UploadProblem::WrongType);
    }
    Ok(real)
}

fn normalise_type(t: &str) -> String {
    let t = t
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match t.as_str() {
        "image/jpg" | "image/pjpeg" => "image/jpeg".to_owned(),
        "image/heif-sequence" => "image/heif".to_owned(),
        _ => t,
    }
}

/// 「5MB」: a size limit in whole megabytes (MiB), as residents read it.
pub fn mb_label(bytes: u64) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if (mb - mb.round()).abs() < 0.05 {
        format!("{}MB", mb.round() as u64)
    } else {
        format!("{mb:.1}MB")
    }
}

/// A file name safe to show and store: path parts, control characters and excess length gone.
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let s: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    let s = s.trim().to_owned();
    if s.is_empty() { "file".to_owned() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def() -> FormDefinition {
        serde_json::from_value(json!({
            "format": 1, "title_ja": "t", "title_en": "t",
            "pages": [
              {"id": "a", "title_ja": "A", "title_en": "A", "fields": [
                {"id": "married", "label_ja": "婚姻", "label_en": "m", "type": "yes_no"}]},
              {"id": "b", "title_ja": "B", "title_en": "B",
               "show_if": {"equals": {"field": "married", "value": true}},
               "fields": [{"id": "spouse", "label_ja": "配偶者", "label_en": "s", "type": "text"}]},
              {"id": "c", "title_ja": "C", "title_en": "C", "fields": [
                {"id": "kids", "label_ja": "子", "label_en": "k", "type": "group",
                 "item_label_ja": "子ども", "item_label_en": "child",
                 "fields": [{"id": "n", "label_ja": "名", "label_en": "n", "type": "text"},
                            {"id": "b", "label_ja": "生", "label_en": "b", "type": "date"}]}]}
            ]
        }))
        .expect("definition")
    }

    fn p(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn actions_parse_and_unknown_means_next() {
        assert_eq!(Action::parse(""), Action::Next);
        assert_eq!(Action::parse("back"), Action::Back);
        assert_eq!(Action::parse("later"), Action::Later);
        assert_eq!(Action::parse("add:kids"), Action::Add("kids".into()));
        assert_eq!(
            Action::parse("remove:kids.2"),
            Action::Remove("kids".into(), 2)
        );
        assert_eq!(Action::parse("remove:kids.x"), Action::Next);
        assert_eq!(Action::parse("remove:.1"), Action::Next);
        assert_eq!(
            Action::parse("postal:f.home"),
            Action::Postal("f.home".into())
        );
        assert_eq!(
            Action::parse("remove-file:doc"),
            Action::RemoveFile("doc".into())
        );
        assert_eq!(Action::parse("add:"), Action::Next);
        assert_eq!(Action::parse("delete-everything"), Action::Next);
    }

    #[test]
    fn names_and_ids_follow_the_engine_convention() {
        assert_eq!(input_name("kids/0/n"), "f.kids.0.n");
        assert_eq!(input_id("kids/0/n"), "f-kids-0-n");
        assert_eq!(input_id("applicant/family_kana"), "f-applicant-family_kana");
    }

    #[test]
    fn removing_an_item_renumbers_the_rest() {
        let pairs = vec![
            p("f.kids.0.n", "太郎"),
            p("f.kids.1.n", "次郎"),
            p("f.kids.2.n", "三郎"),
            p("f.kids.2.b", "令和6年4月1日"),
            p("f.other", "x"),
            p("n.kids", "3"),
        ];
        let out = remove_item(&pairs, "kids", 1);
        assert_eq!(
            out,
            vec![
                p("f.kids.0.n", "太郎"),
                p("f.kids.1.n", "三郎"),
                p("f.kids.1.b", "令和6年4月1日"),
                p("f.other", "x"),
                p("n.kids", "3"),
            ]
        );
        assert_eq!(
            item_count(&out, "kids", 0, 10),
            3,
            "hidden count still says 3"
        );
        let mut out = out;
        set_count(&mut out, "kids", 2);
        assert_eq!(item_count(&out, "kids", 0, 10), 2);
    }

    #[test]
    fn item_count_is_bounded() {
        assert_eq!(item_count(&[], "kids", 0, 10), 1);
        assert_eq!(item_count(&[], "kids", 2, 10), 2);
        assert_eq!(item_count(&[p("n.kids", "50")], "kids", 0, 10), 10);
        assert_eq!(item_count(&[p("f.kids.4.n", "")], "kids", 0, 10), 5);
        assert_eq!(item_count(&[p("n.kids", "zz")], "kids", 0, 3), 1);
    }

    #[test]
    fn answers_come_back_as_inputs() {
        let d = def();
        let a = json!({"married": true})
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            answers_to_pairs(&d.pages[0].fields, &a, ""),
            vec![p("f.married", "yes")]
        );
        let a = json!({"kids": [{"n": "太郎", "b": "2024-04-01"}, {"n": "花子"}]})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let pairs = answers_to_pairs(&d.pages[2].fields, &a, "");
        assert_eq!(
            pairs,
            vec![
                p("n.kids", "2"),
                p("f.kids.0.n", "太郎"),
                p("f.kids.0.b", "令和6年4月1日"),
                p("f.kids.1.n", "花子"),
            ]
        );
    }

    #[test]
    fn prune_drops_answers_of_skipped_pages() {
        let d = def();
        let a = json!({"married": false, "spouse": "x", "kids": []})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let kept = prune(&d, &a);
        assert!(!kept.contains_key("spouse"));
        assert!(kept.contains_key("married") && kept.contains_key("kids"));
        let a = json!({"married": true, "spouse": "x"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(prune(&d, &a).contains_key("spouse"));
        assert_eq!(page_of(&d, "kids/0/b").map(|p| p.id.as_str()), Some("c"));
        assert_eq!(page_of(&d, "nothing"), None);
    }

    #[test]
    fn idempotency_key_is_stable_and_answer_sensitive() {
        let a = json!({"x": 1}).as_object().cloned().unwrap_or_default();
        let b = json!({"x": 2}).as_object().cloned().unwrap_or_default();
        assert_eq!(idempotency_key(1, 2, &a), idempotency_key(1, 2, &a));
        assert_ne!(idempotency_key(1, 2, &a), idempotency_key(1, 2, &b));
        assert_ne!(idempotency_key(1, 2, &a), idempotency_key(1, 3, &a));
        assert_ne!(idempotency_key(1, 2, &a), idempotency_key(4, 2, &a));
    }

    #[test]
    fn sniffing_reads_magic_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0"), Some("image/heic"));
        assert_eq!(sniff(b"\0\0\0\x18ftypmif1\0\0"), Some("image/heif"));
        assert_eq!(
            sniff(b"\0\0\0\x18ftypisom\0\0"),
            None,
            "an MP4 is not an image"
        );
        assert_eq!(sniff(b"MZ\x90\0"), None);
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn uploads_are_checked_by_size_declared_and_real_type() {
        let accept = vec!["application/pdf".to_owned(), "image/jpeg".to_owned()];
        let pdf = b"%PDF-1.4 rest";
        assert_eq!(
            check_upload(&accept, 100, "application/pdf", 13, pdf),
            Ok("application/pdf")
        );
        assert_eq!(
            check_upload(&accept, 10, "application/pdf", 13, pdf),
            Err(UploadProblem::TooLarge { max_bytes: 10 })
        );
        assert_eq!(
            check_upload(&accept, 100, "application/pdf", 0, b""),
            Err(UploadProblem::Empty)
        );
        // A PNG renamed .pdf, an executable declared as a PDF, a type the field does not take.
        assert_eq!(
            check_upload(
                &accept,
                100,
                "application/pdf",
                12,
                b"\x89PNG\r\n\x1a\n...."
            ),
            Err(UploadProblem::WrongType)
        );
        assert_eq!(
            check_upload(&accept, 100, "application/pdf", 4, b"MZ\x90\0"),
            Err(UploadProblem::WrongType)
        );
        assert_eq!(
            check_upload(&accept, 100, "image/png", 12, b"\x89PNG\r\n\x1a\n...."),
            Err(UploadProblem::WrongType)
        );
        assert_eq!(
            check_upload(&accept, 100, "image/jpg", 4, &[0xFF, 0xD8, 0xFF, 0]),
            Ok("image/jpeg")
        );
        assert_eq!(
            check_upload(&accept, 100, "application/octet-stream", 13, pdf),
            Ok("application/pdf")
        );
    }

    #[test]
    fn labels_and_names() {
        assert_eq!(mb_label(5 * 1024 * 1024), "5MB");
        assert_eq!(mb_label(1536 * 1024), "1.5MB");
        assert_eq!(clean_filename("C:\\Users\\me\\保険証.pdf"), "保険証.pdf");
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("a\u{0}b\n.pdf"), "ab.pdf");
        assert_eq!(clean_filename("   "), "file");
        assert_eq!(expiry(0), DRAFT_TTL_MS);
    }
}
