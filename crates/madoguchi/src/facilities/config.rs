//! `[facilities]` configuration (docs/facilities.md, docs/configuration.md).

use std::collections::BTreeMap;

use serde::Deserialize;

/// Public facilities: registration expiry, lottery windows, the scheduled job.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FacilitiesConfig {
    /// Day (`MM-DD`) on which user registrations expire every year (体育館: 31 March).
    pub expires_on: String,
    /// Months before the month of use that a lottery's entry window opens (集会施設: 3).
    pub lottery_months_before: i64,
    /// Seconds between two runs of the job that draws due lotteries and forfeits unconfirmed wins.
    pub job_interval_secs: u64,
    /// Department codes whose staff (besides administrators) handle registrations and reviews.
    pub departments: Vec<String>,
    /// Minutes a booking with a fee waits for its online payment (支払待ち) before the job
    /// releases it.
    pub payment_minutes: i64,
    /// Per municipality code: overrides of `expires_on` and `lottery_months_before`.
    pub municipalities: BTreeMap<String, FacilitiesMunicipality>,
}

impl Default for FacilitiesConfig {
    fn default() -> Self {
        FacilitiesConfig {
            expires_on: "03-31".into(),
            lottery_months_before: 3,
            job_interval_secs: 60,
            departments: vec![
                "joho-system".into(),
                "shakai-kyoiku".into(),
                "sports".into(),
            ],
            payment_minutes: 60,
            municipalities: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct FacilitiesMunicipality {
    pub expires_on: Option<String>,
    pub lottery_months_before: Option<i64>,
}

impl FacilitiesConfig {
    /// (expires_on, lottery_months_before) for a municipality.
    pub fn for_municipality(&self, code: &str) -> (String, i64) {
        let m = self.municipalities.get(code);
        (
            m.and_then(|m| m.expires_on.clone())
                .unwrap_or_else(|| self.expires_on.clone()),
            m.and_then(|m| m.lottery_months_before)
                .unwrap_or(self.lottery_months_before),
        )
    }

    /// A problem with the settings, for start-up.
    pub fn check(&self) -> Result<(), String> {
        let ok = |s: &str| {
            s.split_once('-')
                .and_then(|(m, d)| Some((m.parse::<u8>().ok()?, d.parse::<u8>().ok()?)))
                .is_some_and(|(m, d)| {
                    (1..=12).contains(&m) && (1..=31).contains(&d) && s.len() == 5
                })
        };
        if !(1..=10_080).contains(&self.payment_minutes) {
            return Err(format!(
                "facilities.payment_minutes must be from 1 to 10080 (a week), got {}",
                self.payment_minutes
            ));
        }
        if !ok(&self.expires_on) {
            return Err(format!(
                "facilities.expires_on must be MM-DD (got {:?})",
                self.expires_on
            ));
        }
        for (code, m) in &self.municipalities {
            if let Some(e) = &m.expires_on
                && !ok(e)
            {
                return Err(format!(
                    "facilities.municipalities.{code}.expires_on must be MM-DD (got {e:?})"
                ));
            }
        }
        Ok(())
    }
}
