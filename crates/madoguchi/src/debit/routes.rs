//! The resident's pages: choose items → bank → branch → account → confirm → the bank (signed
//! redirect) → signed return → completion; the mandates in My Page. Every step is a plain HTML
//! form (GET between the choice steps, POST for the account data and the confirmation), so the
//! flow works without JavaScript.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::bank::{self, Outcome};
use super::model::{self, MandateStatus};
use super::service::{self, DebitError, Draft};
use super::store::{self, BankRow, BranchRow, ItemRow, MandateRow};
use crate::auth::store::UserRow;
use crate::procedures::application::pages::{base_url, field, form_pairs};
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::{render, require_resident};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/mypage/debit", get(list))
        .route("/mypage/debit/{id}", get(detail))
        .route("/debit/new", get(step_items))
        .route("/debit/new/bank", get(step_bank))
        .route("/debit/new/branch", get(step_branch))
        .route("/debit/new/account", get(step_account).post(account_submit))
        .route("/debit/new/confirm", post(confirm))
        .route("/debit/{id}/retry", post(retry))
        .route(bank::RETURN_PATH, get(bank_return))
}

fn resident(c: &Ctx) -> Result<UserRow, Redirect> {
    require_resident(c)?;
    c.user
        .clone()
        .ok_or_else(|| Redirect::to("/login?needed=1"))
}

fn pairs_of(q: &Option<String>) -> Vec<(String, String)> {
    form_pairs(q.as_deref().unwrap_or("").as_bytes())
}

