//! 手続きナビ flows (issue 5, "Tests"): every path through every shipped flow is enumerated
//! (all combinations of answers) and must end in a checklist; the checklists are compared with
//! the committed snapshots in tests/navi_snapshots/ (one line per path, readable in a diff;
//! `UPDATE_SNAPSHOTS=1 cargo test -p madoguchi --test navi_paths` rewrites them); and the rules
//! that matter most are tested node by node, citing life-event-navigator.md (the reference).

use std::time::Instant;

use madoguchi::navi::check;
use madoguchi::navi::deadline::{iso, parse_date};
use madoguchi::navi::engine::{self, Answers, Checklist, Step};
use madoguchi::navi::model::{EVENTS, Flow, SHIPPED, shipped};
use madoguchi::navi::view::{self, Catalogue};
use madoguchi::web::i18n::Lang;

const DATE: &str = "2026-04-01";

fn flow(event: &str) -> Flow {
    shipped(event).unwrap_or_else(|| panic!("{event} ships"))
}

fn answers(pairs: &[(&str, &str)]) -> Answers {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn done<'f>(f: &'f Flow, pairs: &[(&str, &str)], date: Option<&str>) -> Checklist<'f> {
    match engine::evaluate(f, &answers(pairs), date.and_then(parse_date)) {
        Step::Done(list) => list,
        Step::Ask { question, .. } => panic!("{}: still asks {}", f.event, question.id),
    }
}

fn ids(list: &Checklist<'_>) -> Vec<String> {
    list.items.iter().map(|i| i.procedure.id.clone()).collect()
}

fn due(list: &Checklist<'_>, id: &str) -> Option<String> {
    list.items
        .iter()
        .find(|i| i.procedure.id == id)
        .unwrap_or_else(|| panic!("{id} not on the list: {:?}", ids(list)))
        .due
        .map(iso)
}

fn next_question(f: &Flow, pairs: &[(&str, &str)]) -> String {
    match engine::evaluate(f, &answers(pairs), None) {
        Step::Ask { question, .. } => question.id.clone(),
        Step::Done(_) => "(checklist)".into(),
    }
}

/// One snapshot line: the answers, then each procedure with its last day ("-" when not
/// computed; `>DATE` when that day is a closed day and the deadline moves to DATE) and "?"
/// when it is listed only because of a 「わからない」 answer.
fn line(list: &Checklist<'_>) -> String {
    let items: Vec<String> = list
        .items
        .iter()
        .map(|i| {
            let moved = match (i.due, i.due_open) {
                (Some(d), Some(o)) if o != d => format!(">{}", iso(o)),
                _ => String::new(),
            };
            format!(
                "{}{}@{}{moved}",
                i.procedure.id,
                if i.uncertain { "?" } else { "" },
                i.due.map(iso).unwrap_or_else(|| "-".into())
            )
        })
        .collect();
    format!("{} | {}", list.query(), items.join(" "))
}

#[test]
fn every_path_of_every_event_ends_in_a_checklist_and_matches_its_snapshot() {
    let start = Instant::now();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/navi_snapshots");
    let update = std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1");
    let date = parse_date(DATE);
    let mut total = 0;
    let mut failures = Vec::new();
    assert_eq!(SHIPPED.len(), 7, "the seven life events (plan 1-3 KPI)");
    for event in EVENTS {
        let f = flow(event);
        let paths = engine::all_paths(&f, check::MAX_PATHS).expect("every path ends");
        assert!(!paths.is_empty(), "{event}");
        let mut text = format!(
            "# {event}: {} paths; deadlines for the event date {DATE}; id?=listed because of 「わからない」\n",
            paths.len()
        );
        let mut seen_questions = std::collections::BTreeSet::new();
        for p in &paths {
            let list = match engine::evaluate(&f, &engine::to_answers(p), date) {
                Step::Done(list) => list,
                Step::Ask { question, .. } => panic!("{event} {p:?}: ends asking {}", question.id),
            };
            assert!(
                !list.items.is_empty(),
                "{event} {}: empty checklist",
                list.query()
            );
            // The page and LINE render it without error.
            let cat = Catalogue::new();
            assert!(!view::items(Lang::Ja, &list, &cat).is_empty());
            assert!(view::text(Lang::En, &f, &list, &cat).contains(f.title(Lang::En)));
            for (q, _) in p {
                seen_questions.insert(q.clone());
            }
            text.push_str(&line(&list));
            text.push('\n');
        }
        // Every question is asked on some path.
        for q in &f.questions {
            assert!(
                seen_questions.contains(&q.id),
                "{event}: {} is never asked",
                q.id
            );
        }
        total += paths.len();
        let file = format!("{dir}/{event}.txt");
        if update {
            std::fs::create_dir_all(dir).expect("snapshot dir");
            std::fs::write(&file, &text).expect("write snapshot");
            continue;
        }
        let expected = std::fs::read_to_string(&file).unwrap_or_default();
        if expected != text {
            let diff: Vec<String> = diff_lines(&expected, &text);
            failures.push(format!("{event}:\n{}", diff.join("\n")));
        }
    }
    assert!(total > 1000, "enumerated {total} paths");
    let elapsed = start.elapsed();
    assert!(elapsed.as_secs() < 10, "the all-paths run took {elapsed:?}");
    assert!(
        failures.is_empty(),
        "checklists differ from tests/navi_snapshots (UPDATE_SNAPSHOTS=1 rewrites them after review):\n{}",
        failures.join("\n")
    );
}

