-- Road ledger 道路台帳 (issue 8, plan 1-7). Kept in lockstep with ../postgres/0016_roads.sql.
--
-- Coordinates: JGD2011 plane rectangular zone IX (EPSG:6677), metres. The survey axes are
--   X = north, Y = east. `geometry` is a GeoJSON geometry object (text) whose positions are
--   [easting, northing] = [Y, X] (the GIS x,y order PostGIS also stores); the bbox columns
--   minx/maxx are eastings, miny/maxy northings, so a bbox query is
--   maxx >= :minx AND minx <= :maxx AND maxy >= :miny AND miny <= :maxy. Points also keep the
--   survey values as x_north / y_east. No PostGIS in our own storage.
-- version: starts at 1, +1 on every edit (optimistic locking in the staff forms).
-- public: FALSE keeps a row out of the public collections, map and tiles (非公開).
-- road_routes: 路線. route_number unique per municipality and road_kind ('municipal' 市町村道,
--   'prefectural' 都道府県道, 'national' 一般国道). route_class: '1' 1級, '2' 2級, 'other' その他.
--   certified_on 認定年月日 and opened_on 供用開始年月日 as YYYY-MM-DD. start/end: 起点・終点
--   (address text and an optional point). geometry: the route's centre line (MultiLineString).
-- road_sections: 区間, a LineString of one route, with 車道幅員 / 歩道幅員 (m), 舗装種別
--   (pavement: 'asphalt', 'concrete', 'gravel', 'other'), 車道・歩道区分 (sidewalk: 'none',
--   'one_side', 'both_sides').
-- road_area_lines: 区域線 (road-area boundary lines) with 境界確定状況 boundary_status
--   ('confirmed' 確定, 'unconfirmed' 未確定, 'partial' 一部確定, 'negotiating' 協議中),
--   確定年月日 and 確定図書番号.
-- road_boundary_points: 境界点 (boundary marks); marker ('concrete_post', 'metal_pin', 'plate',
--   'other'), datum ('JGD2011', 'JGD2000', 'Tokyo'), accuracy class text.
-- road_control_points: 基準点; kind ('polygon' 多角点, 'block' 街区基準点, 'road' 道路基準点),
--   grade 1–4 級, height h_m, condition ('present', 'lost' 亡失, 'moved' 移設).
-- road_facilities: 施設 (道路元標, 橋, トンネル, 側溝 …): kind code, name, any geometry, other
--   attributes as a JSON object (attributes_json).
-- road_ledger_sheets: the 調書 of a route, versioned: each save is a new row (version n+1) with
--   the structured fields as a JSON object (sheet_json, see roads::model::LedgerSheet) and the
--   reason of the 台帳補正 ('construction' 工事竣工, 'area_change' 区域変更, 'certification'
--   認定変更, 'correction', 'import').
-- road_history: every edit of any road table: who (actor 'user:1'/'cli', user_id), when, what
--   (entity + entity_id, action 'create'/'update'/'delete'/'import'), before and after (JSON
--   text, NULL for create / delete), reason. Also audited (audit_events) in the same transaction.
-- road_meta: per municipality, data_version +1 in every write transaction (tile cache key).
-- road_imports: each `madoguchi roads import` run (file name, SHA-256, CRS, counts).
-- road_view_counts: the KPI "online ledger views": one counter per municipality, month (YYYY-MM,
--   Japan time) and channel ('map' public map pages and tiles, 'api' OGC API requests).
CREATE TABLE road_meta (
    municipality_id TEXT NOT NULL PRIMARY KEY REFERENCES municipalities (id),
    data_version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE road_routes (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    road_kind TEXT NOT NULL CHECK (road_kind IN ('municipal', 'prefectural', 'national')),
    route_number TEXT NOT NULL,
    name TEXT NOT NULL,
    route_class TEXT NOT NULL CHECK (route_class IN ('1', '2', 'other')),
    certified_on TEXT NOT NULL,
    opened_on TEXT,
    start_address TEXT NOT NULL,
    end_address TEXT NOT NULL,
    start_x_north DOUBLE PRECISION,
    start_y_east DOUBLE PRECISION,
    end_x_north DOUBLE PRECISION,
    end_y_east DOUBLE PRECISION,
    length_m DOUBLE PRECISION NOT NULL CHECK (length_m >= 0),
    width_min_m DOUBLE PRECISION NOT NULL CHECK (width_min_m >= 0),
    width_max_m DOUBLE PRECISION NOT NULL CHECK (width_max_m >= width_min_m),
    geometry TEXT,
    minx DOUBLE PRECISION,
    miny DOUBLE PRECISION,
    maxx DOUBLE PRECISION,
    maxy DOUBLE PRECISION,
    public BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (municipality_id, road_kind, route_number)
);
CREATE INDEX road_routes_bbox ON road_routes (municipality_id, minx, maxx, miny, maxy);
CREATE INDEX road_routes_name ON road_routes (municipality_id, name);

CREATE TABLE road_sections (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    route_id BIGINT NOT NULL REFERENCES road_routes (id),
    section_code TEXT NOT NULL,
    carriageway_width_m DOUBLE PRECISION NOT NULL CHECK (carriageway_width_m >= 0),
    sidewalk_width_m DOUBLE PRECISION NOT NULL CHECK (sidewalk_width_m >= 0),
    pavement TEXT NOT NULL CHECK (pavement IN ('asphalt', 'concrete', 'gravel', 'other')),
    sidewalk TEXT NOT NULL CHECK (sidewalk IN ('none', 'one_side', 'both_sides')),
    length_m DOUBLE PRECISION NOT NULL,
    geometry TEXT NOT NULL,
    minx DOUBLE PRECISION NOT NULL,
    miny DOUBLE PRECISION NOT NULL,
    maxx DOUBLE PRECISION NOT NULL,
    maxy DOUBLE PRECISION NOT NULL,
    public BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (municipality_id, section_code)
);
CREATE INDEX road_sections_bbox ON road_sections (municipality_id, minx, maxx, miny, maxy);
CREATE INDEX road_sections_route ON road_sections (route_id);

CREATE TABLE road_area_lines (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    route_id BIGINT NOT NULL REFERENCES road_routes (id),
    boundary_status TEXT NOT NULL
        CHECK (boundary_status IN ('confirmed', 'unconfirmed', 'partial', 'negotiating')),
    confirmed_on TEXT,
    document_number TEXT,
    geometry TEXT NOT NULL,
    minx DOUBLE PRECISION NOT NULL,
    miny DOUBLE PRECISION NOT NULL,
    maxx DOUBLE PRECISION NOT NULL,
    maxy DOUBLE PRECISION NOT NULL,
    public BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX road_area_lines_bbox ON road_area_lines (municipality_id, minx, maxx, miny, maxy);
CREATE INDEX road_area_lines_route ON road_area_lines (route_id);

CREATE TABLE road_boundary_points (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    route_id BIGINT REFERENCES road_routes (id),
    point_number TEXT NOT NULL,
    x_north DOUBLE PRECISION NOT NULL,
    y_east DOUBLE PRECISION NOT NULL,
    marker TEXT NOT NULL CHECK (marker IN ('concrete_post', 'metal_pin', 'plate', 'other')),
    installed_on TEXT,
    boundary_status TEXT NOT NULL
        CHECK (boundary_status IN ('confirmed', 'unconfirmed', 'partial', 'negotiating')),
    datum TEXT NOT NULL CHECK (datum IN ('JGD2011', 'JGD2000', 'Tokyo')),
    accuracy TEXT,
    geometry TEXT NOT NULL,
    minx DOUBLE PRECISION NOT NULL,
    miny DOUBLE PRECISION NOT NULL,
    maxx DOUBLE PRECISION NOT NULL,
    maxy DOUBLE PRECISION NOT NULL,
    public BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (municipality_id, point_number)
);
CREATE INDEX road_boundary_points_bbox ON road_boundary_points (municipality_id, minx, maxx, miny, maxy);

CREATE TABLE road_control_points (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    point_name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('polygon', 'block', 'road')),
    grade BIGINT NOT NULL CHECK (grade >= 1 AND grade <= 4),
    x_north DOUBLE PRECISION NOT NULL,
    y_east DOUBLE PRECISION NOT NULL,
    h_m DOUBLE PRECISION,
    datum TEXT NOT NULL CHECK (datum IN ('JGD2011', 'JGD2000', 'Tokyo')),
    epoch TEXT,
    installed_on TEXT,
    condition TEXT NOT NULL CHECK (condition IN ('present', 'lost', 'moved')),
    manager TEXT NOT NULL,
    geometry TEXT NOT NULL,
    minx DOUBLE PRECISION NOT NULL,
    miny DOUBLE PRECISION NOT NULL,
    maxx DOUBLE PRECISION NOT NULL,
    maxy DOUBLE PRECISION NOT NULL,
    public BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (municipality_id, point_name)
);
CREATE INDEX road_control_points_bbox ON road_control_points (municipality_id, minx, maxx, miny, maxy);

CREATE TABLE road_facilities (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    route_id BIGINT REFERENCES road_routes (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    attributes_json TEXT NOT NULL,
    geometry TEXT NOT NULL,
    minx DOUBLE PRECISION NOT NULL,
    miny DOUBLE PRECISION NOT NULL,
    maxx DOUBLE PRECISION NOT NULL,
    maxy DOUBLE PRECISION NOT NULL,
    public BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX road_facilities_bbox ON road_facilities (municipality_id, minx, maxx, miny, maxy);
CREATE INDEX road_facilities_route ON road_facilities (route_id);

CREATE TABLE road_ledger_sheets (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    route_id BIGINT NOT NULL REFERENCES road_routes (id),
    version BIGINT NOT NULL,
    sheet_json TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (route_id, version)
);

CREATE TABLE road_history (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'import')),
    actor TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id),
    at BIGINT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    reason TEXT NOT NULL
);
CREATE INDEX road_history_entity ON road_history (municipality_id, entity, entity_id, id);

CREATE TABLE road_imports (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    crs TEXT NOT NULL,
    routes BIGINT NOT NULL,
    sections BIGINT NOT NULL,
    features BIGINT NOT NULL,
    imported_at BIGINT NOT NULL
);

CREATE TABLE road_view_counts (
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    month TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('map', 'api')),
    views BIGINT NOT NULL,
    PRIMARY KEY (municipality_id, month, channel)
);
