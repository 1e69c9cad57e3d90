//! What each document says, as a list of [`Block`]s: pure functions over plain data (no
//! database, clock or font). `layout` places the blocks on A4 pages.

use time::{Date, OffsetDateTime, UtcOffset};

use crate::procedures::jp::format_wareki;

/// One piece of a document, top to bottom.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// A line flush right (文書番号, 日付, the issuer).
    Right { text: String, size: f32 },
    /// A line flush left (宛名).
    Left { text: String, size: f32 },
    /// A centred heading (the document's title).
    Title { text: String, size: f32 },
    /// Wrapped text, with a left indent in points.
    Para {
        text: String,
        size: f32,
        indent: f32,
    },
    /// A label and a wrapped value in two columns (the 記 part).
    Field {
        label: String,
        value: String,
        size: f32,
    },
    /// The signer line flush right, with the seal (or （公印省略）) beside it.
    Signer { text: String, seal: bool },
    /// Vertical space in points.
    Gap(f32),
    /// A thin horizontal line.
    Rule,
}

pub const BODY: f32 = 10.5;
pub const SMALL: f32 = 8.5;

/// The Japan time of a UTC millisecond instant.
pub fn jst(ms: i64) -> OffsetDateTime {
    let jst = UtcOffset::from_hms(9, 0, 0).unwrap_or(UtcOffset::UTC);
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(jst)
}

/// `令和8年12月1日（2026年12月1日）`: the 和暦 date with the 西暦 date after it.
pub fn both_dates(d: Date) -> String {
    format!(
        "{}（{}年{}月{}日）",
        format_wareki(d),
        d.year(),
        u8::from(d.month()),
        d.day()
    )
}

/// `令和8年12月1日（2026年12月1日）10時05分`.
pub fn both_dates_time(ms: i64) -> String {
    let t = jst(ms);
    format!("{}{}時{:02}分", both_dates(t.date()), t.hour(), t.minute())
}

/// `12,345円` (the catalogue's digit grouping).
pub fn yen(n: i64) -> String {
    format!("{}円", crate::procedures::model::yen(n))
}

/// Everything a receipt (受付票) shows; generated on demand from the stored application.
#[derive(Clone, Debug)]
pub struct ReceiptData {
    pub town_ja: String,
    pub department_ja: String,
    pub procedure_ja: String,
    pub applicant: String,
    /// 受付番号 as shown: `7KQ2-M9XD-M`.
    pub receipt: String,
    pub submitted_at: i64,
    pub due_at: Option<i64>,
    pub fee_yen: Option<i64>,
    pub issued_at: i64,
    /// Where the applicant follows the case.
    pub link: String,
    pub contact: String,
}

pub fn receipt_blocks(r: &ReceiptData) -> Vec<Block> {
    let mut b = vec![
        Block::Right {
            text: format!("発行日　{}", both_dates(jst(r.issued_at).date())),
            size: BODY,
        },
        Block::Gap(18.0),
        Block::Title {
            text: "受　付　票".into(),
            size: 20.0,
        },
        Block::Gap(18.0),
        Block::Left {
            text: format!("{}　様", r.applicant),
            size: 14.0,
        },
        Block::Gap(12.0),
        Block::Para {
            text: format!(
                "{}は、次のとおりあなたの申請を受け付けました。この受付票は申請を受け付けたことを示すもので、許可や決定を示すものではありません。",
                r.town_ja
            ),
            size: BODY,
            indent: 0.0,
        },
        Block::Gap(14.0),
        Block::Field {
            label: "受付番号".into(),
            value: r.receipt.clone(),
            size: 16.0,
        },
        Block::Field {
            label: "手続".into(),
            value: r.procedure_ja.clone(),
            size: BODY,
        },
        Block::Field {
            label: "申請者".into(),
            value: r.applicant.clone(),
            size: BODY,
        },
        Block::Field {
            label: "受付日時".into(),
            value: both_dates_time(r.submitted_at),
            size: BODY,
        },
        Block::Field {
            label: "担当".into(),
            value: r.department_ja.clone(),
            size: BODY,
        },
    ];
    if let Some(d) = r.due_at {
        b.push(Block::Field {
            label: "処理予定日".into(),
            value: format!("{}（標準処理期間による目安）", both_dates(jst(d).date())),
            size: BODY,
        });
    }
    if let Some(f) = r.fee_yen {
        b.push(Block::Field {
            label: "手数料".into(),
            value: yen(f),
            size: BODY,
        });
    }
    b.extend([
        Block::Gap(14.0),
        Block::Para {
            text: format!(
                "申請の状況、市からのお知らせ、補正（修正）のお願いと結果の通知は、次のページでご確認いただけます。{}",
                r.link
            ),
            size: BODY,
            indent: 0.0,
        },
        Block::Gap(24.0),
        Block::Right {
            text: r.town_ja.clone(),
            size: 12.0,
        },
    ]);
    footer(&mut b, &r.department_ja, &r.contact, None);
    b
}

