//! Search normalisation for the procedure catalogue: the same function is applied to the stored
//! text (the `search_text` column) and to every query token, so a search forgives the
//! differences residents actually type:
//!
//! 1. **Width** (Unicode NFKC): full-width ASCII `ＡＢＣ１２３` → `ABC123`, half-width katakana
//!    `ｼﾞﾄﾞｳ` → `ジドウ` (the voiced marks are composed), compatibility ideographs (U+F900…) →
//!    their unified form, `㈱` → `(株)`.
//! 2. **Katakana → hiragana** (`ジドウ` → `じどう`), so a kana query matches the stored reading.
//! 3. **Lower case** (`ABC` → `abc`).
//! 4. **旧字体 → 新字体** from a hand-written table (`兒童手當` → `児童手当`, `髙` → `高`,
//!    `﨑` → `崎`, `邊`/`邉` → `辺`). Variants such as 髙 and 﨑 are not touched by NFKC, which is
//!    why the table exists.
//! 5. **Long vowel mark**: `ー` (and a hyphen or dash typed in its place) after a kana becomes
//!    the vowel it lengthens, with the o-row written `う` and the e-row `い` as in native
//!    spelling (`じどー` → `じどう`, `さーびす` → `さあびす`, `けーす` → `けいす`). Elsewhere it
//!    is dropped like other separators.
//! 6. **Separators removed**: white space (including U+3000), `・`, `|`, dashes, brackets and
//!    punctuation, so `要介護・要支援` and `要介護 要支援` are the same text.
//!
//! The function is idempotent: normalising twice changes nothing (tested over every kana,
//! every full-width form and every table entry).

use std::collections::HashMap;
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;

/// 旧字体 (and common name variants) followed by the 新字体 searched for, as pairs of characters.
/// Only characters whose modern form is certain are listed; a wrong entry would make unrelated
/// words match, a missing one only makes a rare spelling miss.
const KYUJI: &str = concat!(
    "國国證証續続屆届兒児壽寿惠恵齒歯會会體体學学醫医藥薬澤沢邊辺邉辺髙高﨑崎濱浜廣広德徳",
    "數数與与舊旧實実禮礼圓円當当發発變変轉転讓譲",
    "亞亜惡悪壓圧圍囲爲為醫医壹壱營営榮栄衞衛驛駅鹽塩奧奥價価畫画擴拡覺覚關関歡歓觀観",
    "氣気僞偽戲戯犧犠據拠擧挙峽峡狹狭曉暁勳勲徑径經経繼継輕軽鷄鶏藝芸缺欠儉倹劍剣權権",
    "險険顯顕驗験嚴厳效効恆恒黃黄號号濟済碎砕齋斎劑剤雜雑參参慘惨棧桟蠶蚕贊賛殘残絲糸",
    "辭辞濕湿寫写釋釈收収從従澁渋獸獣縱縦肅粛處処敍叙將将燒焼稱称奬奨乘乗剩剰壤壌孃嬢",
    "條条淨浄疊畳釀醸觸触寢寝愼慎眞真盡尽圖図粹粋醉酔穗穂隨随髓髄樞枢聲声靜静齊斉竊窃",
    "專専戰戦淺浅潛潜纖繊錢銭禪禅雙双壯壮搜捜插挿莊荘裝装總総騷騒增増藏蔵臟臓卽即屬属",
    "墮堕對対帶帯滯滞臺台瀧滝擇択擔担膽胆團団彈弾斷断癡痴遲遅晝昼蟲虫鑄鋳廳庁聽聴敕勅",
    "鎭鎮遞逓鐵鉄點点傳伝黨党盜盗燈灯鬪闘獨独讀読繩縄貳弐惱悩腦脳霸覇廢廃拜拝賣売麥麦",
    "髮髪拔抜蠻蛮祕秘甁瓶拂払佛仏竝並辨弁瓣弁辯弁舖舗寶宝襃褒豐豊沒没飜翻每毎萬万滿満",
    "默黙彌弥譯訳豫予餘余搖揺樣様謠謡來来賴頼亂乱覽覧龍竜兩両獵猟綠緑壘塁淚涙勵励隸隷",
    "靈霊齡齢曆暦歷歴戀恋爐炉勞労樓楼祿禄錄録灣湾晚晩卷巻歸帰區区縣県櫻桜黑黒縣県鬭闘",
    "廐厩惠恵渴渇揭掲溪渓繪絵擊撃狀状屢屡"
);

