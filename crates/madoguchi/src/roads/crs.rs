//! Coordinate reference systems of the road ledger and the conversion between them.
//!
//! Storage is JGD2011 plane rectangular zone IX (EPSG:6677). The OGC API offers CRS84 (lon,
//! lat), EPSG:6668 (JGD2011 geographic, lat, lon) and EPSG:6677 (X north, Y east), each in the
//! axis order of its definition. The Gauss–Krüger projection follows the GSI formulas
//! (河瀬 2011, 「Gauss-Krüger投影における経緯度座標及び平面直角座標相互間の座標換算についての
//! より簡明な計算方法」, 国土地理院時報 121; gsi.go.jp/common/000061216.pdf): Krüger series in the
//! third flattening n to n⁶, the conformal latitude solved by fixed-point iteration on the way
//! back. JGD2011 and JGD2000 share GRS80; Tokyo-datum data needs a grid shift and is refused at
//! import. We wrote it (≈100 lines) rather than take proj4rs: it is the one projection we need,
//! and the test points of the reference sheet check it to 0.1 mm.

use geojson::Position;

/// GRS80 semi-major axis (m) and inverse flattening.
const A_GRS80: f64 = 6_378_137.0;
const F_INV_GRS80: f64 = 298.257_222_101;

/// One zone of the plane rectangular coordinate system (平面直角座標系).
#[derive(Clone, Copy, Debug)]
pub struct Zone {
    /// Origin latitude / longitude in degrees, scale factor on the central meridian.
    pub lat0: f64,
    pub lon0: f64,
    pub m0: f64,
}

/// 第IX系 (東京都, 福島県, 栃木県, 茨城県, 埼玉県, 千葉県, 群馬県, 神奈川県): 36°N, 139°50′E.
pub const ZONE_IX: Zone = Zone {
    lat0: 36.0,
    lon0: 139.0 + 50.0 / 60.0,
    m0: 0.9999,
};

struct Series {
    n: f64,
    e: f64,
    /// m0 · Ā (Ā = rectifying radius).
    alpha: [f64; 6],
    beta: [f64; 6],
    a_bar: f64,
}

fn series() -> Series {
    let f = 1.0 / F_INV_GRS80;
    let n = f / (2.0 - f);
    let (n2, n3) = (n * n, n * n * n);
    let (n4, n5, n6) = (n2 * n2, n2 * n3, n3 * n3);
    let alpha = [
        n / 2.0 - 2.0 * n2 / 3.0 + 5.0 * n3 / 16.0 + 41.0 * n4 / 180.0 - 127.0 * n5 / 288.0
            + 7891.0 * n6 / 37800.0,
        13.0 * n2 / 48.0 - 3.0 * n3 / 5.0 + 557.0 * n4 / 1440.0 + 281.0 * n5 / 630.0
            - 1983433.0 * n6 / 1935360.0,
        61.0 * n3 / 240.0 - 103.0 * n4 / 140.0 + 15061.0 * n5 / 26880.0 + 167603.0 * n6 / 181440.0,
        49561.0 * n4 / 161280.0 - 179.0 * n5 / 168.0 + 6601661.0 * n6 / 7257600.0,
        34729.0 * n5 / 80640.0 - 3418889.0 * n6 / 1995840.0,
        212378941.0 * n6 / 319334400.0,
    ];
    let beta = [
        n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0 - n4 / 360.0 - 81.0 * n5 / 512.0
            + 96199.0 * n6 / 604800.0,
        n2 / 48.0 + n3 / 15.0 - 437.0 * n4 / 1440.0 + 46.0 * n5 / 105.0
            - 1118711.0 * n6 / 3870720.0,
        17.0 * n3 / 480.0 - 37.0 * n4 / 840.0 - 209.0 * n5 / 4480.0 + 5569.0 * n6 / 90720.0,
        4397.0 * n4 / 161280.0 - 11.0 * n5 / 504.0 - 830251.0 * n6 / 7257600.0,
        4583.0 * n5 / 161280.0 - 108847.0 * n6 / 3991680.0,
        20648693.0 * n6 / 638668800.0,
    ];
    let a_bar = A_GRS80 / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0 + n6 / 256.0);
    Series {
        n,
        e: 2.0 * n.sqrt() / (1.0 + n),
        alpha,
        beta,
        a_bar,
    }
}

/// tan of the conformal latitude of φ (radians).
fn conformal_tan(s: &Series, phi: f64) -> f64 {
    let sp = phi.sin();
    (sp.atanh() - s.e * (s.e * sp).atanh()).sinh()
}

