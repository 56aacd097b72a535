//! Pacing model of the thermal printer: how long the 58 mm CSN-A2-class printer needs for the
//! bytes of a job, and when each part of the job may be sent so that its small receive buffer
//! never overruns. It owns the timing model ([`PrinterModel`]), the reading of the ESC/POS
//! commands the encoder emits ([`commands`]) and the send plan ([`plan`]). Everything here is
//! pure: time is an input and an output, never read from a clock; it must not do I/O, sleep,
//! or change the bytes of a job (the transport in `serial.rs` does the writing and waiting).
//!
//! Hardware notes (see `shared/anchors/thermal-printer.md` §1.1–1.5, §4):
//! * The printer has no flow control unless its busy/DTR line is wired. Bytes that arrive
//!   faster than it prints fill its receive buffer (about 256 bytes, Adafruit: "assuming 256
//!   byte printer buffer"); past that, images come out garbled and commands are skipped.
//! * The wire carries 8N1 frames, 10 bit times a byte, so 19200 Bd is 1920 bytes/s. Adafruit
//!   budgets 11 bits because its pacing adds wire and print time one after the other; here
//!   the buffer is modelled, and the *shortest* possible byte time is the safe one (a byte that
//!   arrives earlier than planned is what overruns a buffer).
//! * Print speed follows Adafruit's conservative model: 30 ms per printed dot row, 2.1 ms per
//!   fed dot row, a text line is 24 dots (× the `GS !` height) printed + 6 dots of spacing
//!   fed. 30 ms a row is 4.2 mm/s; the mechanism is probably much faster (siblings list
//!   90 mm/s), so [`PrinterModel::dot_print_time`] is the knob to tune on the real unit.
//!
//! The model: the printer takes bytes out of its buffer as they arrive, except while its
//! mechanism is busy with the previous print operation (a text line at LF or wrap, one raster
//! row, a feed, a cut, a QR code). The planner sends every byte as early as the wire and that
//! buffer allow, in chunks of at least [`PrinterModel::min_chunk_bytes`], and says how long to
//! wait before each chunk.

use std::ops::Range;
use std::time::Duration;

const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;
const DC2: u8 = 0x12;
const LF: u8 = 0x0A;

/// Bits on the wire for one byte with 8N1 framing: start + 8 data + stop.
pub const BITS_PER_BYTE_8N1: u32 = 10;

/// Everything the pacing needs to know about the printer and its link. The defaults are the
/// CSN-A2 as Adafruit's library models it (see each field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterModel {
    /// Line speed. Default 19200: "19200 Bd on most units, 9600 on some" (anchor §0, Adafruit
    /// `BAUDRATE`); check the self-test page.
    pub baud: u32,
    /// Bit times a byte takes on the wire. Default 10 (8N1, anchor §4).
    pub bits_per_byte: u32,
    /// Time to print one dot row. Default 30 ms (Adafruit `begin()`: `dotPrintTime = 30000` µs,
    /// anchor §1.1).
    pub dot_print_time: Duration,
    /// Time to feed one blank dot row. Default 2.1 ms (Adafruit `dotFeedTime = 2100` µs).
    pub dot_feed_time: Duration,
    /// Height of a font-A character in dots. Default 24 (Adafruit `charHeight`).
    pub char_height: u16,
    /// Dots fed between text lines. Default 6 (Adafruit `lineSpacing`; `ESC 2` pitch 30).
    pub line_spacing: u16,
    /// Dots on one printed line. Default 384 (58 mm paper at 8 dots/mm).
    pub dots_per_line: u16,
    /// Width of a font-A character in dots. Default 12 (32 columns).
    pub char_width: u16,
    /// Receive buffer of the printer in bytes. Default 256 (Adafruit `printBitmap`:
    /// "Est. max rows to write at once, assuming 256 byte printer buffer").
    pub buffer_bytes: usize,
    /// Bytes of that buffer the plan keeps free, against rounding and timing jitter (a plan
    /// that fills the buffer to the last byte overruns when a byte is a nanosecond early).
    /// Default 16 (ours).
    pub headroom_bytes: usize,
    /// Smallest chunk worth a wait: the planner waits until at least this many bytes fit.
    /// Default 32 (ours: fewer, longer sleeps; costs nothing while the printer is the bottleneck).
    pub min_chunk_bytes: usize,
    /// Time a cut takes (`GS V`), on top of its feed. Default 1 s: no source, a guess on the
    /// safe side; the CSN-A2 has a tear bar and no cutter.
    pub cut_time: Duration,
    /// QR module size in dots until `GS ( k` function 67 says otherwise. Default 3 (CSN-A2L
    /// manual p. 43, anchor §1.6).
    pub qr_module_dots: u8,
}

