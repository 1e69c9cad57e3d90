//! Places [`Block`]s on A4 pages: line breaking (by characters, with 禁則 for the common
//! closing marks), right alignment and page breaks. Pure: text width comes from a [`Measure`].

use super::content::Block;

/// A4 in PDF points (1/72 inch).
pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
pub const MARGIN_X: f32 = 68.0;
pub const MARGIN_TOP: f32 = 64.0;
pub const MARGIN_BOTTOM: f32 = 64.0;
pub const LABEL_W: f32 = 96.0;
pub const SEAL: f32 = 62.0;

/// Width of text at a size, in points.
pub trait Measure {
    fn width(&self, text: &str, size: f32) -> f32;
}

/// One drawing operation. `y` grows downwards from the top of the page; text `y` is the baseline.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
    },
    Line {
        x1: f32,
        x2: f32,
        y: f32,
    },
    /// The seal image, a square with its top-left corner at (x, y).
    Seal {
        x: f32,
        y: f32,
        size: f32,
    },
}

pub type Page = Vec<Op>;

/// Characters that must not start a line (行頭禁則).
const NO_START: &str = "、。，．）」』】〕！？：；・ー…）)]},.!?%";

/// Splits `text` into lines no wider than `max` (paragraph breaks kept).
pub fn wrap(m: &dyn Measure, text: &str, size: f32, max: f32) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut word = String::new(); // a run of ASCII letters/digits is kept together
        let flush_word = |line: &mut String, word: &mut String, out: &mut Vec<String>| {
            if word.is_empty() {
                return;
            }
            let joined = format!("{line}{word}");
            if m.width(&joined, size) <= max || line.is_empty() {
                if m.width(&joined, size) <= max {
                    *line = joined;
                } else {
                    // A single run wider than the line: break it by characters.
                    for c in word.chars() {
                        let next = format!("{line}{c}");
                        if m.width(&next, size) > max && !line.is_empty() {
                            out.push(std::mem::take(line));
                        }
                        line.push(c);
                    }
                }
            } else {
                out.push(std::mem::take(line));
                *line = word.trim_start().to_owned();
            }
            word.clear();
        };
        for c in para.chars() {
            if c.is_ascii_alphanumeric() || (c.is_ascii_punctuation() && !word.is_empty()) {
                word.push(c);
                continue;
            }
            flush_word(&mut line, &mut word, &mut out);
            let next = format!("{line}{c}");
            if m.width(&next, size) > max && !line.is_empty() && !NO_START.contains(c) {
                out.push(std::mem::take(&mut line));
                if c != ' ' {
                    line.push(c);
                }
            } else {
                line.push(c);
            }
        }
        flush_word(&mut line, &mut word, &mut out);
        out.push(line);
    }
    out
}

fn leading(size: f32) -> f32 {
    size * 1.7
}

struct Cursor<'a> {
    m: &'a dyn Measure,
    pages: Vec<Page>,
    y: f32,
}

impl Cursor<'_> {
    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }
    /// Room for `h` more points on this page, else a new page.
    fn need(&mut self, h: f32) {
        if self.y + h > PAGE_H - MARGIN_BOTTOM && !self.page().is_empty() {
            self.pages.push(Vec::new());
            self.y = MARGIN_TOP;
        }
    }
    fn text(&mut self, x: f32, size: f32, text: String) {
        let h = leading(size);
        self.need(h);
        let y = self.y + size;
        self.page().push(Op::Text { x, y, size, text });
        self.y += h;
    }
}

