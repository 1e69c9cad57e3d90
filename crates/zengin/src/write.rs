//! The writer.

use std::io::Write;

use crate::error::{Field, Reason, WriteError};
use crate::kana::{self, CharClass};
use crate::layout::{self, Pos};
use crate::model::*;

/// What follows each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LineEnding {
    /// Records back to back, 120 bytes each (the JBA transmission form).
    #[default]
    None,
    /// CR LF after every record, the last one included (122 bytes per record).
    CrLf,
}

/// How the 20-byte 顧客番号 is filled, which banks decide (reference sheet §5, D-002).
///
/// The value in [`Data::customer_number`] is the digits without padding. The reader must be
/// told the same format as the writer used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum CustomerNumberFormat {
    /// JBA N(20): digits right-aligned, zero-filled. Leading zeros of the value are not
    /// significant: `"00123"` is written like `"123"` and reads back as `"123"`; an empty value
    /// is twenty zeros.
    #[default]
    ZeroFilled,
    /// Digits left-aligned, space-filled (zengin-fmt's default; some banks). Leading zeros are
    /// kept.
    SpaceFilled,
}

impl CustomerNumberFormat {
    /// The 20 bytes for `value`, or why it does not fit.
    pub fn encode(self, value: &str) -> Result<[u8; 20], Reason> {
        let bytes = value.as_bytes();
        if let Some(&byte) = bytes.iter().find(|b| !b.is_ascii_digit()) {
            return Err(match value.chars().find(|c| !c.is_ascii_digit()) {
                Some(ch) if !ch.is_ascii() => Reason::BadChar { ch },
                _ => Reason::NotDigit { byte },
            });
        }
        if bytes.len() > 20 {
            return Err(Reason::TooLong {
                max: 20,
                found: bytes.len(),
            });
        }
        let mut out = [b' '; 20];
        match self {
            Self::ZeroFilled => {
                out = [b'0'; 20];
                out[20 - bytes.len()..].copy_from_slice(bytes);
            }
            Self::SpaceFilled => out[..bytes.len()].copy_from_slice(bytes),
        }
        Ok(out)
    }
}

/// How the writer treats the trailers of the file it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TrailerMode {
    /// Write totals computed from the data records; the given trailers are ignored.
    #[default]
    Compute,
    /// Refuse the file unless each given trailer equals the computed one.
    Check,
}

/// Options of [`write`]: the per-bank settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct WriteOptions {
    /// Line ending after each record.
    pub line_ending: LineEnding,
    /// Write one 0x1A after the last record.
    pub eof_marker: bool,
    /// 顧客番号 padding.
    pub customer_number: CustomerNumberFormat,
    /// Compute or check the trailers.
    pub trailer: TrailerMode,
    /// Allow the wider name set ([`CharClass::ExtendedName`]) in 預金者名 and 委託者名.
    pub extended_names: bool,
}

fn invalid(record: usize, field: Field, reason: Reason) -> WriteError {
    WriteError::Invalid {
        record,
        field: Some(field),
        reason,
    }
}

struct Rec<'a> {
    buf: &'a mut [u8; RECORD_LEN],
    no: usize,
}

impl Rec<'_> {
    fn digits(&mut self, pos: Pos, value: &str) -> Result<(), WriteError> {
        let bytes = value.as_bytes();
        if let Some(ch) = value.chars().find(|c| !c.is_ascii_digit()) {
            let reason = if ch.is_ascii() {
                Reason::NotDigit { byte: ch as u8 }
            } else {
                Reason::BadChar { ch }
            };
            return Err(invalid(self.no, pos.field, reason));
        }
        if bytes.len() != pos.len {
            return Err(invalid(
                self.no,
                pos.field,
                Reason::WrongLength {
                    expected: pos.len,
                    found: bytes.len(),
                },
            ));
        }
        self.buf[pos.start..pos.start + pos.len].copy_from_slice(bytes);
        Ok(())
    }

    fn number(&mut self, pos: Pos, value: u64) -> Result<(), WriteError> {
        let max = 10u64.pow(pos.len as u32) - 1;
        if value > max {
            return Err(invalid(self.no, pos.field, Reason::TooLarge { value, max }));
        }
        let mut v = value;
        for i in (pos.start..pos.start + pos.len).rev() {
            self.buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        Ok(())
    }

    fn byte(&mut self, pos: Pos, b: u8) {
        self.buf[pos.start] = b;
    }

    fn text(&mut self, pos: Pos, value: &str, class: CharClass) -> Result<(), WriteError> {
        let end = pos.start + pos.len;
        for (at, ch) in (pos.start..).zip(value.chars()) {
            let b = kana::encode_char(ch)
                .filter(|&b| class.allows_byte(b))
                .ok_or_else(|| invalid(self.no, pos.field, Reason::BadChar { ch }))?;
            if at == end {
                return Err(invalid(
                    self.no,
                    pos.field,
                    Reason::TooLong {
                        max: pos.len,
                        found: kana::byte_len(value),
                    },
                ));
            }
            self.buf[at] = b;
        }
        Ok(())
    }
}

