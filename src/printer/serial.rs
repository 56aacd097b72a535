//! The real printer: a [`Transport`] that sends ESC/POS jobs to the 58 mm CSN-A2-class thermal
//! printer on the Raspberry Pi's UART, paced so the printer's ~256-byte receive buffer never
//! overruns, and bounded in time so a missing or stuck printer never hangs the caller. It owns
//! the port (opened with rppal's `uart::Uart::with_path`, kept behind [`SerialLink`] because
//! rppal is retired upstream), the waiting (through a [`PaceClock`], so tests use a
//! [`VirtualClock`]), the optional busy line ([`BusyLine`]), waking the printer, and the status
//! query. It must not decide what is printed or change a job's bytes (except re-arming the busy
//! handshake after `ESC @`, see below), and it must not read the time of day.
//!
//! # Wiring (Raspberry Pi 40-pin header)
//! * Pi pin 8 (GPIO14, TXD) → printer RX. This is all printing needs.
//! * Pi pin 6 (GND) ↔ printer GND, and the GND of the printer's supply: one common ground.
//! * Optional, for status (paper, presence): printer TX → Pi pin 10 (GPIO15, RXD) **through a
//!   divider or level shifter**: the printer's TX is 5 V, the Pi's GPIO is 3.3 V only. A divider
//!   of 10 kΩ (series) and 20 kΩ (to GND) gives 3.3 V. Then set [`SerialOptions::rx_wired`].
//! * Optional busy/DTR line (some firmware, e.g. 2.64/2.68; often only a pad on the board): →
//!   any free GPIO input (e.g. GPIO23, pin 16), level-shifted (a shifter rather than a divider:
//!   see [`GpioBusyLine`]). With the internal pull-up a wire that comes loose reads "busy", so
//!   jobs time out instead of overrunning; a divider's resistor to GND would read "ready".
//! * Power the printer from its own 5–9 V supply that gives at least 1.5 A (the head draws
//!   peaks); never from the Pi's 5 V pin.
//!
//! # Enabling the UART (Raspberry Pi OS; `/boot/firmware/` on Bookworm, `/boot/` before)
//! * `config.txt`: `enable_uart=1` and `dtoverlay=disable-bt` (the PL011 UART goes to GPIO14/15,
//!   Bluetooth is off; then `sudo systemctl disable hciuart`), or `dtoverlay=miniuart-bt` to
//!   keep Bluetooth on the mini UART. On a Pi 5, `/dev/serial0` is the debug-header UART:
//!   enable UART0 on GPIO14/15 (`dtparam=uart0=on`; check on the unit) and use `/dev/ttyAMA0`.
//! * `cmdline.txt`: remove `console=serial0,115200`, and `sudo systemctl disable --now
//!   serial-getty@ttyAMA0.service` (`@ttyS0` where serial0 was the mini UART), or use
//!   `raspi-config` → Interface Options → Serial Port: login shell "No", hardware "Yes".
//!   Otherwise boot messages and a login prompt go to the printer.
//! * The kiosk's user must be in the `dialout` group (and `gpio` for a busy line). Reboot.
//!
//! # Pacing and time limits
//! Without a busy line the job is split and timed by [`pacing::plan`]: wire speed (10 bit
//! times a byte) against the modelled print speed. Before each chunk the transport also waits
//! until the kernel has sent what it was given (`TIOCOUTQ`), so a late UART delays the plan
//! instead of squeezing it. With a busy line, chunks of [`SerialOptions::busy_chunk_bytes`] go
//! out one at a time, each once the previous one is on the wire and the line is low; `GS a 32`
//! (Adafruit's DTR handshake) is sent before each job and after every `ESC @` in it, in case the
//! reset turns it off (to check on the unit). Every job must be done within its modelled time
//! plus [`SerialOptions::timeout_margin`] and [`SerialOptions::timeout_slack_percent`], else
//! [`PrintError::Timeout`]. Without RX or a busy line a printer that is off cannot be noticed:
//! the UART sends into the void at the same speed.
//!
//! # Waking and status
//! Before every job: `0xFF`, 50 ms, `ESC 8 0 0` (wake, and no auto-sleep; Adafruit `wake()`
//! for firmware ≥ 2.64; [`Wake::Legacy`] sends ten NULs 10 ms apart instead). With RX wired,
//! the paper is checked before each job: `ESC v 0` (≥ 2.64) or `GS r 0` (older), one byte back,
//! bit 2 set = no paper. The reply is read with VMIN=0 and a timeout: with VMIN=1 a silent
//! printer blocks the read forever. The reply is read strictly ([`paper_reply`]): exactly one
//! byte whose fixed bits (4 to 7) are 0, else it is not understood. Random bytes (a wrong baud
//! rate, a loose or unshifted RX wire, another device on the port) are reported as such, never
//! as "out of paper".
//!
//! # Troubleshooting
//! * [`PrintError::DeviceMissing`]: UART not enabled, wrong path (`/dev/serial0` missing → see
//!   above; Pi 5 → `/dev/ttyAMA0`), or a USB adapter unplugged. `Open` with "Permission denied":
//!   add the user to `dialout`.
//! * Nothing prints: wrong baud rate (hold FEED while powering on: the self-test page shows it),
//!   TX/RX swapped, no common GND, weak supply, or the serial console still on the port.
//! * Stray characters on the paper: a command the firmware does not know is printed as text.
//! * Garbled images, missing lines: the printer was overrun; raise
//!   [`PrinterModel::dot_print_time`] or wire the busy line. Faint print: supply current or
//!   heat settings (`ESC 7`).
//! * [`PrintError::NoAnswer`]: RX not wired or not level-shifted, printer off, or the firmware
//!   does not know the query (try [`StatusQuery::GsR`], or set `rx_wired = false`).
//! * [`PrintError::StatusNotUnderstood`]: the reply is not a status byte: a baud rate that
//!   differs from the printer's (see its self-test page), RX picking up noise (loose wire, no
//!   common GND, no level shifter), or the firmware answering the query its own way.
//! * [`PrintError::Timeout`]: the busy line stays high (unwired pad, printer off or out of
//!   paper), or the port does not send (a pty nobody reads, hardware flow control left on).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::pacing::{self, CommandKind, Plan, PrinterModel};
use super::{PrintError, Transport};

