//! Property tests: any valid file written reads back identically, with every layout option;
//! a corrupted field is reported at its record and byte.

use proptest::prelude::*;
use zengin::kana::CharClass;
use zengin::*;

/// A text value of `class`, at most `max` bytes, without trailing spaces (the padding).
fn text(class: CharClass, max: usize) -> impl Strategy<Value = String> {
    let chars: Vec<char> = (0u8..=255)
        .filter(|&b| class.allows_byte(b))
        .filter_map(kana::decode_byte)
        .collect();
    proptest::collection::vec(proptest::sample::select(chars), 0..=max)
        .prop_map(|v| v.into_iter().collect::<String>().trim_end().to_string())
}

fn digits(n: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, n)
        .prop_map(|v| v.into_iter().map(|d| char::from(b'0' + d)).collect())
}

fn customer_number(format: CustomerNumberFormat) -> BoxedStrategy<String> {
    match format {
        // Zero-filled: leading zeros are padding, so values have none.
        CustomerNumberFormat::ZeroFilled => prop_oneof![
            Just(String::new()),
            (1u64..u64::MAX).prop_map(|n| n.to_string()),
            ("[1-9][0-9]{19}").prop_map(|s| s)
        ]
        .boxed(),
        _ => "[0-9]{0,20}".boxed(),
    }
}

fn account_type() -> impl Strategy<Value = AccountType> {
    prop_oneof![
        Just(AccountType::Ordinary),
        Just(AccountType::Current),
        Just(AccountType::Other)
    ]
}

fn header(names: CharClass) -> impl Strategy<Value = Header> {
    (
        digits(10),
        text(names, 40),
        (1u8..=12, 1u8..=31),
        digits(4),
        text(CharClass::BankName, 15),
        digits(3),
        text(CharClass::BankName, 15),
        account_type(),
        digits(7),
    )
        .prop_filter_map(
            "a real date",
            move |(cc, cn, (m, d), bc, bn, brc, brn, at, an)| {
                Some(Header {
                    type_code: "91".into(),
                    code_division: CodeDivision::Jis,
                    collector_code: cc,
                    collector_name: cn,
                    debit_date: MonthDay::new(m, d)?,
                    bank_code: bc,
                    bank_name: bn,
                    branch_code: brc,
                    branch_name: brn,
                    account_type: at,
                    account_number: an,
                })
            },
        )
}

fn result_code() -> impl Strategy<Value = ResultCode> {
    prop_oneof![
        4 => proptest::sample::select(ResultCode::ALL_JBA.to_vec()),
        1 => proptest::sample::select(b"567NJ".to_vec()).prop_map(ResultCode::Unknown),
    ]
}

fn data(kind: FileKind, names: CharClass, cn: CustomerNumberFormat) -> impl Strategy<Value = Data> {
    (
        (digits(4), text(CharClass::BankName, 15)),
        (digits(3), text(CharClass::BankName, 15)),
        prop_oneof![account_type(), Just(AccountType::TaxReserve)],
        digits(7),
        text(names, 30),
        0..=MAX_AMOUNT / 1000,
        prop_oneof![
            Just(NewCode::Other),
            Just(NewCode::First),
            Just(NewCode::Changed)
        ],
        customer_number(cn),
        result_code(),
    )
        .prop_map(
            move |((bc, bn), (brc, brn), at, an, name, amount, new_code, cn, code)| Data {
                bank_code: bc,
                bank_name: bn,
                branch_code: brc,
                branch_name: brn,
                account_type: at,
                account_number: an,
                holder_name: name,
                amount,
                new_code,
                customer_number: cn,
                result: (kind == FileKind::Result).then_some(code),
            },
        )
}

#[derive(Debug, Clone)]
struct Case {
    file: TransferFile,
    write: WriteOptions,
    read: ReadOptions,
}

fn case(max_groups: usize) -> impl Strategy<Value = Case> {
    (
        prop_oneof![Just(FileKind::Request), Just(FileKind::Result)],
        prop_oneof![Just(LineEnding::None), Just(LineEnding::CrLf)],
        any::<bool>(),
        prop_oneof![
            Just(CustomerNumberFormat::ZeroFilled),
            Just(CustomerNumberFormat::SpaceFilled)
        ],
        any::<bool>(),
    )
        .prop_flat_map(move |(kind, line_ending, eof_marker, cn, extended)| {
            let names = if extended {
                CharClass::ExtendedName
            } else {
                CharClass::Name
            };
            let group = (
                header(names),
                proptest::collection::vec(data(kind, names, cn), 0..8),
            );
            proptest::collection::vec(group, 1..=max_groups).prop_map(move |groups| {
                let groups = groups
                    .into_iter()
                    .map(|(header, data)| {
                        let trailer = Trailer::from_data(kind, &data).expect("small totals fit");
                        TransferGroup {
                            header,
                            data,
                            trailer,
                        }
                    })
                    .collect();
                Case {
                    file: TransferFile { kind, groups },
                    write: WriteOptions {
                        line_ending,
                        eof_marker,
                        customer_number: cn,
                        trailer: TrailerMode::Check,
                        extended_names: extended,
                    },
                    read: ReadOptions {
                        expect: Some(kind),
                        customer_number: cn,
                        extended_names: extended,
                    },
                }
            })
        })
}

