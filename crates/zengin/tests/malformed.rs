//! Every malformed file is refused with the right record, byte offset, field and reason.

use zengin::*;

const REQUEST_CRLF: &[u8] = include_bytes!("data/request_crlf.dat");
const RESULT_CRLF: &[u8] = include_bytes!("data/result_crlf.dat");
const CRLF: usize = 122;

fn bare(crlf: &[u8]) -> Vec<u8> {
    crlf.chunks(CRLF).flat_map(|r| r[..120].to_vec()).collect()
}

fn fails(bytes: &[u8]) -> ReadError {
    read(bytes).expect_err("the file must be refused")
}

fn fails_with(bytes: &[u8], opts: &ReadOptions) -> ReadError {
    read_with(bytes, opts).expect_err("the file must be refused")
}

/// `(record, offset, field, reason)` of an error.
fn at(e: &ReadError) -> (usize, u64, Option<Field>, Reason) {
    (e.record, e.offset, e.field, e.reason.clone())
}

#[test]
fn empty_file() {
    assert_eq!(at(&fails(b"")), (0, 0, None, Reason::Empty));
    assert_eq!(at(&fails(b"\x1a")), (0, 0, None, Reason::Empty));
}

#[test]
fn short_record_with_crlf() {
    let mut f = REQUEST_CRLF.to_vec();
    f.remove(CRLF + 60); // record 2 loses a byte
    assert_eq!(
        at(&fails(&f)),
        (2, 122, None, Reason::RecordLength { found: 119 })
    );
}

#[test]
fn long_record_with_crlf() {
    let mut f = REQUEST_CRLF.to_vec();
    f.insert(2 * CRLF + 60, b' '); // record 3 gains a byte
    assert_eq!(
        at(&fails(&f)),
        (3, 244, None, Reason::RecordLength { found: 121 })
    );
}

#[test]
fn short_last_record_without_line_endings() {
    let mut f = bare(REQUEST_CRLF);
    f.pop();
    assert_eq!(
        at(&fails(&f)),
        (5, 480, None, Reason::RecordLength { found: 119 })
    );
}

#[test]
fn lf_only_cr_only_and_mixed_are_refused() {
    let lf: Vec<u8> = REQUEST_CRLF
        .chunks(CRLF)
        .flat_map(|r| [&r[..120], b"\n"].concat())
        .collect();
    assert_eq!(at(&fails(&lf)), (1, 120, None, Reason::BareLf));
    let cr: Vec<u8> = REQUEST_CRLF
        .chunks(CRLF)
        .flat_map(|r| [&r[..120], b"\r"].concat())
        .collect();
    assert_eq!(at(&fails(&cr)), (1, 120, None, Reason::BareCr));

    // CR LF after record 1 only.
    let mut mixed = REQUEST_CRLF[..CRLF].to_vec();
    mixed.extend(bare(&REQUEST_CRLF[CRLF..]));
    assert_eq!(
        at(&fails(&mixed)),
        (2, 122 + 120, None, Reason::MixedLineEndings)
    );

    // CR LF after every record but the last.
    let mut last = REQUEST_CRLF.to_vec();
    last.truncate(last.len() - 2);
    assert_eq!(
        at(&fails(&last)),
        (5, 4 * 122 + 120, None, Reason::MixedLineEndings)
    );

    // No line endings, then CR LF after record 3.
    let b = bare(REQUEST_CRLF);
    let mut late = b[..360].to_vec();
    late.extend_from_slice(b"\r\n");
    late.extend_from_slice(&b[360..]);
    assert_eq!(at(&fails(&late)), (4, 360, None, Reason::MixedLineEndings));

    // One record's LF missing in the middle.
    let mut f = REQUEST_CRLF.to_vec();
    f.remove(2 * CRLF + 121);
    assert_eq!(at(&fails(&f)), (3, 244 + 120, None, Reason::BareCr));
}

