//! Plan 1-1 オンライン申請: applications (申請), their cases (案件) and the two-way window (issue 3, "Applications and cases").
//!
//! Layout: [`submit`] (storing a submission durably, idempotently), `workflow` (staff and
//! applicant actions on a case, messages, notes, assignment, resubmission), `rules` (pure
//! helpers: due dates, request hashes, file answers, CSV bytes), `store` (SQL), `api` (JSON),
//! `pages` (resident pages), `staff` (staff pages and the CSV export).

pub mod api;
pub mod correction;
pub mod forms;
pub mod messages;
pub mod pages;
pub mod rules;
pub mod staff;
pub mod store;
pub mod workflow;

use axum::Router;
use serde_json::{Value, json};

use super::case::CaseState;
use super::receipt::ReceiptNumber;
use crate::audit;
use crate::db::{Db, is_unique_violation, now_ms};
use crate::web::AppState;

/// Pages and API routes of this module, merged into the app router by `web::router`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(api::routes())
        .merge(pages::routes())
        .merge(staff::routes())
}

/// This module's part of the OpenAPI document, merged by `api::openapi`.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api::create, api::get_one, api::list_for_procedure),
    components(schemas(
        api::CreateBody,
        api::GuestApplicant,
        api::Created,
        api::ApplicationJson,
        api::EntryJson,
        api::FieldProblem,
        api::InvalidBody,
        api::InvalidDetail,
    ))
)]
pub struct ApiDoc;

/// The states in which a case still waits for someone (not closed).
pub const OPEN_STATES: [CaseState; 4] = [
    CaseState::Received,
    CaseState::UnderReview,
    CaseState::CorrectionRequested,
    CaseState::Resubmitted,
];