const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;

/// `GS a 32`: enables the printer's DTR/busy handshake (Adafruit `begin()`: `GS 'a' (1<<5)`).
pub const ENABLE_BUSY_HANDSHAKE: [u8; 3] = [GS, b'a', 1 << 5];
/// Bit of the status byte that is set when the paper is out (Adafruit `hasPaper()`).
pub const STATUS_NO_PAPER_BIT: u8 = 0b100;
/// The paper-end bits of the paper sensor status (Epson sets bits 2 and 3 together; the
/// CSN-A2 bit 2; `GS r` on older firmware answers 0x0F).
const STATUS_PAPER_END_BITS: u8 = 0b1100;
/// Bits of the paper sensor status that are always 0: bit 4 and 7 are fixed, 5 and 6 reserved.
const STATUS_FIXED_ZERO_BITS: u8 = 0b1111_0000;
/// The most reply bytes read and shown: a status reply is one byte.
const MOST_REPLY_BYTES: usize = 16;

/// What a reply to the paper status query (`ESC v 0`, `GS r 0`) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaperReply {
    /// Paper present (the near-end bits 0 and 1 may be set: the roll is low, not out).
    Paper,
    /// The paper-end bits are set.
    NoPaper,
    /// Not a status byte: more or fewer than one byte, or a fixed bit set.
    NotUnderstood,
}

/// Reads the printer's reply to the paper status query strictly: one byte, bits 4 to 7 clear.
pub fn paper_reply(reply: &[u8]) -> PaperReply {
    match reply {
        [byte] if byte & STATUS_FIXED_ZERO_BITS != 0 => PaperReply::NotUnderstood,
        [byte] if byte & STATUS_PAPER_END_BITS != 0 => PaperReply::NoPaper,
        [_] => PaperReply::Paper,
        _ => PaperReply::NotUnderstood,
    }
}

/// Reply bytes as staff read them in an error: `0x9c 0x41`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:#04x}")).collect::<Vec<_>>().join(" ")
}

/// A serial port as the printer transport needs it. [`UartLink`] is the real one.
pub trait SerialLink: Send {
    /// Copies as much of `bytes` as fits into the output queue without blocking; `Ok(0)` when
    /// the queue is full.
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize>;
    /// Bytes given to the port and not yet sent on the wire; `None` when unknown.
    fn unsent(&mut self) -> Option<usize>;
    /// Drops bytes received and not read yet.
    fn discard_input(&mut self) -> io::Result<()>;
    /// Reads what arrives within about `timeout`; `Ok(0)` when nothing did. Never blocks much
    /// longer than `timeout`.
    fn read(&mut self, buffer: &mut [u8], timeout: Duration) -> io::Result<usize>;
}

/// The UART through rppal (works with any tty, a pty included).
#[derive(Debug)]
pub struct UartLink {
    uart: rppal::uart::Uart,
}

impl UartLink {
    /// Opens `path` at `baud`, 8N1, raw, no flow control.
    pub fn open(path: &Path, baud: u32) -> Result<UartLink, PrintError> {
        use rppal::uart::{Error, Parity, Uart};
        match Uart::with_path(path, baud, Parity::None, 8, 1) {
            Ok(uart) => Ok(UartLink { uart }),
            Err(Error::Io(e)) if e.kind() == io::ErrorKind::NotFound => {
                Err(PrintError::DeviceMissing { path: path.to_owned() })
            }
            Err(e) => Err(PrintError::Open { path: path.to_owned(), source: uart_io_error(e, baud) }),
        }
    }
}

fn uart_io_error(e: rppal::uart::Error, baud: u32) -> io::Error {
    match e {
        rppal::uart::Error::Io(e) => e,
        rppal::uart::Error::InvalidValue => {
            io::Error::new(io::ErrorKind::InvalidInput, format!("the port does not support {baud} Bd"))
        }
        other => io::Error::other(other.to_string()),
    }
}

impl SerialLink for UartLink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.uart.write(bytes).map_err(|e| uart_io_error(e, 0))
    }

    fn unsent(&mut self) -> Option<usize> {
        self.uart.output_len().ok()
    }

    fn discard_input(&mut self) -> io::Result<()> {
        self.uart.flush(rppal::uart::Queue::Input).map_err(|e| uart_io_error(e, 0))
    }

    fn read(&mut self, buffer: &mut [u8], timeout: Duration) -> io::Result<usize> {
        // VMIN = 0, VTIME in tenths of a second (rounded up; at most 25.5 s). Never VMIN = 1:
        // the read would block until a byte comes, forever if the printer is silent.
        // A zero timeout only takes what has already arrived.
        let tenths =
            if timeout.is_zero() { 0 } else { timeout.as_millis().div_ceil(100).clamp(1, 255) as u64 };
        self.uart.set_read_mode(0, Duration::from_millis(tenths * 100)).map_err(|e| uart_io_error(e, 0))?;
        let result = match self.uart.read(buffer) {
            Err(rppal::uart::Error::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            other => other.map_err(|e| uart_io_error(e, 0)),
        };
        // Back to non-blocking reads, as opened.
        let _ = self.uart.set_read_mode(0, Duration::ZERO);
        result
    }
}

/// Monotonic time and sleeping, for pacing. [`MonotonicClock`] is the real one.
pub trait PaceClock: Send {
    /// Time since some fixed origin; never goes back.
    fn now(&self) -> Duration;
    fn sleep(&mut self, duration: Duration);
}

/// The system's monotonic clock and `thread::sleep`.
#[derive(Debug, Clone, Copy)]
pub struct MonotonicClock {
    origin: Instant,
}

