//! Typed records of a 種別91 (預金口座振替) request or result file.

use crate::error::Reason;

/// Length of one record in bytes, without a line ending.
pub const RECORD_LEN: usize = 120;

/// 種別コード of 預金口座振替.
pub const TYPE_CODE_ACCOUNT_TRANSFER: &str = "91";

/// Largest 引落金額 of one data record (N(10)).
pub const MAX_AMOUNT: u64 = 9_999_999_999;
/// Largest 件数 in a trailer (N(6)).
pub const MAX_COUNT: u64 = 999_999;
/// Largest 金額 in a trailer (N(12)).
pub const MAX_TOTAL_AMOUNT: u64 = 999_999_999_999;

/// Whether the file is a request (依頼明細, sent to the bank) or a result (処理結果明細, sent back).
///
/// Both have the same layout; a result carries a 振替結果コード in every data record and the
/// 振替済 / 振替不能 counts and amounts in the trailer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// 口座振替依頼明細: every 振替結果コード is `0`, the trailer's 振替済/振替不能 fields are zero.
    Request,
    /// 口座振替結果明細 (処理結果明細).
    Result,
}

/// A whole file: one or more header…trailer groups and one end record.
///
/// The JBA format allows several groups in one file (マルチファイル); most bank web channels
/// accept one group only, which is what [`TransferFile::single`] builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferFile {
    /// Request or result.
    pub kind: FileKind,
    /// The header…trailer groups, in file order. Never empty in a file that was read.
    pub groups: Vec<TransferGroup>,
}

impl TransferFile {
    /// A file with one group whose trailer is computed from the data.
    ///
    /// Fails only when the totals do not fit their fields (more than 999,999 records, or a sum
    /// over 999,999,999,999 yen) or a request carries a result code.
    pub fn single(kind: FileKind, header: Header, data: Vec<Data>) -> Result<Self, Reason> {
        let trailer = Trailer::from_data(kind, &data)?;
        Ok(Self {
            kind,
            groups: vec![TransferGroup {
                header,
                data,
                trailer,
            }],
        })
    }

    /// All data records of all groups, in file order.
    pub fn data(&self) -> impl Iterator<Item = &Data> {
        self.groups.iter().flat_map(|g| g.data.iter())
    }
}

/// One header, its data records and its trailer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferGroup {
    pub header: Header,
    pub data: Vec<Data>,
    pub trailer: Trailer,
}

/// コード区分 (header byte 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CodeDivision {
    /// `0`: JIS (JIS X 0201 8-bit). The only one this crate reads or writes.
    #[default]
    Jis,
    /// `1`: EBCDIC. Recognised so the error can say so; refused by the reader and the writer.
    Ebcdic,
}

/// 預金種目.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountType {
    /// `1` 普通
    Ordinary,
    /// `2` 当座
    Current,
    /// `3` 納税準備預金 (data records only)
    TaxReserve,
    /// `9` その他
    Other,
}

impl AccountType {
    /// The digit written in the file.
    pub const fn digit(self) -> u8 {
        match self {
            Self::Ordinary => b'1',
            Self::Current => b'2',
            Self::TaxReserve => b'3',
            Self::Other => b'9',
        }
    }

    /// Parse the digit of a file (`b'1'`, `b'2'`, `b'3'`, `b'9'`).
    pub const fn from_digit(b: u8) -> Option<Self> {
        match b {
            b'1' => Some(Self::Ordinary),
            b'2' => Some(Self::Current),
            b'3' => Some(Self::TaxReserve),
            b'9' => Some(Self::Other),
            _ => None,
        }
    }

    /// Japanese name (普通, 当座, 納税準備預金, その他).
    pub const fn name_ja(self) -> &'static str {
        match self {
            Self::Ordinary => "普通",
            Self::Current => "当座",
            Self::TaxReserve => "納税準備預金",
            Self::Other => "その他",
        }
    }
}

/// 新規コード (data byte 91).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NewCode {
    /// `0` その他 (a continuing debit)
    #[default]
    Other,
    /// `1` 第1回引落分 (first debit under a new mandate)
    First,
    /// `2` 変更分 (bank, branch, account type or number changed)
    Changed,
}

