//! The hand-over to the case module: a checked draft becomes an application through
//! `application::submit` (one transaction: idempotency, receipt, draft deleted, mail queued).

use super::engine::Answers;
use super::store::DraftRow;
use crate::audit::Actor;
use crate::procedures::application::{self, Applicant, Idempotency, NewApplication, SubmitError};
use crate::procedures::form::def::{FieldKind, FormDefinition};
use crate::procedures::receipt::ReceiptNumber;
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;

pub struct Request<'a> {
    pub procedure_id: i64,
    pub form_version_id: i64,
    pub answers: Answers,
    pub computed: Vec<(String, i64)>,
    pub draft: &'a DraftRow,
    pub scope: String,
    pub key: String,
    pub base_url: &'a str,
}

/// The applicant's name and e-mail address for a guest: the form's first name and e-mail
/// answers, else the address the resume link went to.
pub fn guest_contact(
    def: &FormDefinition,
    answers: &Answers,
    draft_email: Option<&str>,
) -> (String, Option<String>) {
    let mut name = String::new();
    let mut email = None;
    for f in def.pages.iter().flat_map(|p| p.fields.iter()) {
        match (&f.kind, answers.get(&f.id)) {
            (FieldKind::Name { .. }, Some(v)) if name.is_empty() => {
                let family = v.get("family").and_then(|x| x.as_str()).unwrap_or("");
                let given = v.get("given").and_then(|x| x.as_str()).unwrap_or("");
                name = format!("{family} {given}").trim().to_owned();
            }
            (FieldKind::Email, Some(v)) if email.is_none() => email = v.as_str().map(str::to_owned),
            _ => {}
        }
    }
    (name, email.or_else(|| draft_email.map(str::to_owned)))
}

/// Submits; returns the receipt number (or why the case module refused it).
pub async fn submit(
    st: &AppState,
    c: &Ctx,
    def: &FormDefinition,
    r: Request<'_>,
) -> Result<Result<ReceiptNumber, SubmitError>, AppError> {
    let applicant = match (&c.user, c.is_resident()) {
        (Some(u), true) => Applicant::Resident {
            user_id: u.id,
            name: u.name.clone(),
            email: u.email.clone(),
        },
        _ => {
            let (name, email) = guest_contact(def, &r.answers, r.draft.email.as_deref());
            let Some(email) = email else {
                return Ok(Err(SubmitError::Corrupt(
                    "a guest application needs an e-mail address".into(),
                )));
            };
            Applicant::Guest { name, email }
        }
    };
    let actor = match &applicant {
        Applicant::Resident { user_id, .. } => Actor::User(*user_id),
        Applicant::Guest { .. } => Actor::Anonymous,
    };
    let new = NewApplication {
        procedure_id: r.procedure_id,
        form_version_id: r.form_version_id,
        answers: r.answers,
        computed: r.computed,
        applicant,
        idempotency: Some(Idempotency {
            scope: r.scope,
            key: r.key,
        }),
        draft_id: Some(r.draft.id),
    };
    match application::submit(&st.db, &c.tenant.id, &actor, r.base_url, new).await {
        Ok(s) => {
            st.mail_notify.notify_one();
            Ok(Ok(s.receipt))
        }
        Err(SubmitError::Db(e)) => Err(e.into()),
        Err(e) => Ok(Err(e)),
    }
}