/// Lines only in the snapshot (-) or only in the new output (+), at most 40.
fn diff_lines(old: &str, new: &str) -> Vec<String> {
    let o: std::collections::BTreeSet<&str> = old.lines().collect();
    let n: std::collections::BTreeSet<&str> = new.lines().collect();
    o.difference(&n)
        .map(|l| format!("- {l}"))
        .chain(n.difference(&o).map(|l| format!("+ {l}")))
        .take(40)
        .collect()
}

#[test]
fn the_shipped_flows_pass_the_publish_checks() {
    for (event, _) in SHIPPED {
        assert_eq!(check::check(&flow(event), event), vec![], "{event}");
    }
}

// ---- node by node ----------------------------------------------------------------------------

#[test]
fn tennyu_questions_follow_the_card_answer() {
    // §2: "My Number card held? use online 転出?" — only a card holder is asked about online 転出.
    let f = flow("tennyu");
    assert_eq!(next_question(&f, &[]), "card");
    assert_eq!(next_question(&f, &[("card", "yes")]), "online");
    assert_eq!(next_question(&f, &[("card", "no")]), "kokuho");
    assert_eq!(next_question(&f, &[("card", "unknown")]), "kokuho");
    // §2 "school-age children (転校)?" — asked only when there are children.
    let base = [("card", "no"), ("kokuho", "no"), ("elderly", "no")];
    let mut with = base.to_vec();
    with.push(("children", "yes"));
    assert_eq!(next_question(&f, &with), "school");
    let mut without = base.to_vec();
    without.push(("children", "no"));
    assert_eq!(next_question(&f, &without), "inkan");
}

#[test]
fn tennyu_deadlines_and_conditions() {
    let f = flow("tennyu");
    let all_yes = [
        ("card", "yes"),
        ("online", "yes"),
        ("kokuho", "yes"),
        ("elderly", "yes"),
        ("children", "yes"),
        ("school", "yes"),
        ("inkan", "yes"),
        ("dog", "yes"),
    ];
    let list = done(&f, &all_yes, Some(DATE));
    // §1 and §3 転入: 転入届 within 14 days after moving in (初日不算入): 4/1 → 4/15.
    assert_eq!(due(&list, "tennyu").as_deref(), Some("2026-04-15"));
    // §3 転入 国保 14 days.
    assert_eq!(due(&list, "kokuho").as_deref(), Some("2026-04-15"));
    // §3 児童手当 15 days from the day after the event: 4/16.
    assert_eq!(due(&list, "jidoteate").as_deref(), Some("2026-04-16"));
    // §1: My Number card 継続利用 is 90 days after the 転入届, not computable from the move date.
    assert_eq!(due(&list, "mynumber"), None);
    // §1 online 転出: no paper 転出証明書, the card instead.
    let bring: Vec<&str> = list.items[0].bring.iter().map(|(ja, _)| *ja).collect();
    assert!(
        !bring.iter().any(|b| b.starts_with("転出証明書")),
        "{bring:?}"
    );
    assert!(
        bring.iter().any(|b| b.starts_with("マイナンバーカード")),
        "{bring:?}"
    );
    let none = [
        ("card", "no"),
        ("kokuho", "no"),
        ("elderly", "no"),
        ("children", "no"),
        ("inkan", "no"),
        ("dog", "no"),
    ];
    let list = done(&f, &none, Some(DATE));
    assert_eq!(
        ids(&list),
        vec!["tennyu"],
        "everyone files the 転入届, nothing else applies"
    );
    let bring: Vec<&str> = list.items[0].bring.iter().map(|(ja, _)| *ja).collect();
    assert!(
        bring.iter().any(|b| b.starts_with("転出証明書")),
        "{bring:?}"
    );
    // 「わからない」 lists the procedure, marked to check.
    let mut unsure = none.to_vec();
    unsure[1] = ("kokuho", "unknown");
    let list = done(&f, &unsure, Some(DATE));
    let k = list
        .items
        .iter()
        .find(|i| i.procedure.id == "kokuho")
        .expect("listed");
    assert!(k.uncertain);
    assert!(!list.items[0].uncertain);
}