impl Default for MonotonicClock {
    fn default() -> MonotonicClock {
        MonotonicClock { origin: Instant::now() }
    }
}

impl PaceClock for MonotonicClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn sleep(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// A clock for tests: sleeping moves it forward at once. Clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct VirtualClock {
    state: Arc<Mutex<VirtualState>>,
}

#[derive(Debug, Default)]
struct VirtualState {
    now: Duration,
    overshoot: Duration,
    real_pause: Duration,
    sleeps: usize,
}

impl VirtualClock {
    pub fn new() -> VirtualClock {
        VirtualClock::default()
    }

    /// Every sleep lasts `extra` longer than asked, like a busy system.
    pub fn with_overshoot(self, extra: Duration) -> VirtualClock {
        self.lock().overshoot = extra;
        self
    }

    /// Every sleep also pauses the thread for `pause` of real time, so that another thread (a
    /// pty reader) gets to run.
    pub fn with_real_pause(self, pause: Duration) -> VirtualClock {
        self.lock().real_pause = pause;
        self
    }

    pub fn advance(&self, by: Duration) {
        let mut state = self.lock();
        state.now = state.now.saturating_add(by);
    }

    /// How many times `sleep` was called.
    pub fn sleeps(&self) -> usize {
        self.lock().sleeps
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VirtualState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl PaceClock for VirtualClock {
    fn now(&self) -> Duration {
        self.lock().now
    }

    fn sleep(&mut self, duration: Duration) {
        let pause = {
            let mut state = self.lock();
            state.now = state.now.saturating_add(duration).saturating_add(state.overshoot);
            state.sleeps += 1;
            state.real_pause
        };
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }
}

/// The printer's busy/DTR output: high while it cannot take more bytes.
pub trait BusyLine: Send {
    fn is_busy(&mut self) -> bool;
    /// For logs, e.g. "busy line on GPIO23".
    fn describe(&self) -> String;
}

/// The busy line on a GPIO input of the Pi (rppal), with the internal pull-up on.
#[derive(Debug)]
pub struct GpioBusyLine {
    pin: rppal::gpio::InputPin,
    bcm: u8,
    busy_when_high: bool,
}

impl GpioBusyLine {
    /// Uses GPIO `bcm` (BCM numbering). `busy_when_high` is true for the printer's own DTR
    /// level (Adafruit waits while it is HIGH); false behind an inverting level shifter.
    pub fn open(bcm: u8, busy_when_high: bool) -> Result<GpioBusyLine, PrintError> {
        let gpio =
            rppal::gpio::Gpio::new().map_err(|e| PrintError::BusyLine { pin: bcm, reason: e.to_string() })?;
        let pin = gpio.get(bcm).map_err(|e| PrintError::BusyLine { pin: bcm, reason: e.to_string() })?;
        Ok(GpioBusyLine { pin: pin.into_input_pullup(), bcm, busy_when_high })
    }
}

impl BusyLine for GpioBusyLine {
    fn is_busy(&mut self) -> bool {
        self.pin.is_high() == self.busy_when_high
    }

    fn describe(&self) -> String {
        format!("busy line on GPIO{}", self.bcm)
    }
}

/// How the printer is woken before a job (Adafruit `wake()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Firmware ≥ 2.64: `0xFF`, 50 ms, `ESC 8 0 0` (sleep off).
    Modern,
    /// Older firmware: `0xFF`, then ten NULs 10 ms apart.
    Legacy,
    /// Nothing.
    Off,
}

/// Which command asks for the paper status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusQuery {
    /// `ESC v 0`, firmware ≥ 2.64.
    EscV,
    /// `GS r 0`, older firmware.
    GsR,
}

impl StatusQuery {
    pub fn bytes(self) -> [u8; 3] {
        match self {
            StatusQuery::EscV => [ESC, b'v', 0],
            StatusQuery::GsR => [GS, b'r', 0],
        }
    }
}

/// What [`SerialPrinter::status`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterState {
    /// It answered and has paper.
    Ready,
    NoPaper,
    /// RX is wired but nothing came back in time: off, unplugged, or RX not connected.
    NotAnswering,
    /// Something came back that is not a status byte (the bytes, as read): a wrong baud rate,
    /// a bad cable, noise on RX.
    NotUnderstood(Vec<u8>),
    /// RX is not wired ([`SerialOptions::rx_wired`] is false): nothing can be known.
    Unknown,
    /// The port itself failed.
    Fault(String),
}

/// How the serial printer is driven.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialOptions {
    /// Timing model; `model.baud` is also the port speed.
    pub model: PrinterModel,
    /// The printer's TX reaches the Pi's RX (level-shifted): status and paper checks work.
    pub rx_wired: bool,
    /// Check paper (and presence) before each job when `rx_wired`. Default true.
    pub check_before_job: bool,
    /// Default [`StatusQuery::EscV`].
    pub status_query: StatusQuery,
    /// How long to wait for a status reply. Default 1 s (Adafruit `hasPaper()`: 10 × 100 ms).
    pub status_timeout: Duration,
    /// Default [`Wake::Modern`].
    pub wake: Wake,
    /// Fixed extra time a job may take beyond its modelled time. Default 2 s.
    pub timeout_margin: Duration,
    /// Extra time a job may take, in percent of its modelled time. Default 25.
    pub timeout_slack_percent: u32,
    /// How often a full port or a busy line is checked again. Default 5 ms.
    pub poll_interval: Duration,
    /// Chunk size with a busy line: at most this many bytes are in flight when the line rises.
    /// Default 16.
    pub busy_chunk_bytes: usize,
}

impl Default for SerialOptions {
    fn default() -> SerialOptions {
        SerialOptions {
            model: PrinterModel::default(),
            rx_wired: false,
            check_before_job: true,
            status_query: StatusQuery::EscV,
            status_timeout: Duration::from_secs(1),
            wake: Wake::Modern,
            timeout_margin: Duration::from_secs(2),
            timeout_slack_percent: 25,
            poll_interval: Duration::from_millis(5),
            busy_chunk_bytes: 16,
        }
    }
}

