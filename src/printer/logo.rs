//! The help point's logo for the top of the ticket: a PNG file turned into a 1-bit image the
//! printer can print (dark pixels black, transparent and light ones white).
//!
//! It owns reading and converting the file; it must not scale or dither artwork — make the
//! PNG at most 384 pixels wide (one pixel per printer dot), black on white, for a crisp print.

use std::path::{Path, PathBuf};

use super::escpos::{Bitmap, DOTS_PER_LINE};

/// The tallest logo accepted, in dots (about 25 mm of paper).
pub const MAX_LOGO_HEIGHT: u32 = 200;

/// Why a logo cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LogoError {
    #[error("cannot read the logo {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the logo {} is not a PNG image this printer can use: {reason}", path.display())]
    Format { path: PathBuf, reason: String },
    #[error(
        "the logo {} is {width}×{height} pixels: it must be at most {DOTS_PER_LINE} wide and {MAX_LOGO_HEIGHT} high (one pixel per printer dot)",
        path.display()
    )]
    TooBig { path: PathBuf, width: u32, height: u32 },
}

/// Reads a PNG logo and turns it into a printable image.
pub fn load_logo(path: &Path) -> Result<Bitmap, LogoError> {
    let bytes = std::fs::read(path).map_err(|source| LogoError::Read { path: path.to_owned(), source })?;
    logo_from_png(&bytes).map_err(|e| match e {
        Problem::Format(reason) => LogoError::Format { path: path.to_owned(), reason },
        Problem::TooBig(width, height) => LogoError::TooBig { path: path.to_owned(), width, height },
    })
}

enum Problem {
    Format(String),
    TooBig(u32, u32),
}

fn logo_from_png(bytes: &[u8]) -> Result<Bitmap, Problem> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|e| Problem::Format(e.to_string()))?;
    let (width, height) = (reader.info().width, reader.info().height);
    if width > u32::from(DOTS_PER_LINE) || height > MAX_LOGO_HEIGHT || width == 0 || height == 0 {
        return Err(Problem::TooBig(width, height));
    }
    let mut pixels = vec![0; reader.output_buffer_size().ok_or(Problem::TooBig(width, height))?];
    let frame = reader.next_frame(&mut pixels).map_err(|e| Problem::Format(e.to_string()))?;
    let channels = frame.color_type.samples();
    let padded = u16::try_from(width.div_ceil(8) * 8).map_err(|_| Problem::TooBig(width, height))?;
    let mut bitmap = Bitmap::new(padded, height as u16).map_err(|e| Problem::Format(e.to_string()))?;
    for y in 0..height as usize {
        for x in 0..width as usize {
            let px = &pixels[y * frame.line_size + x * channels..][..channels];
            // Luminance over white: transparent is white.
            let (lum, alpha) = match channels {
                1 => (f32::from(px[0]), 255.0),
                2 => (f32::from(px[0]), f32::from(px[1])),
                3 => (0.299 * f32::from(px[0]) + 0.587 * f32::from(px[1]) + 0.114 * f32::from(px[2]), 255.0),
                _ => (
                    0.299 * f32::from(px[0]) + 0.587 * f32::from(px[1]) + 0.114 * f32::from(px[2]),
                    f32::from(px[3]),
                ),
            };
            let over_white = lum * alpha / 255.0 + 255.0 * (1.0 - alpha / 255.0);
            bitmap.set(x as u16, y as u16, over_white < 128.0);
        }
    }
    Ok(bitmap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32, color: png::ColorType, pixel: impl Fn(u32, u32) -> Vec<u8>) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(color);
        encoder.set_depth(png::BitDepth::Eight);
        let mut data = Vec::new();
        for y in 0..height {
            for x in 0..width {
                data.extend(pixel(x, y));
            }
        }
        encoder.write_header().unwrap().write_image_data(&data).unwrap();
        out
    }

    #[test]
    fn dark_pixels_print_and_light_or_transparent_ones_do_not() {
        // Left half black, right half transparent black (RGBA), 20×3.
        let bytes = png(20, 3, png::ColorType::Rgba, |x, _| vec![0, 0, 0, if x < 10 { 255 } else { 0 }]);
        let Ok(logo) = logo_from_png(&bytes) else { panic!("decodes") };
        assert_eq!((logo.width(), logo.height()), (24, 3), "padded to whole bytes");
        assert!(logo.is_black(0, 0) && logo.is_black(9, 2));
        assert!(!logo.is_black(10, 0) && !logo.is_black(23, 2));
        let grey = png(8, 1, png::ColorType::Grayscale, |x, _| vec![if x < 4 { 40 } else { 200 }]);
        let Ok(logo) = logo_from_png(&grey) else { panic!("decodes") };
        assert!(logo.is_black(3, 0) && !logo.is_black(4, 0));
    }

    #[test]
    fn a_logo_wider_than_the_paper_or_not_a_png_is_refused_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let wide = dir.path().join("wide.png");
        std::fs::write(&wide, png(400, 10, png::ColorType::Grayscale, |_, _| vec![0])).unwrap();
        let err = load_logo(&wide).unwrap_err().to_string();
        assert!(err.contains("wide.png") && err.contains("400×10") && err.contains("384"), "{err}");
        let text = dir.path().join("logo.png");
        std::fs::write(&text, "not a png").unwrap();
        assert!(load_logo(&text).unwrap_err().to_string().contains("not a PNG"));
        assert!(load_logo(&dir.path().join("none.png")).unwrap_err().to_string().contains("none.png"));
    }
}
