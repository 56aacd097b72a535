//! Text in any script as printer dots: shapes one piece of text (HarfRust),
//! reorders it for display (Unicode bidi: Arabic-script runs right to left,
//! numbers and Latin inside them left to right), picks a bundled Noto font per
//! character (Latin/Cyrillic/Greek, Arabic/Persian/Pashto, Ethiopic), wraps
//! it to the paper width and draws each line as a 1-bit [`Bitmap`] for
//! `GS v 0`, cropped to its ink so the slow serial line carries as little as
//! possible. It owns font choice, shaping, bidi, wrapping and thresholding.
//! It must not do I/O and must not decide where a line goes on the ticket: it
//! reports each line's direction and the caller aligns it (`slip.rs`).
//!
//! Every line bitmap starts at its leftmost ink dot, is as wide as its ink
//! rounded up to whole bytes, and has [`INK_MARGIN_ROWS`] white rows above and
//! below the ink (so two raster lines in a row are 6 dots apart, like the
//! printer's own 24 + 6 dot line pitch). Characters no bundled font has are
//! drawn as the font's empty box and reported in [`RasterText::missing`].

use ab_glyph::{Font as _, FontRef as OutlineFont, GlyphId, OutlinedGlyph, PxScale, Rect, point};
use harfrust::{BufferFlags, Direction as ShapingDirection, ShapeOptions, ShaperData, UnicodeBuffer};
use unicode_bidi::{BidiClass, Direction as BidiDirection, Level, ParagraphBidiInfo};

use super::escpos::{Align, Bitmap, DOTS_PER_LINE};

/// Default text size: an em of 24 dots (3 mm), as tall as the printer's font A.
pub const DEFAULT_TEXT_DOTS: u16 = 24;
/// Smallest text size accepted, in dots per em.
pub const MIN_TEXT_DOTS: u16 = 8;
/// Largest text size accepted, in dots per em (the 6× ticket number is 144).
pub const MAX_TEXT_DOTS: u16 = 200;
/// White rows kept above and below the ink of every line bitmap.
pub const INK_MARGIN_ROWS: u16 = 3;
/// Longest text accepted by [`Rasterizer::rasterize`], in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// Coverage above which an anti-aliased dot becomes a printed dot.
const INK_THRESHOLD: f32 = 0.5;

/// The bundled fonts, per weight in fallback order: a character is drawn with
/// the first font that has it (neutral characters such as spaces, digits and
/// punctuation stay with the font of their neighbours).
const REGULAR: [(&str, &[u8]); 3] = [
    ("NotoSans-Regular", include_bytes!("../../fonts/NotoSans-Regular.ttf")),
    ("NotoSansArabic-Regular", include_bytes!("../../fonts/NotoSansArabic-Regular.ttf")),
    ("NotoSansEthiopic-Regular", include_bytes!("../../fonts/NotoSansEthiopic-Regular.ttf")),
];
const BOLD: [(&str, &[u8]); 3] = [
    ("NotoSans-Bold", include_bytes!("../../fonts/NotoSans-Bold.ttf")),
    ("NotoSansArabic-Bold", include_bytes!("../../fonts/NotoSansArabic-Bold.ttf")),
    ("NotoSansEthiopic-Bold", include_bytes!("../../fonts/NotoSansEthiopic-Bold.ttf")),
];
const FACES_PER_WEIGHT: usize = REGULAR.len();

/// Why text could not be rasterised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RasterError {
    #[error("the bundled font {name} cannot be read")]
    Font { name: &'static str },
    #[error("text size {size} dots is outside {MIN_TEXT_DOTS}..={MAX_TEXT_DOTS}")]
    Size { size: u16 },
    #[error("line width {width} dots is outside 8..={DOTS_PER_LINE}")]
    Width { width: u16 },
    #[error("text of {chars} characters is longer than {MAX_TEXT_CHARS}")]
    TooLong { chars: usize },
}

/// How text is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextStyle {
    /// Font size: dots per em (default [`DEFAULT_TEXT_DOTS`]).
    pub size_dots: u16,
    /// Bold fonts instead of regular.
    pub bold: bool,
    /// Lines are wrapped so that their ink fits in this many dots, rounded
    /// down to whole bytes (8..=384, default 384).
    pub max_width_dots: u16,
}