/// The thermal printer on a serial port.
pub struct SerialPrinter {
    path: PathBuf,
    link: Box<dyn SerialLink>,
    clock: Box<dyn PaceClock>,
    busy: Option<Box<dyn BusyLine>>,
    options: SerialOptions,
    /// When the printer will have printed everything sent so far (model time).
    idle_at: Duration,
}

impl std::fmt::Debug for SerialPrinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialPrinter").field("path", &self.path).field("options", &self.options).finish()
    }
}

impl SerialPrinter {
    /// Opens the printer on `path` (e.g. `/dev/serial0`) at `options.model.baud`, 8N1.
    pub fn open(path: impl AsRef<Path>, options: SerialOptions) -> Result<SerialPrinter, PrintError> {
        let path = path.as_ref();
        let link = UartLink::open(path, options.model.baud)?;
        Ok(SerialPrinter::with_link(path, Box::new(link), Box::new(MonotonicClock::default()), options))
    }

    /// A printer on any link and clock (tests, other serial crates). `path` names it in errors.
    pub fn with_link(
        path: impl Into<PathBuf>,
        link: Box<dyn SerialLink>,
        clock: Box<dyn PaceClock>,
        options: SerialOptions,
    ) -> SerialPrinter {
        let idle_at = clock.now();
        SerialPrinter { path: path.into(), link, clock, busy: None, options, idle_at }
    }

    /// Uses `clock` for pacing from now on.
    pub fn with_clock(mut self, clock: Box<dyn PaceClock>) -> SerialPrinter {
        self.idle_at = clock.now();
        self.clock = clock;
        self
    }

    /// Waits on `line` instead of the time model.
    pub fn with_busy_line(mut self, line: Box<dyn BusyLine>) -> SerialPrinter {
        self.busy = Some(line);
        self
    }

    pub fn options(&self) -> &SerialOptions {
        &self.options
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The bytes and plan [`Transport::send`] would use for `job` (before waking).
    pub fn plan_for(&self, job: &[u8]) -> (Vec<u8>, Plan) {
        match self.busy {
            Some(_) => {
                let job = rearm_handshake(job);
                let plan = pacing::plan_by_size(&job, &self.options.model, self.options.busy_chunk_bytes);
                (job, plan)
            }
            None => (job.to_vec(), pacing::plan(job, &self.options.model)),
        }
    }

    /// Asks the printer whether it is there and has paper. Waits first until the modelled
    /// printing of earlier jobs is done (a status query is answered in turn, after them).
    pub fn status(&mut self) -> PrinterState {
        if !self.options.rx_wired {
            return PrinterState::Unknown;
        }
        self.sleep_until(self.idle_at);
        let deadline = self.clock.now() + self.options.status_timeout + self.options.timeout_margin;
        let mut job = Job::new(&self.path, "status", deadline, 0);
        if let Some(busy) = self.busy.as_mut()
            && let Err(e) =
                wait_not_busy(busy.as_mut(), self.clock.as_mut(), &mut job, self.options.poll_interval)
        {
            return PrinterState::Fault(e.to_string());
        }
        match self.query(&mut job) {
            Ok(Some(reply)) => match paper_reply(&reply) {
                PaperReply::Paper => PrinterState::Ready,
                PaperReply::NoPaper => PrinterState::NoPaper,
                PaperReply::NotUnderstood => PrinterState::NotUnderstood(reply),
            },
            Ok(None) => PrinterState::NotAnswering,
            Err(e) => PrinterState::Fault(e.to_string()),
        }
    }

    /// Sends the status query and reads the reply (`None`: no answer in time): what comes in
    /// the first read, and whatever follows within a few byte times (a status reply is one
    /// byte; more means the line carries something else). At most [`MOST_REPLY_BYTES`].
    fn query(&mut self, job: &mut Job) -> Result<Option<Vec<u8>>, PrintError> {
        self.link.discard_input().map_err(|source| job.io(source))?;
        write_all(
            self.link.as_mut(),
            self.clock.as_mut(),
            &self.options.status_query.bytes(),
            job,
            &self.options,
        )?;
        let until = self.clock.now() + self.options.status_timeout;
        let mut buffer = [0u8; MOST_REPLY_BYTES];
        let mut got = loop {
            let left = until.saturating_sub(self.clock.now());
            if left.is_zero() {
                return Ok(None);
            }
            match self.link.read(&mut buffer, left) {
                Ok(0) => {
                    // A real read waited; a link that returned early is polled.
                    self.clock.sleep(self.options.poll_interval.min(left));
                }
                Ok(n) => break n.min(MOST_REPLY_BYTES),
                Err(source) => return Err(job.io(source)),
            }
        };
        // Anything right behind the first byte? Give it a few byte times to arrive.
        self.clock.sleep(self.options.model.wire_time_of(4).max(self.options.poll_interval));
        if got < MOST_REPLY_BYTES {
            got += self.link.read(&mut buffer[got..], Duration::ZERO).map_err(|source| job.io(source))?;
        }
        Ok(Some(buffer[..got.min(MOST_REPLY_BYTES)].to_vec()))
    }

    fn sleep_until(&mut self, at: Duration) {
        let now = self.clock.now();
        if at > now {
            self.clock.sleep(at - now);
        }
    }

    fn wake(&mut self, job: &mut Job) -> Result<(), PrintError> {
        let (clock, link, options) = (self.clock.as_mut(), self.link.as_mut(), &self.options);
        match options.wake {
            Wake::Off => {}
            Wake::Modern => {
                write_all(link, clock, &[0xFF], job, options)?;
                job.sleep(clock, Duration::from_millis(50))?;
                write_all(link, clock, &[ESC, b'8', 0, 0], job, options)?;
            }
            Wake::Legacy => {
                write_all(link, clock, &[0xFF], job, options)?;
                for _ in 0..10 {
                    job.sleep(clock, Duration::from_millis(10))?;
                    write_all(link, clock, &[0], job, options)?;
                }
            }
        }
        Ok(())
    }

    /// Longest a job may take: its modelled time plus margins.
    fn time_limit(&self, modelled: Duration) -> Duration {
        let o = &self.options;
        let slack = modelled.saturating_mul(o.timeout_slack_percent) / 100;
        let wake = match o.wake {
            Wake::Modern => Duration::from_millis(50),
            Wake::Legacy => Duration::from_millis(100),
            Wake::Off => Duration::ZERO,
        };
        let status = if o.rx_wired && o.check_before_job { o.status_timeout } else { Duration::ZERO };
        modelled
            .saturating_add(slack)
            .saturating_add(wake)
            .saturating_add(status)
            .saturating_add(o.timeout_margin)
    }
}

impl Transport for SerialPrinter {
    fn send(&mut self, job_name: &str, bytes: &[u8]) -> Result<(), PrintError> {
        // The previous job prints out first: the plan assumes an empty buffer.
        if self.busy.is_none() {
            self.sleep_until(self.idle_at);
        }
        let (bytes, plan) = self.plan_for(bytes);
        let modelled = if self.busy.is_some() {
            pacing::paced_time(&bytes, &self.options.model)
        } else {
            plan.wire_done
        };
        let start = self.clock.now();
        let mut job = Job::new(&self.path, job_name, start + self.time_limit(modelled), bytes.len());
        job.started = start;

        self.wake(&mut job)?;
        if let Some(busy) = self.busy.as_mut() {
            wait_not_busy(busy.as_mut(), self.clock.as_mut(), &mut job, self.options.poll_interval)?;
            write_all(
                self.link.as_mut(),
                self.clock.as_mut(),
                &ENABLE_BUSY_HANDSHAKE,
                &mut job,
                &self.options,
            )?;
        }
        if self.options.rx_wired && self.options.check_before_job {
            match self.query(&mut job)? {
                Some(reply) => match paper_reply(&reply) {
                    PaperReply::Paper => {}
                    PaperReply::NoPaper => return Err(PrintError::NoPaper { path: self.path.clone() }),
                    PaperReply::NotUnderstood => {
                        return Err(PrintError::StatusNotUnderstood {
                            path: self.path.clone(),
                            reply: hex(&reply),
                        });
                    }
                },
                None => {
                    return Err(PrintError::NoAnswer {
                        path: self.path.clone(),
                        waited: self.options.status_timeout,
                    });
                }
            }
        }

        let mut last_write = self.clock.now();
        for chunk in &plan.chunks {
            job.sleep_until(self.clock.as_mut(), last_write + chunk.delay)?;
            // The kernel still holds bytes: the UART is behind the plan; wait for it.
            while let Some(unsent) = self.link.unsent().filter(|&n| n > 0) {
                let wire = self.options.model.wire_time_of(unsent).max(self.options.poll_interval);
                job.sleep(self.clock.as_mut(), wire)?;
            }
            if let Some(busy) = self.busy.as_mut() {
                wait_not_busy(busy.as_mut(), self.clock.as_mut(), &mut job, self.options.poll_interval)?;
            }
            last_write = self.clock.now();
            let part = bytes.get(chunk.range.clone()).unwrap_or_default();
            job.counting = true;
            write_all(self.link.as_mut(), self.clock.as_mut(), part, &mut job, &self.options)?;
        }

        let last_at = plan.chunks.last().map_or(Duration::ZERO, |c| c.at);
        self.idle_at = if self.busy.is_some() {
            self.clock.now()
        } else {
            last_write + plan.print_done.saturating_sub(last_at)
        };
        log::debug!(
            "job {job_name}: {} bytes in {} chunks, {:?} on the clock",
            bytes.len(),
            plan.chunks.len(),
            self.clock.now().saturating_sub(start)
        );
        Ok(())
    }

