//! The editor's live preview: every page of the form with its questions as residents see
//! them, drawn by the runner's page renderer (`runner::preview_html`). The inputs are inert
//! (no form around them, inside a disabled fieldset), so nothing can be sent from the preview.
//! `field_html` is a simpler drawing kept as the fallback.

use crate::procedures::form::{Field, FieldKind, FormDefinition};
use crate::web::i18n::Lang;

/// HTML escaping for text and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn pick<'a>(l: Lang, ja: &'a str, en: &'a str) -> &'a str {
    match l {
        Lang::Ja => ja,
        Lang::En if en.is_empty() => ja,
        Lang::En => en,
    }
}

fn input(id: &str, kind: &str, label: &str) -> String {
    format!(
        "<label class=\"preview__sub\">{}<input class=\"dads-input-text__input\" type=\"{kind}\" id=\"pv-{}\" disabled></label>",
        esc(label),
        esc(id)
    )
}

fn field_html(f: &Field, l: Lang, prefix: &str, out: &mut String) {
    let label = pick(l, &f.label_ja, &f.label_en);
    let req = if f.required {
        match l {
            Lang::Ja => "必須",
            Lang::En => "Required",
        }
    } else {
        match l {
            Lang::Ja => "任意",
            Lang::En => "Optional",
        }
    };
    let id = format!("{prefix}{}", f.id);
    out.push_str("<div class=\"preview__field\">");
    out.push_str(&format!(
        "<p class=\"preview__label\">{} <span class=\"dads-form-control-label__requirement\" data-required=\"{}\">{req}</span></p>",
        esc(label),
        f.required
    ));
    let hint = match l {
        Lang::Ja => f.hint_ja.as_deref(),
        Lang::En => f.hint_en.as_deref().or(f.hint_ja.as_deref()),
    };
    if let Some(h) = hint {
        out.push_str(&format!("<p class=\"preview__hint\">{}</p>", esc(h)));
    }
    let ja = l == Lang::Ja;
    match &f.kind {
        FieldKind::Text { .. } | FieldKind::Phone | FieldKind::Email | FieldKind::Yen { .. } => {
            let t = match f.kind {
                FieldKind::Phone => "tel",
                FieldKind::Email => "email",
                _ => "text",
            };
            out.push_str(&input(&id, t, ""));
            if matches!(f.kind, FieldKind::Yen { .. }) {
                out.push_str(if ja { " 円" } else { " yen" });
            }
        }
        FieldKind::Number { unit_ja, unit_en, .. } => {
            out.push_str(&input(&id, "text", ""));
            if let Some(u) = if ja { unit_ja.as_ref() } else { unit_en.as_ref().or(unit_ja.as_ref()) } {
                out.push_str(&format!(" {}", esc(u)));
            }
        }
        FieldKind::LongText { .. } => out.push_str(&format!(
            "<textarea class=\"dads-textarea__textarea\" id=\"pv-{}\" rows=\"3\" disabled></textarea>",
            esc(&id)
        )),
        FieldKind::Name { furigana } => {
            let parts: &[(&str, &str, &str)] = &[
                ("family", "姓", "Family name"),
                ("given", "名", "Given name"),
                ("family_kana", "セイ（カタカナ）", "Family name (katakana)"),
                ("given_kana", "メイ（カタカナ）", "Given name (katakana)"),
            ];
            for (k, j, e) in parts.iter().take(if *furigana { 4 } else { 2 }) {
                out.push_str(&input(&format!("{id}-{k}"), "text", if ja { j } else { e }));
            }
        }
        FieldKind::Date { .. } => {
            out.push_str(&input(&id, "text", ""));
            out.push_str(&format!(
                "<p class=\"preview__hint\">{}</p>",
                if ja {
                    "例：令和8年4月1日 または 2026-04-01"
                } else {
                    "e.g. 令和8年4月1日 or 2026-04-01"
                }
            ));
        }
        FieldKind::Address => {
            out.push_str(&input(&format!("{id}-postal"), "text", if ja { "郵便番号" } else { "Postal code" }));
            out.push_str(&input(&format!("{id}-address"), "text", if ja { "住所" } else { "Address" }));
            out.push_str(&input(
                &format!("{id}-building"),
                "text",
                if ja { "建物名・部屋番号" } else { "Building, room" },
            ));
        }
        FieldKind::Choice { options } | FieldKind::MultiChoice { options, .. } => {
            let t = if matches!(f.kind, FieldKind::Choice { .. }) {
                "radio"
            } else {
                "checkbox"
            };
            out.push_str("<ul class=\"preview__options\">");
            for o in options {
                out.push_str(&format!(
                    "<li><label><input type=\"{t}\" disabled> {}</label></li>",
                    esc(pick(l, &o.label_ja, &o.label_en))
                ));
            }
            out.push_str("</ul>");
        }
        FieldKind::YesNo => out.push_str(&format!(
            "<ul class=\"preview__options\"><li><label><input type=\"radio\" disabled> {}</label></li><li><label><input type=\"radio\" disabled> {}</label></li></ul>",
            if ja { "はい" } else { "Yes" },
            if ja { "いいえ" } else { "No" }
        )),
        FieldKind::File { accept, max_bytes } => {
            out.push_str(&format!("<input type=\"file\" id=\"pv-{}\" disabled>", esc(&id)));
            out.push_str(&format!(
                "<p class=\"preview__hint\">{} {} / {} MB</p>",
                if ja { "形式：" } else { "Types:" },
                esc(&accept.join(", ")),
                max_bytes / (1024 * 1024)
            ));
        }
        FieldKind::Group {
            fields,
            item_label_ja,
            item_label_en,
            ..
        } => {
            let item = pick(l, item_label_ja, item_label_en);
            out.push_str(&format!(
                "<fieldset class=\"preview__group\"><legend>{} 1</legend>",
                esc(item)
            ));
            for g in fields {
                field_html(g, l, &format!("{id}-0-"), out);
            }
            out.push_str(&format!(
                "</fieldset><p><button type=\"button\" class=\"dads-button\" data-type=\"outline\" data-size=\"sm\" disabled>{}</button></p>",
                esc(&if ja {
                    format!("{item}を追加")
                } else {
                    format!("Add a {item}")
                })
            ));
        }
        FieldKind::Consent { text_ja, text_en } => out.push_str(&format!(
            "<p>{}</p><label><input type=\"checkbox\" disabled> {}</label>",
            esc(pick(l, text_ja, text_en)),
            if ja { "同意する" } else { "I agree" }
        )),
    }
    if f.show_if.is_some() {
        out.push_str(&format!(
            "<p class=\"preview__note\">{}</p>",
            if ja {
                "（条件に合うときだけ表示）"
            } else {
                "(shown only when its condition holds)"
            }
        ));
    }
    out.push_str("</div>");
}

