//! Staff pages of the form editor: `/staff/forms` (the list) and `/staff/forms/{slug}` (the
//! editor, its actions, export and import). Every action is a plain form POST that saves and
//! redirects back (no JavaScript needed); `static/js/editor.js` sends the same POSTs in the
//! background and swaps the editor in place.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::edit::{self, Dir, FieldEdit};
use super::engine;
use super::file::{self, FormFile, MunicipalityRef, ProcedureRef};
use super::versions::{self, FormState, Imported, Source, VersionError};
use super::{diff, preview, view};
use crate::audit::Actor;
use crate::auth::Role;
use crate::auth::store::UserRow;
use crate::procedures::form::FormDefinition;
use crate::procedures::form::store::{self as fstore, FormVersionRow};
use crate::procedures::store::{self as pstore, Filter, ProcedureRow};
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::render;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/forms", get(list))
        .route("/staff/forms/{slug}", get(editor))
        .route("/staff/forms/{slug}/draft", post(create_draft))
        .route("/staff/forms/{slug}/edit", post(edit_action))
        .route("/staff/forms/{slug}/publish", post(publish))
        .route("/staff/forms/{slug}/discard", post(discard))
        .route("/staff/forms/{slug}/online", post(online))
        .route("/staff/forms/{slug}/export", get(export))
        .route("/staff/forms/{slug}/import", post(import))
}

/// What the signed-in person may do with a procedure's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Edit,
    View,
}

/// Admins edit every form; staff of the procedure's department (except DX推進員) edit its
/// form; DX推進員 view every form; anyone else is refused.
pub fn access(user: &UserRow, procedure: &ProcedureRow) -> Option<Access> {
    if user.kind != "staff" || user.disabled_at.is_some() {
        return None;
    }
    match user.role() {
        Some(Role::Admin) => Some(Access::Edit),
        Some(Role::DxPromoter) => Some(Access::View),
        Some(Role::DepartmentStaff | Role::Reviewer)
            if user.department_id.is_some() && user.department_id == procedure.department_id =>
        {
            Some(Access::Edit)
        }
        _ => None,
    }
}

/// The signed-in staff member, or a redirect to the staff login (anonymous) / 403 (residents).
// The error is the handler's finished answer, returned at once; boxing it gains nothing.
#[allow(clippy::result_large_err)]
fn staff(c: &Ctx) -> Result<UserRow, Response> {
    match &c.user {
        Some(u) if u.kind == "staff" => Ok(u.clone()),
        Some(_) => Err(AppError::Forbidden.into_response()),
        None => Err(Redirect::to(if c.session_expired {
            "/staff/login?expired=1"
        } else {
            "/staff/login?needed=1"
        })
        .into_response()),
    }
}

async fn load(
    st: &AppState,
    c: &Ctx,
    slug: &str,
    need: Access,
) -> Result<(UserRow, ProcedureRow, Access), Response> {
    let me = staff(c)?;
    let p = pstore::find_by_slug(&st.db, &c.tenant.id, slug)
        .await
        .map_err(|e| AppError::from(e).into_response())?
        .ok_or_else(|| AppError::NotFound.into_response())?;
    let a = access(&me, &p).ok_or_else(|| AppError::Forbidden.into_response())?;
    if need == Access::Edit && a != Access::Edit {
        return Err(AppError::Forbidden.into_response());
    }
    Ok((me, p, a))
}

fn internal(e: impl Into<anyhow::Error>) -> Response {
    AppError::Internal(e.into()).into_response()
}

// ---------------------------------------------------------------- list

pub struct ListRow {
    pub slug: String,
    pub name: String,
    pub department: String,
    pub state_key: &'static str,
    pub state: FormState,
    pub version: String,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "editor/list.html")]
pub struct ListPage {
    pub c: Ctx,
    pub rows: Vec<ListRow>,
}

