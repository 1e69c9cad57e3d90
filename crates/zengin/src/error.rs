//! Errors of the reader and the writer: which record, where, which field, why.

use std::fmt;

/// The field a problem is in. `name_ja()` gives the JBA name for the staff UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// データ区分 (byte 1 of every record)
    RecordType,
    /// 種別コード
    TypeCode,
    /// コード区分
    CodeDivision,
    /// 委託者コード
    CollectorCode,
    /// 委託者名
    CollectorName,
    /// 引落日
    DebitDate,
    /// 取引銀行番号
    CollectorBankCode,
    /// 取引銀行名
    CollectorBankName,
    /// 取引支店番号
    CollectorBranchCode,
    /// 取引支店名
    CollectorBranchName,
    /// 預金種目（委託者）
    CollectorAccountType,
    /// 口座番号（委託者）
    CollectorAccountNumber,
    /// 引落銀行番号
    BankCode,
    /// 引落銀行名
    BankName,
    /// 引落支店番号
    BranchCode,
    /// 引落支店名
    BranchName,
    /// 預金種目
    AccountType,
    /// 口座番号
    AccountNumber,
    /// 預金者名
    HolderName,
    /// 引落金額
    Amount,
    /// 新規コード
    NewCode,
    /// 顧客番号
    CustomerNumber,
    /// 振替結果コード
    ResultCode,
    /// 合計件数
    TotalCount,
    /// 合計金額
    TotalAmount,
    /// 振替済件数
    PaidCount,
    /// 振替済金額
    PaidAmount,
    /// 振替不能件数
    UnpaidCount,
    /// 振替不能金額
    UnpaidAmount,
    /// ダミー
    Dummy,
}

impl Field {
    /// The JBA (Japanese) field name.
    pub const fn name_ja(self) -> &'static str {
        match self {
            Self::RecordType => "データ区分",
            Self::TypeCode => "種別コード",
            Self::CodeDivision => "コード区分",
            Self::CollectorCode => "委託者コード",
            Self::CollectorName => "委託者名",
            Self::DebitDate => "引落日",
            Self::CollectorBankCode => "取引銀行番号",
            Self::CollectorBankName => "取引銀行名",
            Self::CollectorBranchCode => "取引支店番号",
            Self::CollectorBranchName => "取引支店名",
            Self::CollectorAccountType => "預金種目（委託者）",
            Self::CollectorAccountNumber => "口座番号（委託者）",
            Self::BankCode => "引落銀行番号",
            Self::BankName => "引落銀行名",
            Self::BranchCode => "引落支店番号",
            Self::BranchName => "引落支店名",
            Self::AccountType => "預金種目",
            Self::AccountNumber => "口座番号",
            Self::HolderName => "預金者名",
            Self::Amount => "引落金額",
            Self::NewCode => "新規コード",
            Self::CustomerNumber => "顧客番号",
            Self::ResultCode => "振替結果コード",
            Self::TotalCount => "合計件数",
            Self::TotalAmount => "合計金額",
            Self::PaidCount => "振替済件数",
            Self::PaidAmount => "振替済金額",
            Self::UnpaidCount => "振替不能件数",
            Self::UnpaidAmount => "振替不能金額",
            Self::Dummy => "ダミー",
        }
    }

    /// The English field name.
    pub const fn name_en(self) -> &'static str {
        match self {
            Self::RecordType => "record type",
            Self::TypeCode => "type code",
            Self::CodeDivision => "code division",
            Self::CollectorCode => "collector code",
            Self::CollectorName => "collector name",
            Self::DebitDate => "debit date",
            Self::CollectorBankCode => "collector bank code",
            Self::CollectorBankName => "collector bank name",
            Self::CollectorBranchCode => "collector branch code",
            Self::CollectorBranchName => "collector branch name",
            Self::CollectorAccountType => "collector account type",
            Self::CollectorAccountNumber => "collector account number",
            Self::BankCode => "bank code",
            Self::BankName => "bank name",
            Self::BranchCode => "branch code",
            Self::BranchName => "branch name",
            Self::AccountType => "account type",
            Self::AccountNumber => "account number",
            Self::HolderName => "account holder name",
            Self::Amount => "amount",
            Self::NewCode => "new code",
            Self::CustomerNumber => "customer number",
            Self::ResultCode => "result code",
            Self::TotalCount => "total count",
            Self::TotalAmount => "total amount",
            Self::PaidCount => "paid count",
            Self::PaidAmount => "paid amount",
            Self::UnpaidCount => "unpaid count",
            Self::UnpaidAmount => "unpaid amount",
            Self::Dummy => "filler",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_en())
    }
}