impl Default for TextStyle {
    fn default() -> TextStyle {
        TextStyle { size_dots: DEFAULT_TEXT_DOTS, bold: false, max_width_dots: DOTS_PER_LINE }
    }
}

impl TextStyle {
    /// Regular text of `size_dots` per em, wrapped to the paper width.
    pub fn sized(size_dots: u16) -> TextStyle {
        TextStyle { size_dots, ..TextStyle::default() }
    }

    /// The same style in bold.
    pub fn bold(self) -> TextStyle {
        TextStyle { bold: true, ..self }
    }
}

/// Reading direction of a paragraph (Unicode bidi rules P2–P3: its first
/// strong character; text without one is left to right).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextDirection {
    LeftToRight,
    RightToLeft,
}

/// One printed line of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RasterLine {
    /// The line, cropped to its ink (see the module documentation).
    pub bitmap: Bitmap,
    /// The direction of the paragraph the line belongs to.
    pub direction: TextDirection,
}

impl RasterLine {
    /// Where the line belongs on the ticket: right-to-left lines right, others centred.
    pub fn align(&self) -> Align {
        match self.direction {
            TextDirection::RightToLeft => Align::Right,
            TextDirection::LeftToRight => Align::Center,
        }
    }
}

/// Text drawn as lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RasterText {
    /// The wrapped lines, top to bottom; empty for text without ink.
    pub lines: Vec<RasterLine>,
    /// Characters that could not be drawn (no bundled font has them, or
    /// control characters), each once, in order of appearance.
    pub missing: Vec<char>,
}

/// One bundled font, ready for shaping and drawing.
struct Face {
    outlines: OutlineFont<'static>,
    shaping: harfrust::FontRef<'static>,
    data: ShaperData,
    units_per_em: f32,
    /// ab_glyph's [`PxScale`] for an em of one dot.
    px_scale_per_dot: f32,
}

impl Face {
    fn load(name: &'static str, bytes: &'static [u8]) -> Result<Face, RasterError> {
        let err = || RasterError::Font { name };
        let outlines = OutlineFont::try_from_slice(bytes).map_err(|_| err())?;
        let shaping = harfrust::FontRef::new(bytes).map_err(|_| err())?;
        let units_per_em = outlines.units_per_em().filter(|u| *u > 0.0).ok_or_else(err)?;
        let height = outlines.height_unscaled();
        if height <= 0.0 {
            return Err(err());
        }
        let data = ShaperData::new(&shaping);
        Ok(Face { outlines, shaping, data, units_per_em, px_scale_per_dot: height / units_per_em })
    }

    fn has(&self, c: char) -> bool {
        is_default_ignorable(c) || self.outlines.glyph_id(c).0 != 0
    }
}

/// A glyph placed on a line; `x` is its origin, `y` its baseline offset (down).
struct Placed {
    face: usize,
    glyph: GlyphId,
    x: f32,
    y: f32,
}

/// One line, shaped and placed in visual order.
struct LineLayout {
    glyphs: Vec<Placed>,
    missing: Vec<char>,
    size_dots: u16,
}

/// Shapes and draws text with the bundled fonts. Loading them takes a moment
/// (0.2 ms on a laptop, a few on a Pi): make one per ticket, or keep one,
/// and draw every line with it.
pub struct Rasterizer {
    /// [`REGULAR`] then [`BOLD`].
    faces: Vec<Face>,
}

impl std::fmt::Debug for Rasterizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rasterizer").field("faces", &self.faces.len()).finish()
    }
}

