//! The page renderer: one page of a form definition, with what was typed and the errors, as
//! plain view structs for `templates/runner/_fields.html`. The resident pages use it, and the
//! staff editor's live preview can call [`preview_html`] to show a page exactly as a resident
//! will see it.

use askama::Template;

use super::engine::{self, Answers, FieldError};
use super::flow::{self, get, input_id, input_name};
use super::store::AttachmentMeta;
use crate::procedures::form::def::{Field, FieldKind, FormDefinition, Page};
use crate::web::i18n::Lang;

/// One input of a composite field (a name's family name, an address's postal code).
pub struct SubInput {
    pub name: String,
    pub id: String,
    pub label: &'static str,
    pub value: String,
    pub autocomplete: &'static str,
    pub inputmode: &'static str,
    pub invalid: bool,
    /// The 「住所を検索」 button goes after this input.
    pub postal_button: bool,
    pub hint: &'static str,
    /// Filled in from a fact checked with the My Number card: read-only.
    pub verified: bool,
}

pub struct OptView {
    pub id: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
    /// Another option of a choice the card's fact answers: not choosable.
    pub disabled: bool,
}

pub struct FileView {
    pub public_id: String,
    pub name: String,
    pub size: String,
}

pub struct ItemView {
    pub legend: String,
    pub remove_action: String,
    pub remove_label: String,
    pub can_remove: bool,
    pub fields: Vec<FieldView>,
}

/// One field as the template draws it. `kind` selects the markup.
pub struct FieldView {
    pub kind: &'static str,
    pub path: String,
    pub name: String,
    pub id: String,
    pub label: String,
    pub hint: String,
    pub required: bool,
    pub hidden: bool,
    pub error: String,
    pub value: String,
    pub input_type: &'static str,
    pub autocomplete: &'static str,
    pub inputmode: &'static str,
    pub unit: String,
    pub max_len: u32,
    pub subs: Vec<SubInput>,
    pub options: Vec<OptView>,
    pub file: Option<FileView>,
    pub accept: String,
    pub consent_text: String,
    pub items: Vec<ItemView>,
    pub count_name: String,
    pub add_action: String,
    pub add_label: String,
    pub can_add: bool,
    /// Filled in from a fact checked with the My Number card (`prefill`): read-only.
    pub verified: bool,
}

impl FieldView {
    fn new(kind: &'static str, path: &str, f: &Field, l: Lang) -> FieldView {
        let (label, hint) = match l {
            Lang::Ja => (&f.label_ja, &f.hint_ja),
            Lang::En => (&f.label_en, &f.hint_en),
        };
        FieldView {
            kind,
            path: path.to_owned(),
            name: input_name(path),
            id: input_id(path),
            label: label.clone(),
            hint: hint.clone().unwrap_or_default(),
            required: f.required,
            hidden: false,
            error: String::new(),
            value: String::new(),
            input_type: "text",
            autocomplete: "",
            inputmode: "",
            unit: String::new(),
            max_len: 0,
            subs: Vec::new(),
            options: Vec::new(),
            file: None,
            accept: String::new(),
            consent_text: String::new(),
            items: Vec::new(),
            count_name: String::new(),
            add_action: String::new(),
            add_label: String::new(),
            can_add: false,
            verified: false,
        }
    }
    /// Ids for `aria-describedby`: the error first, then the hint.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if !self.error.is_empty() {
            ids.push(format!("{}-err", self.id));
        }
        if !self.hint.is_empty() {
            ids.push(format!("{}-hint", self.id));
        }
        ids.join(" ")
    }
    pub fn invalid(&self) -> bool {
        !self.error.is_empty()
    }
}

