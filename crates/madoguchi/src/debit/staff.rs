//! Staff pages (納税・債権管理課 and the other configured departments, and administrators):
//! search and view mandates, suspend / resume / cancel them (audited), the mandate CSV, the
//! request-file downloads and the result-file upload.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::files::{self, ExportOptions, ResultSummary, ResultsError};
use super::model::MandateStatus;
use super::routes::{MandateView, view};
use super::service::{self, DebitError};
use super::store::{self, RequestRow};
use crate::audit::Actor;
use crate::auth::store::UserRow;
use crate::procedures::application::pages::{field, form_pairs};
use crate::procedures::application::rules::{CsvEncoding, csv_bytes, csv_text};
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::pages::render;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/debit", get(overview))
        .route("/staff/debit/mandates.csv", get(mandates_csv))
        .route("/staff/debit/mandates/{id}", get(mandate))
        .route("/staff/debit/mandates/{id}/status", post(set_status))
        .route("/staff/debit/export", post(export))
        .route("/staff/debit/results", post(results))
}

/// Administrators and the staff of the configured departments (not DX推進員); anyone else
/// gets 404, as for a page that does not exist.
async fn allowed(st: &AppState, c: &Ctx) -> Result<Result<UserRow, Response>, AppError> {
    crate::web::staff::require_department_staff(st, c, &st.cfg.debit.departments).await
}

pub struct Group {
    pub bank_code: String,
    pub bank_name: String,
    pub debit_date: String,
    pub records: usize,
    pub total_yen: i64,
}

#[derive(Template)]
#[template(path = "debit/staff.html")]
struct OverviewPage {
    c: Ctx,
    q: String,
    status: String,
    mandates: Vec<MandateView>,
    groups: Vec<Group>,
    export_error: String,
    requests: Vec<RequestRow>,
    bills: Vec<(String, i64, i64)>,
}