#[test]
fn tenshutsu_online_or_at_the_counter() {
    let f = flow("tenshutsu");
    let rest = [
        ("kokuho", "yes"),
        ("elderly", "no"),
        ("children", "yes"),
        ("school", "no"),
        ("inkan", "yes"),
    ];
    let mut online = vec![("card", "yes"), ("online", "yes")];
    online.extend(rest);
    let list = done(&f, &online, Some("2026-04-20"));
    let got = ids(&list);
    assert!(got.contains(&"tenshutsu-online".into()) && !got.contains(&"tenshutsu".into()));
    // §1: online 転出 from 30 days before to 10 days after the move.
    let item = &list.items[0];
    assert_eq!(item.opens.map(iso).as_deref(), Some("2026-03-21"));
    assert_eq!(item.due.map(iso).as_deref(), Some("2026-04-30"));
    // §3 転出: at the counter about 14 days before to 14 days after.
    let mut paper = vec![("card", "no")];
    paper.extend(rest);
    let list = done(&f, &paper, Some("2026-04-20"));
    assert_eq!(list.items[0].procedure.id, "tenshutsu");
    assert_eq!(list.items[0].opens.map(iso).as_deref(), Some("2026-04-06"));
    assert_eq!(list.items[0].due.map(iso).as_deref(), Some("2026-05-04"));
    // 児童手当 at the new city: 15 days from the day after the move.
    assert_eq!(due(&list, "jidoteate-new").as_deref(), Some("2026-05-05"));
    // 印鑑登録 ends with the 転出届 (§3 転出), so the 印鑑登録証 is brought.
    let bring: Vec<&str> = list.items[0].bring.iter().map(|(ja, _)| *ja).collect();
    assert!(bring.contains(&"印鑑登録証（カード）"), "{bring:?}");
}

#[test]
fn shussei_counts_the_day_of_birth() {
    let f = flow("shussei");
    // §3 出生: 出生届 14 days INCLUDING the day of birth (戸籍法第43条): born 4/1 → 4/14.
    let list = done(
        &f,
        &[
            ("insurance", "kokuho"),
            ("direct", "yes"),
            ("weight", "no"),
            ("koumuin", "no"),
        ],
        Some(DATE),
    );
    assert_eq!(due(&list, "shussei").as_deref(), Some("2026-04-14"));
    // 児童手当 15 days from the day after the birth: 4/16.
    assert_eq!(due(&list, "jidoteate").as_deref(), Some("2026-04-16"));
    // 出産育児一時金: 2-year limit (国保 members only).
    assert_eq!(due(&list, "ichijikin").as_deref(), Some("2028-04-01"));
    assert!(!ids(&list).contains(&"teitaiju".into()));
    // Employer insurance: no 国保 items, and a 公務員 claims 児童手当 at work.
    let list = done(
        &f,
        &[("insurance", "work"), ("weight", "yes"), ("koumuin", "yes")],
        Some(DATE),
    );
    let got = ids(&list);
    assert!(!got.contains(&"kokuho".into()) && !got.contains(&"ichijikin".into()));
    assert!(got.contains(&"jidoteate-work".into()) && !got.contains(&"jidoteate".into()));
    // < 2,500 g → 低体重児出生届 (§3 出生).
    assert!(got.contains(&"teitaiju".into()));
    // The direct-payment question is asked only of 国保 members.
    assert_eq!(next_question(&f, &[("insurance", "work")]), "weight");
    assert_eq!(next_question(&f, &[("insurance", "kokuho")]), "direct");
}

