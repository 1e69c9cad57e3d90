//! OGC API – Features under `/ogc`: Part 1 Core 1.0.1 (core, geojson, html, oas30) and Part 2
//! CRS by Reference 1.0.1. Public data only (`public = TRUE`). See docs/roads.md for the
//! conformance notes; tests/roads_ogc.rs has one test per abstract test.
//!
//! * `limit` 1‥[`MAX_LIMIT`], default [`DEFAULT_LIMIT`], larger values are clamped; `offset`
//!   pages (`next` / `prev` links). `numberMatched` is exact, and omitted for bbox queries
//!   (the bbox index finds candidates, the exact intersection is tested here).
//! * `bbox` (4 or 6 numbers) in `bbox-crs` (default CRS84), `datetime` (RFC 3339 instant or
//!   interval, `..` open) on the last-correction time `updated_at`, `crs` for the output.
//! * Unknown parameters and invalid values answer 400 with an OGC exception body.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use geo::Intersects;
use serde_json::{Map, Value, json};

use super::crs::Crs;
use super::model::{self, AreaLine, BoundaryPoint, ControlPoint, Facility, Route, Section};
use super::store::{self, Filter, Layer};
use super::views::ViewCounter;
use crate::web::AppState;
use crate::web::i18n::Lang;

pub const DEFAULT_LIMIT: u64 = 10;
pub const MAX_LIMIT: u64 = 1000;

pub const CONFORMANCE: [&str; 5] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
];

pub const OAS30_TYPE: &str = "application/vnd.oai.openapi+json;version=3.0";
const GEOJSON: &str = "application/geo+json";
const JSON: &str = "application/json";
const HTML: &str = "text/html";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ogc", get(landing))
        .route("/ogc/", get(landing))
        .route("/ogc/api", get(api_doc))
        .route("/ogc/api.html", get(api_html))
        .route("/ogc/conformance", get(conformance))
        .route("/ogc/collections", get(collections))
        .route("/ogc/collections/{cid}", get(collection))
        .route("/ogc/collections/{cid}/items", get(items))
        .route("/ogc/collections/{cid}/items/{fid}", get(item))
}

/// The public collections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coll {
    Routes,
    Sections,
    AreaLines,
    BoundaryPoints,
    ControlPoints,
    Facilities,
}

impl Coll {
    pub const ALL: [Coll; 6] = [
        Coll::Routes,
        Coll::Sections,
        Coll::AreaLines,
        Coll::BoundaryPoints,
        Coll::ControlPoints,
        Coll::Facilities,
    ];
    pub fn id(self) -> &'static str {
        match self {
            Coll::Routes => "routes",
            Coll::Sections => "sections",
            Coll::AreaLines => "area-lines",
            Coll::BoundaryPoints => "boundary-points",
            Coll::ControlPoints => "control-points",
            Coll::Facilities => "facilities",
        }
    }
    pub fn parse(s: &str) -> Option<Coll> {
        Coll::ALL.into_iter().find(|c| c.id() == s)
    }
    fn title(self, l: Lang) -> &'static str {
        l.t(match self {
            Coll::Routes => "roads.coll.routes",
            Coll::Sections => "roads.coll.sections",
            Coll::AreaLines => "roads.coll.area_lines",
            Coll::BoundaryPoints => "roads.coll.boundary_points",
            Coll::ControlPoints => "roads.coll.control_points",
            Coll::Facilities => "roads.coll.facilities",
        })
    }
    fn description(self, l: Lang) -> &'static str {
        l.t(match self {
            Coll::Routes => "roads.coll.routes_desc",
            Coll::Sections => "roads.coll.sections_desc",
            Coll::AreaLines => "roads.coll.area_lines_desc",
            Coll::BoundaryPoints => "roads.coll.boundary_points_desc",
            Coll::ControlPoints => "roads.coll.control_points_desc",
            Coll::Facilities => "roads.coll.facilities_desc",
        })
    }
}

// ---- request handling ------------------------------------------------------------------------

/// An OGC exception (400 / 404 / 500) with `{"code", "description"}`.
pub struct OgcError(StatusCode, &'static str, String);

impl IntoResponse for OgcError {
    fn into_response(self) -> Response {
        let mut r = (
            self.0,
            [(header::CONTENT_TYPE, JSON)],
            json!({ "code": self.1, "description": self.2 }).to_string(),
        )
            .into_response();
        cors(&mut r);
        r
    }
}

fn bad(msg: impl Into<String>) -> OgcError {
    OgcError(StatusCode::BAD_REQUEST, "InvalidParameterValue", msg.into())
}

fn not_found(msg: impl Into<String>) -> OgcError {
    OgcError(StatusCode::NOT_FOUND, "NotFound", msg.into())
}

impl From<sqlx::Error> for OgcError {
    fn from(e: sqlx::Error) -> OgcError {
        tracing::error!(error = %e, "ogc api query");
        OgcError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServerError",
            "internal error".into(),
        )
    }
}

