//! The resident's online application, page by page: start page, one question group per page
//! (GET shows, POST reads with the engine and moves on), check your answers, submit, receipt.
//! Drafts are saved on every page POST. Every page works without JavaScript; `form.js` adds
//! validation as you type (`check-field`), postal-code fill and autosave (`save`).

use askama::Template;
use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use serde_json::json;

use super::engine::{self, Answers, FieldError};
use super::flow::{self, Action, get};
use super::store::{self, AttachmentMeta, DraftRow, DraftUpdate, NewAttachment, NewDraft, Owner};
use super::view::{self, FieldView, Input};
use crate::audit::{self, Actor};
use crate::calendar::today_jst;
use crate::db::now_ms;
use crate::mail;
use crate::procedures::form::def::{FieldKind, FormDefinition, Page};
use crate::procedures::form::store as form_store;
use crate::procedures::model::IdentityLevel;
use crate::procedures::routes::View;
use crate::procedures::store::{self as proc_store, ProcedureRow};
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::render;

/// Page ids the runner's own URLs use; a form page may not be called this (docs/applying.md).
pub const RESERVED_PAGE_IDS: [&str; 6] = ["check", "submit", "done", "later", "resume", "restart"];

/// The procedure and the published form a resident is filling in.
pub struct Loaded {
    pub proc: ProcedureRow,
    pub version_id: i64,
    pub def: FormDefinition,
}

async fn load_proc(st: &AppState, c: &Ctx, slug: &str) -> Result<ProcedureRow, AppError> {
    proc_store::find_by_slug(&st.db, &c.tenant.id, slug)
        .await?
        .ok_or(AppError::NotFound)
}

/// The published form of an online procedure, or None (the start page says so plainly).
async fn published(
    st: &AppState,
    c: &Ctx,
    proc: &ProcedureRow,
) -> Result<Option<(i64, FormDefinition)>, AppError> {
    if !proc.online {
        return Ok(None);
    }
    let Some(row) = form_store::published(&st.db, &c.tenant.id, proc.id).await? else {
        return Ok(None);
    };
    match row.shared() {
        Ok(def) if !def.pages.is_empty() => Ok(Some((row.id, FormDefinition::clone(&def)))),
        Ok(_) => Ok(None),
        Err(e) => {
            tracing::error!(form_version = row.id, error = %e, "stored form definition does not parse");
            Ok(None)
        }
    }
}

/// Whether this visitor may fill in the form: (allowed, needs sign-in).
fn identity_ok(c: &Ctx, proc: &ProcedureRow) -> bool {
    match proc.identity() {
        IdentityLevel::None => true,
        // Madoguchi has no My Number Card check yet: a card-level procedure asks for a signed-in
        // resident (docs/applying.md, "Identity").
        IdentityLevel::SignedIn | IdentityLevel::Card => c.is_resident(),
    }
}

fn draft_cookie(proc_id: i64) -> String {
    format!("__Host-draft-{proc_id}")
}

fn owner(c: &Ctx, jar: &CookieJar, proc_id: i64) -> Option<Owner> {
    if c.is_resident() {
        return c.user.as_ref().map(|u| Owner::User(u.id));
    }
    jar.get(&draft_cookie(proc_id))
        .filter(|k| k.value().len() >= 32)
        .map(|k| Owner::TokenHash(crate::auth::token::digest(k.value())))
}

fn actor(c: &Ctx) -> Actor {
    match (&c.user, c.is_resident()) {
        (Some(u), true) => Actor::User(u.id),
        _ => Actor::Anonymous,
    }
}

fn set_cookie(jar: CookieJar, proc_id: i64, token: String) -> CookieJar {
    jar.add(
        Cookie::build((draft_cookie(proc_id), token))
            .path("/")
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Lax)
            .max_age(time::Duration::days(30))
            .build(),
    )
}

fn apply_url(slug: &str, rest: &str) -> String {
    if rest.is_empty() {
        format!("/procedures/{slug}/apply")
    } else {
        format!("/procedures/{slug}/apply/{rest}")
    }
}

fn parse_json_map(s: &str) -> Answers {
    serde_json::from_str::<serde_json::Value>(s)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default()
}

/// What was typed on each page, as typed: {page: [[name, value], …]}.
type RawInput = std::collections::BTreeMap<String, Vec<(String, String)>>;

fn parse_raw(s: &str) -> RawInput {
    serde_json::from_str(s).unwrap_or_default()
}

/// A draft that is still valid, or the reason it is not.
enum DraftState {
    None,
    Live(Box<DraftRow>),
    Expired,
}

async fn find_draft(
    st: &AppState,
    c: &Ctx,
    proc_id: i64,
    owner: Option<&Owner>,
) -> Result<DraftState, AppError> {
    let Some(owner) = owner else {
        return Ok(DraftState::None);
    };
    match store::find(&st.db, &c.tenant.id, proc_id, owner).await? {
        None => Ok(DraftState::None),
        Some(d) if d.expires_at <= now_ms() => {
            let mut tx = st.db.begin().await?;
            store::delete(&mut tx, d.id).await?;
            audit::record(
                &mut tx,
                &c.tenant.id,
                &Actor::System,
                "application_draft.expired",
                &format!("application_draft:{}", d.id),
                json!({}),
            )
            .await?;
            tx.commit().await?;
            Ok(DraftState::Expired)
        }
        Some(d) => Ok(DraftState::Live(Box::new(d))),
    }
}

// ---- templates ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "procedures/apply.html")]
pub struct StartPage {
    pub c: Ctx,
    pub p: View,
    /// Why online application is not possible here (message key), if it is not.
    pub unavailable: Option<&'static str>,
    pub intro: String,
    pub minutes: usize,
    pub pages: Vec<String>,
    pub needs_login: bool,
    pub identity_card: bool,
    pub resume_url: Option<String>,
    pub first_url: String,
    pub expired: bool,
}

#[derive(Template)]
#[template(path = "runner/page.html")]
pub struct FormPage {
    pub c: Ctx,
    pub slug: String,
    pub form_title: String,
    pub page_title: String,
    pub page_intro: String,
    pub step: usize,
    pub steps: usize,
    pub fields: Vec<FieldView>,
    pub errors: Vec<(String, String)>,
    pub action: String,
    pub back_url: String,
    pub return_check: bool,
    pub multipart: bool,
    pub changed: bool,
    pub note: Option<&'static str>,
    pub autosave: bool,
    pub anonymous: bool,
}

pub struct CheckRow {
    pub label: String,
    pub value: String,
}

pub struct CheckSection {
    pub title: String,
    pub change_url: String,
    pub rows: Vec<CheckRow>,
}

#[derive(Template)]
#[template(path = "runner/check.html")]
pub struct CheckPage {
    pub c: Ctx,
    pub slug: String,
    pub form_title: String,
    pub sections: Vec<CheckSection>,
    pub computed: Vec<CheckRow>,
    pub key: String,
    pub back_url: String,
    pub errors: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "runner/done.html")]
pub struct DonePage {
    pub c: Ctx,
    pub form_title: String,
    pub receipt: String,
    pub email: String,
    /// The unpaid fee (「300円」) when the applicant can pay it online now.
    pub pay: Option<String>,
    pub receipt_compact: String,
}