static KYUJI_MAP: LazyLock<HashMap<char, char>> = LazyLock::new(|| {
    let chars: Vec<char> = KYUJI.chars().collect();
    chars
        .chunks_exact(2)
        .filter(|p| p[0] != p[1])
        .map(|p| (p[0], p[1]))
        .collect()
});

/// Normalises text for catalogue search (see the module documentation for the rules).
pub fn normalize_for_search(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in fold_width(input).chars() {
        let c = KYUJI_MAP.get(&c).copied().unwrap_or(c);
        let c = katakana_to_hiragana(c);
        if is_long_vowel_mark(c) {
            if let Some(v) = out.chars().next_back().and_then(vowel_of) {
                out.push(v);
            }
            continue;
        }
        if is_separator(c) {
            continue;
        }
        for l in c.to_lowercase() {
            out.push(l);
        }
    }
    // Removing a separator can bring a base letter next to a combining mark (か゛ → か + U+3099);
    // composing once more keeps the function idempotent.
    out.nfc().collect()
}

/// Splits a query into normalised tokens: white space (ASCII or U+3000) separates tokens, and
/// tokens that normalise to nothing are dropped. At most `max` tokens are kept.
pub fn query_tokens(query: &str, max: usize) -> Vec<String> {
    query
        .split(|c: char| c.is_whitespace())
        .map(normalize_for_search)
        .filter(|t| !t.is_empty())
        .take(max)
        .collect()
}

/// Width folding (Unicode NFKC), step 1 above. Shared with the Japanese form fields
/// (`super::jp`) so that search and validation agree on what `１`, `ｶﾞ` or `－` mean.
pub(crate) fn fold_width(input: &str) -> String {
    input.nfkc().collect()
}

pub(crate) fn katakana_to_hiragana(c: char) -> char {
    match c {
        // ァ..ヶ map one to one onto ぁ..ゖ; ヽヾ onto ゝゞ.
        'ァ'..='ヶ' | 'ヽ' | 'ヾ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
        _ => c,
    }
}

/// The inverse of [`katakana_to_hiragana`]: ぁ..ゖ onto ァ..ヶ, ゝゞ onto ヽヾ.
pub(crate) fn hiragana_to_katakana(c: char) -> char {
    match c {
        'ぁ'..='ゖ' | 'ゝ' | 'ゞ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    }
}

/// The dashes and hyphens people type between digits or for a long vowel, after width folding
/// (NFKC has already turned `－` into `-`; `‐`, `―`, `−` and the like survive it).
pub(crate) fn is_dash(c: char) -> bool {
    matches!(c, '-' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−')
}

/// ー and the dashes people type instead of it (NFKC has already turned ｰ into ー).
fn is_long_vowel_mark(c: char) -> bool {
    is_dash(c) || matches!(c, 'ー' | '〜' | '~')
}

fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '・' | '|'
                | '、'
                | '。'
                | ','
                | '.'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '「'
                | '」'
                | '『'
                | '』'
                | '【'
                | '】'
                | '〔'
                | '〕'
                | '〈'
                | '〉'
                | '《'
                | '》'
                | '/'
                | ':'
                | ';'
                | '!'
                | '?'
                | '"'
                | '\''
                | '“'
                | '”'
                | '‘'
                | '’'
        )
}