async fn list(State(st): State<AppState>, c: Ctx) -> Result<Response, Response> {
    staff(&c)?;
    let procs = pstore::list(&st.db, &c.tenant.id, &Filter::default())
        .await
        .map_err(internal)?;
    let states = fstore::current_states(&st.db, &c.tenant.id)
        .await
        .map_err(internal)?;
    let l = c.l;
    let rows = procs
        .iter()
        .map(|p| {
            let mine: Vec<_> = states.iter().filter(|s| s.procedure_id == p.id).collect();
            let published = mine.iter().find(|s| s.state == "published");
            let draft = mine.iter().find(|s| s.state == "draft");
            let state = FormState::of(published.is_some(), draft.is_some());
            let version = match (published, draft) {
                (Some(p), Some(d)) => {
                    format!(
                        "{} / {}",
                        l.t("editor.version_n")
                            .replace("{n}", &p.version.to_string()),
                        l.t("editor.vstate.draft")
                    ) + &format!(" {}", d.version)
                }
                (Some(p), None) => l
                    .t("editor.version_n")
                    .replace("{n}", &p.version.to_string()),
                (None, Some(d)) => l
                    .t("editor.version_n")
                    .replace("{n}", &d.version.to_string()),
                (None, None) => String::new(),
            };
            let updated = mine
                .iter()
                .map(|s| s.updated_at)
                .max()
                .map(|t| l.datetime(t))
                .unwrap_or_default();
            ListRow {
                slug: p.slug.clone(),
                name: if l == Lang::Ja {
                    p.name_ja.clone()
                } else {
                    p.name_en.clone()
                },
                department: match l {
                    Lang::Ja => p.department_name_ja.clone(),
                    Lang::En => p.department_name_en.clone(),
                }
                .unwrap_or_default(),
                state_key: state.key(),
                state,
                version,
                updated,
            }
        })
        .collect();
    Ok(render(&ListPage { c, rows })
        .map_err(IntoResponse::into_response)?
        .into_response())
}

// ---------------------------------------------------------------- editor page

pub struct VersionLine {
    pub version: i64,
    pub state_key: &'static str,
    pub by: String,
    pub created: String,
    pub published: String,
}

#[derive(Template)]
#[template(path = "editor/editor.html")]
pub struct EditorPage {
    pub c: Ctx,
    pub slug: String,
    pub procedure_id: i64,
    pub name: String,
    pub online: bool,
    pub can_edit: bool,
    pub state_key: &'static str,
    /// The version shown and whether it is the editable draft.
    pub shown: Option<i64>,
    pub editing: bool,
    pub has_draft: bool,
    pub has_published: bool,
    pub title_ja: String,
    pub title_en: String,
    pub intro_ja: String,
    pub pages: Vec<view::PageView>,
    pub problems: Vec<view::ProblemView>,
    pub changes: Vec<String>,
    pub preview: String,
    pub versions: Vec<VersionLine>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub notice: Option<&'static str>,
    pub errors: Vec<String>,
    pub json_mode: bool,
    pub json: String,
}

#[derive(Deserialize, Default)]
pub struct EditorQuery {
    #[serde(default)]
    pub v: Option<i64>,
    #[serde(default)]
    pub done: Option<String>,
    #[serde(default)]
    pub json: Option<String>,
}

fn notice_key(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "saved" => "editor.done.saved",
        "unchanged" => "editor.done.unchanged",
        "created" => "editor.done.created",
        "published" => "editor.done.published",
        "discarded" => "editor.done.discarded",
        "imported" => "editor.done.imported",
        "import_same" => "editor.done.import_same",
        "online" => "editor.done.online",
        _ => return None,
    })
}

struct Extra {
    notice: Option<&'static str>,
    errors: Vec<String>,
    json_mode: bool,
    json: Option<String>,
    /// An unsaved definition to show (after a refused edit the stored draft is shown).
    version: Option<i64>,
}