/// Marks the inputs that hold a verified fact (`fills(input name)`, from
/// `identity::prefill`): they are drawn read-only with 「マイナンバーカードで確認済み」. A name
/// or address is marked as a whole when any of its inputs is (フリガナ, 郵便番号 and 建物名 stay
/// editable, and a verified address has no 「住所を検索」, which would replace it); a choice's
/// other options are disabled.
pub fn mark_verified(fields: &mut [FieldView], fills: impl Fn(&str) -> bool, l: Lang) {
    for f in fields {
        f.verified = fills(&f.name);
        for s in &mut f.subs {
            s.verified = fills(&s.name);
            f.verified |= s.verified;
        }
        if f.kind == "address" && f.subs.iter().any(|s| s.verified) {
            for s in &mut f.subs {
                if s.postal_button {
                    s.postal_button = false;
                    s.hint = l.t("identity.postal_hint_verified");
                }
            }
        }
        // How to type a date says nothing to a resident who cannot type it.
        if f.kind == "date" && f.verified && f.hint == l.t("runner.date_hint") {
            f.hint.clear();
        }
        if f.kind == "choice" && f.verified {
            for o in &mut f.options {
                o.disabled = !o.checked;
            }
        }
    }
}

/// Everything the field renderer needs besides the definition.
pub struct Input<'a> {
    /// What the browser sent (or the answers turned back into inputs).
    pub pairs: &'a [(String, String)],
    /// Answers so far, for the conditions of fields on this page.
    pub answers: &'a Answers,
    pub errors: &'a [FieldError],
    pub files: &'a [AttachmentMeta],
    pub l: Lang,
}

fn errors_for(errors: &[FieldError], path: &str, l: Lang) -> String {
    let mut msgs: Vec<&str> = Vec::new();
    for e in errors {
        let hit = e.path == path
            || e.path
                .strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('/'));
        if hit {
            let m = e.message(l);
            if !msgs.contains(&m) {
                msgs.push(m);
            }
        }
    }
    msgs.join(" ")
}

fn has_error(errors: &[FieldError], path: &str) -> bool {
    errors.iter().any(|e| e.path == path)
}

/// The views of a page's fields. A field whose condition does not hold (on the answers so far
/// and what this page sent) is drawn `hidden` with disabled inputs, so it is not sent; the
/// script shows it when the condition starts to hold.
pub fn fields(page: &Page, input: &Input<'_>) -> Vec<FieldView> {
    // Answers of this page as far as they can be read without errors, for same-page conditions.
    let mut answers = input.answers.clone();
    for f in &page.fields {
        if let Some(v) = simple_value(f, input.pairs) {
            answers.insert(f.id.clone(), v);
        }
    }
    page.fields
        .iter()
        .map(|f| {
            let mut v = field(f, &f.id, input);
            v.hidden = !engine::field_shown(f, &answers);
            v
        })
        .collect()
}

/// A choice or yes/no answer straight from the inputs (what same-page conditions test).
fn simple_value(f: &Field, pairs: &[(String, String)]) -> Option<serde_json::Value> {
    let v = get(pairs, &input_name(&f.id))?;
    match &f.kind {
        FieldKind::YesNo => match v {
            "yes" => Some(true.into()),
            "no" => Some(false.into()),
            _ => None,
        },
        FieldKind::Choice { .. } => Some(v.into()),
        FieldKind::MultiChoice { .. } => Some(serde_json::Value::Array(
            pairs
                .iter()
                .filter(|(k, _)| *k == input_name(&f.id))
                .map(|(_, v)| v.as_str().into())
                .collect(),
        )),
        _ => None,
    }
}