impl Default for PrinterModel {
    fn default() -> PrinterModel {
        PrinterModel {
            baud: 19_200,
            bits_per_byte: BITS_PER_BYTE_8N1,
            dot_print_time: Duration::from_millis(30),
            dot_feed_time: Duration::from_micros(2_100),
            char_height: 24,
            line_spacing: 6,
            dots_per_line: 384,
            char_width: 12,
            buffer_bytes: 256,
            headroom_bytes: 16,
            min_chunk_bytes: 32,
            cut_time: Duration::from_secs(1),
            qr_module_dots: 3,
        }
    }
}

impl PrinterModel {
    /// The default model at another line speed.
    pub fn at_baud(baud: u32) -> PrinterModel {
        PrinterModel { baud, ..PrinterModel::default() }
    }

    /// Time `bytes` take on the wire.
    pub fn wire_time_of(&self, bytes: usize) -> Duration {
        Duration::from_nanos(self.wire_nanos(bytes))
    }

    /// Bytes the wire carries per second.
    pub fn bytes_per_second(&self) -> u32 {
        self.baud / self.bits_per_byte.max(1)
    }

    /// Nanoseconds for `bytes` on the wire, rounded down (a byte that arrives earlier is the
    /// safe assumption for the buffer).
    fn wire_nanos(&self, bytes: usize) -> u64 {
        let bits = (bytes as u128) * u128::from(self.bits_per_byte.max(1));
        let nanos = bits * 1_000_000_000 / u128::from(self.baud.max(1));
        u64::try_from(nanos).unwrap_or(u64::MAX)
    }

    /// Bytes the plan lets into the printer's buffer.
    fn buffer(&self) -> usize {
        self.buffer_bytes.saturating_sub(self.headroom_bytes).max(1)
    }

    fn min_chunk(&self) -> usize {
        self.min_chunk_bytes.clamp(1, self.buffer())
    }

    fn rows(&self, rows: u64, per_row: Duration) -> u64 {
        rows.saturating_mul(nanos(per_row))
    }

    fn columns(&self, width_mul: u8) -> u32 {
        let char_w = u32::from(self.char_width.max(1)) * u32::from(width_mul.max(1));
        (u32::from(self.dots_per_line) / char_w).max(1)
    }
}

/// Time `bytes` take on the wire at `baud` with 8N1 framing: the floor no pacing can beat.
pub fn wire_time(bytes: &[u8], baud: u32) -> Duration {
    PrinterModel { baud, bits_per_byte: BITS_PER_BYTE_8N1, ..PrinterModel::default() }
        .wire_time_of(bytes.len())
}

/// Time from the first chunk to the last byte reaching the printer when `bytes` are sent as
/// [`plan`] says: what a paced sender spends on the job.
pub fn paced_time(bytes: &[u8], model: &PrinterModel) -> Duration {
    plan(bytes, model).wire_done
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// One command (or one byte of text) of an ESC/POS stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Where it is in the stream, parameters and data included.
    pub range: Range<usize>,
    pub kind: CommandKind,
}

/// What a command does, as far as timing (and the transport) care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandKind {
    /// `ESC @`: resets size, spacing, alignment, code page.
    Init,
    /// A setting without timing effect: `ESC t`, `ESC a`, `ESC E`, `ESC 7`, `ESC 8`, `DC2 #`,
    /// `GS a` (the byte names the command: b't', b'a', …).
    Setting { command: [u8; 2] },
    /// `GS !` (`n` = width−1 << 4 | height−1).
    CharSize { width: u8, height: u8 },
    /// `ESC ! n` print mode: bit 4 double height, bit 5 double width.
    PrintMode { width: u8, height: u8 },
    /// `ESC 3 n` (`Some(n)`: line pitch n dots) or `ESC 2` (`None`: default pitch).
    LinePitch(Option<u8>),
    /// A printable byte (or a byte the printer would print as a character).
    Text,
    /// `LF`: prints the line (or feeds one when empty).
    LineFeed,
    /// `ESC d n`: prints the line, then feeds `n` lines.
    FeedLines(u8),
    /// `ESC J n`: prints the line, then feeds `n` dots.
    FeedDots(u8),
    /// `GS V m` / `GS V m n`: feeds `feed_dots`, then cuts.
    Cut { feed_dots: u8 },
    /// `GS v 0 m xL xH yL yH d…` (or `DC2 * r n d…` with `height_mul` 1): a raster image of
    /// `width_bytes` × `rows`; `data` is where its rows are (shorter when the stream is cut).
    Raster { width_bytes: u16, rows: u16, height_mul: u8, data: Range<usize> },
    /// `GS ( k pL pH cn fn …`: a 2D-code function; `params` excludes cn and fn.
    Code2d { cn: u8, function: u8, params: Range<usize> },
    /// `ESC v n` / `GS r n`: a status query; the printer answers one byte.
    StatusQuery,
    /// A command whose parameters are missing at the end of the stream.
    Truncated,
}

/// Reads `bytes` as ESC/POS. Never fails and never panics: what it does not know is text,
/// as a printer would print it.
pub fn commands(bytes: &[u8]) -> Vec<Command> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let (len, kind) = command_at(bytes, i);
        let end = (i + len.max(1)).min(bytes.len());
        out.push(Command { range: i..end, kind });
        i = end;
    }
    out
}