/// Lays out the blocks on as many A4 pages as they need.
pub fn layout(m: &dyn Measure, blocks: &[Block]) -> Vec<Page> {
    let right = PAGE_W - MARGIN_X;
    let width = right - MARGIN_X;
    let mut c = Cursor {
        m,
        pages: vec![Vec::new()],
        y: MARGIN_TOP,
    };
    for b in blocks {
        match b {
            Block::Right { text, size } => {
                let w = c.m.width(text, *size);
                c.text(right - w, *size, text.clone());
            }
            Block::Left { text, size } => c.text(MARGIN_X, *size, text.clone()),
            Block::Title { text, size } => {
                let w = c.m.width(text, *size);
                c.text(MARGIN_X + (width - w) / 2.0, *size, text.clone());
            }
            Block::Para { text, size, indent } => {
                for (i, line) in wrap(c.m, text, *size, width - indent)
                    .into_iter()
                    .enumerate()
                {
                    // The first line of a paragraph is indented; the rest start at the margin
                    // (as in 公用文), except for hanging numbered items.
                    let hanging = text.starts_with(|ch: char| ch.is_ascii_digit());
                    let x = if i == 0 || hanging {
                        MARGIN_X + indent
                    } else {
                        MARGIN_X
                    };
                    let x = if hanging && i > 0 { x + size } else { x };
                    c.text(x, *size, line);
                }
            }
            Block::Field { label, value, size } => {
                let lines = wrap(c.m, value, *size, width - LABEL_W - 10.5);
                for (i, line) in lines.into_iter().enumerate() {
                    let h = leading(*size);
                    c.need(h);
                    let y = c.y + *size;
                    if i == 0 {
                        c.page().push(Op::Text {
                            x: MARGIN_X + 10.5,
                            y,
                            size: BODY_LABEL.min(*size),
                            text: label.clone(),
                        });
                    }
                    c.page().push(Op::Text {
                        x: MARGIN_X + 10.5 + LABEL_W,
                        y,
                        size: *size,
                        text: line,
                    });
                    c.y += h;
                }
            }
            Block::Signer { text, seal } => {
                let size = 12.0;
                c.need(SEAL + 4.0);
                let w = c.m.width(text, size);
                let text_right = right - SEAL - 6.0;
                let y = c.y + SEAL / 2.0 + size / 2.0;
                c.page().push(Op::Text {
                    x: text_right - w,
                    y,
                    size,
                    text: text.clone(),
                });
                if *seal {
                    let top = c.y;
                    c.page().push(Op::Seal {
                        x: right - SEAL,
                        y: top,
                        size: SEAL,
                    });
                } else {
                    let note = "（公印省略）";
                    let nw = c.m.width(note, 9.0);
                    c.page().push(Op::Text {
                        x: right - SEAL / 2.0 - nw / 2.0,
                        y,
                        size: 9.0,
                        text: note.into(),
                    });
                }
                c.y += SEAL + 4.0;
            }
            Block::Gap(h) => {
                c.y += h;
            }
            Block::Rule => {
                c.need(8.0);
                let y = c.y + 2.0;
                c.page().push(Op::Line {
                    x1: MARGIN_X,
                    x2: right,
                    y,
                });
                c.y += 8.0;
            }
        }
    }
    c.pages
}

const BODY_LABEL: f32 = 10.5;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character one em wide except ASCII (half).
    struct Mono;
    impl Measure for Mono {
        fn width(&self, text: &str, size: f32) -> f32 {
            text.chars()
                .map(|c| if c.is_ascii() { size / 2.0 } else { size })
                .sum()
        }
    }

    #[test]
    fn wraps_by_width_and_keeps_closing_marks_on_the_line() {
        let lines = wrap(&Mono, "あいうえお。かきくけこ", 10.0, 50.0);
        assert_eq!(lines, vec!["あいうえお。", "かきくけこ"]);
        let lines = wrap(&Mono, "URL https://example.jp/abc です", 10.0, 60.0);
        assert!(lines.iter().all(|l| !l.is_empty()), "{lines:?}");
        assert!(lines.concat().contains("https://example.jp/abc"));
    }

    #[test]
    fn long_text_flows_onto_a_second_page() {
        let blocks = vec![Block::Para {
            text: "長".repeat(4000),
            size: 10.5,
            indent: 0.0,
        }];
        let pages = layout(&Mono, &blocks);
        assert!(pages.len() >= 2);
        for p in &pages {
            for op in p {
                if let Op::Text { y, .. } = op {
                    assert!(*y <= PAGE_H - MARGIN_BOTTOM + 1.0);
                }
            }
        }
    }
}