/// The view of one field at `path` (also used by the 補正 form for repeating groups).
pub fn field(f: &Field, path: &str, input: &Input<'_>) -> FieldView {
    let l = input.l;
    let pairs = input.pairs;
    let kind = match &f.kind {
        FieldKind::Text { .. } => "text",
        FieldKind::LongText { .. } => "long_text",
        FieldKind::Name { .. } => "name",
        FieldKind::Date { .. } => "date",
        FieldKind::Address => "address",
        FieldKind::Phone => "text",
        FieldKind::Email => "text",
        FieldKind::Yen { .. } => "text",
        FieldKind::Number { .. } => "text",
        FieldKind::Choice { .. } => "choice",
        FieldKind::MultiChoice { .. } => "multi",
        FieldKind::YesNo => "choice",
        FieldKind::File { .. } => "file",
        FieldKind::Group { .. } => "group",
        FieldKind::Consent { .. } => "consent",
    };
    let mut v = FieldView::new(kind, path, f, l);
    v.error = errors_for(input.errors, path, l);
    v.value = get(pairs, &v.name).unwrap_or("").to_owned();
    let in_group = path.contains('/');
    match &f.kind {
        FieldKind::Text { max_len } | FieldKind::LongText { max_len } => {
            v.max_len = *max_len;
        }
        FieldKind::Name { furigana } => {
            let mut subs = vec![
                ("family", "runner.family", "family-name"),
                ("given", "runner.given", "given-name"),
            ];
            if *furigana {
                subs.push(("family_kana", "runner.family_kana", ""));
                subs.push(("given_kana", "runner.given_kana", ""));
            }
            v.subs = subs
                .into_iter()
                .map(|(k, label, ac)| sub(&v, input, k, label, if in_group { "" } else { ac }, ""))
                .collect();
        }
        FieldKind::Date { .. } => {
            if v.hint.is_empty() {
                v.hint = l.t("runner.date_hint").to_owned();
            }
            if !in_group && f.id.contains("birth") {
                v.autocomplete = "bday";
            }
        }
        FieldKind::Address => {
            let pc = if in_group { "" } else { "postal-code" };
            let mut postal = sub(
                &v,
                input,
                "postal_code",
                "runner.postal_code",
                pc,
                "numeric",
            );
            postal.postal_button = true;
            postal.hint = l.t("runner.postal_hint");
            let a1 = if in_group { "" } else { "address-line1" };
            let a2 = if in_group { "" } else { "address-line2" };
            v.subs = vec![
                postal,
                sub(&v, input, "address", "runner.address", a1, ""),
                sub(&v, input, "building", "runner.building", a2, ""),
            ];
        }
        FieldKind::Phone => {
            v.input_type = "tel";
            v.inputmode = "tel";
            if !in_group {
                v.autocomplete = "tel";
            }
        }
        FieldKind::Email => {
            v.input_type = "email";
            v.inputmode = "email";
            if !in_group {
                v.autocomplete = "email";
            }
        }
        FieldKind::Yen { .. } => {
            v.inputmode = "numeric";
            v.unit = l.t("runner.yen_unit").to_owned();
        }
        FieldKind::Number {
            unit_ja, unit_en, ..
        } => {
            v.inputmode = "numeric";
            v.unit = match l {
                Lang::Ja => unit_ja.clone(),
                Lang::En => unit_en.clone(),
            }
            .unwrap_or_default();
        }
        FieldKind::Choice { options } | FieldKind::MultiChoice { options, .. } => {
            let chosen: Vec<&str> = pairs
                .iter()
                .filter(|(k, _)| *k == v.name)
                .map(|(_, x)| x.as_str())
                .collect();
            v.options = options
                .iter()
                .enumerate()
                .map(|(i, o)| OptView {
                    id: if i == 0 {
                        v.id.clone()
                    } else {
                        format!("{}-{}", v.id, o.value)
                    },
                    value: o.value.clone(),
                    label: match l {
                        Lang::Ja => o.label_ja.clone(),
                        Lang::En => o.label_en.clone(),
                    },
                    checked: chosen.contains(&o.value.as_str()),
                    disabled: false,
                })
                .collect();
        }
        FieldKind::YesNo => {
            v.options = [("yes", "runner.yes"), ("no", "runner.no")]
                .into_iter()
                .enumerate()
                .map(|(i, (val, key))| OptView {
                    id: if i == 0 {
                        v.id.clone()
                    } else {
                        format!("{}-{val}", v.id)
                    },
                    value: val.to_owned(),
                    label: l.t(key).to_owned(),
                    checked: v.value == val,
                    disabled: false,
                })
                .collect();
        }
        FieldKind::File { accept, max_bytes } => {
            v.accept = accept.join(",");
            if v.hint.is_empty() {
                v.hint = l
                    .t("runner.file_hint")
                    .replace("{types}", &type_names(accept))
                    .replace("{max}", &flow::mb_label(*max_bytes));
            }
            v.file = input
                .files
                .iter()
                .find(|a| a.field_path == path)
                .map(|a| FileView {
                    public_id: a.public_id.clone(),
                    name: a.filename.clone(),
                    size: size_label(a.size_bytes),
                });
        }
        FieldKind::Group {
            fields,
            min_items,
            max_items,
            item_label_ja,
            item_label_en,
        } => {
            let item_label = match l {
                Lang::Ja => item_label_ja,
                Lang::En => item_label_en,
            };
            let n = flow::item_count(pairs, &f.id, *min_items, *max_items);
            v.count_name = flow::count_name(&f.id);
            v.value = n.to_string();
            v.items = (0..n)
                .map(|i| ItemView {
                    legend: l
                        .t("runner.item_legend")
                        .replace("{n}", &(i + 1).to_string())
                        .replace("{item}", item_label),
                    remove_action: format!("remove:{}.{i}", f.id),
                    remove_label: l.t("runner.remove_item").replace("{item}", item_label),
                    can_remove: n > (*min_items as usize).max(1),
                    fields: fields
                        .iter()
                        .map(|inner| field(inner, &format!("{path}/{i}/{}", inner.id), input))
                        .collect(),
                })
                .collect();
            v.add_action = format!("add:{}", f.id);
            v.add_label = l.t("runner.add_item").replace("{item}", item_label);
            v.can_add = n < *max_items as usize;
        }
        FieldKind::Consent { text_ja, text_en } => {
            v.consent_text = match l {
                Lang::Ja => text_ja.clone(),
                Lang::En => text_en.clone(),
            };
        }
    }
    v
}

