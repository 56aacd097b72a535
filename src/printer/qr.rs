//! QR codes as printer dots: turns a short text (the ticket's URL) into a
//! 1-bit [`Bitmap`] for `GS v 0`, with medium error correction (level M, 15 %
//! of the code may be damaged), square modules of a chosen number of dots and
//! a chosen white quiet zone around it. It owns the module → dot mapping. It
//! must not do I/O and must not decide whether a ticket has a QR code or where
//! it goes (`slip.rs`); the printer's own QR command (`GS ( k`) lives in
//! `escpos.rs`, since many CSN-A2 units lack it.
//!
//! Sizes: a 40-character URL needs version 3 (29 × 29 modules); at the default
//! 4 dots a module (0.5 mm, fine for phone cameras) that is 116 dots square,
//! 15 bytes a row without quiet zone. Data a QR code cannot hold, or a code
//! wider than the paper, is an error, never a panic.

use qrcode::{Color, EcLevel, QrCode};

use super::escpos::{Bitmap, DOTS_PER_LINE};

/// Default module size: 4 dots (0.5 mm at 203 dpi).
pub const DEFAULT_MODULE_DOTS: u8 = 4;
/// Default quiet zone: the 4 white modules the QR standard asks for.
pub const DEFAULT_QUIET_ZONE_MODULES: u8 = 4;

/// How a QR code is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QrOptions {
    /// Dots per module, each way (1..).
    pub module_dots: u8,
    /// White modules around the code on every side. 0 is fine when the paper
    /// around the code is white anyway (a centred code, white feed above and below).
    pub quiet_zone_modules: u8,
}

impl Default for QrOptions {
    fn default() -> QrOptions {
        QrOptions { module_dots: DEFAULT_MODULE_DOTS, quiet_zone_modules: DEFAULT_QUIET_ZONE_MODULES }
    }
}

/// Why a QR code cannot be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("there is nothing to put in the QR code")]
    Empty,
    #[error("{bytes} bytes are too many for a QR code with medium error correction")]
    TooLong { bytes: usize },
    #[error("the QR code cannot be encoded: {reason}")]
    Encode { reason: String },
    #[error("a module size of 0 dots draws nothing")]
    ZeroModule,
    #[error(
        "the QR code ({modules} modules with quiet zone, {module_dots} dots each) is wider than \
         the paper ({DOTS_PER_LINE} dots): use a shorter text or smaller modules"
    )]
    TooWide { modules: usize, module_dots: u8 },
}

