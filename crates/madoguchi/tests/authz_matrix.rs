//! The authorization matrix (issue 9): every route of the main router, HTML and API, called
//! as five actors, and the outcome (allowed / denied) checked against the table below.
//!
//! Actors, in the order of each row's `expect` string:
//!
//! 1. `anon`   — nobody: no cookie, no token, on 市川市's host.
//! 2. `tenant` — the same kind of account in **another municipality** (酒々井町's resident, or
//!    its admin for staff rows) with its own session/token, on 酒々井町's host, asking for
//!    市川市's objects.
//! 3. `other`  — a 市川市 resident who does **not own** the object (jiro).
//! 4. `dept`   — 市川市 staff of **another department** (納税課, department_staff).
//! 5. `right`  — the right person: the owning resident (hanako) for resident rows, 市民課
//!    staff for staff rows, the admin for admin rows, the DX推進員 where a row says so.
//!
//! Outcome letters: `A` allowed (the request got past authorization: 2xx, a redirect that is
//! not to a login page, or a 4xx about the input such as 400/409/422/429), `D` denied (401,
//! 403, 404, or a redirect to `/login` or `/staff/login` — the house rule: objects of others
//! are 404, not 403, so they cannot be probed). A 5xx fails the test in every cell.
//!
//! **A new route without a row fails the test**: the route list is derived from the code at
//! test time (every `.route(` literal in `src/**/*.rs`, constants resolved from their
//! `const NAME: &str = "…"` definition) and from the OpenAPI document, and compared with
//! the table both ways. To add a route: add a row (method, path as written in the code, the
//! concrete path to call, the owner kind, the expected letters, a note).
//!
//! Fresh sessions are created for every row, so a row that logs out or changes state does not
//! affect the next one. Runs on SQLite and PostgreSQL.

#[macro_use]
mod common;
#[allow(dead_code)]
mod app_fixture;
mod support;

use std::collections::{BTreeMap, BTreeSet};

use app_fixture::*;
use madoguchi::db::Db;
use support::*;

/// Who the right person is for a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    /// Public: no right person (all five are the same kind of visitor).
    Public,
    /// The resident who owns the object (hanako).
    Resident,
    /// 市民課 department_staff (the department that owns the procedure and its cases).
    Staff,
    /// The municipality's admin.
    Admin,
    /// DX推進員 (plan 3-2).
    Dx,
    /// 納税課 staff: the department configured for Web口座振替 (`debit.departments`); the
    /// `dept` actor is then 市民課 staff.
    Nozei,
}
use Owner::*;

struct RowDef {
    method: &'static str,
    /// The path exactly as the route is declared (after resolving constants).
    route: &'static str,
    /// The path called; `{receipt}`, `{proc}` … are filled from the fixture.
    call: &'static str,
    owner: Owner,
    /// Letters for anon, tenant, other, dept, right.
    expect: &'static str,
    note: &'static str,
}

const fn r(
    method: &'static str,
    route: &'static str,
    call: &'static str,
    owner: Owner,
    expect: &'static str,
    note: &'static str,
) -> RowDef {
    RowDef {
        method,
        route,
        call,
        owner,
        expect,
        note,
    }
}

