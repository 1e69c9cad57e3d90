//! Whether a definition can be published: `check_definition` lists every problem (an empty
//! list means publishable) and `parse_definition` reads a file and checks it.

use std::collections::HashSet;

use serde_json::Value;

use super::cond;
use super::dates;
use super::def::{Choice, Condition, Expr, FORMAT_VERSION, Field, FieldKind, FormDefinition};
use super::errors::DefinitionProblem;

/// The largest attachment a form may ask for (20 MiB).
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;
/// Longest text a field may allow.
pub const MAX_TEXT_LEN: u32 = 10_000;
/// Most items a group may allow.
pub const MAX_GROUP_ITEMS: u32 = 50;

/// Reads a definition (an imported file, the editor's JSON) and checks it.
pub fn parse_definition(json: &str) -> Result<FormDefinition, Vec<DefinitionProblem>> {
    let def: FormDefinition = serde_json::from_str(json).map_err(|e| {
        vec![DefinitionProblem::new(
            "",
            format!(
                "定義ファイルを読み取れません（{}行目{}文字目）：{e}",
                e.line(),
                e.column()
            ),
            format!(
                "The definition cannot be read (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )]
    })?;
    let problems = check_definition(&def);
    if problems.is_empty() {
        Ok(def)
    } else {
        Err(problems)
    }
}

fn valid_id(id: &str) -> bool {
    let mut c = id.chars();
    c.next().is_some_and(|c| c.is_ascii_lowercase())
        && c.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && id.len() <= 64
}

fn valid_value(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Words that mean 個人番号 (My Number). The city gets it from its core system, never from a
/// web form.
const MY_NUMBER_WORDS: [&str; 7] = [
    "個人番号",
    "マイナンバー",
    "まいなんばー",
    "ﾏｲﾅﾝﾊﾞｰ",
    "my_number",
    "mynumber",
    "my number",
];

fn looks_like_my_number(f: &Field) -> bool {
    if matches!(f.kind, FieldKind::Consent { .. } | FieldKind::YesNo) {
        return false;
    }
    let texts = [
        Some(&f.id),
        Some(&f.label_ja),
        Some(&f.label_en),
        f.hint_ja.as_ref(),
        f.hint_en.as_ref(),
    ];
    texts.into_iter().flatten().any(|t| {
        let t = t.to_lowercase();
        MY_NUMBER_WORDS.iter().any(|w| t.contains(w)) || t.contains("my-number")
    })
}

struct Ctx<'a> {
    out: Vec<DefinitionProblem>,
    /// Top-level fields in form order.
    fields: Vec<&'a Field>,
}

impl Ctx<'_> {
    fn add(&mut self, path: &str, ja: impl Into<String>, en: impl Into<String>) {
        self.out.push(DefinitionProblem::new(path, ja, en));
    }
}

/// The problems that keep a definition from being published; empty when it can be.
pub fn check_definition(def: &FormDefinition) -> Vec<DefinitionProblem> {
    let mut cx = Ctx {
        out: Vec::new(),
        fields: def.pages.iter().flat_map(|p| &p.fields).collect(),
    };
    if def.format != FORMAT_VERSION {
        cx.add(
            "format",
            format!(
                "形式のバージョン {} には対応していません（対応: {FORMAT_VERSION}）。",
                def.format
            ),
            format!(
                "Format version {} is not supported (supported: {FORMAT_VERSION}).",
                def.format
            ),
        );
    }
    if def.title_ja.trim().is_empty() || def.title_en.trim().is_empty() {
        cx.add(
            "title_ja",
            "申請書の名前（日本語と英語）を入れてください。",
            "The form needs a title in Japanese and in English.",
        );
    }
    if def.pages.is_empty() {
        cx.add(
            "pages",
            "ページが1つもありません。質問のページを追加してください。",
            "The form has no pages. Add a page of questions.",
        );
    }
    let mut page_ids = HashSet::new();
    let mut ids = HashSet::new();
    // Fields asked before the current point, in order.
    let mut before: Vec<&Field> = Vec::new();
    for (pi, page) in def.pages.iter().enumerate() {
        let pp = format!("pages/{pi}");
        if !valid_id(&page.id) {
            cx.add(&format!("{pp}/id"), format!("ページID「{}」は使えません。英小文字で始め、英小文字・数字・_ だけにしてください。", page.id), format!("Page id \"{}\" is not valid: use a lower-case letter, then lower-case letters, digits or _.", page.id));
        }
        if !page_ids.insert(page.id.as_str()) {
            cx.add(
                &format!("{pp}/id"),
                format!("ページID「{}」が重複しています。", page.id),
                format!("Page id \"{}\" is used twice.", page.id),
            );
        }
        if page.fields.is_empty() {
            cx.add(
                &format!("{pp}/fields"),
                format!("ページ「{}」に質問がありません。", page.title_ja),
                format!("Page \"{}\" has no questions.", page.title_en),
            );
        }
        if let Some(c) = &page.show_if {
            check_condition(&mut cx, &format!("{pp}/show_if"), c, &before);
            if !satisfiable(&cx.fields, c, &before, def) {
                cx.add(&format!("{pp}/show_if"), format!("ページ「{}」の表示条件は、どの回答でも満たされないため、このページは表示されません。条件を見直してください。", page.title_ja), format!("The condition of page \"{}\" can never hold, so the page would never be shown. Please review it.", page.title_en));
            }
        }
        for (fi, f) in page.fields.iter().enumerate() {
            let fp = format!("{pp}/fields/{fi}");
            check_field(&mut cx, &fp, f, &mut ids, false);
            if let Some(p) = &f.prefill {
                check_prefill(&mut cx, &fp, f, p);
            }
            if let Some(c) = &f.show_if {
                check_condition(&mut cx, &format!("{fp}/show_if"), c, &before);
                let whole = cond::both(page.show_if.as_ref(), Some(c)).unwrap_or_else(|| c.clone());
                if !satisfiable(&cx.fields, &whole, &before, def) {
                    cx.add(&format!("{fp}/show_if"), format!("「{}」の表示条件は、どの回答でも満たされないため、この質問は表示されません。", f.label_ja), format!("The condition of \"{}\" can never hold, so the question would never be shown.", f.label_en));
                }
            }
            before.push(f);
        }
    }
    let mut computed_ids = HashSet::new();
    for (ci, c) in def.computed.iter().enumerate() {
        let cp = format!("computed/{ci}");
        if !valid_id(&c.id) {
            cx.add(
                &format!("{cp}/id"),
                format!("計算値のID「{}」は使えません。", c.id),
                format!("Computed value id \"{}\" is not valid.", c.id),
            );
        }
        if ids.contains(c.id.as_str()) || !computed_ids.insert(c.id.as_str()) {
            cx.add(
                &format!("{cp}/id"),
                format!("ID「{}」が重複しています。", c.id),
                format!("Id \"{}\" is used twice.", c.id),
            );
        }
        let all: Vec<&Field> = cx.fields.clone();
        check_expr(&mut cx, &format!("{cp}/expr"), &c.expr, &all);
    }
    cx.out
}

fn check_options(cx: &mut Ctx<'_>, path: &str, label: &str, options: &[Choice]) {
    if options.is_empty() {
        cx.add(
            &format!("{path}/options"),
            format!("「{label}」に選択肢がありません。"),
            format!("\"{label}\" has no options."),
        );
    }
    let mut seen = HashSet::new();
    for (i, o) in options.iter().enumerate() {
        if !valid_value(&o.value) {
            cx.add(
                &format!("{path}/options/{i}/value"),
                format!(
                    "選択肢の値「{}」は使えません。英小文字・数字・_ にしてください。",
                    o.value
                ),
                format!(
                    "Option value \"{}\" is not valid: use lower-case letters, digits or _.",
                    o.value
                ),
            );
        }
        if !seen.insert(o.value.as_str()) {
            cx.add(
                &format!("{path}/options/{i}/value"),
                format!("選択肢の値「{}」が重複しています。", o.value),
                format!("Option value \"{}\" is used twice.", o.value),
            );
        }
        if o.label_ja.trim().is_empty() {
            cx.add(
                &format!("{path}/options/{i}/label_ja"),
                "選択肢の文言がありません。",
                "An option has no label.",
            );
        }
    }
}

fn min_max<T: PartialOrd + std::fmt::Display>(
    cx: &mut Ctx<'_>,
    path: &str,
    label: &str,
    min: Option<T>,
    max: Option<T>,
) {
    if let (Some(a), Some(b)) = (min, max)
        && a > b
    {
        cx.add(
            path,
            format!("「{label}」の最小値（{a}）が最大値（{b}）より大きくなっています。"),
            format!("\"{label}\": the minimum ({a}) is larger than the maximum ({b})."),
        );
    }
}

fn check_field<'a>(
    cx: &mut Ctx<'a>,
    fp: &str,
    f: &'a Field,
    ids: &mut HashSet<&'a str>,
    in_group: bool,
) {
    if !valid_id(&f.id) {
        cx.add(&format!("{fp}/id"), format!("項目ID「{}」は使えません。英小文字で始め、英小文字・数字・_ だけにしてください。", f.id), format!("Field id \"{}\" is not valid: use a lower-case letter, then lower-case letters, digits or _.", f.id));
    }
    if !ids.insert(f.id.as_str()) {
        cx.add(
            &format!("{fp}/id"),
            format!("項目ID「{}」が重複しています。", f.id),
            format!("Field id \"{}\" is used twice.", f.id),
        );
    }
    if f.label_ja.trim().is_empty() || f.label_en.trim().is_empty() {
        cx.add(
            &format!("{fp}/label_ja"),
            format!(
                "項目「{}」に質問の文言（日本語と英語）を入れてください。",
                f.id
            ),
            format!(
                "Field \"{}\" needs a label in Japanese and in English.",
                f.id
            ),
        );
    }
    if looks_like_my_number(f) {
        cx.add(fp, format!("「{}」は個人番号（マイナンバー）を尋ねる項目に見えます。市は個人番号をオンライン申請の入力で集めません（基幹系システムで確認します）。この項目を削除してください。", f.label_ja), format!("\"{}\" looks like a question for the My Number (個人番号). The city never collects it through a web form (it is looked up in the core system). Remove the field.", f.label_en));
    }
    let label = f.label_ja.as_str();
    match &f.kind {
        FieldKind::Text { max_len } | FieldKind::LongText { max_len } => {
            if *max_len == 0 || *max_len > MAX_TEXT_LEN {
                cx.add(
                    &format!("{fp}/max_len"),
                    format!("「{label}」の最大文字数は1〜{MAX_TEXT_LEN}にしてください。"),
                    format!("\"{}\": max_len must be 1 to {MAX_TEXT_LEN}.", f.label_en),
                );
            }
        }
        FieldKind::Date { min, max } => {
            for (k, b) in [("min", min), ("max", max)] {
                if let Some(b) = b
                    && dates::resolve_bound(b, dates::EARLIEST).is_none()
                {
                    cx.add(&format!("{fp}/{k}"), format!("「{label}」の{k}「{b}」は日付として読めません。「2024-04-01」「today」「today-75y」のように書いてください。"), format!("\"{}\": {k} \"{b}\" is not a date; write \"2024-04-01\", \"today\" or \"today-75y\".", f.label_en));
                }
            }
            let fixed = |b: &Option<String>| b.as_deref().and_then(dates::parse_canonical);
            min_max(cx, &format!("{fp}/min"), label, fixed(min), fixed(max));
        }
        FieldKind::Yen { min, max } => min_max(cx, &format!("{fp}/min"), label, *min, *max),
        FieldKind::Number { min, max, .. } => min_max(cx, &format!("{fp}/min"), label, *min, *max),
        FieldKind::Choice { options } => check_options(cx, fp, label, options),
        FieldKind::MultiChoice { options, min, max } => {
            check_options(cx, fp, label, options);
            min_max(cx, &format!("{fp}/min"), label, *min, *max);
            if min.is_some_and(|m| m as usize > options.len()) {
                cx.add(
                    &format!("{fp}/min"),
                    format!("「{label}」の最小選択数が選択肢の数より多くなっています。"),
                    format!(
                        "\"{}\": min is more than the number of options.",
                        f.label_en
                    ),
                );
            }
        }
        FieldKind::File { accept, max_bytes } => {
            if accept.is_empty() {
                cx.add(
                    &format!("{fp}/accept"),
                    format!("「{label}」で受け付けるファイルの種類（accept）がありません。"),
                    format!("\"{}\" accepts no file type (accept is empty).", f.label_en),
                );
            }
            for (i, a) in accept.iter().enumerate() {
                let ok = a
                    .split_once('/')
                    .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty() && !s.contains('*'));
                if !ok {
                    cx.add(
                        &format!("{fp}/accept/{i}"),
                        format!(
                            "ファイルの種類「{a}」は「application/pdf」のように書いてください。"
                        ),
                        format!("File type \"{a}\" must be written like application/pdf."),
                    );
                }
            }
            if *max_bytes == 0 || *max_bytes > MAX_FILE_BYTES {
                cx.add(&format!("{fp}/max_bytes"), format!("「{label}」のファイルの大きさの上限は20MB（{MAX_FILE_BYTES}バイト）以下にしてください。"), format!("\"{}\": max_bytes must be 1 to 20 MiB ({MAX_FILE_BYTES}).", f.label_en));
            }
        }
        FieldKind::Group {
            fields,
            min_items,
            max_items,
            item_label_ja,
            ..
        } => {
            if in_group {
                cx.add(
                    fp,
                    format!("「{label}」：繰り返しの中に繰り返しは入れられません。"),
                    format!("\"{}\": a group cannot contain a group.", f.label_en),
                );
            }
            min_max(
                cx,
                &format!("{fp}/min_items"),
                label,
                Some(*min_items),
                Some(*max_items),
            );
            if *max_items == 0 || *max_items > MAX_GROUP_ITEMS {
                cx.add(
                    &format!("{fp}/max_items"),
                    format!("「{label}」の最大件数は1〜{MAX_GROUP_ITEMS}にしてください。"),
                    format!(
                        "\"{}\": max_items must be 1 to {MAX_GROUP_ITEMS}.",
                        f.label_en
                    ),
                );
            }
            if fields.is_empty() {
                cx.add(
                    &format!("{fp}/fields"),
                    format!("「{label}」に質問がありません。"),
                    format!("\"{}\" has no questions.", f.label_en),
                );
            }
            if item_label_ja.trim().is_empty() {
                cx.add(
                    &format!("{fp}/item_label_ja"),
                    format!("「{label}」の1件の呼び方（例：子ども）を入れてください。"),
                    format!("\"{}\" needs an item label.", f.label_en),
                );
            }
            let mut inner_ids = HashSet::new();
            let mut inner_before: Vec<&Field> = Vec::new();
            for (i, inner) in fields.iter().enumerate() {
                let ip = format!("{fp}/fields/{i}");
                check_field(cx, &ip, inner, &mut inner_ids, true);
                if let Some(c) = &inner.show_if {
                    check_condition(cx, &format!("{ip}/show_if"), c, &inner_before);
                    if !satisfiable(&inner_before, c, &inner_before, &empty_def()) {
                        cx.add(
                            &format!("{ip}/show_if"),
                            format!(
                                "「{}」の表示条件は、どの回答でも満たされません。",
                                inner.label_ja
                            ),
                            format!("The condition of \"{}\" can never hold.", inner.label_en),
                        );
                    }
                }
                inner_before.push(inner);
            }
        }
        FieldKind::Name { .. }
        | FieldKind::Address
        | FieldKind::Phone
        | FieldKind::Email
        | FieldKind::YesNo => {}
        FieldKind::Consent { text_ja, text_en } => {
            if text_ja.trim().is_empty() || text_en.trim().is_empty() {
                cx.add(
                    &format!("{fp}/text_ja"),
                    format!("「{label}」の同意する内容（日本語と英語）を入れてください。"),
                    format!(
                        "\"{}\" needs the text to agree to, in Japanese and English.",
                        f.label_en
                    ),
                );
            }
        }
    }
}