impl Rasterizer {
    /// Loads the bundled fonts.
    pub fn new() -> Result<Rasterizer, RasterError> {
        let faces = REGULAR
            .iter()
            .chain(BOLD.iter())
            .map(|&(name, bytes)| Face::load(name, bytes))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Rasterizer { faces })
    }

    /// Draws `text` as lines: '\n' starts a new paragraph, each paragraph is
    /// word-wrapped to `style.max_width_dots` (a word longer than a line is
    /// split between characters) and takes its direction from its first
    /// strong character. Tabs count as spaces; runs of spaces are collapsed.
    pub fn rasterize(&self, text: &str, style: TextStyle) -> Result<RasterText, RasterError> {
        if !(MIN_TEXT_DOTS..=MAX_TEXT_DOTS).contains(&style.size_dots) {
            return Err(RasterError::Size { size: style.size_dots });
        }
        if !(8..=DOTS_PER_LINE).contains(&style.max_width_dots) {
            return Err(RasterError::Width { width: style.max_width_dots });
        }
        let chars = text.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(RasterError::TooLong { chars });
        }
        let style = TextStyle { max_width_dots: style.max_width_dots / 8 * 8, ..style };
        let mut out = RasterText::default();
        let mut clean = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '\n' => clean.push('\n'),
                '\t' => clean.push(' '),
                c if c.is_control() => note_missing(&mut out.missing, c),
                c => clean.push(c),
            }
        }
        for paragraph in clean.split('\n') {
            let direction = match unicode_bidi::get_base_direction(paragraph) {
                BidiDirection::Rtl => TextDirection::RightToLeft,
                BidiDirection::Ltr | BidiDirection::Mixed => TextDirection::LeftToRight,
            };
            for line in self.wrap(paragraph, direction, style) {
                let layout = self.layout(&line, direction, style);
                for &c in &layout.missing {
                    note_missing(&mut out.missing, c);
                }
                if let Some(bitmap) = self.draw(&layout, direction, style.max_width_dots) {
                    out.lines.push(RasterLine { bitmap, direction });
                }
            }
        }
        Ok(out)
    }

    /// Greedy word wrap on the drawn width of each candidate line.
    fn wrap(&self, paragraph: &str, direction: TextDirection, style: TextStyle) -> Vec<String> {
        let fits = |line: &str| {
            self.ink_bounds(&self.layout(line, direction, style))
                .is_none_or(|b| b.width() <= f32::from(style.max_width_dots))
        };
        let mut lines = Vec::new();
        let mut current = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if current.is_empty() { word.to_owned() } else { format!("{current} {word}") };
            if fits(&candidate) {
                current = candidate;
                continue;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            let mut rest = word;
            while !fits(rest) {
                let cut = longest_fitting_prefix(rest, &fits);
                let (head, tail) = rest.split_at(cut);
                lines.push(head.to_owned());
                rest = tail;
            }
            current = rest.to_owned();
        }
        if !current.is_empty() {
            lines.push(current);
        }
        lines
    }

    /// Shapes one line: bidi runs in visual order, each split where the font changes.
    fn layout(&self, line: &str, direction: TextDirection, style: TextStyle) -> LineLayout {
        let mut out = LineLayout { glyphs: Vec::new(), missing: Vec::new(), size_dots: style.size_dots };
        if line.is_empty() {
            return out;
        }
        let weight = if style.bold { FACES_PER_WEIGHT } else { 0 };
        let faces = &self.faces[weight..weight + FACES_PER_WEIGHT];
        let face_of = choose_faces(line, faces);
        let base = match direction {
            TextDirection::RightToLeft => Level::rtl(),
            TextDirection::LeftToRight => Level::ltr(),
        };
        let bidi = ParagraphBidiInfo::new(line, Some(base));
        let (levels, runs) = bidi.visual_runs(0..line.len());
        let size = f32::from(style.size_dots);
        let mut pen = 0.0f32;
        for run in runs {
            let rtl = levels.get(run.start).is_some_and(|l| l.is_rtl());
            let mut segments = split_by_face(run, &face_of);
            if rtl {
                segments.reverse();
            }
            for (range, face_index) in segments {
                let face = &faces[face_index];
                let segment = &line[range.clone()];
                let mut buffer = UnicodeBuffer::new();
                buffer.push_str(segment);
                buffer.set_direction(if rtl {
                    ShapingDirection::RightToLeft
                } else {
                    ShapingDirection::LeftToRight
                });
                buffer.guess_segment_properties();
                let mut flags = BufferFlags::empty();
                if range.start == 0 {
                    flags |= BufferFlags::BEGINNING_OF_TEXT;
                }
                if range.end == line.len() {
                    flags |= BufferFlags::END_OF_TEXT;
                }
                buffer.set_flags(flags);
                let shaper = face.data.shaper(&face.shaping).build();
                let shaped = shaper.shape(buffer, ShapeOptions::new());
                let scale = size / face.units_per_em;
                for (info, pos) in shaped.glyph_infos().iter().zip(shaped.glyph_positions()) {
                    if info.glyph_id == 0 {
                        let cluster = usize::try_from(info.cluster).unwrap_or(usize::MAX);
                        if let Some(c) = segment.get(cluster..).and_then(|s| s.chars().next())
                            && !is_default_ignorable(c)
                        {
                            note_missing(&mut out.missing, c);
                        }
                    }
                    out.glyphs.push(Placed {
                        face: weight + face_index,
                        glyph: GlyphId(u16::try_from(info.glyph_id).unwrap_or(0)),
                        x: pen + pos.x_offset as f32 * scale,
                        y: -(pos.y_offset as f32) * scale,
                    });
                    pen += pos.x_advance as f32 * scale;
                }
            }
        }
        out
    }

    fn outlines(&self, layout: &LineLayout) -> Vec<OutlinedGlyph> {
        let size = f32::from(layout.size_dots);
        layout
            .glyphs
            .iter()
            .filter_map(|g| {
                let face = self.faces.get(g.face)?;
                let scale = PxScale::from(size * face.px_scale_per_dot);
                face.outlines.outline_glyph(g.glyph.with_scale_and_position(scale, point(g.x, g.y)))
            })
            .collect()
    }

    /// The whole-dot box around all glyph outlines (at least as large as the ink).
    fn ink_bounds(&self, layout: &LineLayout) -> Option<Rect> {
        union(self.outlines(layout).iter().map(OutlinedGlyph::px_bounds))
    }

    /// Draws one line and crops it to its ink; `None` when it has no ink.
    fn draw(&self, layout: &LineLayout, direction: TextDirection, max_width: u16) -> Option<Bitmap> {
        let outlines = self.outlines(layout);
        let bounds = union(outlines.iter().map(OutlinedGlyph::px_bounds))?;
        // Ink further than this from the baseline (a pile of stacked marks)
        // is cut off: it would only waste paper.
        let size = f32::from(layout.size_dots);
        let (top_limit, bottom_limit) = ((-2.5 * size).floor() as i32, (1.5 * size).ceil() as i32);
        let (x0, y0) = (bounds.min.x.floor() as i32, (bounds.min.y.floor() as i32).max(top_limit));
        let w = usize::try_from(bounds.max.x.ceil() as i32 - x0).ok()?.max(1);
        let h = usize::try_from((bounds.max.y.ceil() as i32).min(bottom_limit) - y0).ok()?.max(1);
        // Coverage is summed, not maxed, so that the seams where joined
        // Arabic letters meet stay black.
        let mut coverage = vec![0.0f32; w * h];
        for glyph in &outlines {
            let b = glyph.px_bounds();
            let (ox, oy) = (b.min.x as i32 - x0, b.min.y as i32 - y0);
            glyph.draw(|gx, gy, c| {
                let (x, y) = (ox + gx as i32, oy + gy as i32);
                if let (Ok(x), Ok(y)) = (usize::try_from(x), usize::try_from(y))
                    && x < w
                    && y < h
                {
                    coverage[y * w + x] += c;
                }
            });
        }
        let ink = |x: usize, y: usize| coverage[y * w + x] >= INK_THRESHOLD;
        let rows_with_ink: Vec<usize> = (0..h).filter(|&y| (0..w).any(|x| ink(x, y))).collect();
        let cols_with_ink: Vec<usize> = (0..w).filter(|&x| (0..h).any(|y| ink(x, y))).collect();
        let (&top, &bottom) = (rows_with_ink.first()?, rows_with_ink.last()?);
        let (&(mut left), &(mut right)) = (cols_with_ink.first()?, cols_with_ink.last()?);
        // Only a single character wider than the paper can be too wide: keep
        // the part where reading starts.
        let max_width = usize::from(max_width);
        if right - left + 1 > max_width {
            match direction {
                TextDirection::LeftToRight => right = left + max_width - 1,
                TextDirection::RightToLeft => left = right + 1 - max_width,
            }
        }
        let margin = usize::from(INK_MARGIN_ROWS);
        let width = u16::try_from((right - left + 1).div_ceil(8) * 8).ok()?;
        let height = u16::try_from(bottom - top + 1 + 2 * margin).ok()?;
        let mut bitmap = Bitmap::new(width, height).ok()?;
        for y in top..=bottom {
            for x in left..=right {
                if ink(x, y) {
                    bitmap.set((x - left) as u16, (y - top + margin) as u16, true);
                }
            }
        }
        Some(bitmap)
    }
}

