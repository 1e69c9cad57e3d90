//! The strict reader.

use std::io::Read;

use crate::error::{Field, ReadError, Reason};
use crate::kana::{self, CharClass};
use crate::layout::{self, Pos};
use crate::model::*;
use crate::write::{CustomerNumberFormat, LineEnding};

/// Options of [`read_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ReadOptions {
    /// Refuse the file unless it is of this kind. `None`: infer it (a result file has non-zero
    /// 振替済/振替不能 counts in its trailer or a non-zero result code; a file with no data
    /// records at all reads as a request).
    pub expect: Option<FileKind>,
    /// 顧客番号 padding the file uses (the bank's setting, as for writing).
    pub customer_number: CustomerNumberFormat,
    /// Accept the wider name set ([`CharClass::ExtendedName`]) in 預金者名 and 委託者名.
    pub extended_names: bool,
}

/// A file that was read, with how it was laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFile {
    /// The records.
    pub file: TransferFile,
    /// The line ending the file used.
    pub line_ending: LineEnding,
    /// Whether it ended with 0x1A.
    pub eof_marker: bool,
}

/// Read a file with the default options (kind inferred, 顧客番号 zero-filled, strict names).
pub fn read(r: impl Read) -> Result<TransferFile, ReadError> {
    read_with(r, &ReadOptions::default()).map(|f| f.file)
}

/// Read a file with `opts`.
pub fn read_with(mut r: impl Read, opts: &ReadOptions) -> Result<ReadFile, ReadError> {
    let mut bytes = Vec::new();
    r.read_to_end(&mut bytes).map_err(|e| ReadError {
        record: 0,
        offset: 0,
        field: None,
        reason: Reason::Io(e.to_string()),
    })?;
    from_bytes(&bytes, opts)
}

fn err(record: usize, offset: usize, field: Option<Field>, reason: Reason) -> ReadError {
    ReadError {
        record,
        offset: offset as u64,
        field,
        reason,
    }
}

/// Split `bytes` into records, checking lengths and line endings. Calls `f(no, offset, record)`.
fn split(
    bytes: &[u8],
    mut f: impl FnMut(usize, usize, &[u8; RECORD_LEN]) -> Result<bool, ReadError>,
) -> Result<(LineEnding, bool), ReadError> {
    let (body, eof) = match bytes.split_last() {
        Some((0x1A, rest)) => (rest, true),
        _ => (bytes, false),
    };
    if body.is_empty() {
        return Err(err(0, 0, None, Reason::Empty));
    }
    let is_eol = |b: &u8| *b == b'\r' || *b == b'\n';
    let crlf = body.len() > RECORD_LEN && is_eol(&body[RECORD_LEN]);
    let stride = if crlf { RECORD_LEN + 2 } else { RECORD_LEN };
    let mut off = 0;
    let mut no = 1;
    while off < body.len() {
        let rest = &body[off..];
        // Length of the record: up to its first CR or LF.
        let limit = rest.len().min(RECORD_LEN + 1);
        match rest[..limit].iter().position(is_eol) {
            Some(0) if no > 1 && !crlf => {
                return Err(err(no, off, None, Reason::MixedLineEndings));
            }
            Some(p) if p != RECORD_LEN => {
                return Err(err(no, off, None, Reason::RecordLength { found: p }));
            }
            Some(_) if !crlf => {
                return Err(err(no, off + RECORD_LEN, None, Reason::MixedLineEndings));
            }
            None if rest.len() < RECORD_LEN => {
                return Err(err(
                    no,
                    off,
                    None,
                    Reason::RecordLength { found: rest.len() },
                ));
            }
            None if crlf => {
                let found = rest.iter().position(is_eol).unwrap_or(rest.len());
                let reason = if found == RECORD_LEN {
                    Reason::MixedLineEndings
                } else {
                    Reason::RecordLength { found }
                };
                let at = if found == RECORD_LEN {
                    off + RECORD_LEN
                } else {
                    off
                };
                return Err(err(no, at, None, reason));
            }
            _ => {}
        }
        if crlf {
            match (rest[RECORD_LEN], rest.get(RECORD_LEN + 1)) {
                (b'\r', Some(b'\n')) => {}
                (b'\n', _) => return Err(err(no, off + RECORD_LEN, None, Reason::BareLf)),
                _ => return Err(err(no, off + RECORD_LEN, None, Reason::BareCr)),
            }
        }
        let rec: &[u8; RECORD_LEN] = rest[..RECORD_LEN]
            .try_into()
            .map_err(|_| err(no, off, None, Reason::RecordLength { found: rest.len() }))?;
        let is_end = f(no, off, rec)?;
        off += stride.min(rest.len());
        no += 1;
        if is_end && off < body.len() {
            return Err(err(no, off, None, Reason::AfterEnd));
        }
    }
    let ending = if crlf {
        LineEnding::CrLf
    } else {
        LineEnding::None
    };
    Ok((ending, eof))
}