/// `items` given as repeated parameters (check boxes) or comma-joined (hidden field).
fn items_of(pairs: &[(String, String)]) -> Vec<String> {
    let mut v: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "items")
        .flat_map(|(_, v)| {
            v.split(',')
                .map(str::trim)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect();
    v.sort();
    v.dedup();
    v
}

fn item_name(i: &ItemRow, l: Lang) -> String {
    match l {
        Lang::Ja => i.name_ja.clone(),
        Lang::En => i.name_en.clone(),
    }
}

/// One mandate as the pages show it.
pub struct MandateView {
    pub public_id: String,
    pub status_key: &'static str,
    pub status: String,
    pub items: String,
    pub bank: String,
    pub branch: String,
    pub account_type_key: &'static str,
    pub account: String,
    pub holder: String,
    pub starts_on: String,
    pub customer_number: String,
    pub channel: String,
    pub created: String,
    pub activated: String,
    /// Pending and the bank step can be tried again.
    pub retry: bool,
}

pub async fn view(
    st: &AppState,
    m: &MandateRow,
    l: Lang,
    full_account: bool,
) -> Result<MandateView, AppError> {
    let n = service::names(&st.db, m, l).await?;
    let status = MandateStatus::parse(&m.status).unwrap_or(MandateStatus::Pending);
    Ok(MandateView {
        public_id: m.public_id.clone(),
        status_key: status.label_key(),
        status: m.status.clone(),
        items: n.items.join("、"),
        bank: n.bank,
        branch: n.branch,
        account_type_key: model::account_type_key(m.account_type),
        account: if full_account {
            m.account_number.clone()
        } else {
            service::masked(&m.account_number)
        },
        holder: m.holder_kana.clone(),
        starts_on: m.starts_on.clone().unwrap_or_default(),
        customer_number: m.customer_number.clone(),
        channel: m.channel.clone(),
        created: l.datetime(m.created_at),
        activated: m.activated_at.map(|t| l.datetime(t)).unwrap_or_default(),
        retry: status == MandateStatus::Pending && m.bank_nonce.is_none(),
    })
}

// ---- My Page --------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "debit/list.html")]
struct ListPage {
    c: Ctx,
    mandates: Vec<MandateView>,
}

async fn list(State(st): State<AppState>, c: Ctx) -> Result<Response, AppError> {
    let user = match resident(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let rows = store::mandates_of_resident(&st.db, &c.tenant.id, user.id).await?;
    let mut mandates = Vec::new();
    for m in &rows {
        mandates.push(view(&st, m, c.l, false).await?);
    }
    Ok(render(&ListPage { c, mandates })?.into_response())
}

#[derive(Template)]
#[template(path = "debit/detail.html")]
struct DetailPage {
    c: Ctx,
    m: MandateView,
    /// `done`, `cancelled`, `error` or empty: the banner after the bank.
    notice: String,
}

async fn detail(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let user = match resident(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let m = match service::own(&st.db, &c.tenant.id, &user, &id).await {
        Ok(m) => m,
        Err(DebitError::Db(e)) => return Err(e.into()),
        Err(_) => return Err(AppError::NotFound),
    };
    let pairs = pairs_of(&q);
    let notice = match field(&pairs, "done") {
        n @ ("done" | "cancelled" | "error") => n.to_owned(),
        _ => String::new(),
    };
    let m = view(&st, &m, c.l, false).await?;
    Ok(render(&DetailPage { c, m, notice })?.into_response())
}

// ---- the steps ------------------------------------------------------------------------------

pub struct ItemChoice {
    pub code: String,
    pub name: String,
    pub checked: bool,
    pub registered: bool,
}

#[derive(Template)]
#[template(path = "debit/items.html")]
struct ItemsPage {
    c: Ctx,
    items: Vec<ItemChoice>,
    error: bool,
}

async fn item_choices(
    st: &AppState,
    c: &Ctx,
    user: &UserRow,
    chosen: &[String],
) -> Result<Vec<ItemChoice>, AppError> {
    let live = store::live_items_of_resident(&st.db, &c.tenant.id, user.id).await?;
    Ok(store::items(&st.db, &c.tenant.id)
        .await?
        .iter()
        .map(|i| ItemChoice {
            code: i.code.clone(),
            name: item_name(i, c.l),
            checked: chosen.contains(&i.code),
            registered: live.contains(&i.code),
        })
        .collect())
}

async fn step_items(
    State(st): State<AppState>,
    c: Ctx,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let user = match resident(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let chosen = items_of(&pairs_of(&q));
    let items = item_choices(&st, &c, &user, &chosen).await?;
    Ok(render(&ItemsPage {
        c,
        items,
        error: false,
    })?
    .into_response())
}

/// The chosen items, checked against the offer and the resident's live mandates; `None` when
/// none is left (the items page is shown again).
async fn checked_items(
    st: &AppState,
    c: &Ctx,
    user: &UserRow,
    pairs: &[(String, String)],
) -> Result<Option<(Vec<String>, String)>, AppError> {
    let chosen = items_of(pairs);
    let choices = item_choices(st, c, user, &chosen).await?;
    let ok: Vec<String> = choices
        .iter()
        .filter(|i| i.checked && !i.registered)
        .map(|i| i.code.clone())
        .collect();
    if ok.is_empty() || ok.len() != chosen.len() {
        return Ok(None);
    }
    let names = choices
        .iter()
        .filter(|i| i.checked)
        .map(|i| i.name.clone())
        .collect::<Vec<_>>()
        .join("、");
    Ok(Some((ok, names)))
}

async fn items_again(
    st: &AppState,
    c: Ctx,
    user: &UserRow,
    pairs: &[(String, String)],
) -> Result<Response, AppError> {
    let chosen = items_of(pairs);
    let items = item_choices(st, &c, user, &chosen).await?;
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        render(&ItemsPage {
            c,
            items,
            error: true,
        })?,
    )
        .into_response())
}

pub struct BankChoice {
    pub code: String,
    pub name: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "debit/bank.html")]
struct BankPage {
    c: Ctx,
    items: String,
    item_names: String,
    banks: Vec<BankChoice>,
    error: bool,
}

async fn bank_choices(st: &AppState, c: &Ctx, chosen: &str) -> Result<Vec<BankChoice>, AppError> {
    let mut out = Vec::new();
    for b in store::accepted_banks(&st.db, &c.tenant.id).await? {
        if service::bank_available(&st.db, &st.cfg, &c.tenant.id, &b.code).await? {
            out.push(BankChoice {
                checked: b.code == chosen,
                name: service::bank_display(&b.name),
                code: b.code,
            });
        }
    }
    Ok(out)
}

async fn step_bank(
    State(st): State<AppState>,
    c: Ctx,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let user = match resident(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let pairs = pairs_of(&q);
    let Some((items, item_names)) = checked_items(&st, &c, &user, &pairs).await? else {
        return items_again(&st, c, &user, &pairs).await;
    };
    let banks = bank_choices(&st, &c, field(&pairs, "bank")).await?;
    Ok(render(&BankPage {
        c,
        items: items.join(","),
        item_names,
        banks,
        error: false,
    })?
    .into_response())
}

/// The chosen bank if the municipality offers it.
async fn checked_bank(st: &AppState, c: &Ctx, code: &str) -> Result<Option<BankRow>, AppError> {
    if !service::bank_available(&st.db, &st.cfg, &c.tenant.id, code).await? {
        return Ok(None);
    }
    Ok(store::bank(&st.db, code).await?)
}

pub struct BranchChoice {
    pub code: String,
    pub name: String,
    pub kana: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "debit/branch.html")]
struct BranchPage {
    c: Ctx,
    items: String,
    item_names: String,
    bank: String,
    bank_name: String,
    q: String,
    /// A search was made (or the bank has few branches): show the results.
    searched: bool,
    branches: Vec<BranchChoice>,
    error: bool,
}

/// Forgiving branch search: by code (`011`), name (`市川`) or kana (`イチカワ`, `いちかわ`,
/// half-width `ｲﾁｶﾜ`), small kana matched as large as the 全銀 master writes them.
pub fn branch_matches(b: &BranchRow, q: &str) -> bool {
    let norm = |s: &str| -> String {
        use unicode_normalization::UnicodeNormalization;
        s.nfkc()
            .map(|c| match c {
                // hiragana → katakana
                'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
                _ => c,
            })
            .map(|c| match c {
                'ァ' => 'ア',
                'ィ' => 'イ',
                'ゥ' => 'ウ',
                'ェ' => 'エ',
                'ォ' => 'オ',
                'ッ' => 'ツ',
                'ャ' => 'ヤ',
                'ュ' => 'ユ',
                'ョ' => 'ヨ',
                'ヮ' => 'ワ',
                'ー' | '－' | '-' => '-',
                _ => c,
            })
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase()
    };
    let q = norm(q);
    if q.is_empty() {
        return true;
    }
    if q.chars().all(|c| c.is_ascii_digit()) {
        return b.code.starts_with(&q);
    }
    norm(&b.name).contains(&q) || norm(&b.kana).contains(&q)
}

/// Banks with at most this many branches list them all without a search.
const LIST_ALL_BRANCHES: usize = 40;
const MAX_RESULTS: usize = 50;

async fn step_branch(
    State(st): State<AppState>,
    c: Ctx,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let user = match resident(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let pairs = pairs_of(&q);
    let Some((items, item_names)) = checked_items(&st, &c, &user, &pairs).await? else {
        return items_again(&st, c, &user, &pairs).await;
    };
    let Some(bank) = checked_bank(&st, &c, field(&pairs, "bank")).await? else {
        let banks = bank_choices(&st, &c, "").await?;
        let page = BankPage {
            c,
            items: items.join(","),
            item_names,
            banks,
            error: true,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    };
    let search = field(&pairs, "q").trim().to_owned();
    let chosen = field(&pairs, "branch").to_owned();
    let all = store::branches_of(&st.db, &bank.code).await?;
    let searched = !search.is_empty() || all.len() <= LIST_ALL_BRANCHES;
    let branches = if searched {
        all.iter()
            .filter(|b| branch_matches(b, &search))
            .take(MAX_RESULTS)
            .map(|b| BranchChoice {
                code: b.code.clone(),
                name: b.name.clone(),
                kana: b.kana.clone(),
                checked: b.code == chosen,
            })
            .collect()
    } else {
        Vec::new()
    };
    let error = field(&pairs, "next") == "1" && chosen.is_empty();
    Ok(render(&BranchPage {
        c,
        items: items.join(","),
        item_names,
        bank_name: service::bank_display(&bank.name),
        bank: bank.code,
        q: search,
        searched,
        branches,
        error,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "debit/account.html")]
struct AccountPage {
    c: Ctx,
    items: String,
    item_names: String,
    bank: String,
    bank_name: String,
    branch: String,
    branch_name: String,
    account_type: String,
    account_number: String,
    holder: String,
    errs: crate::web::forms::Errors,
    /// The holder field's message (it names the refused character, so it is not a fixed key).
    holder_error: String,
}

struct Chosen {
    items: Vec<String>,
    item_names: String,
    bank: BankRow,
    branch: BranchRow,
}

/// Items, bank and branch of the request, all checked; otherwise the page to go back to.
async fn chosen(
    st: &AppState,
    c: &Ctx,
    user: &UserRow,
    pairs: &[(String, String)],
) -> Result<Result<Chosen, Response>, AppError> {
    let Some((items, item_names)) = checked_items(st, c, user, pairs).await? else {
        return Ok(Err(items_again(st, c.clone(), user, pairs).await?));
    };
    let Some(bank) = checked_bank(st, c, field(pairs, "bank")).await? else {
        let banks = bank_choices(st, c, "").await?;
        let page = BankPage {
            c: c.clone(),
            items: items.join(","),
            item_names,
            banks,
            error: true,
        };
        return Ok(Err(
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response()
        ));
    };
    let code = model::branch_code(field(pairs, "branch")).unwrap_or_default();
    let Some(branch) = store::branch(&st.db, &bank.code, &code).await? else {
        let to = format!(
            "/debit/new/branch?items={}&bank={}&next=1",
            items.join(","),
            bank.code
        );
        return Ok(Err(Redirect::to(&to).into_response()));
    };
    Ok(Ok(Chosen {
        items,
        item_names,
        bank,
        branch,
    }))
}

fn account_page(c: Ctx, ch: &Chosen) -> AccountPage {
    AccountPage {
        c,
        items: ch.items.join(","),
        item_names: ch.item_names.clone(),
        bank: ch.bank.code.clone(),
        bank_name: service::bank_display(&ch.bank.name),
        branch: ch.branch.code.clone(),
        branch_name: ch.branch.name.clone(),
        account_type: "1".into(),
        account_number: String::new(),
        holder: String::new(),
        errs: Default::default(),
        holder_error: String::new(),
    }
}

async fn step_account(
    State(st): State<AppState>,
    c: Ctx,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let user = match resident(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let pairs = pairs_of(&q);
    let ch = match chosen(&st, &c, &user, &pairs).await? {
        Ok(ch) => ch,
        Err(r) => return Ok(r.into_response()),
    };
    Ok(render(&account_page(c, &ch))?.into_response())
}

#[derive(Template)]
#[template(path = "debit/confirm.html")]
struct ConfirmPage {
    c: Ctx,
    items: String,
    item_names: String,
    bank: String,
    bank_name: String,
    branch: String,
    branch_name: String,
    account_type: String,
    account_type_key: &'static str,
    account_number: String,
    holder_input: String,
    holder: String,
}

/// Checks the account fields; the draft, or the account page with the messages.
fn check_account(
    c: &Ctx,
    ch: &Chosen,
    pairs: &[(String, String)],
) -> Result<Draft, Box<AccountPage>> {
    let mut page = account_page(c.clone(), ch);
    page.account_type = field(pairs, "account_type").to_owned();
    page.account_number = field(pairs, "account_number").to_owned();
    page.holder = field(pairs, "holder").to_owned();
    let account_type = match page.account_type.as_str() {
        "1" => 1,
        "2" => 2,
        _ => {
            page.errs.add("account_type", "debit.err_account_type");
            0
        }
    };
    let account_number = match model::account_number(&page.account_number) {
        Ok(n) => n,
        Err(key) => {
            page.errs.add("account_number", key);
            String::new()
        }
    };
    let holder = match super::kana::holder_name(&page.holder) {
        Ok(h) => h,
        Err(e) => {
            page.errs.add("holder", e.key());
            page.holder_error = e.message(c.l);
            String::new()
        }
    };
    if !page.errs.is_empty() {
        return Err(Box::new(page));
    }
    Ok(Draft {
        items: ch.items.clone(),
        bank: ch.bank.code.clone(),
        branch: ch.branch.code.clone(),
        account_type,
        account_number,
        holder_kana: holder,
    })
}

async fn account_submit(
    State(st): State<AppState>,
    c: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    let user = match resident(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let pairs = form_pairs(&body);
    let ch = match chosen(&st, &c, &user, &pairs).await? {
        Ok(ch) => ch,
        Err(r) => return Ok(r.into_response()),
    };
    if field(&pairs, "edit") == "1" {
        let mut page = account_page(c, &ch);
        page.account_type = field(&pairs, "account_type").to_owned();
        page.account_number = field(&pairs, "account_number").to_owned();
        page.holder = field(&pairs, "holder").to_owned();
        return Ok(render(&page)?.into_response());
    }
    match check_account(&c, &ch, &pairs) {
        Err(page) => Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&*page)?).into_response()),
        Ok(d) => Ok(render(&ConfirmPage {
            c,
            items: ch.items.join(","),
            item_names: ch.item_names.clone(),
            bank: d.bank.clone(),
            bank_name: service::bank_display(&ch.bank.name),
            branch: d.branch.clone(),
            branch_name: ch.branch.name.clone(),
            account_type: d.account_type.to_string(),
            account_type_key: model::account_type_key(d.account_type),
            account_number: d.account_number.clone(),
            holder_input: field(&pairs, "holder").to_owned(),
            holder: d.holder_kana,
        })?
        .into_response()),
    }
}

#[derive(Template)]
#[template(path = "debit/notice.html")]
struct NoticePage {
    c: Ctx,
    title_key: &'static str,
    text_key: &'static str,
    kind: &'static str,
}

fn notice(
    c: Ctx,
    status: StatusCode,
    title_key: &'static str,
    text_key: &'static str,
) -> Result<Response, AppError> {
    let kind = if status.is_success() { "info" } else { "error" };
    Ok((
        status,
        render(&NoticePage {
            c,
            title_key,
            text_key,
            kind,
        })?,
    )
        .into_response())
}

fn error_status(e: &DebitError) -> StatusCode {
    match e {
        DebitError::NotFound => StatusCode::NOT_FOUND,
        DebitError::BankNotAvailable | DebitError::BadItems => StatusCode::UNPROCESSABLE_ENTITY,
        DebitError::Replayed | DebitError::Expired | DebitError::NotAllowed => StatusCode::CONFLICT,
        DebitError::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn confirm(
    State(st): State<AppState>,
    c: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let user = match resident(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let pairs = form_pairs(&body);
    let ch = match chosen(&st, &c, &user, &pairs).await? {
        Ok(ch) => ch,
        Err(r) => return Ok(r.into_response()),
    };
    let d = match check_account(&c, &ch, &pairs) {
        Ok(d) => d,
        Err(page) => return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&*page)?).into_response()),
    };
    let base = base_url(&st, &headers);
    match service::start(&st.db, &st.cfg, &c.tenant.id, &user, &d, &base).await {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(DebitError::Db(e)) => Err(e.into()),
        Err(e) => notice(c, error_status(&e), "debit.not_started", e.key()),
    }
}

async fn retry(
    State(st): State<AppState>,
    c: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let user = match resident(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let base = base_url(&st, &headers);
    match service::retry(&st.db, &st.cfg, &c.tenant.id, &user, &id, &base).await {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(DebitError::NotFound) => Err(AppError::NotFound),
        Err(DebitError::Db(e)) => Err(e.into()),
        Err(e) => notice(c, error_status(&e), "debit.not_started", e.key()),
    }
}

/// The bank sends the resident back here. Only a return whose signature verifies, that is
/// fresh, and that carries the mandate's outstanding nonce changes anything.
async fn bank_return(
    State(st): State<AppState>,
    c: Ctx,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let user = match resident(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let pairs = pairs_of(&q);
    let r = match bank::verify_return(&st.cfg.debit, &pairs, crate::db::now_ms()) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "bank return refused");
            return notice(
                c,
                StatusCode::BAD_REQUEST,
                "debit.return_refused",
                "debit.err_bad_return",
            );
        }
    };
    match service::complete(&st.db, &c.tenant.id, &user, &r, c.l).await {
        Ok((m, o)) => {
            if o == Outcome::Confirmed {
                st.mail_notify.notify_one();
            }
            let done = match o {
                Outcome::Confirmed => "done",
                Outcome::Cancelled => "cancelled",
                Outcome::Error => "error",
            };
            Ok(Redirect::to(&format!("/mypage/debit/{}?done={done}", m.public_id)).into_response())
        }
        Err(DebitError::Db(e)) => Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, mandate = %r.mandate, "bank return refused");
            let status = if matches!(e, DebitError::NotFound) {
                StatusCode::NOT_FOUND
            } else {
                error_status(&e)
            };
            notice(c, status, "debit.return_refused", e.key())
        }
    }
}
