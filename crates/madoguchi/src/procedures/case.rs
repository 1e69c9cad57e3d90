//! Plan 1-1 オンライン申請: the case (案件) workflow (issue 3, "Applications and cases").
//!
//! A submitted application becomes a case that staff handle. This module is the state machine
//! and nothing else: [`apply`] takes the current state, an action and who is acting, and says
//! either where the case goes and what must happen next ([`Transition`]), or why not
//! ([`TransitionError`], with a plain sentence in Japanese and English). No database, clock or
//! I/O: storage, the staff queue, notices and the audit trail are the caller's job and follow
//! what the [`Transition`] says.
//!
//! ```text
//!            StartReview              RequestCorrection             Resubmit
//!  受付 ──────────────────▶ 審査中 ───────────────────▶ 補正依頼中 ──────────────▶ 再提出
//!                            ▲  │                          ▲   │ Dismiss              │ │
//!                            │  │ Approve/Reject/Dismiss   │   ▼ (no answer)          │ │
//!                            │  ▼                          │  却下                    │ │
//!                            │ 承認 ──Complete──▶ 完了      └──RequestCorrection──────┘ │
//!                            │ 不承認 / 却下                                            │
//!                            └──────────────StartReview───────────────────────────────┘
//!  取下げ: the applicant, from any state before a decision (受付, 審査中, 補正依頼中, 再提出).
//! ```
//!
//! Who may do what (see `docs/procedures.md` for the same table):
//!
//! | action | applicant | 課の職員 | 審査担当 | 管理者 | DX推進員 |
//! |---|---|---|---|---|---|
//! | StartReview (審査開始) | | ✓ | ✓ | ✓ | |
//! | RequestCorrection (補正依頼) | | ✓ | ✓ | ✓ | |
//! | Resubmit (再提出) | ✓ | | | | |
//! | Approve / Reject / Dismiss (承認・不承認・却下) | | | ✓ | ✓ | |
//! | Withdraw (取下げ) | ✓ | | | | |
//! | Complete (完了) | | ✓ | | ✓ | |
//!
//! Why: a decision (処分) has legal effect, so only the reviewer, or the administrator standing in
//! for one in a small town, makes it; department staff run the case before and after. Only the
//! applicant speaks for the application (resubmitting, withdrawing); staff cannot do it for them.
//! DX推進員 work on seminars and KPIs and never touch a case. [`Actor::Resident`] means *the
//! applicant of this case*: the caller has already refused (with 404) anyone else.

use crate::auth::Role;
use crate::web::i18n::Lang;

/// Where a case stands. Stored as [`CaseState::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaseState {
    /// 受付: submitted, nobody has looked at it yet.
    Received,
    /// 審査中: staff are examining it.
    UnderReview,
    /// 補正依頼中: staff asked the applicant to fix named fields; the city waits for them.
    CorrectionRequested,
    /// 再提出: the applicant fixed the fields; back with staff.
    Resubmitted,
    /// 承認: granted. The only closed state that can still move, to 完了.
    Approved,
    /// 不承認: refused on the merits.
    Rejected,
    /// 却下: refused without a decision on the merits (formal requirements not met).
    Dismissed,
    /// 取下げ: withdrawn by the applicant.
    Withdrawn,
    /// 完了: closed after approval (certificate issued, benefit paid…).
    Completed,
}

impl CaseState {
    pub const ALL: [CaseState; 9] = [
        CaseState::Received,
        CaseState::UnderReview,
        CaseState::CorrectionRequested,
        CaseState::Resubmitted,
        CaseState::Approved,
        CaseState::Rejected,
        CaseState::Dismissed,
        CaseState::Withdrawn,
        CaseState::Completed,
    ];