    fn describe(&self) -> String {
        let pacing = match &self.busy {
            Some(line) => line.describe(),
            None => "paced by the time model".to_owned(),
        };
        format!("thermal printer on {} at {} Bd ({pacing})", self.path.display(), self.options.model.baud)
    }
}

/// A job under way: its deadline and progress, for the timeout error.
struct Job {
    path: PathBuf,
    name: String,
    started: Duration,
    deadline: Duration,
    sent: usize,
    total: usize,
    /// Count written bytes in `sent` (the job's own bytes, not the wake-up).
    counting: bool,
}

impl Job {
    fn new(path: &Path, name: &str, deadline: Duration, total: usize) -> Job {
        Job {
            path: path.to_owned(),
            name: name.to_owned(),
            started: Duration::ZERO,
            deadline,
            sent: 0,
            total,
            counting: false,
        }
    }

    fn timeout(&self, now: Duration) -> PrintError {
        PrintError::Timeout {
            path: self.path.clone(),
            job: self.name.clone(),
            sent: self.sent,
            total: self.total,
            waited: now.saturating_sub(self.started),
        }
    }

    fn io(&self, source: io::Error) -> PrintError {
        PrintError::Serial { path: self.path.clone(), source }
    }

    /// Sleeps `duration`, or fails at once if that would pass the deadline.
    fn sleep(&mut self, clock: &mut dyn PaceClock, duration: Duration) -> Result<(), PrintError> {
        let now = clock.now();
        if now.saturating_add(duration) > self.deadline {
            let rest = self.deadline.saturating_sub(now);
            clock.sleep(rest);
            return Err(self.timeout(clock.now()));
        }
        clock.sleep(duration);
        Ok(())
    }