fn blank(kind: u8) -> [u8; RECORD_LEN] {
    let mut r = [b' '; RECORD_LEN];
    r[0] = kind;
    r
}

fn render_header(
    h: &Header,
    no: usize,
    opts: &WriteOptions,
    buf: &mut [u8; RECORD_LEN],
) -> Result<(), WriteError> {
    use layout::header::*;
    *buf = blank(b'1');
    let mut r = Rec { buf, no };
    if h.type_code != TYPE_CODE_ACCOUNT_TRANSFER {
        return Err(invalid(
            no,
            Field::TypeCode,
            Reason::InvalidCode {
                found: h.type_code.clone(),
                allowed: "91",
            },
        ));
    }
    r.digits(TYPE_CODE, &h.type_code)?;
    match h.code_division {
        CodeDivision::Jis => r.byte(CODE_DIVISION, b'0'),
        CodeDivision::Ebcdic => return Err(invalid(no, Field::CodeDivision, Reason::Ebcdic)),
    }
    r.digits(COLLECTOR_CODE, &h.collector_code)?;
    r.text(COLLECTOR_NAME, &h.collector_name, name_class(opts))?;
    let date = h.debit_date;
    r.number(
        DEBIT_DATE,
        u64::from(date.month()) * 100 + u64::from(date.day()),
    )?;
    r.digits(BANK_CODE, &h.bank_code)?;
    r.text(BANK_NAME, &h.bank_name, CharClass::BankName)?;
    r.digits(BRANCH_CODE, &h.branch_code)?;
    r.text(BRANCH_NAME, &h.branch_name, CharClass::BankName)?;
    if h.account_type == AccountType::TaxReserve {
        return Err(invalid(
            no,
            Field::CollectorAccountType,
            Reason::InvalidCode {
                found: "3".to_string(),
                allowed: "1, 2, 9",
            },
        ));
    }
    r.byte(ACCOUNT_TYPE, h.account_type.digit());
    r.digits(ACCOUNT_NUMBER, &h.account_number)?;
    Ok(())
}

fn name_class(opts: &WriteOptions) -> CharClass {
    if opts.extended_names {
        CharClass::ExtendedName
    } else {
        CharClass::Name
    }
}

fn render_data(
    d: &Data,
    kind: FileKind,
    no: usize,
    opts: &WriteOptions,
    buf: &mut [u8; RECORD_LEN],
) -> Result<(), WriteError> {
    use layout::data::*;
    *buf = blank(b'2');
    let mut r = Rec { buf, no };
    r.digits(BANK_CODE, &d.bank_code)?;
    r.text(BANK_NAME, &d.bank_name, CharClass::BankName)?;
    r.digits(BRANCH_CODE, &d.branch_code)?;
    r.text(BRANCH_NAME, &d.branch_name, CharClass::BankName)?;
    r.byte(ACCOUNT_TYPE, d.account_type.digit());
    r.digits(ACCOUNT_NUMBER, &d.account_number)?;
    r.text(
        HOLDER_NAME,
        &d.holder_name,
        if opts.extended_names {
            CharClass::ExtendedName
        } else {
            CharClass::Name
        },
    )?;
    r.number(AMOUNT, d.amount)?;
    r.byte(NEW_CODE, d.new_code.digit());
    let cn = opts
        .customer_number
        .encode(&d.customer_number)
        .map_err(|reason| invalid(no, Field::CustomerNumber, reason))?;
    r.buf[CUSTOMER_NUMBER.start..CUSTOMER_NUMBER.start + CUSTOMER_NUMBER.len].copy_from_slice(&cn);
    let code = match (kind, d.result) {
        (FileKind::Request, None) => b'0',
        (FileKind::Request, Some(_)) => {
            return Err(invalid(no, Field::ResultCode, Reason::ResultCodeInRequest));
        }
        (FileKind::Result, None) => {
            return Err(invalid(no, Field::ResultCode, Reason::MissingResultCode));
        }
        (FileKind::Result, Some(c)) => {
            let b = c.byte();
            if ResultCode::from_byte(b).is_none() {
                return Err(invalid(
                    no,
                    Field::ResultCode,
                    Reason::BlankResultCode { byte: b },
                ));
            }
            b
        }
    };
    r.byte(RESULT_CODE, code);
    Ok(())
}

fn render_trailer(t: &Trailer, no: usize, buf: &mut [u8; RECORD_LEN]) -> Result<(), WriteError> {
    use layout::trailer::*;
    *buf = blank(b'8');
    let mut r = Rec { buf, no };
    r.number(TOTAL_COUNT, t.total_count)?;
    r.number(TOTAL_AMOUNT, t.total_amount)?;
    r.number(PAID_COUNT, t.paid_count)?;
    r.number(PAID_AMOUNT, t.paid_amount)?;
    r.number(UNPAID_COUNT, t.unpaid_count)?;
    r.number(UNPAID_AMOUNT, t.unpaid_amount)?;
    Ok(())
}