    /// The stable code stored in the database. Never change one.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Received => "received",
            CaseState::UnderReview => "under_review",
            CaseState::CorrectionRequested => "correction_requested",
            CaseState::Resubmitted => "resubmitted",
            CaseState::Approved => "approved",
            CaseState::Rejected => "rejected",
            CaseState::Dismissed => "dismissed",
            CaseState::Withdrawn => "withdrawn",
            CaseState::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Option<CaseState> {
        CaseState::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (CaseState::Received, Lang::Ja) => "受付",
            (CaseState::Received, Lang::En) => "Received",
            (CaseState::UnderReview, Lang::Ja) => "審査中",
            (CaseState::UnderReview, Lang::En) => "Under review",
            (CaseState::CorrectionRequested, Lang::Ja) => "補正依頼中",
            (CaseState::CorrectionRequested, Lang::En) => "Correction requested",
            (CaseState::Resubmitted, Lang::Ja) => "再提出",
            (CaseState::Resubmitted, Lang::En) => "Resubmitted",
            (CaseState::Approved, Lang::Ja) => "承認",
            (CaseState::Approved, Lang::En) => "Approved",
            (CaseState::Rejected, Lang::Ja) => "不承認",
            (CaseState::Rejected, Lang::En) => "Rejected",
            (CaseState::Dismissed, Lang::Ja) => "却下",
            (CaseState::Dismissed, Lang::En) => "Dismissed",
            (CaseState::Withdrawn, Lang::Ja) => "取下げ",
            (CaseState::Withdrawn, Lang::En) => "Withdrawn",
            (CaseState::Completed, Lang::Ja) => "完了",
            (CaseState::Completed, Lang::En) => "Completed",
        }
    }

    /// Decided or withdrawn: the application is no longer pending. Only 承認 → 完了 leaves one.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            CaseState::Approved
                | CaseState::Rejected
                | CaseState::Dismissed
                | CaseState::Withdrawn
                | CaseState::Completed
        )
    }
}

/// What someone does to a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    StartReview,
    /// 補正依頼: the form field ids the applicant must fix (at least one).
    RequestCorrection {
        fields: Vec<String>,
    },
    Resubmit,
    Approve,
    /// 不承認. The reason goes into the decision notice (行政手続法 第8条: a refusal states why).
    Reject {
        reason: String,
    },
    /// 却下. Same duty to state the reason as [`Action::Reject`].
    Dismiss {
        reason: String,
    },
    Withdraw,
    Complete,
}

/// [`Action`] without its data: what the permission table is keyed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActionKind {
    StartReview,
    RequestCorrection,
    Resubmit,
    Approve,
    Reject,
    Dismiss,
    Withdraw,
    Complete,
}

impl ActionKind {
    pub const ALL: [ActionKind; 8] = [
        ActionKind::StartReview,
        ActionKind::RequestCorrection,
        ActionKind::Resubmit,
        ActionKind::Approve,
        ActionKind::Reject,
        ActionKind::Dismiss,
        ActionKind::Withdraw,
        ActionKind::Complete,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (ActionKind::StartReview, Lang::Ja) => "審査開始",
            (ActionKind::StartReview, Lang::En) => "start the review",
            (ActionKind::RequestCorrection, Lang::Ja) => "補正依頼",
            (ActionKind::RequestCorrection, Lang::En) => "request a correction",
            (ActionKind::Resubmit, Lang::Ja) => "再提出",
            (ActionKind::Resubmit, Lang::En) => "resubmit",
            (ActionKind::Approve, Lang::Ja) => "承認",
            (ActionKind::Approve, Lang::En) => "approve",
            (ActionKind::Reject, Lang::Ja) => "不承認",
            (ActionKind::Reject, Lang::En) => "reject",
            (ActionKind::Dismiss, Lang::Ja) => "却下",
            (ActionKind::Dismiss, Lang::En) => "dismiss",
            (ActionKind::Withdraw, Lang::Ja) => "取下げ",
            (ActionKind::Withdraw, Lang::En) => "withdraw",
            (ActionKind::Complete, Lang::Ja) => "完了",
            (ActionKind::Complete, Lang::En) => "complete",
        }
    }
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::StartReview => ActionKind::StartReview,
            Action::RequestCorrection { .. } => ActionKind::RequestCorrection,
            Action::Resubmit => ActionKind::Resubmit,
            Action::Approve => ActionKind::Approve,
            Action::Reject { .. } => ActionKind::Reject,
            Action::Dismiss { .. } => ActionKind::Dismiss,
            Action::Withdraw => ActionKind::Withdraw,
            Action::Complete => ActionKind::Complete,
        }
    }
}