/// The whole form as residents see it, page after page.
pub fn html(def: &FormDefinition, l: Lang) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "<h3 class=\"preview__title\">{}</h3>",
        esc(pick(l, &def.title_ja, &def.title_en))
    ));
    if let Some(i) = if l == Lang::Ja {
        def.intro_ja.as_deref()
    } else {
        def.intro_en.as_deref().or(def.intro_ja.as_deref())
    } {
        out.push_str(&format!("<p>{}</p>", esc(i)));
    }
    for (n, p) in def.pages.iter().enumerate() {
        out.push_str(&format!(
            "<section class=\"preview__page\"><h4>{} {}: {}</h4>",
            if l == Lang::Ja { "ページ" } else { "Page" },
            n + 1,
            esc(pick(l, &p.title_ja, &p.title_en))
        ));
        if let Some(i) = &p.intro_ja {
            out.push_str(&format!("<p>{}</p>", esc(i)));
        }
        // The runner's own page renderer, so the preview is exactly what residents see; the
        // fieldset disables every input. The editor's simpler drawing is the fallback.
        out.push_str("<fieldset disabled class=\"preview__inputs\">");
        match crate::procedures::runner::preview_html(def, &p.id, l) {
            Ok(h) => out.push_str(&h),
            Err(e) => {
                tracing::warn!(error = %e, page = %p.id, "runner preview failed; simple preview");
                for f in &p.fields {
                    field_html(f, l, "", &mut out);
                }
            }
        }
        out.push_str("</fieldset></section>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::edit;
    use super::*;

    fn all_kinds() -> FormDefinition {
        let mut d = edit::empty("<script>", "t");
        for (code, _, _) in edit::KINDS {
            edit::add_field(&mut d, "page_1", code).expect("add");
        }
        d
    }

    #[test]
    fn the_whole_form_is_shown_inert_and_escaped() {
        let d = all_kinds();
        let h = html(&d, Lang::Ja);
        assert!(h.contains("&lt;script&gt;"));
        assert!(!h.contains("<script>"));
        assert!(!h.contains("<form"));
        assert!(h.contains("<fieldset disabled"));
        for label in ["氏名", "電話番号", "メールアドレス", "同意"] {
            assert!(h.contains(label), "{label}");
        }
    }

    #[test]
    fn the_fallback_draws_every_type() {
        let d = all_kinds();
        let mut h = String::new();
        for f in &d.pages[0].fields {
            field_html(f, Lang::Ja, "", &mut h);
        }
        assert!(h.contains("セイ（カタカナ）"));
        assert!(h.contains("郵便番号"));
        assert!(h.contains("子どもを追加"));
        assert!(h.contains("同意する"));
        assert!(h.contains("円"));
        let mut e = String::new();
        field_html(&d.pages[0].fields[13], Lang::En, "", &mut e);
        assert!(e.contains("Add a child"), "{e}");
    }
}