fn union(rects: impl Iterator<Item = Rect>) -> Option<Rect> {
    rects.reduce(|a, b| Rect {
        min: point(a.min.x.min(b.min.x), a.min.y.min(b.min.y)),
        max: point(a.max.x.max(b.max.x), a.max.y.max(b.max.y)),
    })
}

fn note_missing(missing: &mut Vec<char>, c: char) {
    if !missing.contains(&c) {
        missing.push(c);
    }
}

/// Characters that are invisible by definition (joiners, bidi marks, variation
/// selectors, soft hyphen): the shaper hides them, no font needs to have them.
fn is_default_ignorable(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}')
}

/// A face index per byte of `line` (only char starts are meaningful). Strong
/// characters take the first face that has them; neutral ones (spaces, digits,
/// punctuation, marks, joiners) stay with the face before them, else the one
/// after them, when that face has them. A character no face has gets face 0,
/// which draws it as its missing-glyph box.
fn choose_faces(line: &str, faces: &[Face]) -> Vec<usize> {
    let first_with = |c: char| faces.iter().position(|f| f.has(c));
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let strong = |c: char| matches!(unicode_bidi::bidi_class(c), BidiClass::L | BidiClass::R | BidiClass::AL);
    let mut chosen: Vec<Option<usize>> =
        chars.iter().map(|&(_, c)| if strong(c) { Some(first_with(c).unwrap_or(0)) } else { None }).collect();
    // Neutrals, left to right: the previous character's face.
    for i in 0..chars.len() {
        if chosen[i].is_some() {
            continue;
        }
        let c = chars[i].1;
        let before = i.checked_sub(1).and_then(|j| chosen[j]).filter(|&f| faces[f].has(c));
        let after = chosen[i + 1..].iter().flatten().next().copied().filter(|&f| faces[f].has(c));
        chosen[i] = Some(before.or(after).or_else(|| first_with(c)).unwrap_or(0));
    }
    let mut per_byte = vec![0; line.len()];
    for (&(at, c), face) in chars.iter().zip(chosen) {
        let face = face.unwrap_or(0);
        for slot in per_byte.iter_mut().skip(at).take(c.len_utf8()) {
            *slot = face;
        }
    }
    per_byte
}