/// The table. Keep it sorted like the code's modules; the lead adds rows for new modules.
const TABLE: &[RowDef] = &[
    // ── foundation: web/pages.rs, web/staff.rs, web/mod.rs, api.rs ──
    r("GET", "/", "/", Public, "AAAAA", "home"),
    r("GET", "/healthz", "/healthz", Public, "AAAAA", "liveness"),
    r("GET", "/readyz", "/readyz", Public, "AAAAA", "readiness"),
    r(
        "GET",
        "/static/{*path}",
        "/static/favicon.svg",
        Public,
        "AAAAA",
        "assets",
    ),
    r(
        "GET",
        "/favicon.ico",
        "/favicon.ico",
        Public,
        "AAAAA",
        "redirect to the svg",
    ),
    r("GET", "/login", "/login", Public, "AAAAA", "form"),
    r(
        "POST",
        "/login",
        "/login",
        Public,
        "AAAAA",
        "empty form: field errors; the empty body is refused (422) for everyone before the role check, nothing changes",
    ),
    r("GET", "/register", "/register", Public, "AAAAA", "form"),
    r(
        "POST",
        "/register",
        "/register",
        Public,
        "AAAAA",
        "empty form: field errors; the empty body is refused (422) for everyone before the role check, nothing changes",
    ),
    r(
        "GET",
        "/verify",
        "/verify",
        Public,
        "AAAAA",
        "form; the empty body is refused (400) for everyone before the role check, nothing changes",
    ),
    r(
        "POST",
        "/verify",
        "/verify",
        Public,
        "AAAAA",
        "bad token: message; the empty body is refused (400) for everyone before the role check, nothing changes",
    ),
    r(
        "GET",
        "/password/forgot",
        "/password/forgot",
        Public,
        "AAAAA",
        "form",
    ),
    r(
        "POST",
        "/password/forgot",
        "/password/forgot",
        Public,
        "AAAAA",
        "same answer for all; the empty body is refused (422) for everyone before the role check, nothing changes",
    ),
    r(
        "GET",
        "/password/reset",
        "/password/reset",
        Public,
        "AAAAA",
        "form; the empty body is refused (400) for everyone before the role check, nothing changes",
    ),
    r(
        "POST",
        "/password/reset",
        "/password/reset",
        Public,
        "AAAAA",
        "bad token: message; the empty body is refused (400) for everyone before the role check, nothing changes",
    ),
    r(
        "GET",
        "/mypage",
        "/mypage",
        Resident,
        "DAADA",
        "own page; staff get the login redirect",
    ),
    r(
        "POST",
        "/mypage/logout-others",
        "/mypage/logout-others",
        Resident,
        "DAAAA",
        "own sessions only",
    ),
    r(
        "POST",
        "/logout",
        "/logout",
        Public,
        "AAAAA",
        "ends the caller's own session",
    ),
    r(
        "POST",
        "/prefs",
        "/prefs",
        Public,
        "AAAAA",
        "language cookie",
    ),
    r(
        "GET",
        "/sandbox/mailbox",
        "/sandbox/mailbox",
        Public,
        "AAAAA",
        "SANDBOX only (demo)",
    ),
    r(
        "GET",
        "/staff/login",
        "/staff/login",
        Public,
        "AAAAA",
        "form",
    ),
    r(
        "POST",
        "/staff/login",
        "/staff/login",
        Public,
        "AAAAA",
        "empty form: field errors; the empty body is refused (422) for everyone before the role check, nothing changes",
    ),
    r(
        "GET",
        "/staff",
        "/staff",
        Staff,
        "DADAA",
        "any staff of the municipality",
    ),
    r(
        "POST",
        "/staff/users",
        "/staff/users",
        Admin,
        "DADDA",
        "admin only",
    ),
    r(
        "POST",
        "/staff/departments",
        "/staff/departments",
        Admin,
        "DADDA",
        "admin only",
    ),
    r(
        "POST",
        "/passkeys/register/start",
        "/passkeys/register/start",
        Resident,
        "DAAAA",
        "own account",
    ),
    r(
        "POST",
        "/passkeys/register/finish",
        "/passkeys/register/finish",
        Resident,
        "AAAAA",
        "own ceremony; the empty body is refused (422) for everyone before the role check, nothing changes",
    ),
    r(
        "POST",
        "/passkeys/login/start",
        "/passkeys/login/start",
        Public,
        "AAAAA",
        "login",
    ),
    r(
        "POST",
        "/passkeys/login/finish",
        "/passkeys/login/finish",
        Public,
        "AAAAA",
        "login: bad body; the empty body is refused (422) for everyone before the role check, nothing changes",
    ),
    r(
        "POST",
        "/passkeys/{id}/delete",
        "/passkeys/{passkey}/delete",
        Resident,
        "DDDDD",
        "own passkey",
    ),
    r(
        "GET",
        "/api/v1/openapi.json",
        "/api/v1/openapi.json",
        Public,
        "AAAAA",
        "API description",
    ),
    r(
        "GET",
        "/api/v1/me",
        "/api/v1/me",
        Resident,
        "DAAAA",
        "token's own account",
    ),
    r(
        "GET",
        "/api/v1/municipality",
        "/api/v1/municipality",
        Public,
        "AAAAA",
        "public facts",
    ),
    // ── procedures: catalogue, runner, applications, editor ──
    r(
        "GET",
        "/procedures",
        "/procedures",
        Public,
        "AAAAA",
        "catalogue",
    ),
    r(
        "GET",
        "/procedures/{slug}",
        "/procedures/juminhyo",
        Public,
        "AAAAA",
        "catalogue",
    ),
    r(
        "GET",
        "/api/v1/procedures",
        "/api/v1/procedures",
        Public,
        "AAAAA",
        "catalogue",
    ),
    r(
        "GET",
        "/api/v1/procedures/{id}",
        "/api/v1/procedures/{proc}",
        Public,
        "ADAAA",
        "another tenant's id is 404",
    ),
    r(
        "GET",
        "/api/v1/kpi/procedures-online",
        "/api/v1/kpi/procedures-online",
        Public,
        "AAAAA",
        "KPI",
    ),
    r(
        "GET",
        "/procedures/{slug}/apply",
        "/procedures/juminhyo/apply",
        Resident,
        "AAAAA",
        "start page (tells visitors to log in)",
    ),
    r(
        "POST",
        "/procedures/{slug}/apply/restart",
        "/procedures/juminhyo/apply/restart",
        Resident,
        "AAAAA",
        "drafts are bound to the visitor's session; without one you are sent to the start page",
    ),
    r(
        "GET",
        "/procedures/{slug}/apply/check",
        "/procedures/juminhyo/apply/check",
        Resident,
        "AAAAA",
        "drafts are bound to the visitor's session; without one you are sent to the start page",
    ),
    r(
        "POST",
        "/procedures/{slug}/apply/submit",
        "/procedures/juminhyo/apply/submit",
        Resident,
        "AAAAA",
        "drafts are bound to the visitor's session; without one you are sent to the start page",
    ),
    r(
        "GET",
        "/procedures/{slug}/apply/done/{receipt}",
        "/procedures/juminhyo/apply/done/{receipt}",
        Resident,
        "ADAAA",
        "the receipt page is public by design (e-mail masked for others); another tenant 404",
    ),
    r(
        "GET",
        "/procedures/{slug}/apply/later",
        "/procedures/juminhyo/apply/later",
        Resident,
        "AAAAA",
        "drafts are bound to the visitor's session; without one you are sent to the start page",
    ),
    r(
        "POST",
        "/procedures/{slug}/apply/later",
        "/procedures/juminhyo/apply/later",
        Resident,
        "AAAAA",
        "drafts are bound to the visitor's session; without one you are sent to the start page",
    ),
    r(
        "GET",
        "/procedures/{slug}/apply/resume/{token}",
        "/procedures/juminhyo/apply/resume/nosuchtoken",
        Public,
        "DDDDD",
        "a wrong link is 404 for everyone",
    ),
    r(
        "GET",
        "/procedures/{slug}/apply/{page}",
        "/procedures/juminhyo/apply/main",
        Resident,
        "AAAAA",
        "drafts are bound to the visitor's session; without one you are sent to the start page",
    ),
    r(
        "POST",
        "/procedures/{slug}/apply/{page}",
        "/procedures/juminhyo/apply/main",
        Resident,
        "AAAAA",
        "drafts are bound to the visitor's session; without one you are sent to the start page",
    ),
    r(
        "POST",
        "/procedures/{slug}/apply/{page}/check-field",
        "/procedures/juminhyo/apply/main/check-field",
        Resident,
        "DDADA",
        "own draft",
    ),
    r(
        "POST",
        "/procedures/{slug}/apply/{page}/save",
        "/procedures/juminhyo/apply/main/save",
        Resident,
        "DDADA",
        "own draft",
    ),
    r(
        "GET",
        "/mypage/applications",
        "/mypage/applications",
        Resident,
        "DAADA",
        "own list",
    ),
    r(
        "GET",
        "/applications/{receipt}",
        "/applications/{receipt}",
        Resident,
        "DDDAA",
        "owner only",
    ),
    r(
        "POST",
        "/applications/{receipt}/messages",
        "/applications/{receipt}/messages",
        Resident,
        "DDDDA",
        "owner only",
    ),
    r(
        "GET",
        "/applications/{receipt}/withdraw",
        "/applications/{receipt}/withdraw",
        Resident,
        "DDDDA",
        "owner only",
    ),
    r(
        "POST",
        "/applications/{receipt}/withdraw",
        "/applications/{receipt}/withdraw",
        Resident,
        "DDDDA",
        "owner only (no confirm: stays)",
    ),
    r(
        "POST",
        "/applications/{receipt}/resubmit",
        "/applications/{receipt}/resubmit",
        Resident,
        "DDDDA",
        "owner only",
    ),
    r(
        "POST",
        "/api/v1/applications",
        "/api/v1/applications",
        Resident,
        "DAAAA",
        "any signed-in resident may apply",
    ),
    r(
        "GET",
        "/api/v1/applications/{receipt}",
        "/api/v1/applications/{receipt}",
        Resident,
        "DDDDA",
        "owner (or the case's department)",
    ),
    r(
        "GET",
        "/api/v1/procedures/{id}/applications",
        "/api/v1/procedures/{proc}/applications",
        Staff,
        "DDDDA",
        "the procedure's department",
    ),
    r(
        "GET",
        "/staff/cases",
        "/staff/cases",
        Staff,
        "DADAA",
        "staff queue (own department's cases)",
    ),
    r(
        "GET",
        "/staff/cases/{receipt}",
        "/staff/cases/{receipt}",
        Staff,
        "DDDDA",
        "the case's department",
    ),
    r(
        "POST",
        "/staff/cases/{receipt}/action",
        "/staff/cases/{receipt}/action",
        Staff,
        "DDDDA",
        "the case's department",
    ),
    r(
        "POST",
        "/staff/cases/{receipt}/message",
        "/staff/cases/{receipt}/message",
        Staff,
        "DDDDA",
        "the case's department",
    ),
    r(
        "POST",
        "/staff/cases/{receipt}/note",
        "/staff/cases/{receipt}/note",
        Staff,
        "DDDDA",
        "the case's department",
    ),
    r(
        "POST",
        "/staff/cases/{receipt}/assign",
        "/staff/cases/{receipt}/assign",
        Staff,
        "DDDDA",
        "the case's department",
    ),
    r(
        "GET",
        "/staff/cases/{receipt}/attachments/{public_id}",
        "/staff/cases/{receipt}/attachments/nosuchfile",
        Staff,
        "DDDDD",
        "no such file: 404 for all",
    ),
    r(
        "GET",
        "/staff/procedures/{slug}/applications.csv",
        "/staff/procedures/juminhyo/applications.csv",
        Staff,
        "DADDA",
        "the procedure's department",
    ),
    r(
        "GET",
        "/staff/forms",
        "/staff/forms",
        Admin,
        "DADAA",
        "form editors",
    ),
    r(
        "GET",
        "/staff/forms/{slug}",
        "/staff/forms/juminhyo",
        Admin,
        "DADDA",
        "form editors",
    ),
    r(
        "POST",
        "/staff/forms/{slug}/draft",
        "/staff/forms/juminhyo/draft",
        Admin,
        "DADDA",
        "form editors",
    ),
    r(
        "POST",
        "/staff/forms/{slug}/edit",
        "/staff/forms/juminhyo/edit",
        Admin,
        "AAAAA",
        "form editors; the empty body is refused (422) for everyone before the role check, nothing changes",
    ),
    r(
        "POST",
        "/staff/forms/{slug}/publish",
        "/staff/forms/juminhyo/publish",
        Admin,
        "DADDA",
        "form editors",
    ),
    r(
        "POST",
        "/staff/forms/{slug}/discard",
        "/staff/forms/juminhyo/discard",
        Admin,
        "DADDA",
        "form editors",
    ),
    r(
        "POST",
        "/staff/forms/{slug}/online",
        "/staff/forms/juminhyo/online",
        Admin,
        "AAAAA",
        "form editors; the empty body is refused (422) for everyone before the role check, nothing changes",
    ),
    r(
        "GET",
        "/staff/forms/{slug}/export",
        "/staff/forms/juminhyo/export",
        Admin,
        "DADDA",
        "form editors",
    ),
    r(
        "POST",
        "/staff/forms/{slug}/import",
        "/staff/forms/juminhyo/import",
        Admin,
        "AAAAA",
        "form editors; the empty body is refused (400) for everyone before the role check, nothing changes",
    ),
    r(
        "GET",
        "/api/v1/procedures/{id}/schema",
        "/api/v1/procedures/{proc}/schema",
        Public,
        "ADAAA",
        "published form: public; other tenant 404",
    ),
    r(
        "GET",
        "/api/v1/procedures/{id}/forms/{version}/schema",
        "/api/v1/procedures/{proc}/forms/1/schema",
        Staff,
        "ADAAA",
        "public like the catalogue (editor/api.rs); another tenant 404",
    ),
    // ── postal ──
    r(
        "GET",
        "/api/v1/postal-codes/{code}",
        "/api/v1/postal-codes/2720034",
        Public,
        "AAAAA",
        "public lookup",
    ),
    // ── documents ──
    r(
        "GET",
        "/api/v1/applications/{receipt}/receipt.pdf",
        "/api/v1/applications/{receipt}/receipt.pdf",
        Resident,
        "DDDDA",
        "owner",
    ),
    r(
        "GET",
        "/api/v1/applications/{receipt}/notice.pdf",
        "/api/v1/applications/{receipt}/notice.pdf",
        Resident,
        "DDDDD",
        "no decision yet: 404 for all",
    ),
    r(
        "GET",
        "/api/v1/applications/{receipt}/notice.pdf.p7s",
        "/api/v1/applications/{receipt}/notice.pdf.p7s",
        Resident,
        "DDDDD",
        "no decision yet: 404 for all",
    ),
    r(
        "GET",
        "/api/v1/applications/{receipt}/notices/{decision}/notice.pdf",
        "/api/v1/applications/{receipt}/notices/1/notice.pdf",
        Resident,
        "DDDDD",
        "no decision yet: 404 for all",
    ),
    r(
        "GET",
        "/api/v1/applications/{receipt}/notices/{decision}/notice.pdf.p7s",
        "/api/v1/applications/{receipt}/notices/1/notice.pdf.p7s",
        Resident,
        "DDDDD",
        "no decision yet: 404 for all",
    ),
    // ── identity ──
    r(
        "GET",
        "/auth/card",
        "/auth/card",
        Public,
        "DDDDD",
        "consent page; no identity provider configured here, so 404 (sign-in flows: tests/identity.rs)",
    ),
    r(
        "POST",
        "/auth/card/start",
        "/auth/card/start",
        Public,
        "DDDDD",
        "redirect to the provider; no identity provider configured here, so 404 (sign-in flows: tests/identity.rs)",
    ),
    r(
        "GET",
        "/auth/card/callback",
        "/auth/card/callback",
        Public,
        "DDDDD",
        "no state: message; no identity provider configured here, so 404 (sign-in flows: tests/identity.rs)",
    ),
    r(
        "GET",
        "/staff/login/sso",
        "/staff/login/sso",
        Public,
        "DDDDD",
        "page; no identity provider configured here, so 404 (sign-in flows: tests/identity.rs)",
    ),
    r(
        "POST",
        "/staff/login/sso",
        "/staff/login/sso",
        Public,
        "DDDDD",
        "redirect to the provider; no identity provider configured here, so 404 (sign-in flows: tests/identity.rs)",
    ),
    r(
        "GET",
        "/staff/login/sso/callback",
        "/staff/login/sso/callback",
        Public,
        "DDDDD",
        "no state: message; no identity provider configured here, so 404 (sign-in flows: tests/identity.rs)",
    ),
    r(
        "GET",
        "/.well-known/jwks.json",
        "/.well-known/jwks.json",
        Public,
        "AAAAA",
        "public keys",
    ),
    r(
        "GET",
        "/staff/identity/relink",
        "/staff/identity/relink",
        Admin,
        "DADDA",
        "admin only",
    ),
    r(
        "POST",
        "/staff/identity/relink",
        "/staff/identity/relink",
        Admin,
        "DADDA",
        "admin only",
    ),
    r(
        "GET",
        "/sandbox/auth-and-sign/api/realms/{realm}/.well-known/openid-configuration",
        "/sandbox/auth-and-sign/api/realms/main/.well-known/openid-configuration",
        Public,
        "DDDDD",
        "SANDBOX provider; no identity provider configured here, so 404 (sign-in flows: tests/identity.rs)",
    ),
    r(
        "GET",
        "/sandbox/auth-and-sign/api/realms/{realm}/protocol/openid-connect/auth",
        "/sandbox/auth-and-sign/api/realms/main/protocol/openid-connect/auth",
        Public,
        "DDDDD",
        "SANDBOX provider; no identity provider configured here, so 404 (sign-in flows: tests/identity.rs)",
    ),
    r(
        "POST",
        "/sandbox/auth-and-sign/api/realms/{realm}/protocol/openid-connect/auth",
        "/sandbox/auth-and-sign/api/realms/main/protocol/openid-connect/auth",
        Public,
        "DDDDD",
        "SANDBOX provider; no identity provider configured here, so 404 (sign-in flows: tests/identity.rs)",
    ),
    r(
        "GET",
        "/sandbox/auth-and-sign/api/realms/{realm}/protocol/openid-connect/certs",
        "/sandbox/auth-and-sign/api/realms/main/protocol/openid-connect/certs",
        Public,
        "DDDDD",
        "SANDBOX provider; no identity provider configured here, so 404 (sign-in flows: tests/identity.rs)",
    ),
    r(
        "POST",
        "/sandbox/auth-and-sign/api/realms/{realm}/protocol/openid-connect/token",
        "/sandbox/auth-and-sign/api/realms/main/protocol/openid-connect/token",
        Public,
        "DDDDD",
        "SANDBOX provider: bad grant is a 400; no identity provider configured here, so 404 (sign-in flows: tests/identity.rs)",
    ),
    r(
        "GET",
        "/sandbox/auth-and-sign/api/realms/{realm}/protocol/openid-connect/userinfo",
        "/sandbox/auth-and-sign/api/realms/main/protocol/openid-connect/userinfo",
        Public,
        "DDDDD",
        "SANDBOX: needs the provider's access token; no identity provider configured here, so 404 (sign-in flows: tests/identity.rs)",
    ),
    // ── payments ──
    r(
        "POST",
        "/applications/{receipt}/pay",
        "/applications/{receipt}/pay",
        Resident,
        "DDDDA",
        "owner",
    ),
    r(
        "GET",
        "/payments/{id}/return",
        "/payments/999999/return",
        Resident,
        "DDDDD",
        "no such payment: 404 for all",
    ),
    r(
        "POST",
        "/api/v1/payments/webhook",
        "/api/v1/payments/webhook",
        Public,
        "DDDDD",
        "provider only: HMAC signature",
    ),
    r(
        "GET",
        "/staff/cases/{receipt}/fee",
        "/staff/cases/{receipt}/fee",
        Staff,
        "DDDDA",
        "the case's department",
    ),
    r(
        "POST",
        "/staff/cases/{receipt}/fee",
        "/staff/cases/{receipt}/fee",
        Staff,
        "DDDDA",
        "the case's department",
    ),
    r(
        "POST",
        "/staff/cases/{receipt}/refund",
        "/staff/cases/{receipt}/refund",
        Staff,
        "DDDDD",
        "the case's department",
    ),
    r(
        "GET",
        "/staff/payments",
        "/staff/payments",
        Admin,
        "DADDA",
        "会計 view",
    ),
    r(
        "GET",
        "/staff/payments/reconcile.csv",
        "/staff/payments/reconcile.csv",
        Admin,
        "DADDA",
        "会計 view",
    ),
    r(
        "POST",
        "/api/sandbox/pay/v1/payments",
        "/api/sandbox/pay/v1/payments",
        Public,
        "DDDDD",
        "SANDBOX provider API: its API key",
    ),
    r(
        "GET",
        "/api/sandbox/pay/v1/payments/{id}",
        "/api/sandbox/pay/v1/payments/x",
        Public,
        "DDDDD",
        "SANDBOX provider API: its API key",
    ),
    r(
        "POST",
        "/api/sandbox/pay/v1/payments/{id}/expire",
        "/api/sandbox/pay/v1/payments/x/expire",
        Public,
        "DDDDD",
        "SANDBOX provider API: its API key",
    ),
    r(
        "POST",
        "/api/sandbox/pay/v1/payments/{id}/refunds",
        "/api/sandbox/pay/v1/payments/x/refunds",
        Public,
        "DDDDD",
        "SANDBOX provider API: its API key",
    ),
    r(
        "GET",
        "/api/sandbox/pay/v1/settlements",
        "/api/sandbox/pay/v1/settlements",
        Public,
        "AAAAA",
        "SANDBOX provider API: its API key; the empty body is refused (400) for everyone before the role check, nothing changes",
    ),
    r(
        "GET",
        "/sandbox/pay/checkout/{id}",
        "/sandbox/pay/checkout/x",
        Public,
        "DDDDD",
        "SANDBOX checkout: no such payment",
    ),
    r(
        "POST",
        "/sandbox/pay/checkout/{id}",
        "/sandbox/pay/checkout/x",
        Public,
        "DDDDD",
        "SANDBOX checkout: no such payment",
    ),
    // ── 手続きナビ ──
    r("GET", "/navi", "/navi", Public, "AAAAA", "public"),
    r(
        "GET",
        "/navi/{event}",
        "/navi/tennyu",
        Public,
        "AAAAA",
        "public",
    ),
    r(
        "GET",
        "/api/v1/navi/events",
        "/api/v1/navi/events",
        Public,
        "AAAAA",
        "public",
    ),
    r(
        "GET",
        "/api/v1/navi/events/{event}",
        "/api/v1/navi/events/tennyu",
        Public,
        "AAAAA",
        "public",
    ),
    r(
        "GET",
        "/api/v1/navi/events/{event}/checklist",
        "/api/v1/navi/events/tennyu/checklist",
        Public,
        "AAAAA",
        "public",
    ),
    r(
        "POST",
        "/line/webhook",
        "/line/webhook",
        Public,
        "DDDDD",
        "LINE only: x-line-signature; LINE not configured here, so 404 (tests/navi_line.rs)",
    ),
    r(
        "GET",
        "/sandbox/line",
        "/sandbox/line",
        Public,
        "AAAAA",
        "SANDBOX LINE chat",
    ),
    r(
        "POST",
        "/sandbox/line/send",
        "/sandbox/line/send",
        Public,
        "DDDDD",
        "SANDBOX LINE chat; LINE not configured here, so 404 (tests/navi_line.rs)",
    ),
    r(
        "GET",
        "/staff/navi",
        "/staff/navi",
        Dx,
        "DADAA",
        "any staff",
    ),
    r(
        "GET",
        "/staff/navi/counter",
        "/staff/navi/counter",
        Staff,
        "DADAA",
        "counter mode: any staff",
    ),
    r(
        "POST",
        "/staff/navi/counter/visits",
        "/staff/navi/counter/visits",
        Staff,
        "AAAAA",
        "counter mode: any staff; the empty body is refused (422) for everyone before the role check, nothing changes",
    ),
    r(
        "GET",
        "/staff/navi/counter/visits/{id}",
        "/staff/navi/counter/visits/999999",
        Staff,
        "DDDDD",
        "no such visit",
    ),
    r(
        "POST",
        "/staff/navi/counter/visits/{id}",
        "/staff/navi/counter/visits/999999",
        Staff,
        "DDDDD",
        "no such visit",
    ),
    r(
        "GET",
        "/staff/navi/counter/{event}",
        "/staff/navi/counter/tennyu",
        Staff,
        "DADAA",
        "counter mode: any staff",
    ),
    r(
        "GET",
        "/staff/navi/{event}",
        "/staff/navi/tennyu",
        Admin,
        "DADAA",
        "any staff may read; editing is the admin's",
    ),
    r(
        "GET",
        "/staff/navi/{event}/json",
        "/staff/navi/tennyu/json",
        Admin,
        "DADAA",
        "any staff may read; editing is the admin's",
    ),
    r(
        "GET",
        "/staff/navi/{event}/preview",
        "/staff/navi/tennyu/preview",
        Admin,
        "DDDDD",
        "no draft to preview: 404 for all",
    ),
    r(
        "POST",
        "/staff/navi/{event}/draft",
        "/staff/navi/tennyu/draft",
        Admin,
        "DADDA",
        "navi editors",
    ),
    r(
        "POST",
        "/staff/navi/{event}/save",
        "/staff/navi/tennyu/save",
        Admin,
        "AAAAA",
        "navi editors; the empty body is refused (422) for everyone before the role check, nothing changes",
    ),
    r(
        "POST",
        "/staff/navi/{event}/publish",
        "/staff/navi/tennyu/publish",
        Admin,
        "DADDA",
        "navi editors",
    ),
    r(
        "POST",
        "/staff/navi/{event}/discard",
        "/staff/navi/tennyu/discard",
        Admin,
        "DADDA",
        "navi editors",
    ),
    r(
        "GET",
        "/staff/navi/{event}/export",
        "/staff/navi/tennyu/export",
        Admin,
        "DADAA",
        "any staff may read; editing is the admin's",
    ),
    r(
        "POST",
        "/staff/navi/{event}/import",
        "/staff/navi/tennyu/import",
        Admin,
        "AAAAA",
        "navi editors; the empty body is refused (400) for everyone before the role check, nothing changes",
    ),
    r(
        "POST",
        "/staff/navi/{event}/questions",
        "/staff/navi/tennyu/questions",
        Admin,
        "DDDDD",
        "navi editors: admin; no draft, so 404 for the admin too",
    ),
    r(
        "GET",
        "/staff/navi/{event}/questions/{id}",
        "/staff/navi/tennyu/questions/q",
        Admin,
        "DDDDD",
        "navi editors: admin; no draft, so 404 for the admin too",
    ),
    r(
        "POST",
        "/staff/navi/{event}/questions/{id}",
        "/staff/navi/tennyu/questions/q",
        Admin,
        "DDDDD",
        "navi editors: admin; no draft, so 404 for the admin too",
    ),
    r(
        "POST",
        "/staff/navi/{event}/questions/{id}/delete",
        "/staff/navi/tennyu/questions/q/delete",
        Admin,
        "DDDDD",
        "navi editors: admin; no draft, so 404 for the admin too",
    ),
    r(
        "POST",
        "/staff/navi/{event}/questions/{id}/move",
        "/staff/navi/tennyu/questions/q/move",
        Admin,
        "DDDDD",
        "navi editors: admin; no draft, so 404 for the admin too",
    ),
    r(
        "POST",
        "/staff/navi/{event}/questions/{id}/options",
        "/staff/navi/tennyu/questions/q/options",
        Admin,
        "DDDDD",
        "navi editors: admin; no draft, so 404 for the admin too",
    ),
    r(
        "POST",
        "/staff/navi/{event}/questions/{id}/options/{value}/delete",
        "/staff/navi/tennyu/questions/q/options/v/delete",
        Admin,
        "DDDDD",
        "navi editors: admin; no draft, so 404 for the admin too",
    ),
    r(
        "POST",
        "/staff/navi/{event}/questions/{id}/start",
        "/staff/navi/tennyu/questions/q/start",
        Admin,
        "DDDDD",
        "navi editors: admin; no draft, so 404 for the admin too",
    ),
    r(
        "POST",
        "/staff/navi/{event}/procedures",
        "/staff/navi/tennyu/procedures",
        Admin,
        "DDDDD",
        "navi editors: admin; no draft, so 404 for the admin too",
    ),
    r(
        "GET",
        "/staff/navi/{event}/procedures/{id}",
        "/staff/navi/tennyu/procedures/p",
        Admin,
        "DDDDD",
        "navi editors: admin; no draft, so 404 for the admin too",
    ),
    r(
        "POST",
        "/staff/navi/{event}/procedures/{id}",
        "/staff/navi/tennyu/procedures/p",
        Admin,
        "DDDDD",
        "navi editors: admin; no draft, so 404 for the admin too",
    ),
    r(
        "POST",
        "/staff/navi/{event}/procedures/{id}/delete",
        "/staff/navi/tennyu/procedures/p/delete",
        Admin,
        "DDDDD",
        "navi editors: admin; no draft, so 404 for the admin too",
    ),
    r(
        "POST",
        "/staff/navi/{event}/procedures/{id}/move",
        "/staff/navi/tennyu/procedures/p/move",
        Admin,
        "DDDDD",
        "navi editors: admin; no draft, so 404 for the admin too",
    ),
    // ── Web口座振替 ──
    r(
        "GET",
        "/mypage/debit",
        "/mypage/debit",
        Resident,
        "DAADA",
        "own list",
    ),
    r(
        "GET",
        "/mypage/debit/{id}",
        "/mypage/debit/{mandate}",
        Resident,
        "DDDDD",
        "owner only",
    ),
    r(
        "GET",
        "/debit/new",
        "/debit/new",
        Resident,
        "DAADA",
        "signed-in residents",
    ),
    r(
        "GET",
        "/debit/new/bank",
        "/debit/new/bank",
        Resident,
        "DAADA",
        "signed-in residents",
    ),
    r(
        "GET",
        "/debit/new/branch",
        "/debit/new/branch",
        Resident,
        "DAADA",
        "signed-in residents",
    ),
    r(
        "GET",
        "/debit/new/account",
        "/debit/new/account",
        Resident,
        "DAADA",
        "signed-in residents",
    ),
    r(
        "POST",
        "/debit/new/account",
        "/debit/new/account",
        Resident,
        "DAADA",
        "signed-in residents",
    ),
    r(
        "POST",
        "/debit/new/confirm",
        "/debit/new/confirm",
        Resident,
        "DAADA",
        "signed-in residents",
    ),
    r(
        "POST",
        "/debit/{id}/retry",
        "/debit/{mandate}/retry",
        Resident,
        "DDDDD",
        "owner only",
    ),
    r(
        "GET",
        "/debit/return",
        "/debit/return",
        Public,
        "DAADA",
        "bank only: signed return",
    ),
    r(
        "GET",
        "/api/v1/kpi/debit-web-registrations",
        "/api/v1/kpi/debit-web-registrations",
        Public,
        "AAAAA",
        "KPI",
    ),
    r(
        "GET",
        "/staff/debit",
        "/staff/debit",
        Nozei,
        "DADDA",
        "staff",
    ),
    r(
        "GET",
        "/staff/debit/mandates.csv",
        "/staff/debit/mandates.csv",
        Nozei,
        "DADDA",
        "staff",
    ),
    r(
        "GET",
        "/staff/debit/mandates/{id}",
        "/staff/debit/mandates/{mandate}",
        Nozei,
        "DDDDD",
        "staff",
    ),
    r(
        "POST",
        "/staff/debit/mandates/{id}/status",
        "/staff/debit/mandates/{mandate}/status",
        Nozei,
        "DADDA",
        "staff",
    ),
    r(
        "POST",
        "/staff/debit/export",
        "/staff/debit/export",
        Nozei,
        "DADDA",
        "staff",
    ),
    r(
        "POST",
        "/staff/debit/results",
        "/staff/debit/results",
        Nozei,
        "AAAAA",
        "staff; the empty body is refused (400) for everyone before the role check, nothing changes",
    ),
    r(
        "GET",
        "/sandbox/bank/{code}",
        "/sandbox/bank/0001",
        Public,
        "AAAAA",
        "SANDBOX bank; the empty body is refused (400) for everyone before the role check, nothing changes",
    ),
    r(
        "POST",
        "/sandbox/bank/{code}/login",
        "/sandbox/bank/0001/login",
        Public,
        "AAAAA",
        "SANDBOX bank; the empty body is refused (400) for everyone before the role check, nothing changes",
    ),
    r(
        "POST",
        "/sandbox/bank/{code}/decide",
        "/sandbox/bank/0001/decide",
        Public,
        "AAAAA",
        "SANDBOX bank; the empty body is refused (400) for everyone before the role check, nothing changes",
    ),
    // ── Public facilities (issue 7) ──
    r(
        "GET",
        "/facilities",
        "/facilities",
        Public,
        "AAAAA",
        "facility list (each town its own)",
    ),
    r(
        "POST",
        "/facilities/reserve",
        "/facilities/reserve",
        Resident,
        "DDDDD",
        "the empty form names no facility: 404 for everyone (booking itself: tests/facilities.rs)",
    ),
    r(
        "GET",
        "/facilities/{id}",
        "/facilities/{facility}",
        Public,
        "ADAAA",
        "public; another town's host does not show 市川's facility",
    ),
    r(
        "GET",
        "/facilities/{id}/rooms/{room}",
        "/facilities/{facility}/rooms/{room}",
        Public,
        "ADAAA",
        "public free slots",
    ),
    r(
        "GET",
        "/facilities/{id}/rooms/{room}/confirm",
        "/facilities/{facility}/rooms/{room}/confirm",
        Resident,
        "DDDDD",
        "residents; without a slot the page is 404 for everyone (booking: tests/facilities.rs)",
    ),
    r(
        "GET",
        "/facilities/lotteries/{id}",
        "/facilities/lotteries/{lottery}",
        Public,
        "ADAAA",
        "public: the seed hash, the results",
    ),
    r(
        "POST",
        "/facilities/lotteries/{id}/enter",
        "/facilities/lotteries/{lottery}/enter",
        Resident,
        "DDADA",
        "residents of this town (the entry itself then needs a user ID)",
    ),
    r(
        "GET",
        "/mypage/facilities",
        "/mypage/facilities",
        Resident,
        "DAADA",
        "own user ID and bookings",
    ),
    r(
        "POST",
        "/mypage/facilities/renew",
        "/mypage/facilities/renew",
        Resident,
        "DDDDD",
        "own registration; the fixture residents have none to renew: 404",
    ),
    r(
        "POST",
        "/mypage/facilities/{pid}/cancel",
        "/mypage/facilities/999999/cancel",
        Resident,
        "DDDDD",
        "owner only (no such booking: 404 for everyone)",
    ),
    r(
        "POST",
        "/mypage/facilities/{pid}/confirm",
        "/mypage/facilities/999999/confirm",
        Resident,
        "DDDDD",
        "owner only (no such booking: 404 for everyone)",
    ),
    r(
        "POST",
        "/mypage/facilities/{pid}/pay",
        "/mypage/facilities/999999/pay",
        Resident,
        "DDDDD",
        "owner only (no such booking: 404 for everyone; someone else's booking: tests/facilities.rs)",
    ),
    r(
        "GET",
        "/api/v1/facilities",
        "/api/v1/facilities",
        Public,
        "AAAAA",
        "public API",
    ),
    r(
        "GET",
        "/api/v1/facilities/{id}/availability",
        "/api/v1/facilities/{facility}/availability?room={room}&date=2027-04-10",
        Public,
        "ADAAA",
        "public API; another town's host: 404",
    ),
    r(
        "POST",
        "/api/v1/reservations",
        "/api/v1/reservations",
        Resident,
        "DAADA",
        "bearer token of a resident; the empty body is refused (422), books nothing",
    ),
    r(
        "POST",
        "/api/v1/reservations/{id}/cancel",
        "/api/v1/reservations/999999/cancel",
        Resident,
        "DDDDD",
        "owner only (no such booking: 404; a staff token: 403)",
    ),
    r(
        "POST",
        "/api/v1/reservations/{id}/change",
        "/api/v1/reservations/999999/change",
        Resident,
        "DAADA",
        "residents; the empty body is refused (422) after the resident check (someone else's booking: tests/facilities.rs)",
    ),
    r(
        "GET",
        "/api/v1/kpi/facilities-online-registration",
        "/api/v1/kpi/facilities-online-registration",
        Public,
        "AAAAA",
        "KPI",
    ),
    r(
        "GET",
        "/staff/facilities",
        "/staff/facilities",
        Admin,
        "DADDA",
        "admin and the facilities departments",
    ),
    r(
        "POST",
        "/staff/facilities/users/{number}/link",
        "/staff/facilities/users/999999/link",
        Admin,
        "DADDA",
        "admin and the facilities departments; the empty form is refused",
    ),
    r(
        "GET",
        "/staff/facilities/lotteries/new",
        "/staff/facilities/lotteries/new",
        Admin,
        "DADDA",
        "admin and the facilities departments (the form that creates a lottery)",
    ),
    r(
        "POST",
        "/staff/facilities/lotteries",
        "/staff/facilities/lotteries",
        Admin,
        "DADDA",
        "admin and the facilities departments; the empty form is refused (400, nothing created)",
    ),
    r(
        "POST",
        "/staff/facilities/refunds",
        "/staff/facilities/refunds",
        Admin,
        "DADDA",
        "admin and the facilities departments; with nothing due it changes nothing",
    ),
    r(
        "POST",
        "/staff/facilities/reviews/{pid}",
        "/staff/facilities/reviews/999999",
        Admin,
        "DDDDD",
        "admin and the facilities departments; no such booking: 404 for the admin too",
    ),
    // ── Road ledger (issue 8) ──
    r(
        "GET",
        "/roads/routes/{id}",
        "/roads/routes/{road_route}",
        Public,
        "ADAAA",
        "public 調書; another town's host: 404",
    ),
    r(
        "GET",
        "/roads/map",
        "/roads/map",
        Public,
        "AAAAA",
        "public map",
    ),
    r(
        "GET",
        "/roads/list",
        "/roads/list",
        Public,
        "AAAAA",
        "public list view",
    ),
    r(
        "GET",
        "/roads/list/{id}",
        "/roads/list/{road_route}",
        Public,
        "ADAAA",
        "public list view of one route",
    ),
    r(
        "GET",
        "/roads/tiles/{z}/{x}/{y}",
        "/roads/tiles/15/29126/12909",
        Public,
        "AAAAA",
        "public vector tiles (another town: its own, empty)",
    ),
    r(
        "GET",
        "/staff/roads/map/sections/{id}",
        "/staff/roads/map/sections/{road_section}",
        Admin,
        "DDDDA",
        "admin and 道路管理課; another town cannot see 市川's section",
    ),
    r(
        "POST",
        "/staff/roads/map/sections/{id}",
        "/staff/roads/map/sections/{road_section}",
        Admin,
        "DDDDA",
        "admin and 道路管理課; the empty form is refused, nothing changes",
    ),
    r(
        "GET",
        "/staff/roads",
        "/staff/roads",
        Admin,
        "DADDA",
        "admin and 道路管理課; another town's admin sees its own routes",
    ),
    r(
        "GET",
        "/staff/roads/new",
        "/staff/roads/new",
        Admin,
        "DADDA",
        "new route form: admin and 道路管理課; another town's admin registers in its own ledger",
    ),
    r(
        "POST",
        "/staff/roads/new",
        "/staff/roads/new",
        Admin,
        "DADDA",
        "new route: the empty form is refused (422), nothing is created",
    ),
    r(
        "POST",
        "/staff/roads/routes/{id}/abolish",
        "/staff/roads/routes/{road_route}/abolish",
        Admin,
        "DDDDA",
        "廃止: the empty form is refused (422), nothing changes; another town cannot touch 市川's route",
    ),
    r(
        "GET",
        "/staff/roads/routes/{id}",
        "/staff/roads/routes/{road_route}",
        Admin,
        "DDDDA",
        "route form: admin and 道路管理課; another town cannot see 市川's route",
    ),
    r(
        "POST",
        "/staff/roads/routes/{id}",
        "/staff/roads/routes/{road_route}",
        Admin,
        "DDDDA",
        "route form: the empty form is refused (422), nothing changes",
    ),
    r(
        "GET",
        "/staff/roads/routes/{id}/sheet",
        "/staff/roads/routes/{road_route}/sheet",
        Admin,
        "DDDDA",
        "調書 form: admin and 道路管理課",
    ),
    r(
        "POST",
        "/staff/roads/routes/{id}/sheet",
        "/staff/roads/routes/{road_route}/sheet",
        Admin,
        "DDDDA",
        "調書 form: the empty form is refused (422), no new version",
    ),
    r(
        "GET",
        "/staff/roads/routes/{id}/history",
        "/staff/roads/routes/{road_route}/history",
        Admin,
        "DDDDA",
        "route history: admin and 道路管理課",
    ),
    r(
        "GET",
        "/staff/roads/routes/{id}/sheet/history",
        "/staff/roads/routes/{road_route}/sheet/history",
        Admin,
        "DDDDA",
        "調書 history: admin and 道路管理課",
    ),
    r(
        "GET",
        "/staff/roads/sections/{id}/history",
        "/staff/roads/sections/{road_section}/history",
        Admin,
        "DDDDA",
        "section history: admin and 道路管理課",
    ),
    r(
        "GET",
        "/api/v1/kpi/road-ledger-views",
        "/api/v1/kpi/road-ledger-views",
        Public,
        "AAAAA",
        "KPI",
    ),
    r("GET", "/ogc", "/ogc", Public, "AAAAA", "OGC API landing"),
    r("GET", "/ogc/", "/ogc/", Public, "AAAAA", "OGC API landing"),
    r(
        "GET",
        "/ogc/api",
        "/ogc/api",
        Public,
        "AAAAA",
        "OGC API OpenAPI 3.0",
    ),
    r(
        "GET",
        "/ogc/api.html",
        "/ogc/api.html",
        Public,
        "AAAAA",
        "OGC API document page",
    ),
    r(
        "GET",
        "/ogc/conformance",
        "/ogc/conformance",
        Public,
        "AAAAA",
        "OGC conformance",
    ),
    r(
        "GET",
        "/ogc/collections",
        "/ogc/collections",
        Public,
        "AAAAA",
        "OGC collections",
    ),
    r(
        "GET",
        "/ogc/collections/{cid}",
        "/ogc/collections/sections",
        Public,
        "AAAAA",
        "OGC collection",
    ),
    r(
        "GET",
        "/ogc/collections/{cid}/items",
        "/ogc/collections/sections/items",
        Public,
        "AAAAA",
        "OGC items (each town its own)",
    ),
    r(
        "GET",
        "/ogc/collections/{cid}/items/{fid}",
        "/ogc/collections/sections/items/{road_section}",
        Public,
        "ADAAA",
        "OGC item; another town: 404",
    ),
];

