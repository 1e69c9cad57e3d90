//! Staff pages (plan 3-x starts here): staff login, staff home, and for admins the staff and
//! department lists with forms to add both. Each change is audited.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::ctx::Ctx;
use super::error::AppError;
use super::forms::{self, Errors};
use super::pages::{LoginForm, LoginQuery, do_login, login_page, render};
use crate::audit::{self, Actor};
use crate::auth::store::{self, CreateError, DepartmentRow, NewUser, UserRow};
use crate::auth::{Kind, Role, password};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/staff/login",
            get(staff_login_form).post(staff_login_submit),
        )
        .route("/staff", get(staff_home))
        .route("/staff/users", post(add_staff))
        .route("/staff/departments", post(add_department))
}

async fn staff_login_form(c: Ctx, Query(q): Query<LoginQuery>) -> Result<Response, AppError> {
    if c.is_staff() {
        return Ok(Redirect::to("/staff").into_response());
    }
    login_page(c, true, &q)
}

async fn staff_login_submit(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    do_login(&st, c, jar, Kind::Staff, f).await
}

pub struct StaffLine {
    pub name: String,
    pub email: String,
    pub department: String,
    pub role: &'static str,
}

#[derive(Template)]
#[template(path = "staff_home.html")]
pub struct StaffHome {
    pub c: Ctx,
    pub me_department: String,
    pub me_role: &'static str,
    pub staff: Vec<StaffLine>,
    pub departments: Vec<DepartmentRow>,
    pub roles: Vec<(&'static str, &'static str)>,
    pub form: AddStaffForm,
    pub errs: Errors,
    pub dept_form: AddDepartmentForm,
    pub dept_errs: Errors,
    pub notice: Option<&'static str>,
    pub passkeys: Vec<super::passkeys::PasskeyView>,
    /// The module pages this staff member may use: (path, message key of the title).
    pub modules: Vec<(&'static str, &'static str)>,
}

impl StaffHome {
    /// Least privilege: a fresh form preselects 課の職員, never 管理者.
    pub fn role_selected(&self, code: &str) -> bool {
        if self.form.role.is_empty() {
            code == Role::DepartmentStaff.as_str()
        } else {
            self.form.role == code
        }
    }
}

/// Resolves the signed-in staff member or sends the visitor to the staff login.
pub(crate) fn require_staff(c: &Ctx) -> Result<UserRow, Redirect> {
    match &c.user {
        Some(u) if u.kind == "staff" => Ok(u.clone()),
        _ => {
            let to = if c.session_expired {
                "/staff/login?expired=1"
            } else {
                "/staff/login?needed=1"
            };
            Err(Redirect::to(to))
        }
    }
}

/// A module's staff pages: administrators and the staff of the module's configured
/// departments (never DX推進員). Not signed in as staff: the staff login (the inner `Err`);
/// anyone else: 404, as for a page that does not exist.
pub(crate) async fn require_department_staff(
    st: &AppState,
    c: &Ctx,
    departments: &[String],
) -> Result<Result<UserRow, Response>, AppError> {
    let me = match require_staff(c) {
        Ok(u) => u,
        Err(r) => return Ok(Err(r.into_response())),
    };
    // An administrator needs no department (and no lookup); everyone else is judged by theirs.
    let dept = match me.department_id {
        Some(d) if !me.is_admin() => store::get_department(&st.db, d).await?,
        _ => None,
    };
    if may_use_module(&me, dept.as_ref().map(|d| d.code.as_str()), departments) {
        Ok(Ok(me))
    } else {
        Err(AppError::NotFound)
    }
}

/// Whether a staff member of department `dept_code` may use a module whose staff pages are
/// for `departments` (and administrators; never DX推進員). One rule for the pages' guard
/// ([`require_department_staff`]) and the links of the staff home.
pub(crate) fn may_use_module(
    me: &UserRow,
    dept_code: Option<&str>,
    departments: &[String],
) -> bool {
    if me.is_admin() {
        return true;
    }
    if me.role() == Some(Role::DxPromoter) {
        return false;
    }
    dept_code.is_some_and(|c| departments.iter().any(|d| d == c))
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    pub done: Option<String>,
}