/// Who acts. `Resident` is the applicant of this very case (see the module comment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    Resident,
    Staff { role: Role },
}

/// Whether `actor` may ever take `kind`, whatever the state: the table in the module comment.
pub fn may(actor: Actor, kind: ActionKind) -> bool {
    use ActionKind as K;
    match actor {
        Actor::Resident => matches!(kind, K::Resubmit | K::Withdraw),
        Actor::Staff { role } => match role {
            Role::Admin => !matches!(kind, K::Resubmit | K::Withdraw),
            Role::DepartmentStaff => {
                matches!(kind, K::StartReview | K::RequestCorrection | K::Complete)
            }
            Role::Reviewer => matches!(
                kind,
                K::StartReview | K::RequestCorrection | K::Approve | K::Reject | K::Dismiss
            ),
            Role::DxPromoter => false,
        },
    }
}

/// Where `kind` leads from `state`, whoever acts; None when that step does not exist.
pub fn next_state(state: CaseState, kind: ActionKind) -> Option<CaseState> {
    use ActionKind as K;
    use CaseState as S;
    match (state, kind) {
        (S::Received | S::Resubmitted, K::StartReview) => Some(S::UnderReview),
        (S::UnderReview | S::Resubmitted, K::RequestCorrection) => Some(S::CorrectionRequested),
        (S::CorrectionRequested, K::Resubmit) => Some(S::Resubmitted),
        (S::UnderReview | S::Resubmitted, K::Approve) => Some(S::Approved),
        (S::UnderReview | S::Resubmitted, K::Reject) => Some(S::Rejected),
        // 却下 also while waiting for a correction: the usual end when the applicant never
        // answers the 補正依頼 by its deadline.
        (S::UnderReview | S::Resubmitted | S::CorrectionRequested, K::Dismiss) => {
            Some(S::Dismissed)
        }
        (S::Received | S::UnderReview | S::CorrectionRequested | S::Resubmitted, K::Withdraw) => {
            Some(S::Withdrawn)
        }
        (S::Approved, K::Complete) => Some(S::Completed),
        _ => None,
    }
}

/// The decision a decision notice (通知書) announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approved,
    Rejected,
    Dismissed,
}

/// An accepted step: the new state and what the caller must do because of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub from: CaseState,
    pub to: CaseState,
    /// The audit event to record, e.g. `case.approved`.
    pub event: &'static str,
    /// Tell the applicant (My Page and e-mail): they must act, or the outcome is known.
    pub notify_resident: bool,
    /// Tell the handling department: the applicant did something.
    pub notify_department: bool,
    /// A decision notice must be issued to the applicant.
    pub decision_notice: Option<Decision>,
    /// For 補正依頼: the fields the applicant may now change, in the order given, without
    /// duplicates. Empty otherwise.
    pub correction_fields: Vec<String>,
    /// For 不承認 and 却下: the reason stated in the notice, trimmed.
    pub reason: Option<String>,
}

/// Why a step was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// This actor may never take this action (e.g. a DX推進員 approving, staff withdrawing).
    #[error("{actor:?} may not {action:?}")]
    Forbidden { actor: Actor, action: ActionKind },
    /// The case is closed; nothing more can happen to it.
    #[error("case is {state:?}: closed")]
    Closed { state: CaseState },
    /// The action exists but not from this state (e.g. approving a case nobody reviewed).
    #[error("cannot {action:?} from {state:?}")]
    NotFromState {
        state: CaseState,
        action: ActionKind,
    },
    #[error("correction request names no field")]
    NoCorrectionFields,
    #[error("correction request names a blank field")]
    BlankCorrectionField,
    #[error("rejection or dismissal without a reason")]
    ReasonRequired,
}

