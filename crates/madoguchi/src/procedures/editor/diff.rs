//! What a draft changes compared with the published version, in plain words
//! (「項目「電話番号」を追加」「「生年月日」を必須に変更」), so the person publishing knows what
//! residents will see differently without reading JSON.

use crate::procedures::form::{Field, FormDefinition};

use super::edit::{kind_code, kind_label};

/// One change, in Japanese and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub ja: String,
    pub en: String,
}

fn ch(ja: String, en: String) -> Change {
    Change { ja, en }
}

/// Top-level fields with the page they are on, in form order.
fn fields(def: &FormDefinition) -> Vec<(&str, &Field)> {
    def.pages
        .iter()
        .flat_map(|p| p.fields.iter().map(move |f| (p.id.as_str(), f)))
        .collect()
}

/// The changes from `old` (published) to `new` (draft); empty when they say the same.
pub fn diff(old: &FormDefinition, new: &FormDefinition) -> Vec<Change> {
    let mut out = Vec::new();
    if old.title_ja != new.title_ja || old.title_en != new.title_en {
        out.push(ch(
            format!("題名を「{}」から「{}」に変更", old.title_ja, new.title_ja),
            format!(
                "Title changed from “{}” to “{}”",
                old.title_en, new.title_en
            ),
        ));
    }
    if old.intro_ja != new.intro_ja || old.intro_en != new.intro_en {
        out.push(ch(
            "はじめの説明を変更".into(),
            "Introduction changed".into(),
        ));
    }
    // Pages.
    for p in &new.pages {
        match old.pages.iter().find(|o| o.id == p.id) {
            None => out.push(ch(
                format!("ページ「{}」を追加", p.title_ja),
                format!("Page “{}” added", p.title_en),
            )),
            Some(o) => {
                if o.title_ja != p.title_ja || o.title_en != p.title_en {
                    out.push(ch(
                        format!("ページ「{}」の題名を「{}」に変更", o.title_ja, p.title_ja),
                        format!("Page “{}” renamed to “{}”", o.title_en, p.title_en),
                    ));
                }
                if o.intro_ja != p.intro_ja || o.intro_en != p.intro_en {
                    out.push(ch(
                        format!("ページ「{}」の説明を変更", p.title_ja),
                        format!("Description of page “{}” changed", p.title_en),
                    ));
                }
                if o.show_if != p.show_if {
                    out.push(ch(
                        format!("ページ「{}」の表示条件を変更", p.title_ja),
                        format!("Condition of page “{}” changed", p.title_en),
                    ));
                }
            }
        }
    }
    for o in &old.pages {
        if !new.pages.iter().any(|p| p.id == o.id) {
            out.push(ch(
                format!("ページ「{}」を削除", o.title_ja),
                format!("Page “{}” removed", o.title_en),
            ));
        }
    }
    let old_pages: Vec<&str> = old.pages.iter().map(|p| p.id.as_str()).collect();
    let new_pages: Vec<&str> = new.pages.iter().map(|p| p.id.as_str()).collect();
    let common_old: Vec<&str> = old_pages
        .iter()
        .copied()
        .filter(|id| new_pages.contains(id))
        .collect();
    let common_new: Vec<&str> = new_pages
        .iter()
        .copied()
        .filter(|id| old_pages.contains(id))
        .collect();
    if common_old != common_new {
        out.push(ch("ページの順番を変更".into(), "Pages reordered".into()));
    }
    // Fields.
    let of = fields(old);
    let nf = fields(new);
    for (page, f) in &nf {
        let Some((opage, o)) = of.iter().find(|(_, o)| o.id == f.id) else {
            out.push(ch(
                format!("項目「{}」を追加", f.label_ja),
                format!("Field “{}” added", f.label_en),
            ));
            continue;
        };
        field_changes(o, f, &mut out);
        if opage != page {
            let title = new
                .pages
                .iter()
                .find(|p| p.id == *page)
                .map(|p| (p.title_ja.as_str(), p.title_en.as_str()))
                .unwrap_or(("", ""));
            out.push(ch(
                format!("「{}」をページ「{}」に移動", f.label_ja, title.0),
                format!("“{}” moved to page “{}”", f.label_en, title.1),
            ));
        }
    }
    for (_, o) in &of {
        if !nf.iter().any(|(_, f)| f.id == o.id) {
            out.push(ch(
                format!("項目「{}」を削除", o.label_ja),
                format!("Field “{}” removed", o.label_en),
            ));
        }
    }
    // Order of the fields that stayed on the same page.
    for p in &new.pages {
        let Some(o) = old.pages.iter().find(|o| o.id == p.id) else {
            continue;
        };
        let ids_new: Vec<&str> = p.fields.iter().map(|f| f.id.as_str()).collect();
        let ids_old: Vec<&str> = o.fields.iter().map(|f| f.id.as_str()).collect();
        let kept_old: Vec<&str> = ids_old
            .iter()
            .copied()
            .filter(|i| ids_new.contains(i))
            .collect();
        let kept_new: Vec<&str> = ids_new
            .iter()
            .copied()
            .filter(|i| ids_old.contains(i))
            .collect();
        if kept_old != kept_new {
            out.push(ch(
                format!("ページ「{}」の項目の順番を変更", p.title_ja),
                format!("Fields of page “{}” reordered", p.title_en),
            ));
        }
    }
    if old.computed != new.computed {
        out.push(ch(
            "計算する値（手数料など）を変更".into(),
            "Computed values (fee etc.) changed".into(),
        ));
    }
    out
}