/// Shows a byte as a character where it is printable JIS X 0201, else as hex.
fn show_byte(b: u8) -> String {
    match b {
        0x21..=0x7E => format!("'{}' (0x{b:02X})", b as char),
        0x20 => "a space (0x20)".to_string(),
        0xA1..=0xDF => match char::from_u32(0xFF61 + u32::from(b) - 0xA1) {
            Some(c) => format!("'{c}' (0x{b:02X})"),
            None => format!("0x{b:02X}"),
        },
        _ => format!("0x{b:02X}"),
    }
}

fn show_byte_ja(b: u8) -> String {
    match b {
        0x20 => "空白 (0x20)".to_string(),
        _ => show_byte(b),
    }
}

/// Why a record or a field is wrong. Shared by the reader and the writer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// Reading failed (I/O); the message of the underlying error.
    Io(String),
    /// The file has no bytes.
    Empty,
    /// A record is not 120 bytes long.
    RecordLength { found: usize },
    /// A record ends in CR without LF.
    BareCr,
    /// A record ends in LF without CR.
    BareLf,
    /// Some records have CR LF and others do not.
    MixedLineEndings,
    /// A record of the wrong type at this place (e.g. data before a header).
    UnexpectedRecord { found: u8, expected: &'static str },
    /// Bytes after the end record (other than one 0x1A).
    AfterEnd,
    /// The file stops before its end record.
    MissingEnd,
    /// A header without data records' trailer (end record or next header too early).
    MissingTrailer,
    /// An N field holds a byte that is not a digit.
    NotDigit { byte: u8 },
    /// A C field holds a byte outside the field's character class.
    BadByte { byte: u8 },
    /// A value to write holds a character outside the field's class.
    BadChar { ch: char },
    /// A filler (ダミー) that is not all spaces.
    NotSpace { byte: u8 },
    /// A number field value of the wrong length (writer; values must be exactly as wide).
    WrongLength { expected: usize, found: usize },
    /// A text value longer than its field, in bytes.
    TooLong { max: usize, found: usize },
    /// A code that is not one of the allowed values.
    InvalidCode {
        found: String,
        allowed: &'static str,
    },
    /// コード区分 `1` (EBCDIC) is not supported.
    Ebcdic,
    /// A number too large for its field.
    TooLarge { value: u64, max: u64 },
    /// A trailer's value does not match the data records.
    TotalMismatch { in_trailer: u64, computed: u64 },
    /// A result trailer whose 振替済 + 振替不能 differ from 合計.
    Unbalanced { total: u64, paid: u64, unpaid: u64 },
    /// A request whose data record has a 振替結果コード other than `0`.
    ResultCodeInRequest,
    /// A result record without a 振替結果コード (writer).
    MissingResultCode,
    /// A result code byte that is no code at all (space, control byte).
    BlankResultCode { byte: u8 },
    /// A request was expected and a result file was read, or the other way round.
    WrongKind { expected: crate::FileKind },
    /// More data records than a trailer can count.
    TooManyRecords { count: u64 },
    /// Amounts sum to more than a trailer can hold.
    TotalTooLarge { amount: u64 },
    /// A file to write without any group.
    NoGroups,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(m) => write!(f, "could not read the file: {m}"),
            Self::Empty => f.write_str("the file is empty"),
            Self::RecordLength { found } => {
                write!(f, "the record is {found} bytes long; records are 120 bytes")
            }
            Self::BareCr => f.write_str(
                "line ending is CR without LF; only CR LF or no line endings are accepted",
            ),
            Self::BareLf => f.write_str(
                "line ending is LF without CR; only CR LF or no line endings are accepted",
            ),
            Self::MixedLineEndings => f.write_str("some records end in CR LF and others do not"),
            Self::UnexpectedRecord { found, expected } => write!(
                f,
                "record type is {}, expected {expected}",
                show_byte(*found)
            ),
            Self::AfterEnd => f.write_str("there are bytes after the end record"),
            Self::MissingEnd => f.write_str("the file stops before the end record (9)"),
            Self::MissingTrailer => f.write_str("a header has no trailer record (8)"),
            Self::NotDigit { byte } => write!(f, "{} is not a digit", show_byte(*byte)),
            Self::BadByte { byte } => {
                write!(f, "{} is not allowed in this field", show_byte(*byte))
            }
            Self::BadChar { ch } => write!(
                f,
                "'{ch}' (U+{:04X}) is not allowed in this field",
                u32::from(*ch)
            ),
            Self::NotSpace { byte } => {
                write!(f, "the filler must be spaces, found {}", show_byte(*byte))
            }
            Self::WrongLength { expected, found } => {
                write!(f, "must be exactly {expected} digits, got {found}")
            }
            Self::TooLong { max, found } => {
                write!(f, "is {found} bytes long, at most {max} fit")
            }
            Self::InvalidCode { found, allowed } => {
                write!(f, "{found:?} is not allowed; allowed: {allowed}")
            }
            Self::Ebcdic => f.write_str("EBCDIC files (code division 1) are not supported"),
            Self::TooLarge { value, max } => write!(f, "{value} is larger than {max}"),
            Self::TotalMismatch {
                in_trailer,
                computed,
            } => write!(
                f,
                "the trailer says {in_trailer}, the data records add up to {computed}"
            ),
            Self::Unbalanced {
                total,
                paid,
                unpaid,
            } => write!(f, "paid {paid} + unpaid {unpaid} is not the total {total}"),
            Self::ResultCodeInRequest => f.write_str("a request record must have result code 0"),
            Self::MissingResultCode => f.write_str("a result record needs a result code"),
            Self::BlankResultCode { byte } => {
                write!(f, "result code is {}, not a code", show_byte(*byte))
            }
            Self::WrongKind { expected } => match expected {
                crate::FileKind::Request => {
                    f.write_str("expected a request file, this is a result file")
                }
                crate::FileKind::Result => {
                    f.write_str("expected a result file, this is a request file")
                }
            },
            Self::TooManyRecords { count } => {
                write!(f, "{count} data records; a trailer counts at most 999999")
            }
            Self::TotalTooLarge { amount } => write!(
                f,
                "the amounts add up to {amount} yen; a trailer holds at most 999999999999"
            ),
            Self::NoGroups => f.write_str("the file has no header/data/trailer group"),
        }
    }
}

