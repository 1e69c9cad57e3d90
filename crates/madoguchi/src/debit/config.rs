//! `[debit]` configuration (docs/debit.md, docs/configuration.md).

use std::collections::BTreeMap;

use serde::Deserialize;

/// Web口座振替 and the 全銀 種別91 files.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DebitConfig {
    /// Department codes whose staff (besides administrators) handle mandates, bills and bank files.
    pub departments: Vec<String>,
    /// Minutes a signed redirect to the bank stays valid (the resident must come back within it).
    pub redirect_minutes: i64,
    /// Per bank, keyed by the 4-digit 金融機関コード.
    pub banks: BTreeMap<String, DebitBankConfig>,
}

impl Default for DebitConfig {
    fn default() -> Self {
        DebitConfig {
            departments: vec!["nozei".into(), "kaikei".into()],
            redirect_minutes: 30,
            banks: BTreeMap::new(),
        }
    }
}

/// One bank's Web口座振替受付 endpoint and file conventions.
#[derive(Debug, Clone, Deserialize, serde::Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DebitBankConfig {
    /// The bank's registration page the resident is sent to. Empty: the bank SANDBOX on this
    /// server (`/sandbox/bank/<code>`, only in the demo and the tests).
    pub url: String,
    /// Shared secret of the redirect signatures (HMAC-SHA256), agreed with the bank.
    pub secret: String,
    /// `crlf` (122 bytes a record) or `none` (120 bytes, no separator).
    pub line_ending: LineEnding,
    /// Write a 0x1A end-of-file byte after the end record.
    pub eof_marker: bool,
    /// How the 20-byte 顧客番号 is padded: `zero` (right-aligned, zero-filled) or `space`
    /// (left-aligned, space-filled).
    pub customer_number: Padding,
    /// Per municipality code: the collector's (委託者) data at this bank.
    pub consignors: BTreeMap<String, Consignor>,
}

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LineEnding {
    #[default]
    Crlf,
    None,
}

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Padding {
    #[default]
    Zero,
    Space,
}

/// The municipality as 委託者 at one bank (header record of the request file).
#[derive(Debug, Clone, Deserialize, serde::Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Consignor {
    /// 委託者コード (10 digits), assigned by the bank.
    pub code: String,
    /// 委託者名 in 全銀 half-width kana (at most 40 bytes).
    pub name: String,
    /// 取引支店番号 (3 digits): the branch holding the municipality's account.
    pub branch: String,
    /// 預金種目 of the municipality's account: 1 普通, 2 当座, 9 その他.
    pub account_type: u8,
    /// 口座番号 (7 digits) of the municipality's account.
    pub account_number: String,
}