fn field_changes(o: &Field, f: &Field, out: &mut Vec<Change>) {
    if o.label_ja != f.label_ja {
        out.push(ch(
            format!("「{}」の項目名を「{}」に変更", o.label_ja, f.label_ja),
            format!("“{}” renamed to “{}”", o.label_en, f.label_en),
        ));
    } else if o.label_en != f.label_en {
        out.push(ch(
            format!("「{}」の英語の項目名を「{}」に変更", f.label_ja, f.label_en),
            format!(
                "English label of “{}” changed to “{}”",
                o.label_en, f.label_en
            ),
        ));
    }
    let name = (&f.label_ja, &f.label_en);
    if o.required != f.required {
        out.push(if f.required {
            ch(
                format!("「{}」を必須に変更", name.0),
                format!("“{}” is now required", name.1),
            )
        } else {
            ch(
                format!("「{}」を任意に変更", name.0),
                format!("“{}” is now optional", name.1),
            )
        });
    }
    if o.hint_ja != f.hint_ja || o.hint_en != f.hint_en {
        out.push(ch(
            format!("「{}」の説明を変更", name.0),
            format!("Hint of “{}” changed", name.1),
        ));
    }
    if o.show_if != f.show_if {
        let (ja, en) = match (&o.show_if, &f.show_if) {
            (None, Some(_)) => ("表示条件を追加", "condition added"),
            (Some(_), None) => (
                "表示条件を削除（いつも表示）",
                "condition removed (always shown)",
            ),
            _ => ("表示条件を変更", "condition changed"),
        };
        out.push(ch(
            format!("「{}」の{ja}", name.0),
            format!("“{}”: {en}", name.1),
        ));
    }
    if kind_code(&o.kind) != kind_code(&f.kind) {
        out.push(ch(
            format!(
                "「{}」の種類を「{}」から「{}」に変更",
                name.0,
                kind_label(&o.kind, true),
                kind_label(&f.kind, true)
            ),
            format!(
                "“{}” changed from {} to {}",
                name.1,
                kind_label(&o.kind, false),
                kind_label(&f.kind, false)
            ),
        ));
        return;
    }
    use crate::procedures::form::FieldKind as K;
    match (&o.kind, &f.kind) {
        (K::Choice { options: a }, K::Choice { options: b })
        | (K::MultiChoice { options: a, .. }, K::MultiChoice { options: b, .. }) => {
            for x in b {
                match a.iter().find(|y| y.value == x.value) {
                    None => out.push(ch(
                        format!("「{}」に選択肢「{}」を追加", name.0, x.label_ja),
                        format!("Option “{}” added to “{}”", x.label_en, name.1),
                    )),
                    Some(y) if y.label_ja != x.label_ja || y.label_en != x.label_en => {
                        out.push(ch(
                            format!(
                                "「{}」の選択肢「{}」を「{}」に変更",
                                name.0, y.label_ja, x.label_ja
                            ),
                            format!(
                                "Option “{}” of “{}” renamed to “{}”",
                                y.label_en, name.1, x.label_en
                            ),
                        ))
                    }
                    Some(_) => {}
                }
            }
            for y in a {
                if !b.iter().any(|x| x.value == y.value) {
                    out.push(ch(
                        format!("「{}」から選択肢「{}」を削除", name.0, y.label_ja),
                        format!("Option “{}” removed from “{}”", y.label_en, name.1),
                    ));
                }
            }
            let keep_a: Vec<&str> = a
                .iter()
                .map(|c| c.value.as_str())
                .filter(|v| b.iter().any(|x| x.value == *v))
                .collect();
            let keep_b: Vec<&str> = b
                .iter()
                .map(|c| c.value.as_str())
                .filter(|v| a.iter().any(|x| x.value == *v))
                .collect();
            if keep_a != keep_b {
                out.push(ch(
                    format!("「{}」の選択肢の順番を変更", name.0),
                    format!("Options of “{}” reordered", name.1),
                ));
            }
            if let (
                K::MultiChoice {
                    min: m1, max: x1, ..
                },
                K::MultiChoice {
                    min: m2, max: x2, ..
                },
            ) = (&o.kind, &f.kind)
                && (m1 != m2 || x1 != x2)
            {
                out.push(limits(name));
            }
        }
        (a, b) if a != b => out.push(match (a, b) {
            (K::Group { fields: fa, .. }, K::Group { fields: fb, .. }) if fa != fb => ch(
                format!("繰り返し「{}」の中の項目を変更", name.0),
                format!("Fields inside “{}” changed", name.1),
            ),
            (K::Consent { .. }, K::Consent { .. }) => ch(
                format!("「{}」の同意の文を変更", name.0),
                format!("Consent text of “{}” changed", name.1),
            ),
            _ => limits(name),
        }),
        _ => {}
    }
}

