//! The worked example of the reference sheet §6: read byte-exactly, written back byte-identical.

use zengin::*;

const REQUEST_CRLF: &[u8] = include_bytes!("data/request_crlf.dat");
const RESULT_CRLF: &[u8] = include_bytes!("data/result_crlf.dat");

fn header() -> Header {
    Header {
        type_code: "91".into(),
        code_division: CodeDivision::Jis,
        collector_code: "1234567890".into(),
        collector_name: "ﾏﾄﾞｸﾞﾁｼ ｶｲｹｲｶﾝﾘｼﾔ".into(),
        debit_date: MonthDay::new(5, 27).expect("valid"),
        bank_code: "0134".into(),
        bank_name: "ﾁﾊﾞ".into(),
        branch_code: "001".into(),
        branch_name: "ﾁﾕｳｵｳ".into(),
        account_type: AccountType::Ordinary,
        account_number: "1234567".into(),
    }
}

fn payers() -> Vec<Data> {
    vec![
        Data {
            bank_code: "0134".into(),
            bank_name: "ﾁﾊﾞ".into(),
            branch_code: "001".into(),
            branch_name: "ﾁﾕｳｵｳ".into(),
            account_type: AccountType::Ordinary,
            account_number: "7654321".into(),
            holder_name: "ﾔﾏﾀﾞ ﾀﾛｳ".into(),
            amount: 12_300,
            new_code: NewCode::First,
            customer_number: "123456".into(),
            result: None,
        },
        Data {
            bank_code: "0134".into(),
            bank_name: "ﾁﾊﾞ".into(),
            branch_code: "002".into(),
            branch_name: String::new(),
            account_type: AccountType::Ordinary,
            account_number: "0012345".into(),
            holder_name: "ｽｽﾞｷ ｼﾖｳﾀ".into(),
            amount: 4_500,
            new_code: NewCode::Other,
            customer_number: "123457".into(),
            result: None,
        },
    ]
}

fn expected_request() -> TransferFile {
    TransferFile::single(FileKind::Request, header(), payers()).expect("valid")
}

/// The request without line endings, as the reference's lines joined.
fn request_bare() -> Vec<u8> {
    REQUEST_CRLF
        .chunks(122)
        .flat_map(|r| {
            assert_eq!(&r[120..], b"\r\n");
            r[..120].to_vec()
        })
        .collect()
}

#[test]
fn request_reads_byte_exactly() {
    assert_eq!(REQUEST_CRLF.len(), 610);
    let read = read_with(REQUEST_CRLF, &ReadOptions::default()).expect("valid");
    assert_eq!(read.file, expected_request());
    assert_eq!(read.line_ending, LineEnding::CrLf);
    assert!(!read.eof_marker);
    assert_eq!(read.file.kind, FileKind::Request);
    let t = read.file.groups[0].trailer;
    assert_eq!((t.total_count, t.total_amount), (2, 16_800));
}

#[test]
fn request_writes_back_byte_identical() {
    let crlf = WriteOptions {
        line_ending: LineEnding::CrLf,
        ..WriteOptions::default()
    };
    assert_eq!(
        to_bytes(&expected_request(), &crlf).expect("valid"),
        REQUEST_CRLF
    );
    assert_eq!(
        to_bytes(&expected_request(), &WriteOptions::default()).expect("valid"),
        request_bare()
    );
    // Data record 1, bytes 51–80: ﾔﾏﾀﾞ ﾀﾛｳ then 22 spaces.
    let rec = &REQUEST_CRLF[122..244];
    assert_eq!(
        &rec[50..58],
        &[0xD4, 0xCF, 0xC0, 0xDE, 0x20, 0xC0, 0xDB, 0xB3]
    );
    assert!(rec[58..80].iter().all(|&b| b == b' '));
}

#[test]
fn request_reads_without_line_endings_and_with_eof_marker() {
    let bare = request_bare();
    let read = read_with(&bare[..], &ReadOptions::default()).expect("valid");
    assert_eq!(read.file, expected_request());
    assert_eq!(read.line_ending, LineEnding::None);

    let mut with_eof = REQUEST_CRLF.to_vec();
    with_eof.push(0x1A);
    let read = read_with(&with_eof[..], &ReadOptions::default()).expect("valid");
    assert_eq!(read.file, expected_request());
    assert!(read.eof_marker);
    let opts = WriteOptions {
        line_ending: LineEnding::CrLf,
        eof_marker: true,
        ..WriteOptions::default()
    };
    assert_eq!(
        to_bytes(&expected_request(), &opts).expect("valid"),
        with_eof
    );
}

#[test]
fn result_reads_byte_exactly_and_writes_back() {
    let read = read(RESULT_CRLF).expect("valid");
    assert_eq!(read.kind, FileKind::Result);
    let g = &read.groups[0];
    let codes: Vec<_> = g.data.iter().map(|d| d.result).collect();
    assert_eq!(
        codes,
        [Some(ResultCode::Paid), Some(ResultCode::InsufficientFunds)]
    );
    assert_eq!(
        g.trailer,
        Trailer {
            total_count: 2,
            total_amount: 16_800,
            paid_count: 1,
            paid_amount: 12_300,
            unpaid_count: 1,
            unpaid_amount: 4_500,
        }
    );
    assert_eq!(g.data[1].result.expect("valid").meaning_ja(), "資金不足");
    let mut data = payers();
    data[0].result = Some(ResultCode::Paid);
    data[1].result = Some(ResultCode::InsufficientFunds);
    let expected = TransferFile::single(FileKind::Result, header(), data).expect("valid");
    assert_eq!(read, expected);
    let opts = WriteOptions {
        line_ending: LineEnding::CrLf,
        trailer: TrailerMode::Check,
        ..WriteOptions::default()
    };
    assert_eq!(to_bytes(&expected, &opts).expect("valid"), RESULT_CRLF);
}

#[test]
fn expected_kind_is_enforced() {
    let want_result = ReadOptions {
        expect: Some(FileKind::Result),
        ..ReadOptions::default()
    };
    let e = read_with(REQUEST_CRLF, &want_result).expect_err("must fail");
    assert_eq!(
        e.reason,
        Reason::WrongKind {
            expected: FileKind::Result
        }
    );
    assert_eq!((e.record, e.field), (4, Some(Field::PaidCount)));
    assert_eq!(e.offset, 3 * 122 + 19);

    let want_request = ReadOptions {
        expect: Some(FileKind::Request),
        ..ReadOptions::default()
    };
    let e = read_with(RESULT_CRLF, &want_request).expect_err("must fail");
    assert_eq!(e.reason, Reason::ResultCodeInRequest);
    assert_eq!((e.record, e.field), (3, Some(Field::ResultCode)));
    assert_eq!(e.offset, 2 * 122 + 111);
}