/// Length and kind of the command at `i`.
fn command_at(b: &[u8], i: usize) -> (usize, CommandKind) {
    let rest = &b[i..];
    let param = |k: usize| rest.get(k).copied();
    let fixed = |len: usize, kind: CommandKind| {
        if rest.len() < len { (rest.len(), CommandKind::Truncated) } else { (len, kind) }
    };
    match rest[0] {
        LF => (1, CommandKind::LineFeed),
        ESC => match param(1) {
            None => (1, CommandKind::Truncated),
            Some(b'@') => (2, CommandKind::Init),
            Some(b'2') => (2, CommandKind::LinePitch(None)),
            Some(c @ (b't' | b'a' | b'E' | b'-' | b'=' | b'R')) => {
                fixed(3, CommandKind::Setting { command: [ESC, c] })
            }
            Some(b'!') => {
                let n = param(2).unwrap_or(0);
                let kind = CommandKind::PrintMode { width: 1 + (n >> 5 & 1), height: 1 + (n >> 4 & 1) };
                fixed(3, kind)
            }
            Some(b'3') => fixed(3, CommandKind::LinePitch(param(2))),
            Some(b'd') => fixed(3, CommandKind::FeedLines(param(2).unwrap_or(0))),
            Some(b'J') => fixed(3, CommandKind::FeedDots(param(2).unwrap_or(0))),
            Some(b'v') => fixed(3, CommandKind::StatusQuery),
            Some(b'7') => fixed(5, CommandKind::Setting { command: [ESC, b'7'] }),
            // Firmware ≥ 2.64 takes ESC 8 nL nH (anchor §1.5).
            Some(b'8') => fixed(4, CommandKind::Setting { command: [ESC, b'8'] }),
            // Unknown: the printer prints the following byte as a character.
            Some(_) => (1, CommandKind::Text),
        },
        GS => match param(1) {
            None => (1, CommandKind::Truncated),
            Some(b'!') => {
                let n = param(2).unwrap_or(0);
                fixed(3, CommandKind::CharSize { width: (n >> 4 & 0x07) + 1, height: (n & 0x07) + 1 })
            }
            Some(c @ (b'a' | b'B')) => fixed(3, CommandKind::Setting { command: [GS, c] }),
            Some(b'r') => fixed(3, CommandKind::StatusQuery),
            Some(b'V') => match param(2) {
                None => (rest.len(), CommandKind::Truncated),
                Some(65 | 66) => fixed(4, CommandKind::Cut { feed_dots: param(3).unwrap_or(0) }),
                Some(_) => (3, CommandKind::Cut { feed_dots: 0 }),
            },
            Some(b'v') if param(2) == Some(b'0') => {
                if rest.len() < 8 {
                    return (rest.len(), CommandKind::Truncated);
                }
                let m = rest[3];
                let width_bytes = u16::from_le_bytes([rest[4], rest[5]]);
                let rows = u16::from_le_bytes([rest[6], rest[7]]);
                let height_mul = if m & 0x02 != 0 { 2 } else { 1 };
                raster(rest, i, 8, width_bytes, rows, height_mul)
            }
            Some(b'(') if param(2) == Some(b'k') => {
                if rest.len() < 7 {
                    return (rest.len(), CommandKind::Truncated);
                }
                let k = usize::from(u16::from_le_bytes([rest[3], rest[4]]));
                let len = 5 + k;
                if rest.len() < len || k < 2 {
                    return (rest.len().min(len.max(5)), CommandKind::Truncated);
                }
                let kind = CommandKind::Code2d { cn: rest[5], function: rest[6], params: i + 7..i + len };
                (len, kind)
            }
            Some(_) => (1, CommandKind::Text),
        },
        DC2 => match param(1) {
            None => (1, CommandKind::Truncated),
            Some(b'#') => fixed(3, CommandKind::Setting { command: [DC2, b'#'] }),
            Some(b'*') => {
                if rest.len() < 4 {
                    return (rest.len(), CommandKind::Truncated);
                }
                raster(rest, i, 4, u16::from(rest[3]), u16::from(rest[2]), 1)
            }
            Some(_) => (1, CommandKind::Text),
        },
        _ => (1, CommandKind::Text),
    }
}

fn raster(
    rest: &[u8],
    i: usize,
    header: usize,
    width_bytes: u16,
    rows: u16,
    height_mul: u8,
) -> (usize, CommandKind) {
    let data_len = usize::from(width_bytes) * usize::from(rows);
    let len = (header + data_len).min(rest.len());
    let data = i + header..i + len;
    (len, CommandKind::Raster { width_bytes, rows, height_mul, data })
}

/// A stretch of the stream after whose last byte the mechanism is busy for `busy_nanos`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Op {
    /// One past the last byte of the operation.
    end: usize,
    busy_nanos: u64,
}