#[test]
fn wrong_record_order() {
    // Data first.
    let mut f = REQUEST_CRLF[CRLF..2 * CRLF].to_vec();
    f.extend_from_slice(REQUEST_CRLF);
    let e = fails(&f);
    assert_eq!(
        at(&e),
        (
            1,
            0,
            Some(Field::RecordType),
            Reason::UnexpectedRecord {
                found: b'2',
                expected: "header (1)"
            }
        )
    );
    assert!(
        e.reason_ja().contains("ヘッダーレコード(1)"),
        "{}",
        e.reason_ja()
    );

    // Trailer missing: the end record follows the data.
    let mut f = REQUEST_CRLF[..3 * CRLF].to_vec();
    f.extend_from_slice(&REQUEST_CRLF[4 * CRLF..]);
    assert_eq!(
        at(&fails(&f)),
        (
            4,
            366,
            Some(Field::RecordType),
            Reason::UnexpectedRecord {
                found: b'9',
                expected: "data (2) or trailer (8)"
            }
        )
    );

    // Data after the trailer.
    let mut f = REQUEST_CRLF[..4 * CRLF].to_vec();
    f.extend_from_slice(&REQUEST_CRLF[CRLF..2 * CRLF]);
    f.extend_from_slice(&REQUEST_CRLF[4 * CRLF..]);
    assert_eq!(
        at(&fails(&f)),
        (
            5,
            488,
            Some(Field::RecordType),
            Reason::UnexpectedRecord {
                found: b'2',
                expected: "header (1) or end (9)"
            }
        )
    );

    // Unknown record type.
    let mut f = REQUEST_CRLF.to_vec();
    f[2 * CRLF] = b'3';
    assert_eq!(
        at(&fails(&f)).3,
        Reason::UnexpectedRecord {
            found: b'3',
            expected: "data (2) or trailer (8)"
        }
    );
}

#[test]
fn missing_end_and_missing_trailer_at_end_of_file() {
    let f = &REQUEST_CRLF[..4 * CRLF];
    assert_eq!(at(&fails(f)), (5, 488, None, Reason::MissingEnd));
    let f = &REQUEST_CRLF[..3 * CRLF];
    assert_eq!(at(&fails(f)), (4, 366, None, Reason::MissingTrailer));
    let mut f = REQUEST_CRLF[..3 * CRLF].to_vec();
    f.push(0x1A);
    assert_eq!(at(&fails(&f)), (4, 366, None, Reason::MissingTrailer));
}

#[test]
fn bytes_after_the_end_record() {
    let mut f = REQUEST_CRLF.to_vec();
    f.extend_from_slice(&REQUEST_CRLF[..CRLF]);
    assert_eq!(at(&fails(&f)), (6, 610, None, Reason::AfterEnd));
    let mut f = REQUEST_CRLF.to_vec();
    f.extend_from_slice(b"\x1a\x1a");
    assert_eq!(at(&fails(&f)), (6, 610, None, Reason::AfterEnd));
    let mut f = bare(REQUEST_CRLF);
    f.extend_from_slice(b"\x1aX");
    assert_eq!(at(&fails(&f)), (6, 600, None, Reason::AfterEnd));
}