/// The trailer to write for `group`, after checking it against the data if asked to.
fn trailer_for(
    group: &TransferGroup,
    kind: FileKind,
    no: usize,
    first_data_no: usize,
    opts: &WriteOptions,
) -> Result<Trailer, WriteError> {
    let computed = Trailer::from_data(kind, &group.data).map_err(|reason| {
        // Find the record that breaks the rule when it is one record's fault.
        let (record, field) = match reason {
            Reason::ResultCodeInRequest | Reason::MissingResultCode => {
                let i = group
                    .data
                    .iter()
                    .position(|d| d.result.is_some() == (kind == FileKind::Request))
                    .unwrap_or(0);
                (first_data_no + i, Some(Field::ResultCode))
            }
            Reason::TooManyRecords { .. } => (no, Some(Field::TotalCount)),
            _ => (no, Some(Field::TotalAmount)),
        };
        WriteError::Invalid {
            record,
            field,
            reason,
        }
    })?;
    if opts.trailer == TrailerMode::Check {
        let given = &group.trailer;
        let pairs = [
            (Field::TotalCount, given.total_count, computed.total_count),
            (
                Field::TotalAmount,
                given.total_amount,
                computed.total_amount,
            ),
            (Field::PaidCount, given.paid_count, computed.paid_count),
            (Field::PaidAmount, given.paid_amount, computed.paid_amount),
            (
                Field::UnpaidCount,
                given.unpaid_count,
                computed.unpaid_count,
            ),
            (
                Field::UnpaidAmount,
                given.unpaid_amount,
                computed.unpaid_amount,
            ),
        ];
        for (field, in_trailer, computed) in pairs {
            if in_trailer != computed {
                return Err(invalid(
                    no,
                    field,
                    Reason::TotalMismatch {
                        in_trailer,
                        computed,
                    },
                ));
            }
        }
    }
    Ok(computed)
}

/// Render every record of `file` in order, handing each to `sink`.
fn each_record(
    file: &TransferFile,
    opts: &WriteOptions,
    mut sink: impl FnMut(&[u8; RECORD_LEN]) -> Result<(), WriteError>,
) -> Result<(), WriteError> {
    if file.groups.is_empty() {
        return Err(WriteError::Invalid {
            record: 1,
            field: None,
            reason: Reason::NoGroups,
        });
    }
    let mut buf = [b' '; RECORD_LEN];
    let mut no = 0;
    for group in &file.groups {
        no += 1;
        render_header(&group.header, no, opts, &mut buf)?;
        sink(&buf)?;
        let first_data_no = no + 1;
        for d in &group.data {
            no += 1;
            render_data(d, file.kind, no, opts, &mut buf)?;
            sink(&buf)?;
        }
        no += 1;
        let trailer = trailer_for(group, file.kind, no, first_data_no, opts)?;
        render_trailer(&trailer, no, &mut buf)?;
        sink(&buf)?;
    }
    sink(&blank(b'9'))
}

/// Check `file` as [`write`] would, without writing anything.
pub fn validate(file: &TransferFile, opts: &WriteOptions) -> Result<(), WriteError> {
    each_record(file, opts, |_| Ok(()))
}

/// Write `file` as a 種別91 file.
///
/// The whole file is validated before the first byte is written, so an invalid file leaves
/// `w` untouched; the error names the record (1-based, in output order) and the field. Output
/// is buffered internally in 64 KiB chunks, so `w` need not be buffered.
pub fn write(
    mut w: impl Write,
    file: &TransferFile,
    opts: &WriteOptions,
) -> Result<(), WriteError> {
    validate(file, opts)?;
    const CHUNK: usize = 64 * 1024;
    let mut out: Vec<u8> = Vec::with_capacity(CHUNK + RECORD_LEN + 3);
    let ending: &[u8] = match opts.line_ending {
        LineEnding::None => b"",
        LineEnding::CrLf => b"\r\n",
    };
    each_record(file, opts, |rec| {
        out.extend_from_slice(rec);
        out.extend_from_slice(ending);
        if out.len() >= CHUNK {
            w.write_all(&out)?;
            out.clear();
        }
        Ok(())
    })?;
    if opts.eof_marker {
        out.push(0x1A);
    }
    w.write_all(&out)?;
    w.flush()?;
    Ok(())
}

/// [`write`] into a new `Vec<u8>`.
pub fn to_bytes(file: &TransferFile, opts: &WriteOptions) -> Result<Vec<u8>, WriteError> {
    let records: usize = file.groups.iter().map(|g| g.data.len() + 2).sum::<usize>() + 1;
    let mut out = Vec::with_capacity(records * (RECORD_LEN + 2) + 1);
    write(&mut out, file, opts)?;
    Ok(out)
}