/// Turns the stream into print operations (what keeps the mechanism busy, and after which byte).
fn operations(bytes: &[u8], model: &PrinterModel) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut state = LineState::new(model);
    let mut push = |end: usize, busy: u64| ops.push(Op { end, busy_nanos: busy });
    for command in commands(bytes) {
        let Range { start, end } = command.range;
        match command.kind {
            CommandKind::Init => state = LineState::new(model),
            CommandKind::Setting { .. } | CommandKind::StatusQuery | CommandKind::Truncated => {}
            CommandKind::CharSize { width, height } | CommandKind::PrintMode { width, height } => {
                state.width = width;
                state.height = height;
            }
            CommandKind::LinePitch(pitch) => {
                state.spacing = match pitch {
                    Some(n) => u16::from(n).saturating_sub(model.char_height),
                    None => model.line_spacing,
                }
            }
            CommandKind::Text => {
                let columns = model.columns(state.width);
                if state.column + 1 > columns {
                    // The byte does not fit: the printer prints the full line first.
                    push(start, state.line_nanos(model));
                    state.new_line();
                }
                state.column += 1;
                state.tallest = state.tallest.max(state.height);
            }
            CommandKind::LineFeed => {
                push(end, state.line_nanos(model));
                state.new_line();
            }
            CommandKind::FeedLines(n) => {
                let line = u64::from(model.char_height) * u64::from(state.height) + u64::from(state.spacing);
                let feed = model.rows(line * u64::from(n), model.dot_feed_time);
                push(end, state.flush_nanos(model).saturating_add(feed));
            }
            CommandKind::FeedDots(n) => {
                let feed = model.rows(u64::from(n), model.dot_feed_time);
                push(end, state.flush_nanos(model).saturating_add(feed));
            }
            CommandKind::Cut { feed_dots } => {
                let feed = model.rows(u64::from(feed_dots), model.dot_feed_time);
                push(
                    end,
                    state.flush_nanos(model).saturating_add(feed).saturating_add(nanos(model.cut_time)),
                );
            }
            CommandKind::Raster { width_bytes, rows: _, height_mul, data } => {
                let flush = state.flush_nanos(model);
                if flush > 0 {
                    push(start, flush);
                }
                let row_nanos = model.rows(u64::from(height_mul), model.dot_print_time);
                let width = usize::from(width_bytes);
                if width == 0 {
                    continue;
                }
                // Each complete row keeps the mechanism busy once its bytes are in.
                let mut row_end = data.start + width;
                while row_end <= data.end {
                    push(row_end, row_nanos);
                    row_end += width;
                }
            }
            CommandKind::Code2d { cn, function, params } => {
                let p = bytes.get(params).unwrap_or_default();
                match (cn, function) {
                    (49, 67) => state.qr_module = p.first().copied().unwrap_or(model.qr_module_dots),
                    (49, 69) => state.qr_ec = p.first().map_or(0, |n| n.saturating_sub(48).min(3)),
                    (49, 80) => state.qr_data = p.len().saturating_sub(1),
                    (_, 81) => {
                        let flush = state.flush_nanos(model);
                        let rows = if cn == 49 {
                            let modules = qr_modules(state.qr_data, state.qr_ec) + 8; // + quiet zone
                            modules * u64::from(state.qr_module.max(1))
                        } else {
                            // Another symbology (PDF417, …): a generous fixed height.
                            256
                        };
                        push(end, flush.saturating_add(model.rows(rows, model.dot_print_time)));
                    }
                    _ => {}
                }
            }
        }
    }
    ops
}

/// Modules per side of a byte-mode QR code holding `data` bytes at error correction
/// `ec` (0 = L, 1 = M, 2 = Q, 3 = H). Beyond version 10, assumes version 40 (the largest).
fn qr_modules(data: usize, ec: u8) -> u64 {
    const CAPACITY: [[usize; 10]; 4] = [
        [17, 32, 53, 78, 106, 134, 154, 192, 230, 271],
        [14, 26, 42, 62, 84, 106, 122, 152, 180, 213],
        [11, 20, 32, 46, 60, 74, 86, 108, 130, 151],
        [7, 14, 24, 34, 44, 58, 64, 84, 98, 119],
    ];
    let table = CAPACITY[usize::from(ec.min(3))];
    let version = table.iter().position(|&cap| data <= cap).map_or(40, |v| v as u64 + 1);
    17 + 4 * version
}

/// What the printer's line buffer holds while text comes in.
struct LineState {
    width: u8,
    height: u8,
    spacing: u16,
    /// Characters on the line so far.
    column: u32,
    /// Tallest height multiplier used on the line.
    tallest: u8,
    qr_module: u8,
    qr_ec: u8,
    qr_data: usize,
}

impl LineState {
    fn new(model: &PrinterModel) -> LineState {
        LineState {
            width: 1,
            height: 1,
            spacing: model.line_spacing,
            column: 0,
            tallest: 1,
            qr_module: model.qr_module_dots,
            qr_ec: 0,
            qr_data: 0,
        }
    }