impl TransitionError {
    pub fn message_ja(&self) -> String {
        match self {
            TransitionError::Forbidden { action, .. } => format!(
                "「{}」をする権限がありません。担当の職員にご相談ください。",
                action.label(Lang::Ja)
            ),
            TransitionError::Closed { state } => format!(
                "この申請は「{}」となっているため、これ以上の操作はできません。",
                state.label(Lang::Ja)
            ),
            TransitionError::NotFromState { state, action } => format!(
                "「{}」の申請に「{}」はできません。画面を更新して、今の状態をご確認ください。",
                state.label(Lang::Ja),
                action.label(Lang::Ja)
            ),
            TransitionError::NoCorrectionFields => {
                "補正を求める項目を一つ以上選んでください。".to_owned()
            }
            TransitionError::BlankCorrectionField => {
                "補正を求める項目に空の項目が含まれています。項目を選び直してください。".to_owned()
            }
            TransitionError::ReasonRequired => {
                "不承認・却下の理由を入力してください。理由は申請者への通知書に記載されます。"
                    .to_owned()
            }
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            TransitionError::Forbidden { action, .. } => format!(
                "You are not allowed to {} this application. Please ask the staff in charge.",
                action.label(Lang::En)
            ),
            TransitionError::Closed { state } => format!(
                "This application is {}, so nothing more can be done with it.",
                state.label(Lang::En).to_lowercase()
            ),
            TransitionError::NotFromState { state, action } => format!(
                "You cannot {} an application that is {}. Reload the page to see where it stands.",
                action.label(Lang::En),
                state.label(Lang::En).to_lowercase()
            ),
            TransitionError::NoCorrectionFields => {
                "Choose at least one field for the applicant to correct.".to_owned()
            }
            TransitionError::BlankCorrectionField => {
                "One of the fields to correct is blank. Choose the fields again.".to_owned()
            }
            TransitionError::ReasonRequired => {
                "Enter the reason for the rejection or dismissal. It is printed in the notice to the applicant."
                    .to_owned()
            }
        }
    }
}

/// Takes one step. Checks, in this order: may this actor ever do this (so someone without the
/// right learns nothing about the case's state), is the step possible from this state, is the
/// action's content complete.
pub fn apply(
    state: CaseState,
    action: &Action,
    actor: &Actor,
) -> Result<Transition, TransitionError> {
    let kind = action.kind();
    if !may(*actor, kind) {
        return Err(TransitionError::Forbidden {
            actor: *actor,
            action: kind,
        });
    }
    let Some(to) = next_state(state, kind) else {
        return Err(if state.is_closed() {
            TransitionError::Closed { state }
        } else {
            TransitionError::NotFromState {
                state,
                action: kind,
            }
        });
    };
    let mut t = Transition {
        from: state,
        to,
        event: "",
        notify_resident: false,
        notify_department: false,
        decision_notice: None,
        correction_fields: Vec::new(),
        reason: None,
    };
    match action {
        Action::StartReview => t.event = "case.review_started",
        Action::RequestCorrection { fields } => {
            if fields.is_empty() {
                return Err(TransitionError::NoCorrectionFields);
            }
            if fields.iter().any(|f| f.trim().is_empty()) {
                return Err(TransitionError::BlankCorrectionField);
            }
            for f in fields {
                if !t.correction_fields.contains(f) {
                    t.correction_fields.push(f.clone());
                }
            }
            t.event = "case.correction_requested";
            t.notify_resident = true;
        }
        Action::Resubmit => {
            t.event = "case.resubmitted";
            t.notify_department = true;
        }
        Action::Approve => {
            t.event = "case.approved";
            t.notify_resident = true;
            t.decision_notice = Some(Decision::Approved);
        }
        Action::Reject { reason } | Action::Dismiss { reason } => {
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(TransitionError::ReasonRequired);
            }
            let rejected = matches!(action, Action::Reject { .. });
            t.event = if rejected {
                "case.rejected"
            } else {
                "case.dismissed"
            };
            t.notify_resident = true;
            t.decision_notice = Some(if rejected {
                Decision::Rejected
            } else {
                Decision::Dismissed
            });
            t.reason = Some(reason.to_owned());
        }
        Action::Withdraw => {
            t.event = "case.withdrawn";
            t.notify_department = true;
        }
        Action::Complete => {
            t.event = "case.completed";
            t.notify_resident = true;
        }
    }
    Ok(t)
}