/// Routes that are declared in the code but not on the main router (own listeners).
const NOT_ON_MAIN_ROUTER: &[(&str, &str)] = &[
    (
        "src/server.rs",
        "metrics and ceiling listeners (tests/cli.rs)",
    ),
    (
        "src/navi/sandbox.rs",
        "the LINE sandbox's own server (tests/navi_line.rs)",
    ),
];

/// Every (method, path) declared with `.route(` in `src/**/*.rs`, with constants resolved.
fn routes_in_code() -> BTreeSet<(String, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read src").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            let rel = p
                .strip_prefix(src.parent().expect("crate"))
                .expect("rel")
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read_to_string(p).expect("read"))
        })
        .collect();
    let const_re = regex::Regex::new(r#"const ([A-Z_]+): &str = "([^"]*)";"#).expect("re");
    let resolve = |file: &str, text: &str, name: &str| -> String {
        let name = name.rsplit("::").next().unwrap_or(name);
        let local: Vec<String> = const_re
            .captures_iter(text)
            .filter(|c| &c[1] == name)
            .map(|c| c[2].to_owned())
            .collect();
        if let [v] = local.as_slice() {
            return v.clone();
        }
        let all: Vec<String> = texts
            .iter()
            .flat_map(|(_, t)| const_re.captures_iter(t).collect::<Vec<_>>())
            .filter(|c| &c[1] == name)
            .map(|c| c[2].to_owned())
            .collect();
        match all.as_slice() {
            [v] => v.clone(),
            _ => panic!("{file}: cannot resolve the route constant {name} ({all:?})"),
        }
    };
    let method_re =
        regex::Regex::new(r"(?:^|[^A-Za-z0-9_])(get|post|put|delete|patch)\(").expect("re");
    let ident_re = regex::Regex::new(r"\{([A-Z_]+)\}").expect("re");
    let mut out = BTreeSet::new();
    for (file, text) in &texts {
        if NOT_ON_MAIN_ROUTER.iter().any(|(f, _)| f == file) {
            continue;
        }
        let bytes = text.as_bytes();
        let mut from = 0;
        while let Some(i) = text[from..].find(".route(") {
            let start = from + i + ".route(".len();
            let (mut depth, mut j) = (1, start);
            while depth > 0 {
                match bytes[j] {
                    b'(' => depth += 1,
                    b')' => depth -= 1,
                    _ => {}
                }
                j += 1;
            }
            let inner = &text[start..j - 1];
            from = j;
            let (mut d, mut split) = (0, inner.len());
            for (k, c) in inner.char_indices() {
                match c {
                    '(' | '[' | '{' => d += 1,
                    ')' | ']' | '}' => d -= 1,
                    ',' if d == 0 => {
                        split = k;
                        break;
                    }
                    _ => {}
                }
            }
            let first = inner[..split].trim();
            let rest = &inner[split..];
            let path = if let Some(lit) = first
                .strip_prefix("&format!(\"")
                .and_then(|s| s.strip_suffix("\")"))
            {
                let with = ident_re
                    .replace_all(lit, |c: &regex::Captures| resolve(file, text, &c[1]))
                    .into_owned();
                with.replace("{{", "{").replace("}}", "}")
            } else if let Some(lit) = first.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                lit.to_owned()
            } else {
                resolve(file, text, first)
            };
            for m in method_re.captures_iter(rest) {
                out.insert((m[1].to_ascii_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Actor {
    Anon,
    Tenant,
    Other,
    Dept,
    Right,
}
const ACTORS: [Actor; 5] = [
    Actor::Anon,
    Actor::Tenant,
    Actor::Other,
    Actor::Dept,
    Actor::Right,
];

/// The account (municipality, e-mail) an actor uses for a row; None for nobody.
fn account(actor: Actor, owner: Owner) -> Option<(&'static str, &'static str)> {
    let staffish = matches!(owner, Staff | Admin | Dx | Nozei);
    match actor {
        Actor::Anon => None,
        Actor::Tenant if staffish => Some((SHISUI, "admin@town.shisui.example.jp")),
        Actor::Tenant => Some((SHISUI, "taro@example.jp")),
        Actor::Other => Some((ICHIKAWA, OTHER_RESIDENT)),
        Actor::Dept if owner == Nozei => Some((ICHIKAWA, SHIMIN_STAFF)),
        Actor::Dept => Some((ICHIKAWA, OTHER_DEPT)),
        Actor::Right => Some((
            ICHIKAWA,
            match owner {
                Public | Resident => HANAKO,
                Staff => SHIMIN_STAFF,
                Admin => ADMIN,
                Dx => DX,
                Nozei => OTHER_DEPT,
            },
        )),
    }
}

struct Creds {
    session: String,
    token: String,
}

async fn creds(
    db: &Db,
    tokens: &BTreeMap<(String, String), String>,
    m: &str,
    email: &str,
) -> Creds {
    let rows: Vec<(i64,)> = common::fetch_raw(
        db,
        &format!("SELECT id FROM users WHERE email = '{email}' AND municipality_id = '{m}'"),
    )
    .await;
    let uid = rows.first().unwrap_or_else(|| panic!("no user {email}")).0;
    let mut tx = db.begin().await.expect("tx");
    let session = madoguchi::auth::store::create_session(&mut tx, uid, m, 3_600_000)
        .await
        .expect("session");
    tx.commit().await.expect("commit");
    Creds {
        session,
        token: tokens[&(m.to_owned(), email.to_owned())].clone(),
    }
}

fn classify(r: &Resp) -> char {
    let s = r.status.as_u16();
    if s >= 500 {
        return 'E';
    }
    if matches!(s, 401 | 403 | 404) {
        return 'D';
    }
    if r.status.is_redirection() {
        let loc = r.location();
        let path = path_of(loc);
        if path.starts_with("/login") || path.starts_with("/staff/login") {
            return 'D';
        }
    }
    'A'
}

async fn call(
    app: &TestApp,
    actor: Actor,
    creds: Option<&Creds>,
    method: &str,
    path: &str,
) -> Resp {
    let host = if actor == Actor::Tenant {
        SHISUI_HOST
    } else {
        ICHIKAWA_HOST
    };
    let mut c = app.client(host);
    let csrf = "c".repeat(43);
    c.cookies.insert("__Host-csrf".into(), csrf.clone());
    let mut headers: Vec<(&str, String)> = Vec::new();
    if let Some(cr) = creds {
        c.cookies
            .insert("__Host-session".into(), cr.session.clone());
        if path.starts_with("/api/v1/") {
            headers.push(("authorization", format!("Bearer {}", cr.token)));
        }
    }
    let hdrs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    match method {
        "GET" => c.get_with(path, &hdrs).await,
        "POST" => {
            let json = path.starts_with("/api/")
                || path.starts_with("/passkeys/")
                || path == "/line/webhook";
            if json {
                let mut h = hdrs.clone();
                h.push(("x-csrf-token", &csrf));
                c.post_json_with(path, &serde_json::json!({}), &h).await
            } else {
                c.post_raw(path, &[("csrf", &csrf)], &hdrs).await
            }
        }
        m => panic!("no client for method {m}"),
    }
}

db_test!(
    every_route_allows_exactly_the_right_people,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let f = Fixture::new(&app).await;
        let receipt = new_case(&app, &f, "authz-1").await;
        let passkey = "999999".to_owned();
        let mandate = "999999".to_owned();
        // 市川市's objects of the facilities and roads demos.
        madoguchi::roads::demo::load_into(&db, ICHIKAWA)
            .await
            .expect("roads demo");
        let first = |sql: &'static str| {
            let db = db.clone();
            async move { common::fetch_raw::<(i64,)>(&db, sql).await[0].0 }
        };
        let facility =
            first("SELECT MIN(id) FROM fac_facilities WHERE municipality_id = '122033'").await;
        let room = first("SELECT MIN(id) FROM fac_rooms WHERE facility_id = (SELECT MIN(id) FROM fac_facilities WHERE municipality_id = '122033')").await;
        let lottery = first("SELECT MIN(id) FROM fac_lotteries").await;
        let road_route =
            first("SELECT MIN(id) FROM road_routes WHERE municipality_id = '122033' AND public")
                .await;
        let road_section =
            first("SELECT MIN(id) FROM road_sections WHERE municipality_id = '122033' AND public")
                .await;

        // Every account gets a bearer token with every scope, created once.
        let mut tokens = BTreeMap::new();
        for (m, email) in [
            (ICHIKAWA, HANAKO),
            (ICHIKAWA, SHIMIN_STAFF),
            (ICHIKAWA, ADMIN),
            (ICHIKAWA, DX),
            (ICHIKAWA, OTHER_RESIDENT),
            (ICHIKAWA, OTHER_DEPT),
            (SHISUI, "taro@example.jp"),
            (SHISUI, "admin@town.shisui.example.jp"),
        ] {
            let (_, secret) = madoguchi::admin::create_token(&db, m, email, "*")
                .await
                .expect("token");
            tokens.insert((m.to_owned(), email.to_owned()), secret);
        }

        // 1. The table covers exactly the routes in the code and the OpenAPI document.
        let code = routes_in_code();
        let table: BTreeSet<(String, String)> = TABLE
            .iter()
            .map(|r| (r.method.to_owned(), r.route.to_owned()))
            .collect();
        assert_eq!(table.len(), TABLE.len(), "a route is listed twice in TABLE");
        let missing: Vec<_> = code.difference(&table).collect();
        let stale: Vec<_> = table.difference(&code).collect();
        assert!(
            missing.is_empty() && stale.is_empty(),
            "routes without a row in tests/authz_matrix.rs TABLE: {missing:#?}\nrows for routes not in the code: {stale:#?}"
        );
        let mut c = app.client(ICHIKAWA_HOST);
        let doc = c.get("/api/v1/openapi.json").await.json();
        for (path, ops) in doc["paths"].as_object().expect("paths") {
            for method in ops.as_object().expect("ops").keys() {
                let key = (method.to_ascii_uppercase(), path.clone());
                assert!(
                    table.contains(&key),
                    "OpenAPI operation {key:?} has no row in TABLE"
                );
            }
        }

        // 2. Every row as every actor.
        let mut failures = Vec::new();
        let mut observed = Vec::new();
        let mut cells = 0;
        for row in TABLE {
            let path = row
                .call
                .replace("{receipt}", &receipt)
                .replace("{proc}", &f.procedure_id.to_string())
                .replace("{passkey}", &passkey)
                .replace("{mandate}", &mandate)
                .replace("{facility}", &facility.to_string())
                .replace("{room}", &room.to_string())
                .replace("{lottery}", &lottery.to_string())
                .replace("{road_route}", &road_route.to_string())
                .replace("{road_section}", &road_section.to_string());
            let mut got = String::new();
            let mut statuses = Vec::new();
            for actor in ACTORS {
                let cr = match account(actor, row.owner) {
                    Some((m, email)) => Some(creds(&db, &tokens, m, email).await),
                    None => None,
                };
                let resp = call(&app, actor, cr.as_ref(), row.method, &path).await;
                cells += 1;
                let letter = classify(&resp);
                got.push(letter);
                statuses.push(format!(
                    "{}{}",
                    resp.status.as_u16(),
                    if resp.status.is_redirection() {
                        format!("→{}", path_of(resp.location()))
                    } else {
                        String::new()
                    }
                ));
                if letter == 'E' {
                    failures.push(format!(
                        "{} {path} as {actor:?}: {} {}",
                        row.method,
                        resp.status,
                        resp.body.chars().take(200).collect::<String>()
                    ));
                }
            }
            if got != row.expect {
                failures.push(format!(
                    "{} {} ({:?}, {}): expected {}, got {got} {statuses:?}",
                    row.method, path, row.owner, row.note, row.expect
                ));
            }
            observed.push(format!("{} {} {got} {statuses:?}", row.method, row.route));
        }
        assert_eq!(cells, TABLE.len() * ACTORS.len());
        eprintln!(
            "authorization matrix: {} routes × {} actors = {cells} calls",
            TABLE.len(),
            ACTORS.len()
        );
        assert!(
            failures.is_empty(),
            "{} cells differ from the table:\n{}\n\nobserved:\n{}",
            failures.len(),
            failures.join("\n"),
            observed.join("\n")
        );
        assert_audit_intact(&db).await;
    }
);
