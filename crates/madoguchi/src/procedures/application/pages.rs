//! Resident pages (no JavaScript needed): `/mypage/applications` (my applications) and
//! `/applications/{receipt}` (state in words, what happens next, the answers, the timeline
//! without internal notes, a message form, 取下げ with a confirmation step, and the 補正 form
//! with only the named fields editable).

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::store::{self, ApplicationRow, EntryRow};
use super::{forms, workflow};
use crate::auth::store::UserRow;
use crate::procedures::case::{Action, CaseState};
use crate::procedures::form::def::FormDefinition;
use crate::procedures::receipt::ReceiptNumber;
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::{render, require_resident};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/mypage/applications", get(my_applications))
        .route("/applications/{receipt}", get(detail))
        .route("/applications/{receipt}/messages", post(post_message))
        .route(
            "/applications/{receipt}/withdraw",
            get(withdraw_confirm).post(withdraw),
        )
        .route("/applications/{receipt}/resubmit", post(resubmit))
}

pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

pub fn base_url(st: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    st.base_url_for(host)
}

/// The 受付番号 as shown: `7KQ2-M9XD-M`.
pub fn shown_receipt(compact: &str) -> String {
    ReceiptNumber::parse(compact)
        .map(|r| r.to_string())
        .unwrap_or_else(|_| compact.to_owned())
}

pub fn state_label(state: &str, l: Lang) -> String {
    CaseState::parse(state)
        .map(|s| s.label(l).to_owned())
        .unwrap_or_else(|| state.to_owned())
}

/// One line of My Page's list.
pub struct ListLine {
    pub receipt: String,
    pub receipt_shown: String,
    pub procedure: String,
    pub state: String,
    pub submitted: String,
    pub unread: i64,
}

#[derive(Template)]
#[template(path = "application/list.html")]
pub struct ListPage {
    pub c: Ctx,
    pub lines: Vec<ListLine>,
}

async fn my_applications(State(st): State<AppState>, c: Ctx) -> Result<Response, AppError> {
    if let Err(r) = require_resident(&c) {
        return Ok(r.into_response());
    }
    let user = c.user.clone().ok_or(AppError::Unauthorized)?;
    let apps = store::for_applicant(&st.db, &c.tenant.id, user.id).await?;
    let unread = store::unread_for_applicant(&st.db, &c.tenant.id, user.id).await?;
    let l = c.l;
    let lines = apps
        .iter()
        .map(|a| ListLine {
            receipt: a.receipt.clone(),
            receipt_shown: shown_receipt(&a.receipt),
            procedure: match l {
                Lang::Ja => a.procedure_name_ja.clone(),
                Lang::En => a.procedure_name_en.clone(),
            },
            state: state_label(&a.state, l),
            submitted: l.datetime(a.submitted_at),
            unread: unread
                .iter()
                .find(|u| u.application_id == a.id)
                .map_or(0, |u| u.n),
        })
        .collect();
    Ok(render(&ListPage { c, lines })?.into_response())
}

/// One entry of a timeline as shown.
pub struct EntryView {
    pub when: String,
    pub who: String,
    pub what: String,
    pub text: String,
    /// Field labels (correction requested / fields changed).
    pub fields: Vec<String>,
    pub internal: bool,
    pub kind: String,
}

