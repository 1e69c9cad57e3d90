//! Property: random sequences of actions by random people, run through the case SERVICE
//! (`application::workflow`) on SQLite and PostgreSQL, never leave the states the state machine
//! allows. After every step the stored state is exactly what `case::apply` predicts (the new
//! state when it accepts, the old one when it refuses), a refused step changes nothing, and
//! every accepted step wrote exactly one audit event.

#[macro_use]
mod common;
#[allow(dead_code)]
mod app_fixture;
mod support;

use app_fixture::*;
use madoguchi::audit::Actor;
use madoguchi::auth::store::{UserRow, find_user};
use madoguchi::db::Db;
use madoguchi::procedures::application::{self, workflow};
use madoguchi::procedures::case::{self, Action, CaseState};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::json;
use support::*;

const SEQUENCES: usize = 30;

fn action(i: usize) -> Action {
    match i {
        0 => Action::StartReview,
        1 => Action::RequestCorrection {
            fields: vec!["full_name".into()],
        },
        2 => Action::Resubmit,
        3 => Action::Approve,
        4 => Action::Reject {
            reason: "要件を満たしません。".into(),
        },
        5 => Action::Dismiss {
            reason: "書類が不足しています。".into(),
        },
        6 => Action::Withdraw,
        _ => Action::Complete,
    }
}

async fn state_of(db: &Db, id: i64) -> CaseState {
    let row = application::store::by_id(db, ICHIKAWA, id)
        .await
        .expect("read")
        .expect("row");
    CaseState::parse(&row.state).expect("a known state")
}

async fn case_events(db: &Db) -> usize {
    audit_actions(db)
        .await
        .iter()
        .filter(|a| a.starts_with("case."))
        .count()
}

db_test!(
    random_action_sequences_stay_in_allowed_states,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let f = Fixture::new(&app).await;
        let user = |id: i64| {
            let db = db.clone();
            async move { find_user(&db, id).await.expect("user").expect("exists") }
        };
        let dx_id: Vec<(i64,)> =
            common::fetch_raw(&db, &format!("SELECT id FROM users WHERE email = '{DX}'")).await;
        let admin_id: Vec<(i64,)> = common::fetch_raw(
            &db,
            &format!("SELECT id FROM users WHERE email = '{ADMIN}'"),
        )
        .await;
        // 0 the applicant, 1 課の職員, 2 審査担当, 3 管理者, 4 DX推進員 (another department).
        let people: Vec<UserRow> = vec![
            user(f.hanako).await,
            user(f.shimin_staff).await,
            user(f.reviewer).await,
            user(admin_id[0].0).await,
            user(dx_id[0].0).await,
        ];
        let mut runner = TestRunner::deterministic();
        // (who, which action, pick among the actions possible from the current state?): the
        // third element keeps most steps plausible so sequences get deep into the machine, while
        // the rest tries anything.
        let steps = proptest::collection::vec(
            (0..people.len(), 0..8usize, proptest::bool::weighted(0.75)),
            1..16,
        );
        let mut accepted = 0;
        let mut seen = std::collections::BTreeSet::new();
        for n in 0..SEQUENCES {
            let seq = steps.new_tree(&mut runner).expect("strategy").current();
            let s = application::submit(
                &db,
                ICHIKAWA,
                &Actor::User(f.hanako),
                "http://x",
                f.new_app(answers("市川 花子"), None),
            )
            .await
            .expect("submit");
            for (step, (who, what, plausible)) in seq.iter().enumerate() {
                let person = &people[*who];
                let before = state_of(&db, s.id).await;
                let possible: Vec<usize> = (0..8)
                    .filter(|i| case::next_state(before, action(*i).kind()).is_some())
                    .collect();
                let act = if *plausible && !possible.is_empty() {
                    action(possible[*what % possible.len()])
                } else {
                    action(*what)
                };
                let events_before = case_events(&db).await;
                // What the pure state machine says (DX推進員 of another department: not found).
                let expected = if *who == 4 {
                    None
                } else {
                    workflow::case_actor(person).and_then(|a| case::apply(before, &act, &a).ok())
                };
                let result = match &act {
                    Action::Resubmit => {
                        let mut a = answers("市川 花子");
                        a.insert("full_name".into(), json!(format!("市川 花子{n}-{step}")));
                        workflow::resubmit(
                            &db,
                            ICHIKAWA,
                            s.id,
                            person,
                            a,
                            vec![("fee".into(), 300)],
                            &[],
                        )
                        .await
                        .map(|d| d.transition.to)
                    }
                    other => {
                        workflow::act(&db, ICHIKAWA, s.id, person, other.clone(), "", "http://x")
                            .await
                            .map(|d| d.transition.to)
                    }
                };
                let after = state_of(&db, s.id).await;
                let events_after = case_events(&db).await;
                let ctx = format!("seq {n} step {step}: {who} {act:?} from {before:?}");
                match expected {
                    Some(t) => {
                        assert_eq!(result.as_ref().ok(), Some(&t.to), "{ctx}: {result:?}");
                        assert_eq!(after, t.to, "{ctx}");
                        assert_eq!(events_after, events_before + 1, "{ctx}: one audit event");
                        assert_eq!(case::next_state(before, act.kind()), Some(after), "{ctx}");
                        accepted += 1;
                    }
                    None => {
                        assert!(
                            result.is_err(),
                            "{ctx}: service accepted what the machine refuses"
                        );
                        assert_eq!(after, before, "{ctx}: a refusal changes nothing");
                        assert_eq!(events_after, events_before, "{ctx}: no audit event");
                    }
                }
                // A closed case only ever moves 承認 → 完了.
                if before.is_closed() && after != before {
                    assert_eq!(
                        (before, after),
                        (CaseState::Approved, CaseState::Completed),
                        "{ctx}"
                    );
                }
                seen.insert(after.as_str());
            }
        }
        eprintln!("{accepted} accepted steps; states reached: {seen:?}");
        assert!(
            accepted > 10,
            "the sequences exercised the machine: {accepted} accepted"
        );
        assert!(seen.len() >= 4, "several states reached: {seen:?}");
        assert_audit_intact(&db).await;
    }
);