async fn staff_home(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let me = match require_staff(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let notice = match q.done.as_deref() {
        Some("staff") => Some("staff.added"),
        Some("department") => Some("staff.department_added"),
        other => super::passkeys::notice(other),
    };
    let page = build_home(
        &st,
        c,
        &me,
        AddStaffForm::default(),
        Errors::default(),
        AddDepartmentForm::default(),
        Errors::default(),
        notice,
    )
    .await?;
    Ok(render(&page)?.into_response())
}

#[allow(clippy::too_many_arguments)]
async fn build_home(
    st: &AppState,
    c: Ctx,
    me: &UserRow,
    form: AddStaffForm,
    errs: Errors,
    dept_form: AddDepartmentForm,
    dept_errs: Errors,
    notice: Option<&'static str>,
) -> Result<StaffHome, AppError> {
    let departments = store::list_departments(&st.db, &c.tenant.id).await?;
    let dept_name = |id: Option<i64>| -> String {
        let d = id.and_then(|id| departments.iter().find(|d| d.id == id));
        match d {
            Some(d) if c.l == super::i18n::Lang::Ja => d.name_ja.clone(),
            Some(d) => d.name_en.clone(),
            None => c.l.t("staff.no_department").to_owned(),
        }
    };
    let staff = if me.is_admin() {
        store::list_staff(&st.db, &c.tenant.id)
            .await?
            .into_iter()
            .map(|u| StaffLine {
                department: dept_name(u.department_id),
                role: u.role().map(|r| r.label(c.l)).unwrap_or(""),
                name: u.name,
                email: u.email,
            })
            .collect()
    } else {
        Vec::new()
    };
    let me_code = me
        .department_id
        .and_then(|id| departments.iter().find(|d| d.id == id))
        .map(|d| d.code.as_str());
    let cfg = &st.cfg;
    let modules = [
        ("/staff/debit", "debit.staff_title", &cfg.debit.departments),
        (
            "/staff/facilities",
            "fac.staff_title",
            &cfg.facilities.departments,
        ),
        (
            "/staff/roads",
            "roadstaff.list_title",
            &cfg.roads_map.edit_departments,
        ),
    ]
    .into_iter()
    .filter(|(_, _, depts)| may_use_module(me, me_code, depts))
    .map(|(path, key, _)| (path, key))
    .collect();
    let me_department = dept_name(me.department_id);
    let me_role = me.role().map(|r| r.label(c.l)).unwrap_or("");
    let roles = Role::ALL
        .iter()
        .map(|r| (r.as_str(), r.label(c.l)))
        .collect();
    let passkeys = super::passkeys::views(st, &c, me.id).await?;
    Ok(StaffHome {
        c,
        me_department,
        me_role,
        staff,
        departments,
        roles,
        form,
        errs,
        dept_form,
        dept_errs,
        notice,
        passkeys,
        modules,
    })
}

#[derive(Deserialize, Default, Clone)]
pub struct AddStaffForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_confirm: String,
}

async fn add_staff(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<AddStaffForm>,
) -> Result<Response, AppError> {
    let me = match require_staff(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    if !me.is_admin() {
        return Err(AppError::Forbidden);
    }
    let mut errs = Errors::default();
    let (name, email) = forms::name_and_email(&mut errs, &f.name, &f.email);
    let role = Role::parse(&f.role);
    if role.is_none() {
        errs.add("role", "v.role_invalid");
    }
    let mut tx = st.db.begin().await?;
    let dept = store::find_department(&mut tx, &c.tenant.id, &f.department).await?;
    if dept.is_none() {
        errs.add("department", "v.department_invalid");
    }
    forms::new_password(
        &mut errs,
        &f.password,
        &f.password_confirm,
        email.as_deref().unwrap_or(""),
    );
    let (Some(email), Some(role), Some(dept)) = (email, role, dept) else {
        drop(tx);
        return invalid_staff(&st, c, &me, f, errs).await;
    };
    if !errs.is_empty() {
        drop(tx);
        return invalid_staff(&st, c, &me, f, errs).await;
    }
    let hash = password::hash(f.password.clone()).await?;
    let new = NewUser {
        municipality: &c.tenant.id,
        kind: Kind::Staff,
        email: &email,
        name: &name,
        password_hash: &hash,
        verified: true,
        department_id: Some(dept.id),
        role: Some(role),
    };
    let id = match store::create_user(&mut tx, new).await {
        Ok(id) => id,
        Err(CreateError::EmailTaken) => {
            drop(tx);
            errs.add("email", "v.email_taken");
            return invalid_staff(&st, c, &me, f, errs).await;
        }
        Err(CreateError::Db(e)) => return Err(e.into()),
    };
    audit::record(
        &mut tx,
        &c.tenant.id,
        &Actor::User(me.id),
        "staff.created",
        &format!("user:{id}"),
        json!({ "department": dept.code, "role": role.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/staff?done=staff").into_response())
}

async fn invalid_staff(
    st: &AppState,
    c: Ctx,
    me: &UserRow,
    mut f: AddStaffForm,
    errs: Errors,
) -> Result<Response, AppError> {
    f.password.clear();
    f.password_confirm.clear();
    let page = build_home(
        st,
        c,
        me,
        f,
        errs,
        AddDepartmentForm::default(),
        Errors::default(),
        Some("form.errors_title"),
    )
    .await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

#[derive(Deserialize, Default, Clone)]
pub struct AddDepartmentForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name_ja: String,
    #[serde(default)]
    pub name_en: String,
}

pub fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 32
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

async fn add_department(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<AddDepartmentForm>,
) -> Result<Response, AppError> {
    let me = match require_staff(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    if !me.is_admin() {
        return Err(AppError::Forbidden);
    }
    let mut errs = Errors::default();
    let code = f.code.trim().to_owned();
    if !valid_code(&code) {
        errs.add("code", "v.code_invalid");
    }
    let name_ja = forms::required_text(
        &mut errs,
        "name_ja",
        &f.name_ja,
        100,
        "v.text_required",
        "v.name_long",
    );
    let name_en = forms::required_text(
        &mut errs,
        "name_en",
        &f.name_en,
        100,
        "v.text_required",
        "v.name_long",
    );
    if errs.is_empty() {
        let mut tx = st.db.begin().await?;
        match store::create_department(&mut tx, &c.tenant.id, &code, &name_ja, &name_en).await {
            Ok(id) => {
                audit::record(
                    &mut tx,
                    &c.tenant.id,
                    &Actor::User(me.id),
                    "department.created",
                    &format!("department:{id}"),
                    json!({ "code": code }),
                )
                .await?;
                tx.commit().await?;
                return Ok(Redirect::to("/staff?done=department").into_response());
            }
            Err(CreateError::EmailTaken) => errs.add("code", "v.code_taken"),
            Err(CreateError::Db(e)) => return Err(e.into()),
        }
    }
    let page = build_home(
        &st,
        c,
        &me,
        AddStaffForm::default(),
        Errors::default(),
        f,
        errs,
        Some("form.errors_title"),
    )
    .await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}