/// The decision a notice tells of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    Approved,
    Rejected,
    Dismissed,
    Completed,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Approved => "approved",
            NoticeKind::Rejected => "rejected",
            NoticeKind::Dismissed => "dismissed",
            NoticeKind::Completed => "completed",
        }
    }
    pub fn parse(s: &str) -> Option<NoticeKind> {
        [
            NoticeKind::Approved,
            NoticeKind::Rejected,
            NoticeKind::Dismissed,
            NoticeKind::Completed,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
    /// The case state a notice is issued for.
    pub fn of_state(state: crate::procedures::case::CaseState) -> Option<NoticeKind> {
        use crate::procedures::case::CaseState as S;
        match state {
            S::Approved => Some(NoticeKind::Approved),
            S::Rejected => Some(NoticeKind::Rejected),
            S::Dismissed => Some(NoticeKind::Dismissed),
            S::Completed => Some(NoticeKind::Completed),
            _ => None,
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            NoticeKind::Approved => "承認通知書",
            NoticeKind::Rejected => "不承認通知書",
            NoticeKind::Dismissed => "却下通知書",
            NoticeKind::Completed => "手続完了通知書",
        }
    }
    pub fn word(self) -> &'static str {
        match self {
            NoticeKind::Approved => "承認",
            NoticeKind::Rejected => "不承認",
            NoticeKind::Dismissed => "却下",
            NoticeKind::Completed => "完了",
        }
    }
    /// Refusals carry 教示 (how to appeal): 行政不服審査法 第82条, 行政事件訴訟法 第46条.
    pub fn has_appeal(self) -> bool {
        matches!(self, NoticeKind::Rejected | NoticeKind::Dismissed)
    }
}

/// Everything a notice (通知書) shows; fixed at decision time.
#[derive(Clone, Debug)]
pub struct NoticeData {
    pub kind: NoticeKind,
    pub town_ja: String,
    pub mayor: String,
    pub department_ja: String,
    pub procedure_ja: String,
    pub applicant: String,
    pub receipt: String,
    /// 文書番号.
    pub number: String,
    pub submitted_at: i64,
    pub decided_at: i64,
    /// The reason (不承認・却下) and/or the notice text staff wrote.
    pub text: String,
    pub contact: String,
    pub seal: bool,
    pub signed: bool,
}

/// The 文書番号 of a notice: department, then the receipt number.
pub fn notice_number(department_ja: &str, receipt: &str) -> String {
    let dept = department_ja.trim_end_matches('課');
    format!("{dept}第{receipt}号")
}

/// The 教示 paragraphs of a refusal (the standard wording of 行政不服審査法 第82条 and
/// 行政事件訴訟法 第46条).
pub fn appeal_text(town_ja: &str, mayor_title: &str) -> [String; 2] {
    [
        format!(
            "1　この処分に不服がある場合には、この処分があったことを知った日の翌日から起算して3か月以内に、{mayor_title}に対して審査請求をすることができます（行政不服審査法）。ただし、処分があったことを知った日の翌日から起算して3か月以内であっても、処分の日の翌日から起算して1年を経過すると審査請求をすることができなくなります。"
        ),
        format!(
            "2　この処分の取消しの訴えは、この処分があったことを知った日の翌日から起算して6か月以内に、{town_ja}を被告として（訴訟において{town_ja}を代表する者は{mayor_title}となります。）提起することができます（行政事件訴訟法）。ただし、処分の日の翌日から起算して1年を経過すると提起することができなくなります。なお、審査請求をした場合には、その審査請求に対する裁決があったことを知った日の翌日から起算して6か月以内に提起することができます。"
        ),
    ]
}