async fn build(
    st: &AppState,
    c: Ctx,
    p: &ProcedureRow,
    a: Access,
    extra: Extra,
) -> Result<EditorPage, Response> {
    let l = c.l;
    let m = c.tenant.id.clone();
    let all = fstore::versions(&st.db, &m, p.id).await.map_err(internal)?;
    let draft = all.iter().find(|v| v.state == "draft");
    let published = all.iter().find(|v| v.state == "published");
    let shown: Option<&FormVersionRow> = match extra.version {
        Some(n) => Some(
            all.iter()
                .find(|v| v.version == n)
                .ok_or_else(|| AppError::NotFound.into_response())?,
        ),
        None => draft.or(published),
    };
    let def: Option<FormDefinition> = shown.and_then(|r| r.parsed().ok());
    let editing = a == Access::Edit && shown.is_some_and(|s| s.state == "draft");
    let problems = match (&def, editing) {
        (Some(d), true) => view::problems(d, &engine::check(d), l),
        _ => Vec::new(),
    };
    let changes = match (&def, published, editing) {
        (Some(d), Some(pubrow), true) => pubrow
            .parsed()
            .ok()
            .map(|old| {
                diff::diff(&old, d)
                    .into_iter()
                    .map(|c| if l == Lang::Ja { c.ja } else { c.en })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut names = std::collections::HashMap::new();
    for v in &all {
        if let Some(id) = v.created_by
            && !names.contains_key(&id)
        {
            let n = crate::auth::store::find_user(&st.db, id)
                .await
                .map_err(internal)?
                .map(|u| u.name)
                .unwrap_or_default();
            names.insert(id, n);
        }
    }
    let versions = all
        .iter()
        .map(|v| VersionLine {
            version: v.version,
            state_key: match v.state.as_str() {
                "draft" => "editor.vstate.draft",
                "published" => "editor.vstate.published",
                _ => "editor.vstate.archived",
            },
            by: v
                .created_by
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_else(|| "—".into()),
            created: l.datetime(v.created_at),
            published: v.published_at.map(|t| l.datetime(t)).unwrap_or_default(),
        })
        .collect();
    let json = extra.json.unwrap_or_else(|| {
        def.as_ref()
            .and_then(|d| serde_json::to_string_pretty(d).ok())
            .unwrap_or_default()
    });
    Ok(EditorPage {
        slug: p.slug.clone(),
        procedure_id: p.id,
        name: if l == Lang::Ja {
            p.name_ja.clone()
        } else {
            p.name_en.clone()
        },
        online: p.online,
        can_edit: a == Access::Edit,
        state_key: FormState::of(published.is_some(), draft.is_some()).key(),
        shown: shown.map(|s| s.version),
        editing,
        has_draft: draft.is_some(),
        has_published: published.is_some(),
        title_ja: def.as_ref().map(|d| d.title_ja.clone()).unwrap_or_default(),
        title_en: def.as_ref().map(|d| d.title_en.clone()).unwrap_or_default(),
        intro_ja: def
            .as_ref()
            .and_then(|d| d.intro_ja.clone())
            .unwrap_or_default(),
        pages: def.as_ref().map(|d| view::pages(d, l)).unwrap_or_default(),
        problems,
        changes,
        preview: def
            .as_ref()
            .map(|d| preview::html(d, l))
            .unwrap_or_default(),
        versions,
        kinds: edit::KINDS
            .iter()
            .map(|(code, ja, en)| (*code, if l == Lang::Ja { *ja } else { *en }))
            .collect(),
        notice: extra.notice,
        errors: extra.errors,
        json_mode: extra.json_mode,
        json,
        c,
    })
}

fn page(p: EditorPage, status: StatusCode) -> Response {
    match render(&p) {
        Ok(h) => (status, h).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn editor(
    State(st): State<AppState>,
    c: Ctx,
    Path(slug): Path<String>,
    Query(q): Query<EditorQuery>,
) -> Result<Response, Response> {
    let (_, p, a) = load(&st, &c, &slug, Access::View).await?;
    let extra = Extra {
        notice: notice_key(q.done.as_deref()),
        errors: Vec::new(),
        json_mode: q.json.is_some(),
        json: None,
        version: q.v,
    };
    Ok(page(build(&st, c, &p, a, extra).await?, StatusCode::OK))
}

/// Re-renders the editor with the reasons an action was refused (422, nothing changed).
async fn refused(
    st: &AppState,
    c: Ctx,
    p: &ProcedureRow,
    errors: Vec<String>,
    json: Option<String>,
) -> Result<Response, Response> {
    let json_mode = json.is_some();
    let extra = Extra {
        notice: None,
        errors,
        json_mode,
        json,
        version: None,
    };
    Ok(page(
        build(st, c, p, Access::Edit, extra).await?,
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}

fn back(slug: &str, done: &str, anchor: &str) -> Response {
    Redirect::to(&format!("/staff/forms/{slug}?done={done}{anchor}")).into_response()
}

fn version_error(l: Lang, e: &VersionError) -> Vec<String> {
    let mut out = vec![l.t(e.key()).to_owned()];
    if let VersionError::Problems(ps) = e {
        out.extend(ps.iter().map(|p| {
            if l == Lang::Ja {
                p.message_ja.clone()
            } else {
                p.message_en.clone()
            }
        }));
    }
    out
}

// ---------------------------------------------------------------- actions

#[derive(Deserialize)]
pub struct DraftForm {
    #[serde(default)]
    pub from: String,
}

async fn create_draft(
    State(st): State<AppState>,
    c: Ctx,
    Path(slug): Path<String>,
    Form(f): Form<DraftForm>,
) -> Result<Response, Response> {
    let (me, p, _) = load(&st, &c, &slug, Access::Edit).await?;
    let source = if f.from == "empty" {
        Source::Empty
    } else {
        Source::Published
    };
    match versions::create_draft(&st.db, &Actor::User(me.id), &c.tenant.id, &p, source).await {
        Ok(_) => Ok(back(&slug, "created", "")),
        Err(VersionError::Db(e)) => Err(internal(e)),
        Err(e) => {
            let errs = version_error(c.l, &e);
            refused(&st, c, &p, errs, None).await
        }
    }
}

/// Every field the editor's small forms send; each action reads the ones it needs.
#[derive(Deserialize, Default)]
pub struct EditForm {
    pub action: String,
    #[serde(default)]
    pub page: String,
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub dir: String,
    #[serde(default)]
    pub condition: String,
    #[serde(default)]
    pub title_ja: String,
    #[serde(default)]
    pub title_en: String,
    #[serde(default)]
    pub intro_ja: String,
    #[serde(default)]
    pub json: String,
    #[serde(flatten)]
    pub f: FieldEdit,
}

async fn edit_action(
    State(st): State<AppState>,
    c: Ctx,
    Path(slug): Path<String>,
    Form(f): Form<EditForm>,
) -> Result<Response, Response> {
    let (me, p, _) = load(&st, &c, &slug, Access::Edit).await?;
    let m = c.tenant.id.clone();
    let l = c.l;
    let draft = fstore::versions(&st.db, &m, p.id)
        .await
        .map_err(internal)?
        .into_iter()
        .find(|v| v.state == "draft");
    let Some(draft) = draft else {
        return refused(
            &st,
            c,
            &p,
            vec![l.t("editor.err.no_draft").to_owned()],
            None,
        )
        .await;
    };
    let mut def = draft.parsed().map_err(internal)?;
    let mut anchor = String::new();
    let result: Result<(), edit::EditError> = match f.action.as_str() {
        "add_field" => {
            edit::add_field(&mut def, &f.page, &f.kind).map(|id| anchor = format!("#item-{id}"))
        }
        "move_field" => {
            anchor = format!("#item-{}", f.field);
            match Dir::parse(&f.dir) {
                Some(d) => edit::move_field(&mut def, &f.field, d),
                None => Err(edit::EditError {
                    key: "editor.err.action",
                    item: f.field.clone(),
                }),
            }
        }
        "delete_field" => {
            edit::delete_field(&mut def, &f.field).map(|_| anchor = format!("#page-{}", f.page))
        }
        "update_field" => {
            anchor = format!("#item-{}", f.field);
            edit::update_field(&mut def, &f.field, &f.f)
        }
        "set_condition" => {
            let target = if f.field.is_empty() {
                &f.page
            } else {
                &f.field
            };
            anchor = if f.field.is_empty() {
                format!("#page-{}", f.page)
            } else {
                format!("#item-{}", f.field)
            };
            edit::set_condition(&mut def, target, &f.condition)
        }
        "add_page" => {
            let id = edit::add_page(&mut def);
            anchor = format!("#page-{id}");
            Ok(())
        }
        "move_page" => {
            anchor = format!("#page-{}", f.page);
            match Dir::parse(&f.dir) {
                Some(d) => edit::move_page(&mut def, &f.page, d),
                None => Err(edit::EditError {
                    key: "editor.err.action",
                    item: f.page.clone(),
                }),
            }
        }
        "delete_page" => edit::delete_page(&mut def, &f.page),
        "update_page" => {
            anchor = format!("#page-{}", f.page);
            edit::update_page(&mut def, &f.page, &f.title_ja, &f.title_en, &f.intro_ja)
        }
        "update_form" => edit::update_form(&mut def, &f.title_ja, &f.title_en, &f.intro_ja),
        "save_json" => match engine::parse_structure(&f.json) {
            Ok(d) => {
                def = d;
                Ok(())
            }
            Err(ps) => {
                let mut errs = vec![l.t("editor.err.json").to_owned()];
                errs.extend(ps.into_iter().map(|p| {
                    if l == Lang::Ja {
                        p.message_ja
                    } else {
                        p.message_en
                    }
                }));
                return refused(&st, c, &p, errs, Some(f.json)).await;
            }
        },
        _ => Err(edit::EditError {
            key: "editor.err.action",
            item: String::new(),
        }),
    };
    if let Err(e) = result {
        return refused(&st, c, &p, vec![l.t(e.key).to_owned()], None).await;
    }
    match versions::save_draft(&st.db, &Actor::User(me.id), &m, p.id, &def).await {
        Ok(true) => Ok(back(&slug, "saved", &anchor)),
        Ok(false) => Ok(back(&slug, "unchanged", &anchor)),
        Err(VersionError::Db(e)) => Err(internal(e)),
        Err(e) => {
            let errs = version_error(l, &e);
            refused(&st, c, &p, errs, None).await
        }
    }
}

async fn publish(
    State(st): State<AppState>,
    c: Ctx,
    Path(slug): Path<String>,
) -> Result<Response, Response> {
    let (me, p, _) = load(&st, &c, &slug, Access::Edit).await?;
    match versions::publish(&st.db, &Actor::User(me.id), &c.tenant.id, p.id).await {
        Ok(_) => Ok(back(&slug, "published", "")),
        Err(VersionError::Db(e)) => Err(internal(e)),
        Err(e) => {
            let errs = vec![c.l.t(e.key()).to_owned()];
            refused(&st, c, &p, errs, None).await
        }
    }
}

#[derive(Deserialize)]
pub struct DiscardForm {
    #[serde(default)]
    pub confirm: Option<String>,
}

async fn discard(
    State(st): State<AppState>,
    c: Ctx,
    Path(slug): Path<String>,
    Form(f): Form<DiscardForm>,
) -> Result<Response, Response> {
    let (me, p, _) = load(&st, &c, &slug, Access::Edit).await?;
    if f.confirm.is_none() {
        let errs = vec![c.l.t("editor.err.confirm").to_owned()];
        return refused(&st, c, &p, errs, None).await;
    }
    match versions::discard(&st.db, &Actor::User(me.id), &c.tenant.id, p.id).await {
        Ok(_) => Ok(back(&slug, "discarded", "")),
        Err(VersionError::Db(e)) => Err(internal(e)),
        Err(e) => {
            let errs = version_error(c.l, &e);
            refused(&st, c, &p, errs, None).await
        }
    }
}

#[derive(Deserialize)]
pub struct OnlineForm {
    pub online: String,
}

async fn online(
    State(st): State<AppState>,
    c: Ctx,
    Path(slug): Path<String>,
    Form(f): Form<OnlineForm>,
) -> Result<Response, Response> {
    let (me, p, _) = load(&st, &c, &slug, Access::Edit).await?;
    let on = f.online == "1";
    match versions::set_online(&st.db, &Actor::User(me.id), &c.tenant.id, &p, on).await {
        Ok(()) => Ok(back(&slug, "online", "")),
        Err(VersionError::Db(e)) => Err(internal(e)),
        Err(_) => {
            let errs = vec![c.l.t("editor.err.no_published").to_owned()];
            refused(&st, c, &p, errs, None).await
        }
    }
}

// ---------------------------------------------------------------- export / import

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    #[serde(default)]
    pub v: Option<i64>,
}

/// The export file of a version (default: the published one, else the draft).
pub fn export_file(
    c_name_ja: &str,
    code: &str,
    p: &ProcedureRow,
    row: &FormVersionRow,
) -> Result<FormFile, serde_json::Error> {
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+9));
    Ok(FormFile {
        format: file::FORMAT.into(),
        procedure: ProcedureRef {
            slug: p.slug.clone(),
            name_ja: p.name_ja.clone(),
            name_en: p.name_en.clone(),
        },
        version: row.version,
        exported_at: now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        from_municipality: MunicipalityRef {
            code: code.to_owned(),
            name_ja: c_name_ja.to_owned(),
        },
        definition: row.parsed()?,
    })
}

async fn export(
    State(st): State<AppState>,
    c: Ctx,
    Path(slug): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, Response> {
    let (_, p, _) = load(&st, &c, &slug, Access::View).await?;
    let m = &c.tenant.id;
    let row = match q.v {
        Some(v) => fstore::by_version(&st.db, m, p.id, v)
            .await
            .map_err(internal)?,
        None => match fstore::published(&st.db, m, p.id).await.map_err(internal)? {
            Some(r) => Some(r),
            None => fstore::versions(&st.db, m, p.id)
                .await
                .map_err(internal)?
                .into_iter()
                .next(),
        },
    }
    .ok_or_else(|| AppError::NotFound.into_response())?;
    let f = export_file(&c.tenant.name_ja, m, &p, &row).map_err(internal)?;
    let mut r = file::to_json(&f).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    let disposition = format!(
        "attachment; filename=\"{}\"",
        file::file_name(&p.slug, row.version)
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// Import: a multipart upload (`file`) or a pasted `text`, both with the CSRF field.
async fn import(
    State(st): State<AppState>,
    c: Ctx,
    Path(slug): Path<String>,
    mut mp: Multipart,
) -> Result<Response, Response> {
    let (me, p, _) = load(&st, &c, &slug, Access::Edit).await?;
    let l = c.l;
    let mut text = String::new();
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" || name == "text" {
            let bytes = field
                .bytes()
                .await
                .map_err(|_| AppError::BadRequest.into_response())?;
            let t = String::from_utf8_lossy(&bytes).trim().to_owned();
            if !t.is_empty() {
                text = t;
            }
        }
    }
    if text.is_empty() {
        return refused(
            &st,
            c,
            &p,
            vec![l.t("editor.err.import_empty").to_owned()],
            None,
        )
        .await;
    }
    let read = match file::read(&text) {
        Ok(r) => r,
        Err(ps) => {
            let mut errs = vec![l.t("editor.err.import").to_owned()];
            errs.extend(ps.into_iter().map(|p| {
                if l == Lang::Ja {
                    p.message_ja
                } else {
                    p.message_en
                }
            }));
            return refused(&st, c, &p, errs, None).await;
        }
    };
    if let Some(s) = &read.slug
        && s != &p.slug
    {
        let errs = vec![l.t("editor.err.import_other").replace("{slug}", s)];
        return refused(&st, c, &p, errs, None).await;
    }
    match versions::import(
        &st.db,
        &Actor::User(me.id),
        &c.tenant.id,
        &p,
        &read.definition,
        false,
    )
    .await
    {
        Ok(Imported::Unchanged { .. }) => Ok(back(&slug, "import_same", "")),
        Ok(_) => Ok(back(&slug, "imported", "")),
        Err(VersionError::Db(e)) => Err(internal(e)),
        Err(e) => {
            let errs = version_error(l, &e);
            refused(&st, c, &p, errs, None).await
        }
    }
}