fn empty_def() -> FormDefinition {
    FormDefinition {
        format: FORMAT_VERSION,
        title_ja: String::new(),
        title_en: String::new(),
        intro_ja: None,
        intro_en: None,
        pages: vec![],
        computed: vec![],
    }
}

/// Checks that a condition reads only fields in `visible` (asked before it, top-level or in
/// the same group item), and that each value fits the field it tests.
fn check_condition(cx: &mut Ctx<'_>, path: &str, c: &Condition, visible: &[&Field]) {
    let fits = |cx: &mut Ctx<'_>, field: &str, values: &[&Value], needs_value: bool| {
        let Some(f) = visible.iter().find(|f| f.id == field) else {
            let later = cx.fields.iter().any(|f| f.id == field);
            let in_group = cx.fields.iter().any(|f| matches!(&f.kind, FieldKind::Group { fields, .. } if fields.iter().any(|i| i.id == field)));
            let (ja, en) = if later {
                (
                    format!(
                        "条件が、後で尋ねる項目（またはこの項目自身）「{field}」を見ています。条件に使えるのは、それより前に尋ねる項目だけです。"
                    ),
                    format!(
                        "The condition reads \"{field}\", which is asked later (or is the field itself). A condition can read only fields asked before it."
                    ),
                )
            } else if in_group {
                (
                    format!(
                        "条件が、繰り返しの中の項目「{field}」を見ています。繰り返しの中の項目は、同じ繰り返しの中の条件でしか使えません。"
                    ),
                    format!(
                        "The condition reads \"{field}\", which is inside a group. Group fields can be read only by conditions in the same group."
                    ),
                )
            } else {
                (
                    format!("条件が、ない項目「{field}」を見ています。"),
                    format!("The condition reads \"{field}\", which does not exist."),
                )
            };
            cx.add(path, ja, en);
            return;
        };
        if !needs_value {
            return;
        }
        for v in values {
            let ok = match &f.kind {
                FieldKind::Choice { options } | FieldKind::MultiChoice { options, .. } => v
                    .as_str()
                    .is_some_and(|s| options.iter().any(|o| o.value == s)),
                FieldKind::YesNo => v.is_boolean(),
                FieldKind::Number { .. } | FieldKind::Yen { .. } => v.is_i64() || v.is_u64(),
                FieldKind::Group { .. } => false,
                _ => false,
            };
            if !ok {
                let (ja, en) = match &f.kind {
                    FieldKind::Choice { .. } | FieldKind::MultiChoice { .. } => (
                        format!("条件の値 {v} は「{}」の選択肢にありません。", f.label_ja),
                        format!("The value {v} is not an option of \"{}\".", f.label_en),
                    ),
                    FieldKind::YesNo => (
                        format!(
                            "「{}」（はい・いいえ）の条件の値は true か false にしてください。",
                            f.label_ja
                        ),
                        format!(
                            "A condition on \"{}\" (yes/no) needs true or false.",
                            f.label_en
                        ),
                    ),
                    FieldKind::Number { .. } | FieldKind::Yen { .. } => (
                        format!("「{}」の条件の値は整数にしてください。", f.label_ja),
                        format!("A condition on \"{}\" needs a whole number.", f.label_en),
                    ),
                    _ => (
                        format!(
                            "「{}」には「回答がある」（answered）の条件だけが使えます。",
                            f.label_ja
                        ),
                        format!(
                            "Only an \"answered\" condition can read \"{}\".",
                            f.label_en
                        ),
                    ),
                };
                cx.add(path, ja, en);
            }
        }
    };
    match c {
        Condition::Equals { field, value } => fits(cx, field, &[value], true),
        Condition::AnyOf { field, values } => {
            if values.is_empty() {
                cx.add(
                    path,
                    "条件の値の一覧（values）が空です。",
                    "The condition has an empty list of values.",
                );
            }
            fits(cx, field, &values.iter().collect::<Vec<_>>(), true)
        }
        Condition::Answered { field } => fits(cx, field, &[], false),
        Condition::Not(inner) => check_condition(cx, path, inner, visible),
        Condition::All(cs) | Condition::Any(cs) => {
            if cs.is_empty() {
                cx.add(
                    path,
                    "条件の組み合わせ（all / any）が空です。",
                    "An all/any condition is empty.",
                );
            }
            for c in cs {
                check_condition(cx, path, c, visible);
            }
        }
    }
}