fn limits(name: (&String, &String)) -> Change {
    ch(
        format!("「{}」の入力の制限（上限・下限など）を変更", name.0),
        format!("Limits of “{}” changed", name.1),
    )
}

#[cfg(test)]
mod tests {
    use super::super::edit::{self, FieldEdit};
    use super::*;

    fn base() -> FormDefinition {
        let mut d = edit::empty("転入届", "Moving in");
        edit::add_field(&mut d, "page_1", "date").expect("ok");
        let f = edit::field_mut(&mut d, "date_1").expect("ok");
        f.label_ja = "生年月日".into();
        f.label_en = "Date of birth".into();
        f.required = false;
        edit::add_field(&mut d, "page_1", "choice").expect("ok");
        d
    }

    fn ja(c: &[Change]) -> Vec<&str> {
        c.iter().map(|c| c.ja.as_str()).collect()
    }

    #[test]
    fn same_definition_has_no_changes() {
        assert!(diff(&base(), &base()).is_empty());
    }

    #[test]
    fn added_field_and_required_in_plain_words() {
        let old = base();
        let mut new = base();
        let id = edit::add_field(&mut new, "page_1", "phone").expect("ok");
        edit::field_mut(&mut new, &id).expect("ok").label_ja = "電話番号".into();
        edit::field_mut(&mut new, "date_1").expect("ok").required = true;
        let c = diff(&old, &new);
        assert_eq!(
            ja(&c),
            vec!["「生年月日」を必須に変更", "項目「電話番号」を追加"]
        );
        assert!(c.iter().all(|c| !c.en.is_empty()));
        let back = diff(&new, &old);
        assert!(ja(&back).contains(&"項目「電話番号」を削除"));
        assert!(ja(&back).contains(&"「生年月日」を任意に変更"));
    }

    #[test]
    fn options_order_pages_conditions_and_types() {
        let old = base();
        let mut new = base();
        edit::update_field(
            &mut new,
            "choice_1",
            &FieldEdit {
                label_ja: "選択する".into(),
                options:
                    "option_2: 選択肢2 / Option 2\noption_1: いちばん / One\nextra: 追加 / Extra"
                        .into(),
                required: Some("on".into()),
                ..FieldEdit::default()
            },
        )
        .expect("ok");
        edit::move_field(&mut new, "choice_1", edit::Dir::Up).expect("ok");
        let p = edit::add_page(&mut new);
        edit::move_field(&mut new, "date_1", edit::Dir::Down).expect("ok");
        edit::set_condition(&mut new, &p, "choice_1=extra").expect("ok");
        new.title_ja = "転入届（新）".into();
        let c = ja(&diff(&old, &new)).join("\n");
        for want in [
            "題名を「転入届」から「転入届（新）」に変更",
            "ページ「ページ2」を追加",
            "「選択」の項目名を「選択する」に変更",
            "「選択する」に選択肢「追加」を追加",
            "「選択する」の選択肢「選択肢1」を「いちばん」に変更",
            "「選択する」の選択肢の順番を変更",
            "「生年月日」をページ「ページ2」に移動",
        ] {
            assert!(c.contains(want), "missing {want} in\n{c}");
        }
        let mut typed = base();
        edit::field_mut(&mut typed, "date_1").expect("ok").kind =
            crate::procedures::form::FieldKind::Phone;
        assert_eq!(
            ja(&diff(&old, &typed)),
            vec!["「生年月日」の種類を「日付（和暦）」から「電話番号」に変更"]
        );
    }
}
