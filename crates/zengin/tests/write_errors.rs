//! The writer refuses what the format cannot hold, naming record and field, and writes nothing.

use zengin::*;

fn header() -> Header {
    Header {
        type_code: "91".into(),
        code_division: CodeDivision::Jis,
        collector_code: "1234567890".into(),
        collector_name: "ｲﾁｶﾜｼ".into(),
        debit_date: MonthDay::new(5, 27).expect("date"),
        bank_code: "0134".into(),
        bank_name: "ﾁﾊﾞ".into(),
        branch_code: "001".into(),
        branch_name: "ﾁﾕｳｵｳ".into(),
        account_type: AccountType::Ordinary,
        account_number: "1234567".into(),
    }
}

fn payer(n: u64) -> Data {
    Data {
        bank_code: "0134".into(),
        bank_name: "ﾁﾊﾞ".into(),
        branch_code: "001".into(),
        branch_name: String::new(),
        account_type: AccountType::Ordinary,
        account_number: format!("{:07}", n),
        holder_name: "ﾔﾏﾀﾞ ﾀﾛｳ".into(),
        amount: 1_000 * n,
        new_code: NewCode::Other,
        customer_number: n.to_string(),
        result: None,
    }
}

fn file(data: Vec<Data>) -> TransferFile {
    TransferFile {
        kind: FileKind::Request,
        groups: vec![TransferGroup {
            header: header(),
            data,
            trailer: Trailer::default(),
        }],
    }
}

