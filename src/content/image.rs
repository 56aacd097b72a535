//! The size of a mock screen or screenshot, read from the file itself: a PNG's header (through
//! the `png` crate; the PNG is decoded once to check that its image data is whole, and refused
//! over [`MAX_PNG_SIDE`]) or an SVG's root `width`/`height` (or its `viewBox`), and the smallest
//! text an SVG draws (its `font-size`s, through any `scale()` of enclosing groups), so the lesson
//! screen can zoom until that text is readable. This module only measures and checks; it must
//! not keep pixels, render SVG, or panic on a broken file.

use std::path::Path;

/// An image's size in screen pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageSize {
    pub width: u32,
    pub height: u32,
}

/// The image formats a step's `screen` may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Svg,
}

impl ImageFormat {
    /// The format named by a file's extension (case-insensitive), if it is one we accept.
    pub fn from_path(path: &Path) -> Option<ImageFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "png" => Some(ImageFormat::Png),
            "svg" => Some(ImageFormat::Svg),
            _ => None,
        }
    }
}

/// Reads the size of the image at `path`; the error says, in a few words, what is wrong.
pub fn size(path: &Path, format: ImageFormat) -> Result<ImageSize, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the image: {e}"))?;
    match format {
        ImageFormat::Png => png_size(&bytes),
        ImageFormat::Svg => {
            let text = std::str::from_utf8(&bytes).map_err(|_| "the SVG is not UTF-8 text".to_owned())?;
            svg_size(text)
        }
    }
}

/// The largest side a pack's PNG may have, in pixels: screens are phone-sized mock-ups.
pub const MAX_PNG_SIDE: u32 = 4096;

/// The size of a PNG, after decoding it whole: a file cut short or with broken image data
/// would show as nothing on the kiosk, and a huge one would fill its memory when shown.
fn png_size(bytes: &[u8]) -> Result<ImageSize, String> {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().map_err(|e| format!("not a readable PNG ({e})"))?;
    let (width, height) = (reader.info().width, reader.info().height);
    if width > MAX_PNG_SIDE || height > MAX_PNG_SIDE {
        return Err(format!("the PNG is {width}×{height} pixels, larger than {MAX_PNG_SIDE}×{MAX_PNG_SIDE}"));
    }
    let size = reader.output_buffer_size().ok_or_else(|| "the PNG is too large to decode".to_owned())?;
    let mut pixels = vec![0; size];
    reader
        .next_frame(&mut pixels)
        .map_err(|e| format!("not a readable PNG: its image data is broken ({e})"))?;
    Ok(ImageSize { width, height })
}

/// The size of an SVG from its root element: `width` and `height` (plain numbers or `px`),
/// otherwise the last two numbers of `viewBox`.
pub fn svg_size(text: &str) -> Result<ImageSize, String> {
    let start = text.find("<svg").ok_or_else(|| "no <svg> element".to_owned())?;
    let end = text[start..].find('>').ok_or_else(|| "the <svg> element is not closed".to_owned())?;
    let tag = &text[start + 4..start + end];
    let number = |value: &str| -> Option<f64> {
        let value = value.trim().trim_end_matches("px");
        value.parse::<f64>().ok().filter(|v| v.is_finite() && *v > 0.0)
    };
    let width = attribute(tag, "width").and_then(number);
    let height = attribute(tag, "height").and_then(number);
    let (width, height) = match (width, height) {
        (Some(w), Some(h)) => (w, h),
        _ => {
            let view_box = attribute(tag, "viewBox")
                .ok_or_else(|| "the <svg> element has neither width/height nor viewBox".to_owned())?;
            let parts: Vec<f64> =
                view_box.split([' ', ',']).filter(|p| !p.is_empty()).filter_map(|p| p.parse().ok()).collect();
            match parts[..] {
                [_, _, w, h] if w > 0.0 && h > 0.0 => (w, h),
                _ => return Err(format!("viewBox {view_box:?} is not four numbers")),
            }
        }
    };
    if width > f64::from(u32::MAX) || height > f64::from(u32::MAX) {
        return Err("the SVG is too large".to_owned());
    }
    // Sizes are whole screen pixels; a fraction is rounded down.
    Ok(ImageSize { width: width as u32, height: height as u32 })
}

/// The value of attribute `name` in the inside of a tag (`stroke-width` does not count as
/// `width`).
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(found) = tag[from..].find(name) {
        let at = from + found;
        from = at + name.len();
        let before_ok = tag[..at].chars().next_back().is_some_and(char::is_whitespace);
        let rest = tag[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let value = &rest[1..];
        return value.find(quote).map(|end| &value[..end]);
    }
    None
}