struct Rec<'a> {
    buf: &'a [u8; RECORD_LEN],
    no: usize,
    off: usize,
}

impl Rec<'_> {
    fn slice(&self, pos: Pos) -> &[u8] {
        &self.buf[pos.start..pos.start + pos.len]
    }

    fn fail(&self, pos: Pos, at: usize, reason: Reason) -> ReadError {
        err(self.no, self.off + pos.start + at, Some(pos.field), reason)
    }

    fn digits_check(&self, pos: Pos) -> Result<&[u8], ReadError> {
        let s = self.slice(pos);
        if let Some(i) = s.iter().position(|b| !b.is_ascii_digit()) {
            return Err(self.fail(pos, i, Reason::NotDigit { byte: s[i] }));
        }
        Ok(s)
    }

    fn digits(&self, pos: Pos) -> Result<String, ReadError> {
        let s = self.digits_check(pos)?;
        // Digits are ASCII.
        Ok(s.iter().map(|&b| char::from(b)).collect())
    }

    fn number(&self, pos: Pos) -> Result<u64, ReadError> {
        let s = self.digits_check(pos)?;
        Ok(s.iter().fold(0u64, |n, &b| n * 10 + u64::from(b - b'0')))
    }

    fn text(&self, pos: Pos, class: CharClass) -> Result<String, ReadError> {
        let s = self.slice(pos);
        if let Some(i) = s.iter().position(|&b| !class.allows_byte(b)) {
            return Err(self.fail(pos, i, Reason::BadByte { byte: s[i] }));
        }
        let used = s.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
        let mut out = String::with_capacity(used * 3);
        out.extend(s[..used].iter().filter_map(|&b| kana::decode_byte(b)));
        Ok(out)
    }

    fn spaces(&self, pos: Pos) -> Result<(), ReadError> {
        let s = self.slice(pos);
        if let Some(i) = s.iter().position(|&b| b != b' ') {
            return Err(self.fail(pos, i, Reason::NotSpace { byte: s[i] }));
        }
        Ok(())
    }

    fn code<T>(
        &self,
        pos: Pos,
        parse: impl Fn(u8) -> Option<T>,
        allowed: &'static str,
    ) -> Result<T, ReadError> {
        let b = self.buf[pos.start];
        parse(b).ok_or_else(|| {
            self.fail(
                pos,
                0,
                Reason::InvalidCode {
                    found: kana::decode_byte(b)
                        .map_or_else(|| format!("0x{b:02X}"), |c| c.to_string()),
                    allowed,
                },
            )
        })
    }
}

fn name_class(opts: &ReadOptions) -> CharClass {
    if opts.extended_names {
        CharClass::ExtendedName
    } else {
        CharClass::Name
    }
}