#[test]
fn shibo_seven_days_and_household_head() {
    let f = flow("shibo");
    let pairs = [
        ("setainushi", "yes"),
        ("insurance", "kouki"),
        ("kaigo", "yes"),
        ("pension", "yes"),
        ("techo", "no"),
        ("jidoteate", "no"),
    ];
    let list = done(&f, &pairs, Some("2026-02-25"));
    // §3 死亡: 7 days from learning of it, the first day counted: 2/25 → 3/3 (2026 is no leap year).
    assert_eq!(due(&list, "shibo").as_deref(), Some("2026-03-03"));
    // 世帯主変更届: 14 days (世帯主 with ≥ 2 members left).
    assert_eq!(due(&list, "setainushi").as_deref(), Some("2026-03-11"));
    let got = ids(&list);
    assert!(got.contains(&"kouki".into()) && !got.contains(&"kokuho".into()));
    assert!(!got.contains(&"techo".into()));
    let list = done(
        &f,
        &[
            ("setainushi", "no"),
            ("insurance", "work"),
            ("kaigo", "no"),
            ("pension", "no"),
            ("techo", "no"),
            ("jidoteate", "no"),
        ],
        None,
    );
    assert_eq!(ids(&list), vec!["shibo", "maisoryo", "okuyami"]);
    assert_eq!(list.items[0].due, None, "no date, no computed deadline");
}

#[test]
fn rikon_court_ten_days_and_surname_three_months() {
    let f = flow("rikon");
    let list = done(
        &f,
        &[
            ("kind", "court"),
            ("surname", "yes"),
            ("move", "split"),
            ("kokuho", "no"),
            ("children", "yes"),
        ],
        Some("2026-01-10"),
    );
    // §3 離婚: court divorce 10 days (first day counted): 1/10 → 1/19.
    assert_eq!(due(&list, "rikon-court").as_deref(), Some("2026-01-19"));
    // 婚氏続称 (戸籍法77条の2): 3 months → 4/9.
    assert_eq!(due(&list, "koshou").as_deref(), Some("2026-04-09"));
    let got = ids(&list);
    assert!(got.contains(&"setai".into()) && !got.contains(&"rikon".into()));
    for id in ["jidoteate", "fuyoteate", "hitorioya", "ko-no-uji"] {
        assert!(
            got.contains(&id.to_owned()),
            "{id} for a parent raising children"
        );
    }
    // Keeping the married surname: no surname change for the card.
    assert!(!got.contains(&"mynumber".into()));
    let list = done(
        &f,
        &[
            ("kind", "kyogi"),
            ("surname", "no"),
            ("move", "no"),
            ("kokuho", "yes"),
            ("children", "no"),
        ],
        Some("2026-01-10"),
    );
    assert_eq!(ids(&list), vec!["rikon", "mynumber", "kokuho"]);
    assert_eq!(
        due(&list, "rikon"),
        None,
        "協議離婚: effective on filing, no deadline"
    );
}

#[test]
fn konin_and_tenkyo_moves() {
    let f = flow("konin");
    for (mv, id) in [("within", "tenkyo"), ("in", "tennyu"), ("out", "tenshutsu")] {
        let list = done(
            &f,
            &[
                ("move", mv),
                ("card", "no"),
                ("inkan", "no"),
                ("fuyo", "no"),
                ("kokuho", "no"),
                ("children", "no"),
            ],
            Some(DATE),
        );
        assert_eq!(ids(&list), vec!["konin".to_owned(), id.to_owned()], "{mv}");
    }
    let f = flow("tenkyo");
    let list = done(
        &f,
        &[
            ("card", "yes"),
            ("kokuho", "no"),
            ("elderly", "no"),
            ("school", "no"),
        ],
        Some(DATE),
    );
    // §3 転居: 14 days.
    assert_eq!(due(&list, "tenkyo").as_deref(), Some("2026-04-15"));
    assert_eq!(ids(&list), vec!["tenkyo", "mynumber"]);
}

#[test]
fn answers_off_the_path_and_bad_values() {
    let f = flow("tenkyo");
    // An answer to a question not on the path is ignored; a bad value re-asks the question.
    match engine::evaluate(&f, &answers(&[("card", "maybe"), ("school", "yes")]), None) {
        Step::Ask {
            question, invalid, ..
        } => {
            assert_eq!(question.id, "card");
            assert!(invalid);
        }
        Step::Done(_) => panic!("asks again"),
    }
    let q = engine::answers_from_query(&f, "card=yes&utm_source=x&date=2026-01-01");
    assert_eq!(q, answers(&[("card", "yes")]));
}

/// The day a listed procedure is still on time (after 民法第142条).
fn open_day(list: &Checklist<'_>, id: &str) -> Option<String> {
    list.items
        .iter()
        .find(|i| i.procedure.id == id)
        .unwrap_or_else(|| panic!("{id} not on the list: {:?}", ids(list)))
        .due_open
        .map(iso)
}

