//! Drawing laid-out pages with krilla: the font is embedded as a subset (only the glyphs used),
//! with a ToUnicode map so the text can be searched, copied and read aloud.

use std::sync::Arc;

use anyhow::Context;
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::image::Image;
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

use super::content::{Block, jst};
use super::layout::{self, Measure, Op, PAGE_H, PAGE_W};

/// A font checked at start-up: it parses, and it has Japanese glyphs.
pub struct LoadedFont {
    data: Arc<Vec<u8>>,
    index: u32,
    font: Font,
}

impl LoadedFont {
    pub fn new(data: Vec<u8>, index: u32) -> anyhow::Result<LoadedFont> {
        let data = Arc::new(data);
        {
            let face = ttf_parser::Face::parse(&data, index)
                .map_err(|e| anyhow::anyhow!("not a TrueType/OpenType font: {e}"))?;
            for c in ['市', '申', 'あ', 'ア', '1', 'A'] {
                anyhow::ensure!(
                    face.glyph_index(c).is_some(),
                    "the font has no glyph for {c:?}: choose a font with Japanese glyphs \
                     (e.g. apt-get install fonts-noto-cjk)"
                );
            }
        }
        let font = Font::new(data.clone().into(), index)
            .context("the PDF library cannot read this font")?;
        Ok(LoadedFont { data, index, font })
    }
}

impl Measure for LoadedFont {
    fn width(&self, text: &str, size: f32) -> f32 {
        let Ok(face) = ttf_parser::Face::parse(&self.data, self.index) else {
            return 0.0;
        };
        let upem = f32::from(face.units_per_em());
        text.chars()
            .map(|c| {
                face.glyph_index(c)
                    .and_then(|g| face.glyph_hor_advance(g))
                    .map(|a| f32::from(a) / upem * size)
                    .unwrap_or(size)
            })
            .sum()
    }
}

/// Checks that bytes are a PNG the PDF library accepts.
pub fn check_png(bytes: &[u8]) -> anyhow::Result<()> {
    Image::from_png(Arc::new(bytes.to_vec()).into(), true)
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// What goes into the PDF's document information besides the pages.
pub struct Meta<'a> {
    pub title: &'a str,
    pub author: &'a str,
    /// Creation time (UTC ms), written in Japan time.
    pub created_at: i64,
}

/// Lays out and draws the blocks. `seal`: the PNG drawn where the layout puts the seal.
pub fn render(
    font: &LoadedFont,
    blocks: &[Block],
    seal: Option<&[u8]>,
    meta: &Meta<'_>,
) -> anyhow::Result<Vec<u8>> {
    let pages = layout::layout(font, blocks);
    let mut doc = Document::new();
    let t = jst(meta.created_at);
    doc.set_metadata(
        Metadata::new()
            .title(meta.title.to_owned())
            .authors(vec![meta.author.to_owned()])
            .creator("Madoguchi".to_owned())
            .language("ja".to_owned())
            .creation_date(
                DateTime::new(t.year().clamp(0, 9999) as u16)
                    .month(u8::from(t.month()))
                    .day(t.day())
                    .hour(t.hour())
                    .minute(t.minute())
                    .second(t.second())
                    .utc_offset_hour(9)
                    .utc_offset_minute(0),
            ),
    );
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).context("page size")?;
    let black = Fill {
        paint: rgb::Color::new(0, 0, 0).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    };
    for ops in &pages {
        let mut page = doc.start_page_with(settings.clone());
        let mut s = page.surface();
        for op in ops {
            match op {
                Op::Text { x, y, size, text } => {
                    s.set_fill(Some(black.clone()));
                    s.draw_text(
                        Point::from_xy(*x, *y),
                        font.font.clone(),
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Line { x1, x2, y } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(*x1, *y);
                    pb.line_to(*x2, *y);
                    if let Some(path) = pb.finish() {
                        s.set_fill(None);
                        s.set_stroke(Some(Stroke {
                            paint: rgb::Color::new(0, 0, 0).into(),
                            width: 0.5,
                            ..Default::default()
                        }));
                        s.draw_path(&path);
                        s.set_stroke(None);
                    }
                }
                Op::Seal { x, y, size } => {
                    if let Some(png) = seal {
                        let image = Image::from_png(Arc::new(png.to_vec()).into(), true)
                            .map_err(|e| anyhow::anyhow!("seal image: {e}"))?;
                        let sz = Size::from_wh(*size, *size).context("seal size")?;
                        s.push_transform(&Transform::from_translate(*x, *y));
                        s.draw_image(image, sz);
                        s.pop();
                    }
                }
            }
        }
        s.finish();
        page.finish();
    }
    doc.finish()
        .map_err(|e| anyhow::anyhow!("writing the PDF: {e:?}"))
}