    fn sleep_until(&mut self, clock: &mut dyn PaceClock, at: Duration) -> Result<(), PrintError> {
        let now = clock.now();
        if at > now { self.sleep(clock, at - now) } else { Ok(()) }
    }
}

/// Writes all of `bytes`, polling while the port is full, until the job's deadline.
fn write_all(
    link: &mut dyn SerialLink,
    clock: &mut dyn PaceClock,
    mut bytes: &[u8],
    job: &mut Job,
    options: &SerialOptions,
) -> Result<(), PrintError> {
    while !bytes.is_empty() {
        match link.write(bytes) {
            Ok(0) => job.sleep(clock, options.poll_interval)?,
            Ok(n) => {
                let n = n.min(bytes.len());
                if job.counting {
                    job.sent += n;
                }
                bytes = &bytes[n..];
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => job.sleep(clock, options.poll_interval)?,
            Err(source) => return Err(job.io(source)),
        }
    }
    Ok(())
}

fn wait_not_busy(
    line: &mut dyn BusyLine,
    clock: &mut dyn PaceClock,
    job: &mut Job,
    poll: Duration,
) -> Result<(), PrintError> {
    while line.is_busy() {
        job.sleep(clock, poll)?;
    }
    Ok(())
}

/// `job` with [`ENABLE_BUSY_HANDSHAKE`] after every `ESC @`.
pub fn rearm_handshake(job: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(job.len() + 8);
    for command in pacing::commands(job) {
        out.extend_from_slice(job.get(command.range.clone()).unwrap_or_default());
        if command.kind == CommandKind::Init {
            out.extend_from_slice(&ENABLE_BUSY_HANDSHAKE);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the fake port saw.
    #[derive(Debug, Default)]
    struct Wire {
        /// (clock time of the write, bytes)
        writes: Vec<(Duration, Vec<u8>)>,
        /// Bytes the fake printer answers, `per_query` of them to each status query it is sent.
        replies: Vec<u8>,
        /// How many reply bytes each query gets (0 means 1).
        per_query: usize,
        /// Reply bytes sent and not read yet.
        pending: Vec<u8>,
        reads: usize,
    }

    /// A port that accepts up to `room` bytes (then none), answers reads from `replies`.
    struct FakeLink {
        clock: VirtualClock,
        wire: Arc<Mutex<Wire>>,
        room: usize,
        fail_writes: bool,
    }

    impl FakeLink {
        fn new(clock: &VirtualClock) -> (FakeLink, Arc<Mutex<Wire>>) {
            let wire = Arc::new(Mutex::new(Wire::default()));
            (
                FakeLink { clock: clock.clone(), wire: wire.clone(), room: usize::MAX, fail_writes: false },
                wire,
            )
        }
    }

    impl SerialLink for FakeLink {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            if self.fail_writes {
                return Err(io::Error::from_raw_os_error(5));
            }
            let n = bytes.len().min(self.room);
            self.room -= n;
            if n > 0 {
                let mut wire = self.wire.lock().unwrap();
                wire.writes.push((self.clock.now(), bytes[..n].to_vec()));
                let asks = [StatusQuery::EscV.bytes(), StatusQuery::GsR.bytes()];
                if asks.iter().any(|ask| bytes[..n] == ask[..]) {
                    let take = wire.per_query.max(1).min(wire.replies.len());
                    let answer: Vec<u8> = wire.replies.drain(..take).collect();
                    wire.pending.extend(answer);
                }
            }
            Ok(n)
        }
        fn unsent(&mut self) -> Option<usize> {
            None
        }
        fn discard_input(&mut self) -> io::Result<()> {
            Ok(())
        }
        fn read(&mut self, buffer: &mut [u8], timeout: Duration) -> io::Result<usize> {
            let mut wire = self.wire.lock().unwrap();
            wire.reads += 1;
            if wire.pending.is_empty() {
                self.clock.advance(timeout);
                return Ok(0);
            }
            let n = wire.pending.len().min(buffer.len());
            buffer[..n].copy_from_slice(&wire.pending[..n]);
            wire.pending.drain(..n);
            Ok(n)
        }
    }

    fn printer(options: SerialOptions) -> (SerialPrinter, VirtualClock, Arc<Mutex<Wire>>) {
        let clock = VirtualClock::new();
        let (link, wire) = FakeLink::new(&clock);
        let p = SerialPrinter::with_link("/dev/fake", Box::new(link), Box::new(clock.clone()), options);
        (p, clock, wire)
    }

    fn all_bytes(wire: &Arc<Mutex<Wire>>) -> Vec<u8> {
        wire.lock().unwrap().writes.iter().flat_map(|(_, b)| b.clone()).collect()
    }

    fn big_raster(rows: u16) -> Vec<u8> {
        let mut job = vec![ESC, b'@', GS, b'v', b'0', 0, 48, 0];
        job.extend_from_slice(&rows.to_le_bytes());
        job.extend(std::iter::repeat_n(0x55, 48 * usize::from(rows)));
        job
    }

    #[test]
    fn wakes_then_sends_the_job_unchanged_in_planned_chunks() {
        let (mut p, clock, wire) = printer(SerialOptions::default());
        let job = big_raster(40);
        p.send("t", &job).expect("sent");
        let bytes = all_bytes(&wire);
        assert_eq!(bytes[..5], [0xFF, ESC, b'8', 0, 0]);
        assert_eq!(bytes[5..], job[..]);
        let writes = &wire.lock().unwrap().writes;
        // 0xFF at 0, ESC 8 0 0 after 50 ms, then the chunks at their planned times.
        assert_eq!(writes[1].0, Duration::from_millis(50));
        let plan = pacing::plan(&job, &PrinterModel::default());
        assert_eq!(writes.len(), 2 + plan.chunks.len());
        for (w, c) in writes[2..].iter().zip(&plan.chunks) {
            assert_eq!(w.0, Duration::from_millis(50) + c.at);
            assert_eq!(w.1, job[c.range.clone()]);
        }
        assert!(clock.sleeps() >= plan.chunks.len());
    }

    #[test]
    fn the_next_job_waits_until_the_previous_one_is_printed() {
        let (mut p, clock, wire) = printer(SerialOptions { wake: Wake::Off, ..SerialOptions::default() });
        p.send("a", b"\x1B@Hallo\n").expect("first");
        let printed = pacing::plan(b"\x1B@Hallo\n", &PrinterModel::default()).print_done;
        p.send("b", b"\x1B@Hallo\n").expect("second");
        let writes = &wire.lock().unwrap().writes;
        assert_eq!(writes[1].0, printed);
        assert_eq!(clock.now(), printed);
    }

    #[test]
    fn late_sleeps_delay_the_rest_instead_of_squeezing_it() {
        let clock = VirtualClock::new().with_overshoot(Duration::from_millis(7));
        let (link, wire) = FakeLink::new(&clock);
        let options = SerialOptions { wake: Wake::Off, ..SerialOptions::default() };
        let mut p = SerialPrinter::with_link("/dev/fake", Box::new(link), Box::new(clock.clone()), options);
        let job = big_raster(40);
        p.send("t", &job).expect("sent");
        let plan = pacing::plan(&job, &PrinterModel::default());
        let writes = &wire.lock().unwrap().writes;
        for (pair, c) in writes.windows(2).zip(&plan.chunks[1..]) {
            assert!(pair[1].0 - pair[0].0 >= c.delay, "{:?} < {:?}", pair[1].0 - pair[0].0, c.delay);
        }
    }

    #[test]
    fn a_port_that_stops_taking_bytes_times_out_within_the_limit() {
        let clock = VirtualClock::new();
        let (mut link, _wire) = FakeLink::new(&clock);
        link.room = 100;
        let options = SerialOptions::default();
        let mut p =
            SerialPrinter::with_link("/dev/fake", Box::new(link), Box::new(clock.clone()), options.clone());
        let job = big_raster(40);
        let err = p.send("stuck", &job).expect_err("times out");
        let PrintError::Timeout { sent, total, waited, ref job, .. } = err else { panic!("{err}") };
        assert_eq!(job, "stuck");
        assert_eq!((sent, total), (95, big_raster(40).len())); // 100 minus the 5 wake-up bytes
        let modelled = pacing::plan(&big_raster(40), &options.model).wire_done;
        assert!(waited <= modelled + modelled / 4 + Duration::from_millis(50) + options.timeout_margin);
        assert!(waited >= options.timeout_margin, "{waited:?}");
        assert!(err.to_string().contains("/dev/fake"), "{err}");
    }

    #[test]
    fn write_errors_name_the_port() {
        let clock = VirtualClock::new();
        let (mut link, _) = FakeLink::new(&clock);
        link.fail_writes = true;
        let mut p =
            SerialPrinter::with_link("/dev/fake", Box::new(link), Box::new(clock), SerialOptions::default());
        let err = p.send("x", b"A\n").expect_err("fails");
        assert!(matches!(err, PrintError::Serial { .. }), "{err}");
        assert!(err.to_string().contains("/dev/fake"));
    }

    #[test]
    fn status_is_unknown_without_rx_and_asks_with_esc_v_or_gs_r() {
        let (mut p, _, wire) = printer(SerialOptions::default());
        assert_eq!(p.status(), PrinterState::Unknown);
        assert!(all_bytes(&wire).is_empty(), "nothing sent without RX");

        let (mut p, _, wire) = printer(SerialOptions { rx_wired: true, ..SerialOptions::default() });
        wire.lock().unwrap().replies = vec![0x00, 0x04, 0x0F];
        assert_eq!(p.status(), PrinterState::Ready);
        assert_eq!(p.status(), PrinterState::NoPaper);
        assert_eq!(p.status(), PrinterState::NoPaper); // GS r answers 0x0F without paper
        assert_eq!(all_bytes(&wire), [[ESC, b'v', 0]; 3].concat());
        assert_eq!(p.status(), PrinterState::NotAnswering);

        let options =
            SerialOptions { rx_wired: true, status_query: StatusQuery::GsR, ..SerialOptions::default() };
        let (mut p, _, wire) = printer(options);
        wire.lock().unwrap().replies = vec![0x00];
        assert_eq!(p.status(), PrinterState::Ready);
        assert_eq!(all_bytes(&wire), [GS, b'r', 0]);
    }

    #[test]
    fn no_paper_or_no_answer_stops_the_job_before_its_bytes() {
        let options = SerialOptions { rx_wired: true, ..SerialOptions::default() };
        let (mut p, _, wire) = printer(options.clone());
        wire.lock().unwrap().replies = vec![0x04];
        let err = p.send("t", b"\x1B@A\n").expect_err("no paper");
        assert!(matches!(err, PrintError::NoPaper { .. }), "{err}");
        assert_eq!(all_bytes(&wire), [&[0xFF, ESC, b'8', 0, 0][..], &[ESC, b'v', 0]].concat());

        let (mut p, clock, _) = printer(options.clone());
        let err = p.send("t", b"\x1B@A\n").expect_err("no answer");
        assert!(matches!(err, PrintError::NoAnswer { .. }), "{err}");
        assert!(clock.now() <= Duration::from_millis(50) + options.status_timeout + options.poll_interval);

        let (mut p, _, wire) = printer(options);
        wire.lock().unwrap().replies = vec![0x00];
        p.send("t", b"\x1B@A\n").expect("paper: printed");
        assert!(all_bytes(&wire).ends_with(b"\x1B@A\n"));
    }

    #[test]
    fn a_status_reply_is_one_byte_with_its_fixed_bits_clear() {
        for byte in [0x00, 0x01, 0x02, 0x03] {
            assert_eq!(paper_reply(&[byte]), PaperReply::Paper, "{byte:#04x}: paper (maybe near its end)");
        }
        for byte in [0x04, 0x08, 0x0C, 0x0F] {
            assert_eq!(paper_reply(&[byte]), PaperReply::NoPaper, "{byte:#04x}");
        }
        for byte in [0x10, 0x20, 0x40, 0x80, 0x9C, 0xE4, 0xFF, 0x14] {
            assert_eq!(paper_reply(&[byte]), PaperReply::NotUnderstood, "{byte:#04x}: a fixed bit is set");
        }
        assert_eq!(paper_reply(&[]), PaperReply::NotUnderstood);
        assert_eq!(paper_reply(&[0x00, 0x00]), PaperReply::NotUnderstood, "two bytes to a one-byte question");
        assert_eq!(paper_reply(&[0x04, 0x04, 0x04]), PaperReply::NotUnderstood);
        // Of all single bytes, only 16 are status bytes: most noise is caught by one byte.
        let understood = (0..=255u8).filter(|b| paper_reply(&[*b]) != PaperReply::NotUnderstood).count();
        assert_eq!(understood, 16);
    }

    #[test]
    fn a_garbled_reply_is_not_out_of_paper_and_stops_the_job() {
        let options = SerialOptions { rx_wired: true, ..SerialOptions::default() };
        let (mut p, _, wire) = printer(options.clone());
        wire.lock().unwrap().replies = vec![0xE4, 0x9C];
        assert_eq!(p.status(), PrinterState::NotUnderstood(vec![0xE4]), "bit 2 set, but bit 7 too");
        let err = p.send("t", b"\x1B@A\n").expect_err("not understood");
        assert!(matches!(err, PrintError::StatusNotUnderstood { .. }), "{err}");
        let message = err.to_string();
        assert!(message.contains("0x9c") && message.contains("baud rate"), "{message}");
        assert!(!message.contains("paper"), "{message}");
        assert!(!all_bytes(&wire).ends_with(b"\x1B@A\n"), "nothing of the ticket went out");

        let (mut p, _, wire) = printer(options);
        {
            let mut wire = wire.lock().unwrap();
            wire.replies = vec![0x04, 0x61, 0x00, 0x00, 0x04, 0x04];
            wire.per_query = 3;
        }
        assert_eq!(p.status(), PrinterState::NotUnderstood(vec![0x04, 0x61, 0x00]), "three bytes");
        let err = p.send("t", b"\x1B@A\n").expect_err("not understood");
        assert!(err.to_string().contains("0x00 0x04 0x04"), "{err}");
    }

    /// A busy line that is high for `busy_for` after each chunk it is told about.
    struct SimulatedBusyLine {
        clock: VirtualClock,
        wire: Arc<Mutex<Wire>>,
        busy_for: Duration,
        stuck: bool,
        checks: Arc<Mutex<usize>>,
    }

    impl BusyLine for SimulatedBusyLine {
        fn is_busy(&mut self) -> bool {
            *self.checks.lock().unwrap() += 1;
            if self.stuck {
                return true;
            }
            let last = self.wire.lock().unwrap().writes.last().map(|w| w.0);
            last.is_some_and(|t| self.clock.now() < t + self.busy_for)
        }
        fn describe(&self) -> String {
            "simulated busy line".into()
        }
    }

    #[test]
    fn with_a_busy_line_small_chunks_wait_for_it_and_the_handshake_is_rearmed() {
        let clock = VirtualClock::new();
        let (link, wire) = FakeLink::new(&clock);
        let checks = Arc::new(Mutex::new(0));
        let line = SimulatedBusyLine {
            clock: clock.clone(),
            wire: wire.clone(),
            busy_for: Duration::from_millis(20),
            stuck: false,
            checks: checks.clone(),
        };
        let options = SerialOptions { wake: Wake::Off, ..SerialOptions::default() };
        let mut p = SerialPrinter::with_link("/dev/fake", Box::new(link), Box::new(clock.clone()), options)
            .with_busy_line(Box::new(line));
        assert!(p.describe().contains("simulated busy line"));
        let job = b"\x1B@0123456789012345678901234567890123456789\n\x1B@x\n";
        p.send("t", job).expect("sent");
        let bytes = all_bytes(&wire);
        let expected = [
            &ENABLE_BUSY_HANDSHAKE[..],
            b"\x1B@",
            &ENABLE_BUSY_HANDSHAKE,
            b"0123456789012345678901234567890123456789\n\x1B@",
            &ENABLE_BUSY_HANDSHAKE,
            b"x\n",
        ]
        .concat();
        assert_eq!(bytes, expected);
        let writes = &wire.lock().unwrap().writes;
        assert!(writes.iter().skip(1).all(|w| w.1.len() <= 16));
        for pair in writes.windows(2) {
            assert!(pair[1].0 >= pair[0].0 + Duration::from_millis(20), "waited for the line");
        }
        assert!(*checks.lock().unwrap() > writes.len());
    }

    #[test]
    fn a_busy_line_stuck_high_times_out() {
        let clock = VirtualClock::new();
        let (link, wire) = FakeLink::new(&clock);
        let line = SimulatedBusyLine {
            clock: clock.clone(),
            wire,
            busy_for: Duration::ZERO,
            stuck: true,
            checks: Arc::new(Mutex::new(0)),
        };
        let mut p = SerialPrinter::with_link(
            "/dev/fake",
            Box::new(link),
            Box::new(clock.clone()),
            SerialOptions::default(),
        )
        .with_busy_line(Box::new(line));
        let err = p.send("t", b"\x1B@A\n").expect_err("stuck");
        assert!(matches!(err, PrintError::Timeout { sent: 0, .. }), "{err}");
        assert!(clock.now() < Duration::from_secs(3), "{:?}", clock.now());
    }

    #[test]
    fn rearm_handshake_does_not_touch_raster_data() {
        // 0x1B 0x40 inside an image is data, not ESC @.
        let job = [GS, b'v', b'0', 0, 2, 0, 1, 0, ESC, b'@'];
        assert_eq!(rearm_handshake(&job), job);
        assert_eq!(rearm_handshake(b"\x1B@A"), b"\x1B@\x1Da\x20A");
    }

    #[test]
    fn describes_port_speed_and_pacing() {
        let (p, _, _) = printer(SerialOptions::default());
        assert_eq!(p.describe(), "thermal printer on /dev/fake at 19200 Bd (paced by the time model)");
    }
}