#[derive(Template)]
#[template(path = "runner/later.html")]
pub struct LaterPage {
    pub c: Ctx,
    pub slug: String,
    pub form_title: String,
    pub email: String,
    pub error: String,
    pub sent_to: Option<String>,
    pub signed_in: bool,
}

#[derive(Template)]
#[template(path = "runner/notice.html")]
pub struct NoticePage {
    pub c: Ctx,
    pub title: &'static str,
    pub text: &'static str,
    pub detail: String,
    pub link: String,
    pub link_label: &'static str,
}

fn notice(
    c: Ctx,
    status: StatusCode,
    title: &'static str,
    text: &'static str,
    link: String,
) -> Result<Response, AppError> {
    let link_label = c.l.t("runner.to_start");
    Ok((
        status,
        render(&NoticePage {
            c,
            title,
            text,
            detail: String::new(),
            link,
            link_label,
        })?,
    )
        .into_response())
}

fn form_title(def: &FormDefinition, l: Lang) -> String {
    match l {
        Lang::Ja => def.title_ja.clone(),
        Lang::En => def.title_en.clone(),
    }
}

fn page_title(p: &Page, l: Lang) -> String {
    match l {
        Lang::Ja => p.title_ja.clone(),
        Lang::En => p.title_en.clone(),
    }
}

// ---- start page -----------------------------------------------------------------------------

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/procedures/{slug}/apply", get(start))
        .route("/procedures/{slug}/apply/restart", post(restart))
        .route("/procedures/{slug}/apply/check", get(check))
        .route("/procedures/{slug}/apply/submit", post(submit))
        .route("/procedures/{slug}/apply/done/{receipt}", get(done))
        .route(
            "/procedures/{slug}/apply/later",
            get(later_form).post(later_send),
        )
        .route("/procedures/{slug}/apply/resume/{token}", get(resume))
        .route(
            "/procedures/{slug}/apply/{page}",
            get(page_get).post(page_post),
        )
        .route(
            "/procedures/{slug}/apply/{page}/check-field",
            post(check_field),
        )
        .route("/procedures/{slug}/apply/{page}/save", post(autosave))
}

#[derive(Deserialize, Default)]
pub struct StartQuery {
    #[serde(default)]
    pub expired: Option<String>,
}

fn field_count(def: &FormDefinition) -> usize {
    def.pages.iter().map(|p| p.fields.len()).sum()
}

async fn start(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    Path(slug): Path<String>,
    Query(q): Query<StartQuery>,
) -> Result<Response, AppError> {
    let proc = load_proc(&st, &c, &slug).await?;
    let p = View::new(c.l, &proc);
    let form = published(&st, &c, &proc).await?;
    let mut page = StartPage {
        unavailable: None,
        intro: String::new(),
        minutes: 0,
        pages: Vec::new(),
        needs_login: !identity_ok(&c, &proc),
        identity_card: proc.identity() == IdentityLevel::Card,
        resume_url: None,
        first_url: String::new(),
        expired: q.expired.is_some(),
        c,
        p,
    };
    let Some((_, def)) = form else {
        page.unavailable = Some(if proc.online {
            "runner.not_ready"
        } else {
            "proc.in_person_text"
        });
        return Ok(render(&page)?.into_response());
    };
    let l = page.c.l;
    page.intro = match l {
        Lang::Ja => def.intro_ja.clone(),
        Lang::En => def.intro_en.clone(),
    }
    .unwrap_or_default();
    // About half a minute per question, rounded up to 5 minutes.
    page.minutes = (field_count(&def).div_ceil(2)).div_ceil(5).max(1) * 5;
    page.pages = def.pages.iter().map(|p| page_title(p, l)).collect();
    page.first_url = apply_url(&slug, &def.pages[0].id);
    if !page.needs_login {
        let own = owner(&page.c, &jar, proc.id);
        match find_draft(&st, &page.c, proc.id, own.as_ref()).await? {
            DraftState::Live(d) => {
                let answers = parse_json_map(&d.answers);
                let cur = d
                    .current_page
                    .clone()
                    .filter(|id| {
                        engine::shown_pages(&def, &answers)
                            .iter()
                            .any(|p| &p.id == id)
                    })
                    .unwrap_or_else(|| def.pages[0].id.clone());
                page.resume_url = Some(apply_url(&slug, &cur));
            }
            DraftState::Expired => page.expired = true,
            DraftState::None => {}
        }
    }
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
pub struct CsrfOnly {}

/// 「最初からやり直す」: the draft and its files are deleted.
async fn restart(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let proc = load_proc(&st, &c, &slug).await?;
    let own = owner(&c, &jar, proc.id);
    if let DraftState::Live(d) = find_draft(&st, &c, proc.id, own.as_ref()).await? {
        let mut tx = st.db.begin().await?;
        store::delete(&mut tx, d.id).await?;
        audit::record(
            &mut tx,
            &c.tenant.id,
            &actor(&c),
            "application_draft.discarded",
            &format!("application_draft:{}", d.id),
            json!({}),
        )
        .await?;
        tx.commit().await?;
    }
    let first = match published(&st, &c, &proc).await? {
        Some((_, def)) => apply_url(&slug, &def.pages[0].id),
        None => apply_url(&slug, ""),
    };
    Ok(Redirect::to(&first).into_response())
}

// ---- one page ---------------------------------------------------------------------------------

/// Everything a page request needs, or the response that ends it early.
struct PageCtx {
    proc: ProcedureRow,
    version_id: i64,
    def: FormDefinition,
    owner: Option<Owner>,
    draft: Option<DraftRow>,
    /// What this resident's card-verified facts fill in.
    prefill: crate::identity::prefill::Prefill,
}

/// The answers the city already knows: the top-level fields with a `prefill` whose fact is
/// verified for this resident (docs/identity.md, `identity::prefill`). Such an input is always
/// the fact, and so is that part of the answers.
async fn verified_prefill(
    st: &AppState,
    c: &Ctx,
    def: &FormDefinition,
) -> Result<crate::identity::prefill::Prefill, AppError> {
    let Some(u) = c.user.as_ref().filter(|_| c.is_resident()) else {
        return Ok(Default::default());
    };
    let facts: Vec<(String, String)> = crate::identity::store::facts(&st.db, u.id)
        .await?
        .into_iter()
        .map(|r| (r.fact, r.value))
        .collect();
    Ok(crate::identity::prefill::build(def, &facts, c.l))
}

async fn page_ctx(
    st: &AppState,
    c: &Ctx,
    jar: &CookieJar,
    slug: &str,
) -> Result<Result<PageCtx, Response>, AppError> {
    let proc = load_proc(st, c, slug).await?;
    let Some((version_id, def)) = published(st, c, &proc).await? else {
        return Ok(Err(Redirect::to(&apply_url(slug, "")).into_response()));
    };
    if !identity_ok(c, &proc) {
        return Ok(Err(Redirect::to(&apply_url(slug, "")).into_response()));
    }
    let own = owner(c, jar, proc.id);
    let draft = match find_draft(st, c, proc.id, own.as_ref()).await? {
        DraftState::Live(d) => Some(*d),
        DraftState::Expired => {
            return Ok(Err(Redirect::to(&format!(
                "{}?expired=1",
                apply_url(slug, "")
            ))
            .into_response()));
        }
        DraftState::None => None,
    };
    let prefill = verified_prefill(st, c, &def).await?;
    Ok(Ok(PageCtx {
        proc,
        version_id,
        def,
        owner: own,
        draft,
        prefill,
    }))
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    pub r#return: Option<String>,
    #[serde(default)]
    pub changed: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

struct Draw<'a> {
    pairs: &'a [(String, String)],
    answers: &'a Answers,
    errors: &'a [FieldError],
    files: &'a [AttachmentMeta],
    return_check: bool,
    changed: bool,
    note: Option<&'static str>,
}

fn draw(c: Ctx, slug: &str, pc: &PageCtx, page: &Page, d: Draw<'_>) -> Result<FormPage, AppError> {
    let l = c.l;
    let shown = engine::shown_pages(&pc.def, d.answers);
    let step = shown
        .iter()
        .position(|p| p.id == page.id)
        .map(|i| i + 1)
        .unwrap_or(1);
    let mut pairs = d.pairs.to_vec();
    pc.prefill.force(&mut pairs);
    let mut fields = view::fields(
        page,
        &Input {
            pairs: &pairs,
            answers: d.answers,
            errors: d.errors,
            files: d.files,
            l,
        },
    );
    view::mark_verified(&mut fields, |name| pc.prefill.fills(name), l);
    let errors = view::summary_links(&fields, d.errors, l);
    let multipart = page.fields.iter().any(|f| {
        matches!(f.kind, FieldKind::File { .. })
            || matches!(&f.kind, FieldKind::Group { fields, .. } if fields.iter().any(|g| matches!(g.kind, FieldKind::File { .. })))
    });
    let back_url = match engine::prev_page(&pc.def, &page.id, d.answers) {
        Some(p) => apply_url(slug, &p.id),
        None => apply_url(slug, ""),
    };
    Ok(FormPage {
        slug: slug.to_owned(),
        form_title: form_title(&pc.def, l),
        page_title: page_title(page, l),
        page_intro: match l {
            Lang::Ja => page.intro_ja.clone(),
            Lang::En => page.intro_en.clone(),
        }
        .unwrap_or_default(),
        step,
        steps: shown.len().max(step),
        fields,
        errors,
        action: apply_url(slug, &page.id),
        back_url,
        return_check: d.return_check,
        multipart,
        changed: d.changed,
        note: d.note,
        autosave: c.is_resident(),
        anonymous: !c.is_resident(),
        c,
    })
}

impl FormPage {
    /// A repeating group's add/remove buttons are submit buttons before 「次へ」: a hidden
    /// 「次へ」 comes first, so Enter in a text box goes on instead of adding an item.
    pub fn has_group(&self) -> bool {
        self.fields.iter().any(|f| f.kind == "group")
    }

    /// The fields, drawn by the shared page renderer.
    pub fn fields_html(&self) -> String {
        match (view::FieldsFragment {
            fields: &self.fields,
            l: self.c.l,
        })
        .render()
        {
            Ok(html) => html,
            Err(e) => {
                tracing::error!(error = %e, "form fields did not render");
                String::new()
            }
        }
    }
}

fn find_page<'a>(def: &'a FormDefinition, id: &str) -> Option<&'a Page> {
    def.pages.iter().find(|p| p.id == id)
}