/// Write `f` into a buffer that must stay empty; return `(record, field, reason)`.
fn refused(f: &TransferFile, opts: &WriteOptions) -> (usize, Option<Field>, Reason) {
    let mut out = Vec::new();
    match write(&mut out, f, opts) {
        Err(WriteError::Invalid {
            record,
            field,
            reason,
        }) => {
            assert!(out.is_empty(), "nothing may be written");
            (record, field, reason)
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn field_errors_name_record_and_field() {
    let o = WriteOptions::default();
    type Edit = fn(&mut Data);
    let cases: [(Edit, Field, Reason); 11] = [
        (
            |d| d.holder_name = "ヤマダ".into(),
            Field::HolderName,
            Reason::BadChar { ch: 'ヤ' },
        ),
        (
            |d| d.holder_name = "ｷｭｳ".into(),
            Field::HolderName,
            Reason::BadChar { ch: 'ｭ' },
        ),
        (
            |d| d.holder_name = "ｱ".repeat(31),
            Field::HolderName,
            Reason::TooLong { max: 30, found: 31 },
        ),
        (
            |d| d.branch_name = "(ｶ)".into(),
            Field::BranchName,
            Reason::BadChar { ch: '(' },
        ),
        (
            |d| d.account_number = "123456".into(),
            Field::AccountNumber,
            Reason::WrongLength {
                expected: 7,
                found: 6,
            },
        ),
        (
            |d| d.bank_code = "01a4".into(),
            Field::BankCode,
            Reason::NotDigit { byte: b'a' },
        ),
        (
            |d| d.branch_code = "０01".into(),
            Field::BranchCode,
            Reason::BadChar { ch: '０' },
        ),
        (
            |d| d.amount = MAX_AMOUNT + 1,
            Field::Amount,
            Reason::TooLarge {
                value: MAX_AMOUNT + 1,
                max: MAX_AMOUNT,
            },
        ),
        (
            |d| d.customer_number = "12-3".into(),
            Field::CustomerNumber,
            Reason::NotDigit { byte: b'-' },
        ),
        (
            |d| d.customer_number = "1".repeat(21),
            Field::CustomerNumber,
            Reason::TooLong { max: 20, found: 21 },
        ),
        (
            |d| d.result = Some(ResultCode::Paid),
            Field::ResultCode,
            Reason::ResultCodeInRequest,
        ),
    ];
    for (edit, field, reason) in cases {
        let mut data = vec![payer(1), payer(2), payer(3)];
        edit(&mut data[1]);
        assert_eq!(refused(&file(data), &o), (3, Some(field), reason));
    }
}

#[test]
fn header_errors() {
    let o = WriteOptions::default();
    type Edit = fn(&mut Header);
    let cases: [(Edit, Field); 6] = [
        (|h| h.type_code = "21".into(), Field::TypeCode),
        (
            |h| h.code_division = CodeDivision::Ebcdic,
            Field::CodeDivision,
        ),
        (|h| h.collector_code = "123".into(), Field::CollectorCode),
        (|h| h.collector_name = "市川市".into(), Field::CollectorName),
        (
            |h| h.bank_name = "ﾁﾊﾞ ｷﾞﾝｺｳ ﾎﾝﾃﾝ ｴｲｷﾞﾖｳﾌﾞ".into(),
            Field::CollectorBankName,
        ),
        (
            |h| h.account_type = AccountType::TaxReserve,
            Field::CollectorAccountType,
        ),
    ];
    for (edit, field) in cases {
        let mut f = file(vec![payer(1)]);
        edit(&mut f.groups[0].header);
        assert_eq!(refused(&f, &o).0, 1);
        assert_eq!(refused(&f, &o).1, Some(field));
    }
}

#[test]
fn result_files_need_codes_and_checked_trailers_must_match() {
    let mut f = file(vec![payer(1), payer(2)]);
    f.kind = FileKind::Result;
    f.groups[0].data[0].result = Some(ResultCode::Paid);
    assert_eq!(
        refused(&f, &WriteOptions::default()),
        (3, Some(Field::ResultCode), Reason::MissingResultCode)
    );
    f.groups[0].data[1].result = Some(ResultCode::NoMandate);
    let computed = to_bytes(&f, &WriteOptions::default()).expect("trailer computed");
    let check = WriteOptions {
        trailer: TrailerMode::Check,
        ..WriteOptions::default()
    };
    assert_eq!(
        refused(&f, &check),
        (
            4,
            Some(Field::TotalCount),
            Reason::TotalMismatch {
                in_trailer: 0,
                computed: 2
            }
        )
    );
    f.groups[0].trailer = Trailer {
        total_count: 2,
        total_amount: 3_000,
        paid_count: 1,
        paid_amount: 1_000,
        unpaid_count: 1,
        unpaid_amount: 1_000,
    };
    assert_eq!(
        refused(&f, &check),
        (
            4,
            Some(Field::UnpaidAmount),
            Reason::TotalMismatch {
                in_trailer: 1_000,
                computed: 2_000
            }
        )
    );
    f.groups[0].trailer.unpaid_amount = 2_000;
    assert_eq!(to_bytes(&f, &check).expect("matches"), computed);
    let back = read(&computed[..]).expect("reads");
    assert_eq!(back, f);
}

#[test]
fn customer_number_padding_per_bank() {
    let f = file(vec![payer(42)]);
    let zero = to_bytes(&f, &WriteOptions::default()).expect("zero-filled");
    assert_eq!(&zero[120 + 91..120 + 111], b"00000000000000000042");
    let space_opts = WriteOptions {
        customer_number: CustomerNumberFormat::SpaceFilled,
        ..WriteOptions::default()
    };
    let space = to_bytes(&f, &space_opts).expect("space-filled");
    assert_eq!(&space[120 + 91..120 + 111], b"42                  ");
    let read_space = ReadOptions {
        customer_number: CustomerNumberFormat::SpaceFilled,
        ..ReadOptions::default()
    };
    assert_eq!(
        read_with(&space[..], &read_space)
            .expect("reads")
            .file
            .groups[0]
            .data[0]
            .customer_number,
        "42"
    );
    // Reading with the other bank's setting is refused, not guessed.
    assert_eq!(
        read(&space[..]).expect_err("not zero-filled").field,
        Some(Field::CustomerNumber)
    );
}

#[test]
fn totals_must_fit_the_trailer() {
    let mut data = vec![payer(1), payer(2)];
    data[0].amount = MAX_AMOUNT;
    data[1].amount = MAX_AMOUNT;
    assert!(TransferFile::single(FileKind::Request, header(), data.clone()).is_ok());
    let many: Vec<Data> = (0..101).map(|_| data[0].clone()).collect();
    assert_eq!(
        refused(&file(many), &WriteOptions::default()),
        (
            103,
            Some(Field::TotalAmount),
            Reason::TotalTooLarge {
                amount: 101 * MAX_AMOUNT
            }
        )
    );
    let e = WriteError::Invalid {
        record: 3,
        field: Some(Field::HolderName),
        reason: Reason::BadChar { ch: 'ヤ' },
    };
    assert_eq!(
        e.reason_ja(),
        "レコード3の預金者名: 「ヤ」はこの項目に使えない文字です"
    );
    assert_eq!(
        e.to_string(),
        "record 3, account holder name (預金者名): 'ヤ' (U+30E4) is not allowed in this field"
    );
}

#[test]
fn empty_file_is_refused_and_io_errors_pass_through() {
    let f = TransferFile {
        kind: FileKind::Request,
        groups: vec![],
    };
    assert_eq!(refused(&f, &WriteOptions::default()).2, Reason::NoGroups);

    struct Full;
    impl std::io::Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let e = write(Full, &file(vec![payer(1)]), &WriteOptions::default()).expect_err("io");
    assert!(
        matches!(&e, WriteError::Io(io) if io.to_string() == "disk full"),
        "{e}"
    );
}

#[test]
fn large_files_are_written_in_chunks_and_read_back() {
    // More than one 64 KiB chunk.
    let data: Vec<Data> = (1..=2_000).map(payer).collect();
    let f = TransferFile::single(FileKind::Request, header(), data).expect("fits");
    let opts = WriteOptions {
        line_ending: LineEnding::CrLf,
        eof_marker: true,
        ..WriteOptions::default()
    };
    let bytes = to_bytes(&f, &opts).expect("writes");
    assert_eq!(bytes.len(), 2_003 * 122 + 1);
    assert_eq!(read(&bytes[..]).expect("reads"), f);
    assert_eq!(f.groups[0].trailer.total_amount, 1_000 * 2_000 * 2_001 / 2);
}
