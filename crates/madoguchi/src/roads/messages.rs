//! Messages of the road ledger (ja, en), one of the tables in `crate::web::i18n::TABLES`.

use crate::web::i18n::Lang;

/// The label of `key` in this table, if it has one (property names shown in HTML).
pub fn label(l: Lang, key: &str) -> Option<&'static str> {
    MESSAGES
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, ja, en)| if l == Lang::Ja { *ja } else { *en })
}

pub static MESSAGES: &[(&str, &str, &str)] = &[
    // OGC API pages
    (
        "roads.ogc.title",
        "道路台帳 API（OGC API – Features）",
        "Road ledger API (OGC API – Features)",
    ),
    (
        "roads.ogc.lead",
        "市が管理する道路（認定路線）の台帳を、誰でも見られるデータとして公開しています。道路法第28条により、道路台帳の閲覧は拒めません。",
        "The ledger of the roads the city manages, open to everyone as data. Under the Road Act, art. 28, a request to see the road ledger cannot be refused.",
    ),
    (
        "roads.ogc.collections",
        "データの一覧（コレクション）",
        "Collections",
    ),
    (
        "roads.ogc.conformance",
        "準拠している規格",
        "Conformance classes",
    ),
    ("roads.ogc.api_doc", "API の説明", "API documentation"),
    (
        "roads.ogc.api_def",
        "API 定義（OpenAPI 3.0, JSON）",
        "API definition (OpenAPI 3.0, JSON)",
    ),
    (
        "roads.ogc.doc_lead",
        "次のアドレスに GET で問い合わせます。f=json で JSON、f=html でこのような画面になります。座標系は crs で選べます（CRS84・EPSG:6668・EPSG:6677）。",
        "Send a GET to these paths. f=json gives JSON, f=html a page like this one. Choose the coordinate system with crs (CRS84, EPSG:6668, EPSG:6677).",
    ),
    ("roads.ogc.doc_paths", "アドレスの一覧", "Paths"),
    ("roads.ogc.doc_what", "内容", "What it returns"),
    (
        "roads.ogc.doc_landing",
        "入口（この API のリンク集）",
        "Landing page (links of this API)",
    ),
    (
        "roads.ogc.doc_conformance",
        "準拠している規格の一覧",
        "Conformance classes",
    ),
    ("roads.ogc.doc_collections", "データの一覧", "Collections"),
    (
        "roads.ogc.doc_collection",
        "1つのデータの説明",
        "One collection",
    ),
    (
        "roads.ogc.doc_items",
        "地物の一覧（bbox・bbox-crs・datetime・limit・offset・crs で絞り込み）",
        "Features (filter with bbox, bbox-crs, datetime, limit, offset, crs)",
    ),
    ("roads.ogc.doc_item", "1つの地物", "One feature"),
    ("roads.ogc.col_title", "名前", "Name"),
    ("roads.ogc.col_desc", "説明", "Description"),
    ("roads.ogc.items", "地物の一覧", "Features"),
    ("roads.ogc.storage_crs", "保存している座標系", "Storage CRS"),
    ("roads.ogc.crs_list", "出力できる座標系", "Output CRSs"),
    (
        "roads.ogc.extent",
        "範囲（経度・緯度）",
        "Extent (longitude, latitude)",
    ),
    (
        "roads.ogc.returned",
        "この画面の件数",
        "Features on this page",
    ),
    ("roads.ogc.matched", "該当する件数", "Features matched"),
    ("roads.ogc.prev", "前のページ", "Previous page"),
    ("roads.ogc.next", "次のページ", "Next page"),
    ("roads.ogc.nav", "ページの移動", "Page navigation"),
    (
        "roads.ogc.as_json",
        "この内容を JSON で見る",
        "See this as JSON",
    ),
    (
        "roads.ogc.sheet",
        "この路線の調書を見る",
        "See this route's ledger sheet",
    ),
    // The 調書 page
    ("roads.sheet.title", "道路台帳 調書", "road ledger sheet"),
    ("roads.sheet.sections", "区間の数", "Sections"),
    ("roads.sheet.via", "主要な経過地", "Main places passed"),
    (
        "roads.sheet.width_typical",
        "一般幅員（m）",
        "Typical width (m)",
    ),
    (
        "roads.sheet.width_narrowest",
        "最狭幅員（m）",
        "Narrowest width (m)",
    ),
    ("roads.sheet.remarks", "備考", "Remarks"),
    (
        "roads.sheet.versions",
        "調書の版（台帳補正の履歴）",
        "Versions of the sheet (corrections)",
    ),
    (
        "roads.sheet.no_versions",
        "調書はまだありません。",
        "No sheet yet.",
    ),
    (
        "roads.sheet.as_data",
        "この路線をデータ（OGC API）で見る",
        "See this route as data (OGC API)",
    ),
    ("roads.class.1", "1級", "Class 1"),
    ("roads.class.2", "2級", "Class 2"),
    ("roads.class.other", "その他", "Other"),
    // Collections
    ("roads.coll.routes", "路線", "Routes"),
    (
        "roads.coll.routes_desc",
        "認定された道路の路線（路線番号・路線名・認定年月日・起点と終点・延長・幅員）。",
        "Certified road routes (number, name, certification date, start and end, length, width).",
    ),
    ("roads.coll.sections", "区間", "Sections"),
    (
        "roads.coll.sections_desc",
        "路線を幅員のそろった区間に分けた中心線（車道幅員・歩道幅員・舗装）。",
        "Centre lines of the stretches of uniform width (carriageway, sidewalk, pavement).",
    ),
    ("roads.coll.area_lines", "区域線", "Road-area lines"),
    (
        "roads.coll.area_lines_desc",
        "道路の区域の境界線と、境界の確定状況。",
        "Boundary lines of the road area and whether the boundary is settled.",
    ),
    ("roads.coll.boundary_points", "境界点", "Boundary points"),
    (
        "roads.coll.boundary_points_desc",
        "道路の境界を示す杭・鋲などの位置（平面直角座標系 第IX系）。",
        "Posts, pins and plates marking the road boundary (plane rectangular zone IX).",
    ),
    ("roads.coll.control_points", "基準点", "Control points"),
    (
        "roads.coll.control_points_desc",
        "測量の基準となる点（公開しているものだけ）。",
        "Survey control points (public ones only).",
    ),
    ("roads.coll.facilities", "道路施設", "Road facilities"),
    (
        "roads.coll.facilities_desc",
        "橋・トンネル・側溝・擁壁などの道路の施設。",
        "Bridges, tunnels, gutters, retaining walls and other road facilities.",
    ),
    // Properties
    ("roads.prop.road_kind", "道路の種類", "Road kind"),
    ("roads.prop.route_number", "路線番号", "Route number"),
    ("roads.prop.name", "名称", "Name"),
    ("roads.prop.route_class", "路線の区分", "Route class"),
    ("roads.prop.certified_on", "認定年月日", "Certified on"),
    ("roads.prop.opened_on", "供用開始年月日", "Opened on"),
    ("roads.prop.abolished_on", "廃止年月日", "Abolished on"),
    ("roads.prop.start_address", "起点", "Start"),
    ("roads.prop.end_address", "終点", "End"),
    (
        "roads.prop.start_x_north",
        "起点 X（北）",
        "Start X (north)",
    ),
    ("roads.prop.start_y_east", "起点 Y（東）", "Start Y (east)"),
    ("roads.prop.end_x_north", "終点 X（北）", "End X (north)"),
    ("roads.prop.end_y_east", "終点 Y（東）", "End Y (east)"),
    ("roads.prop.length_m", "延長（m）", "Length (m)"),
    (
        "roads.prop.width_min_m",
        "最小幅員（m）",
        "Minimum width (m)",
    ),
    (
        "roads.prop.width_max_m",
        "最大幅員（m）",
        "Maximum width (m)",
    ),
    (
        "roads.prop.route_id",
        "路線の番号（内部）",
        "Route (internal id)",
    ),
    ("roads.prop.section_code", "区間番号", "Section code"),
    (
        "roads.prop.carriageway_width_m",
        "車道幅員（m）",
        "Carriageway width (m)",
    ),
    (
        "roads.prop.sidewalk_width_m",
        "歩道幅員（m）",
        "Sidewalk width (m)",
    ),
    ("roads.prop.pavement", "舗装", "Pavement"),
    ("roads.prop.sidewalk", "歩道", "Sidewalk"),
    (
        "roads.prop.boundary_status",
        "境界の確定状況",
        "Boundary status",
    ),
    ("roads.prop.confirmed_on", "確定年月日", "Settled on"),
    (
        "roads.prop.document_number",
        "確定図書番号",
        "Settlement document",
    ),
    ("roads.prop.point_number", "点番号", "Point number"),
    ("roads.prop.point_name", "点名", "Point name"),
    ("roads.prop.x_north", "X（北, m）", "X (north, m)"),
    ("roads.prop.y_east", "Y（東, m）", "Y (east, m)"),
    ("roads.prop.h_m", "標高（m）", "Height (m)"),
    ("roads.prop.marker", "標識の種類", "Marker"),
    ("roads.prop.installed_on", "設置年月日", "Installed on"),
    ("roads.prop.datum", "測地系", "Datum"),
    ("roads.prop.accuracy", "精度区分", "Accuracy class"),
    ("roads.prop.kind", "種類", "Kind"),
    ("roads.prop.grade", "等級", "Grade"),
    ("roads.prop.epoch", "元期", "Epoch"),
    ("roads.prop.condition", "現況", "Condition"),
    ("roads.prop.manager", "管理者", "Manager"),
    ("roads.prop.attributes", "その他の属性", "Other attributes"),
    ("roads.prop.version", "版", "Version"),
    (
        "roads.prop.updated_at",
        "最終更新（UNIX ミリ秒）",
        "Last updated (Unix ms)",
    ),
];