impl NewCode {
    /// The digit written in the file.
    pub const fn digit(self) -> u8 {
        match self {
            Self::Other => b'0',
            Self::First => b'1',
            Self::Changed => b'2',
        }
    }

    /// Parse the digit of a file.
    pub const fn from_digit(b: u8) -> Option<Self> {
        match b {
            b'0' => Some(Self::Other),
            b'1' => Some(Self::First),
            b'2' => Some(Self::Changed),
            _ => None,
        }
    }
}

/// 引落日 (振替日) as written in the header: month and day, no year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MonthDay {
    month: u8,
    day: u8,
}

impl MonthDay {
    /// A valid month (1–12) and day (1–31, at most the month's length; 29 February allowed).
    pub const fn new(month: u8, day: u8) -> Option<Self> {
        let max = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 => 29,
            _ => return None,
        };
        if day == 0 || day > max {
            return None;
        }
        Some(Self { month, day })
    }

    pub const fn month(self) -> u8 {
        self.month
    }

    pub const fn day(self) -> u8 {
        self.day
    }
}

/// Header record (データ区分 `1`).
///
/// Text fields hold 全銀 half-width characters (e.g. `"ﾏﾄﾞｸﾞﾁｼ"`); number fields hold exactly
/// as many digits as the field is wide (`bank_code: "0134"`). Trailing spaces of text fields are
/// not part of the value (the reader trims them, the writer pads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// 種別コード, `"91"`.
    pub type_code: String,
    /// コード区分.
    pub code_division: CodeDivision,
    /// 委託者コード, 10 digits.
    pub collector_code: String,
    /// 委託者名, up to 40 bytes (name class).
    pub collector_name: String,
    /// 引落日.
    pub debit_date: MonthDay,
    /// 取引銀行番号, 4 digits.
    pub bank_code: String,
    /// 取引銀行名, up to 15 bytes (bank-name class), may be empty.
    pub bank_name: String,
    /// 取引支店番号, 3 digits.
    pub branch_code: String,
    /// 取引支店名, up to 15 bytes (bank-name class), may be empty.
    pub branch_name: String,
    /// 預金種目（委託者）: 普通, 当座 or その他.
    pub account_type: AccountType,
    /// 口座番号（委託者）, 7 digits.
    pub account_number: String,
}

/// Data record (データ区分 `2`), one per payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Data {
    /// 引落銀行番号, 4 digits (`9900` = ゆうちょ銀行).
    pub bank_code: String,
    /// 引落銀行名, up to 15 bytes, may be empty.
    pub bank_name: String,
    /// 引落支店番号, 3 digits.
    pub branch_code: String,
    /// 引落支店名, up to 15 bytes, may be empty.
    pub branch_name: String,
    /// 預金種目.
    pub account_type: AccountType,
    /// 口座番号, 7 digits.
    pub account_number: String,
    /// 預金者名, up to 30 bytes (name class); see [`crate::kana::to_zengin`].
    pub holder_name: String,
    /// 引落金額 in yen, at most [`MAX_AMOUNT`].
    pub amount: u64,
    /// 新規コード.
    pub new_code: NewCode,
    /// 顧客番号: digits only, at most 20, without the padding (see
    /// [`CustomerNumberFormat`](crate::CustomerNumberFormat)).
    pub customer_number: String,
    /// 振替結果コード: `None` in a request (written as `0`), `Some` in a result.
    pub result: Option<ResultCode>,
}

/// Trailer record (データ区分 `8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Trailer {
    /// 合計件数
    pub total_count: u64,
    /// 合計金額
    pub total_amount: u64,
    /// 振替済件数 (zero in a request)
    pub paid_count: u64,
    /// 振替済金額 (zero in a request)
    pub paid_amount: u64,
    /// 振替不能件数 (zero in a request)
    pub unpaid_count: u64,
    /// 振替不能金額 (zero in a request)
    pub unpaid_amount: u64,
}