/// Draws `data` as a QR code (model 2, level M, smallest version that holds
/// it). The bitmap is square apart from up to 7 white columns on the right
/// that round its width up to whole bytes.
pub fn qr_bitmap(data: &str, options: QrOptions) -> Result<Bitmap, QrError> {
    if data.is_empty() {
        return Err(QrError::Empty);
    }
    if options.module_dots == 0 {
        return Err(QrError::ZeroModule);
    }
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).map_err(|e| match e {
        qrcode::types::QrError::DataTooLong => QrError::TooLong { bytes: data.len() },
        other => QrError::Encode { reason: other.to_string() },
    })?;
    let modules = code.width();
    let quiet = usize::from(options.quiet_zone_modules);
    let module = usize::from(options.module_dots);
    let total_modules = modules + 2 * quiet;
    let too_wide = QrError::TooWide { modules: total_modules, module_dots: options.module_dots };
    let side = total_modules * module;
    if side > usize::from(DOTS_PER_LINE) {
        return Err(too_wide);
    }
    let width = u16::try_from(side.div_ceil(8) * 8).map_err(|_| too_wide.clone())?;
    let height = u16::try_from(side).map_err(|_| too_wide.clone())?;
    let mut bitmap = Bitmap::new(width, height).map_err(|_| too_wide)?;
    let colors = code.to_colors();
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules, i / modules);
        let (x0, y0) = ((mx + quiet) * module, (my + quiet) * module);
        for y in y0..y0 + module {
            for x in x0..x0 + module {
                // Both fit in u16: they are below `side` <= 384.
                bitmap.set(x as u16, y as u16, true);
            }
        }
    }
    Ok(bitmap)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a bitmap back with `rqrr`, an independent decoder: scaled up 2×
    /// and framed in white, as a camera would see the printed code.
    fn decode(bitmap: &Bitmap, frame: usize) -> Result<String, String> {
        let scale = 2;
        let w = (usize::from(bitmap.width()) + 2 * frame) * scale;
        let h = (usize::from(bitmap.height()) + 2 * frame) * scale;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            let (bx, by) = ((x / scale).checked_sub(frame), (y / scale).checked_sub(frame));
            match (bx, by) {
                (Some(bx), Some(by)) if bitmap.is_black(bx as u16, by as u16) => 0,
                _ => 255,
            }
        });
        let grids = image.detect_grids();
        let grid = grids.first().ok_or("no QR code found")?;
        grid.decode().map(|(_, text)| text).map_err(|e| e.to_string())
    }

    const URL: &str = "https://loket.example.org/t/2026-11-29/E-017";

    #[test]
    fn url_decodes_back_from_the_bitmap() {
        let bitmap = qr_bitmap(URL, QrOptions::default()).expect("encodes");
        assert_eq!(decode(&bitmap, 0).as_deref(), Ok(URL));
    }

    #[test]
    fn without_quiet_zone_it_decodes_on_white_paper() {
        let bitmap =
            qr_bitmap(URL, QrOptions { quiet_zone_modules: 0, ..QrOptions::default() }).expect("encodes");
        assert_eq!(decode(&bitmap, 16).as_deref(), Ok(URL));
        // ...and the edges are dark: no quiet zone was added.
        assert!(bitmap.is_black(0, 0) && bitmap.is_black(0, bitmap.height() - 1));
    }

    #[test]
    fn a_damaged_code_is_not_decoded_so_the_decoder_really_checks() {
        let mut bitmap = qr_bitmap(URL, QrOptions::default()).expect("encodes");
        // Wipe the top-left finder pattern.
        for y in 16..16 + 7 * 4 {
            for x in 16..16 + 7 * 4 {
                bitmap.set(x, y, false);
            }
        }
        assert!(decode(&bitmap, 0).is_err());
    }

    #[test]
    fn size_follows_modules_quiet_zone_and_level_m() {
        // 44 bytes fit version 3 (29 modules) at level M: the encoder packs
        // the digits of the date as numbers.
        let bitmap = qr_bitmap(URL, QrOptions::default()).expect("encodes");
        assert_eq!(bitmap.height(), (29 + 8) * 4);
        assert_eq!(bitmap.width(), 152); // 148 rounded up to whole bytes
        // Module size 1, no quiet zone: exactly the module grid.
        let small = qr_bitmap(URL, QrOptions { module_dots: 1, quiet_zone_modules: 0 }).expect("encodes");
        assert_eq!((small.width(), small.height()), (32, 29));
        // Level M, not L: 200 letters need version 10 (57 modules) at M, 9 at L.
        let letters = "x".repeat(200);
        let m = qr_bitmap(&letters, QrOptions { module_dots: 1, quiet_zone_modules: 0 }).expect("encodes");
        assert_eq!(m.height(), 57);
        // The quiet zone is white, the finder pattern's corner black.
        assert!(!bitmap.is_black(15, 15) && bitmap.is_black(16, 16));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert_eq!(qr_bitmap("", QrOptions::default()), Err(QrError::Empty));
        assert_eq!(
            qr_bitmap(URL, QrOptions { module_dots: 0, ..QrOptions::default() }),
            Err(QrError::ZeroModule)
        );
        let long = "x".repeat(3_000);
        assert_eq!(qr_bitmap(&long, QrOptions::default()), Err(QrError::TooLong { bytes: 3_000 }));
        // Fits in a QR code (version 23), but not on 58 mm paper at 4 dots a module.
        let wide = "x".repeat(800);
        assert!(matches!(qr_bitmap(&wide, QrOptions::default()), Err(QrError::TooWide { .. })));
        assert!(matches!(
            qr_bitmap(URL, QrOptions { module_dots: 255, quiet_zone_modules: 255 }),
            Err(QrError::TooWide { .. })
        ));
    }
}
