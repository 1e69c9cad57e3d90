//! The bodies of the fuzz targets: every parser of outside input (issue 9). Each function
//! takes arbitrary bytes and must return without panicking, whatever they are. The cargo-fuzz
//! targets in `fuzz_targets/` call these, and `crates/madoguchi/tests/fuzz_corpus.rs` runs them
//! over the seed corpus (`fuzz/corpus/<target>/`) as a normal test, so a regression shows up
//! in CI without a fuzzer.
//!
//! Add a target: a function here, a line in [`TARGETS`], a file in `fuzz_targets/`, a `[[bin]]`
//! in `fuzz/Cargo.toml`, seeds in `fuzz/corpus/<name>/`.
#![allow(dead_code)]

use serde_json::Value;

/// A target's body.
pub type Body = fn(&[u8]);

/// (name, body) of every target.
pub const TARGETS: &[(&str, Body)] = &[
    ("form_definition", form_definition),
    ("form_answers", form_answers),
    ("zengin_read", zengin_read),
    ("line_webhook", line_webhook),
    ("oidc_response", oidc_response),
    ("debit_bills_csv", debit_bills_csv),
    ("banks_import", banks_import),
    ("postal_csv", postal_csv),
    ("bank_return", bank_return),
    ("roads_geojson", roads_geojson),
    ("roads_shapefile", roads_shapefile),
];

fn today() -> time::Date {
    time::macros::date!(2026 - 04 - 01)
}

/// A staff member's form file (import, editor JSON view): parse, check, and every derived view.
pub fn form_definition(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    use madoguchi::procedures::form as f;
    if let Ok(def) = f::parse_definition(text) {
        let _ = f::check_definition(&def);
        let _ = f::json_schema(&def, "https://example.invalid/schema", today());
        let _ = f::csv_columns(&def, madoguchi::web::i18n::Lang::Ja);
        let empty = serde_json::Map::new();
        let _ = f::shown_pages(&def, &empty);
        let _ = f::compute(&def, &empty);
        let _ = f::validate(&def, &Value::Object(serde_json::Map::new()), today());
    }
}

/// The shipped form with the most kinds of fields, for the answers targets.
fn shipped_form() -> &'static madoguchi::procedures::form::FormDefinition {
    static DEF: std::sync::OnceLock<madoguchi::procedures::form::FormDefinition> =
        std::sync::OnceLock::new();
    DEF.get_or_init(|| {
        madoguchi::procedures::form::parse_definition(include_str!(
            "../crates/madoguchi/forms/hoiku-moshikomi.json"
        ))
        .unwrap_or_else(|e| panic!("shipped form: {e:?}"))
    })
}

/// A resident's answers: JSON through the API (`validate`) and a form POST through the
/// runner (`read_page`, URL-encoded pairs), then the summary and CSV of what was accepted.
pub fn form_answers(data: &[u8]) {
    use madoguchi::procedures::form as f;
    let def = shipped_form();
    if let Ok(v) = serde_json::from_slice::<Value>(data)
        && let Ok(answers) = f::validate(def, &v, today())
    {
        let _ = f::summary(def, &answers, madoguchi::web::i18n::Lang::Ja);
        let _ = f::csv_row(def, &answers);
        let _ = f::compute(def, &answers);
    }
    let pairs: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    let prior = serde_json::Map::new();
    for page in &def.pages {
        let input = f::read_page(def, &page.id, &prior, &pairs, &prior, today());
        let _ = input.errors.len();
    }
}

/// A 全銀 種別91 result file from the bank.
pub fn zengin_read(data: &[u8]) {
    for extended in [false, true] {
        let opts = zengin::ReadOptions {
            extended_names: extended,
            ..Default::default()
        };
        if let Ok(file) = zengin::from_bytes(data, &opts) {
            let _ = file;
        }
    }
    let _ = zengin::kana::decode(data);
}