impl Reason {
    /// The reason in Japanese, for the staff UI.
    pub fn ja(&self) -> String {
        match self {
            Self::Io(m) => format!("ファイルを読めませんでした: {m}"),
            Self::Empty => "ファイルが空です".to_string(),
            Self::RecordLength { found } => {
                format!("レコードの長さが{found}バイトです。1レコードは120バイトです")
            }
            Self::BareCr => {
                "改行がCRだけです。CR LFか改行なしのファイルだけを受け付けます".to_string()
            }
            Self::BareLf => {
                "改行がLFだけです。CR LFか改行なしのファイルだけを受け付けます".to_string()
            }
            Self::MixedLineEndings => {
                "CR LFで終わるレコードとそうでないレコードが混ざっています".to_string()
            }
            Self::UnexpectedRecord { found, expected } => format!(
                "データ区分が{}です。ここには{}が必要です",
                show_byte_ja(*found),
                expected_ja(expected)
            ),
            Self::AfterEnd => "エンドレコードの後にデータがあります".to_string(),
            Self::MissingEnd => "エンドレコード(9)がないままファイルが終わっています".to_string(),
            Self::MissingTrailer => "ヘッダーに対応するトレーラレコード(8)がありません".to_string(),
            Self::NotDigit { byte } => format!("{}は数字ではありません", show_byte_ja(*byte)),
            Self::BadByte { byte } => {
                format!("{}はこの項目に使えない文字です", show_byte_ja(*byte))
            }
            Self::BadChar { ch } => format!("「{ch}」はこの項目に使えない文字です"),
            Self::NotSpace { byte } => {
                format!(
                    "ダミーは空白でなければなりませんが、{}があります",
                    show_byte_ja(*byte)
                )
            }
            Self::WrongLength { expected, found } => {
                format!("{expected}桁の数字が必要ですが、{found}桁です")
            }
            Self::TooLong { max, found } => {
                format!("{found}バイトあります。{max}バイトまでしか入りません")
            }
            Self::InvalidCode { found, allowed } => {
                format!("「{found}」は使えません（使える値: {allowed}）")
            }
            Self::Ebcdic => "EBCDIC（コード区分1）のファイルには対応していません".to_string(),
            Self::TooLarge { value, max } => format!("{value}は上限の{max}を超えています"),
            Self::TotalMismatch {
                in_trailer,
                computed,
            } => format!(
                "トレーラレコードでは{in_trailer}ですが、データレコードの合計は{computed}です"
            ),
            Self::Unbalanced {
                total,
                paid,
                unpaid,
            } => format!("振替済{paid}と振替不能{unpaid}の和が合計{total}と一致しません"),
            Self::ResultCodeInRequest => {
                "依頼データの振替結果コードは0でなければなりません".to_string()
            }
            Self::MissingResultCode => "結果データには振替結果コードが必要です".to_string(),
            Self::BlankResultCode { byte } => {
                format!(
                    "振替結果コードが{}で、コードになっていません",
                    show_byte_ja(*byte)
                )
            }
            Self::WrongKind { expected } => match expected {
                crate::FileKind::Request => {
                    "依頼ファイルが必要ですが、これは結果ファイルです".to_string()
                }
                crate::FileKind::Result => {
                    "結果ファイルが必要ですが、これは依頼ファイルです".to_string()
                }
            },
            Self::TooManyRecords { count } => {
                format!("データレコードが{count}件あります。1ファイル999999件までです")
            }
            Self::TotalTooLarge { amount } => {
                format!("金額の合計が{amount}円で、トレーラレコードに入りません")
            }
            Self::NoGroups => "ヘッダー・データ・トレーラの組がありません".to_string(),
        }
    }
}