/// Why a resubmission's edits do not fit the 補正依頼.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CorrectionError {
    /// Nothing was changed. A reply without changes belongs in the message thread instead.
    #[error("resubmission changes nothing")]
    NothingChanged,
    /// These changed fields were not asked for (in the order they were changed).
    #[error("fields outside the correction request: {0:?}")]
    OutsideRequest(Vec<String>),
}

impl CorrectionError {
    pub fn message_ja(&self) -> String {
        match self {
            CorrectionError::NothingChanged => "補正を求められた項目が変更されていません。項目を直してから再提出してください。ご質問はメッセージでお送りください。".to_owned(),
            CorrectionError::OutsideRequest(fields) => format!(
                "補正を求められていない項目（{}）は変更できません。補正を求められた項目だけを直してください。",
                fields.join("、")
            ),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            CorrectionError::NothingChanged => "You have not changed any of the fields you were asked to correct. Correct them before resubmitting, or send a message with your question.".to_owned(),
            CorrectionError::OutsideRequest(fields) => format!(
                "You can only change the fields you were asked to correct, not: {}.",
                fields.join(", ")
            ),
        }
    }
}

/// The resident edits only the fields the 補正依頼 named: `changed` (the field ids whose answers
/// differ from the previous submission, computed by the caller) must be a non-empty subset of
/// `requested`.
pub fn correction_allows(requested: &[String], changed: &[String]) -> Result<(), CorrectionError> {
    if changed.is_empty() {
        return Err(CorrectionError::NothingChanged);
    }
    let mut outside: Vec<String> = Vec::new();
    for c in changed {
        if !requested.contains(c) && !outside.contains(c) {
            outside.push(c.clone());
        }
    }
    if outside.is_empty() {
        Ok(())
    } else {
        Err(CorrectionError::OutsideRequest(outside))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    use ActionKind as K;
    use CaseState as S;

    const RES: Actor = Actor::Resident;
    const ADM: Actor = Actor::Staff { role: Role::Admin };
    const DEP: Actor = Actor::Staff {
        role: Role::DepartmentStaff,
    };
    const REV: Actor = Actor::Staff {
        role: Role::Reviewer,
    };
    const DXP: Actor = Actor::Staff {
        role: Role::DxPromoter,
    };
    const ACTORS: [Actor; 5] = [RES, ADM, DEP, REV, DXP];

    /// Every allowed (state, action, actor) and where it leads. Anything not listed is refused.
    /// Written out by hand, independently of `may` and `next_state`.
    const ALLOWED: &[(S, K, &[Actor], S)] = &[
        (
            S::Received,
            K::StartReview,
            &[DEP, REV, ADM],
            S::UnderReview,
        ),
        (S::Received, K::Withdraw, &[RES], S::Withdrawn),
        (
            S::UnderReview,
            K::RequestCorrection,
            &[DEP, REV, ADM],
            S::CorrectionRequested,
        ),
        (S::UnderReview, K::Approve, &[REV, ADM], S::Approved),
        (S::UnderReview, K::Reject, &[REV, ADM], S::Rejected),
        (S::UnderReview, K::Dismiss, &[REV, ADM], S::Dismissed),
        (S::UnderReview, K::Withdraw, &[RES], S::Withdrawn),
        (S::CorrectionRequested, K::Resubmit, &[RES], S::Resubmitted),
        (
            S::CorrectionRequested,
            K::Dismiss,
            &[REV, ADM],
            S::Dismissed,
        ),
        (S::CorrectionRequested, K::Withdraw, &[RES], S::Withdrawn),
        (
            S::Resubmitted,
            K::StartReview,
            &[DEP, REV, ADM],
            S::UnderReview,
        ),
        (
            S::Resubmitted,
            K::RequestCorrection,
            &[DEP, REV, ADM],
            S::CorrectionRequested,
        ),
        (S::Resubmitted, K::Approve, &[REV, ADM], S::Approved),
        (S::Resubmitted, K::Reject, &[REV, ADM], S::Rejected),
        (S::Resubmitted, K::Dismiss, &[REV, ADM], S::Dismissed),
        (S::Resubmitted, K::Withdraw, &[RES], S::Withdrawn),
        (S::Approved, K::Complete, &[DEP, ADM], S::Completed),
    ];

    fn expected(state: S, kind: K, actor: Actor) -> Option<S> {
        ALLOWED
            .iter()
            .find(|(s, k, actors, _)| *s == state && *k == kind && actors.contains(&actor))
            .map(|row| row.3)
    }

    fn sample(kind: K) -> Action {
        match kind {
            K::StartReview => Action::StartReview,
            K::RequestCorrection => Action::RequestCorrection {
                fields: vec!["address".to_owned()],
            },
            K::Resubmit => Action::Resubmit,
            K::Approve => Action::Approve,
            K::Reject => Action::Reject {
                reason: "所得が基準を超えています".to_owned(),
            },
            K::Dismiss => Action::Dismiss {
                reason: "期限までに補正がありませんでした".to_owned(),
            },
            K::Withdraw => Action::Withdraw,
            K::Complete => Action::Complete,
        }
    }

    const ABSORBING: [S; 4] = [S::Withdrawn, S::Rejected, S::Dismissed, S::Completed];

    #[test]
    fn every_state_action_actor_combination_matches_the_table() {
        let mut checked = 0;
        let mut allowed = 0;
        for state in S::ALL {
            for kind in K::ALL {
                for actor in ACTORS {
                    checked += 1;
                    let got = apply(state, &sample(kind), &actor);
                    match (expected(state, kind, actor), got) {
                        (Some(to), Ok(t)) => {
                            allowed += 1;
                            assert_eq!((t.from, t.to), (state, to), "{state:?} {kind:?} {actor:?}");
                        }
                        (None, Err(e)) => {
                            let someone_may = ALLOWED
                                .iter()
                                .any(|(_, k, actors, _)| *k == kind && actors.contains(&actor));
                            let want = if !someone_may {
                                TransitionError::Forbidden {
                                    actor,
                                    action: kind,
                                }
                            } else if state.is_closed() {
                                TransitionError::Closed { state }
                            } else {
                                TransitionError::NotFromState {
                                    state,
                                    action: kind,
                                }
                            };
                            assert_eq!(e, want, "{state:?} {kind:?} {actor:?}");
                        }
                        (want, got) => {
                            panic!("{state:?} {kind:?} {actor:?}: want {want:?}, got {got:?}")
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 9 * 8 * 5);
        let listed: usize = ALLOWED.iter().map(|r| r.2.len()).sum();
        assert_eq!(allowed, listed);
    }

    #[test]
    fn dx_promoters_do_nothing_and_residents_only_resubmit_or_withdraw() {
        for kind in K::ALL {
            assert!(!may(DXP, kind));
            assert_eq!(may(RES, kind), matches!(kind, K::Resubmit | K::Withdraw));
        }
    }

    #[test]
    fn closed_states_accept_nothing_but_approved_to_completed() {
        for state in S::ALL.into_iter().filter(|s| s.is_closed()) {
            for kind in K::ALL {
                let next = next_state(state, kind);
                if (state, kind) == (S::Approved, K::Complete) {
                    assert_eq!(next, Some(S::Completed));
                } else {
                    assert_eq!(next, None, "{state:?} {kind:?}");
                }
            }
        }
    }

    #[test]
    fn state_codes_round_trip_and_are_distinct() {
        let mut codes = BTreeSet::new();
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
            assert!(codes.insert(s.as_str()));
            assert!(!s.label(Lang::Ja).is_empty() && s.label(Lang::En).is_ascii());
        }
        assert_eq!(S::parse("Received"), None);
        assert_eq!(S::parse(""), None);
        assert_eq!(S::UnderReview.as_str(), "under_review");
        assert_eq!(S::Dismissed.label(Lang::Ja), "却下");
        assert_eq!(S::Rejected.label(Lang::Ja), "不承認");
    }

    #[test]
    fn transitions_say_what_must_happen() {
        let t = apply(S::UnderReview, &sample(K::Approve), &REV).expect("allowed step");
        assert_eq!(t.decision_notice, Some(Decision::Approved));
        assert!(t.notify_resident && !t.notify_department);
        assert_eq!(t.event, "case.approved");

        let t = apply(
            S::UnderReview,
            &Action::Reject {
                reason: "  基準外です \n".to_owned(),
            },
            &ADM,
        )
        .expect("allowed step");
        assert_eq!(t.decision_notice, Some(Decision::Rejected));
        assert_eq!(t.reason.as_deref(), Some("基準外です"));

        let t = apply(S::CorrectionRequested, &sample(K::Dismiss), &REV).expect("allowed step");
        assert_eq!(t.decision_notice, Some(Decision::Dismissed));
        assert_eq!(t.event, "case.dismissed");

        let t = apply(S::CorrectionRequested, &Action::Resubmit, &RES).expect("allowed step");
        assert!(t.notify_department && !t.notify_resident);

        let t = apply(S::Received, &Action::Withdraw, &RES).expect("allowed step");
        assert!(t.notify_department && t.decision_notice.is_none());

        let t = apply(
            S::UnderReview,
            &Action::RequestCorrection {
                fields: vec!["name".into(), "address".into(), "name".into()],
            },
            &DEP,
        )
        .expect("allowed step");
        assert_eq!(t.correction_fields, vec!["name", "address"]);
        assert!(t.notify_resident);

        let t = apply(S::Approved, &Action::Complete, &DEP).expect("allowed step");
        assert!(t.notify_resident && t.decision_notice.is_none());

        let t = apply(S::Received, &Action::StartReview, &DEP).expect("allowed step");
        assert!(!t.notify_resident && !t.notify_department);
    }

    #[test]
    fn incomplete_actions_are_refused() {
        let empty = Action::RequestCorrection { fields: vec![] };
        assert_eq!(
            apply(S::UnderReview, &empty, &DEP),
            Err(TransitionError::NoCorrectionFields)
        );
        let blank = Action::RequestCorrection {
            fields: vec!["name".into(), "  ".into()],
        };
        assert_eq!(
            apply(S::UnderReview, &blank, &DEP),
            Err(TransitionError::BlankCorrectionField)
        );
        for action in [
            Action::Reject {
                reason: " \u{3000}".into(),
            },
            Action::Dismiss { reason: "".into() },
        ] {
            assert_eq!(
                apply(S::UnderReview, &action, &REV),
                Err(TransitionError::ReasonRequired)
            );
        }
        // Permission and state come before content.
        assert!(matches!(
            apply(S::UnderReview, &empty, &RES),
            Err(TransitionError::Forbidden { .. })
        ));
        assert!(matches!(
            apply(S::Received, &empty, &DEP),
            Err(TransitionError::NotFromState { .. })
        ));
    }

    #[test]
    fn error_messages_are_plain_sentences() {
        let errors = [
            TransitionError::Forbidden {
                actor: DXP,
                action: K::Approve,
            },
            TransitionError::Closed {
                state: S::Withdrawn,
            },
            TransitionError::NotFromState {
                state: S::Received,
                action: K::Approve,
            },
            TransitionError::NoCorrectionFields,
            TransitionError::BlankCorrectionField,
            TransitionError::ReasonRequired,
        ];
        for e in errors {
            assert!(e.message_ja().ends_with('。'), "{}", e.message_ja());
            assert!(e.message_en().ends_with('.'), "{}", e.message_en());
            assert!(!e.message_en().contains("::"));
        }
        assert_eq!(
            TransitionError::Closed {
                state: S::Withdrawn
            }
            .message_ja(),
            "この申請は「取下げ」となっているため、これ以上の操作はできません。"
        );
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn correction_allows_only_the_requested_fields() {
        let req = ids(&["name", "address"]);
        assert_eq!(correction_allows(&req, &ids(&["address"])), Ok(()));
        assert_eq!(correction_allows(&req, &ids(&["name", "address"])), Ok(()));
        assert_eq!(
            correction_allows(&req, &[]),
            Err(CorrectionError::NothingChanged)
        );
        let e = correction_allows(&req, &ids(&["name", "income", "bank", "income"]))
            .expect_err("fields outside the request");
        assert_eq!(e, CorrectionError::OutsideRequest(ids(&["income", "bank"])));
        assert_eq!(
            e.message_ja(),
            "補正を求められていない項目（income、bank）は変更できません。補正を求められた項目だけを直してください。"
        );
        assert!(e.message_en().ends_with("income, bank."));
        assert_eq!(
            correction_allows(&[], &ids(&["name"])),
            Err(CorrectionError::OutsideRequest(ids(&["name"])))
        );
    }

    fn field() -> impl Strategy<Value = String> {
        prop_oneof![Just(" ".to_owned()), "[a-d]{1,2}"]
    }

    fn action() -> impl Strategy<Value = Action> {
        let reason = prop_oneof![Just(String::new()), Just("理由".to_owned())];
        prop_oneof![
            Just(Action::StartReview),
            prop::collection::vec(field(), 0..3)
                .prop_map(|fields| Action::RequestCorrection { fields }),
            Just(Action::Resubmit),
            Just(Action::Approve),
            reason.clone().prop_map(|reason| Action::Reject { reason }),
            reason.prop_map(|reason| Action::Dismiss { reason }),
            Just(Action::Withdraw),
            Just(Action::Complete),
        ]
    }

    fn actor() -> impl Strategy<Value = Actor> {
        prop::sample::select(ACTORS.to_vec())
    }

    /// The states reachable from 受付 by following the hand-written table.
    fn reachable() -> BTreeSet<S> {
        let mut seen = BTreeSet::from([S::Received]);
        let mut frontier = vec![S::Received];
        while let Some(s) = frontier.pop() {
            for row in ALLOWED.iter().filter(|r| r.0 == s) {
                if seen.insert(row.3) {
                    frontier.push(row.3);
                }
            }
        }
        seen
    }

    #[test]
    fn every_state_is_reachable_from_received() {
        assert_eq!(reachable(), S::ALL.into_iter().collect());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn random_sequences_never_take_an_illegal_step(
            steps in prop::collection::vec((action(), actor()), 0..60)
        ) {
            let reachable = reachable();
            let mut state = S::Received;
            for (action, actor) in &steps {
                let before = state;
                match apply(state, action, actor) {
                    Ok(t) => {
                        prop_assert_eq!(t.from, before);
                        prop_assert_eq!(Some(t.to), expected(before, action.kind(), *actor));
                        prop_assert!(reachable.contains(&t.to));
                        prop_assert!(
                            !before.is_closed() || (before, t.to) == (S::Approved, S::Completed)
                        );
                        state = t.to;
                    }
                    Err(_) => {
                        // A refused step can only be one the table allows when its content was
                        // incomplete (no fields, blank field, no reason).
                        if expected(before, action.kind(), *actor).is_some() {
                            let incomplete = match action {
                                Action::RequestCorrection { fields } => {
                                    fields.is_empty() || fields.iter().any(|f| f.trim().is_empty())
                                }
                                Action::Reject { reason } | Action::Dismiss { reason } => reason.trim().is_empty(),
                                _ => false,
                            };
                            prop_assert!(incomplete, "{:?} by {:?} refused in {:?}", action, actor, before);
                        }
                    }
                }
                if ABSORBING.contains(&before) {
                    prop_assert_eq!(state, before);
                }
            }
        }

        #[test]
        fn correction_allows_exactly_non_empty_subsets(
            requested in prop::collection::vec("[a-f]", 0..4),
            changed in prop::collection::vec("[a-f]", 0..4),
        ) {
            let subset = changed.iter().all(|c| requested.contains(c));
            let ok = correction_allows(&requested, &changed).is_ok();
            prop_assert_eq!(ok, subset && !changed.is_empty());
        }
    }
}
