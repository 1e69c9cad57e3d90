//! Draws the shipped DEMO seal (印影) as a one-page PDF: a red double circle reading 市川市長之印
//! in the traditional three columns (right to left), with 見本 (sample) and DEMO across it, so it
//! can never pass for the real seal. Turned into the transparent PNG that ships in
//! `assets/documents/demo-seal.png` with poppler's pdftocairo:
//!
//! ```sh
//! cargo run -p madoguchi --example demo_seal -- /tmp/seal.pdf
//! pdftocairo -png -transp -singlefile -r 300 /tmp/seal.pdf crates/madoguchi/assets/documents/demo-seal
//! ```
#![forbid(unsafe_code)]

use std::sync::Arc;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

fn circle(pb: &mut PathBuilder, cx: f32, cy: f32, r: f32) {
    // Four cubic Bézier quarter arcs.
    let k = 0.552_284_8 * r;
    pb.move_to(cx + r, cy);
    pb.cubic_to(cx + r, cy + k, cx + k, cy + r, cx, cy + r);
    pb.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, cy);
    pb.cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
    pb.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
    pb.close();
}

fn main() -> anyhow::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "demo-seal.pdf".into());
    let (path, index) =
        madoguchi::documents::font_file(&madoguchi::documents::DocumentsConfig::default())?;
    let font = Font::new(Arc::new(std::fs::read(path)?).into(), index)
        .ok_or_else(|| anyhow::anyhow!("font"))?;
    let size = 100.0;
    let red = rgb::Color::new(0xc8, 0x1e, 0x1e);
    let mut doc = Document::new();
    let mut page = doc
        .start_page_with(PageSettings::from_wh(size, size).ok_or_else(|| anyhow::anyhow!("size"))?);
    let mut s = page.surface();
    let stroke = |w: f32| Stroke {
        paint: red.into(),
        width: w,
        ..Default::default()
    };
    for (r, w) in [(47.0, 3.2), (41.5, 1.0)] {
        let mut pb = PathBuilder::new();
        circle(&mut pb, 50.0, 50.0, r);
        let p = pb.finish().ok_or_else(|| anyhow::anyhow!("path"))?;
        s.set_fill(None);
        s.set_stroke(Some(stroke(w)));
        s.draw_path(&p);
    }
    s.set_stroke(None);
    s.set_fill(Some(Fill {
        paint: red.into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }));
    // 市川 | 市長 | 之印, read top to bottom, columns right to left.
    let cols = [("市", "川", 64.0), ("市", "長", 39.0), ("之", "印", 14.0)];
    for (top, bottom, x) in cols {
        s.draw_text(
            Point::from_xy(x, 47.0),
            font.clone(),
            22.0,
            top,
            false,
            TextDirection::Auto,
        );
        s.draw_text(
            Point::from_xy(x, 72.0),
            font.clone(),
            22.0,
            bottom,
            false,
            TextDirection::Auto,
        );
    }
    s.set_fill(Some(Fill {
        paint: rgb::Color::new(0x20, 0x40, 0xa0).into(),
        opacity: NormalizedF32::new(0.85).ok_or_else(|| anyhow::anyhow!("opacity"))?,
        rule: Default::default(),
    }));
    s.draw_text(
        Point::from_xy(39.0, 22.0),
        font.clone(),
        8.0,
        "DEMO",
        false,
        TextDirection::Auto,
    );
    s.draw_text(
        Point::from_xy(40.0, 86.0),
        font.clone(),
        10.0,
        "見本",
        false,
        TextDirection::Auto,
    );
    s.finish();
    page.finish();
    let pdf = doc.finish().map_err(|e| anyhow::anyhow!("pdf: {e:?}"))?;
    std::fs::write(&out, pdf)?;
    println!("wrote {out}");
    Ok(())
}
