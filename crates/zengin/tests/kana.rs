//! 全銀 character conversion and classes (reference sheet §4, §5).

use zengin::kana::{self, BadChar, CharClass};

fn conv(s: &str) -> String {
    kana::to_zengin(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn refused(s: &str) -> BadChar {
    kana::to_zengin(s).expect_err("must be refused")
}

#[test]
fn conversion_table() {
    let cases = [
        // Full-width katakana, small kana made large, voiced marks split.
        ("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("スズキ　ショウタ", "ｽｽﾞｷ ｼﾖｳﾀ"),
        ("キュウ", "ｷﾕｳ"),
        ("ガッコウ", "ｶﾞﾂｺｳ"),
        ("ァィゥェォッャュョヮヵヶ", "ｱｲｳｴｵﾂﾔﾕﾖﾜｶｹ"),
        ("パピプペポ", "ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ"),
        ("ヴ", "ｳﾞ"),
        // Hiragana.
        ("やまだ", "ﾔﾏﾀﾞ"),
        ("きゅう", "ｷﾕｳ"),
        ("ぱっぷ", "ﾊﾟﾂﾌﾟ"),
        // Long vowel and dashes.
        ("コーヒー", "ｺ-ﾋ-"),
        ("ミツビシユ－エフジエイ", "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ"),
        ("ｺｰﾋｰ", "ｺ-ﾋ-"),
        // Half-width input passes; half-width small kana made large.
        ("ﾔﾏﾀﾞ ﾀﾛｳ", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ("ｷｭｳ", "ｷﾕｳ"),
        // Combining and spacing voiced marks.
        ("カ\u{3099}", "ｶﾞ"),
        ("ハ\u{309A}", "ﾊﾟ"),
        ("カ゛", "ｶﾞ"),
        // Letters, digits, signs.
        ("ｊａｐａｎ　ｔａｒｏ", "JAPAN TARO"),
        ("abc", "ABC"),
        ("ＡＢＣ１２３", "ABC123"),
        ("（カ）マドグチ．", "(ｶ)ﾏﾄﾞｸﾞﾁ."),
        ("(ｶ)ﾏﾄﾞｸﾞﾁ", "(ｶ)ﾏﾄﾞｸﾞﾁ"),
        ("", ""),
    ];
    for (input, want) in cases {
        assert_eq!(conv(input), want, "{input:?}");
    }
}

#[test]
fn refused_characters_are_named() {
    let cases = [
        ("ヤマダ花子", '花', 4),
        ("ヲ", 'ヲ', 1),
        ("を", 'を', 1),
        ("ｦ", 'ｦ', 1),
        ("ヤマダ,タロウ", ',', 4),
        ("ヤマダ・タロウ", '・', 4),
        ("ﾔﾏﾀﾞ･ﾀﾛｳ", '･', 5),
        ("ｽﾐｽ/ｼﾞﾖﾝ", '/', 4),
        ("タロウ。", '。', 4),
        ("ｱ｡", '｡', 2),
        ("ｱ､", '､', 2),
        ("A\tB", '\t', 2),
        ("ゝ", 'ゝ', 1),
        ("Ａ＠", '＠', 2),
        ("ヺ", 'ヺ', 1),
        ("😀", '😀', 1),
    ];
    for (input, ch, position) in cases {
        assert_eq!(refused(input), BadChar { ch, position }, "{input:?}");
    }
    assert_eq!(
        refused("ヤマダ花子").message_ja(),
        "4文字目の「花」は使えません。"
    );
    assert_eq!(
        refused("ア\tイ").message_ja(),
        "2文字目の「U+0009」は使えません。"
    );
}

#[test]
fn extended_and_bank_name_classes() {
    assert_eq!(
        kana::to_zengin_in("ｽﾐｽ/ｼﾞﾖﾝ「ヲ」￥", CharClass::ExtendedName).expect("extended"),
        "ｽﾐｽ/ｼﾞﾖﾝ｢ｦ｣\\"
    );
    // zengin-code kana of a bank: full-width, － for the long vowel, full-width Latin.
    assert_eq!(
        kana::to_zengin_in("ミツビシＵＦＪシンタク", CharClass::BankName).expect("bank"),
        "ﾐﾂﾋﾞｼUFJｼﾝﾀｸ"
    );
    assert_eq!(
        kana::to_zengin_in("(ｶ)", CharClass::BankName),
        Err(BadChar {
            ch: '(',
            position: 1
        })
    );
    assert_eq!(
        kana::to_zengin_in("ABC", CharClass::Base),
        Err(BadChar {
            ch: 'A',
            position: 1
        })
    );
}

/// §4's table, byte by byte, for every class.
#[test]
fn character_classes_byte_by_byte() {
    for b in 0u8..=255 {
        let base = b.is_ascii_digit() || b == b' ' || (0xB1..=0xDF).contains(&b);
        let name = base || b.is_ascii_uppercase() || b"()-.".contains(&b);
        let ext = name || [b'/', 0xA2, 0xA3, 0x5C, 0xA6].contains(&b);
        let bank = base || b.is_ascii_uppercase() || b == b'-';
        assert_eq!(CharClass::Base.allows_byte(b), base, "base {b:#04x}");
        assert_eq!(CharClass::Name.allows_byte(b), name, "name {b:#04x}");
        assert_eq!(CharClass::ExtendedName.allows_byte(b), ext, "ext {b:#04x}");
        assert_eq!(CharClass::BankName.allows_byte(b), bank, "bank {b:#04x}");
    }
    // Never allowed in the strict name set: ｦ, small kana, ｰ, comma, ｡, ､, lowercase.
    for c in "ｦｧｨｩｪｫｬｭｮｯｰ,｡､abcz".chars() {
        assert!(!kana::is_allowed(c), "{c}");
    }
    for c in "09 ｱﾝﾞﾟAZ()-.".chars() {
        assert!(kana::is_allowed(c), "{c}");
    }
    assert!(
        !kana::is_allowed('ア'),
        "full-width must be converted first"
    );
}

/// Whatever comes in, what comes out is allowed, and a refusal names a character of the input.
#[test]
fn every_bmp_character_converts_to_allowed_or_is_refused() {
    let mut converted = 0;
    for u in 0..=0xFFFFu32 {
        let Some(c) = char::from_u32(u) else { continue };
        let s = c.to_string();
        match kana::to_zengin(&s) {
            Ok(out) => {
                converted += 1;
                assert!(!out.is_empty(), "{c:?} vanished");
                assert!(out.chars().all(kana::is_allowed), "{c:?} → {out:?}");
                assert!(kana::byte_len(&out) <= 2, "{c:?} → {out:?}");
                assert_eq!(
                    kana::encode(&out).expect("encodable").len(),
                    kana::byte_len(&out)
                );
            }
            Err(e) => assert_eq!((e.ch, e.position), (c, 1)),
        }
    }
    // Digits, A–Z, a–z, space, ()-. in both widths, kana: a few hundred.
    assert!((300..600).contains(&converted), "{converted}");
}

#[test]
fn jis_x_0201_bytes() {
    assert_eq!(
        kana::encode("ﾔﾏﾀﾞ ﾀﾛｳ").expect("half-width"),
        [0xD4, 0xCF, 0xC0, 0xDE, 0x20, 0xC0, 0xDB, 0xB3]
    );
    assert_eq!(
        kana::encode("ヤマダ"),
        Err(BadChar {
            ch: 'ヤ',
            position: 1
        })
    );
    assert_eq!(kana::encode("¥").expect("yen"), [0x5C]);
    let all: Vec<u8> = (0x20..=0x7E).chain(0xA1..=0xDF).collect();
    let text = kana::decode(&all).expect("all JIS X 0201");
    assert_eq!(kana::encode(&text).expect("back"), all);
    for b in (0u8..0x20).chain(0x7F..0xA1).chain(0xE0..=0xFF) {
        let e = kana::decode(&[b'A', b]).expect_err("not JIS X 0201");
        assert_eq!((e.byte, e.offset), (b, 1));
    }
}

#[test]
fn truncation_never_splits_a_voiced_mark() {
    let name = conv("ダイガクイン ジロウ"); // ﾀﾞｲｶﾞｸｲﾝ ｼﾞﾛｳ = 13 bytes
    assert_eq!(kana::byte_len(&name), 13);
    assert_eq!(kana::truncate(&name, 4), "ﾀﾞｲ");
    assert_eq!(kana::truncate(&name, 5), "ﾀﾞｲｶﾞ");
    assert_eq!(kana::truncate(&name, 6), "ﾀﾞｲｶﾞｸ");
    assert_eq!(kana::truncate(&name, 1), "");
    assert_eq!(kana::truncate(&name, 30), name);
}