/// The LINE webhook body (after its signature) and the postback data it carries.
pub fn line_webhook(data: &[u8]) {
    use madoguchi::navi::line;
    let _ = line::verify("secret", data, "c2lnbmF0dXJl");
    let _ = line::verify("secret", b"{}", std::str::from_utf8(data).unwrap_or(""));
    if let Ok(v) = serde_json::from_slice::<Value>(data)
        && let Some(events) = v.get("events").and_then(Value::as_array)
    {
        for ev in events {
            match line::incoming(ev) {
                line::Incoming::Text(t) => {
                    let _ = line::event_for_text(&t);
                }
                line::Incoming::Postback { data, .. } => {
                    let _ = line::parse_data(&data);
                }
                _ => {}
            }
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = line::parse_data(s);
        let _ = line::event_for_text(s);
    }
}

/// What an OpenID provider sends: the discovery document, a JWKS, an ID token's header and
/// claims (checked against a fixed key, as `verify_id_token` does after fetching the JWKS).
pub fn oidc_response(data: &[u8]) {
    let _ = serde_json::from_slice::<madoguchi::identity::oidc::Discovery>(data);
    if let Ok(set) = serde_json::from_slice::<jsonwebtoken::jwk::JwkSet>(data) {
        for k in &set.keys {
            let _ = jsonwebtoken::DecodingKey::from_jwk(k);
        }
    }
    if let Ok(token) = std::str::from_utf8(data) {
        if let Ok(h) = jsonwebtoken::decode_header(token) {
            let _ = h.kid;
        }
        let key = jsonwebtoken::DecodingKey::from_secret(b"fuzz");
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        v.set_audience(&["madoguchi"]);
        let _ = jsonwebtoken::decode::<serde_json::Map<String, Value>>(token, &key, &v);
    }
}

/// A 課's billing CSV for Web口座振替 (UTF-8 or Shift_JIS).
pub fn debit_bills_csv(data: &[u8]) {
    use madoguchi::debit::bills;
    if let Ok(text) = bills::decode(data) {
        let _ = bills::parse(&text);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = bills::parse(s);
        let _ = bills::customer_number(s);
    }
}

/// The zengin-code bank master (banks.json; the first bank's branches file gets the rest).
pub fn banks_import(data: &[u8]) {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let (banks, branches) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let _ = std::fs::create_dir_all(dir.path().join("branches"));
    let _ = std::fs::write(dir.path().join("banks.json"), banks);
    if let Ok(v) = serde_json::from_slice::<Value>(banks)
        && let Some(first) = v.as_object().and_then(|o| o.keys().next())
        && !first.contains(['/', '\\', '.'])
    {
        let _ = std::fs::write(
            dir.path().join("branches").join(format!("{first}.json")),
            branches,
        );
    }
    let _ = madoguchi::debit::banks::read_dir(dir.path());
}

/// Japan Post's KEN_ALL.CSV (Shift_JIS or UTF-8, plain or gzipped).
pub fn postal_csv(data: &[u8]) {
    let _ = madoguchi::postal::parse::parse(data);
}

/// The bank's signed return to `/debit/return` (query parameters).
pub fn bank_return(data: &[u8]) {
    let params: Vec<(String, String)> = form_urlencoded::parse(data).into_owned().collect();
    let cfg = madoguchi::debit::config::DebitConfig::default();
    let _ = madoguchi::debit::bank::verify_return(&cfg, &params, 1_780_000_000_000);
    let _ = madoguchi::debit::model::verify("secret", &params);
    let _ = madoguchi::debit::model::canonical(&params);
}

/// The 道路台帳 already holding route 1 and section 1-001, so the import's "already in the
/// ledger" paths run too.
fn roads_ledger() -> (
    Vec<madoguchi::roads::model::Route>,
    std::collections::HashSet<String>,
) {
    let route = madoguchi::roads::model::Route {
        road_kind: "municipal".into(),
        route_number: "1".into(),
        name: "既存線".into(),
        ..Default::default()
    };
    (vec![route], ["1-001".to_owned()].into_iter().collect())
}

/// Checks the features of an import in every CRS (the declared one first), as
/// `madoguchi roads import` and the staff upload do before writing anything.
fn roads_plan(
    features: &[madoguchi::roads::import::Feature],
    declared: Option<madoguchi::roads::crs::Crs>,
) {
    use madoguchi::roads::crs::Crs;
    let (routes, sections) = roads_ledger();
    for crs in declared
        .into_iter()
        .chain([Crs::Epsg6677, Crs::Crs84, Crs::Epsg6668])
    {
        let p = madoguchi::roads::import::plan(features, crs, &routes, &sections);
        let _ = (p.routes.len(), p.sections.len(), p.problems.len());
    }
}

/// A GeoJSON road network (`madoguchi roads import FILE.geojson`): read, then checked.
pub fn roads_geojson(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = madoguchi::roads::import::crs_of_prj(text);
    if let Ok((features, declared)) = madoguchi::roads::import::read_geojson(text) {
        roads_plan(&features, declared);
    }
}

/// The .prj beside a fuzzed Shapefile, chosen by the first byte's low bits.
const ROADS_PRJ: [Option<&str>; 4] = [
    None,
    Some(
        "PROJCS[\"JGD_2011_Japan_Zone_9\",GEOGCS[\"GCS_JGD_2011\",DATUM[\"D_JGD_2011\",SPHEROID[\"GRS_1980\",6378137.0,298.257222101]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Transverse_Mercator\"],UNIT[\"Meter\",1.0]]",
    ),
    Some(
        "GEOGCS[\"GCS_JGD_2011\",DATUM[\"D_JGD_2011\",SPHEROID[\"GRS_1980\",6378137.0,298.257222101]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]",
    ),
    Some(
        "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]",
    ),
];
/// The .cpg, chosen by bits 2–3 of the first byte (none: Shift_JIS).
const ROADS_CPG: [Option<&str>; 4] = [None, Some("UTF-8"), Some("SJIS"), Some("no-such-code")];

/// A Shapefile road network (`madoguchi roads import FILE.shp`: .shp + .dbf in Shift_JIS
/// unless a .cpg says otherwise, .prj for the CRS). Input layout: one byte choosing the .prj
/// (bits 0–1) and the .cpg (bits 2–3), the .shp's length (u32 little-endian), the .shp, then
/// the .dbf (the rest).
pub fn roads_shapefile(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    if rest.len() < 4 {
        return;
    }
    let (len, rest) = rest.split_at(4);
    let len = (u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize).min(rest.len());
    let (shp, dbf) = rest.split_at(len);
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join("roads.shp");
    if std::fs::write(&path, shp).is_err()
        || std::fs::write(path.with_extension("dbf"), dbf).is_err()
    {
        return;
    }
    if let Some(prj) = ROADS_PRJ[(flags & 3) as usize] {
        let _ = std::fs::write(path.with_extension("prj"), prj);
    }
    if let Some(cpg) = ROADS_CPG[((flags >> 2) & 3) as usize] {
        let _ = std::fs::write(path.with_extension("cpg"), cpg);
    }
    if let Ok((features, declared)) = madoguchi::roads::import::read_shapefile(&path) {
        roads_plan(&features, declared);
    }
}