fn parse_header(r: &Rec, opts: &ReadOptions) -> Result<Header, ReadError> {
    use layout::header::*;
    let type_code = r.digits(TYPE_CODE)?;
    if type_code != TYPE_CODE_ACCOUNT_TRANSFER {
        return Err(r.fail(
            TYPE_CODE,
            0,
            Reason::InvalidCode {
                found: type_code,
                allowed: "91",
            },
        ));
    }
    let code_division = r.code(
        CODE_DIVISION,
        |b| match b {
            b'0' => Some(CodeDivision::Jis),
            b'1' => Some(CodeDivision::Ebcdic),
            _ => None,
        },
        "0",
    )?;
    if code_division == CodeDivision::Ebcdic {
        return Err(r.fail(CODE_DIVISION, 0, Reason::Ebcdic));
    }
    let collector_code = r.digits(COLLECTOR_CODE)?;
    let collector_name = r.text(COLLECTOR_NAME, name_class(opts))?;
    let date = r.digits_check(DEBIT_DATE)?;
    let month = (date[0] - b'0') * 10 + (date[1] - b'0');
    let day = (date[2] - b'0') * 10 + (date[3] - b'0');
    let debit_date = MonthDay::new(month, day).ok_or_else(|| {
        r.fail(
            DEBIT_DATE,
            0,
            Reason::InvalidCode {
                found: format!("{month:02}{day:02}"),
                allowed: "MMDD, a real month and day",
            },
        )
    })?;
    let bank_code = r.digits(BANK_CODE)?;
    let bank_name = r.text(BANK_NAME, CharClass::BankName)?;
    let branch_code = r.digits(BRANCH_CODE)?;
    let branch_name = r.text(BRANCH_NAME, CharClass::BankName)?;
    let account_type = r.code(
        ACCOUNT_TYPE,
        |b| AccountType::from_digit(b).filter(|t| *t != AccountType::TaxReserve),
        "1, 2, 9",
    )?;
    let account_number = r.digits(ACCOUNT_NUMBER)?;
    r.spaces(DUMMY)?;
    Ok(Header {
        type_code,
        code_division,
        collector_code,
        collector_name,
        debit_date,
        bank_code,
        bank_name,
        branch_code,
        branch_name,
        account_type,
        account_number,
    })
}

fn parse_customer_number(r: &Rec, opts: &ReadOptions) -> Result<String, ReadError> {
    use layout::data::CUSTOMER_NUMBER as POS;
    let s = r.slice(POS);
    match opts.customer_number {
        CustomerNumberFormat::ZeroFilled => {
            let s = r.digits_check(POS)?;
            let first = s.iter().position(|&b| b != b'0').unwrap_or(s.len());
            Ok(s[first..].iter().map(|&b| char::from(b)).collect())
        }
        CustomerNumberFormat::SpaceFilled => {
            let used = s.iter().position(|&b| b == b' ').unwrap_or(s.len());
            if let Some(i) = s[..used].iter().position(|b| !b.is_ascii_digit()) {
                return Err(r.fail(POS, i, Reason::NotDigit { byte: s[i] }));
            }
            if let Some(i) = s[used..].iter().position(|&b| b != b' ') {
                return Err(r.fail(POS, used + i, Reason::NotSpace { byte: s[used + i] }));
            }
            Ok(s[..used].iter().map(|&b| char::from(b)).collect())
        }
    }
}

fn parse_data(r: &Rec, opts: &ReadOptions) -> Result<Data, ReadError> {
    use layout::data::*;
    let bank_code = r.digits(BANK_CODE)?;
    let bank_name = r.text(BANK_NAME, CharClass::BankName)?;
    let branch_code = r.digits(BRANCH_CODE)?;
    let branch_name = r.text(BRANCH_NAME, CharClass::BankName)?;
    r.spaces(DUMMY1)?;
    let account_type = r.code(ACCOUNT_TYPE, AccountType::from_digit, "1, 2, 3, 9")?;
    let account_number = r.digits(ACCOUNT_NUMBER)?;
    let holder_name = r.text(HOLDER_NAME, name_class(opts))?;
    let amount = r.number(AMOUNT)?;
    let new_code = r.code(NEW_CODE, NewCode::from_digit, "0, 1, 2")?;
    let customer_number = parse_customer_number(r, opts)?;
    r.spaces(DUMMY2)?;
    Ok(Data {
        bank_code,
        bank_name,
        branch_code,
        branch_name,
        account_type,
        account_number,
        holder_name,
        amount,
        new_code,
        customer_number,
        result: None,
    })
}

fn parse_trailer(r: &Rec) -> Result<Trailer, ReadError> {
    use layout::trailer::*;
    let t = Trailer {
        total_count: r.number(TOTAL_COUNT)?,
        total_amount: r.number(TOTAL_AMOUNT)?,
        paid_count: r.number(PAID_COUNT)?,
        paid_amount: r.number(PAID_AMOUNT)?,
        unpaid_count: r.number(UNPAID_COUNT)?,
        unpaid_amount: r.number(UNPAID_AMOUNT)?,
    };
    r.spaces(DUMMY)?;
    Ok(t)
}

/// Where a trailer was, for checking it after the file's kind is known.
struct TrailerAt {
    no: usize,
    off: usize,
}

