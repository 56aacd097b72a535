//! The size of a mock screen or screenshot, read from the file itself: a PNG's header (through
//! the `png` crate) or an SVG's root `width`/`height` (or its `viewBox`), and the smallest text
//! an SVG draws (its `font-size`s, through any `scale()` of enclosing groups), so the lesson
//! screen can zoom until that text is readable. This module only measures; it must not decode
//! pixels, render SVG, or panic on a broken file.

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

fn png_size(bytes: &[u8]) -> Result<ImageSize, String> {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let reader = decoder.read_info().map_err(|e| format!("not a readable PNG ({e})"))?;
    let info = reader.info();
    Ok(ImageSize { width: info.width, height: info.height })
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
}