/// Splits a byte range where the face changes, in logical order.
fn split_by_face(run: std::ops::Range<usize>, face_of: &[usize]) -> Vec<(std::ops::Range<usize>, usize)> {
    let mut out: Vec<(std::ops::Range<usize>, usize)> = Vec::new();
    for at in run {
        let face = face_of.get(at).copied().unwrap_or(0);
        match out.last_mut() {
            Some((range, f)) if *f == face && range.end == at => range.end = at + 1,
            _ => out.push((at..at + 1, face)),
        }
    }
    out
}

/// The byte length of the longest prefix of `word` that `fits`, cut between
/// characters but never before a combining mark or after a joiner; at least
/// one character, so that wrapping always advances.
fn longest_fitting_prefix(word: &str, fits: &impl Fn(&str) -> bool) -> usize {
    let cuts: Vec<usize> = word
        .char_indices()
        .skip(1)
        .filter(|&(at, c)| {
            unicode_bidi::bidi_class(c) != BidiClass::NSM
                && !word[..at].ends_with(['\u{200C}', '\u{200D}'])
                && !is_default_ignorable(c)
        })
        .map(|(at, _)| at)
        .collect();
    // Binary search for the last cut that fits (fitting is monotone enough for wrapping).
    let (mut lo, mut hi) = (0, cuts.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(&word[..cuts[mid - 1]]) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    match lo {
        0 => cuts.first().copied().unwrap_or(word.len()),
        n => cuts[n - 1],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rasterizer() -> Rasterizer {
        Rasterizer::new().expect("bundled fonts load")
    }

    fn draw(text: &str) -> RasterText {
        rasterizer().rasterize(text, TextStyle::default()).expect("rasterises")
    }

    fn ink(bitmap: &Bitmap) -> usize {
        bitmap.packed().iter().map(|b| b.count_ones() as usize).sum()
    }

    fn row_has_ink(bitmap: &Bitmap, y: u16) -> bool {
        (0..bitmap.width()).any(|x| bitmap.is_black(x, y))
    }

    fn byte_column_has_ink(bitmap: &Bitmap, byte: usize) -> bool {
        bitmap.packed().chunks(bitmap.row_bytes()).any(|row| row[byte] != 0)
    }

    /// Cropped: exactly INK_MARGIN_ROWS white rows above and below the ink,
    /// and ink in the first and last byte column.
    fn assert_cropped(bitmap: &Bitmap) {
        let (h, m) = (bitmap.height(), INK_MARGIN_ROWS);
        assert!(h > 2 * m);
        assert!((0..m).all(|y| !row_has_ink(bitmap, y)), "ink in the top margin");
        assert!((h - m..h).all(|y| !row_has_ink(bitmap, y)), "ink in the bottom margin");
        assert!(row_has_ink(bitmap, m), "white row {m} under the top margin");
        assert!(row_has_ink(bitmap, h - m - 1), "white row above the bottom margin");
        assert!(byte_column_has_ink(bitmap, 0), "white first byte column");
        assert!(byte_column_has_ink(bitmap, bitmap.row_bytes() - 1), "white last byte column");
        assert!(bitmap.width() <= DOTS_PER_LINE);
    }

    /// Where `part`, drawn alone, sits best inside `line` (x of its left edge):
    /// reads the order of words off the dots, independently of the layout code.
    fn position_of(line: &Bitmap, part: &Bitmap) -> u16 {
        let mut best = (0, 0);
        for dx in 0..=line.width().saturating_sub(part.width()) {
            for dy in 0..=line.height().saturating_sub(part.height()) + 4 {
                let dy = i32::from(dy) - 2;
                let mut score = 0;
                for y in 0..part.height() {
                    for x in 0..part.width() {
                        let ly = i32::from(y) + dy;
                        if part.is_black(x, y) && ly >= 0 && line.is_black(x + dx, ly as u16) {
                            score += 1;
                        }
                    }
                }
                if score > best.1 {
                    best = (dx, score);
                }
            }
        }
        best.0
    }

    fn only_line(text: &str) -> RasterLine {
        let drawn = draw(text);
        assert_eq!(drawn.lines.len(), 1, "{text}");
        assert!(drawn.missing.is_empty(), "{text}: {:?}", drawn.missing);
        drawn.lines.into_iter().next().expect("one line")
    }

    #[test]
    fn arabic_line_is_right_to_left_right_aligned_and_cropped() {
        let line = only_line("مساعدة في البريد الإلكتروني");
        assert_eq!(line.direction, TextDirection::RightToLeft);
        assert_eq!(line.align(), Align::Right);
        assert!(ink(&line.bitmap) > 500);
        assert!(line.bitmap.width() < 320, "width {}", line.bitmap.width());
        assert_cropped(&line.bitmap);
    }

    #[test]
    fn arabic_words_run_right_to_left_and_numbers_left_to_right() {
        let line = only_line("وقت الانتظار 1234 دقيقة").bitmap;
        let at = |part: &str| position_of(&line, &only_line(part).bitmap);
        // The first word is on the right, the last on the left.
        assert!(at("وقت") > at("الانتظار"));
        assert!(at("الانتظار") > at("1234"));
        assert!(at("1234") > at("دقيقة"));
        // The number itself reads left to right.
        assert!(at("12") < at("34"));
    }

    #[test]
    fn latin_inside_arabic_stays_left_to_right() {
        let line = only_line("البريد e-mail مهم").bitmap;
        let at = |part: &str| position_of(&line, &only_line(part).bitmap);
        assert!(at("البريد") > at("e-mail") && at("e-mail") > at("مهم"));
        assert!(at("e-") < at("il"));
    }

    /// Groups of touching black dots (8-neighbours).
    fn blobs(bitmap: &Bitmap) -> usize {
        let (w, h) = (bitmap.width(), bitmap.height());
        let mut seen = vec![false; usize::from(w) * usize::from(h)];
        let mut count = 0;
        for start in 0..seen.len() {
            let (x, y) = ((start % usize::from(w)) as u16, (start / usize::from(w)) as u16);
            if seen[start] || !bitmap.is_black(x, y) {
                continue;
            }
            count += 1;
            let mut stack = vec![(x, y)];
            seen[start] = true;
            while let Some((x, y)) = stack.pop() {
                for (dx, dy) in [(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)] {
                    let (nx, ny) = (i32::from(x) + dx, i32::from(y) + dy);
                    if nx < 0 || ny < 0 || nx >= i32::from(w) || ny >= i32::from(h) {
                        continue;
                    }
                    let i = ny as usize * usize::from(w) + nx as usize;
                    if !seen[i] && bitmap.is_black(nx as u16, ny as u16) {
                        seen[i] = true;
                        stack.push((nx as u16, ny as u16));
                    }
                }
            }
        }
        count
    }

    #[test]
    fn arabic_letters_are_joined() {
        // Four seens (no dots) joined are one stroke; four isolated ones,
        // what a printer without shaping prints, are four.
        assert_eq!(blobs(&only_line("سسسس").bitmap), 1);
        assert_eq!(blobs(&only_line("س س س س").bitmap), 4);
        // Lam-alef is one ligature, and "بيت" with its dots is 1 stroke + 3 dot groups at most.
        assert_eq!(blobs(&only_line("لا").bitmap), 1);
        assert!(blobs(&only_line("سلام").bitmap) <= 2, "سلام: alef does not join on its left");
    }

    #[test]
    fn persian_and_pashto_letters_have_glyphs() {
        for text in ["کمک با ایمیل", "پ چ ژ گ ی ک ۱۲۳", "د برېښنالیک مرسته", "ټ ډ ړ ږ ښ ګ ڼ ۍ ې", "می‌خواهم"]
        {
            let line = only_line(text);
            assert_eq!(line.direction, TextDirection::RightToLeft, "{text}");
            assert_cropped(&line.bitmap);
        }
    }

    #[test]
    fn tigrinya_renders_with_every_glyph_found() {
        let line = only_line("እንቋዕ ብደሓን መጻእኩም");
        assert_eq!(line.direction, TextDirection::LeftToRight);
        assert_eq!(line.align(), Align::Center);
        assert!(ink(&line.bitmap) > 300);
        assert_cropped(&line.bitmap);
    }

    #[test]
    fn cyrillic_renders_with_every_glyph_found() {
        let line = only_line("Українська");
        assert_eq!(line.direction, TextDirection::LeftToRight);
        assert!(ink(&line.bitmap) > 300);
        assert_cropped(&line.bitmap);
    }

    #[test]
    fn characters_no_font_has_are_reported_once() {
        let drawn = draw("A 漢字 B 漢 \u{1B}");
        assert_eq!(drawn.missing, ['\u{1B}', '漢', '字']);
        assert_eq!(drawn.lines.len(), 1, "the rest is still drawn");
    }

    #[test]
    fn invisible_characters_are_not_missing() {
        // Zero-width non-joiner (Persian), bidi marks, soft hyphen.
        let drawn = draw("می\u{200C}خواهم \u{200F}abc\u{200E} x\u{00AD}y");
        assert!(drawn.missing.is_empty(), "{:?}", drawn.missing);
    }

    #[test]
    fn long_lines_wrap_within_the_paper() {
        let text = "مساعدة في البريد الإلكتروني وفي استخدام الهاتف الذكي والحاسوب والإنترنت والتطبيقات";
        let drawn = draw(text);
        assert!(drawn.lines.len() >= 3, "{} lines", drawn.lines.len());
        for line in &drawn.lines {
            assert_eq!(line.direction, TextDirection::RightToLeft);
            assert_cropped(&line.bitmap);
        }
        // Narrower paper, more lines; every line within it.
        let narrow = rasterizer()
            .rasterize(
                "Допомога з електронною поштою та смартфоном",
                TextStyle { max_width_dots: 160, ..TextStyle::default() },
            )
            .expect("rasterises");
        assert!(narrow.lines.len() >= 3);
        assert!(narrow.lines.iter().all(|l| l.bitmap.width() <= 160));
        // '\n' starts a new paragraph, each with its own direction.
        let two = draw("Hulp\nمساعدة");
        let directions: Vec<_> = two.lines.iter().map(|l| l.direction).collect();
        assert_eq!(directions, [TextDirection::LeftToRight, TextDirection::RightToLeft]);
    }

    #[test]
    fn a_word_longer_than_the_paper_is_split() {
        let drawn = draw(&"ሀ".repeat(60));
        assert!(drawn.lines.len() >= 2);
        assert!(drawn.lines.iter().all(|l| l.bitmap.width() <= DOTS_PER_LINE));
        let url = draw("https://loket.example.org/very/long/path/that/does/not/fit/on/one/line");
        assert!(url.lines.len() >= 2);
    }

    #[test]
    fn bigger_and_bold_text_has_more_ink() {
        let r = rasterizer();
        let small = r.rasterize("Українська", TextStyle::default()).expect("small");
        let big = r.rasterize("Українська", TextStyle::sized(48)).expect("big");
        let bold = r.rasterize("Українська", TextStyle::default().bold()).expect("bold");
        let (s, b) = (&small.lines[0].bitmap, &big.lines[0].bitmap);
        let ink_h = |b: &Bitmap| b.height() - 2 * INK_MARGIN_ROWS;
        assert!((ink_h(s) * 2).abs_diff(ink_h(b)) <= 2, "{} vs {}", ink_h(s), ink_h(b));
        assert!(ink(&bold.lines[0].bitmap) > ink(s) * 5 / 4);
    }

    #[test]
    fn text_without_ink_gives_no_lines() {
        assert_eq!(draw("   \n "), RasterText::default());
        assert_eq!(draw(""), RasterText::default());
    }

    #[test]
    fn bad_sizes_and_huge_texts_are_errors_not_panics() {
        let r = rasterizer();
        assert_eq!(r.rasterize("a", TextStyle::sized(0)), Err(RasterError::Size { size: 0 }));
        assert_eq!(r.rasterize("a", TextStyle::sized(1000)), Err(RasterError::Size { size: 1000 }));
        let too_wide = TextStyle { max_width_dots: 400, ..TextStyle::default() };
        assert_eq!(r.rasterize("a", too_wide), Err(RasterError::Width { width: 400 }));
        let long = "a".repeat(MAX_TEXT_CHARS + 1);
        assert!(matches!(r.rasterize(&long, TextStyle::default()), Err(RasterError::TooLong { .. })));
        // The biggest size, a character wider than a narrow line: clipped, not a panic.
        let clipped = r
            .rasterize("Ш", TextStyle { size_dots: MAX_TEXT_DOTS, bold: true, max_width_dots: 64 })
            .expect("clipped");
        assert!(clipped.lines.iter().all(|l| l.bitmap.width() <= 64));
        // Odd input: combining marks alone, mixed scripts, emoji, unpaired bidi controls.
        let marks = format!("a{}", "\u{0301}".repeat(MAX_TEXT_CHARS - 1));
        for odd in ["\u{0301}\u{0651}", "a\u{202E}b\u{202B}ج", "😀 ✓", "ﷺ", "\u{FFFF}", "ሀ\u{0308}", &marks]
        {
            let drawn = r.rasterize(odd, TextStyle::default()).expect("no error");
            assert!(drawn.lines.iter().all(|l| l.bitmap.width() <= DOTS_PER_LINE));
            // At most 4 em of ink (+ margins), even for a pile of 1,999 accents.
            assert!(drawn.lines.iter().all(|l| l.bitmap.height() <= 4 * 24 + 2 * INK_MARGIN_ROWS));
        }
        // A width that is not whole bytes is rounded down.
        let odd_width = TextStyle { max_width_dots: 100, ..TextStyle::default() };
        let drawn = r.rasterize("Допомога з електронною поштою", odd_width).expect("rasterises");
        assert!(drawn.lines.iter().all(|l| l.bitmap.width() <= 96));
    }
}