    /// Time for a line ended by LF (Adafruit `write()`): a printed line or, when empty, a fed one.
    fn line_nanos(&self, model: &PrinterModel) -> u64 {
        let spacing = model.rows(u64::from(self.spacing), model.dot_feed_time);
        if self.column == 0 {
            let height = u64::from(model.char_height) * u64::from(self.height);
            model.rows(height, model.dot_feed_time).saturating_add(spacing)
        } else {
            let height = u64::from(model.char_height) * u64::from(self.tallest);
            model.rows(height, model.dot_print_time).saturating_add(spacing)
        }
    }

    /// Time to print what is on the line before a feed, cut or image (nothing when empty).
    fn flush_nanos(&mut self, model: &PrinterModel) -> u64 {
        if self.column == 0 {
            return 0;
        }
        let t = self.line_nanos(model);
        self.new_line();
        t
    }

    fn new_line(&mut self) {
        self.column = 0;
        self.tallest = self.height;
    }
}

/// A part of a job sent in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// Which bytes of the job.
    pub range: Range<usize>,
    /// When to hand the chunk to the port, counted from the start of the job.
    pub at: Duration,
    /// Wait after handing over the previous chunk (after the start of the job, for the first).
    /// The transport waits this long after the previous write, so a late write delays what
    /// follows instead of squeezing it.
    pub delay: Duration,
}

/// How to send a job without overrunning the printer's buffer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub chunks: Vec<Chunk>,
    /// When the last byte has reached the printer (the sender's share of the job).
    pub wire_done: Duration,
    /// When the printer has printed everything (its mechanism is idle again).
    pub print_done: Duration,
    /// Most bytes the model has in the printer's buffer at any time (≤ `buffer_bytes` −
    /// `headroom_bytes`).
    pub peak_buffer: usize,
}

/// Plans the sending of `bytes` to a printer that starts with an empty buffer and an idle
/// mechanism. Every byte is sent as early as the wire and the buffer allow; a new chunk starts
/// only where waiting is needed, and only once `min_chunk_bytes` fit.
pub fn plan(bytes: &[u8], model: &PrinterModel) -> Plan {
    if bytes.is_empty() {
        return Plan::default();
    }
    let ops = operations(bytes, model);
    let n = bytes.len();
    let cap = model.buffer();
    let min_chunk = model.min_chunk();
    // consumed[j]: when byte j leaves the buffer. Filled in order.
    let mut consumed: Vec<u64> = Vec::with_capacity(n);
    let mut op_index = 0; // operation the next byte belongs to
    let mut mech_free: u64 = 0; // when the mechanism finished the previous operation
    let mut chunks = Vec::new();
    let mut wire_free: u64 = 0; // when the wire is idle again
    let mut last_at: u64 = 0;
    let mut peak = 0usize;
    let mut i = 0;
    while i < n {
        // Earliest start so that the next `m` bytes fit as they arrive back to back.
        let m = min_chunk.min(n - i);
        let mut start = wire_free;
        for t in 0..m {
            if let Some(j) = (i + t).checked_sub(cap) {
                let need = consumed[j].saturating_sub(model.wire_nanos(t + 1));
                start = start.max(need);
            }
        }
        let chunk_start = i;
        loop {
            let arrival = start.saturating_add(model.wire_nanos(i - chunk_start + 1));
            if i > chunk_start
                && let Some(j) = i.checked_sub(cap)
                && consumed[j] > arrival
            {
                break; // the buffer is full: a new chunk, after a wait
            }
            // Bytes of the current operation leave the buffer once the mechanism is free.
            let c = arrival.max(mech_free);
            consumed.push(c);
            let in_buffer = i + 1 - consumed.partition_point(|&t| t <= arrival);
            peak = peak.max(in_buffer);
            while let Some(op) = ops.get(op_index)
                && op.end <= i + 1
            {
                mech_free = c.max(mech_free).saturating_add(op.busy_nanos);
                op_index += 1;
            }
            wire_free = arrival;
            i += 1;
            if i == n {
                break;
            }
        }
        chunks.push(Chunk {
            range: chunk_start..i,
            at: Duration::from_nanos(start),
            delay: Duration::from_nanos(start.saturating_sub(last_at)),
        });
        last_at = start;
    }
    Plan {
        chunks,
        wire_done: Duration::from_nanos(wire_free),
        print_done: Duration::from_nanos(mech_free.max(wire_free)),
        peak_buffer: peak,
    }
}

/// Sending plan for a printer with a busy line: chunks of at most `chunk_bytes`, each sent once
/// the previous one is on the wire (the transport then also waits for the line). Times are
/// those of the wire alone; the busy line adds the printer's.
pub fn plan_by_size(bytes: &[u8], model: &PrinterModel, chunk_bytes: usize) -> Plan {
    let mut chunks = Vec::new();
    let mut at = Duration::ZERO;
    let mut previous = 0;
    let mut start = 0;
    while start < bytes.len() {
        let end = (start + chunk_bytes.max(1)).min(bytes.len());
        let delay = model.wire_time_of(previous);
        at += delay;
        chunks.push(Chunk { range: start..end, at, delay });
        previous = end - start;
        start = end;
    }
    let wire_done = model.wire_time_of(bytes.len());
    Plan { chunks, wire_done, print_done: wire_done, peak_buffer: 0 }
}