impl Trailer {
    /// The trailer that matches `data` in a file of `kind`.
    ///
    /// Errors: a total does not fit its field, or a request record carries a result code, or a
    /// result record has none.
    pub fn from_data(kind: FileKind, data: &[Data]) -> Result<Self, Reason> {
        let mut t = Trailer::default();
        for d in data {
            t.total_count += 1;
            t.total_amount = t.total_amount.saturating_add(d.amount);
            match (kind, d.result) {
                (FileKind::Request, None) => {}
                (FileKind::Request, Some(_)) => return Err(Reason::ResultCodeInRequest),
                (FileKind::Result, None) => return Err(Reason::MissingResultCode),
                (FileKind::Result, Some(code)) => {
                    if code.is_paid() {
                        t.paid_count += 1;
                        t.paid_amount = t.paid_amount.saturating_add(d.amount);
                    } else {
                        t.unpaid_count += 1;
                        t.unpaid_amount = t.unpaid_amount.saturating_add(d.amount);
                    }
                }
            }
        }
        if t.total_count > MAX_COUNT {
            return Err(Reason::TooManyRecords {
                count: t.total_count,
            });
        }
        if t.total_amount > MAX_TOTAL_AMOUNT {
            return Err(Reason::TotalTooLarge {
                amount: t.total_amount,
            });
        }
        Ok(t)
    }
}

/// 振替結果コード (data byte 112) of a result file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultCode {
    /// `0` 振替済
    Paid,
    /// `1` 資金不足
    InsufficientFunds,
    /// `2` 取引なし (預金取引なし)
    NoAccount,
    /// `3` 預金者の都合による振替停止
    StoppedByPayer,
    /// `4` 預金口座振替依頼書なし
    NoMandate,
    /// `8` 委託者の都合による振替停止
    StoppedByCollector,
    /// `9` その他
    Other,
    /// Any other printable byte (unused `5`–`7`, or an intermediary's own code such as GMO-PG's
    /// `N`). Not a JBA code; counts as not paid.
    Unknown(u8),
}

impl ResultCode {
    /// Every JBA code, in code order (for tables and tests).
    pub const ALL_JBA: [ResultCode; 7] = [
        Self::Paid,
        Self::InsufficientFunds,
        Self::NoAccount,
        Self::StoppedByPayer,
        Self::NoMandate,
        Self::StoppedByCollector,
        Self::Other,
    ];

    /// Parse the byte of a result record. Returns `None` for bytes that cannot be a code at all
    /// (space, control bytes, anything outside 0x21–0x7E).
    pub const fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            b'0' => Self::Paid,
            b'1' => Self::InsufficientFunds,
            b'2' => Self::NoAccount,
            b'3' => Self::StoppedByPayer,
            b'4' => Self::NoMandate,
            b'8' => Self::StoppedByCollector,
            b'9' => Self::Other,
            0x21..=0x7E => Self::Unknown(b),
            _ => return None,
        })
    }

    /// The byte written in the file.
    pub const fn byte(self) -> u8 {
        match self {
            Self::Paid => b'0',
            Self::InsufficientFunds => b'1',
            Self::NoAccount => b'2',
            Self::StoppedByPayer => b'3',
            Self::NoMandate => b'4',
            Self::StoppedByCollector => b'8',
            Self::Other => b'9',
            Self::Unknown(b) => b,
        }
    }

    /// Whether the debit went through (only `0` 振替済).
    pub const fn is_paid(self) -> bool {
        matches!(self, Self::Paid)
    }

    /// The JBA meaning in Japanese.
    pub const fn meaning_ja(self) -> &'static str {
        match self {
            Self::Paid => "振替済",
            Self::InsufficientFunds => "資金不足",
            Self::NoAccount => "取引なし（預金取引なし）",
            Self::StoppedByPayer => "預金者の都合による振替停止",
            Self::NoMandate => "預金口座振替依頼書なし",
            Self::StoppedByCollector => "委託者の都合による振替停止",
            Self::Other => "その他",
            Self::Unknown(_) => "不明な結果コード（全銀協の定めにないコード）",
        }
    }

    /// The meaning in English.
    pub const fn meaning_en(self) -> &'static str {
        match self {
            Self::Paid => "paid",
            Self::InsufficientFunds => "insufficient funds",
            Self::NoAccount => "no such account (closed or details do not match)",
            Self::StoppedByPayer => "stopped by the account holder",
            Self::NoMandate => "no direct-debit mandate at the bank",
            Self::StoppedByCollector => "stopped at the collector's request",
            Self::Other => "other",
            Self::Unknown(_) => "unknown result code (not a JBA code)",
        }
    }
}