fn sub(
    v: &FieldView,
    input: &Input<'_>,
    key: &str,
    label: &'static str,
    autocomplete: &'static str,
    inputmode: &'static str,
) -> SubInput {
    let name = format!("{}.{key}", v.name);
    SubInput {
        value: get(input.pairs, &name).unwrap_or("").to_owned(),
        id: format!("{}-{key}", v.id),
        name,
        label: input.l.t(label),
        autocomplete,
        inputmode,
        invalid: has_error(input.errors, &format!("{}/{key}", v.path))
            || has_error(input.errors, &v.path),
        postal_button: false,
        hint: "",
        verified: false,
    }
}

fn type_names(accept: &[String]) -> String {
    let mut names: Vec<&str> = accept
        .iter()
        .map(|t| match t.as_str() {
            "application/pdf" => "PDF",
            "image/jpeg" => "JPEG",
            "image/png" => "PNG",
            "image/heic" | "image/heif" => "HEIC",
            other => other,
        })
        .collect();
    names.dedup();
    names.join("・")
}

fn size_label(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1}MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{}KB", (bytes + 1023) / 1024)
    }
}

/// The error summary's links: the id of the input each error belongs to (the most specific
/// rendered one) and the message.
pub fn summary_links(views: &[FieldView], errors: &[FieldError], l: Lang) -> Vec<(String, String)> {
    let mut ids = Vec::new();
    collect_ids(views, &mut ids);
    let mut out: Vec<(String, String)> = Vec::new();
    for e in errors {
        let mut path = e.path.as_str();
        let target = loop {
            let id = input_id(path);
            if let Some((_, to)) = ids.iter().find(|(k, _)| *k == id) {
                break to.clone();
            }
            match path.rsplit_once('/') {
                Some((head, _)) => path = head,
                None => break input_id(&e.path),
            }
        };
        let msg = e.message(l).to_owned();
        if !out.iter().any(|(i, m)| *i == target && *m == msg) {
            out.push((target, msg));
        }
    }
    out
}