/// Where a data record's result code was, and the byte.
struct CodeAt {
    byte: u8,
    no: usize,
    off: usize,
}

#[derive(PartialEq)]
enum State {
    Start,
    InGroup,
    AfterTrailer,
    End,
}

/// Read a file from bytes in memory.
///
/// Checks, in file order: record lengths and line endings (none, or CR LF after every record;
/// an optional 0x1A at the very end), record order (header, data…, trailer, repeated, then
/// end), every field (N fields digits only, C fields only their class's characters, fillers
/// spaces, codes among their values), then each trailer against its data and, for a result, the
/// 振替済/振替不能 split against the result codes. The first problem found is returned.
pub fn from_bytes(bytes: &[u8], opts: &ReadOptions) -> Result<ReadFile, ReadError> {
    let mut groups: Vec<TransferGroup> = Vec::new();
    let mut trailers: Vec<TrailerAt> = Vec::new();
    let mut codes: Vec<CodeAt> = Vec::new();
    let mut state = State::Start;
    let mut pending: Option<(Header, Vec<Data>)> = None;
    let mut last_no = 0;

    let (line_ending, eof_marker) = split(bytes, |no, off, buf| {
        last_no = no;
        let r = Rec { buf, no, off };
        let kind = buf[0];
        let unexpected = |expected: &'static str| {
            err(
                no,
                off,
                Some(Field::RecordType),
                Reason::UnexpectedRecord {
                    found: kind,
                    expected,
                },
            )
        };
        match (&state, kind) {
            (State::Start | State::AfterTrailer, b'1') => {
                pending = Some((parse_header(&r, opts)?, Vec::new()));
                state = State::InGroup;
            }
            (State::Start, _) => return Err(unexpected("header (1)")),
            (State::InGroup, b'2') => {
                let d = parse_data(&r, opts)?;
                let pos = layout::data::RESULT_CODE;
                codes.push(CodeAt {
                    byte: buf[pos.start],
                    no,
                    off: off + pos.start,
                });
                if let Some((_, data)) = pending.as_mut() {
                    data.push(d);
                }
            }
            (State::InGroup, b'8') => {
                let trailer = parse_trailer(&r)?;
                if let Some((header, data)) = pending.take() {
                    groups.push(TransferGroup {
                        header,
                        data,
                        trailer,
                    });
                }
                trailers.push(TrailerAt { no, off });
                state = State::AfterTrailer;
            }
            (State::InGroup, _) => return Err(unexpected("data (2) or trailer (8)")),
            (State::AfterTrailer, b'9') => {
                r.spaces(layout::end::DUMMY)?;
                state = State::End;
                return Ok(true);
            }
            (State::AfterTrailer, _) => return Err(unexpected("header (1) or end (9)")),
            (State::End, _) => return Err(err(no, off, None, Reason::AfterEnd)),
        }
        Ok(false)
    })?;
    if state != State::End {
        let body_len = bytes.len() - usize::from(eof_marker);
        let reason = if state == State::InGroup {
            Reason::MissingTrailer
        } else {
            Reason::MissingEnd
        };
        return Err(err(last_no + 1, body_len, None, reason));
    }

    let kind = decide_kind(&groups, &trailers, &codes, opts)?;
    assign_codes(kind, &mut groups, &codes)?;
    for (group, at) in groups.iter().zip(&trailers) {
        check_trailer(kind, group, at)?;
    }
    Ok(ReadFile {
        file: TransferFile { kind, groups },
        line_ending,
        eof_marker,
    })
}

fn trailer_has_results(t: &Trailer) -> bool {
    t.paid_count != 0 || t.paid_amount != 0 || t.unpaid_count != 0 || t.unpaid_amount != 0
}