#[test]
fn bad_digit_in_n_fields() {
    // 引落金額 of record 2, its 6th byte.
    let mut f = REQUEST_CRLF.to_vec();
    f[CRLF + 85] = b'A';
    let e = fails(&f);
    assert_eq!(
        at(&e),
        (
            2,
            122 + 85,
            Some(Field::Amount),
            Reason::NotDigit { byte: b'A' }
        )
    );
    assert_eq!(
        e.to_string(),
        "record 2 (byte offset 207), amount (引落金額): 'A' (0x41) is not a digit"
    );
    assert_eq!(
        e.reason_ja(),
        "レコード2（208バイト目から）の引落金額: 'A' (0x41)は数字ではありません"
    );

    // A space in 口座番号 of record 3 (without line endings).
    let mut f = bare(REQUEST_CRLF);
    f[240 + 44] = b' ';
    assert_eq!(
        at(&fails(&f)),
        (
            3,
            240 + 44,
            Some(Field::AccountNumber),
            Reason::NotDigit { byte: b' ' }
        )
    );

    // 委託者コード in the header.
    let mut f = REQUEST_CRLF.to_vec();
    f[13] = 0xB1;
    assert_eq!(
        at(&fails(&f)),
        (
            1,
            13,
            Some(Field::CollectorCode),
            Reason::NotDigit { byte: 0xB1 }
        )
    );

    // 合計件数 in the trailer.
    let mut f = REQUEST_CRLF.to_vec();
    f[3 * CRLF + 1] = b'-';
    assert_eq!(
        at(&fails(&f)),
        (
            4,
            367,
            Some(Field::TotalCount),
            Reason::NotDigit { byte: b'-' }
        )
    );

    // 顧客番号 zero-filled.
    let mut f = REQUEST_CRLF.to_vec();
    f[CRLF + 91] = b' ';
    assert_eq!(
        at(&fails(&f)),
        (
            2,
            122 + 91,
            Some(Field::CustomerNumber),
            Reason::NotDigit { byte: b' ' }
        )
    );
}

#[test]
fn bad_codes() {
    let cases: [(usize, u8, Field); 6] = [
        (1, b'2', Field::TypeCode),
        (95, b'3', Field::CollectorAccountType),
        (CRLF + 42, b'4', Field::AccountType),
        (CRLF + 90, b'3', Field::NewCode),
        (3, b'2', Field::CodeDivision),
        (54, b'1', Field::DebitDate), // 0527 → 1527
    ];
    for (offset, byte, field) in cases {
        let mut f = REQUEST_CRLF.to_vec();
        f[offset] = byte;
        let e = fails(&f);
        assert_eq!(e.field, Some(field), "{e}");
        assert!(
            matches!(e.reason, Reason::InvalidCode { .. }),
            "{field:?}: {e}"
        );
        assert_eq!(e.offset as usize, offset);
    }
    let mut f = REQUEST_CRLF.to_vec();
    f[3] = b'1';
    assert_eq!(
        at(&fails(&f)),
        (1, 3, Some(Field::CodeDivision), Reason::Ebcdic)
    );
}

#[test]
fn bad_characters_in_c_fields() {
    // Small ｯ (0xAF) in 預金者名 of record 3.
    let mut f = REQUEST_CRLF.to_vec();
    f[2 * CRLF + 52] = 0xAF;
    assert_eq!(
        at(&fails(&f)),
        (
            3,
            244 + 52,
            Some(Field::HolderName),
            Reason::BadByte { byte: 0xAF }
        )
    );
    // ｰ (0xB0), lowercase, comma, a double-byte lead byte.
    for byte in [0xB0, b'a', b',', 0x83, 0x00, 0x1A] {
        let mut f = REQUEST_CRLF.to_vec();
        f[CRLF + 60] = byte;
        assert_eq!(
            at(&fails(&f)),
            (2, 182, Some(Field::HolderName), Reason::BadByte { byte })
        );
    }
    // '(' is allowed in names but not in bank names.
    let mut f = REQUEST_CRLF.to_vec();
    f[CRLF + 9] = b'(';
    assert_eq!(
        at(&fails(&f)),
        (
            2,
            131,
            Some(Field::BankName),
            Reason::BadByte { byte: b'(' }
        )
    );
    // 'ｦ' only with the extended name set.
    let mut f = REQUEST_CRLF.to_vec();
    f[CRLF + 60] = 0xA6;
    assert_eq!(at(&fails(&f)).3, Reason::BadByte { byte: 0xA6 });
    let extended = ReadOptions {
        extended_names: true,
        ..ReadOptions::default()
    };
    let read = read_with(&f[..], &extended).expect("extended names admit ｦ");
    assert!(read.file.groups[0].data[0].holder_name.contains('ｦ'));
}

