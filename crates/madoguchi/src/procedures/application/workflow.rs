//! The case service: what staff and the applicant do to a stored application. Each function is
//! one transaction holding the change, its timeline entry, its audit event and (when the
//! applicant must hear of it) the notice mail. The rules come from `case::apply` and
//! `case::correction_allows`; this module only stores what they decide.
//!
//! Who may see a case ([`can_view`]): its applicant, the staff of its handling department and
//! administrators. Everyone else is told "not found", never "forbidden", so a guessed receipt
//! number reveals nothing.

use serde_json::{Map, Value, json};

use super::rules::{self, Notice};
use super::store::{self, ApplicationRow, NewEntry};
use crate::audit::{self, Actor as AuditActor};
use crate::auth::store::UserRow;
use crate::auth::{Kind, Role};
use crate::db::{Db, now_ms};
use crate::procedures::case::{self, Action, CaseState, CorrectionError, TransitionError};
use crate::procedures::form::def::FormDefinition;

/// Longest message, note or notice text accepted.
pub const MAX_TEXT_CHARS: usize = 4000;

/// Whether `user` may see the application at all.
pub fn can_view(user: &UserRow, app: &ApplicationRow) -> bool {
    if user.disabled_at.is_some() || user.municipality_id != app.municipality_id {
        return false;
    }
    match user.kind() {
        Kind::Resident => app.applicant_user_id == Some(user.id),
        Kind::Staff => is_case_staff(user, app),
    }
}

/// Staff of the handling department, or an administrator.
pub fn is_case_staff(user: &UserRow, app: &ApplicationRow) -> bool {
    user.kind() == Kind::Staff
        && user.municipality_id == app.municipality_id
        && (user.is_admin()
            || (app.department_id.is_some() && user.department_id == app.department_id))
}

/// The state machine's actor for a user who [`can_view`] the case.
pub fn case_actor(user: &UserRow) -> Option<case::Actor> {
    match user.kind() {
        Kind::Resident => Some(case::Actor::Resident),
        Kind::Staff => user.role().map(|role| case::Actor::Staff { role }),
    }
}