fn cors(r: &mut Response) {
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    Json,
    Html,
}

struct Req {
    params: Vec<(String, String)>,
    format: Format,
    lang: Lang,
    base: String,
    municipality: String,
}

/// Parses the query (refusing names outside `allowed`), picks the format (`f`, else `Accept`)
/// and the municipality.
async fn req(
    st: &AppState,
    headers: &HeaderMap,
    raw: &Option<String>,
    allowed: &[&str],
) -> Result<Req, OgcError> {
    let params: Vec<(String, String)> =
        form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    for (k, _) in &params {
        if k != "f" && k != "lang" && !allowed.contains(&k.as_str()) {
            return Err(bad(format!("unknown query parameter {k:?}")));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (k, _) in &params {
        if !seen.insert(k.as_str()) {
            return Err(bad(format!("query parameter {k:?} given more than once")));
        }
    }
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let format = match get("f") {
        Some("json") | Some("geojson") => Format::Json,
        Some("html") => Format::Html,
        Some(other) => return Err(bad(format!("f={other:?}: use json or html"))),
        None => {
            let accept = headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if accept.contains("text/html") {
                Format::Html
            } else {
                Format::Json
            }
        }
    };
    let lang = match get("lang") {
        Some("en") => Lang::En,
        Some("ja") | None => Lang::Ja,
        Some(other) => return Err(bad(format!("lang={other:?}: use ja or en"))),
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let m = st
        .tenant_for_host(host)
        .await
        .map_err(|_| not_found("no municipality is served at this host"))?;
    Ok(Req {
        format,
        lang,
        base: format!("{}/ogc", st.base_url_for(host)),
        municipality: m.id,
        params,
    })
}

impl Req {
    fn get(&self, k: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
    /// The query string of this request with `changes` applied (None removes), for links.
    fn query_with(&self, changes: &[(&str, Option<String>)]) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.params {
            if !changes.iter().any(|(c, _)| c == k) {
                out.append_pair(k, v);
            }
        }
        for (k, v) in changes {
            if let Some(v) = v {
                out.append_pair(k, v);
            }
        }
        let s = out.finish();
        if s.is_empty() { s } else { format!("?{s}") }
    }
    fn crs(&self, name: &str) -> Result<Crs, OgcError> {
        match self.get(name) {
            None => Ok(Crs::Crs84),
            Some(v) => Crs::parse(v).ok_or_else(|| {
                bad(format!(
                    "{name}={v:?} is not offered: use {}",
                    Crs::ALL.map(Crs::uri).join(", ")
                ))
            }),
        }
    }
}

fn link(href: String, rel: &str, typ: &str, title: &str) -> Value {
    json!({ "href": href, "rel": rel, "type": typ, "title": title })
}

fn json_response(body: Value, typ: &'static str, content_crs: Option<Crs>) -> Response {
    let mut r = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, typ)],
        body.to_string(),
    )
        .into_response();
    if let Some(c) = content_crs
        && let Ok(v) = HeaderValue::from_str(&format!("<{}>", c.uri()))
    {
        r.headers_mut()
            .insert(header::HeaderName::from_static("content-crs"), v);
    }
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    cors(&mut r);
    r
}

// ---- HTML ------------------------------------------------------------------------------------

/// One generic page for every OGC resource in HTML (the `html` conformance class).
#[derive(Template)]
#[template(path = "roads/ogc.html")]
struct OgcPage {
    lang: &'static str,
    l: Lang,
    title: String,
    lead: String,
    links: Vec<(String, String)>,
    facts: Vec<(String, String)>,
    table: Option<HtmlTable>,
    paging: Vec<(String, String)>,
    json_href: String,
}

struct HtmlTable {
    caption: String,
    headers: Vec<String>,
    /// (link to the row, cells).
    rows: Vec<(String, Vec<String>)>,
}

struct PageParts {
    title: String,
    lead: String,
    links: Vec<(String, String)>,
    facts: Vec<(String, String)>,
    table: Option<HtmlTable>,
    paging: Vec<(String, String)>,
    json_href: String,
}

fn html_response(l: Lang, p: PageParts) -> Result<Response, OgcError> {
    let page = OgcPage {
        lang: l.code(),
        l,
        title: p.title,
        lead: p.lead,
        links: p.links,
        facts: p.facts,
        table: p.table,
        paging: p.paging,
        json_href: p.json_href,
    };
    let body = page.render().map_err(|e| {
        tracing::error!(error = %e, "ogc html");
        OgcError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServerError",
            "internal error".into(),
        )
    })?;
    let mut r = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    cors(&mut r);
    Ok(r)
}

// ---- landing, API definition, conformance ----------------------------------------------------