#[test]
fn non_space_fillers() {
    let cases = [
        (110, Field::Dummy, 1),       // header ダミー
        (CRLF + 40, Field::Dummy, 2), // data ダミー (bytes 39–42)
        (CRLF + 115, Field::Dummy, 2),
        (3 * CRLF + 100, Field::Dummy, 4),
        (4 * CRLF + 50, Field::Dummy, 5),
    ];
    for (offset, field, record) in cases {
        let mut f = REQUEST_CRLF.to_vec();
        f[offset] = b'0';
        assert_eq!(
            at(&fails(&f)),
            (
                record,
                offset as u64,
                Some(field),
                Reason::NotSpace { byte: b'0' }
            )
        );
    }
}

fn set_number(f: &mut [u8], start: usize, len: usize, value: u64) {
    let s = format!("{value:0len$}");
    f[start..start + len].copy_from_slice(s.as_bytes());
}

#[test]
fn totals_mismatch() {
    let t = 3 * CRLF;
    let mut f = REQUEST_CRLF.to_vec();
    set_number(&mut f, t + 1, 6, 3);
    assert_eq!(
        at(&fails(&f)),
        (
            4,
            367,
            Some(Field::TotalCount),
            Reason::TotalMismatch {
                in_trailer: 3,
                computed: 2
            }
        )
    );
    let mut f = REQUEST_CRLF.to_vec();
    set_number(&mut f, t + 7, 12, 16_801);
    assert_eq!(
        at(&fails(&f)),
        (
            4,
            373,
            Some(Field::TotalAmount),
            Reason::TotalMismatch {
                in_trailer: 16_801,
                computed: 16_800
            }
        )
    );
    // The amount of a data record changed: the trailer no longer matches.
    let mut f = REQUEST_CRLF.to_vec();
    set_number(&mut f, CRLF + 80, 10, 12_301);
    let e = fails(&f);
    assert_eq!((e.record, e.field), (4, Some(Field::TotalAmount)));
    assert!(
        e.reason_ja().contains("データレコードの合計は16801"),
        "{}",
        e.reason_ja()
    );
}

#[test]
fn result_totals_mismatch() {
    let t = 3 * CRLF;
    // 振替済件数 2 instead of 1: paid + unpaid no longer the total.
    let mut f = RESULT_CRLF.to_vec();
    set_number(&mut f, t + 19, 6, 2);
    assert_eq!(
        at(&fails(&f)),
        (
            4,
            t as u64 + 37,
            Some(Field::UnpaidCount),
            Reason::Unbalanced {
                total: 2,
                paid: 2,
                unpaid: 1
            }
        )
    );
    // Balanced but not what the codes say: both records paid per the codes.
    let mut f = RESULT_CRLF.to_vec();
    f[2 * CRLF + 111] = b'0';
    assert_eq!(
        at(&fails(&f)),
        (
            4,
            t as u64 + 19,
            Some(Field::PaidCount),
            Reason::TotalMismatch {
                in_trailer: 1,
                computed: 2
            }
        )
    );
    // Amounts split wrongly.
    let mut f = RESULT_CRLF.to_vec();
    set_number(&mut f, t + 25, 12, 4_500);
    set_number(&mut f, t + 43, 12, 12_300);
    assert_eq!(
        at(&fails(&f)),
        (
            4,
            t as u64 + 25,
            Some(Field::PaidAmount),
            Reason::TotalMismatch {
                in_trailer: 4_500,
                computed: 12_300
            }
        )
    );
    // A request whose trailer has result counts is neither.
    let mut f = REQUEST_CRLF.to_vec();
    set_number(&mut f, t + 19, 6, 2);
    let e = fails(&f);
    assert_eq!(e.record, 4);
}

