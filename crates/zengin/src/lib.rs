//! 全銀協 預金口座振替 (種別コード 91) files: typed records, a writer and a strict reader for the
//! request (口座振替依頼明細) and the result (処理結果明細) a bank sends back, and the 全銀
//! half-width character rules.
//!
//! ```
//! use zengin::*;
//!
//! let header = Header {
//!     type_code: "91".into(),
//!     code_division: CodeDivision::Jis,
//!     collector_code: "1234567890".into(),
//!     collector_name: "ﾏﾄﾞｸﾞﾁｼ".into(),
//!     debit_date: MonthDay::new(5, 27).unwrap(),
//!     bank_code: "0134".into(),
//!     bank_name: "ﾁﾊﾞ".into(),
//!     branch_code: "001".into(),
//!     branch_name: "ﾁﾕｳｵｳ".into(),
//!     account_type: AccountType::Ordinary,
//!     account_number: "1234567".into(),
//! };
//! let payer = Data {
//!     bank_code: "0134".into(),
//!     bank_name: "ﾁﾊﾞ".into(),
//!     branch_code: "001".into(),
//!     branch_name: String::new(),
//!     account_type: AccountType::Ordinary,
//!     account_number: "7654321".into(),
//!     holder_name: kana::to_zengin("ヤマダ　タロウ").unwrap(),
//!     amount: 12_300,
//!     new_code: NewCode::First,
//!     customer_number: "123456".into(),
//!     result: None,
//! };
//! let file = TransferFile::single(FileKind::Request, header, vec![payer]).unwrap();
//! let opts = WriteOptions { line_ending: LineEnding::CrLf, ..WriteOptions::default() };
//! let bytes = to_bytes(&file, &opts).unwrap();
//! assert_eq!(bytes.len(), 4 * 122);
//! assert_eq!(read(&bytes[..]).unwrap(), file);
//! ```
//!
//! # What it does
//!
//! - [`write`] validates the whole file (every N field digits of the exact width, every C field
//!   only the characters of its class, amounts and totals within their fields) and then writes
//!   120-byte records, with no separator or CR LF after each, optionally a final 0x1A. Trailer
//!   totals are computed from the data ([`TrailerMode::Compute`]) or checked
//!   ([`TrailerMode::Check`]). 顧客番号 padding is a per-bank option
//!   ([`CustomerNumberFormat`]). Several header…trailer groups can be written.
//! - [`read`] / [`read_with`] accept exactly what the format allows: 120-byte records, either
//!   back to back or each followed by CR LF (CR only, LF only and mixed files are refused), one
//!   optional trailing 0x1A, one or more groups and one end record. Every problem is a
//!   [`ReadError`] with the record number (1-based), the byte offset in the file, the field and
//!   a reason in English (`Display`) and Japanese ([`ReadError::reason_ja`]).
//! - [`ResultCode`] has every JBA 振替結果コード with its meaning; unknown codes of intermediaries
//!   are kept as [`ResultCode::Unknown`].
//! - [`kana`] converts what a resident types into 全銀 half-width kana and validates character
//!   classes; it also encodes and decodes JIS X 0201.
//!
//! No I/O beyond `std::io::Read` / `Write`; no dependencies.
//!
//! # Why not zengin-fmt
//!
//! zengin-fmt 0.1.0 (MIT) reads and writes 種別91 requests and results, but its errors carry
//! neither the record number nor the byte offset of field problems, it accepts LF-only and
//! mixed line endings, it does not check the per-field JBA character classes (it encodes any
//! JIS X 0201 character, e.g. small kana or `ｰ`), it reads one group only, it trims but does
//! not pad 顧客番号 per bank, and it pulls serde and serde_json. Wrapping it would have meant
//! re-validating every record ourselves; the format is small enough to own.
//!
//! # Sources
//!
//! The layouts, codes and character classes follow the project's reference sheet
//! (`shared/reference/zengin-account-transfer.md`), which transcribes the JBA standard
//! (全銀協 AP-Ⅰ-12〔別冊〕 §15–16, 付録1) as given by zengin4j, zengin-fmt and the 宮崎銀行,
//! 北國銀行 bank pages. The worked example of its §6 is a test of this crate.
//!
//! # Unconfirmed
//!
//! - 顧客番号: JBA says N(20); banks differ in padding, ゆうちょ splits it 10+10. Only the two
//!   paddings of [`CustomerNumberFormat`] are implemented; the 10+10 split is the caller's.
//! - The wider name sets some banks accept ([`kana::CharClass::ExtendedName`]) are per bank.
//! - Whether each bank accepts multi-group files; EBCDIC (コード区分 `1`) is refused.
//! - ヰ/ヱ are converted to ｲ/ｴ (JIS X 0201 has neither); no bank spec was found on it.
#![forbid(unsafe_code)]

mod error;
pub mod kana;
mod layout;
mod model;
mod read;
mod write;

pub use error::{Field, ReadError, Reason, WriteError};
pub use model::{
    AccountType, CodeDivision, Data, FileKind, Header, MAX_AMOUNT, MAX_COUNT, MAX_TOTAL_AMOUNT,
    MonthDay, NewCode, RECORD_LEN, ResultCode, TYPE_CODE_ACCOUNT_TRANSFER, Trailer, TransferFile,
    TransferGroup,
};
pub use read::{ReadFile, ReadOptions, from_bytes, read, read_with};
pub use write::{
    CustomerNumberFormat, LineEnding, TrailerMode, WriteOptions, to_bytes, validate, write,
};