/// Gauss–Krüger (ξ', η') → normalised (ξ, η).
fn kruger(s: &Series, xi: f64, eta: f64) -> (f64, f64) {
    let (mut x, mut y) = (xi, eta);
    for (j, a) in s.alpha.iter().enumerate() {
        let k = 2.0 * (j as f64 + 1.0);
        x += a * (k * xi).sin() * (k * eta).cosh();
        y += a * (k * xi).cos() * (k * eta).sinh();
    }
    (x, y)
}

fn meridian_origin(s: &Series, zone: &Zone) -> f64 {
    let chi0 = conformal_tan(s, zone.lat0.to_radians()).atan();
    zone.m0 * s.a_bar * kruger(s, chi0, 0.0).0
}

/// Latitude / longitude in degrees → (X north, Y east) in metres.
pub fn to_plane(zone: &Zone, lat: f64, lon: f64) -> (f64, f64) {
    let s = series();
    let _ = s.n;
    let t = conformal_tan(&s, lat.to_radians());
    let dl = (lon - zone.lon0).to_radians();
    let t_bar = (1.0 + t * t).sqrt();
    let xi = t.atan2(dl.cos());
    let eta = (dl.sin() / t_bar).atanh();
    let (kx, ky) = kruger(&s, xi, eta);
    let x = zone.m0 * s.a_bar * kx - meridian_origin(&s, zone);
    let y = zone.m0 * s.a_bar * ky;
    (x, y)
}

/// (X north, Y east) in metres → latitude / longitude in degrees.
pub fn to_geographic(zone: &Zone, x: f64, y: f64) -> (f64, f64) {
    let s = series();
    let xi = (x + meridian_origin(&s, zone)) / (zone.m0 * s.a_bar);
    let eta = y / (zone.m0 * s.a_bar);
    let (mut xi1, mut eta1) = (xi, eta);
    for (j, b) in s.beta.iter().enumerate() {
        let k = 2.0 * (j as f64 + 1.0);
        xi1 -= b * (k * xi).sin() * (k * eta).cosh();
        eta1 -= b * (k * xi).cos() * (k * eta).sinh();
    }
    let chi = (xi1.sin() / eta1.cosh()).asin();
    let lon = zone.lon0.to_radians() + eta1.sinh().atan2(xi1.cos());
    // φ from the conformal latitude χ: atanh(sin φ) = asinh(tan χ) + e·atanh(e·sin φ).
    let psi = chi.tan().asinh();
    let mut phi = chi;
    for _ in 0..20 {
        let next = (psi + s.e * (s.e * phi.sin()).atanh()).tanh().asin();
        if (next - phi).abs() < 1e-15 {
            phi = next;
            break;
        }
        phi = next;
    }
    (phi.to_degrees(), lon.to_degrees())
}

/// The CRSs the OGC API offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crs {
    /// OGC CRS84: longitude, latitude (WGS 84 axes; JGD2011 coordinates, the difference is
    /// below the data's accuracy).
    Crs84,
    /// JGD2011 geographic: latitude, longitude.
    Epsg6668,
    /// JGD2011 / plane rectangular zone IX: X north, Y east (the storage CRS).
    Epsg6677,
}

pub const CRS84_URI: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
pub const EPSG6668_URI: &str = "http://www.opengis.net/def/crs/EPSG/0/6668";
pub const EPSG6677_URI: &str = "http://www.opengis.net/def/crs/EPSG/0/6677";

impl Crs {
    pub const ALL: [Crs; 3] = [Crs::Crs84, Crs::Epsg6668, Crs::Epsg6677];