fn referenced(c: &Condition, out: &mut Vec<String>) {
    match c {
        Condition::Equals { field, .. }
        | Condition::AnyOf { field, .. }
        | Condition::Answered { field } => {
            if !out.contains(field) {
                out.push(field.clone());
            }
        }
        Condition::Not(c) => referenced(c, out),
        Condition::All(cs) | Condition::Any(cs) => cs.iter().for_each(|c| referenced(c, out)),
    }
}

fn mentioned_values(c: &Condition, field: &str, out: &mut Vec<Value>) {
    match c {
        Condition::Equals { field: f, value } if f == field => out.push(value.clone()),
        Condition::AnyOf { field: f, values } if f == field => out.extend(values.iter().cloned()),
        Condition::Not(c) => mentioned_values(c, field, out),
        Condition::All(cs) | Condition::Any(cs) => {
            cs.iter().for_each(|c| mentioned_values(c, field, out))
        }
        _ => {}
    }
}

/// Whether some answers to the fields asked before could make `target` hold, taking into
/// account that a hidden field has no answer and a shown required one always has. The fields
/// read (and those their own conditions read) are enumerated over their possible answers
/// (options, はい/いいえ, the numbers mentioned, "answered"); when that is too many to try, the
/// condition is assumed satisfiable.
fn satisfiable(
    all: &[&Field],
    target: &Condition,
    before: &[&Field],
    def: &FormDefinition,
) -> bool {
    const LIMIT: usize = 50_000;
    // The fields involved, closed under "its condition reads".
    let mut names = Vec::new();
    referenced(target, &mut names);
    let mut i = 0;
    while i < names.len() {
        if let Some(f) = before.iter().find(|f| f.id == names[i]) {
            let page_if = def
                .pages
                .iter()
                .find(|p| p.fields.iter().any(|x| x.id == f.id))
                .and_then(|p| p.show_if.as_ref());
            for c in [page_if, f.show_if.as_ref()].into_iter().flatten() {
                referenced(c, &mut names);
            }
        }
        i += 1;
    }
    let involved: Vec<&Field> = before
        .iter()
        .filter(|f| names.contains(&f.id))
        .copied()
        .collect();
    // Every condition that mentions values, to collect the numbers worth trying.
    let mut conds: Vec<&Condition> = vec![target];
    conds.extend(def.pages.iter().filter_map(|p| p.show_if.as_ref()));
    conds.extend(all.iter().filter_map(|f| f.show_if.as_ref()));
    let domains: Vec<Vec<Option<Value>>> = involved
        .iter()
        .map(|f| {
            let mut d: Vec<Option<Value>> = vec![None];
            match &f.kind {
                FieldKind::Choice { options } => {
                    d.extend(options.iter().map(|o| Some(Value::from(o.value.clone()))))
                }
                FieldKind::MultiChoice { options, .. } if options.len() <= 10 => {
                    for mask in 1u32..(1 << options.len()) {
                        let set: Vec<Value> = options
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| mask & (1 << i) != 0)
                            .map(|(_, o)| Value::from(o.value.clone()))
                            .collect();
                        d.push(Some(Value::Array(set)));
                    }
                }
                FieldKind::YesNo => d.extend([Some(Value::Bool(true)), Some(Value::Bool(false))]),
                FieldKind::Number { .. } | FieldKind::Yen { .. } => {
                    let mut vs = Vec::new();
                    for c in &conds {
                        mentioned_values(c, &f.id, &mut vs);
                    }
                    vs.push(Value::from(i64::MIN));
                    d.extend(vs.into_iter().map(Some));
                }
                _ => d.push(Some(Value::Bool(true))),
            }
            d
        })
        .collect();
    let total = domains.iter().try_fold(1usize, |acc, d| {
        acc.checked_mul(d.len()).filter(|&n| n <= LIMIT)
    });
    if total.is_none() {
        return true;
    }
    let mut idx = vec![0usize; involved.len()];
    loop {
        let mut answers = serde_json::Map::new();
        for (k, f) in involved.iter().enumerate() {
            if let Some(v) = &domains[k][idx[k]] {
                answers.insert(f.id.clone(), v.clone());
            }
        }
        let consistent = involved.iter().enumerate().all(|(k, f)| {
            let page_if = def
                .pages
                .iter()
                .find(|p| p.fields.iter().any(|x| x.id == f.id))
                .and_then(|p| p.show_if.as_ref());
            let shown = [page_if, f.show_if.as_ref()]
                .into_iter()
                .flatten()
                .all(|c| cond::holds(c, &answers));
            let present = domains[k][idx[k]].is_some();
            if shown {
                present || !f.required
            } else {
                !present
            }
        });
        if consistent && cond::holds(target, &answers) {
            return true;
        }
        // Next combination.
        let mut k = 0;
        loop {
            if k == idx.len() {
                return false;
            }
            idx[k] += 1;
            if idx[k] < domains[k].len() {
                break;
            }
            idx[k] = 0;
            k += 1;
        }
    }
}