pub fn notice_blocks(n: &NoticeData) -> Vec<Block> {
    let decided = both_dates(jst(n.decided_at).date());
    let submitted = both_dates(jst(n.submitted_at).date());
    let mut b = vec![
        Block::Right {
            text: n.number.clone(),
            size: BODY,
        },
        Block::Right {
            text: decided.clone(),
            size: BODY,
        },
        Block::Gap(14.0),
        Block::Left {
            text: format!("{}　様", n.applicant),
            size: 14.0,
        },
        Block::Gap(10.0),
        Block::Signer {
            text: n.mayor.clone(),
            seal: n.seal,
        },
        Block::Gap(18.0),
        Block::Title {
            text: n.kind.title().into(),
            size: 18.0,
        },
        Block::Gap(14.0),
    ];
    let lead = match n.kind {
        NoticeKind::Completed => format!(
            "{submitted}付けで申請のありました{}について、手続が完了しましたので通知します。",
            n.procedure_ja
        ),
        k => format!(
            "{submitted}付けで申請のありました{}について、次のとおり{}と決定しましたので通知します。",
            n.procedure_ja,
            k.word()
        ),
    };
    b.extend([
        Block::Para {
            text: lead,
            size: BODY,
            indent: 10.5,
        },
        Block::Gap(10.0),
        Block::Title {
            text: "記".into(),
            size: BODY,
        },
        Block::Gap(6.0),
        Block::Field {
            label: "受付番号".into(),
            value: n.receipt.clone(),
            size: BODY,
        },
        Block::Field {
            label: "手続".into(),
            value: n.procedure_ja.clone(),
            size: BODY,
        },
        Block::Field {
            label: "申請者".into(),
            value: n.applicant.clone(),
            size: BODY,
        },
        Block::Field {
            label: "申請日".into(),
            value: submitted,
            size: BODY,
        },
        Block::Field {
            label: "決定日".into(),
            value: decided,
            size: BODY,
        },
        Block::Field {
            label: "決定の内容".into(),
            value: n.kind.word().into(),
            size: BODY,
        },
    ]);
    let text = n.text.trim();
    if !text.is_empty() {
        b.push(Block::Field {
            label: if n.kind.has_appeal() {
                "理由".into()
            } else {
                "通知事項".into()
            },
            value: text.to_owned(),
            size: BODY,
        });
    }
    if n.kind.has_appeal() {
        b.push(Block::Gap(12.0));
        b.push(Block::Left {
            text: "（教示）".into(),
            size: BODY,
        });
        for p in appeal_text(&n.town_ja, &format!("{}長", n.town_ja)) {
            b.push(Block::Para {
                text: p,
                size: 9.5,
                indent: 10.5,
            });
        }
    }
    footer(
        &mut b,
        &n.department_ja,
        &n.contact,
        Some(if n.signed {
            "この通知書には電子署名（CMS 分離署名、.p7s ファイル）が付されています。署名の検証方法は市のホームページでご案内しています。"
        } else {
            "この通知書はオンラインで交付されたものです。"
        }),
    );
    b
}

fn footer(b: &mut Vec<Block>, department_ja: &str, contact: &str, note: Option<&str>) {
    b.push(Block::Gap(24.0));
    b.push(Block::Rule);
    b.push(Block::Para {
        text: format!("担当　{department_ja}"),
        size: SMALL + 0.5,
        indent: 0.0,
    });
    if !contact.trim().is_empty() {
        b.push(Block::Para {
            text: format!("連絡先　{}", contact.trim()),
            size: SMALL + 0.5,
            indent: 0.0,
        });
    }
    if let Some(n) = note {
        b.push(Block::Para {
            text: n.to_owned(),
            size: SMALL,
            indent: 0.0,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_both_calendars() {
        assert_eq!(
            both_dates(time::macros::date!(2026 - 12 - 01)),
            "令和8年12月1日（2026年12月1日）"
        );
        assert_eq!(
            both_dates(time::macros::date!(2019 - 05 - 01)),
            "令和元年5月1日（2019年5月1日）"
        );
        // 2026-11-30T15:30Z is 2026-12-01 00:30 in Japan.
        assert_eq!(
            both_dates_time(1_796_052_600_000),
            "令和8年12月1日（2026年12月1日）0時30分"
        );
    }

    #[test]
    fn yen_has_separators() {
        assert_eq!(yen(300), "300円");
        assert_eq!(yen(12_345), "12,345円");
        assert_eq!(yen(1_000_000), "1,000,000円");
    }

    #[test]
    fn refusals_carry_the_appeal_instructions() {
        for kind in [
            NoticeKind::Approved,
            NoticeKind::Rejected,
            NoticeKind::Dismissed,
            NoticeKind::Completed,
        ] {
            let n = NoticeData {
                kind,
                town_ja: "市川市".into(),
                mayor: "市川市長　田中　甲".into(),
                department_ja: "市民課".into(),
                procedure_ja: "住民票の写しの交付請求".into(),
                applicant: "市川 花子".into(),
                receipt: "7KQ2-M9XD-M".into(),
                number: notice_number("市民課", "7KQ2-M9XD-M"),
                submitted_at: 0,
                decided_at: 0,
                text: "所得が基準を超えています".into(),
                contact: String::new(),
                seal: false,
                signed: false,
            };
            let all = format!("{:?}", notice_blocks(&n));
            assert!(all.contains(kind.title()));
            assert_eq!(all.contains("3か月以内"), kind.has_appeal(), "{kind:?}");
            assert_eq!(all.contains("6か月以内"), kind.has_appeal(), "{kind:?}");
            assert!(all.contains("市民第7KQ2-M9XD-M号"));
        }
    }
}