fn decide_kind(
    groups: &[TransferGroup],
    trailers: &[TrailerAt],
    codes: &[CodeAt],
    opts: &ReadOptions,
) -> Result<FileKind, ReadError> {
    let result_trailer = groups
        .iter()
        .zip(trailers)
        .find(|(g, _)| trailer_has_results(&g.trailer));
    let result_code = codes.iter().find(|c| c.byte != b'0');
    match opts.expect {
        None => Ok(if result_trailer.is_some() || result_code.is_some() {
            FileKind::Result
        } else {
            FileKind::Request
        }),
        Some(FileKind::Request) => {
            if let Some(c) = result_code {
                return Err(err(
                    c.no,
                    c.off,
                    Some(Field::ResultCode),
                    Reason::ResultCodeInRequest,
                ));
            }
            if let Some((_, at)) = result_trailer {
                let pos = layout::trailer::PAID_COUNT;
                return Err(err(
                    at.no,
                    at.off + pos.start,
                    Some(pos.field),
                    Reason::WrongKind {
                        expected: FileKind::Request,
                    },
                ));
            }
            Ok(FileKind::Request)
        }
        Some(FileKind::Result) => {
            // A request has data but no result counts in its trailers.
            if result_trailer.is_none()
                && let Some((_, at)) = groups
                    .iter()
                    .zip(trailers)
                    .find(|(g, _)| !g.data.is_empty())
            {
                let pos = layout::trailer::PAID_COUNT;
                return Err(err(
                    at.no,
                    at.off + pos.start,
                    Some(pos.field),
                    Reason::WrongKind {
                        expected: FileKind::Result,
                    },
                ));
            }
            Ok(FileKind::Result)
        }
    }
}

fn assign_codes(
    kind: FileKind,
    groups: &mut [TransferGroup],
    codes: &[CodeAt],
) -> Result<(), ReadError> {
    let mut codes = codes.iter();
    for d in groups.iter_mut().flat_map(|g| g.data.iter_mut()) {
        let Some(c) = codes.next() else { break };
        match kind {
            FileKind::Request => {
                if c.byte != b'0' {
                    return Err(err(
                        c.no,
                        c.off,
                        Some(Field::ResultCode),
                        Reason::ResultCodeInRequest,
                    ));
                }
            }
            FileKind::Result => {
                let code = ResultCode::from_byte(c.byte).ok_or_else(|| {
                    err(
                        c.no,
                        c.off,
                        Some(Field::ResultCode),
                        Reason::BlankResultCode { byte: c.byte },
                    )
                })?;
                d.result = Some(code);
            }
        }
    }
    Ok(())
}

fn check_trailer(kind: FileKind, group: &TransferGroup, at: &TrailerAt) -> Result<(), ReadError> {
    use layout::trailer::*;
    let t = &group.trailer;
    let fail = |pos: Pos, reason| err(at.no, at.off + pos.start, Some(pos.field), reason);
    let count = group.data.len() as u64;
    let amount: u64 = group.data.iter().map(|d| d.amount).sum();
    let mismatch = |pos: Pos, in_trailer: u64, computed: u64| {
        if in_trailer == computed {
            Ok(())
        } else {
            Err(fail(
                pos,
                Reason::TotalMismatch {
                    in_trailer,
                    computed,
                },
            ))
        }
    };
    mismatch(TOTAL_COUNT, t.total_count, count)?;
    mismatch(TOTAL_AMOUNT, t.total_amount, amount)?;
    let (mut paid_count, mut paid_amount) = (0, 0);
    if kind == FileKind::Result {
        for d in &group.data {
            if d.result.is_some_and(ResultCode::is_paid) {
                paid_count += 1;
                paid_amount += d.amount;
            }
        }
        if t.paid_count + t.unpaid_count != t.total_count {
            return Err(fail(
                UNPAID_COUNT,
                Reason::Unbalanced {
                    total: t.total_count,
                    paid: t.paid_count,
                    unpaid: t.unpaid_count,
                },
            ));
        }
        if t.paid_amount + t.unpaid_amount != t.total_amount {
            return Err(fail(
                UNPAID_AMOUNT,
                Reason::Unbalanced {
                    total: t.total_amount,
                    paid: t.paid_amount,
                    unpaid: t.unpaid_amount,
                },
            ));
        }
        mismatch(PAID_COUNT, t.paid_count, paid_count)?;
        mismatch(PAID_AMOUNT, t.paid_amount, paid_amount)?;
        mismatch(UNPAID_COUNT, t.unpaid_count, count - paid_count)?;
        mismatch(UNPAID_AMOUNT, t.unpaid_amount, amount - paid_amount)?;
    } else {
        mismatch(PAID_COUNT, t.paid_count, 0)?;
        mismatch(PAID_AMOUNT, t.paid_amount, 0)?;
        mismatch(UNPAID_COUNT, t.unpaid_count, 0)?;
        mismatch(UNPAID_AMOUNT, t.unpaid_amount, 0)?;
    }
    Ok(())
}