async fn page_get(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    Path((slug, page_id)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let pc = match page_ctx(&st, &c, &jar, &slug).await? {
        Ok(pc) => pc,
        Err(r) => return Ok(r),
    };
    let page = find_page(&pc.def, &page_id).ok_or(AppError::NotFound)?;
    let (answers, raw, files) = match &pc.draft {
        Some(d) => (
            parse_json_map(&d.answers),
            parse_raw(&d.raw_input),
            store::draft_attachments(&st.db, &c.tenant.id, d.id).await?,
        ),
        None => (Answers::new(), RawInput::new(), Vec::new()),
    };
    // A newer form version was published since the draft was started: re-check it.
    if let Some(d) = &pc.draft
        && d.form_version_id != pc.version_id
    {
        return upgrade(&st, &c, &slug, &pc, d, &answers).await;
    }
    // A page skipped by the answers so far is not asked: go to the first page still missing.
    if !engine::shown_pages(&pc.def, &answers)
        .iter()
        .any(|p| p.id == page.id)
    {
        let to = engine::next_page(&pc.def, None, &answers)
            .map(|p| apply_url(&slug, &p.id))
            .unwrap_or_else(|| apply_url(&slug, "check"));
        return Ok(Redirect::to(&to).into_response());
    }
    let pairs = raw
        .get(&page.id)
        .cloned()
        .unwrap_or_else(|| flow::answers_to_pairs(&page.fields, &answers, ""));
    let note = match q.note.as_deref() {
        Some("postal_missing") => Some("runner.postal_not_found"),
        Some("saved") => Some("runner.saved_note"),
        _ => None,
    };
    let fp = draw(
        c,
        &slug,
        &pc,
        page,
        Draw {
            pairs: &pairs,
            answers: &answers,
            errors: &[],
            files: &files,
            return_check: q.r#return.as_deref() == Some("check"),
            changed: q.changed.is_some(),
            note,
        },
    )?;
    Ok(render(&fp)?.into_response())
}

/// Moves a draft to the published version: answers the new version does not know are dropped,
/// the rest re-checked; the resident goes to the first page with a problem (or to the check
/// page), with a note that the form changed.
async fn upgrade(
    st: &AppState,
    c: &Ctx,
    slug: &str,
    pc: &PageCtx,
    d: &DraftRow,
    answers: &Answers,
) -> Result<Response, AppError> {
    let kept = flow::prune(&pc.def, answers);
    let to = match engine::validate(
        &pc.def,
        &serde_json::Value::Object(kept.clone()),
        today_jst(),
    ) {
        Ok(_) => apply_url(slug, "check"),
        Err(errs) => {
            let first = pc
                .def
                .pages
                .iter()
                .find(|p| {
                    errs.iter()
                        .any(|e| flow::page_of(&pc.def, &e.path).is_some_and(|q| q.id == p.id))
                })
                .or_else(|| engine::next_page(&pc.def, None, &kept));
            match first {
                Some(p) => apply_url(slug, &p.id),
                None => apply_url(slug, "check"),
            }
        }
    };
    let mut tx = st.db.begin().await?;
    let answers_json = serde_json::Value::Object(kept).to_string();
    let now = now_ms();
    store::save(
        &mut tx,
        d.id,
        DraftUpdate {
            form_version_id: pc.version_id,
            answers: &answers_json,
            raw_input: "{}",
            current_page: d.current_page.as_deref(),
            now,
            expires_at: flow::expiry(now),
        },
    )
    .await?;
    audit::record(
        &mut tx,
        &c.tenant.id,
        &actor(c),
        "application_draft.upgraded",
        &format!("application_draft:{}", d.id),
        json!({ "from": d.form_version_id, "to": pc.version_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{to}?changed=1")).into_response())
}

/// One uploaded file part, read up to its field's limit.
/// A file part of a form POST, read up to its field's limit.
pub(crate) struct Upload {
    /// The field's answer path (`certificate`, `children/0/certificate`).
    pub path: String,
    pub filename: String,
    /// The Content-Type the browser declared.
    pub declared: String,
    pub data: Vec<u8>,
    /// More than the field's limit was sent (the rest was not read).
    pub too_large: bool,
}

/// The file fields of a page by input path (top-level and in groups).
fn file_field<'a>(page: &'a Page, path: &str) -> Option<(&'a [String], u64)> {
    let parts: Vec<&str> = path.split('/').collect();
    let top = page.fields.iter().find(|f| f.id == parts[0])?;
    let f = match (&top.kind, parts.as_slice()) {
        (FieldKind::File { .. }, [_]) => top,
        (FieldKind::Group { fields, .. }, [_, i, inner]) if i.parse::<usize>().is_ok() => {
            fields.iter().find(|g| g.id == *inner)?
        }
        _ => return None,
    };
    match &f.kind {
        FieldKind::File { accept, max_bytes } => Some((accept.as_slice(), *max_bytes)),
        _ => None,
    }
}

/// Reads a page POST, urlencoded or multipart. File parts are read only up to their field's
/// size limit (one byte more tells "too large"), so an oversize file is never held whole.
async fn read_body(
    st: &AppState,
    req: Request,
    page: &Page,
) -> Result<(Vec<(String, String)>, Vec<Upload>), AppError> {
    read_form_body(st, req, |path| file_field(page, path).map(|(_, max)| max)).await
}

/// Reads a form POST, urlencoded or multipart: the text pairs, and the files of the paths that
/// `limit` knows (others are skipped unread), each read only up to its limit.
pub(crate) async fn read_form_body(
    st: &AppState,
    req: Request,
    limit: impl Fn(&str) -> Option<u64>,
) -> Result<(Vec<(String, String)>, Vec<Upload>), AppError> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    if !is_multipart {
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(req, st)
            .await
            .map_err(|_| AppError::BadRequest)?;
        return Ok((pairs, Vec::new()));
    }
    let mut mp = Multipart::from_request(req, st)
        .await
        .map_err(|_| AppError::BadRequest)?;
    let mut pairs = Vec::new();
    let mut uploads = Vec::new();
    while let Some(mut field) = mp.next_field().await.map_err(|_| AppError::BadRequest)? {
        let name = field.name().unwrap_or("").to_owned();
        let filename = field.file_name().map(str::to_owned);
        match filename {
            None => {
                let text = field.text().await.map_err(|_| AppError::BadRequest)?;
                pairs.push((name, text));
            }
            Some(fname) => {
                let path = name.strip_prefix("f.").unwrap_or("").replace('.', "/");
                let Some(max) = limit(&path) else {
                    continue;
                };
                if fname.is_empty() {
                    continue; // no file chosen
                }
                let declared = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                let mut data = Vec::new();
                let mut too_large = false;
                while let Some(chunk) = field.chunk().await.map_err(|_| AppError::BadRequest)? {
                    if (data.len() + chunk.len()) as u64 > max {
                        too_large = true;
                        break;
                    }
                    data.extend_from_slice(&chunk);
                }
                uploads.push(Upload {
                    path,
                    filename: flow::clean_filename(&fname),
                    declared,
                    data,
                    too_large,
                });
            }
        }
    }
    Ok((pairs, uploads))
}

pub(crate) fn upload_error(
    l: Lang,
    label: &str,
    path: &str,
    p: &flow::UploadProblem,
) -> FieldError {
    let (ja, en) = match p {
        flow::UploadProblem::TooLarge { max_bytes } => {
            let mb = flow::mb_label(*max_bytes);
            (
                format!(
                    "ファイルの大きさは{mb}までです。{label}には{mb}以下のファイルを選んでください。"
                ),
                format!("Files can be up to {mb}. Choose a file of {mb} or less for {label}."),
            )
        }
        flow::UploadProblem::Empty => (
            format!("{label}のファイルが空です。別のファイルを選んでください。"),
            format!("The file for {label} is empty. Choose another file."),
        ),
        flow::UploadProblem::WrongType => (
            format!(
                "{label}には、指定された種類（PDF・JPEG・PNGなど）のファイルを選んでください。"
            ),
            format!("Choose a file of an accepted type (PDF, JPEG, PNG…) for {label}."),
        ),
    };
    let _ = l;
    FieldError {
        path: path.to_owned(),
        code: "file",
        message_ja: ja,
        message_en: en,
    }
}

fn field_label(page: &Page, path: &str, l: Lang) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    let Some(top) = page.fields.iter().find(|f| f.id == parts[0]) else {
        return String::new();
    };
    let f = match (&top.kind, parts.as_slice()) {
        (FieldKind::Group { fields, .. }, [_, _, inner]) => {
            fields.iter().find(|g| g.id == *inner).unwrap_or(top)
        }
        _ => top,
    };
    match l {
        Lang::Ja => f.label_ja.clone(),
        Lang::En => f.label_en.clone(),
    }
}

/// Answers of the uploaded files of a page, keyed by path, as the engine takes them.
fn file_answers(files: &[AttachmentMeta]) -> Answers {
    files
        .iter()
        .map(|a| (a.field_path.clone(), json!({ "id": a.public_id, "name": a.filename, "size": a.size_bytes, "type": a.content_type })))
        .collect()
}

/// Makes sure there is a draft to save into; an anonymous applicant gets a token cookie.
async fn ensure_draft(
    st: &AppState,
    c: &Ctx,
    jar: CookieJar,
    pc: &mut PageCtx,
) -> Result<(CookieJar, DraftRow), AppError> {
    if let Some(d) = &pc.draft {
        return Ok((jar, d.clone()));
    }
    let (jar, owner) = match &pc.owner {
        Some(o) => (jar, o.clone()),
        None => {
            let token = crate::auth::token::random_secret();
            let hash = crate::auth::token::digest(&token);
            (set_cookie(jar, pc.proc.id, token), Owner::TokenHash(hash))
        }
    };
    let now = now_ms();
    let mut tx = st.db.begin().await?;
    let id = store::create(
        &mut tx,
        NewDraft {
            municipality: &c.tenant.id,
            procedure_id: pc.proc.id,
            form_version_id: pc.version_id,
            owner: &owner,
            now,
            expires_at: flow::expiry(now),
        },
    )
    .await?;
    audit::record(
        &mut tx,
        &c.tenant.id,
        &actor(c),
        "application_draft.created",
        &format!("application_draft:{id}"),
        json!({ "procedure": pc.proc.slug }),
    )
    .await?;
    tx.commit().await?;
    pc.owner = Some(owner.clone());
    let d = store::find(&st.db, &c.tenant.id, pc.proc.id, &owner)
        .await?
        .ok_or(AppError::Internal(anyhow::anyhow!("draft vanished")))?;
    pc.draft = Some(d.clone());
    Ok((jar, d))
}

/// Saves what was typed on this page (valid or not) and stays on it: the buttons that do not
/// move on (戻る, あとで続ける, add/remove an item, remove a file, 住所を検索) all keep the input.
async fn keep_typed(
    st: &AppState,
    c: &Ctx,
    d: &DraftRow,
    version_id: i64,
    page: &Page,
    pairs: &[(String, String)],
) -> Result<(), AppError> {
    save_draft(st, c, d, version_id, page, Some(pairs), None, &page.id).await
}

/// Saves a page's state into the draft: the typed input (always), the canonical answers of
/// the page when it read without errors, and where the resident is.
#[allow(clippy::too_many_arguments)]
async fn save_draft(
    st: &AppState,
    c: &Ctx,
    d: &DraftRow,
    version_id: i64,
    page: &Page,
    pairs: Option<&[(String, String)]>,
    page_answers: Option<&Answers>,
    current: &str,
) -> Result<(), AppError> {
    let mut answers = parse_json_map(&d.answers);
    let mut raw = parse_raw(&d.raw_input);
    match pairs {
        // Keep what was typed, minus the CSRF token and the button.
        Some(p) => {
            let kept: Vec<(String, String)> = p
                .iter()
                .filter(|(k, _)| k != "csrf" && k != "action" && k != "return")
                .cloned()
                .collect();
            raw.insert(page.id.clone(), kept);
        }
        None => {
            raw.remove(&page.id);
        }
    }
    if let Some(pa) = page_answers {
        for f in &page.fields {
            answers.remove(&f.id);
        }
        for (k, v) in pa {
            answers.insert(k.clone(), v.clone());
        }
    }
    let answers_json = serde_json::Value::Object(answers).to_string();
    let raw_json = serde_json::to_string(&raw).map_err(|e| AppError::Internal(e.into()))?;
    let now = now_ms();
    let mut tx = st.db.begin().await?;
    store::save(
        &mut tx,
        d.id,
        DraftUpdate {
            form_version_id: version_id,
            answers: &answers_json,
            raw_input: &raw_json,
            current_page: Some(current),
            now,
            expires_at: flow::expiry(now),
        },
    )
    .await?;
    audit::record(
        &mut tx,
        &c.tenant.id,
        &actor(c),
        "application_draft.saved",
        &format!("application_draft:{}", d.id),
        json!({ "page": page.id, "complete": page_answers.is_some() }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn page_post(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    Path((slug, page_id)): Path<(String, String)>,
    req: Request,
) -> Result<Response, AppError> {
    let mut pc = match page_ctx(&st, &c, &jar, &slug).await? {
        Ok(pc) => pc,
        Err(r) => return Ok(r),
    };
    let def = pc.def.clone();
    let page = find_page(&def, &page_id).ok_or(AppError::NotFound)?;
    let (mut pairs, uploads) = read_body(&st, req, page).await?;
    pc.prefill.force(&mut pairs);
    let action = Action::parse(get(&pairs, "action").unwrap_or(""));
    let return_check = get(&pairs, "return") == Some("check");
    let (jar, draft) = ensure_draft(&st, &c, jar, &mut pc).await?;
    let l = c.l;

    // Files first: each is checked before anything is stored; a refused one is a field error.
    let mut upload_errors = Vec::new();
    for u in &uploads {
        let Some((accept, max)) = file_field(page, &u.path) else {
            continue;
        };
        let label = field_label(page, &u.path, l);
        let size = if u.too_large {
            max.saturating_add(1)
        } else {
            u.data.len() as u64
        };
        match flow::check_upload(accept, max, &u.declared, size, &u.data) {
            Err(p) => upload_errors.push(upload_error(l, &label, &u.path, &p)),
            Ok(real) => {
                let existing: Vec<String> =
                    store::draft_attachments(&st.db, &c.tenant.id, draft.id)
                        .await?
                        .into_iter()
                        .filter(|a| a.field_path == u.path)
                        .map(|a| a.public_id)
                        .collect();
                let public_id = crate::auth::token::random_secret();
                let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&u.data));
                let mut tx = st.db.begin().await?;
                store::delete_attachments(&mut tx, draft.id, &existing).await?;
                store::insert_attachment(
                    &mut tx,
                    NewAttachment {
                        municipality: &c.tenant.id,
                        public_id: &public_id,
                        draft_id: Some(draft.id),
                        application_id: None,
                        owner_user_id: c.user.as_ref().filter(|_| c.is_resident()).map(|u| u.id),
                        field_path: &u.path,
                        filename: &u.filename,
                        content_type: real,
                        sha256: &sha,
                        data: &u.data,
                        now: now_ms(),
                    },
                )
                .await?;
                audit::record(
                    &mut tx,
                    &c.tenant.id,
                    &actor(&c),
                    "attachment.uploaded",
                    &format!("application_draft:{}", draft.id),
                    json!({ "field": u.path, "size": u.data.len(), "type": real, "sha256": sha }),
                )
                .await?;
                tx.commit().await?;
            }
        }
    }
    let mut files = store::draft_attachments(&st.db, &c.tenant.id, draft.id).await?;
    let here = apply_url(&slug, &page.id);
    let here_q = if return_check {
        format!("{here}?return=check")
    } else {
        here.clone()
    };
    let answers = parse_json_map(&draft.answers);

    match action {
        Action::Back | Action::Later => {
            keep_typed(&st, &c, &draft, pc.version_id, page, &pairs).await?;
            let to = if action == Action::Later {
                apply_url(&slug, "later")
            } else if return_check {
                apply_url(&slug, "check")
            } else {
                match engine::prev_page(&def, &page.id, &answers) {
                    Some(p) => apply_url(&slug, &p.id),
                    None => apply_url(&slug, ""),
                }
            };
            return Ok((jar, Redirect::to(&to)).into_response());
        }
        Action::Add(ref g) | Action::Remove(ref g, _) => {
            if let Some(FieldKind::Group {
                min_items,
                max_items,
                ..
            }) = page.fields.iter().find(|f| f.id == *g).map(|f| &f.kind)
            {
                let n = flow::item_count(&pairs, g, *min_items, *max_items);
                let (pairs2, n2, anchor) = match &action {
                    Action::Remove(_, i) if *i < n && n > (*min_items as usize).max(1) => {
                        // The removed item's files go with it; later items' files move up.
                        let prefix = format!("{g}/{i}/");
                        let gone: Vec<String> = files
                            .iter()
                            .filter(|a| a.field_path.starts_with(&prefix))
                            .map(|a| a.public_id.clone())
                            .collect();
                        if !gone.is_empty() {
                            let mut tx = st.db.begin().await?;
                            store::delete_attachments(&mut tx, draft.id, &gone).await?;
                            audit::record(
                                &mut tx,
                                &c.tenant.id,
                                &actor(&c),
                                "attachment.deleted",
                                &format!("application_draft:{}", draft.id),
                                json!({ "count": gone.len() }),
                            )
                            .await?;
                            tx.commit().await?;
                        }
                        (
                            flow::remove_item(&pairs, g, *i),
                            n - 1,
                            format!("#{}", flow::input_id(g)),
                        )
                    }
                    Action::Add(_) if n < *max_items as usize => (
                        pairs.clone(),
                        n + 1,
                        format!("#{}", flow::input_id(&format!("{g}/{n}"))),
                    ),
                    _ => (pairs.clone(), n, String::new()),
                };
                pairs = pairs2;
                flow::set_count(&mut pairs, g, n2);
                let _ = anchor;
            }
            keep_typed(&st, &c, &draft, pc.version_id, page, &pairs).await?;
            return Ok((jar, Redirect::to(&here_q)).into_response());
        }
        Action::RemoveFile(ref path) => {
            let gone: Vec<String> = files
                .iter()
                .filter(|a| a.field_path == *path)
                .map(|a| a.public_id.clone())
                .collect();
            if !gone.is_empty() {
                let mut tx = st.db.begin().await?;
                store::delete_attachments(&mut tx, draft.id, &gone).await?;
                audit::record(
                    &mut tx,
                    &c.tenant.id,
                    &actor(&c),
                    "attachment.deleted",
                    &format!("application_draft:{}", draft.id),
                    json!({ "field": path }),
                )
                .await?;
                tx.commit().await?;
            }
            keep_typed(&st, &c, &draft, pc.version_id, page, &pairs).await?;
            return Ok((jar, Redirect::to(&here_q)).into_response());
        }
        Action::Postal(ref prefix) => {
            let code = get(&pairs, &format!("{prefix}.postal_code"))
                .unwrap_or("")
                .to_owned();
            let found = postal_address(&st, &code).await?;
            let mut to = here_q.clone();
            match found {
                Some(addr) => {
                    let name = format!("{prefix}.address");
                    pairs.retain(|(k, _)| *k != name);
                    pairs.push((name, addr));
                }
                None => {
                    to = format!(
                        "{here}?note=postal_missing{}",
                        if return_check { "&return=check" } else { "" }
                    );
                }
            }
            keep_typed(&st, &c, &draft, pc.version_id, page, &pairs).await?;
            return Ok((jar, Redirect::to(&to)).into_response());
        }
        Action::Next => {}
    }

    let pi = engine::read_page(
        &def,
        &page.id,
        &answers,
        &pairs,
        &file_answers(&files),
        today_jst(),
    );
    let mut errors = upload_errors;
    errors.extend(pi.errors);
    if !errors.is_empty() {
        keep_typed(&st, &c, &draft, pc.version_id, page, &pairs).await?;
        files = store::draft_attachments(&st.db, &c.tenant.id, draft.id).await?;
        let fp = draw(
            c,
            &slug,
            &pc,
            page,
            Draw {
                pairs: &pairs,
                answers: &answers,
                errors: &errors,
                files: &files,
                return_check,
                changed: false,
                note: None,
            },
        )?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, jar, render(&fp)?).into_response());
    }
    let mut merged = answers.clone();
    for f in &page.fields {
        merged.remove(&f.id);
    }
    merged.extend(pi.answers.clone());
    let next = engine::next_page(&def, Some(&page.id), &merged);
    let to = match (return_check, next) {
        (false, Some(p)) => apply_url(&slug, &p.id),
        _ => apply_url(&slug, "check"),
    };
    let current = next.map(|p| p.id.as_str()).unwrap_or("check");
    save_draft(
        &st,
        &c,
        &draft,
        pc.version_id,
        page,
        None,
        Some(&pi.answers),
        current,
    )
    .await?;
    Ok((jar, Redirect::to(&to)).into_response())
}