/// The vowel a long vowel mark after this hiragana stands for. The o-row gives う and the
/// e-row い, as native words spell long vowels (どう, せい); loanwords are normalised the same
/// way on both sides, so they still match.
fn vowel_of(c: char) -> Option<char> {
    const ROWS: [(&str, char); 5] = [
        ("あかがさざただなはばぱまやらわぁゃゎゕ", 'あ'),
        ("いきぎしじちぢにひびぴみりゐぃ", 'い'),
        ("うくぐすずつづぬふぶぷむゆるゔぅゅ", 'う'),
        ("えけげせぜてでねへべぺめれゑぇゖ", 'い'),
        ("おこごそぞとどのほぼぽもよろをぉょ", 'う'),
    ];
    ROWS.iter()
        .find(|(row, _)| row.contains(c))
        .map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize_for_search(s)
    }

    #[test]
    fn child_allowance_in_every_spelling() {
        // The reading matches however the kana are typed.
        assert_eq!(n("じどうてあて"), "じどうてあて");
        assert_eq!(n("ジドウテアテ"), "じどうてあて");
        assert_eq!(n("ｼﾞﾄﾞｳﾃｱﾃ"), "じどうてあて");
        assert_eq!(n("ジドーテアテ"), "じどうてあて");
        // The kanji match across 旧字.
        assert_eq!(n("兒童手當"), "児童手当");
        assert_eq!(n("児童手当"), "児童手当");
        assert_eq!(n("兒童手当"), n("児童手當"));
    }

    #[test]
    fn width_folding() {
        assert_eq!(n("ＡＢＣ１２３"), "abc123");
        assert_eq!(n("ｶﾞｷﾞｸﾞｹﾞｺﾞ"), "がぎぐげご");
        assert_eq!(n("ﾊﾟﾋﾟﾌﾟﾍﾟﾎﾟ"), "ぱぴぷぺぽ");
        assert_eq!(n("ｳﾞ"), "ゔ");
        assert_eq!(n("ｧｨｩｪｫｯｬｭｮ"), "ぁぃぅぇぉっゃゅょ");
        assert_eq!(n("３００円"), "300円");
        assert_eq!(n("㈱"), "株");
    }

    #[test]
    fn katakana_becomes_hiragana() {
        assert_eq!(n("アイウエオ"), "あいうえお");
        assert_eq!(n("ヴァ"), "ゔぁ");
        assert_eq!(n("ヵヶ"), "ゕゖ");
        assert_eq!(n("ヽヾ"), "ゝゞ");
        // The whole block ァ..ヶ lands on ぁ..ゖ.
        for k in 'ァ'..='ヶ' {
            let h = n(&k.to_string());
            assert_eq!(h.chars().count(), 1, "{k}");
            let hc = h.chars().next().expect("one char");
            assert!(('ぁ'..='ゖ').contains(&hc), "{k} -> {hc}");
        }
        // Hiragana, kanji and Latin are left as they are.
        assert_eq!(n("ひらがな漢字abc"), "ひらがな漢字abc");
    }

    #[test]
    fn kana_shift_is_a_bijection_between_the_two_blocks() {
        for h in ('ぁ'..='ゖ').chain(['ゝ', 'ゞ']) {
            let k = hiragana_to_katakana(h);
            assert_ne!(k, h, "{h}");
            assert_eq!(katakana_to_hiragana(k), h, "{h} -> {k}");
        }
        assert_eq!(hiragana_to_katakana('ア'), 'ア');
        assert_eq!(hiragana_to_katakana('漢'), '漢');
    }

    #[test]
    fn lower_case() {
        assert_eq!(n("My Number Card"), "mynumbercard");
        assert_eq!(n("ＤＸ"), "dx");
    }

    #[test]
    fn kyuji_table() {
        for (old, new) in [
            ("國", "国"),
            ("證", "証"),
            ("續", "続"),
            ("屆", "届"),
            ("兒", "児"),
            ("壽", "寿"),
            ("惠", "恵"),
            ("齒", "歯"),
            ("會", "会"),
            ("體", "体"),
            ("學", "学"),
            ("醫", "医"),
            ("藥", "薬"),
            ("澤", "沢"),
            ("邊", "辺"),
            ("邉", "辺"),
            ("髙", "高"),
            ("﨑", "崎"),
            ("濱", "浜"),
            ("廣", "広"),
            ("德", "徳"),
            ("數", "数"),
            ("與", "与"),
            ("舊", "旧"),
            ("實", "実"),
            ("禮", "礼"),
            ("圓", "円"),
            ("當", "当"),
            ("發", "発"),
            ("變", "変"),
            ("轉", "転"),
            ("讓", "譲"),
        ] {
            assert_eq!(n(old), new, "{old}");
        }
        assert_eq!(n("罹災證明書"), "罹災証明書");
        assert_eq!(n("轉出屆"), "転出届");
        assert_eq!(n("髙橋"), "高橋");
        assert_eq!(n("山﨑"), "山崎");
    }

    #[test]
    fn kyuji_table_is_well_formed() {
        let chars: Vec<char> = KYUJI.chars().collect();
        assert_eq!(chars.len() % 2, 0, "the table is made of pairs");
        let mut seen = HashMap::new();
        for p in chars.chunks_exact(2) {
            // A repeated key must agree with itself.
            if let Some(prev) = seen.insert(p[0], p[1]) {
                assert_eq!(prev, p[1], "{} maps to two characters", p[0]);
            }
        }
        for (old, new) in KYUJI_MAP.iter() {
            // No chains: a modern form is never itself rewritten, so one pass is enough.
            assert!(!KYUJI_MAP.contains_key(new), "{old} -> {new} -> …");
            // NFKC must not send the target somewhere else either.
            assert_eq!(
                new.to_string().nfkc().collect::<String>(),
                new.to_string(),
                "{new}"
            );
        }
    }

    #[test]
    fn long_vowel_mark() {
        assert_eq!(n("サービス"), "さあびす");
        assert_eq!(n("さーびす"), "さあびす");
        assert_eq!(n("ｻｰﾋﾞｽ"), "さあびす");
        assert_eq!(n("サ-ビス"), "さあびす");
        assert_eq!(n("ホーム"), "ほうむ");
        assert_eq!(n("ケース"), "けいす");
        assert_eq!(n("ジュース"), "じゅうす");
        assert_eq!(n("ルール"), "るうる");
        // After anything that is not a kana with a vowel, it is a separator.
        assert_eq!(n("ー"), "");
        assert_eq!(n("ンー"), "ん");
        assert_eq!(n("0120-123-456"), "0120123456");
        assert_eq!(n("ABC-1"), "abc1");
    }

    #[test]
    fn separators_are_removed() {
        assert_eq!(n("要介護・要支援"), "要介護要支援");
        assert_eq!(n("要介護　要支援"), "要介護要支援");
        assert_eq!(n("要介護 要支援"), "要介護要支援");
        assert_eq!(n("居宅介護（介護予防）"), "居宅介護介護予防");
        assert_eq!(n("「住民票」の写し、交付。"), "住民票の写し交付");
        assert_eq!(n(" \t\n"), "");
        assert_eq!(n(""), "");
    }

    #[test]
    fn query_tokens_split_on_any_space() {
        assert_eq!(query_tokens("児童　手当", 8), vec!["児童", "手当"]);
        assert_eq!(query_tokens(" ｼﾞﾄﾞｳ  ﾃｱﾃ ", 8), vec!["じどう", "てあて"]);
        assert_eq!(query_tokens("・ ・", 8), Vec::<String>::new());
        assert_eq!(query_tokens("a b c d", 2), vec!["a", "b"]);
    }

    #[test]
    fn idempotent_over_every_kana_width_form_and_table_entry() {
        let mut samples: Vec<String> = Vec::new();
        let ranges = [
            ('\u{3040}', '\u{30FF}'), // hiragana and katakana
            ('\u{FF00}', '\u{FFEF}'), // half-width and full-width forms
            ('\u{31F0}', '\u{31FF}'), // katakana phonetic extensions
        ];
        for (a, b) in ranges {
            for c in a..=b {
                samples.push(c.to_string());
                // Each character after a kana too, for the long-vowel rule.
                samples.push(format!("か{c}"));
                samples.push(format!("{c}ー"));
            }
        }
        samples.extend(KYUJI_MAP.keys().map(|c| c.to_string()));
        samples
            .extend(["ｼﾞﾄﾞｳﾃｱﾃ", "サーービス", "ーー", "かーー", "A-B", "㍻", "①"].map(String::from));
        for s in samples {
            let once = n(&s);
            assert_eq!(n(&once), once, "not idempotent for {s:?} ({once:?})");
        }
    }
}