    pub fn uri(self) -> &'static str {
        match self {
            Crs::Crs84 => CRS84_URI,
            Crs::Epsg6668 => EPSG6668_URI,
            Crs::Epsg6677 => EPSG6677_URI,
        }
    }

    /// Short name as the CLI takes it.
    pub fn code(self) -> &'static str {
        match self {
            Crs::Crs84 => "CRS84",
            Crs::Epsg6668 => "EPSG:6668",
            Crs::Epsg6677 => "EPSG:6677",
        }
    }

    /// Parses a URI (`http://www.opengis.net/def/crs/EPSG/0/6677`), a safe CURIE
    /// (`[EPSG:6677]`) or a short code (`EPSG:6677`, `CRS84`, `OGC:CRS84`).
    pub fn parse(s: &str) -> Option<Crs> {
        let t = s.trim();
        let t = t
            .strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .unwrap_or(t);
        let t = t
            .strip_prefix("https://")
            .map_or(t.to_owned(), |r| format!("http://{r}"));
        match t.as_str() {
            CRS84_URI | "CRS84" | "OGC:CRS84" | "urn:ogc:def:crs:OGC:1.3:CRS84" => Some(Crs::Crs84),
            EPSG6668_URI | "EPSG:6668" | "urn:ogc:def:crs:EPSG::6668" => Some(Crs::Epsg6668),
            EPSG6677_URI | "EPSG:6677" | "urn:ogc:def:crs:EPSG::6677" => Some(Crs::Epsg6677),
            _ => None,
        }
    }

    /// Converts a position in this CRS (its own axis order) to storage `[easting, northing]`.
    pub fn to_storage(self, p: &Position) -> Position {
        let (a, b) = (p[0], p[1]);
        let (x, y) = match self {
            Crs::Crs84 => to_plane(&ZONE_IX, b, a),
            Crs::Epsg6668 => to_plane(&ZONE_IX, a, b),
            Crs::Epsg6677 => (a, b),
        };
        with_rest([y, x], p)
    }

    /// Converts a storage `[easting, northing]` to this CRS in its axis order. Geographic
    /// output is rounded to 1e-9° (0.1 mm), plane output to 0.1 mm.
    pub fn from_storage(self, p: &Position) -> Position {
        let (y, x) = (p[0], p[1]);
        let r = |v: f64, k: f64| (v * k).round() / k;
        let out = match self {
            Crs::Crs84 | Crs::Epsg6668 => {
                let (lat, lon) = to_geographic(&ZONE_IX, x, y);
                let (lat, lon) = (r(lat, 1e9), r(lon, 1e9));
                if self == Crs::Crs84 {
                    [lon, lat]
                } else {
                    [lat, lon]
                }
            }
            Crs::Epsg6677 => [r(x, 1e4), r(y, 1e4)],
        };
        with_rest(out, p)
    }

    /// A bbox given in this CRS (`[a1, b1, a2, b2]` in its axis order) as a storage bbox
    /// `[min easting, min northing, max easting, max northing]`, covering the box's edges.
    pub fn bbox_to_storage(self, b: [f64; 4]) -> [f64; 4] {
        if self == Crs::Epsg6677 {
            return [
                b[1].min(b[3]),
                b[0].min(b[2]),
                b[1].max(b[3]),
                b[0].max(b[2]),
            ];
        }
        // A geographic box is not a rectangle in the plane: sample its edges.
        let mut out = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for i in 0..=16 {
            let t = i as f64 / 16.0;
            for (a, c) in [
                (b[0] + (b[2] - b[0]) * t, b[1]),
                (b[0] + (b[2] - b[0]) * t, b[3]),
                (b[0], b[1] + (b[3] - b[1]) * t),
                (b[2], b[1] + (b[3] - b[1]) * t),
            ] {
                let s = self.to_storage(&Position::from([a, c]));
                out = [
                    out[0].min(s[0]),
                    out[1].min(s[1]),
                    out[2].max(s[0]),
                    out[3].max(s[1]),
                ];
            }
        }
        out
    }

    /// A storage bbox as a bbox in this CRS, in OGC API order (lower corner, upper corner,
    /// each in the CRS's axis order), covering the box's edges.
    pub fn bbox_from_storage(self, b: [f64; 4]) -> [f64; 4] {
        let mut out = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for i in 0..=16 {
            let t = i as f64 / 16.0;
            for (e, n) in [
                (b[0] + (b[2] - b[0]) * t, b[1]),
                (b[0] + (b[2] - b[0]) * t, b[3]),
                (b[0], b[1] + (b[3] - b[1]) * t),
                (b[2], b[1] + (b[3] - b[1]) * t),
            ] {
                let s = self.from_storage(&Position::from([e, n]));
                out = [
                    out[0].min(s[0]),
                    out[1].min(s[1]),
                    out[2].max(s[0]),
                    out[3].max(s[1]),
                ];
            }
        }
        out
    }
}

fn with_rest(xy: [f64; 2], p: &Position) -> Position {
    if p.len() > 2 {
        let mut v = vec![xy[0], xy[1]];
        v.extend_from_slice(&p.as_slice()[2..]);
        Position::from(v)
    } else {
        Position::from(xy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_is_zero() {
        let (x, y) = to_plane(&ZONE_IX, 36.0, ZONE_IX.lon0);
        assert!(x.abs() < 1e-6 && y.abs() < 1e-6, "{x} {y}");
    }

    #[test]
    fn parses_crs_forms() {
        assert_eq!(Crs::parse(EPSG6677_URI), Some(Crs::Epsg6677));
        assert_eq!(Crs::parse("[EPSG:6668]"), Some(Crs::Epsg6668));
        assert_eq!(Crs::parse("CRS84"), Some(Crs::Crs84));
        assert_eq!(Crs::parse("EPSG:4326"), None);
    }
}