pub fn entry_views(
    entries: &[EntryRow],
    def: Option<&FormDefinition>,
    l: Lang,
    staff_view: bool,
) -> Vec<EntryView> {
    entries
        .iter()
        .filter(|e| staff_view || !e.internal)
        .map(|e| {
            let who = match e.author_role.as_str() {
                "applicant" => l.t("app.who_applicant").to_owned(),
                "staff" if staff_view => e.author_name.clone().unwrap_or_default(),
                "staff" => l.t("app.who_staff").to_owned(),
                _ => l.t("app.who_system").to_owned(),
            };
            let to = e.to_state.as_deref().map(|s| state_label(s, l));
            let what = match (e.kind.as_str(), to) {
                ("message", _) => l.t("app.entry_message").to_owned(),
                ("note", _) => l.t("app.entry_note").to_owned(),
                ("assignment", _) => l.t("app.entry_assignment").to_owned(),
                ("correction_request", _) => l.t("app.entry_correction").to_owned(),
                ("resubmission", _) => l.t("app.entry_resubmission").to_owned(),
                ("decision", Some(s)) => format!("{}: {s}", l.t("app.entry_decision")),
                (_, Some(s)) if e.from_state.is_none() => {
                    format!("{}: {s}", l.t("app.entry_submitted"))
                }
                (_, Some(s)) => format!("{}: {s}", l.t("app.entry_state")),
                (k, None) => k.to_owned(),
            };
            let fields: Vec<String> = e
                .fields
                .as_deref()
                .and_then(|f| serde_json::from_str::<Vec<String>>(f).ok())
                .unwrap_or_default()
                .iter()
                .map(|id| match def {
                    Some(d) => super::rules::field_label(d, id, l == Lang::Ja),
                    None => id.clone(),
                })
                .collect();
            // A resubmission's body keeps the previous answers (JSON): not shown as text.
            let text = if e.kind == "resubmission" {
                String::new()
            } else if e.kind == "assignment" && e.body.is_empty() {
                l.t("app.unassigned").to_owned()
            } else {
                e.body.clone()
            };
            EntryView {
                when: l.datetime(e.created_at),
                who,
                what,
                text,
                fields,
                internal: e.internal,
                kind: e.kind.clone(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "application/detail.html")]
pub struct DetailPage {
    pub c: Ctx,
    pub receipt: String,
    pub receipt_shown: String,
    pub procedure: String,
    pub state: String,
    pub next_key: &'static str,
    pub submitted: String,
    pub fee: Option<String>,
    pub answers: Vec<forms::Row>,
    pub timeline: Vec<EntryView>,
    pub can_withdraw: bool,
    pub correction: Vec<super::correction::Input>,
    pub notice: Option<&'static str>,
    pub error: Option<String>,
    pub message_text: String,
    /// Opened from a guest's mail link: read-only, no forms.
    pub guest: bool,
    /// The 補正 form sends a file (multipart).
    pub correction_has_file: bool,
    /// A repeating group is on the 補正 form: its add/remove buttons are submit buttons, so a
    /// hidden 「再提出」 comes first and Enter in a text box resubmits instead of adding an item.
    pub correction_has_group: bool,
    pub payment: crate::payments::view::ResidentBox,
    /// 受付票 and 通知書 (PDF).
    pub documents: crate::documents::routes::Links,
}

fn next_key(state: CaseState) -> &'static str {
    match state {
        CaseState::Received => "app.next_received",
        CaseState::UnderReview => "app.next_under_review",
        CaseState::CorrectionRequested => "app.next_correction_requested",
        CaseState::Resubmitted => "app.next_resubmitted",
        CaseState::Approved => "app.next_approved",
        CaseState::Rejected => "app.next_rejected",
        CaseState::Dismissed => "app.next_dismissed",
        CaseState::Withdrawn => "app.next_withdrawn",
        CaseState::Completed => "app.next_completed",
    }
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    pub done: Option<String>,
    /// The key of a guest's mail link (see `submit`).
    #[serde(default)]
    pub key: Option<String>,
}

/// The resident's own application by receipt, or 404 (also for other residents).
async fn own_application(
    st: &AppState,
    c: &Ctx,
    receipt: &str,
) -> Result<(UserRow, ApplicationRow), AppError> {
    let user = c.user.clone().ok_or(AppError::Unauthorized)?;
    let app = super::by_receipt_or_404(&st.db, &c.tenant.id, receipt).await?;
    if !workflow::can_view(&user, &app) || user.kind != "resident" {
        return Err(AppError::NotFound);
    }
    Ok((user, app))
}

async fn detail_page(
    st: &AppState,
    c: Ctx,
    app: &ApplicationRow,
    notice: Option<&'static str>,
    error: Option<String>,
    typed: Option<&[(String, String)]>,
    problems: &[forms::Problem],
) -> Result<DetailPage, AppError> {
    let l = c.l;
    let state = CaseState::parse(&app.state).unwrap_or(CaseState::Received);
    let def = workflow::definition_of(&st.db, app).await.ok();
    let answers = workflow::answers_of(app);
    let rows = def
        .as_ref()
        .map(|d| forms::summary(d, &answers, l))
        .unwrap_or_default();
    let entries = store::entries(&st.db, app.id, false).await?;
    let timeline = entry_views(&entries, def.as_ref(), l, false);
    let can_withdraw = crate::procedures::case::apply(
        state,
        &Action::Withdraw,
        &crate::procedures::case::Actor::Resident,
    )
    .is_ok();
    let correction = match (&def, state) {
        (Some(d), CaseState::CorrectionRequested) => super::correction::inputs(
            d,
            &workflow::requested_fields(app),
            &answers,
            typed,
            problems,
            l,
        ),
        _ => Vec::new(),
    };
    let correction_has_file = correction.iter().any(|i| i.widget == "file");
    let correction_has_group = correction.iter().any(|i| i.widget == "group");
    let payment = crate::payments::view::resident_box(&st.db, app, l).await?;
    let documents = crate::documents::routes::links(&st.db, app, l).await?;
    Ok(DetailPage {
        correction_has_file,
        correction_has_group,
        payment,
        documents,
        receipt: app.receipt.clone(),
        receipt_shown: shown_receipt(&app.receipt),
        procedure: match l {
            Lang::Ja => app.procedure_name_ja.clone(),
            Lang::En => app.procedure_name_en.clone(),
        },
        state: state.label(l).to_owned(),
        next_key: next_key(state),
        submitted: l.datetime(app.submitted_at),
        fee: app
            .fee_yen
            .filter(|f| *f > 0)
            .map(|f| crate::procedures::model::yen_label(f, l)),
        answers: rows,
        timeline,
        can_withdraw,
        correction,
        notice,
        error,
        message_text: String::new(),
        guest: false,
        c,
    })
}

fn done_notice(done: Option<&str>) -> Option<&'static str> {
    match done {
        Some("message") => Some("app.done_message"),
        Some("withdrawn") => Some("app.done_withdrawn"),
        Some("resubmitted") => Some("app.done_resubmitted"),
        _ => None,
    }
}

async fn detail(
    State(st): State<AppState>,
    c: Ctx,
    Path(receipt): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    if c.is_staff() {
        return Ok(Redirect::to(&format!("/staff/cases/{receipt}")).into_response());
    }
    if c.user.is_none()
        && let Some(key) = q.key.as_deref().filter(|k| !k.is_empty())
    {
        return guest_detail(&st, c, &receipt, key).await;
    }
    if let Err(r) = require_resident(&c) {
        return Ok(r.into_response());
    }
    let (_, app) = own_application(&st, &c, &receipt).await?;
    store::mark_read(&st.db, app.id, true, crate::db::now_ms()).await?;
    let page = detail_page(
        &st,
        c,
        &app,
        done_notice(q.done.as_deref()),
        None,
        None,
        &[],
    )
    .await?;
    Ok(render(&page)?.into_response())
}

/// A guest's application opened from the link in its confirmation mail: read-only (messages,
/// 補正 and 取下げ need an account with the same address, which then takes the application
/// over). A wrong key, or a key of another application, is 404 like any unknown number.
async fn guest_detail(
    st: &AppState,
    c: Ctx,
    receipt: &str,
    key: &str,
) -> Result<Response, AppError> {
    let number = ReceiptNumber::parse(receipt).map_err(|_| AppError::NotFound)?;
    let digest = crate::auth::token::digest(key);
    let app = store::by_guest_key(&st.db, &c.tenant.id, &number.compact(), &digest)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut page = detail_page(st, c, &app, None, None, None, &[]).await?;
    page.guest = true;
    page.can_withdraw = false;
    page.correction.clear();
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        render(&page)?,
    )
        .into_response())
}