/// The staff actions `user` could take on this case now (for the buttons on the case page).
pub fn offered(user: &UserRow, state: CaseState) -> Vec<case::ActionKind> {
    let Some(actor) = case_actor(user) else {
        return Vec::new();
    };
    case::ActionKind::ALL
        .into_iter()
        .filter(|k| case::may(actor, *k) && case::next_state(state, *k).is_some())
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum ActError {
    /// No such application, or the user may not see it.
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error(transparent)]
    Correction(#[from] CorrectionError),
    /// A 補正依頼 named a field the form does not have.
    #[error("unknown field {0}")]
    UnknownField(String),
    /// Somebody else changed the case between reading and writing; reload and try again.
    #[error("changed concurrently")]
    Stale,
    #[error("empty text")]
    EmptyText,
    #[error("text too long")]
    TooLong,
    /// The assignee is not staff of the case's department.
    #[error("invalid assignee")]
    InvalidAssignee,
    /// The step waits for the fee to be paid (see `payments::service::blocks`).
    #[error("fee not paid")]
    Unpaid,
    #[error("corrupt data: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl ActError {
    pub fn message_ja(&self) -> String {
        match self {
            ActError::NotFound => "申請が見つかりません。".into(),
            ActError::Transition(e) => e.message_ja(),
            ActError::Correction(e) => e.message_ja(),
            ActError::UnknownField(f) => format!("項目「{f}」はこの申請フォームにありません。"),
            ActError::Stale => {
                "ほかの方がこの申請を更新しました。画面を更新して、今の状態をご確認ください。"
                    .into()
            }
            ActError::EmptyText => "本文を入力してください。".into(),
            ActError::TooLong => format!("本文は{MAX_TEXT_CHARS}文字以内で入力してください。"),
            ActError::InvalidAssignee => "担当者には、この課の職員を選んでください。".into(),
            ActError::Unpaid => {
                "手数料のお支払いがまだ確認できていません。お支払いが確認できてから進めてください。"
                    .into()
            }
            ActError::Corrupt(_) | ActError::Db(_) => {
                "システムで問題が起きました。時間をおいてもう一度お試しください。".into()
            }
        }
    }
    pub fn message_en(&self) -> String {
        match self {
            ActError::NotFound => "Application not found.".into(),
            ActError::Transition(e) => e.message_en(),
            ActError::Correction(e) => e.message_en(),
            ActError::UnknownField(f) => format!("The form has no field “{f}”."),
            ActError::Stale => "Someone else has just updated this application. Reload the page to see where it stands.".into(),
            ActError::EmptyText => "Enter the text.".into(),
            ActError::TooLong => format!("The text can be at most {MAX_TEXT_CHARS} characters."),
            ActError::InvalidAssignee => "Choose a member of this department's staff.".into(),
            ActError::Unpaid => "The fee has not been paid yet. Continue once the payment is confirmed.".into(),
            ActError::Corrupt(_) | ActError::Db(_) => "Something went wrong. Please try again later.".into(),
        }
    }
    pub fn message(&self, l: crate::web::i18n::Lang) -> String {
        match l {
            crate::web::i18n::Lang::Ja => self.message_ja(),
            crate::web::i18n::Lang::En => self.message_en(),
        }
    }
}

fn clean_text(s: &str, required: bool) -> Result<String, ActError> {
    let t = s.trim().replace("\r\n", "\n");
    if required && t.is_empty() {
        return Err(ActError::EmptyText);
    }
    if t.chars().count() > MAX_TEXT_CHARS {
        return Err(ActError::TooLong);
    }
    Ok(t)
}

/// Who the applicant is for notices: (name, e-mail).
pub(crate) async fn applicant_contact(
    db: &Db,
    app: &ApplicationRow,
) -> Result<Option<String>, sqlx::Error> {
    if let Some(uid) = app.applicant_user_id {
        return Ok(crate::auth::store::find_user(db, uid)
            .await?
            .map(|u| u.email));
    }
    Ok(app.applicant_email.clone())
}

fn link(base_url: &str, app: &ApplicationRow) -> String {
    format!(
        "{}/applications/{}",
        base_url.trim_end_matches('/'),
        app.receipt
    )
}

async fn load_visible(
    db: &Db,
    municipality: &str,
    id: i64,
    user: &UserRow,
) -> Result<ApplicationRow, ActError> {
    let app = store::by_id(db, municipality, id)
        .await?
        .ok_or(ActError::NotFound)?;
    if !can_view(user, &app) {
        return Err(ActError::NotFound);
    }
    Ok(app)
}

/// The form definition an application was filled on.
pub async fn definition_of(db: &Db, app: &ApplicationRow) -> Result<FormDefinition, ActError> {
    let v = crate::procedures::form::store::by_id(db, &app.municipality_id, app.form_version_id)
        .await?
        .ok_or_else(|| ActError::Corrupt(format!("form version {}", app.form_version_id)))?;
    v.parsed()
        .map_err(|e| ActError::Corrupt(format!("form version {}: {e}", v.id)))
}

/// What [`act`] did.
#[derive(Debug, Clone)]
pub struct Done {
    pub transition: case::Transition,
    /// A mail went into the outbox: the caller wakes the sender.
    pub mailed: bool,
}

/// Takes a state-machine step on the case for `user` (staff, or the applicant for 取下げ).
/// `text`: the message of a 補正依頼, the text of an approval notice (optional) or a completion
/// note; for 不承認 / 却下 the reason is in the action itself.
pub async fn act(
    db: &Db,
    municipality: &str,
    id: i64,
    user: &UserRow,
    action: Action,
    text: &str,
    base_url: &str,
) -> Result<Done, ActError> {
    act_documented(db, municipality, id, user, action, text, base_url, None).await
}

/// [`act`], and for a decision (承認・不承認・却下・完了) the notice PDF is issued with it: rendered
/// (and signed) before the transaction, stored and audited inside it (documents::notice).
#[allow(clippy::too_many_arguments)]
pub async fn act_documented(
    db: &Db,
    municipality: &str,
    id: i64,
    user: &UserRow,
    action: Action,
    text: &str,
    base_url: &str,
    documents: Option<&std::sync::Arc<crate::documents::Documents>>,
) -> Result<Done, ActError> {
    if matches!(action, Action::Resubmit) {
        // A resubmission carries answers: see `resubmit`.
        return Err(ActError::Transition(TransitionError::Forbidden {
            actor: case_actor(user).unwrap_or(case::Actor::Resident),
            action: case::ActionKind::Resubmit,
        }));
    }
    let app = load_visible(db, municipality, id, user).await?;
    let actor = case_actor(user).ok_or(TransitionError::Forbidden {
        actor: case::Actor::Resident,
        action: action.kind(),
    })?;
    let state = CaseState::parse(&app.state)
        .ok_or_else(|| ActError::Corrupt(format!("state {}", app.state)))?;
    let t = case::apply(state, &action, &actor)?;
    if crate::payments::service::gate(db, app.id, action.kind()).await? {
        return Err(ActError::Unpaid);
    }
    let text = clean_text(text, false)?;
    if !t.correction_fields.is_empty() {
        let def = definition_of(db, &app).await?;
        let known = rules::top_fields(&def);
        if let Some(bad) = t
            .correction_fields
            .iter()
            .find(|f| !known.iter().any(|k| &k.0 == *f))
        {
            return Err(ActError::UnknownField(bad.clone()));
        }
    }
    let email = if t.notify_resident {
        applicant_contact(db, &app).await?
    } else {
        None
    };
    let now = now_ms();
    let (kind, body) = match (&action, &t.decision_notice) {
        (Action::RequestCorrection { .. }, _) => ("correction_request", text.clone()),
        (_, Some(_)) => (
            "decision",
            t.reason.clone().map_or(text.clone(), |r| {
                if text.is_empty() {
                    r
                } else {
                    format!("{r}\n\n{text}")
                }
            }),
        ),
        _ => ("transition", text.clone()),
    };
    let notice = match (
        documents,
        crate::documents::content::NoticeKind::of_state(t.to),
    ) {
        (Some(docs), Some(k)) => Some(
            crate::documents::notice::prepare(db, docs.clone(), &app, k, &body, now)
                .await
                .map_err(|e| ActError::Corrupt(format!("notice: {e:#}")))?,
        ),
        _ => None,
    };
    let mut tx = db.begin().await?;
    let correction =
        (!t.correction_fields.is_empty()).then(|| json!(t.correction_fields).to_string());
    let decided = t.decision_notice.map(|_| now);
    if store::set_state(
        &mut tx,
        id,
        t.from.as_str(),
        t.to.as_str(),
        correction.clone(),
        decided,
        now,
    )
    .await?
        != 1
    {
        return Err(ActError::Stale);
    }
    let is_applicant = user.kind() == Kind::Resident;
    store::insert_entry(
        &mut tx,
        &NewEntry {
            application_id: id,
            kind,
            author_user_id: Some(user.id),
            author_role: if is_applicant { "applicant" } else { "staff" },
            from_state: Some(t.from.as_str()),
            to_state: Some(t.to.as_str()),
            body: &body,
            fields: correction,
            internal: false,
            now,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        municipality,
        &AuditActor::User(user.id),
        t.event,
        &format!("application:{id}"),
        json!({
            "receipt": app.receipt,
            "from": t.from.as_str(),
            "to": t.to.as_str(),
            "fields": t.correction_fields,
            "reason": t.reason,
        }),
    )
    .await?;
    crate::facilities::registration::on_decision(
        &mut tx,
        municipality,
        &app,
        t.to,
        &AuditActor::User(user.id),
    )
    .await?;
    if let Some(p) = &notice {
        crate::documents::notice::store_in(
            &mut tx,
            municipality,
            id,
            &AuditActor::User(user.id),
            p,
            now,
        )
        .await?;
    }
    let mut mailed = false;
    if let Some(to) = email {
        let (what_ja, what_en) = match t.to {
            CaseState::CorrectionRequested => ("補正のお願い", "Correction requested"),
            CaseState::Approved => ("承認の通知", "Decision: approved"),
            CaseState::Rejected => ("不承認の通知", "Decision: rejected"),
            CaseState::Dismissed => ("却下の通知", "Decision: dismissed"),
            CaseState::Completed => ("手続完了のお知らせ", "Completed"),
            _ => ("状況の更新", "Status update"),
        };
        mail_applicant(
            &mut tx,
            municipality,
            &app,
            &to,
            what_ja,
            what_en,
            &body,
            base_url,
        )
        .await?;
        mailed = true;
    }
    tx.commit().await?;
    Ok(Done {
        transition: t,
        mailed,
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn mail_applicant(
    tx: &mut crate::db::Tx,
    municipality: &str,
    app: &ApplicationRow,
    to: &str,
    what_ja: &str,
    what_en: &str,
    text: &str,
    base_url: &str,
) -> Result<(), sqlx::Error> {
    let town = store::municipality_name(tx, municipality)
        .await?
        .map(|n| n.name_ja)
        .unwrap_or_default();
    let receipt = crate::procedures::receipt::ReceiptNumber::parse(&app.receipt)
        .map(|r| r.to_string())
        .unwrap_or_else(|_| app.receipt.clone());
    let (subject, body) = rules::notice_mail(&Notice {
        town_ja: &town,
        applicant: &app.applicant_name,
        receipt: &receipt,
        procedure_ja: &app.procedure_name_ja,
        what_ja,
        what_en,
        text,
        link: &link(base_url, app),
    });
    crate::mail::enqueue(tx, municipality, to, &subject, &body).await
}

/// A message in the two-way window, from the applicant or from staff. Staff messages are
/// mailed to the applicant. Returns whether a mail was queued.
pub async fn message(
    db: &Db,
    municipality: &str,
    id: i64,
    user: &UserRow,
    text: &str,
    base_url: &str,
) -> Result<bool, ActError> {
    let app = load_visible(db, municipality, id, user).await?;
    let text = clean_text(text, true)?;
    let is_applicant = user.kind() == Kind::Resident;
    if !is_applicant && user.role() == Some(Role::DxPromoter) {
        return Err(ActError::NotFound);
    }
    let email = if is_applicant {
        None
    } else {
        applicant_contact(db, &app).await?
    };
    let now = now_ms();
    let mut tx = db.begin().await?;
    let entry = store::insert_entry(
        &mut tx,
        &NewEntry {
            application_id: id,
            kind: "message",
            author_user_id: Some(user.id),
            author_role: if is_applicant { "applicant" } else { "staff" },
            from_state: None,
            to_state: None,
            body: &text,
            fields: None,
            internal: false,
            now,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        municipality,
        &AuditActor::User(user.id),
        if is_applicant {
            "case.message_from_applicant"
        } else {
            "case.message_to_applicant"
        },
        &format!("application:{id}"),
        json!({ "receipt": app.receipt, "entry": entry }),
    )
    .await?;
    let mailed = if let Some(to) = email {
        mail_applicant(
            &mut tx,
            municipality,
            &app,
            &to,
            "職員からのメッセージ",
            "New message from the city",
            &text,
            base_url,
        )
        .await?;
        true
    } else {
        false
    };
    tx.commit().await?;
    Ok(mailed)
}

/// An internal note (内部メモ): staff only, never shown to the applicant, never mailed.
pub async fn note(
    db: &Db,
    municipality: &str,
    id: i64,
    user: &UserRow,
    text: &str,
) -> Result<(), ActError> {
    let app = load_visible(db, municipality, id, user).await?;
    if user.kind() != Kind::Staff {
        return Err(ActError::NotFound);
    }
    let text = clean_text(text, true)?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let entry = store::insert_entry(
        &mut tx,
        &NewEntry {
            application_id: id,
            kind: "note",
            author_user_id: Some(user.id),
            author_role: "staff",
            from_state: None,
            to_state: None,
            body: &text,
            fields: None,
            internal: true,
            now,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        municipality,
        &AuditActor::User(user.id),
        "case.note_added",
        &format!("application:{id}"),
        json!({ "receipt": app.receipt, "entry": entry }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Assigns the case to a staff member of its department (or to nobody). Staff only; a
/// DX推進員 cannot.
pub async fn assign(
    db: &Db,
    municipality: &str,
    id: i64,
    user: &UserRow,
    assignee: Option<i64>,
) -> Result<(), ActError> {
    let app = load_visible(db, municipality, id, user).await?;
    if user.kind() != Kind::Staff || user.role() == Some(Role::DxPromoter) || user.role().is_none()
    {
        return Err(ActError::Transition(TransitionError::Forbidden {
            actor: case_actor(user).unwrap_or(case::Actor::Resident),
            action: case::ActionKind::StartReview,
        }));
    }
    let assignee_row = match assignee {
        Some(a) => {
            let u = crate::auth::store::find_user(db, a)
                .await?
                .ok_or(ActError::InvalidAssignee)?;
            let ok = u.kind() == Kind::Staff
                && u.disabled_at.is_none()
                && u.municipality_id == municipality
                && u.role() != Some(Role::DxPromoter)
                && (app.department_id.is_some() && u.department_id == app.department_id
                    || u.is_admin());
            if !ok {
                return Err(ActError::InvalidAssignee);
            }
            Some(u)
        }
        None => None,
    };
    let now = now_ms();
    let mut tx = db.begin().await?;
    store::set_assignee(&mut tx, id, assignee, now).await?;
    store::insert_entry(
        &mut tx,
        &NewEntry {
            application_id: id,
            kind: "assignment",
            author_user_id: Some(user.id),
            author_role: "staff",
            from_state: None,
            to_state: None,
            body: assignee_row.as_ref().map(|u| u.name.as_str()).unwrap_or(""),
            fields: None,
            internal: true,
            now,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        municipality,
        &AuditActor::User(user.id),
        "case.assigned",
        &format!("application:{id}"),
        json!({ "receipt": app.receipt, "from": app.assigned_to, "to": assignee }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The fields a 補正依頼 open on this application names (empty when none is open).
pub fn requested_fields(app: &ApplicationRow) -> Vec<String> {
    app.correction_fields
        .as_deref()
        .and_then(|s| serde_json::from_str::<Vec<String>>(s).ok())
        .unwrap_or_default()
}

pub fn answers_of(app: &ApplicationRow) -> Map<String, Value> {
    serde_json::from_str::<Map<String, Value>>(&app.answers).unwrap_or_default()
}

/// 再提出: the applicant's corrected answers (already validated as a whole by the caller) may
/// differ from the stored ones only in the fields the 補正依頼 named.
/// A file sent with a 補正, already checked (size, declared and real type). Stored with the
/// resubmission, in its transaction; the new answers name it by `public_id`.
pub struct CorrectionFile {
    pub field: String,
    pub public_id: String,
    pub filename: String,
    pub content_type: &'static str,
    pub sha256: String,
    pub data: Vec<u8>,
}

pub async fn resubmit(
    db: &Db,
    municipality: &str,
    id: i64,
    user: &UserRow,
    answers: Map<String, Value>,
    computed: Vec<(String, i64)>,
    files: &[CorrectionFile],
) -> Result<Done, ActError> {
    let app = load_visible(db, municipality, id, user).await?;
    if user.kind() != Kind::Resident {
        return Err(TransitionError::Forbidden {
            actor: case_actor(user).unwrap_or(case::Actor::Resident),
            action: case::ActionKind::Resubmit,
        }
        .into());
    }
    let state = CaseState::parse(&app.state)
        .ok_or_else(|| ActError::Corrupt(format!("state {}", app.state)))?;
    let t = case::apply(state, &Action::Resubmit, &case::Actor::Resident)?;
    let def = definition_of(db, &app).await?;
    let before = answers_of(&app);
    let changed = rules::changed_fields(&def, &before, &answers);
    case::correction_allows(&requested_fields(&app), &changed)?;
    let answers_json = rules::canonical(&Value::Object(answers)).to_string();
    let computed_json = Value::Object(
        computed
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect(),
    )
    .to_string();
    let fee = computed
        .iter()
        .find(|(k, _)| k == "fee")
        .map(|(_, v)| (*v).max(0))
        .or(app.fee_yen);
    let now = now_ms();
    let mut tx = db.begin().await?;
    if store::set_state(&mut tx, id, t.from.as_str(), t.to.as_str(), None, None, now).await? != 1 {
        return Err(ActError::Stale);
    }
    store::set_answers(&mut tx, id, &answers_json, &computed_json, fee, now).await?;
    // The files sent with it; the files they replace stay stored with the application, and the
    // timeline entry keeps the previous answer that names them.
    for f in files {
        crate::procedures::runner::store::insert_attachment(
            &mut tx,
            crate::procedures::runner::store::NewAttachment {
                municipality,
                public_id: &f.public_id,
                draft_id: None,
                application_id: Some(id),
                owner_user_id: Some(user.id),
                field_path: &f.field,
                filename: &f.filename,
                content_type: f.content_type,
                sha256: &f.sha256,
                data: &f.data,
                now,
            },
        )
        .await?;
    }
    // The previous answers of the changed fields stay on record in the timeline entry.
    let previous: Map<String, Value> = changed
        .iter()
        .map(|f| (f.clone(), before.get(f).cloned().unwrap_or(Value::Null)))
        .collect();
    let previous = Value::Object(previous).to_string();
    store::insert_entry(
        &mut tx,
        &NewEntry {
            application_id: id,
            kind: "resubmission",
            author_user_id: Some(user.id),
            author_role: "applicant",
            from_state: Some(t.from.as_str()),
            to_state: Some(t.to.as_str()),
            body: &previous,
            fields: Some(json!(changed).to_string()),
            internal: false,
            now,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        municipality,
        &AuditActor::User(user.id),
        t.event,
        &format!("application:{id}"),
        json!({
            "receipt": app.receipt,
            "from": t.from.as_str(),
            "to": t.to.as_str(),
            "changed": changed,
            "files": files.iter().map(|f| json!({"field": f.field, "sha256": f.sha256, "size": f.data.len()})).collect::<Vec<_>>(),
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(Done {
        transition: t,
        mailed: false,
    })
}