fn expected_ja(expected: &str) -> &'static str {
    match expected {
        "header (1)" => "ヘッダーレコード(1)",
        "data (2) or trailer (8)" => "データレコード(2)かトレーラレコード(8)",
        "header (1) or end (9)" => "ヘッダーレコード(1)かエンドレコード(9)",
        _ => "別のレコード",
    }
}

/// A file that cannot be read: where and why. Nothing of the file is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// Record number, 1-based (the record the problem is in or, for a missing record, the
    /// number it would have). 0 for a problem with the whole file (I/O, empty).
    pub record: usize,
    /// Byte offset in the file, 0-based: where the field (or the record, or the bad line
    /// ending) starts.
    pub offset: u64,
    /// The field, when the problem is in one.
    pub field: Option<Field>,
    /// What is wrong.
    pub reason: Reason,
}

impl ReadError {
    /// The whole message in Japanese for the staff UI, e.g.
    /// `レコード3（1234バイト目から）の引落金額: 'A' (0x41)は数字ではありません`.
    pub fn reason_ja(&self) -> String {
        let place = if self.record == 0 {
            "ファイル".to_string()
        } else {
            format!("レコード{}（{}バイト目から）", self.record, self.offset + 1)
        };
        match self.field {
            Some(field) => format!("{place}の{}: {}", field.name_ja(), self.reason.ja()),
            None => format!("{place}: {}", self.reason.ja()),
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.record == 0 {
            write!(f, "file")?;
        } else {
            write!(f, "record {} (byte offset {})", self.record, self.offset)?;
        }
        if let Some(field) = self.field {
            write!(f, ", {field} ({})", field.name_ja())?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for ReadError {}

/// A file that cannot be written.
#[derive(Debug)]
pub enum WriteError {
    /// A value does not fit the format: nothing is wrong with the writer, the data must change.
    Invalid {
        /// Record number in the output, 1-based.
        record: usize,
        /// The field, when the problem is in one.
        field: Option<Field>,
        /// What is wrong.
        reason: Reason,
    },
    /// The underlying writer failed. Part of the file may have been written.
    Io(std::io::Error),
}

impl WriteError {
    /// The message in Japanese.
    pub fn reason_ja(&self) -> String {
        match self {
            Self::Invalid {
                record,
                field: Some(field),
                reason,
            } => format!("レコード{record}の{}: {}", field.name_ja(), reason.ja()),
            Self::Invalid {
                record,
                field: None,
                reason,
            } => format!("レコード{record}: {}", reason.ja()),
            Self::Io(e) => format!("ファイルを書けませんでした: {e}"),
        }
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid {
                record,
                field: Some(field),
                reason,
            } => write!(
                f,
                "record {record}, {field} ({}): {reason}",
                field.name_ja()
            ),
            Self::Invalid {
                record,
                field: None,
                reason,
            } => write!(f, "record {record}: {reason}"),
            Self::Io(e) => write!(f, "could not write the file: {e}"),
        }
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io(e) => Some(e),
            Self::Invalid { .. } => None,
        }
    }
}

impl From<std::io::Error> for WriteError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}