async fn post_message(
    State(st): State<AppState>,
    c: Ctx,
    headers: HeaderMap,
    Path(receipt): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    if let Err(r) = require_resident(&c) {
        return Ok(r.into_response());
    }
    let (user, app) = own_application(&st, &c, &receipt).await?;
    let pairs = form_pairs(&body);
    let text = field(&pairs, "body").to_owned();
    match workflow::message(
        &st.db,
        &c.tenant.id,
        app.id,
        &user,
        &text,
        &base_url(&st, &headers),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/applications/{}?done=message#timeline",
            app.receipt
        ))
        .into_response()),
        Err(e @ (workflow::ActError::EmptyText | workflow::ActError::TooLong)) => {
            let l = c.l;
            let mut page = detail_page(&st, c, &app, None, Some(e.message(l)), None, &[]).await?;
            page.message_text = text;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(workflow::ActError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(AppError::Internal(e.into())),
    }
}

#[derive(Template)]
#[template(path = "application/withdraw.html")]
pub struct WithdrawPage {
    pub c: Ctx,
    pub receipt: String,
    pub receipt_shown: String,
    pub procedure: String,
}

async fn withdraw_confirm(
    State(st): State<AppState>,
    c: Ctx,
    Path(receipt): Path<String>,
) -> Result<Response, AppError> {
    if let Err(r) = require_resident(&c) {
        return Ok(r.into_response());
    }
    let (_, app) = own_application(&st, &c, &receipt).await?;
    let procedure = match c.l {
        Lang::Ja => app.procedure_name_ja.clone(),
        Lang::En => app.procedure_name_en.clone(),
    };
    Ok(render(&WithdrawPage {
        c,
        receipt: app.receipt.clone(),
        receipt_shown: shown_receipt(&app.receipt),
        procedure,
    })?
    .into_response())
}