async fn landing(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, OgcError> {
    let r = req(&st, &headers, &raw, &[]).await?;
    let b = &r.base;
    let l = r.lang;
    if r.format == Format::Html {
        return html_response(
            l,
            PageParts {
                title: l.t("roads.ogc.title").into(),
                lead: l.t("roads.ogc.lead").into(),
                links: vec![
                    (
                        format!("{b}/collections?f=html"),
                        l.t("roads.ogc.collections").into(),
                    ),
                    (
                        format!("{b}/conformance?f=html"),
                        l.t("roads.ogc.conformance").into(),
                    ),
                    (format!("{b}/api.html"), l.t("roads.ogc.api_doc").into()),
                    (format!("{b}/api"), l.t("roads.ogc.api_def").into()),
                ],
                facts: vec![],
                table: None,
                paging: vec![],
                json_href: format!("{b}?f=json"),
            },
        );
    }
    Ok(json_response(
        json!({
            "title": l.t("roads.ogc.title"),
            "description": l.t("roads.ogc.lead"),
            "links": [
                link(format!("{b}?f=json"), "self", JSON, "this document"),
                link(format!("{b}?f=html"), "alternate", HTML, "this document as HTML"),
                link(format!("{b}/api"), "service-desc", OAS30_TYPE, "the API definition (OpenAPI 3.0)"),
                link(format!("{b}/api.html"), "service-doc", HTML, "the API documentation"),
                link(format!("{b}/conformance"), "conformance", JSON, "conformance classes"),
                link(format!("{b}/collections"), "data", JSON, "collections"),
            ]
        }),
        JSON,
        None,
    ))
}

async fn conformance(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, OgcError> {
    let r = req(&st, &headers, &raw, &[]).await?;
    let b = &r.base;
    if r.format == Format::Html {
        let l = r.lang;
        return html_response(
            l,
            PageParts {
                title: l.t("roads.ogc.conformance").into(),
                lead: String::new(),
                links: CONFORMANCE
                    .iter()
                    .map(|u| (u.to_string(), u.to_string()))
                    .collect(),
                facts: vec![],
                table: None,
                paging: vec![(format!("{b}?f=html"), l.t("roads.ogc.title").into())],
                json_href: format!("{b}/conformance?f=json"),
            },
        );
    }
    Ok(json_response(
        json!({
            "conformsTo": CONFORMANCE,
            "links": [
                link(format!("{b}/conformance?f=json"), "self", JSON, "this document"),
                link(format!("{b}/conformance?f=html"), "alternate", HTML, "this document as HTML"),
            ]
        }),
        JSON,
        None,
    ))
}

async fn api_doc(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, OgcError> {
    let r = req(&st, &headers, &raw, &[]).await?;
    Ok(json_response(openapi30(&r.base), OAS30_TYPE, None))
}

async fn api_html(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, OgcError> {
    let r = req(&st, &headers, &raw, &[]).await?;
    let b = &r.base;
    let l = r.lang;
    let rows = vec![
        ("/", "roads.ogc.doc_landing"),
        ("/conformance", "roads.ogc.doc_conformance"),
        ("/collections", "roads.ogc.doc_collections"),
        ("/collections/{collectionId}", "roads.ogc.doc_collection"),
        ("/collections/{collectionId}/items", "roads.ogc.doc_items"),
        (
            "/collections/{collectionId}/items/{featureId}",
            "roads.ogc.doc_item",
        ),
    ];
    html_response(
        l,
        PageParts {
            title: l.t("roads.ogc.api_doc").into(),
            lead: l.t("roads.ogc.doc_lead").into(),
            links: vec![(format!("{b}/api"), l.t("roads.ogc.api_def").into())],
            facts: vec![],
            table: Some(HtmlTable {
                caption: l.t("roads.ogc.doc_paths").into(),
                headers: vec!["GET".into(), l.t("roads.ogc.doc_what").into()],
                rows: rows
                    .into_iter()
                    .map(|(p, k)| (String::new(), vec![format!("/ogc{p}"), l.t(k).into()]))
                    .collect(),
            }),
            paging: vec![(format!("{b}?f=html"), l.t("roads.ogc.title").into())],
            json_href: format!("{b}/api"),
        },
    )
}

/// The OpenAPI **3.0** document of `/ogc` (utoipa writes 3.1 only, which the `oas30` class does
/// not accept), built by hand.
pub fn openapi30(base: &str) -> Value {
    let ids: Vec<&str> = Coll::ALL.iter().map(|c| c.id()).collect();
    let crs_uris: Vec<&str> = Crs::ALL.iter().map(|c| c.uri()).collect();
    let f = json!({ "name": "f", "in": "query", "required": false,
        "description": "Output format.", "schema": { "type": "string", "enum": ["json", "html"] } });
    let lang = json!({ "name": "lang", "in": "query", "required": false,
        "description": "Language of titles (ja, en).", "schema": { "type": "string", "enum": ["ja", "en"] } });
    let cid = json!({ "name": "collectionId", "in": "path", "required": true,
        "schema": { "type": "string", "enum": ids } });
    let fid = json!({ "name": "featureId", "in": "path", "required": true,
        "schema": { "type": "string" } });
    let crs = json!({ "name": "crs", "in": "query", "required": false,
        "description": "CRS of the output coordinates (default CRS84).",
        "schema": { "type": "string", "format": "uri", "enum": crs_uris } });
    let ok = |desc: &str, typ: &str| {
        json!({ "200": { "description": desc,
        "content": { typ: { "schema": { "type": "object" } }, "text/html": { "schema": { "type": "string" } } } },
        "400": { "description": "invalid or unknown parameter", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/exception" } } } },
        "404": { "description": "not found", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/exception" } } } } })
    };
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Madoguchi road ledger (道路台帳) — OGC API Features",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "OGC API – Features Part 1 (core, geojson, html, oas30) and Part 2 (crs) 1.0.1.",
            "license": { "name": "AGPL-3.0-or-later" }
        },
        "servers": [ { "url": base } ],
        "paths": {
            "/": { "get": { "operationId": "getLandingPage", "summary": "Landing page",
                "parameters": [f, lang], "responses": ok("landing page", "application/json") } },
            "/api": { "get": { "operationId": "getApiDefinition", "summary": "This document",
                "responses": { "200": { "description": "OpenAPI 3.0",
                    "content": { OAS30_TYPE: { "schema": { "type": "object" } } } } } } },
            "/conformance": { "get": { "operationId": "getConformance", "summary": "Conformance classes",
                "parameters": [f, lang], "responses": ok("conformance", "application/json") } },
            "/collections": { "get": { "operationId": "getCollections", "summary": "Collections",
                "parameters": [f, lang], "responses": ok("collections", "application/json") } },
            "/collections/{collectionId}": { "get": { "operationId": "describeCollection",
                "summary": "One collection", "parameters": [cid, f, lang],
                "responses": ok("collection", "application/json") } },
            "/collections/{collectionId}/items": { "get": { "operationId": "getFeatures",
                "summary": "Features of a collection",
                "parameters": [cid, f, lang,
                    { "name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
                      "description": "Features per page; larger values are clamped to the maximum.",
                      "schema": { "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT } },
                    { "name": "offset", "in": "query", "required": false,
                      "schema": { "type": "integer", "minimum": 0, "default": 0 } },
                    { "name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
                      "description": "minx,miny,maxx,maxy (or 6 numbers) in bbox-crs axis order.",
                      "schema": { "type": "array", "minItems": 4, "maxItems": 6, "items": { "type": "number" } } },
                    { "name": "bbox-crs", "in": "query", "required": false,
                      "schema": { "type": "string", "format": "uri", "enum": crs_uris } },
                    { "name": "datetime", "in": "query", "required": false, "style": "form", "explode": false,
                      "description": "RFC 3339 instant or interval (.. for open), on the last ledger correction.",
                      "schema": { "type": "string" } },
                    crs],
                "responses": ok("features", GEOJSON) } },
            "/collections/{collectionId}/items/{featureId}": { "get": { "operationId": "getFeature",
                "summary": "One feature", "parameters": [cid, fid, f, lang, crs],
                "responses": ok("feature", GEOJSON) } }
        },
        "components": { "schemas": { "exception": { "type": "object", "required": ["code"],
            "properties": { "code": { "type": "string" }, "description": { "type": "string" } } } } }
    })
}

// ---- collections -----------------------------------------------------------------------------

async fn extent_of(st: &AppState, m: &str, c: Coll) -> Result<Option<model::Bbox>, sqlx::Error> {
    match c {
        Coll::Routes => store::extent::<Route>(&st.db, m, true).await,
        Coll::Sections => store::extent::<Section>(&st.db, m, true).await,
        Coll::AreaLines => store::extent::<AreaLine>(&st.db, m, true).await,
        Coll::BoundaryPoints => store::extent::<BoundaryPoint>(&st.db, m, true).await,
        Coll::ControlPoints => store::extent::<ControlPoint>(&st.db, m, true).await,
        Coll::Facilities => store::extent::<Facility>(&st.db, m, true).await,
    }
}

async fn collection_json(st: &AppState, r: &Req, c: Coll) -> Result<Value, OgcError> {
    let b = &r.base;
    let id = c.id();
    let mut v = json!({
        "id": id,
        "title": c.title(r.lang),
        "description": c.description(r.lang),
        "itemType": "feature",
        "crs": Crs::ALL.map(Crs::uri),
        "storageCrs": Crs::Epsg6677.uri(),
        "links": [
            link(format!("{b}/collections/{id}?f=json"), "self", JSON, "this collection"),
            link(format!("{b}/collections/{id}?f=html"), "alternate", HTML, "this collection as HTML"),
            link(format!("{b}/collections/{id}/items?f=json"), "items", GEOJSON, "features as GeoJSON"),
            link(format!("{b}/collections/{id}/items?f=html"), "items", HTML, "features as HTML"),
        ]
    });
    if let Some(e) = extent_of(st, &r.municipality, c).await? {
        let g = Crs::Crs84.bbox_from_storage(e);
        let pad = 1e-7;
        v["extent"] = json!({ "spatial": {
            "bbox": [[g[0] - pad, g[1] - pad, g[2] + pad, g[3] + pad]],
            "crs": Crs::Crs84.uri()
        }});
    }
    Ok(v)
}

async fn collections(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, OgcError> {
    let r = req(&st, &headers, &raw, &[]).await?;
    let b = &r.base;
    let mut list = Vec::new();
    for c in Coll::ALL {
        list.push(collection_json(&st, &r, c).await?);
    }
    if r.format == Format::Html {
        let l = r.lang;
        return html_response(
            l,
            PageParts {
                title: l.t("roads.ogc.collections").into(),
                lead: String::new(),
                links: vec![],
                facts: vec![],
                table: Some(HtmlTable {
                    caption: l.t("roads.ogc.collections").into(),
                    headers: vec![
                        l.t("roads.ogc.col_title").into(),
                        l.t("roads.ogc.col_desc").into(),
                    ],
                    rows: Coll::ALL
                        .iter()
                        .map(|c| {
                            (
                                format!("{b}/collections/{}?f=html", c.id()),
                                vec![c.title(l).into(), c.description(l).into()],
                            )
                        })
                        .collect(),
                }),
                paging: vec![(format!("{b}?f=html"), l.t("roads.ogc.title").into())],
                json_href: format!("{b}/collections?f=json"),
            },
        );
    }
    Ok(json_response(
        json!({
            "links": [
                link(format!("{b}/collections?f=json"), "self", JSON, "collections"),
                link(format!("{b}/collections?f=html"), "alternate", HTML, "collections as HTML"),
            ],
            "crs": Crs::ALL.map(Crs::uri),
            "collections": list,
        }),
        JSON,
        None,
    ))
}

fn coll_of(cid: &str) -> Result<Coll, OgcError> {
    Coll::parse(cid).ok_or_else(|| not_found(format!("no collection {cid:?}")))
}

async fn collection(
    State(st): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Path(cid): Path<String>,
) -> Result<Response, OgcError> {
    let c = coll_of(&cid)?;
    let r = req(&st, &headers, &raw, &[]).await?;
    let v = collection_json(&st, &r, c).await?;
    if r.format == Format::Html {
        let l = r.lang;
        let b = &r.base;
        let mut facts = vec![
            (
                l.t("roads.ogc.storage_crs").to_string(),
                Crs::Epsg6677.uri().to_string(),
            ),
            (
                l.t("roads.ogc.crs_list").to_string(),
                Crs::ALL.map(Crs::uri).join(" "),
            ),
        ];
        if let Some(bb) = v["extent"]["spatial"]["bbox"][0].as_array() {
            let s: Vec<String> = bb
                .iter()
                .map(|x| format!("{:.6}", x.as_f64().unwrap_or(0.0)))
                .collect();
            facts.push((l.t("roads.ogc.extent").to_string(), s.join(", ")));
        }
        return html_response(
            l,
            PageParts {
                title: c.title(l).into(),
                lead: c.description(l).into(),
                links: vec![(
                    format!("{b}/collections/{}/items?f=html", c.id()),
                    l.t("roads.ogc.items").into(),
                )],
                facts,
                table: None,
                paging: vec![(
                    format!("{b}/collections?f=html"),
                    l.t("roads.ogc.collections").into(),
                )],
                json_href: format!("{b}/collections/{}?f=json", c.id()),
            },
        );
    }
    Ok(json_response(v, JSON, None))
}

// ---- items -----------------------------------------------------------------------------------

/// One feature as read: id, storage geometry text, properties.
struct Feat {
    id: i64,
    geometry: Option<String>,
    properties: Map<String, Value>,
}

fn feat<T: Layer>(row: &T) -> Feat {
    let mut properties = match serde_json::to_value(row) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    // `abolished_on` is always empty here: an abolished route is never public.
    for k in ["id", "geometry", "public", "abolished_on"] {
        properties.remove(k);
    }
    if let Some(Value::String(a)) = properties.get("attributes_json").cloned() {
        properties.remove("attributes_json");
        if let Ok(v) = serde_json::from_str::<Value>(&a) {
            properties.insert("attributes".into(), v);
        }
    }
    Feat {
        id: row.id(),
        geometry: row.geometry().map(str::to_owned),
        properties,
    }
}

fn to_geo(text: &str) -> Option<geo::Geometry<f64>> {
    let g = model::parse_geometry(text).ok()?;
    geo::Geometry::<f64>::try_from(g).ok()
}

struct Query {
    bbox: Option<model::Bbox>,
    updated: Option<(Option<i64>, Option<i64>)>,
    offset: u64,
    limit: u64,
}

struct Got {
    feats: Vec<Feat>,
    matched: Option<i64>,
    more: bool,
}

/// Reads one page of public features of `T`.
async fn page<T: Layer>(db: &crate::db::Db, m: &str, q: &Query) -> Result<Got, sqlx::Error> {
    let base = Filter {
        bbox: q.bbox,
        public_only: true,
        updated: q.updated,
        ..Default::default()
    };
    let Some(b) = q.bbox else {
        let rows: Vec<T> = store::list(
            db,
            m,
            &Filter {
                offset: q.offset,
                limit: Some(q.limit + 1),
                ..base.clone()
            },
        )
        .await?;
        let more = rows.len() as u64 > q.limit;
        let matched = store::count::<T>(db, m, &base).await?;
        return Ok(Got {
            feats: rows.iter().take(q.limit as usize).map(feat).collect(),
            matched: Some(matched),
            more,
        });
    };
    // bbox: the index gives candidates (bbox overlap); the exact intersection is tested here,
    // scanning in id order until offset + limit + 1 matches are found.
    let rect = geo::Rect::new(
        geo::coord! { x: b[0], y: b[1] },
        geo::coord! { x: b[2], y: b[3] },
    );
    let mut after = None;
    let mut skipped = 0u64;
    let mut feats = Vec::new();
    let mut more = false;
    'scan: loop {
        let rows: Vec<T> = store::list(
            db,
            m,
            &Filter {
                after_id: after,
                limit: Some(500),
                ..base.clone()
            },
        )
        .await?;
        let n = rows.len();
        for row in &rows {
            after = Some(row.id());
            let hit = match row.geometry().map(to_geo) {
                None => true,
                Some(Some(g)) => g.intersects(&rect),
                Some(None) => false,
            };
            if !hit {
                continue;
            }
            if skipped < q.offset {
                skipped += 1;
                continue;
            }
            if feats.len() as u64 == q.limit {
                more = true;
                break 'scan;
            }
            feats.push(feat(row));
        }
        if n < 500 {
            break;
        }
    }
    Ok(Got {
        feats,
        matched: None,
        more,
    })
}

/// The output geometry of a feature in `crs`.
fn geometry_out(text: Option<&str>, crs: Crs) -> Value {
    let Some(t) = text else { return Value::Null };
    let Ok(mut g) = model::parse_geometry(t) else {
        return Value::Null;
    };
    model::map_positions(&mut g.value, &mut |p| crs.from_storage(p));
    serde_json::to_value(&g).unwrap_or(Value::Null)
}

fn parse_instant(s: &str) -> Result<i64, OgcError> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|_| bad(format!("datetime: {s:?} is not an RFC 3339 date-time")))?;
    Ok((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn parse_datetime(s: &str) -> Result<(Option<i64>, Option<i64>), OgcError> {
    if let Some((a, b)) = s.split_once('/') {
        let end = |x: &str| -> Result<Option<i64>, OgcError> {
            if x.is_empty() || x == ".." {
                Ok(None)
            } else {
                parse_instant(x).map(Some)
            }
        };
        let (from, to) = (end(a)?, end(b)?);
        if from.is_none() && to.is_none() {
            return Err(bad("datetime: both ends of the interval are open"));
        }
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(bad("datetime: the interval ends before it starts"));
        }
        Ok((from, to))
    } else {
        let t = parse_instant(s)?;
        Ok((Some(t), Some(t)))
    }
}

fn parse_query(r: &Req) -> Result<(Query, Crs), OgcError> {
    let limit = match r.get("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n >= 1 => n.min(MAX_LIMIT),
            _ => return Err(bad(format!("limit={v:?}: a whole number of 1 or more"))),
        },
    };
    let offset = match r.get("offset") {
        None => 0,
        Some(v) => v
            .parse::<u64>()
            .map_err(|_| bad(format!("offset={v:?}: a whole number of 0 or more")))?,
    };
    let bbox_crs = r.crs("bbox-crs")?;
    if r.get("bbox-crs").is_some() && r.get("bbox").is_none() {
        return Err(bad("bbox-crs without bbox"));
    }
    let bbox = match r.get("bbox") {
        None => None,
        Some(v) => {
            let n: Result<Vec<f64>, _> = v.split(',').map(|x| x.trim().parse::<f64>()).collect();
            let n = n.map_err(|_| bad(format!("bbox={v:?}: 4 or 6 comma-separated numbers")))?;
            let b = match n.len() {
                4 => [n[0], n[1], n[2], n[3]],
                6 => [n[0], n[1], n[3], n[4]],
                _ => return Err(bad(format!("bbox={v:?}: 4 or 6 comma-separated numbers"))),
            };
            if !b.iter().all(|x| x.is_finite()) {
                return Err(bad("bbox: numbers must be finite"));
            }
            if b[0] > b[2] || b[1] > b[3] {
                return Err(bad(format!("bbox={v:?}: the lower corner must come first")));
            }
            Some(bbox_crs.bbox_to_storage(b))
        }
    };
    let updated = match r.get("datetime") {
        None => None,
        Some(v) => Some(parse_datetime(v)?),
    };
    Ok((
        Query {
            bbox,
            updated,
            offset,
            limit,
        },
        r.crs("crs")?,
    ))
}

async fn page_of(st: &AppState, m: &str, c: Coll, q: &Query) -> Result<Got, sqlx::Error> {
    let db = &st.db;
    match c {
        Coll::Routes => page::<Route>(db, m, q).await,
        Coll::Sections => page::<Section>(db, m, q).await,
        Coll::AreaLines => page::<AreaLine>(db, m, q).await,
        Coll::BoundaryPoints => page::<BoundaryPoint>(db, m, q).await,
        Coll::ControlPoints => page::<ControlPoint>(db, m, q).await,
        Coll::Facilities => page::<Facility>(db, m, q).await,
    }
}

fn feature_json(r: &Req, c: Coll, f: &Feat, crs: Crs, with_links: bool) -> Value {
    let mut v = json!({
        "type": "Feature",
        "id": f.id,
        "geometry": geometry_out(f.geometry.as_deref(), crs),
        "properties": f.properties,
    });
    if with_links {
        let b = &r.base;
        let id = c.id();
        let crs_q = if crs == Crs::Crs84 {
            String::new()
        } else {
            format!("&crs={}", crs.uri())
        };
        v["links"] = json!([
            link(
                format!("{b}/collections/{id}/items/{}?f=json{crs_q}", f.id),
                "self",
                GEOJSON,
                "this feature"
            ),
            link(
                format!("{b}/collections/{id}/items/{}?f=html", f.id),
                "alternate",
                HTML,
                "this feature as HTML"
            ),
            link(
                format!("{b}/collections/{id}?f=json"),
                "collection",
                JSON,
                "the collection"
            ),
        ]);
    }
    v
}

/// Short cells of a feature for the HTML table: the first few properties.
fn cells(f: &Feat, keys: &[&str]) -> Vec<String> {
    keys.iter()
        .map(|k| match f.properties.get(*k) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        })
        .collect()
}

fn table_keys(c: Coll) -> &'static [&'static str] {
    match c {
        Coll::Routes => &[
            "route_number",
            "name",
            "route_class",
            "length_m",
            "width_min_m",
            "width_max_m",
        ],
        Coll::Sections => &[
            "section_code",
            "carriageway_width_m",
            "sidewalk_width_m",
            "pavement",
            "length_m",
        ],
        Coll::AreaLines => &["boundary_status", "confirmed_on", "document_number"],
        Coll::BoundaryPoints => &[
            "point_number",
            "x_north",
            "y_east",
            "marker",
            "boundary_status",
        ],
        Coll::ControlPoints => &[
            "point_name",
            "kind",
            "grade",
            "x_north",
            "y_east",
            "condition",
        ],
        Coll::Facilities => &["kind", "name"],
    }
}

async fn items(
    State(st): State<AppState>,
    Extension(views): Extension<ViewCounter>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Path(cid): Path<String>,
) -> Result<Response, OgcError> {
    let c = coll_of(&cid)?;
    let r = req(
        &st,
        &headers,
        &raw,
        &["limit", "offset", "bbox", "bbox-crs", "datetime", "crs"],
    )
    .await?;
    let (q, crs) = parse_query(&r)?;
    let got = page_of(&st, &r.municipality, c, &q).await?;
    views.count(&st.db, &r.municipality, "api");
    let b = &r.base;
    let id = c.id();
    let here = format!("{b}/collections/{id}/items");
    let next = got.more.then(|| {
        r.query_with(&[
            ("offset", Some((q.offset + q.limit).to_string())),
            ("f", None),
        ])
    });
    let prev = (q.offset > 0).then(|| {
        let o = q.offset.saturating_sub(q.limit);
        r.query_with(&[("offset", (o > 0).then(|| o.to_string())), ("f", None)])
    });
    if r.format == Format::Html {
        let l = r.lang;
        let amp = |s: &str| {
            if s.is_empty() {
                "?f=html".to_string()
            } else {
                format!("{s}&f=html")
            }
        };
        let mut paging = vec![];
        if let Some(p) = &prev {
            paging.push((format!("{here}{}", amp(p)), l.t("roads.ogc.prev").into()));
        }
        if let Some(n) = &next {
            paging.push((format!("{here}{}", amp(n)), l.t("roads.ogc.next").into()));
        }
        paging.push((format!("{b}/collections/{id}?f=html"), c.title(l).into()));
        let keys = table_keys(c);
        let mut headers = vec!["ID".to_string()];
        headers.extend(
            keys.iter()
                .map(|k| l.t(&format!("roads.prop.{k}")).to_string()),
        );
        let rows = got
            .feats
            .iter()
            .map(|f| {
                let mut cs = vec![f.id.to_string()];
                cs.extend(cells(f, keys));
                (format!("{here}/{}?f=html", f.id), cs)
            })
            .collect();
        let mut facts = vec![(
            l.t("roads.ogc.returned").to_string(),
            got.feats.len().to_string(),
        )];
        if let Some(n) = got.matched {
            facts.push((l.t("roads.ogc.matched").to_string(), n.to_string()));
        }
        return html_response(
            l,
            PageParts {
                title: format!("{} — {}", c.title(l), l.t("roads.ogc.items")),
                lead: c.description(l).into(),
                links: vec![],
                facts,
                table: Some(HtmlTable {
                    caption: c.title(l).into(),
                    headers,
                    rows,
                }),
                paging,
                json_href: format!("{here}{}", r.query_with(&[("f", Some("json".into()))])),
            },
        );
    }
    let features: Vec<Value> = got
        .feats
        .iter()
        .map(|f| feature_json(&r, c, f, crs, false))
        .collect();
    let with_f = |s: &str, f: &str| {
        if s.is_empty() {
            format!("?f={f}")
        } else {
            format!("{s}&f={f}")
        }
    };
    let cur = r.query_with(&[("f", None)]);
    let mut links = vec![
        link(
            format!("{here}{}", with_f(&cur, "json")),
            "self",
            GEOJSON,
            "this document",
        ),
        link(
            format!("{here}{}", with_f(&cur, "html")),
            "alternate",
            HTML,
            "this document as HTML",
        ),
        link(
            format!("{b}/collections/{id}?f=json"),
            "collection",
            JSON,
            "the collection",
        ),
    ];
    if let Some(n) = &next {
        links.push(link(
            format!("{here}{}", with_f(n, "json")),
            "next",
            GEOJSON,
            "next page",
        ));
    }
    if let Some(p) = &prev {
        links.push(link(
            format!("{here}{}", with_f(p, "json")),
            "prev",
            GEOJSON,
            "previous page",
        ));
    }
    let stamp = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut body = json!({
        "type": "FeatureCollection",
        "features": features,
        "links": links,
        "numberReturned": got.feats.len(),
        "timeStamp": stamp,
    });
    if let Some(n) = got.matched {
        body["numberMatched"] = json!(n);
    }
    Ok(json_response(body, GEOJSON, Some(crs)))
}

async fn one<T: Layer>(db: &crate::db::Db, m: &str, id: i64) -> Result<Option<Feat>, sqlx::Error> {
    let row: Option<T> = store::get(db, m, id).await?;
    Ok(row
        .filter(|r| {
            serde_json::to_value(r)
                .ok()
                .and_then(|v| v.get("public").and_then(Value::as_bool))
                .unwrap_or(false)
        })
        .map(|r| feat(&r)))
}

async fn item(
    State(st): State<AppState>,
    Extension(views): Extension<ViewCounter>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Path((cid, fid)): Path<(String, String)>,
) -> Result<Response, OgcError> {
    let c = coll_of(&cid)?;
    let r = req(&st, &headers, &raw, &["crs"]).await?;
    let crs = r.crs("crs")?;
    let id: i64 = fid
        .parse()
        .map_err(|_| not_found(format!("no feature {fid:?} in {cid}")))?;
    let (db, m) = (&st.db, r.municipality.as_str());
    let f = match c {
        Coll::Routes => one::<Route>(db, m, id).await?,
        Coll::Sections => one::<Section>(db, m, id).await?,
        Coll::AreaLines => one::<AreaLine>(db, m, id).await?,
        Coll::BoundaryPoints => one::<BoundaryPoint>(db, m, id).await?,
        Coll::ControlPoints => one::<ControlPoint>(db, m, id).await?,
        Coll::Facilities => one::<Facility>(db, m, id).await?,
    }
    .ok_or_else(|| not_found(format!("no feature {fid:?} in {cid}")))?;
    views.count(&st.db, m, "api");
    if r.format == Format::Html {
        let l = r.lang;
        let b = &r.base;
        let facts = f
            .properties
            .iter()
            .map(|(k, v)| {
                let label = super::messages::label(l, &format!("roads.prop.{k}"))
                    .unwrap_or(k.as_str())
                    .to_string();
                let val = match v {
                    Value::String(s) => s.clone(),
                    Value::Null => "—".into(),
                    v => v.to_string(),
                };
                (label, val)
            })
            .collect();
        let mut links = vec![];
        if c == Coll::Routes {
            links.push((
                format!("/roads/routes/{}", f.id),
                l.t("roads.ogc.sheet").to_string(),
            ));
        }
        return html_response(
            l,
            PageParts {
                title: format!("{} {}", c.title(l), f.id),
                lead: String::new(),
                links,
                facts,
                table: None,
                paging: vec![(
                    format!("{b}/collections/{}/items?f=html", c.id()),
                    l.t("roads.ogc.items").into(),
                )],
                json_href: format!("{b}/collections/{}/items/{}?f=json", c.id(), f.id),
            },
        );
    }
    Ok(json_response(
        feature_json(&r, c, &f, crs, true),
        GEOJSON,
        Some(crs),
    ))
}