fn check_expr(cx: &mut Ctx<'_>, path: &str, e: &Expr, all: &[&Field]) {
    let find = |id: &str| all.iter().find(|f| f.id == id).copied();
    match e {
        Expr::Const(_) => {}
        Expr::Field(id) => match find(id) {
            Some(Field { kind: FieldKind::Number { .. } | FieldKind::Yen { .. }, .. }) => {}
            Some(f) => cx.add(path, format!("計算に使えるのは数値か金額の項目だけです（「{}」は使えません）。", f.label_ja), format!("Only number or yen fields can be computed with (not \"{}\").", f.label_en)),
            None => cx.add(path, format!("計算が、ない項目「{id}」を使っています。"), format!("The computation uses \"{id}\", which does not exist.")),
        },
        Expr::Count(g) | Expr::CountWhere { group: g, .. } => match find(g) {
            Some(Field { kind: FieldKind::Group { fields, .. }, .. }) => {
                if let Expr::CountWhere { when, .. } = e {
                    let inner: Vec<&Field> = fields.iter().collect();
                    let mut names = Vec::new();
                    referenced(when, &mut names);
                    match names.iter().find(|n| !inner.iter().any(|f| &&f.id == n)) {
                        Some(n) => cx.add(path, format!("件数の条件に使えるのは、繰り返し「{g}」の中の項目だけです（「{n}」は使えません）。"), format!("A count condition can read only fields of the group \"{g}\" (not \"{n}\").")),
                        None => check_condition(cx, path, when, &inner),
                    }
                }
            }
            Some(f) => cx.add(path, format!("件数を数えられるのは繰り返しの項目だけです（「{}」は繰り返しではありません）。", f.label_ja), format!("Only groups can be counted (\"{}\" is not a group).", f.label_en)),
            None => cx.add(path, format!("計算が、ない繰り返し「{g}」を使っています。"), format!("The computation uses the group \"{g}\", which does not exist.")),
        },
        Expr::Add(xs) | Expr::Mul(xs) | Expr::Min(xs) => {
            if xs.is_empty() {
                cx.add(path, "計算式の項が空です。", "An expression has no terms.");
            }
            for (i, x) in xs.iter().enumerate() {
                check_expr(cx, &format!("{path}/{i}"), x, all);
            }
        }
        Expr::Div { num, den } => {
            check_expr(cx, &format!("{path}/num"), num, all);
            check_expr(cx, &format!("{path}/den"), den, all);
        }
        Expr::If { when, then, otherwise } => {
            check_condition(cx, &format!("{path}/when"), when, all);
            check_expr(cx, &format!("{path}/then"), then, all);
            check_expr(cx, &format!("{path}/otherwise"), otherwise, all);
        }
    }
}

/// `prefill` names a verified fact the field's type can hold (docs/forms.md, docs/identity.md).
fn check_prefill(cx: &mut Ctx, fp: &str, f: &Field, prefill: &str) {
    let fact = crate::identity::facts::prefill_fact(prefill);
    let fits = fact.is_some_and(|fact| crate::identity::prefill::fits(&f.kind, fact));
    if !fits {
        cx.add(
            &format!("{fp}/prefill"),
            format!("「{}」の prefill は、verified.name・verified.address・verified.birthdate・verified.gender のどれかを、合う種類の質問に指定してください（文字はどれでも、氏名は name、住所は address、日付は birthdate、female と male の選択肢がある選択は gender）。", f.label_ja),
            format!("The prefill of \"{}\" must be verified.name, verified.address, verified.birthdate or verified.gender, on a question that can hold it (text: any; name: name; address: address; date: birthdate; a choice with the options female and male: gender).", f.label_en),
        );
    }
}
