//! The JSON API under /api/v1 for RPA and other city systems (plan 3-1). Callers authenticate
//! with bearer tokens created by `madoguchi admin token create`; a token works only on its own
//! municipality's host. The OpenAPI document is generated from the handlers (utoipa).

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::auth::store::{self, ApiTokenRow, UserRow};
use crate::web::AppState;
use crate::web::error::json_error;

#[derive(OpenApi)]
#[openapi(
    info(title = "Madoguchi API", version = "1", description = "JSON API of the Madoguchi digital city hall."),
    paths(
        me,
        municipality,
        crate::procedures::api::list,
        crate::procedures::api::get_one,
        crate::procedures::api::kpi,
    ),
    components(schemas(
        Me,
        Municipality,
        ErrorBody,
        ErrorDetail,
        crate::procedures::api::Procedure,
        crate::procedures::api::DepartmentRef,
        crate::procedures::model::IdentityLevel,
        crate::procedures::model::LifeEvent,
        crate::procedures::model::OnlineKpi,
    )),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/me", get(me))
        .route("/api/v1/municipality", get(municipality))
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi_doc())
}

/// The whole OpenAPI document: the foundation's paths and each module's `ApiDoc`.
pub fn openapi_doc() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::procedures::application::ApiDoc::openapi());
    doc.merge(crate::procedures::runner::ApiDoc::openapi());
    doc.merge(crate::procedures::editor::ApiDoc::openapi());
    doc.merge(crate::postal::ApiDoc::openapi());
    doc.merge(crate::navi::ApiDoc::openapi());
    doc.merge(crate::documents::routes::ApiDoc::openapi());
    doc.merge(crate::payments::ApiDoc::openapi());
    doc.merge(crate::debit::ApiDoc::openapi());
    doc.merge(crate::facilities::ApiDoc::openapi());
    doc.merge(crate::roads::ApiDoc::openapi());
    doc
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `unauthorized`.
    code: String,
    /// Human-readable message (Japanese unless the `lang=en` cookie is set).
    message: String,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

/// A caller authenticated by a bearer token.
pub struct ApiCaller {
    pub token: ApiTokenRow,
    pub user: UserRow,
}

pub struct ApiRejection(StatusCode, &'static str, &'static str);

impl IntoResponse for ApiRejection {
    fn into_response(self) -> Response {
        let mut r = json_error(self.0, self.1, self.2);
        if self.0 == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        r
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiRejection;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let unauthorized = ApiRejection(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "有効なアクセストークンが必要です。 A valid bearer token is required.",
        );
        let internal = || {
            ApiRejection(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "システムで問題が起きました。 Something went wrong.",
            )
        };
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiRejection(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "有効なアクセストークンが必要です。 A valid bearer token is required.",
            ))?;
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let tenant = st.tenant_for_host(host).await.map_err(|_| internal())?;
        let token = store::find_api_token(&st.db, secret)
            .await
            .map_err(|_| internal())?
            .ok_or(unauthorized)?;
        if token.revoked_at.is_some() || token.municipality_id != tenant.id {
            tracing::warn!(
                token = token.id,
                "API token refused (revoked or other municipality)"
            );
            return Err(ApiRejection(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "有効なアクセストークンが必要です。 A valid bearer token is required.",
            ));
        }
        let user = store::find_user(&st.db, token.user_id)
            .await
            .map_err(|_| internal())?;
        let Some(user) = user.filter(|u| u.disabled_at.is_none()) else {
            return Err(ApiRejection(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "有効なアクセストークンが必要です。 A valid bearer token is required.",
            ));
        };
        let now = crate::db::now_ms();
        if token
            .last_used_at
            .is_none_or(|t| now - t >= store::TOKEN_TOUCH_INTERVAL_MS)
        {
            let _ = store::touch_api_token(&st.db, token.id).await;
        }
        Ok(ApiCaller { token, user })
    }
}

impl ApiCaller {
    /// Scopes are space-separated; `*` grants all.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.token
            .scope
            .split_whitespace()
            .any(|s| s == scope || s == "*")
    }

    /// 403 unless the token carries `scope`.
    pub fn require_scope(&self, scope: &'static str) -> Result<(), ApiRejection> {
        if self.has_scope(scope) {
            return Ok(());
        }
        tracing::warn!(token = self.token.id, scope, "API token lacks the scope");
        Err(ApiRejection(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "このアクセストークンには、この操作の権限（スコープ）がありません。 The token lacks the scope for this call.",
        ))
    }
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    id: i64,
    municipality: String,
    kind: String,
    name: String,
    email: String,
    role: Option<String>,
    token_id: i64,
    scope: String,
}

/// The account and token behind the bearer token.
#[utoipa::path(get, path = "/api/v1/me", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn me(caller: ApiCaller) -> Result<Json<Me>, ApiRejection> {
    caller.require_scope("api:read")?;
    Ok(Json(Me {
        id: caller.user.id,
        municipality: caller.user.municipality_id.clone(),
        kind: caller.user.kind.clone(),
        name: caller.user.name.clone(),
        email: caller.user.email.clone(),
        role: caller.user.role.clone(),
        token_id: caller.token.id,
        scope: caller.token.scope.clone(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Municipality {
    /// 全国地方公共団体コード (6 digits).
    code: String,
    name_ja: String,
    name_en: String,
}

/// The municipality this host serves (public).
#[utoipa::path(get, path = "/api/v1/municipality", responses((status = 200, body = Municipality)))]
async fn municipality(
    State(st): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Json<Municipality>, Response> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let m = st.tenant_for_host(host).await.map_err(|_| {
        json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "システムで問題が起きました。",
        )
    })?;
    Ok(Json(Municipality {
        code: m.id,
        name_ja: m.name_ja,
        name_en: m.name_en,
    }))
}