/// The address a postal code fills in (prefecture, city and town), if the code is known.
async fn postal_address(st: &AppState, code: &str) -> Result<Option<String>, AppError> {
    let Ok(pc) = crate::procedures::jp::PostalCode::parse(code) else {
        return Ok(None);
    };
    let found = crate::postal::lookup(&st.db, &pc).await?;
    // Several towns can share a code: fill only what they have in common (the resident types the rest).
    let Some(first) = found.first() else {
        return Ok(None);
    };
    let same_town = found.iter().all(|a| a.town == first.town);
    let town = if same_town { first.town.as_str() } else { "" };
    Ok(Some(format!("{}{}{}", first.prefecture, first.city, town)))
}

// ---- check-field and autosave (form.js) ----------------------------------------------------

/// `form.js` posts the page here on blur: the same `read_page`, so the same rules and the
/// same messages as the server gives on 「次へ進む」. Nothing is stored.
async fn check_field(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    Path((slug, page_id)): Path<(String, String)>,
    req: Request,
) -> Result<Response, AppError> {
    let pc = match page_ctx(&st, &c, &jar, &slug).await? {
        Ok(pc) => pc,
        Err(_) => return Ok(StatusCode::FORBIDDEN.into_response()),
    };
    let page = find_page(&pc.def, &page_id).ok_or(AppError::NotFound)?;
    let axum::Form(mut pairs) = axum::Form::<Vec<(String, String)>>::from_request(req, &st)
        .await
        .map_err(|_| AppError::BadRequest)?;
    pc.prefill.force(&mut pairs);
    let (answers, files) = match &pc.draft {
        Some(d) => (
            parse_json_map(&d.answers),
            store::draft_attachments(&st.db, &c.tenant.id, d.id).await?,
        ),
        None => (Answers::new(), Vec::new()),
    };
    let pi = engine::read_page(
        &pc.def,
        &page.id,
        &answers,
        &pairs,
        &file_answers(&files),
        today_jst(),
    );
    let views = view::fields(
        page,
        &Input {
            pairs: &pairs,
            answers: &answers,
            errors: &pi.errors,
            files: &files,
            l: c.l,
        },
    );
    let errors: Vec<serde_json::Value> = view::summary_links(&views, &pi.errors, c.l)
        .into_iter()
        .zip(pi.errors.iter())
        .map(|((id, message), e)| json!({ "path": e.path, "id": id, "message": message }))
        .collect();
    let hidden: Vec<&str> = views
        .iter()
        .filter(|v| v.hidden)
        .map(|v| v.path.as_str())
        .collect();
    Ok(Json(json!({ "errors": errors, "hidden": hidden })).into_response())
}