async fn withdraw(
    State(st): State<AppState>,
    c: Ctx,
    headers: HeaderMap,
    Path(receipt): Path<String>,
) -> Result<Response, AppError> {
    if let Err(r) = require_resident(&c) {
        return Ok(r.into_response());
    }
    let (user, app) = own_application(&st, &c, &receipt).await?;
    match workflow::act(
        &st.db,
        &c.tenant.id,
        app.id,
        &user,
        Action::Withdraw,
        "",
        &base_url(&st, &headers),
    )
    .await
    {
        Ok(_) => Ok(
            Redirect::to(&format!("/applications/{}?done=withdrawn", app.receipt)).into_response(),
        ),
        Err(workflow::ActError::NotFound) => Err(AppError::NotFound),
        Err(e @ (workflow::ActError::Transition(_) | workflow::ActError::Stale)) => {
            let l = c.l;
            let page = detail_page(&st, c, &app, None, Some(e.message(l)), None, &[]).await?;
            Ok((StatusCode::CONFLICT, render(&page)?).into_response())
        }
        Err(e) => Err(AppError::Internal(e.into())),
    }
}

async fn resubmit(
    State(st): State<AppState>,
    c: Ctx,
    Path(receipt): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    if let Err(r) = require_resident(&c) {
        return Ok(r.into_response());
    }
    let (user, app) = own_application(&st, &c, &receipt).await?;
    let def = workflow::definition_of(&st.db, &app)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let requested = workflow::requested_fields(&app);
    let file_fields = super::correction::file_fields(&def, &requested);
    // Only the requested file fields are read, each up to its own limit.
    let (pairs, uploads) = crate::procedures::runner::routes::read_form_body(&st, req, |path| {
        file_fields
            .iter()
            .find(|(f, _, _)| f.id == path)
            .map(|(_, _, max)| *max)
    })
    .await?;
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+9))
        .date();
    let l = c.l;
    // A group's 「追加」/「削除」 button: show the form again with one item more or less.
    if let Some(action) = crate::procedures::runner::flow::get(&pairs, "action")
        && let Some(pairs) = super::correction::group_action(&def, &requested, &pairs, action)
    {
        let page = detail_page(&st, c, &app, None, None, Some(&pairs), &[]).await?;
        return Ok(render(&page)?.into_response());
    }
    // Files first: each is checked (size, declared and real type) before anything is stored.
    let mut problems = Vec::new();
    let mut files = Vec::new();
    let mut file_answers = Map::new();
    for u in uploads {
        let Some((f, accept, max)) = file_fields.iter().find(|(f, _, _)| f.id == u.path) else {
            continue;
        };
        let size = if u.too_large {
            max.saturating_add(1)
        } else {
            u.data.len() as u64
        };
        let label = match l {
            Lang::Ja => f.label_ja.clone(),
            Lang::En => f.label_en.clone(),
        };
        match crate::procedures::runner::flow::check_upload(
            accept,
            *max,
            &u.declared,
            size,
            &u.data,
        ) {
            Err(p) => problems.push(forms::Problem::from(
                crate::procedures::runner::routes::upload_error(l, &label, &u.path, &p),
            )),
            Ok(real) => {
                let public_id = crate::auth::token::random_secret();
                file_answers.insert(
                    f.id.clone(),
                    serde_json::json!({
                        "id": public_id,
                        "name": u.filename,
                        "size": u.data.len(),
                        "type": real,
                    }),
                );
                files.push(workflow::CorrectionFile {
                    field: f.id.clone(),
                    public_id,
                    filename: u.filename,
                    content_type: real,
                    sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&u.data)),
                    data: u.data,
                });
            }
        }
    }
    let (mut merged, more) = super::correction::apply(
        &def,
        &requested,
        &workflow::answers_of(&app),
        &pairs,
        &file_answers,
        today,
    );
    crate::identity::prefill::hold(&st.db, user.id, &def, l, &mut merged).await?;
    problems.extend(more);
    let answers = match forms::validate(&def, &Value::Object(merged), today) {
        Ok(a) if problems.is_empty() => a,
        Ok(_) => Map::new(),
        Err(more) => {
            problems.extend(more);
            Map::new()
        }
    };
    if !problems.is_empty() {
        let msg = l.t("app.correction_fix").to_owned();
        let page = detail_page(&st, c, &app, None, Some(msg), Some(&pairs), &problems).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let computed = forms::compute(&def, &answers);
    match workflow::resubmit(
        &st.db,
        &c.tenant.id,
        app.id,
        &user,
        answers,
        computed,
        &files,
    )
    .await
    {
        Ok(_) => {
            st.mail_notify.notify_one();
            Ok(
                Redirect::to(&format!("/applications/{}?done=resubmitted", app.receipt))
                    .into_response(),
            )
        }
        Err(workflow::ActError::NotFound) => Err(AppError::NotFound),
        Err(
            e @ (workflow::ActError::Correction(_)
            | workflow::ActError::Transition(_)
            | workflow::ActError::Stale),
        ) => {
            let page =
                detail_page(&st, c, &app, None, Some(e.message(l)), Some(&pairs), &[]).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(AppError::Internal(e.into())),
    }
}