/// A submission to store. Built by the web runner (resident pages) and the JSON API.
#[derive(Clone, Debug)]
pub struct NewApplication {
    pub procedure_id: i64,
    pub form_version_id: i64,
    /// Already validated by form::validate (canonical JSON).
    pub answers: serde_json::Map<String, Value>,
    /// (id, value) of the computed values; a `fee` entry sets `fee_yen`.
    pub computed: Vec<(String, i64)>,
    pub applicant: Applicant,
    /// Scope ("user:12", "token:3", "draft:…") and key of a retry-safe request.
    pub idempotency: Option<Idempotency>,
    /// The draft the submission came from; deleted in the same transaction.
    pub draft_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applicant {
    Resident {
        user_id: i64,
        name: String,
        email: String,
    },
    Guest {
        name: String,
        email: String,
    },
}

impl Applicant {
    pub fn name(&self) -> &str {
        match self {
            Applicant::Resident { name, .. } | Applicant::Guest { name, .. } => name,
        }
    }
    pub fn email(&self) -> &str {
        match self {
            Applicant::Resident { email, .. } | Applicant::Guest { email, .. } => email,
        }
    }
    pub fn user_id(&self) -> Option<i64> {
        match self {
            Applicant::Resident { user_id, .. } => Some(*user_id),
            Applicant::Guest { .. } => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idempotency {
    pub scope: String,
    pub key: String,
}

/// A stored submission. `created: false` when an earlier identical request had stored it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submitted {
    pub id: i64,
    pub receipt: ReceiptNumber,
    /// False for a retried request that found the first application (then `submitted_at` and
    /// `fee_yen` are not known here: read the row).
    pub created: bool,
    /// When it was stored (UTC ms), for a new application.
    pub submitted_at: i64,
    pub fee_yen: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The idempotency key was used before for a different request.
    #[error("idempotency key reused for a different request")]
    IdempotencyConflict,
    /// A file answer (at this answer path) names an attachment that does not exist, belongs to
    /// someone else, or is already part of another application.
    #[error("unknown attachment at {0}")]
    UnknownAttachment(String),
    #[error("no such procedure in this municipality")]
    UnknownProcedure,
    /// The form version is not one of this procedure's.
    #[error("form version does not belong to the procedure")]
    UnknownFormVersion,
    /// A draft id was given that is not the applicant's draft of this procedure.
    #[error("unknown draft")]
    UnknownDraft,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl SubmitError {
    pub fn message_ja(&self) -> String {
        match self {
            SubmitError::IdempotencyConflict => "同じ Idempotency-Key で別の内容の申請が送られています。新しい申請には新しいキーを使ってください。".into(),
            SubmitError::UnknownAttachment(p) => format!("添付ファイル（{p}）が見つかりません。ファイルをもう一度添付してください。"),
            SubmitError::UnknownProcedure => "この手続はオンラインで申請できません。".into(),
            SubmitError::UnknownFormVersion => "申請フォームが更新されました。最初から入力し直してください。".into(),
            SubmitError::UnknownDraft => "入力途中の申請が見つかりません。最初から入力し直してください。".into(),
            SubmitError::Corrupt(_) | SubmitError::Db(_) => "システムで問題が起きました。時間をおいてもう一度お試しください。".into(),
        }
    }
    pub fn message_en(&self) -> String {
        match self {
            SubmitError::IdempotencyConflict => "This Idempotency-Key was used for a different application. Use a new key for a new application.".into(),
            SubmitError::UnknownAttachment(p) => format!("The attached file ({p}) was not found. Please attach it again."),
            SubmitError::UnknownProcedure => "This procedure cannot be applied for online.".into(),
            SubmitError::UnknownFormVersion => "The form has been updated. Please start again.".into(),
            SubmitError::UnknownDraft => "Your unfinished application was not found. Please start again.".into(),
            SubmitError::Corrupt(_) | SubmitError::Db(_) => "Something went wrong. Please try again later.".into(),
        }
    }
}

/// How often a submission transaction is retried after a unique violation (a receipt number
/// drawn twice, or a concurrent identical request that committed first).
const SUBMIT_ATTEMPTS: usize = 8;

/// Stores a submission in one transaction: the idempotency check, a fresh 受付番号, the
/// application in state 受付 with the procedure's department and due date, the attachments
/// of its file answers, the deleted draft, a timeline entry, the audit event
/// `application.submitted` and the confirmation e-mail in the outbox. When it returns Ok,
/// everything is committed. The caller wakes the mail sender (`AppState::mail_notify`).
///
/// A retried request (same idempotency scope, key and content) returns the first application
/// with `created: false`; concurrent identical requests make one application, because the
/// idempotency key's primary key lets only one of them commit and the others retry and find it.
pub async fn submit(
    db: &Db,
    municipality: &str,
    actor: &audit::Actor,
    base_url: &str,
    new: NewApplication,
) -> Result<Submitted, SubmitError> {
    let procedure = super::store::find_by_id(db, municipality, new.procedure_id)
        .await?
        .ok_or(SubmitError::UnknownProcedure)?;
    let version = super::form::store::by_id(db, municipality, new.form_version_id)
        .await?
        .filter(|v| v.procedure_id == procedure.id)
        .ok_or(SubmitError::UnknownFormVersion)?;
    let definition = version
        .shared()
        .map_err(|e| SubmitError::Corrupt(format!("form version {}: {e}", version.id)))?;
    let tenant = match store::municipality_name_of(db, municipality).await? {
        Some(n) => crate::auth::store::MunicipalityRow {
            id: municipality.to_owned(),
            name_ja: n.name_ja,
            name_en: n.name_en,
        },
        None => crate::auth::store::MunicipalityRow {
            id: municipality.to_owned(),
            name_ja: String::new(),
            name_en: String::new(),
        },
    };
    submit_checked(db, &tenant, actor, base_url, &procedure, &definition, new).await
}

/// [`submit`] for a caller that has just read the procedure and the parsed definition of
/// `new.form_version_id` (the API validates with them first) and knows the municipality's
/// names (the request's tenant), so none of them is read again.
pub async fn submit_checked(
    db: &Db,
    tenant: &crate::auth::store::MunicipalityRow,
    actor: &audit::Actor,
    base_url: &str,
    procedure: &super::store::ProcedureRow,
    definition: &super::form::FormDefinition,
    new: NewApplication,
) -> Result<Submitted, SubmitError> {
    if new.procedure_id != procedure.id {
        return Err(SubmitError::UnknownProcedure);
    }
    let municipality = tenant.id.as_str();
    let town = (tenant.name_ja.clone(), tenant.name_en.clone());
    let files = rules::file_answers(definition, &new.answers);
    let hash = rules::request_hash(&new);
    let answers_json = rules::canonical(&Value::Object(new.answers.clone())).to_string();
    let computed_json = Value::Object(
        new.computed
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect(),
    )
    .to_string();
    let fee_yen = new
        .computed
        .iter()
        .find(|(k, _)| k == "fee")
        .map(|(_, v)| (*v).max(0))
        // No computed fee: the procedure's own 手数料.
        .or(procedure.fee_yen.filter(|f| *f > 0));
    let attempt = std::sync::Arc::new(Attempt {
        municipality: municipality.to_owned(),
        actor: actor.clone(),
        base_url: base_url.to_owned(),
        new,
        procedure: procedure.clone(),
        town,
        files,
        hash,
        answers_json,
        computed_json,
        fee_yen,
    });
    let mut last_err = None;
    for _ in 0..SUBMIT_ATTEMPTS {
        let now = now_ms();
        let receipt = ReceiptNumber::from_random(rand::random::<u64>());
        let a = attempt.clone();
        // Group commit: submissions arriving together share one transaction and one flush.
        let outcome = db
            .grouped(move |tx| {
                let a = a.clone();
                Box::pin(async move { a.run(tx, receipt, now).await })
            })
            .await;
        match outcome {
            Ok(s) => return Ok(s),
            Err(SubmitError::Db(e)) if is_unique_violation(&e) => {
                tracing::info!(error = %e, "submission retried after a unique violation");
                last_err = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(SubmitError::Db(
        last_err.unwrap_or(sqlx::Error::RowNotFound),
    ))
}

/// One submission's inputs, owned: the transaction runs on the group committer's task.
struct Attempt {
    municipality: String,
    actor: audit::Actor,
    base_url: String,
    new: NewApplication,
    procedure: super::store::ProcedureRow,
    town: (String, String),
    files: Vec<(String, String)>,
    hash: String,
    answers_json: String,
    computed_json: String,
    fee_yen: Option<i64>,
}

impl Attempt {
    /// Writes the submission into `tx` (the caller commits), with a fresh `receipt` drawn per try.
    async fn run(
        &self,
        tx: &mut crate::db::Tx,
        receipt_number: ReceiptNumber,
        now: i64,
    ) -> Result<Submitted, SubmitError> {
        let m = self.municipality.as_str();
        let new = &self.new;
        if let Some(idem) = &new.idempotency
            && let Some(found) = store::find_idempotency(tx, m, &idem.scope, &idem.key).await?
        {
            if found.request_hash != self.hash {
                return Err(SubmitError::IdempotencyConflict);
            }
            let receipt = store::receipt_of(tx, found.application_id)
                .await?
                .ok_or_else(|| {
                    SubmitError::Corrupt("idempotency key without application".into())
                })?;
            let receipt = ReceiptNumber::parse(&receipt)
                .map_err(|e| SubmitError::Corrupt(format!("stored receipt {receipt}: {e}")))?;
            return Ok(Submitted {
                id: found.application_id,
                receipt,
                created: false,
                submitted_at: 0,
                fee_yen: None,
            });
        }
        let receipt = receipt_number.compact();
        let due_at = self
            .procedure
            .processing_days
            .map(|d| rules::due_at(now, d));
        // A guest's address is stored lower-cased like account addresses, so the account that
        // later verifies it takes the application over (`claim_guest_applications`).
        let (user_id, email) = match &new.applicant {
            Applicant::Resident { user_id, .. } => (Some(*user_id), None),
            Applicant::Guest { email, .. } => (
                None,
                Some(crate::auth::normalize_email(email).unwrap_or_else(|| email.clone())),
            ),
        };
        let email = email.as_deref();
        // A guest has no account to sign in with: the mail's link carries a random key that
        // opens the application's page (read-only); only its digest is stored.
        let guest_key = email.map(|_| crate::auth::token::random_secret());
        let guest_key_digest = guest_key.as_deref().map(crate::auth::token::digest);
        let id = store::insert_application(
            tx,
            &store::InsertApplication {
                municipality: m,
                receipt: &receipt,
                procedure_id: self.procedure.id,
                form_version_id: new.form_version_id,
                applicant_user_id: user_id,
                applicant_email: email,
                applicant_name: new.applicant.name(),
                answers: &self.answers_json,
                computed: &self.computed_json,
                fee_yen: self.fee_yen,
                department_id: self.procedure.department_id,
                due_at,
                guest_key_digest: guest_key_digest.as_deref(),
                now,
            },
        )
        .await?;
        if let Some(fee) = self.fee_yen {
            crate::payments::service::fee_at_submission(tx, m, id, self.procedure.id, fee, now)
                .await?;
        }
        // Early, so a concurrent identical request fails here (and retries) before doing more.
        if let Some(idem) = &new.idempotency {
            store::insert_idempotency(tx, m, &idem.scope, &idem.key, &self.hash, id, now).await?;
        }
        for (path, public_id) in &self.files {
            let a = store::attachment_tx(tx, m, public_id).await?;
            let ok = a.as_ref().is_some_and(|a| {
                a.application_id.is_none()
                    && ((new.draft_id.is_some() && a.draft_id == new.draft_id)
                        || (user_id.is_some() && a.owner_user_id == user_id))
            });
            let Some(a) = a.filter(|_| ok) else {
                return Err(SubmitError::UnknownAttachment(path.clone()));
            };
            if store::link_attachment(tx, a.id, id).await? != 1 {
                return Err(SubmitError::UnknownAttachment(path.clone()));
            }
        }
        if let Some(draft) = new.draft_id
            && store::delete_draft(tx, m, draft).await? != 1
        {
            return Err(SubmitError::UnknownDraft);
        }
        // The entry and the mail are written at commit, with those of the other submissions
        // of the group-committed batch (one statement each instead of one per submission).
        store::insert_entry_at_commit(
            tx,
            &store::NewEntry {
                application_id: id,
                kind: "transition",
                author_user_id: user_id,
                author_role: "applicant",
                from_state: None,
                to_state: Some(CaseState::Received.as_str()),
                body: "",
                fields: None,
                internal: false,
                now,
            },
        );
        let town = &self.town;
        let (subject, body) = rules::confirmation_mail(&rules::MailFacts {
            town_ja: &town.0,
            town_en: &town.1,
            applicant: new.applicant.name(),
            procedure_ja: &self.procedure.name_ja,
            procedure_en: &self.procedure.name_en,
            receipt: receipt_number,
            submitted_at: now,
            link: &match &guest_key {
                Some(key) => format!(
                    "{}/applications/{}?key={}",
                    self.base_url.trim_end_matches('/'),
                    receipt,
                    key
                ),
                None => format!(
                    "{}/applications/{}",
                    self.base_url.trim_end_matches('/'),
                    receipt
                ),
            },
            fee_yen: self.fee_yen,
        });
        crate::mail::enqueue_at_commit(tx, m, new.applicant.email(), &subject, &body);
        // Chained and written when the (group) transaction commits.
        audit::record(
            tx,
            m,
            &self.actor,
            "application.submitted",
            &format!("application:{id}"),
            json!({
                "receipt": receipt,
                "procedure": self.procedure.id,
                "form_version": new.form_version_id,
                "attachments": self.files.len(),
            }),
        )
        .await?;
        Ok(Submitted {
            id,
            receipt: receipt_number,
            created: true,
            submitted_at: now,
            fee_yen: self.fee_yen,
        })
    }
}

/// Gives the guest applications sent from the resident's address to their account, once the
/// account has proved it owns the address (a verification or password-reset link), and audits
/// each as `application.claimed` in the caller's transaction. Returns how many were taken.
pub async fn claim_guest_applications(
    tx: &mut crate::db::Tx,
    municipality: &str,
    user: &crate::auth::store::UserRow,
) -> Result<usize, sqlx::Error> {
    if user.kind() != crate::auth::Kind::Resident || user.municipality_id != municipality {
        return Ok(0);
    }
    let claimed =
        store::claim_guest_applications(tx, municipality, user.id, &user.email, now_ms()).await?;
    for (id, receipt) in &claimed {
        audit::record(
            tx,
            municipality,
            &audit::Actor::User(user.id),
            "application.claimed",
            &format!("application:{id}"),
            json!({ "receipt": receipt }),
        )
        .await?;
    }
    Ok(claimed.len())
}

/// The application with this 受付番号, read forgivingly (case, spaces, hyphens, full width,
/// O/I/L), or 404 as for a number that does not exist. Whether the caller may see it is the
/// caller's check (`workflow::can_view`, `is_case_staff`, a guest key).
pub async fn by_receipt_or_404(
    db: &Db,
    municipality: &str,
    receipt: &str,
) -> Result<store::ApplicationRow, crate::web::error::AppError> {
    let number =
        ReceiptNumber::parse(receipt).map_err(|_| crate::web::error::AppError::NotFound)?;
    store::by_receipt(db, municipality, &number.compact())
        .await?
        .ok_or(crate::web::error::AppError::NotFound)
}
