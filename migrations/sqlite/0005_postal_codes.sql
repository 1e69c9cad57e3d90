-- Japan Post's 郵便番号データ (issue 3, the postal-code field): one row per address a 郵便番号
-- stands for. National data shared by every municipality, so there is no municipality_id.
-- Kept in lockstep with ../postgres/0005_postal_codes.sql. Filled by `madoguchi postal import`
-- (src/postal/import.rs), which replaces the whole table in one transaction; see docs/postal.md.
--
-- code: the seven digits of the 郵便番号, e.g. 2720021. A code can stand for several towns
--   (several rows); id keeps the order of Japan Post's file.
-- local_government_code: the five-digit 全国地方公共団体コード of the city, e.g. 12203.
-- town: the 町域名 with Japan Post's remarks taken out: empty for 「以下に掲載がない場合」 and
--   「○○の次に番地がくる場合」 (the 番地 follows the city name directly).
-- town_note: the remark that stood in （…） after the town, e.g. 「１〜１９丁目」 or 「地階・階層不明」;
--   empty when there is none (「次のビルを除く」 is dropped: the buildings have codes of their own).
-- *_kana: full-width katakana readings (Japan Post's half-width kana are widened).

CREATE TABLE postal_codes (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL CHECK (length(code) = 7),
    local_government_code TEXT NOT NULL,
    prefecture TEXT NOT NULL,
    prefecture_kana TEXT NOT NULL,
    city TEXT NOT NULL,
    city_kana TEXT NOT NULL,
    town TEXT NOT NULL,
    town_kana TEXT NOT NULL,
    town_note TEXT NOT NULL
);

CREATE INDEX postal_codes_code ON postal_codes (code);
