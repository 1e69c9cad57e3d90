//! `[roads_map]` configuration: the public road map's optional base map and the vector-tile
//! cache (docs/roads-map.md, docs/configuration.md).

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoadsMapConfig {
    /// XYZ raster tile URL template of a base map under the roads, e.g. GSI's
    /// `https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png`. Empty (the default): no
    /// base map, and the map page sends no request to any other host.
    pub basemap_url: String,
    /// The base map's attribution, shown on the map while it is visible (required with a URL).
    pub basemap_attribution: String,
    /// Tiles kept in the in-memory LRU cache (per server process).
    pub tile_cache_tiles: usize,
    /// How long (milliseconds) a cached tile is served without asking the database whether the
    /// road data changed. Edits made through this server show at once; an import by the CLI or
    /// an edit on another server process shows within this time.
    pub tile_version_check_ms: u64,
    /// `Cache-Control: max-age` of a tile in seconds (browsers revalidate with the ETag after).
    pub tile_max_age_secs: u64,
    /// Where the map opens when no route is selected: longitude, latitude, zoom.
    pub center_lon: f64,
    pub center_lat: f64,
    pub zoom: f64,
    /// Department codes whose staff (besides administrators) may edit the road ledger (map editor and staff forms).
    pub edit_departments: Vec<String>,
}

impl Default for RoadsMapConfig {
    fn default() -> Self {
        RoadsMapConfig {
            basemap_url: String::new(),
            basemap_attribution: String::new(),
            tile_cache_tiles: 8192,
            tile_version_check_ms: 1000,
            tile_max_age_secs: 60,
            // 市川駅 / 本八幡 area
            center_lon: 139.918,
            center_lat: 35.725,
            zoom: 14.0,
            edit_departments: vec!["doro-kanri".into()],
        }
    }
}

impl RoadsMapConfig {
    /// The origin (scheme://host[:port]) of the base map, for the page's Content-Security-Policy.
    pub fn basemap_origin(&self) -> Option<String> {
        let rest = self
            .basemap_url
            .strip_prefix("https://")
            .map(|r| ("https", r))
            .or_else(|| {
                self.basemap_url
                    .strip_prefix("http://")
                    .map(|r| ("http", r))
            })?;
        let host = rest.1.split('/').next()?;
        if host.is_empty() || host.contains(['{', '}', '\'', ';', ' ', '"']) {
            return None;
        }
        Some(format!("{}://{}", rest.0, host))
    }

    /// Checks made at start-up: a base map needs its attribution (GSI terms and most others).
    pub fn validate(&self) -> anyhow::Result<()> {
        if !self.basemap_url.is_empty() {
            anyhow::ensure!(
                self.basemap_origin().is_some(),
                "roads_map.basemap_url must be an http(s) URL template with a host name"
            );
            anyhow::ensure!(
                !self.basemap_attribution.trim().is_empty(),
                "roads_map.basemap_attribution is required with roads_map.basemap_url"
            );
        }
        anyhow::ensure!(
            self.tile_cache_tiles > 0,
            "roads_map.tile_cache_tiles must be at least 1"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_map_origin_and_checks() {
        let mut c = RoadsMapConfig::default();
        assert!(c.validate().is_ok());
        assert_eq!(c.basemap_origin(), None);
        c.basemap_url = "https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png".into();
        assert_eq!(
            c.basemap_origin().as_deref(),
            Some("https://cyberjapandata.gsi.go.jp")
        );
        assert!(c.validate().is_err(), "attribution missing");
        c.basemap_attribution = "地理院タイル".into();
        assert!(c.validate().is_ok());
        c.basemap_url = "ftp://x/{z}".into();
        assert!(c.validate().is_err());
    }
}