#[test]
fn deadlines_on_closed_days_move_to_the_next_open_day() {
    let tennyu = [
        ("card", "yes"),
        ("online", "yes"),
        ("kokuho", "yes"),
        ("elderly", "no"),
        ("children", "no"),
        ("inkan", "no"),
        ("dog", "no"),
    ];
    // Golden Week 2026: moved in on Sunday 4/19 → 14 days end on Sunday 5/3 (憲法記念日);
    // 5/4, 5/5 and the 振替休日 5/6 are closed too → 転入届 and 国保 on time until Thursday 5/7.
    let f = flow("tennyu");
    let list = done(&f, &tennyu, Some("2026-04-19"));
    assert_eq!(due(&list, "tennyu").as_deref(), Some("2026-05-03"));
    assert_eq!(open_day(&list, "tennyu").as_deref(), Some("2026-05-07"));
    assert_eq!(open_day(&list, "kokuho").as_deref(), Some("2026-05-07"));
    let items = view::items(Lang::Ja, &list, &Catalogue::new());
    assert_eq!(items[0].due.as_deref(), Some("2026年5月7日（木）"));
    assert_eq!(
        items[0].due_moved.as_deref(),
        Some(
            "期限の日（2026年5月3日（日））が閉庁日（憲法記念日）のため、次の開庁日（2026年5月7日（木））まで"
        )
    );
    // The LINE text says it too.
    let text = view::text(Lang::Ja, &f, &list, &Catalogue::new());
    assert!(
        text.contains("次の開庁日（2026年5月7日（木））まで"),
        "{text}"
    );
    // An open last day does not move and says nothing.
    let list = done(&f, &tennyu, Some(DATE));
    assert_eq!(open_day(&list, "tennyu").as_deref(), Some("2026-04-15"));
    assert_eq!(
        view::items(Lang::Ja, &list, &Catalogue::new())[0].due_moved,
        None
    );

    // 年末年始: born Wednesday 12/16 → 出生届 (day of birth counted) ends 12/29, 児童手当
    // (15 days from 12/17) ends 12/31; the city hall reopens Monday 2027-01-04.
    let f = flow("shussei");
    let list = done(
        &f,
        &[
            ("insurance", "kokuho"),
            ("direct", "yes"),
            ("weight", "no"),
            ("koumuin", "no"),
        ],
        Some("2026-12-16"),
    );
    assert_eq!(due(&list, "shussei").as_deref(), Some("2026-12-29"));
    assert_eq!(open_day(&list, "shussei").as_deref(), Some("2027-01-04"));
    assert_eq!(due(&list, "jidoteate").as_deref(), Some("2026-12-31"));
    assert_eq!(open_day(&list, "jidoteate").as_deref(), Some("2027-01-04"));
    let items = view::items(Lang::Ja, &list, &Catalogue::new());
    assert!(
        items[0]
            .due_moved
            .as_deref()
            .is_some_and(|m| m.contains("年末年始の休み")),
        "{:?}",
        items[0].due_moved
    );

    // A 振替休日 as the last day: 勤労感謝の日 2025-11-23 is a Sunday, so Monday 11/24 is closed.
    // Learned of a death on Tuesday 11/18 → 死亡届 (7 days, that day counted) ends 11/24 → 11/25.
    let f = flow("shibo");
    let shibo = [
        ("setainushi", "no"),
        ("insurance", "work"),
        ("kaigo", "no"),
        ("pension", "no"),
        ("techo", "no"),
        ("jidoteate", "no"),
    ];
    let list = done(&f, &shibo, Some("2025-11-18"));
    assert_eq!(due(&list, "shibo").as_deref(), Some("2025-11-24"));
    assert_eq!(open_day(&list, "shibo").as_deref(), Some("2025-11-25"));
    let items = view::items(Lang::Ja, &list, &Catalogue::new());
    assert!(
        items[0]
            .due_moved
            .as_deref()
            .is_some_and(|m| m.contains("閉庁日（振替休日）")),
        "{:?}",
        items[0].due_moved
    );

    // マイナポータル's online 転出届 window (10 days after the move) is the service's own and
    // does not move: moved out 4/1 → ends Saturday 4/11 and stays.
    let f = flow("tenshutsu");
    let list = done(
        &f,
        &[
            ("card", "yes"),
            ("online", "yes"),
            ("kokuho", "no"),
            ("elderly", "no"),
            ("children", "no"),
            ("inkan", "no"),
        ],
        Some(DATE),
    );
    assert_eq!(
        due(&list, "tenshutsu-online").as_deref(),
        Some("2026-04-11")
    );
    assert_eq!(
        open_day(&list, "tenshutsu-online").as_deref(),
        Some("2026-04-11")
    );
}