/// Autosave for signed-in residents: what is typed is kept in the draft, valid or not.
async fn autosave(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    Path((slug, page_id)): Path<(String, String)>,
    req: Request,
) -> Result<Response, AppError> {
    if !c.is_resident() {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    let mut pc = match page_ctx(&st, &c, &jar, &slug).await? {
        Ok(pc) => pc,
        Err(_) => return Ok(StatusCode::FORBIDDEN.into_response()),
    };
    let def = pc.def.clone();
    let page = find_page(&def, &page_id).ok_or(AppError::NotFound)?;
    let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(req, &st)
        .await
        .map_err(|_| AppError::BadRequest)?;
    let (_, draft) = ensure_draft(&st, &c, jar, &mut pc).await?;
    keep_typed(&st, &c, &draft, pc.version_id, page, &pairs).await?;
    Ok(Json(json!({ "saved": true, "message": c.l.t("runner.autosaved") })).into_response())
}

// ---- check your answers ---------------------------------------------------------------------

fn display(field: &crate::procedures::form::def::Field, v: &serde_json::Value, l: Lang) -> String {
    engine::display_value(field, v, l)
}

fn sections(def: &FormDefinition, answers: &Answers, slug: &str, l: Lang) -> Vec<CheckSection> {
    let mut out = Vec::new();
    for page in engine::shown_pages(def, answers) {
        let mut rows = Vec::new();
        for f in &page.fields {
            if !engine::field_shown(f, answers) {
                continue;
            }
            let label = match l {
                Lang::Ja => f.label_ja.clone(),
                Lang::En => f.label_en.clone(),
            };
            match (&f.kind, answers.get(&f.id)) {
                (
                    FieldKind::Group {
                        fields,
                        item_label_ja,
                        item_label_en,
                        ..
                    },
                    Some(serde_json::Value::Array(items)),
                ) => {
                    let item_label = if l == Lang::Ja {
                        item_label_ja
                    } else {
                        item_label_en
                    };
                    if items.is_empty() {
                        rows.push(CheckRow {
                            label,
                            value: l.t("runner.none").to_owned(),
                        });
                    }
                    for (i, item) in items.iter().enumerate() {
                        let legend = l
                            .t("runner.item_legend")
                            .replace("{n}", &(i + 1).to_string())
                            .replace("{item}", item_label);
                        for inner in fields {
                            if let Some(v) = item.get(&inner.id) {
                                let il = if l == Lang::Ja {
                                    &inner.label_ja
                                } else {
                                    &inner.label_en
                                };
                                rows.push(CheckRow {
                                    label: format!("{legend} {il}"),
                                    value: display(inner, v, l),
                                });
                            }
                        }
                    }
                }
                (_, Some(v)) => rows.push(CheckRow {
                    label,
                    value: display(f, v, l),
                }),
                (_, None) => rows.push(CheckRow {
                    label,
                    value: l.t("runner.not_answered").to_owned(),
                }),
            }
        }
        out.push(CheckSection {
            title: page_title(page, l),
            change_url: format!("{}?return=check", apply_url(slug, &page.id)),
            rows,
        });
    }
    out
}

fn owner_scope(o: &Owner) -> String {
    match o {
        Owner::User(id) => format!("user:{id}"),
        Owner::TokenHash(h) => format!("anon:{}", &h[..h.len().min(32)]),
    }
}

/// The first page with a problem, for a draft that does not validate as a whole.
fn first_problem_page(
    def: &FormDefinition,
    answers: &Answers,
    errs: &[FieldError],
) -> Option<String> {
    engine::shown_pages(def, answers)
        .into_iter()
        .find(|p| {
            errs.iter()
                .any(|e| flow::page_of(def, &e.path).is_some_and(|q| q.id == p.id))
        })
        .or_else(|| engine::next_page(def, None, answers))
        .map(|p| p.id.clone())
}

async fn check(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let pc = match page_ctx(&st, &c, &jar, &slug).await? {
        Ok(pc) => pc,
        Err(r) => return Ok(r),
    };
    let Some(d) = &pc.draft else {
        return Ok(Redirect::to(&apply_url(&slug, &pc.def.pages[0].id)).into_response());
    };
    let answers = parse_json_map(&d.answers);
    if d.form_version_id != pc.version_id {
        return upgrade(&st, &c, &slug, &pc, d, &answers).await;
    }
    let mut answers = flow::prune(&pc.def, &answers);
    pc.prefill.apply(&mut answers);
    // Every shown page must have been answered (an unvisited page is not complete).
    if let Err(errs) = engine::validate(
        &pc.def,
        &serde_json::Value::Object(answers.clone()),
        today_jst(),
    ) {
        let to = first_problem_page(&pc.def, &answers, &errs)
            .unwrap_or_else(|| pc.def.pages[0].id.clone());
        return Ok(Redirect::to(&apply_url(&slug, &to)).into_response());
    }
    let l = c.l;
    let computed = engine::compute(&pc.def, &answers)
        .into_iter()
        .map(|v| CheckRow {
            label: if l == Lang::Ja {
                v.label_ja
            } else {
                v.label_en
            },
            value: if v.yen {
                crate::payments::view::yen_label(v.value, l)
            } else {
                v.value.to_string()
            },
        })
        .collect();
    let key = flow::idempotency_key(d.id, pc.version_id, &answers);
    let shown = engine::shown_pages(&pc.def, &answers);
    let back_url = shown
        .last()
        .map(|p| apply_url(&slug, &p.id))
        .unwrap_or_else(|| apply_url(&slug, ""));
    let page = CheckPage {
        slug: slug.clone(),
        form_title: form_title(&pc.def, l),
        sections: sections(&pc.def, &answers, &slug, l),
        computed,
        key,
        back_url,
        errors: Vec::new(),
        c,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
pub struct SubmitForm {
    #[serde(default)]
    pub key: String,
}

async fn submit(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    axum::Form(f): axum::Form<SubmitForm>,
) -> Result<Response, AppError> {
    let pc = match page_ctx(&st, &c, &jar, &slug).await? {
        Ok(pc) => pc,
        Err(r) => return Ok(r),
    };
    if !pc.proc.identity().accepts_online_submission(c.card) {
        if !c.card_login {
            return notice(
                c,
                StatusCode::FORBIDDEN,
                "runner.card_not_ready",
                "runner.card_not_ready_text",
                apply_url(&slug, "check"),
            );
        }
        // The draft is kept; the card sign-in comes back to the check page.
        let next = apply_url(&slug, "check");
        let link = format!(
            "/auth/card?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("next", &next)
                .append_pair("procedure", &slug)
                .finish()
        );
        let link_label = c.l.t("identity.card_login");
        return Ok((
            StatusCode::FORBIDDEN,
            render(&NoticePage {
                c,
                title: "runner.card_not_ready",
                text: "identity.card_required",
                detail: String::new(),
                link,
                link_label,
            })?,
        )
            .into_response());
    }
    let Some(d) = pc.draft.clone() else {
        // Sent twice: the first submission deleted the draft. The key finds its receipt.
        if let Some(o) = &pc.owner
            && !f.key.is_empty()
            && let Some(receipt) =
                store::receipt_for_key(&st.db, &c.tenant.id, &owner_scope(o), &f.key).await?
        {
            return Ok(Redirect::to(&apply_url(&slug, &format!("done/{receipt}"))).into_response());
        }
        return Ok(Redirect::to(&apply_url(&slug, "")).into_response());
    };
    let mut answers = flow::prune(&pc.def, &parse_json_map(&d.answers));
    if d.form_version_id != pc.version_id {
        return upgrade(&st, &c, &slug, &pc, &d, &answers).await;
    }
    // A draft typed before the card sign-in: the verified facts win here too.
    pc.prefill.apply(&mut answers);
    let valid = match engine::validate(
        &pc.def,
        &serde_json::Value::Object(answers.clone()),
        today_jst(),
    ) {
        Ok(v) => v,
        Err(errs) => {
            let to = first_problem_page(&pc.def, &answers, &errs)
                .unwrap_or_else(|| pc.def.pages[0].id.clone());
            return Ok(Redirect::to(&apply_url(&slug, &to)).into_response());
        }
    };
    let computed: Vec<(String, i64)> = engine::compute(&pc.def, &valid)
        .into_iter()
        .map(|v| (v.id, v.value))
        .collect();
    let key = flow::idempotency_key(d.id, pc.version_id, &answers);
    let scope = pc.owner.as_ref().map(owner_scope).unwrap_or_default();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let base = st.base_url_for(host);
    let res = super::submit::submit(
        &st,
        &c,
        &pc.def,
        super::submit::Request {
            procedure_id: pc.proc.id,
            form_version_id: pc.version_id,
            answers: valid,
            computed,
            draft: &d,
            scope,
            key,
            base_url: &base,
        },
    )
    .await?;
    match res {
        Ok(receipt) => Ok(
            Redirect::to(&apply_url(&slug, &format!("done/{}", receipt.compact()))).into_response(),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "submission refused");
            let detail = match c.l {
                Lang::Ja => e.message_ja(),
                Lang::En => e.message_en(),
            };
            let link = apply_url(&slug, "check");
            let link_label = c.l.t("runner.to_check");
            let page = NoticePage {
                c,
                title: "runner.submit_failed",
                text: "runner.submit_failed_text",
                detail,
                link,
                link_label,
            };
            Ok((StatusCode::CONFLICT, render(&page)?).into_response())
        }
    }
}

async fn done(
    State(st): State<AppState>,
    c: Ctx,
    Path((slug, receipt)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let proc = load_proc(&st, &c, &slug).await?;
    let r = crate::procedures::receipt::ReceiptNumber::parse(&receipt)
        .map_err(|_| AppError::NotFound)?;
    let Some(app) = store::application_by_receipt(&st.db, &c.tenant.id, &r.compact()).await? else {
        return Err(AppError::NotFound);
    };
    if app.procedure_id != proc.id {
        return Err(AppError::NotFound);
    }
    // The full address only to its own account; others see it masked.
    let mine = c
        .user
        .as_ref()
        .is_some_and(|u| Some(u.id) == app.applicant_user_id);
    let email = match (mine, c.user.as_ref(), app.applicant_email.as_deref()) {
        (true, Some(u), _) => u.email.clone(),
        (_, _, Some(e)) => mask_email(e),
        _ => String::new(),
    };
    let title = match published(&st, &c, &proc).await? {
        Some((_, def)) => form_title(&def, c.l),
        None => View::new(c.l, &proc).name,
    };
    // The payment step after submission: an unpaid fee is offered right here.
    let pay = match crate::payments::service::fee_status(&st.db, app.id).await? {
        Some(s) if mine && c.is_resident() && !s.paid => {
            Some(crate::payments::view::yen_label(s.fee.amount_yen, c.l))
        }
        _ => None,
    };
    let page = DonePage {
        form_title: title,
        receipt: r.to_string(),
        receipt_compact: r.compact(),
        email,
        pay,
        c,
    };
    Ok(render(&page)?.into_response())
}

/// `hanako@example.jp` → `h*****@example.jp`.
pub fn mask_email(e: &str) -> String {
    match e.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!(
                "{first}{}@{domain}",
                "*".repeat(local.chars().count().saturating_sub(1).max(3))
            )
        }
        None => String::new(),
    }
}

// ---- save for later, resume -------------------------------------------------------------------

async fn later_form(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let pc = match page_ctx(&st, &c, &jar, &slug).await? {
        Ok(pc) => pc,
        Err(r) => return Ok(r),
    };
    let email = pc
        .draft
        .as_ref()
        .and_then(|d| d.email.clone())
        .unwrap_or_default();
    let page = LaterPage {
        slug,
        form_title: form_title(&pc.def, c.l),
        email,
        error: String::new(),
        sent_to: None,
        signed_in: c.is_resident(),
        c,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
pub struct LaterForm {
    #[serde(default)]
    pub email: String,
}

async fn later_send(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    headers: HeaderMap,
    Path(slug): Path<String>,
    axum::Form(f): axum::Form<LaterForm>,
) -> Result<Response, AppError> {
    let mut pc = match page_ctx(&st, &c, &jar, &slug).await? {
        Ok(pc) => pc,
        Err(r) => return Ok(r),
    };
    let title = form_title(&pc.def, c.l);
    if c.is_resident() {
        return Ok(Redirect::to(&apply_url(&slug, "later")).into_response());
    }
    let Some(email) = crate::auth::normalize_email(&f.email) else {
        let page = LaterPage {
            slug,
            form_title: title,
            email: f.email,
            error: c.l.t("runner.later_email_invalid").to_owned(),
            sent_to: None,
            signed_in: false,
            c,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    };
    let (jar, d) = ensure_draft(&st, &c, jar, &mut pc).await?;
    // A fresh token: the link works on any device; the old cookie token stops working.
    let token = crate::auth::token::random_secret();
    let hash = crate::auth::token::digest(&token);
    let link = format!(
        "{}{}",
        st.base_url_for(
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("")
        ),
        apply_url(&slug, &format!("resume/{token}"))
    );
    let l = c.l;
    let subject = format!(
        "【{}】{}",
        c.tenant_name(),
        l.t("runner.mail_resume_subject").replace("{form}", &title)
    );
    let body = format!(
        "{}\n\n{link}\n\n{}\n\n--\n{}\n{}",
        l.t("runner.mail_resume_body").replace("{form}", &title),
        l.t("runner.mail_resume_expiry"),
        c.tenant_name(),
        l.t("mail.footer")
    );
    let mut tx = st.db.begin().await?;
    store::set_token(&mut tx, d.id, &hash, &email).await?;
    mail::enqueue(&mut tx, &c.tenant.id, &email, &subject, &body).await?;
    audit::record(
        &mut tx,
        &c.tenant.id,
        &Actor::Anonymous,
        "application_draft.resume_link_sent",
        &format!("application_draft:{}", d.id),
        json!({ "ip": c.ip }),
    )
    .await?;
    tx.commit().await?;
    st.mail_notify.notify_one();
    let jar = set_cookie(jar, pc.proc.id, token);
    let page = LaterPage {
        slug,
        form_title: title,
        email: String::new(),
        error: String::new(),
        sent_to: Some(email),
        signed_in: false,
        c,
    };
    Ok((jar, render(&page)?).into_response())
}

async fn resume(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    Path((slug, token)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let proc = load_proc(&st, &c, &slug).await?;
    let hash = crate::auth::token::digest(&token);
    let found = store::find_by_token(&st.db, &c.tenant.id, &hash)
        .await?
        .filter(|d| d.procedure_id == proc.id);
    let Some(d) = found else {
        return notice(
            c,
            StatusCode::NOT_FOUND,
            "runner.resume_bad_title",
            "runner.resume_bad_text",
            apply_url(&slug, ""),
        );
    };
    if d.expires_at <= now_ms() {
        let mut tx = st.db.begin().await?;
        store::delete(&mut tx, d.id).await?;
        audit::record(
            &mut tx,
            &c.tenant.id,
            &Actor::System,
            "application_draft.expired",
            &format!("application_draft:{}", d.id),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        return notice(
            c,
            StatusCode::GONE,
            "runner.resume_expired_title",
            "runner.resume_expired_text",
            apply_url(&slug, ""),
        );
    }
    let to = match d.current_page.as_deref() {
        Some(p) => apply_url(&slug, p),
        None => apply_url(&slug, ""),
    };
    let jar = set_cookie(jar, proc.id, token);
    Ok((jar, Redirect::to(&to)).into_response())
}

/// Deletes expired drafts (and their files) of a municipality; returns how many went (at most
/// 500 a run). Run by [`run_cleanup`]; safe to run any time (docs/applying.md).
pub async fn clean_expired(db: &crate::db::Db, municipality: &str) -> Result<usize, sqlx::Error> {
    let ids = store::expired_ids(db, municipality, now_ms(), 500).await?;
    for id in &ids {
        let mut tx = db.begin().await?;
        store::delete(&mut tx, *id).await?;
        audit::record(
            &mut tx,
            municipality,
            &Actor::System,
            "application_draft.expired",
            &format!("application_draft:{id}"),
            json!({}),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(ids.len())
}

/// Deletes expired drafts of every municipality at start-up and then hourly, until shutdown.
pub async fn run_cleanup(db: crate::db::Db, signal: crate::mail::tokio_util_shutdown::Signal) {
    loop {
        match crate::auth::store::list_municipalities(&db).await {
            Ok(list) => {
                for m in list {
                    match clean_expired(&db, &m.id).await {
                        Ok(0) => {}
                        Ok(n) => {
                            tracing::info!(municipality = %m.id, drafts = n, "expired drafts deleted")
                        }
                        Err(e) => {
                            tracing::warn!(municipality = %m.id, error = %e, "draft clean-up failed")
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "draft clean-up: no municipalities"),
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
            _ = signal.wait() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_addresses() {
        assert_eq!(mask_email("hanako@example.jp"), "h*****@example.jp");
        assert_eq!(mask_email("a@b.jp"), "a***@b.jp");
        assert_eq!(mask_email("nonsense"), "");
    }
}