fn record_len(opts: &WriteOptions) -> usize {
    match opts.line_ending {
        LineEnding::None => 120,
        LineEnding::CrLf => 122,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn written_files_read_back_identically(c in case(3)) {
        let bytes = to_bytes(&c.file, &c.write).expect("a valid file writes");
        let records: usize = c.file.groups.iter().map(|g| g.data.len() + 2).sum::<usize>() + 1;
        prop_assert_eq!(bytes.len(), records * record_len(&c.write) + usize::from(c.write.eof_marker));
        let back = read_with(&bytes[..], &c.read).expect("what we write we read");
        prop_assert_eq!(&back.file, &c.file);
        prop_assert_eq!(back.line_ending, c.write.line_ending);
        prop_assert_eq!(back.eof_marker, c.write.eof_marker);
        // Written again, byte-identical.
        prop_assert_eq!(to_bytes(&back.file, &c.write).expect("again"), bytes.clone());
        // The kind is inferred when there is data to infer it from.
        if c.file.data().next().is_some() {
            let inferred = read_with(&bytes[..], &ReadOptions { expect: None, ..c.read })
                .expect("reads without expectation");
            prop_assert_eq!(inferred.file.kind, c.file.kind);
        }
    }

    /// A non-digit in 引落金額 of any data record is reported at exactly that byte.
    #[test]
    fn bad_digit_is_located(
        c in case(2).prop_filter("has data", |c| c.file.data().next().is_some()),
        pick in any::<prop::sample::Index>(),
        at in 0usize..10,
        byte in any::<u8>().prop_filter("not a digit or line ending", |b| !b.is_ascii_digit() && *b != b'\r' && *b != b'\n'),
    ) {
        let mut bytes = to_bytes(&c.file, &c.write).expect("valid");
        // Record numbers of the data records.
        let mut data_records = Vec::new();
        let mut no = 0;
        for g in &c.file.groups {
            no += 1;
            for _ in &g.data {
                no += 1;
                data_records.push(no);
            }
            no += 1;
        }
        let record = data_records[pick.index(data_records.len())];
        let offset = (record - 1) * record_len(&c.write) + 80 + at;
        bytes[offset] = byte;
        let e = read_with(&bytes[..], &c.read).expect_err("refused");
        prop_assert_eq!(e.record, record);
        prop_assert_eq!(e.offset, offset as u64);
        prop_assert_eq!(e.field, Some(Field::Amount));
        prop_assert_eq!(e.reason, Reason::NotDigit { byte });
    }

    /// A byte outside the name class in 預金者名 is reported at exactly that byte.
    #[test]
    fn bad_name_byte_is_located(
        c in case(1).prop_filter("has data", |c| c.file.data().next().is_some()),
        pick in any::<prop::sample::Index>(),
        at in 0usize..30,
        byte in any::<u8>().prop_filter("not allowed, not a line ending", |b| !CharClass::ExtendedName.allows_byte(*b) && *b != b'\r' && *b != b'\n'),
    ) {
        let mut bytes = to_bytes(&c.file, &c.write).expect("valid");
        let n = c.file.groups[0].data.len();
        let record = 2 + pick.index(n);
        let offset = (record - 1) * record_len(&c.write) + 50 + at;
        bytes[offset] = byte;
        let e = read_with(&bytes[..], &c.read).expect_err("refused");
        prop_assert_eq!((e.record, e.offset, e.field), (record, offset as u64, Some(Field::HolderName)));
        prop_assert_eq!(e.reason, Reason::BadByte { byte });
    }

    /// Any change to one trailer number is caught at that trailer.
    #[test]
    fn changed_trailer_is_caught(
        c in case(1),
        field in 0usize..6,
        delta in 1u64..1000,
    ) {
        let mut bytes = to_bytes(&c.file, &c.write).expect("valid");
        let n = c.file.groups[0].data.len();
        let record = n + 2;
        let (start, len) = [(1, 6), (7, 12), (19, 6), (25, 12), (37, 6), (43, 12)][field];
        let base = (record - 1) * record_len(&c.write) + start;
        let old: u64 = std::str::from_utf8(&bytes[base..base + len]).expect("digits").parse().expect("number");
        let new = (old + delta) % 10u64.pow(len as u32);
        bytes[base..base + len].copy_from_slice(format!("{new:0len$}").as_bytes());
        let e = read_with(&bytes[..], &c.read).expect_err("refused");
        prop_assert_eq!(e.record, record, "{}", e);
    }
}