/// Time the printer needs for `bytes` once they are all in (the mechanism alone, no wire).
pub fn print_time(bytes: &[u8], model: &PrinterModel) -> Duration {
    let total = operations(bytes, model).iter().fold(0u64, |t, op| t.saturating_add(op.busy_nanos));
    Duration::from_nanos(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(d: Duration) -> f64 {
        d.as_secs_f64() * 1000.0
    }

    fn raster(width_bytes: u16, rows: u16) -> Vec<u8> {
        let mut out = vec![GS, b'v', b'0', 0];
        out.extend_from_slice(&width_bytes.to_le_bytes());
        out.extend_from_slice(&rows.to_le_bytes());
        out.extend(std::iter::repeat_n(0xAA, usize::from(width_bytes) * usize::from(rows)));
        out
    }

    /// Sends the plan's chunks as a UART would (back to back at the wire rate, each chunk not
    /// before its time) and returns each byte's arrival time in ns. Written apart from `plan`.
    fn arrivals(plan: &Plan, model: &PrinterModel) -> Vec<u64> {
        let byte = 1e9 * f64::from(model.bits_per_byte) / f64::from(model.baud);
        let mut out = Vec::new();
        let mut wire = 0.0f64;
        for chunk in &plan.chunks {
            wire = wire.max(chunk.at.as_nanos() as f64);
            for _ in chunk.range.clone() {
                wire += byte;
                out.push(wire as u64);
            }
        }
        out
    }

    #[test]
    fn wire_rate_matches_the_anchor_arithmetic() {
        let m = PrinterModel::default();
        assert_eq!(m.bytes_per_second(), 1920);
        assert_eq!(PrinterModel::at_baud(9600).bytes_per_second(), 960);
        // One full-width raster row (48 B) is 25 ms at 19200, 50 ms at 9600 (anchor §4).
        assert_eq!(m.wire_time_of(48), Duration::from_millis(25));
        assert_eq!(wire_time(&[0; 48], 9600), Duration::from_millis(50));
        // (d1): 1,448 B at 19200 = 0.754 s.
        assert!((ms(wire_time(&[0; 1448], 19_200)) - 754.17).abs() < 0.01);
        // (a): 107 B at 9600 = 0.11 s.
        assert!((ms(wire_time(&[0; 107], 9600)) - 111.46).abs() < 0.01);
        assert_eq!(wire_time(&[], 19_200), Duration::ZERO);
        // Nonsense never panics.
        assert_eq!(wire_time(&[0; 10], 0), Duration::from_secs(100));
    }

    #[test]
    fn defaults_are_adafruits_model() {
        let m = PrinterModel::default();
        assert_eq!((m.baud, m.bits_per_byte, m.buffer_bytes), (19_200, 10, 256));
        assert_eq!(m.dot_print_time, Duration::from_millis(30));
        assert_eq!(m.dot_feed_time, Duration::from_micros(2100));
        assert_eq!((m.char_height, m.line_spacing, m.dots_per_line, m.char_width), (24, 6, 384, 12));
    }

    #[test]
    fn commands_of_the_encoder_are_read_with_their_parameters() {
        let mut job = vec![ESC, b'@', ESC, b't', 19, ESC, b'a', 1, ESC, b'E', 1, GS, b'!', 0x55];
        job.extend_from_slice(b"E-017\n");
        job.extend_from_slice(&raster(2, 3));
        job.extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 81, 48, ESC, b'd', 4, GS, b'V', 66, 0]);
        let kinds: Vec<CommandKind> = commands(&job).into_iter().map(|c| c.kind).collect();
        assert_eq!(kinds[0], CommandKind::Init);
        assert_eq!(kinds[1], CommandKind::Setting { command: [ESC, b't'] });
        assert_eq!(kinds[2], CommandKind::Setting { command: [ESC, b'a'] });
        assert_eq!(kinds[3], CommandKind::Setting { command: [ESC, b'E'] });
        assert_eq!(kinds[4], CommandKind::CharSize { width: 6, height: 6 });
        assert_eq!(kinds[5..10], [const { CommandKind::Text }; 5]);
        assert_eq!(kinds[10], CommandKind::LineFeed);
        let raster_start = 14 + 6;
        assert_eq!(
            kinds[11],
            CommandKind::Raster {
                width_bytes: 2,
                rows: 3,
                height_mul: 1,
                data: raster_start + 8..raster_start + 14
            }
        );
        let qr = raster_start + 14;
        assert_eq!(kinds[12], CommandKind::Code2d { cn: 49, function: 81, params: qr + 7..qr + 8 });
        assert_eq!(kinds[13], CommandKind::FeedLines(4));
        assert_eq!(kinds[14], CommandKind::Cut { feed_dots: 0 });
        assert_eq!(kinds.len(), 15);
    }

    #[test]
    fn cut_off_and_unknown_commands_never_panic() {
        for job in [
            &[GS, b'v', b'0', 0, 48][..],
            &[GS, b'v', b'0', 0, 48, 0, 10, 0, 1, 2, 3][..],
            &[GS, b'(', b'k', 200, 0, 49][..],
            &[GS, b'(', b'k', 0, 0, 49, 80][..],
            &[ESC][..],
            &[ESC, b'd'][..],
            &[DC2, b'*', 5][..],
            &[ESC, b'X', GS, b'Z', DC2, b'Q', 0xFF][..],
        ] {
            let cmds = commands(job);
            let covered: usize = cmds.iter().map(|c| c.range.len()).sum();
            assert_eq!(covered, job.len(), "{job:?}");
            let p = plan(job, &PrinterModel::default());
            assert_eq!(p.chunks.iter().map(|c| c.range.len()).sum::<usize>(), job.len());
        }
        // A raster cut short still counts the rows that did arrive.
        let cut = [GS, b'v', b'0', 0, 1, 0, 10, 0, 1, 2, 3];
        let m = PrinterModel::default();
        assert_eq!(print_time(&cut, &m), 3 * m.dot_print_time);
    }

    #[test]
    fn print_time_follows_adafruits_line_and_row_costs() {
        let m = PrinterModel::default();
        // A text line: 24 rows printed + 6 fed = 720 + 12.6 ms.
        assert_eq!(print_time(b"Hallo\n", &m), Duration::from_micros(732_600));
        // An empty line: 30 rows fed = 63 ms.
        assert_eq!(print_time(b"\n", &m), Duration::from_micros(63_000));
        // Double height (GS ! 0x01): 48 rows printed.
        assert_eq!(print_time(&[GS, b'!', 0x01, b'A', LF], &m), Duration::from_micros(1_452_600));
        // 33 characters wrap onto a second line: two printed lines.
        let mut long = vec![b'x'; 33];
        long.push(LF);
        assert_eq!(print_time(&long, &m), 2 * Duration::from_micros(732_600));
        // A raster of 5 rows: 5 × 30 ms; double height mode prints each row twice.
        assert_eq!(print_time(&raster(48, 5), &m), Duration::from_millis(150));
        let mut tall = raster(48, 5);
        tall[3] = 2;
        assert_eq!(print_time(&tall, &m), Duration::from_millis(300));
        // ESC d 4 = 4 × 30 fed rows.
        assert_eq!(print_time(&[ESC, b'd', 4], &m), Duration::from_micros(252_000));
        // ESC 3 40 sets a 40-dot pitch: 16 fed rows after the text.
        assert_eq!(print_time(&[ESC, b'3', 40, b'A', LF], &m), Duration::from_micros(720_000 + 33_600));
        // A QR code of 26 bytes at EC M is version 2 (25 modules) + 8 quiet, module 6: 198 rows.
        let mut qr = vec![GS, b'(', b'k', 3, 0, 49, 67, 6, GS, b'(', b'k', 3, 0, 49, 69, 49];
        qr.extend_from_slice(&[GS, b'(', b'k', 29, 0, 49, 80, 48]);
        qr.extend_from_slice(&[b'q'; 26]);
        qr.extend_from_slice(&[GS, b'(', b'k', 3, 0, 49, 81, 48]);
        assert_eq!(print_time(&qr, &m), 198 * m.dot_print_time);
    }

    #[test]
    fn a_job_that_fits_the_buffer_goes_in_one_chunk_at_wire_speed() {
        let m = PrinterModel::default();
        let job = b"\x1B@Bibliotheek Centrum\nE-017\n";
        let p = plan(job, &m);
        assert_eq!(p.chunks, [Chunk { range: 0..job.len(), at: Duration::ZERO, delay: Duration::ZERO }]);
        assert_eq!(p.wire_done, wire_time(job, 19_200));
        assert_eq!(paced_time(job, &m), p.wire_done);
        assert!(p.print_done > p.wire_done);
    }

    #[test]
    fn plan_never_has_more_than_the_buffer_in_the_printer() {
        let m = PrinterModel::default();
        let mut job = b"\x1B@".to_vec();
        for i in 0..20 {
            job.extend_from_slice(format!("Regel {i} van de test\n").as_bytes());
        }
        job.extend_from_slice(&raster(48, 60));
        job.extend_from_slice(&raster(28, 100));
        let p = plan(&job, &m);
        assert!(p.chunks.len() > 1);
        assert!(p.peak_buffer <= m.buffer_bytes - m.headroom_bytes, "{}", p.peak_buffer);
        assert_eq!(p.chunks.iter().map(|c| c.range.len()).sum::<usize>(), job.len());
        // Each chunk starts after the previous one ends on the wire, `delay` matches `at`.
        let mut at = Duration::ZERO;
        for c in &p.chunks {
            at += c.delay;
            assert_eq!(at, c.at);
        }
    }

    /// Written apart from `plan`: the printer takes a raster's 8-byte header at once, then one
    /// row at a time, each once its bytes are in and the previous row has printed (30 ms).
    /// Returns the most bytes ever waiting in its buffer.
    fn raster_peak(arrivals: &[u64], width: usize, rows: usize) -> usize {
        let mut row_taken = Vec::new();
        let mut mech_free = 0u64;
        for r in 0..rows {
            let taken = arrivals[8 + (r + 1) * width - 1].max(mech_free);
            row_taken.push(taken);
            mech_free = taken + 30_000_000;
        }
        let mut peak = 0;
        for (k, &t) in arrivals.iter().enumerate().skip(8) {
            let rows_out = row_taken.iter().filter(|&&taken| taken <= t).count();
            let arrived = k + 1 - 8;
            peak = peak.max(arrived - (rows_out * width).min(arrived));
        }
        peak
    }

    #[test]
    fn raster_plan_checked_by_a_row_by_row_emulator() {
        let m = PrinterModel::default();
        let (width, rows) = (28usize, 120usize);
        let job = raster(width as u16, rows as u16);
        let p = plan(&job, &m);
        let peak = raster_peak(&arrivals(&p, &m), width, rows);
        assert!(peak <= m.buffer_bytes, "{peak} bytes in the buffer");
        // The same bytes sent at once do overrun: the check can fail.
        let at_once = Plan {
            chunks: vec![Chunk { range: 0..job.len(), at: Duration::ZERO, delay: Duration::ZERO }],
            ..Plan::default()
        };
        assert!(raster_peak(&arrivals(&at_once, &m), width, rows) > m.buffer_bytes);
    }

    #[test]
    fn full_width_raster_is_print_bound_at_19200_and_wire_bound_at_9600() {
        let job = raster(48, 100);
        let fast = PrinterModel::default();
        let p = plan(&job, &fast);
        // 100 rows × 30 ms, less what the buffer holds at the end; the wire alone is 2.5 s.
        assert!(p.wire_done > Duration::from_millis(2_800), "{:?}", p.wire_done);
        assert!(p.wire_done < Duration::from_millis(3_000), "{:?}", p.wire_done);
        assert!(p.print_done >= Duration::from_millis(3_000));
        let slow = PrinterModel::at_baud(9600);
        let p = plan(&job, &slow);
        assert_eq!(p.chunks.len(), 1);
        assert_eq!(p.wire_done, wire_time(&job, 9600));
    }

    #[test]
    fn text_longer_than_the_buffer_waits_for_lines_to_print() {
        let m = PrinterModel::default();
        let mut job = Vec::new();
        for _ in 0..30 {
            job.extend_from_slice(b"0123456789012345678\n"); // 20 B a line
        }
        let p = plan(&job, &m);
        // 240 B (256 less 16 headroom) = 12 lines go at once; the other 18 wait for printed lines.
        assert!(p.chunks.len() >= 2);
        assert_eq!(p.chunks[0].at, Duration::ZERO);
        assert!(p.chunks[0].range.len() >= m.buffer_bytes - m.headroom_bytes);
        let lines_waited = (p.wire_done.as_secs_f64() / 0.7326).round();
        assert!((16.0..=18.0).contains(&lines_waited), "{p:?}");
        assert_eq!(p.peak_buffer, m.buffer_bytes - m.headroom_bytes);
    }

    #[test]
    fn chunks_are_at_least_min_chunk_bytes_except_the_last() {
        let m = PrinterModel { min_chunk_bytes: 64, ..PrinterModel::default() };
        let p = plan(&raster(48, 40), &m);
        for c in &p.chunks[..p.chunks.len() - 1] {
            assert!(c.range.len() >= 64, "{c:?}");
        }
        let one = PrinterModel { min_chunk_bytes: 1, ..PrinterModel::default() };
        // Smaller chunks can only be as fast or faster.
        assert!(plan(&raster(48, 40), &one).wire_done <= p.wire_done);
    }

    #[test]
    fn plan_by_size_spaces_chunks_by_their_wire_time() {
        let m = PrinterModel::default();
        let p = plan_by_size(&[0; 40], &m, 16);
        let ranges: Vec<_> = p.chunks.iter().map(|c| c.range.clone()).collect();
        assert_eq!(ranges, [0..16, 16..32, 32..40]);
        assert_eq!(p.chunks[0].delay, Duration::ZERO);
        assert_eq!(p.chunks[1].delay, m.wire_time_of(16));
        assert_eq!(p.wire_done, m.wire_time_of(40));
        assert!(plan_by_size(&[], &m, 0).chunks.is_empty());
    }

    #[test]
    fn empty_job_has_an_empty_plan() {
        assert_eq!(plan(&[], &PrinterModel::default()), Plan::default());
    }
}