#[test]
fn result_codes() {
    // An intermediary's own code is kept, and counts as unpaid.
    let mut f = RESULT_CRLF.to_vec();
    f[2 * CRLF + 111] = b'N';
    let file = read(&f[..]).expect("unknown codes are kept");
    assert_eq!(
        file.groups[0].data[1].result,
        Some(ResultCode::Unknown(b'N'))
    );
    // A blank code is no code.
    let mut f = RESULT_CRLF.to_vec();
    f[2 * CRLF + 111] = b' ';
    assert_eq!(
        at(&fails(&f)),
        (
            3,
            244 + 111,
            Some(Field::ResultCode),
            Reason::BlankResultCode { byte: b' ' }
        )
    );
    // Every JBA code reads back as itself.
    for code in ResultCode::ALL_JBA {
        let mut f = RESULT_CRLF.to_vec();
        f[2 * CRLF + 111] = code.byte();
        if code.is_paid() {
            // Make the trailer say both were paid.
            set_number(&mut f, 3 * CRLF + 19, 6, 2);
            set_number(&mut f, 3 * CRLF + 25, 12, 16_800);
            set_number(&mut f, 3 * CRLF + 37, 6, 0);
            set_number(&mut f, 3 * CRLF + 43, 12, 0);
        }
        let file = read(&f[..]).expect("a JBA code");
        assert_eq!(file.groups[0].data[1].result, Some(code));
    }
    let opts = ReadOptions {
        expect: Some(FileKind::Result),
        ..ReadOptions::default()
    };
    let mut f = RESULT_CRLF.to_vec();
    f[2 * CRLF + 111] = 0x01;
    assert_eq!(
        fails_with(&f, &opts).reason,
        Reason::BlankResultCode { byte: 1 }
    );
}

#[test]
fn space_filled_customer_numbers() {
    let space = ReadOptions {
        customer_number: CustomerNumberFormat::SpaceFilled,
        ..ReadOptions::default()
    };
    // The example is zero-filled: 20 digits read as a space-filled number keep their zeros.
    let file = read_with(REQUEST_CRLF, &space).expect("20 digits are a valid space-filled value");
    assert_eq!(
        file.file.groups[0].data[0].customer_number,
        "00000000000000123456"
    );
    // A digit after the padding.
    let mut f = REQUEST_CRLF.to_vec();
    f[CRLF + 91..CRLF + 111].copy_from_slice(b"123456       7      ");
    assert_eq!(
        at(&fails_with(&f, &space)),
        (
            2,
            122 + 91 + 13,
            Some(Field::CustomerNumber),
            Reason::NotSpace { byte: b'7' }
        )
    );
    let mut f = REQUEST_CRLF.to_vec();
    f[CRLF + 91..CRLF + 111].copy_from_slice(b"12345A              ");
    assert_eq!(
        at(&fails_with(&f, &space)),
        (
            2,
            122 + 96,
            Some(Field::CustomerNumber),
            Reason::NotDigit { byte: b'A' }
        )
    );
    f[CRLF + 91..CRLF + 111].copy_from_slice(b"0012345             ");
    let file = read_with(&f[..], &space).expect("valid");
    assert_eq!(file.file.groups[0].data[0].customer_number, "0012345");
}

#[test]
fn io_errors_are_reported() {
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    let e = read(Broken).expect_err("io error");
    assert_eq!(e.record, 0);
    assert!(matches!(&e.reason, Reason::Io(m) if m.contains("disk on fire")));
}

#[test]
fn a_file_saved_as_utf8_is_explained() {
    let mut f = b"\xEF\xBB\xBF".to_vec();
    f.extend_from_slice(REQUEST_CRLF);
    let e = fails(&f);
    assert_eq!(at(&e), (1, 0, None, Reason::Utf8Bom));
    assert!(e.reason_ja().contains("UTF-8"), "{}", e.reason_ja());
    // Without a BOM, the first UTF-8 kana byte is named where it is (ﾏ = EF BE 8F).
    let utf8: Vec<u8> = REQUEST_CRLF
        .chunks(CRLF)
        .flat_map(|r| {
            let line = kana::decode(&r[..120]).expect("JIS X 0201");
            [line.as_bytes(), b"\r\n"].concat()
        })
        .collect();
    assert_eq!(
        at(&fails(&utf8)),
        (
            1,
            14,
            Some(Field::CollectorName),
            Reason::BadByte { byte: 0xEF }
        )
    );
}