/// The smallest text an SVG draws, in its own pixels: each `<text>`'s `font-size` (or the one
/// it inherits from an enclosing `<g>` or `<svg>`, else 16), times the `scale()` of enclosing
/// groups. `None` when it draws no text. A plain scan of the tags: good for the pack's mock
/// screens, not a full SVG reader.
pub fn smallest_text(svg: &str) -> Option<f32> {
    // (font-size, scale) of each open <svg> or <g>.
    let mut open: Vec<(Option<f32>, f32)> = Vec::new();
    let mut smallest: Option<f32> = None;
    let mut rest = svg;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        rest = &rest[end.min(rest.len())..];
        let self_closing = tag.ends_with('/');
        let closing = tag.starts_with('/');
        let name: String =
            tag.trim_start_matches('/').chars().take_while(|c| !c.is_whitespace() && *c != '/').collect();
        let font = attribute(tag, "font-size").and_then(|v| v.trim_end_matches("px").parse::<f32>().ok());
        match name.as_str() {
            "svg" | "g" if closing => {
                open.pop();
            }
            "svg" | "g" if !self_closing => {
                let scale = attribute(tag, "transform").map_or(1.0, scale_of);
                open.push((font, scale));
            }
            "text" if !closing => {
                let inherited = open.iter().rev().find_map(|(f, _)| *f).unwrap_or(16.0);
                let scale: f32 = open.iter().map(|(_, s)| s).product();
                let size = font.unwrap_or(inherited) * scale;
                smallest = Some(smallest.map_or(size, |s: f32| s.min(size)));
            }
            _ => {}
        }
    }
    smallest
}

/// The scale factor of a `transform` (the smaller one of `scale(x y)`), 1 without `scale`.
fn scale_of(transform: &str) -> f32 {
    let Some(at) = transform.find("scale(") else { return 1.0 };
    let inner = transform[at + 6..].split(')').next().unwrap_or("");
    let factors: Vec<f32> =
        inner.split([',', ' ']).filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect();
    factors
        .into_iter()
        .fold(None, |m: Option<f32>, f| Some(m.map_or(f.abs(), |m| m.min(f.abs()))))
        .unwrap_or(1.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_smallest_text_counts_inherited_sizes_and_group_scales() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" font-size="14"><text x="1">a</text>
            <g transform="translate(3,4) scale(0.5)"><text font-size="30">b</text></g>
            <g transform="scale(0.5)"><g font-size="26"><text>d</text></g></g>
            <text font-size="13">c</text><rect width="2" height="2"/></svg>"#;
        assert_eq!(smallest_text(svg), Some(13.0), "a group's scale ends with the group");
        let inside = r#"<svg><g transform="scale(0.5)"><text font-size="20">b</text></g></svg>"#;
        assert_eq!(smallest_text(inside), Some(10.0));
        assert_eq!(smallest_text(r#"<svg><text>x</text></svg>"#), Some(16.0));
        assert_eq!(smallest_text(r#"<svg><rect/></svg>"#), None);
    }

    use super::*;

    #[test]
    fn svg_width_and_height() {
        let svg = r#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" stroke-width="3" width="360" height="640px">"#;
        assert_eq!(svg_size(svg), Ok(ImageSize { width: 360, height: 640 }));
    }

    #[test]
    fn svg_view_box() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 720 1280"></svg>"#;
        assert_eq!(svg_size(svg), Ok(ImageSize { width: 720, height: 1280 }));
    }

    #[test]
    fn svg_without_size_is_an_error_not_a_panic() {
        assert!(svg_size("<svg>").is_err());
        assert!(svg_size("<svg viewBox=\"0 0\">").is_err());
        assert!(svg_size("<svg width=\"100%\" height=\"x\"").is_err());
        assert!(svg_size("hello").is_err());
    }

    #[test]
    fn broken_png_is_an_error() {
        assert!(png_size(b"\x89PNG\r\n\x1a\nxx").is_err());
    }

    /// A `width`×`height` grey PNG.
    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Grayscale);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&vec![0x80; (width * height) as usize]).unwrap();
        writer.finish().unwrap();
        bytes
    }

    #[test]
    fn a_png_is_decoded_whole_and_a_cut_or_broken_one_is_refused() {
        let good = png(40, 30);
        assert_eq!(png_size(&good).unwrap(), ImageSize { width: 40, height: 30 });
        // Cut inside the image data: the header alone is still readable.
        let cut = &good[..good.len() - 20];
        assert!(png_size(cut).unwrap_err().contains("image data is broken"), "{:?}", png_size(cut));
        // Random bytes in place of the image data (the header and its checksum kept).
        let mut noisy = good.clone();
        let data = noisy.windows(4).position(|w| w == b"IDAT").unwrap() + 4;
        for (i, byte) in noisy[data..data + 20].iter_mut().enumerate() {
            *byte = (i as u8).wrapping_mul(97) ^ 0x5A;
        }
        assert!(png_size(&noisy).is_err());
    }

    #[test]
    fn a_png_larger_than_the_limit_is_refused_before_decoding() {
        let wide = png(MAX_PNG_SIDE + 1, 1);
        assert!(png_size(&wide).unwrap_err().contains("4097×1 pixels, larger than 4096×4096"));
    }
}