async fn overview(
    State(st): State<AppState>,
    c: Ctx,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    if let Err(r) = allowed(&st, &c).await? {
        return Ok(r);
    }
    let pairs = form_pairs(raw.as_deref().unwrap_or("").as_bytes());
    let q = field(&pairs, "q").trim().to_owned();
    let status = field(&pairs, "status").to_owned();
    let status_filter = MandateStatus::parse(&status).map(MandateStatus::as_str);
    let rows = store::search_mandates(&st.db, &c.tenant.id, &q, status_filter, 100).await?;
    let mut mandates = Vec::new();
    for m in &rows {
        mandates.push(view(&st, m, c.l, false).await?);
    }
    let (groups, export_error) = match files::prepare(
        &st.db,
        &st.cfg.debit,
        &c.tenant.id,
        &ExportOptions::default(),
    )
    .await
    {
        Ok(p) => {
            let mut g = Vec::new();
            for f in p {
                let bank_name = store::bank(&st.db, &f.bank_code)
                    .await?
                    .map(|b| service::bank_display(&b.name))
                    .unwrap_or_default();
                g.push(Group {
                    bank_name,
                    bank_code: f.bank_code,
                    debit_date: f.debit_date,
                    records: f.records,
                    total_yen: f.total_yen,
                });
            }
            (g, String::new())
        }
        Err(files::ExportError::Db(e)) => return Err(e.into()),
        Err(e) => (Vec::new(), e.to_string()),
    };
    let requests = store::requests(&st.db, &c.tenant.id, 50).await?;
    let bills = store::bill_counts(&st.db, &c.tenant.id)
        .await?
        .into_iter()
        .map(|(status, n, yen)| {
            let key = match status.as_str() {
                "open" => "debit.bill_open",
                "requested" => "debit.waiting",
                "paid" => "debit.paid",
                _ => "debit.unpaid",
            };
            (c.l.t(key).to_owned(), n, yen)
        })
        .collect();
    Ok(render(&OverviewPage {
        c,
        q,
        status,
        mandates,
        groups,
        export_error,
        requests,
        bills,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "debit/staff_mandate.html")]
struct MandatePage {
    c: Ctx,
    m: MandateView,
    may_suspend: bool,
    may_resume: bool,
    may_cancel: bool,
    error: &'static str,
}

async fn mandate_page(
    st: &AppState,
    c: Ctx,
    id: &str,
    error: &'static str,
) -> Result<Response, AppError> {
    let m = store::mandate_by_public(&st.db, &c.tenant.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let s = MandateStatus::parse(&m.status).unwrap_or(MandateStatus::Cancelled);
    let v = view(st, &m, c.l, true).await?;
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    let page = MandatePage {
        c,
        m: v,
        may_suspend: s.staff_may(MandateStatus::Suspended),
        may_resume: s.staff_may(MandateStatus::Active),
        may_cancel: s.staff_may(MandateStatus::Cancelled),
        error,
    };
    Ok((status, render(&page)?).into_response())
}

async fn mandate(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    if let Err(r) = allowed(&st, &c).await? {
        return Ok(r);
    }
    mandate_page(&st, c, &id, "").await
}

async fn set_status(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = match allowed(&st, &c).await? {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    let f = form_pairs(&body);
    let Some(to) = MandateStatus::parse(field(&f, "to")) else {
        return Err(AppError::BadRequest);
    };
    match service::staff_set_status(
        &st.db,
        &c.tenant.id,
        &me,
        &id,
        to,
        field(&f, "reason").trim(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/staff/debit/mandates/{id}")).into_response()),
        Err(DebitError::NotFound) => Err(AppError::NotFound),
        Err(DebitError::Db(e)) => Err(e.into()),
        Err(e) => mandate_page(&st, c, &id, e.key()).await,
    }
}

async fn mandates_csv(
    State(st): State<AppState>,
    c: Ctx,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    if let Err(r) = allowed(&st, &c).await? {
        return Ok(r);
    }
    let pairs = form_pairs(raw.as_deref().unwrap_or("").as_bytes());
    let Some(enc) = CsvEncoding::parse(Some(field(&pairs, "encoding")).filter(|s| !s.is_empty()))
    else {
        return Err(AppError::BadRequest);
    };
    let l = c.l;
    let rows = store::all_mandates(&st.db, &c.tenant.id).await?;
    let mut out = vec![
        [
            "申込番号",
            "顧客番号",
            "状況",
            "受付方法",
            "金融機関コード",
            "金融機関",
            "支店コード",
            "支店",
            "預金種目",
            "口座番号",
            "口座名義",
            "振替する税金・料金",
            "振替開始日",
            "申込日時",
            "確定日時",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect::<Vec<_>>(),
    ];
    for m in &rows {
        let v = view(&st, m, l, true).await?;
        out.push(vec![
            v.public_id,
            v.customer_number,
            l.t(v.status_key).to_owned(),
            if v.channel == "web" {
                "Web".into()
            } else {
                "書面".into()
            },
            m.bank_code.clone(),
            v.bank,
            m.branch_code.clone(),
            v.branch,
            l.t(v.account_type_key).to_owned(),
            v.account,
            v.holder,
            v.items,
            v.starts_on,
            v.created,
            v.activated,
        ]);
    }
    let (bytes, _) = csv_bytes(&csv_text(&out), enc);
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("text/csv; charset={}", enc.charset())) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"debit-mandates.csv\""),
    );
    Ok(r)
}

/// Downloads one request file (bank + debit date); marks its debits requested unless
/// `dry_run`.
async fn export(State(st): State<AppState>, c: Ctx, body: Bytes) -> Result<Response, AppError> {
    let me = match allowed(&st, &c).await? {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    let f = form_pairs(&body);
    let opts = ExportOptions {
        date: Some(field(&f, "date").to_owned()),
        bank: Some(field(&f, "bank").to_owned()),
        item: None,
    };
    let dry = field(&f, "dry_run") == "1";
    let prepared = match files::prepare(&st.db, &st.cfg.debit, &c.tenant.id, &opts).await {
        Ok(p) => p,
        Err(files::ExportError::Db(e)) => return Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, "debit export refused");
            return Err(AppError::BadRequest);
        }
    };
    let [p] = prepared.as_slice() else {
        return Err(AppError::NotFound);
    };
    let name = if dry {
        p.file_name(&c.tenant.id, None)
    } else {
        match files::commit(&st.db, &c.tenant.id, &prepared, &Actor::User(me.id)).await {
            Ok(mut n) => n.remove(0),
            Err(files::ExportError::Db(e)) => return Err(e.into()),
            Err(e) => {
                tracing::warn!(error = %e, "debit export not recorded");
                return Err(AppError::BadRequest);
            }
        }
    };
    let mut r = p.bytes.clone().into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=shift_jis"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

#[derive(Template)]
#[template(path = "debit/staff_results.html")]
struct ResultsPage {
    c: Ctx,
    summary: Option<ResultSummary>,
    error: String,
}

/// Uploads a bank's result file (multipart `file`).
async fn results(
    State(st): State<AppState>,
    c: Ctx,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    let me = match allowed(&st, &c).await? {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    let mut bytes = Vec::new();
    while let Ok(Some(part)) = mp.next_field().await {
        if part.name() == Some("file") {
            bytes = part
                .bytes()
                .await
                .map_err(|_| AppError::BadRequest)?
                .to_vec();
        }
    }
    let l = c.l;
    let (status, summary, error) = match files::import_results(
        &st.db,
        &st.cfg.debit,
        &c.tenant.id,
        &bytes,
        &Actor::User(me.id),
    )
    .await
    {
        Ok(s) => (StatusCode::OK, Some(s), String::new()),
        Err(ResultsError::Db(e)) => return Err(e.into()),
        Err(ResultsError::Malformed(e)) => {
            let msg = if l == crate::web::i18n::Lang::Ja {
                format!(
                    "{}件目のレコード（{}バイト目から）{}：{}",
                    e.record,
                    e.offset,
                    e.field
                        .map(|f| format!("「{}」", f.name_ja()))
                        .unwrap_or_default(),
                    e.reason_ja()
                )
            } else {
                e.to_string()
            };
            (StatusCode::UNPROCESSABLE_ENTITY, None, msg)
        }
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, None, e.to_string()),
    };
    Ok((status, render(&ResultsPage { c, summary, error })?).into_response())
}