/// (id an error path maps to, id of the element that really exists): a name or an address
/// has no element of its own id, its first input stands for it.
fn collect_ids(views: &[FieldView], ids: &mut Vec<(String, String)>) {
    for v in views {
        match v.subs.first() {
            Some(first) => ids.push((v.id.clone(), first.id.clone())),
            None => ids.push((v.id.clone(), v.id.clone())),
        }
        ids.extend(v.subs.iter().map(|s| (s.id.clone(), s.id.clone())));
        for item in &v.items {
            collect_ids(&item.fields, ids);
        }
    }
}

#[derive(Template)]
#[template(path = "runner/fields.html")]
pub struct FieldsFragment<'a> {
    pub fields: &'a [FieldView],
    pub l: Lang,
}

/// A page of a definition drawn empty, as a resident first sees it (the editor's preview).
pub fn preview_html(def: &FormDefinition, page_id: &str, l: Lang) -> Result<String, askama::Error> {
    let Some(page) = def.pages.iter().find(|p| p.id == page_id) else {
        return Ok(String::new());
    };
    let answers = Answers::new();
    let views = fields(
        page,
        &Input {
            pairs: &[],
            answers: &answers,
            errors: &[],
            files: &[],
            l,
        },
    );
    FieldsFragment { fields: &views, l }.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> FormDefinition {
        serde_json::from_value(serde_json::json!({
            "format": 1, "title_ja": "t", "title_en": "t",
            "pages": [{"id": "p", "title_ja": "P", "title_en": "P", "fields": [
                {"id": "who", "label_ja": "氏名", "label_en": "Name", "type": "name"},
                {"id": "kids", "label_ja": "子", "label_en": "Kids", "type": "group",
                 "item_label_ja": "子ども", "item_label_en": "child",
                 "fields": [{"id": "b", "label_ja": "生年月日", "label_en": "Born", "type": "date"}]},
                {"id": "ok", "label_ja": "はい", "label_en": "Yes", "type": "yes_no",
                 "show_if": {"equals": {"field": "kids", "value": 1}}}
            ]}]
        }))
        .expect("definition")
    }

    fn err(path: &str) -> FieldError {
        FieldError {
            path: path.into(),
            code: "x",
            message_ja: format!("{path}のエラー"),
            message_en: "e".into(),
        }
    }

    #[test]
    fn summary_links_point_at_inputs_that_exist() {
        let d = def();
        let errors = vec![
            err("who"),
            err("who/given_kana"),
            err("kids/0/b"),
            err("kids/3/b"),
        ];
        let answers = Answers::new();
        let views = fields(
            &d.pages[0],
            &Input {
                pairs: &[],
                answers: &answers,
                errors: &errors,
                files: &[],
                l: Lang::Ja,
            },
        );
        let links = summary_links(&views, &errors, Lang::Ja);
        let ids: Vec<&str> = links.iter().map(|(i, _)| i.as_str()).collect();
        assert_eq!(
            ids,
            vec!["f-who-family", "f-who-given_kana", "f-kids-0-b", "f-kids"]
        );
        assert!(
            views[0].error.contains("whoのエラー"),
            "a name's errors show at the name"
        );
        assert!(
            views[2].hidden,
            "a field whose condition fails is drawn hidden"
        );
        let html = FieldsFragment {
            fields: &views,
            l: Lang::Ja,
        }
        .render()
        .expect("render");
        for id in ["f-who-family", "f-kids-0-b", "f-kids"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id} in the page");
        }
        assert!(html.contains("autocomplete=\"family-name\""));
        assert!(html.contains("1人目の子ども"));
    }

    #[test]
    fn preview_renders_every_page_empty() {
        let d = def();
        let html = preview_html(&d, "p", Lang::En).expect("render");
        assert!(html.contains("Family name") && html.contains("child 1"));
        assert_eq!(preview_html(&d, "nope", Lang::Ja).expect("render"), "");
    }
}
