//! The desks' physical "call next" buttons and their lamps, on the Raspberry Pi's GPIO.
//!
//! This module owns debouncing (a pure [`Debouncer`] fed with timestamps, tested on bouncing
//! edge lists), reading the buttons through rppal ([`start_gpio_buttons`], which sends a
//! [`ButtonPress`] per real press into a channel) and switching the desk lamps ([`DeskLamp`],
//! with [`DeskLeds`] on the GPIO and [`SimulatedLamps`] for tests and laptops). It must not call
//! into the queue: the GPIO callbacks only feed the debouncer and `try_send`, they never block;
//! whoever reads the channel calls the next visitor and decides when a lamp is lit (while the
//! desk has a called ticket) or blinks (a visitor with an appointment checked in for the desk;
//! [`drive_lamps`] does both from the signals it is sent). rppal is retired upstream, so it stays inside this file.
//!
//! # Wiring (Raspberry Pi 40-pin header, BCM numbers)
//! * Button: one leg to the GPIO, the other to any GND pin (e.g. pin 6, 9, 14, 20, 25, 30, 34,
//!   39). No resistor: the Pi's internal pull-up keeps the input high, a press pulls it low
//!   (active low). A loose wire therefore reads "released", never a stream of presses.
//! * Lamp (LED): GPIO → 330 Ω resistor → LED anode (long leg); cathode (short leg) → GND. That
//!   is about 4 mA at 3.3 V, well within a GPIO's limit. For a brighter lamp or one far away,
//!   drive it through a transistor or a relay module and its own supply, never from a GPIO.
//! * Free pins on a kiosk with the serial printer: GPIO4, 5, 6, 12, 13, 16, 17, 19, 20, 21,
//!   22, 23, 24, 25, 26, 27 (leave out the one used as the printer's busy line). Avoid GPIO14/15
//!   (UART: the printer), GPIO2/3 (I²C, with fixed 1.8 kΩ pull-ups on the board), GPIO0/1 (HAT
//!   EEPROM) and GPIO7–11 (SPI) if a display or HAT uses them.
//! * Cables of several metres act as antennas: use twisted pair (signal with GND) and keep them
//!   away from mains cables. Debouncing ignores short spikes, not a constant hum.
//!
//! # How a press is recognised
//! Every edge (both directions) is fed to the pin's [`Debouncer`] from rppal's interrupt
//! thread, and a poll thread feeds the pin's actual level every [`POLL_INTERVAL`], so a press
//! is confirmed [`DEFAULT_SETTLE`] after its last bounce even when no edge follows, and an
//! edge the kernel reported with a stale level is corrected. A press counts once, when the
//! input has been stable low for the settle time after being released; holding the button
//! sends nothing more, and a second press within [`DEFAULT_MIN_INTERVAL`] of the last counted
//! one is ignored, so a nervous double press does not call two visitors. A button held (or a
//! wire shorted to GND) when the kiosk starts counts only after it has been released.
//!
//! # Troubleshooting
//! * [`ButtonError::Unavailable`] "Unknown Raspberry Pi model": not running on a Pi (use the
//!   simulated side), or a Pi model newer than rppal 0.22 knows. "Permission denied": add the
//!   kiosk's user to the `gpio` group and log in again.
//! * [`ButtonError::Pin`] "already in use": two desks (or a button and a lamp, or the printer's
//!   busy line) share a pin, or another program (a `gpio-keys` / `gpio-led` overlay in
//!   `config.txt`) claimed it.
//! * A press calls nothing: check with `pinctrl get 17` (Bookworm; `raspi-gpio get 17` before)
//!   that the level goes from `hi` to `lo` while pressed; if it stays `lo`, the button is wired
//!   to 3.3 V instead of GND, or is a "normally closed" type.
//! * Presses are missed: lower the settle time (a press must be held that long), or the button
//!   is worn and bounces longer than the settle time (raise it).
//! * Presses are dropped with a warning in the log: the channel was full because the reader
//!   is stuck; presses are never queued without bound.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long the input must stay at a new level before it counts.
pub const DEFAULT_SETTLE: Duration = Duration::from_millis(30);
/// The shortest time between two counted presses of one button.
pub const DEFAULT_MIN_INTERVAL: Duration = Duration::from_secs(1);
/// How often the poll thread reads the buttons' levels.
pub const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// The state of a button's contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Pressed,
    Released,
}

/// A counted press.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Press {
    /// When the press began: the last edge before the input stayed pressed.
    pub at: Duration,
}

/// Debounces one button. Pure: it is told the time (monotonic, since some fixed start) with
/// every call, and never reads a clock or sleeps.
#[derive(Debug, Clone)]
pub struct Debouncer {
    settle: Duration,
    min_interval: Duration,
    /// The level as last fed, and since when.
    raw: Level,
    raw_since: Duration,
    /// The debounced level.
    stable: Level,
    last_press: Option<Duration>,
    /// The latest time seen; earlier times are taken as this one.
    now: Duration,
}

impl Debouncer {
    /// A released button; a press counts after `settle` of stable contact, with no minimum
    /// interval between presses (see [`Debouncer::with_min_interval`]).
    pub fn new(settle: Duration) -> Debouncer {
        Debouncer {
            settle,
            min_interval: Duration::ZERO,
            raw: Level::Released,
            raw_since: Duration::ZERO,
            stable: Level::Released,
            last_press: None,
            now: Duration::ZERO,
        }
    }

    /// Ignores presses that begin less than `min_interval` after the last counted one.
    pub fn with_min_interval(mut self, min_interval: Duration) -> Debouncer {
        self.min_interval = min_interval;
        self
    }

    /// Takes `level` as the button's settled state at `at` (its state when the kiosk starts):
    /// a button already held then counts only after it has been released.
    pub fn starting(mut self, level: Level, at: Duration) -> Debouncer {
        self.raw = level;
        self.stable = level;
        self.raw_since = at;
        self.now = at;
        self
    }

    /// The debounced level.
    pub fn level(&self) -> Level {
        self.stable
    }

    /// The input is at `level` from `at` on (an edge, or a level read by polling). Feeding the
    /// level it already has is the same as [`Debouncer::tick`]. A time earlier than one
    /// already seen is taken as that one.
    pub fn feed(&mut self, level: Level, at: Duration) -> Option<Press> {
        // A change that settled before this edge is confirmed first (no poll may have come).
        let settled = self.tick(at);
        if level != self.raw {
            self.raw = level;
            self.raw_since = self.now;
        }
        settled.or_else(|| self.tick(at))
    }

    /// No edge until `at`: confirms a level that has now been stable for the settle time.
    pub fn tick(&mut self, at: Duration) -> Option<Press> {
        self.now = self.now.max(at);
        if self.raw == self.stable || self.now.saturating_sub(self.raw_since) < self.settle {
            return None;
        }
        self.stable = self.raw;
        if self.stable == Level::Released {
            return None;
        }
        let began = self.raw_since;
        if self.last_press.is_some_and(|last| began.saturating_sub(last) < self.min_interval) {
            log::debug!("button pressed again within {:?}: ignored", self.min_interval);
            return None;
        }
        self.last_press = Some(began);
        Some(Press { at: began })
    }
}

/// A desk's button was pressed: call its next visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonPress {
    /// The desk's id, as given to [`start_gpio_buttons`].
    pub desk: String,
}

/// Why the desk buttons or lamps cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ButtonError {
    #[error("cannot open the GPIO for {pins}: {reason} ({hint})")]
    Unavailable { pins: String, reason: String, hint: &'static str },
    #[error("cannot use GPIO{pin} for the {role} of desk {desk:?}: {reason}")]
    Pin { desk: String, role: Role, pin: u8, reason: String },
    #[error("GPIO{pin} is given twice: for desk {first:?} and for desk {second:?}")]
    DuplicatePin { pin: u8, first: String, second: String },
    #[error("GPIO{pin} (the {role} of desk {desk:?}) is the printer's UART (GPIO14 TX, GPIO15 RX)")]
    UartPin { desk: String, role: Role, pin: u8 },
    #[error("cannot start the thread that polls the desk buttons: {0}")]
    Thread(#[source] std::io::Error),
}

/// What a desk's pin is for, in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Button,
    Lamp,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Button => "button",
            Role::Lamp => "lamp",
        })
    }
}

/// Checks a desk → pin list before any hardware is touched.
fn check_pins(pins: &[(String, u8)], role: Role) -> Result<(), ButtonError> {
    for (i, (desk, pin)) in pins.iter().enumerate() {
        if matches!(pin, 14 | 15) {
            return Err(ButtonError::UartPin { desk: desk.clone(), role, pin: *pin });
        }
        if matches!(pin, 2 | 3) {
            log::warn!("GPIO{pin} ({role} of desk {desk}) is an I²C pin with a fixed pull-up on the board");
        }
        if let Some((first, _)) = pins[..i].iter().find(|(_, p)| p == pin) {
            return Err(ButtonError::DuplicatePin { pin: *pin, first: first.clone(), second: desk.clone() });
        }
    }
    Ok(())
}

/// "GPIO17 (button of desk-1), GPIO27 (button of desk-2)", for error messages.
fn describe_pins(pins: &[(String, u8)], role: Role) -> String {
    pins.iter().map(|(desk, pin)| format!("GPIO{pin} ({role} of {desk})")).collect::<Vec<_>>().join(", ")
}

fn open_gpio(pins: &[(String, u8)], role: Role) -> Result<rppal::gpio::Gpio, ButtonError> {
    rppal::gpio::Gpio::new().map_err(|e| {
        let hint = match e {
            rppal::gpio::Error::UnknownModel => {
                "not a Raspberry Pi, or a model rppal 0.22 does not know: use the simulated side"
            }
            rppal::gpio::Error::PermissionDenied(_) => "add the kiosk's user to the `gpio` group",
            _ => "is /dev/gpiomem or /dev/gpiochip0 there?",
        };
        ButtonError::Unavailable { pins: describe_pins(pins, role), reason: e.to_string(), hint }
    })
}

fn take_pin(
    gpio: &rppal::gpio::Gpio,
    desk: &str,
    pin: u8,
    role: Role,
) -> Result<rppal::gpio::Pin, ButtonError> {
    gpio.get(pin).map_err(|e| ButtonError::Pin { desk: desk.to_owned(), role, pin, reason: e.to_string() })
}

/// One button's debouncer and where its presses go; shared by the interrupt and poll threads.
struct ButtonState {
    desk: String,
    debouncer: Mutex<Debouncer>,
    /// The same start for every timestamp of this button.
    origin: Instant,
    send: SyncSender<ButtonPress>,
}

impl ButtonState {
    /// Feeds `level` now and passes a press on without blocking.
    fn feed(&self, level: Level) {
        let press = {
            let mut debouncer = self.debouncer.lock().unwrap_or_else(|e| e.into_inner());
            // Read the time inside the lock, so the two threads feed in time order.
            debouncer.feed(level, self.origin.elapsed())
        };
        if press.is_some() {
            match self.send.try_send(ButtonPress { desk: self.desk.clone() }) {
                Ok(()) => log::debug!("button of desk {} pressed", self.desk),
                Err(TrySendError::Full(_)) => {
                    log::warn!(
                        "button of desk {} pressed, but earlier presses are not handled yet: dropped",
                        self.desk
                    )
                }
                Err(TrySendError::Disconnected(_)) => {
                    log::debug!("button of desk {} pressed after shutdown", self.desk)
                }
            }
        }
    }
}

fn button_level(level: rppal::gpio::Level) -> Level {
    // Active low: the button pulls the input to GND.
    match level {
        rppal::gpio::Level::Low => Level::Pressed,
        rppal::gpio::Level::High => Level::Released,
    }
}

/// The desk buttons, read until this is dropped.
pub struct GpioButtons {
    pins: Vec<(String, u8)>,
    stop: Arc<AtomicBool>,
    poller: Option<JoinHandle<()>>,
}

impl fmt::Debug for GpioButtons {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GpioButtons").field("pins", &self.pins).finish()
    }
}

impl GpioButtons {
    /// E.g. "desk buttons on GPIO17 (button of desk-1), GPIO27 (button of desk-2)".
    pub fn describe(&self) -> String {
        format!("desk buttons on {}", describe_pins(&self.pins, Role::Button))
    }
}

impl Drop for GpioButtons {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(poller) = self.poller.take() {
            // The poll thread owns the pins: dropping them stops their interrupt threads and
            // gives the pins back as inputs.
            let _ = poller.join();
        }
    }
}

/// Starts reading the desk buttons: `buttons` are (desk id, BCM GPIO) pairs, each wired to GND
/// (input with pull-up, active low). Every counted press (see [`Debouncer`]; `settle` and
/// `min_interval` as there) is `try_send`-ed into `send`; when the channel is full the press
/// is dropped with a warning. Fails without panicking when the GPIO cannot be used, naming
/// the pins. Reading stops when the returned [`GpioButtons`] is dropped.
pub fn start_gpio_buttons(
    buttons: Vec<(String, u8)>,
    settle: Duration,
    min_interval: Duration,
    send: SyncSender<ButtonPress>,
) -> Result<GpioButtons, ButtonError> {
    check_pins(&buttons, Role::Button)?;
    let gpio = open_gpio(&buttons, Role::Button)?;
    let origin = Instant::now();
    let mut inputs = Vec::with_capacity(buttons.len());
    for (desk, bcm) in &buttons {
        let mut pin = take_pin(&gpio, desk, *bcm, Role::Button)?.into_input_pullup();
        let level = button_level(pin.read());
        if level == Level::Pressed {
            log::warn!(
                "the button of desk {desk} (GPIO{bcm}) reads pressed at start: held, wired to GND \
                 permanently, or not a normally-open button; it counts once released"
            );
        }
        let state = Arc::new(ButtonState {
            desk: desk.clone(),
            debouncer: Mutex::new(
                Debouncer::new(settle).with_min_interval(min_interval).starting(level, origin.elapsed()),
            ),
            origin,
            send: send.clone(),
        });
        let on_edge = state.clone();
        pin.set_async_interrupt(rppal::gpio::Trigger::Both, None, move |event| {
            let level = match event.trigger {
                rppal::gpio::Trigger::FallingEdge => Level::Pressed,
                rppal::gpio::Trigger::RisingEdge => Level::Released,
                // Not reported for Trigger::Both; the poll reads the level.
                _ => return,
            };
            on_edge.feed(level);
        })
        .map_err(|e| ButtonError::Pin {
            desk: desk.clone(),
            role: Role::Button,
            pin: *bcm,
            reason: e.to_string(),
        })?;
        inputs.push((pin, state));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let poller = std::thread::Builder::new()
        .name("desk-buttons".into())
        .spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                std::thread::sleep(POLL_INTERVAL);
                for (pin, state) in &inputs {
                    state.feed(button_level(pin.read()));
                }
            }
        })
        .map_err(ButtonError::Thread)?;
    log::info!("desk buttons on {}", describe_pins(&buttons, Role::Button));
    Ok(GpioButtons { pins: buttons, stop, poller: Some(poller) })
}

/// The desks' lamps: lit while the desk has a called ticket (the caller decides when).
pub trait DeskLamp: Send {
    /// Switches the lamp of `desk` on or off; a desk without a lamp is ignored.
    fn set(&mut self, desk: &str, on: bool);
}

/// Lamps (LEDs) on GPIO outputs, active high. They go off, and the pins back to inputs, when
/// this is dropped.
pub struct DeskLeds {
    leds: Vec<(String, rppal::gpio::OutputPin)>,
}

impl fmt::Debug for DeskLeds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pins: Vec<(&str, u8)> = self.leds.iter().map(|(desk, pin)| (desk.as_str(), pin.pin())).collect();
        f.debug_struct("DeskLeds").field("leds", &pins).finish()
    }
}

impl DeskLeds {
    /// Opens `leds`, (desk id, BCM GPIO) pairs, as outputs, all off.
    pub fn open(leds: Vec<(String, u8)>) -> Result<DeskLeds, ButtonError> {
        check_pins(&leds, Role::Lamp)?;
        let gpio = open_gpio(&leds, Role::Lamp)?;
        let mut out = Vec::with_capacity(leds.len());
        for (desk, bcm) in leds {
            let pin = take_pin(&gpio, &desk, bcm, Role::Lamp)?.into_output_low();
            out.push((desk, pin));
        }
        Ok(DeskLeds { leds: out })
    }

    /// Switches the lamp of `desk` on or off; a desk without a lamp is ignored.
    pub fn set(&mut self, desk: &str, on: bool) {
        let mut found = false;
        for (_, pin) in self.leds.iter_mut().filter(|(d, _)| d == desk) {
            found = true;
            if on { pin.set_high() } else { pin.set_low() }
        }
        if !found {
            log::debug!("desk {desk} has no lamp");
        }
    }
}

impl DeskLamp for DeskLeds {
    fn set(&mut self, desk: &str, on: bool) {
        DeskLeds::set(self, desk, on);
    }
}

/// Lamps that only record their states (tests, a laptop). Clones share the record.
#[derive(Debug, Clone, Default)]
pub struct SimulatedLamps {
    record: Arc<Mutex<LampRecord>>,
}

#[derive(Debug, Default)]
struct LampRecord {
    on: Vec<String>,
    changes: Vec<(String, bool)>,
}

impl SimulatedLamps {
    pub fn new() -> SimulatedLamps {
        SimulatedLamps::default()
    }

    /// Whether the lamp of `desk` is lit.
    pub fn is_on(&self, desk: &str) -> bool {
        self.record.lock().unwrap_or_else(|e| e.into_inner()).on.iter().any(|d| d == desk)
    }

    /// Every `set` so far, in order.
    pub fn changes(&self) -> Vec<(String, bool)> {
        self.record.lock().unwrap_or_else(|e| e.into_inner()).changes.clone()
    }
}

impl DeskLamp for SimulatedLamps {
    fn set(&mut self, desk: &str, on: bool) {
        let mut record = self.record.lock().unwrap_or_else(|e| e.into_inner());
        record.on.retain(|d| d != desk);
        if on {
            record.on.push(desk.to_owned());
        }
        record.changes.push((desk.to_owned(), on));
    }
}

/// How a lamp blinks to tell a desk that a visitor with an appointment has checked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Blink {
    /// How many times the lamp goes on and off.
    pub times: u32,
    /// One on-and-off; the lamp is on for half of it.
    pub period: Duration,
}

impl Default for Blink {
    /// Five times in 2.5 s: seen from the desk, too short to be taken for a call.
    fn default() -> Blink {
        Blink { times: 5, period: Duration::from_millis(500) }
    }
}

/// What the lamps are told by the help point's listeners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LampSignal {
    /// The queue changed: each lamp shows again whether its desk has a called ticket.
    QueueChanged,
    /// Blink these desks' lamps (a visitor with an appointment checked in for them).
    Blink(Vec<String>),
}

/// Drives `lamps` until `signals` ends: after every signal each desk's lamp is set to
/// `busy(desk)` (lit while it has a called ticket); a [`LampSignal::Blink`] first blinks the
/// desks it names that have a lamp, then sets them back. Signals that arrive during a blink
/// are handled after it.
pub fn drive_lamps(
    lamps: &mut dyn DeskLamp,
    desks: &[String],
    signals: &std::sync::mpsc::Receiver<LampSignal>,
    blink: Blink,
    busy: &dyn Fn(&str) -> bool,
) {
    let half = blink.period / 2;
    let show = |lamps: &mut dyn DeskLamp| {
        for desk in desks {
            lamps.set(desk, busy(desk));
        }
    };
    show(lamps);
    while let Ok(signal) = signals.recv() {
        if let LampSignal::Blink(asked) = signal {
            let blinking: Vec<&String> = desks.iter().filter(|d| asked.contains(d)).collect();
            for _ in 0..if blinking.is_empty() { 0 } else { blink.times } {
                for on in [true, false] {
                    for desk in &blinking {
                        lamps.set(desk, on);
                    }
                    std::thread::sleep(half);
                }
            }
        }
        show(lamps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn desks(names: &[&str]) -> Vec<String> {
        names.iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn a_check_in_blinks_the_desks_lamp_then_it_shows_the_desk_again() {
        let mut lamps = SimulatedLamps::new();
        let (send, signals) = std::sync::mpsc::channel();
        send.send(LampSignal::Blink(desks(&["desk-2"]))).unwrap();
        drop(send);
        let blink = Blink { times: 3, period: ms(2) };
        // desk-2 has a called ticket: its lamp ends lit; desk-1 is idle and never blinks.
        drive_lamps(&mut lamps, &desks(&["desk-1", "desk-2"]), &signals, blink, &|d| d == "desk-2");
        let desk_2: Vec<bool> =
            lamps.changes().into_iter().filter(|(d, _)| d == "desk-2").map(|(_, on)| on).collect();
        // Shown at start, three on-off blinks, shown again after.
        assert_eq!(desk_2, [true, true, false, true, false, true, false, true]);
        assert!(lamps.changes().iter().filter(|(d, _)| d == "desk-1").all(|(_, on)| !on));
        assert!(lamps.is_on("desk-2"));
        assert!(!lamps.is_on("desk-1"));
    }

    #[test]
    fn a_blink_for_a_desk_without_a_lamp_changes_nothing_and_queue_changes_are_shown() {
        let mut lamps = SimulatedLamps::new();
        let (send, signals) = std::sync::mpsc::channel();
        send.send(LampSignal::Blink(desks(&["desk-9"]))).unwrap();
        send.send(LampSignal::QueueChanged).unwrap();
        drop(send);
        let busy = std::cell::Cell::new(false);
        let blink = Blink { times: 5, period: ms(2) };
        let seen = |_: &str| {
            let now = busy.get();
            busy.set(true);
            now
        };
        drive_lamps(&mut lamps, &desks(&["desk-1"]), &signals, blink, &seen);
        assert_eq!(
            lamps.changes(),
            [("desk-1".into(), false), ("desk-1".into(), true), ("desk-1".into(), true)]
        );
    }

    fn debouncer() -> Debouncer {
        Debouncer::new(DEFAULT_SETTLE).with_min_interval(DEFAULT_MIN_INTERVAL)
    }

    /// Feeds `edges` (ms, level) in order and ticks every 10 ms between them (as the poll
    /// thread does) and until `end` ms; returns the start times of the counted presses in ms.
    fn run(d: &mut Debouncer, edges: &[(u64, Level)], end: u64) -> Vec<u64> {
        let mut presses = Vec::new();
        let mut next_tick = 0;
        let mut record = |p: Option<Press>| presses.extend(p.map(|p| p.at.as_millis() as u64));
        for &(at, level) in edges {
            while next_tick < at {
                record(d.tick(ms(next_tick)));
                next_tick += 10;
            }
            record(d.feed(level, ms(at)));
        }
        while next_tick <= end {
            record(d.tick(ms(next_tick)));
            next_tick += 10;
        }
        presses
    }

    /// A bounce of `length` ms at `at`: the contact flips every ms and ends at `level`.
    fn bounce(at: u64, length: u64, level: Level) -> Vec<(u64, Level)> {
        let other = if level == Level::Pressed { Level::Released } else { Level::Pressed };
        (0..=length).map(|i| (at + i, if (length - i).is_multiple_of(2) { level } else { other })).collect()
    }

    use Level::{Pressed, Released};

    #[test]
    fn a_clean_press_counts_once_after_the_settle_time() {
        let mut d = debouncer();
        assert_eq!(d.feed(Pressed, ms(100)), None);
        assert_eq!(d.tick(ms(129)), None, "not yet settled");
        assert_eq!(d.tick(ms(130)), Some(Press { at: ms(100) }));
        assert_eq!(d.level(), Pressed);
        assert_eq!(d.tick(ms(140)), None);
        assert_eq!(run(&mut d, &[(300, Released)], 1000), Vec::<u64>::new());
        assert_eq!(d.level(), Released);
    }

    #[test]
    fn five_ms_of_bounce_on_press_and_release_give_one_press() {
        let mut d = debouncer();
        let mut edges = bounce(100, 5, Pressed);
        edges.extend(bounce(400, 5, Released));
        assert_eq!(edges.len(), 12);
        assert_eq!(run(&mut d, &edges, 2000), vec![105]);
        assert_eq!(d.level(), Released);
    }

    #[test]
    fn a_spike_shorter_than_the_settle_time_is_no_press() {
        let mut d = debouncer();
        assert_eq!(run(&mut d, &[(100, Pressed), (110, Released)], 1000), Vec::<u64>::new());
        // A bouncing 10 ms spike neither.
        let mut edges = bounce(2000, 3, Pressed);
        edges.extend(bounce(2010, 3, Released));
        assert_eq!(run(&mut d, &edges, 3000), Vec::<u64>::new());
        assert_eq!(d.level(), Released);
    }

    #[test]
    fn holding_for_ten_seconds_is_one_press() {
        let mut d = debouncer();
        assert_eq!(run(&mut d, &[(100, Pressed), (10_100, Released)], 12_000), vec![100]);
        // Release glitches while held do not press again either.
        let mut d = debouncer();
        let edges = [(100, Pressed), (3000, Released), (3008, Pressed), (7000, Released), (7020, Pressed)];
        assert_eq!(run(&mut d, &edges, 12_000), vec![100]);
        assert_eq!(d.level(), Pressed);
    }

    #[test]
    fn two_presses_300_ms_apart_are_one_press() {
        let mut d = debouncer();
        let edges = [(100, Pressed), (200, Released), (400, Pressed), (500, Released)];
        assert_eq!(run(&mut d, &edges, 2000), vec![100]);
    }

    #[test]
    fn two_presses_2_s_apart_are_two_presses() {
        let mut d = debouncer();
        let mut edges = bounce(100, 5, Pressed);
        edges.extend(bounce(250, 5, Released));
        edges.extend(bounce(2100, 5, Pressed));
        edges.extend(bounce(2250, 5, Released));
        assert_eq!(run(&mut d, &edges, 4000), vec![105, 2105]);
    }

    #[test]
    fn the_interval_counts_from_the_last_counted_press() {
        // Presses every 300 ms: 0, 300, 600, 900 are one; 1200 is 1.2 s after the first.
        let mut d = debouncer();
        let edges: Vec<(u64, Level)> =
            (0..5).flat_map(|i| [(100 + 300 * i, Pressed), (200 + 300 * i, Released)]).collect();
        assert_eq!(run(&mut d, &edges, 3000), vec![100, 1300]);
    }

    #[test]
    fn without_polling_the_next_edge_confirms_a_settled_press() {
        let mut d = debouncer();
        assert_eq!(d.feed(Pressed, ms(100)), None);
        assert_eq!(d.feed(Released, ms(400)), Some(Press { at: ms(100) }));
        assert_eq!(d.feed(Pressed, ms(403)), None);
        assert_eq!(d.feed(Released, ms(405)), None);
        assert_eq!(d.tick(ms(5000)), None);
    }

    #[test]
    fn feeding_the_same_level_again_does_not_restart_the_settle_time() {
        let mut d = debouncer();
        assert_eq!(d.feed(Pressed, ms(100)), None);
        assert_eq!(d.feed(Pressed, ms(120)), None);
        assert_eq!(d.feed(Pressed, ms(130)), Some(Press { at: ms(100) }));
    }

    #[test]
    fn time_going_back_is_taken_as_the_latest_time() {
        let mut d = debouncer();
        assert_eq!(d.tick(ms(500)), None);
        assert_eq!(d.feed(Pressed, ms(100)), None);
        assert_eq!(d.tick(ms(520)), None, "the press began at 500, not 100");
        assert_eq!(d.tick(ms(530)), Some(Press { at: ms(500) }));
    }

    #[test]
    fn a_button_held_at_start_counts_only_after_release() {
        let mut d = debouncer().starting(Pressed, ms(0));
        assert_eq!(run(&mut d, &[], 5000), Vec::<u64>::new());
        assert_eq!(run(&mut d, &[(5100, Released), (5500, Pressed)], 6000), vec![5500]);
    }

    #[test]
    fn a_settle_time_of_zero_counts_at_once() {
        let mut d = Debouncer::new(Duration::ZERO);
        assert_eq!(d.feed(Pressed, ms(1)), Some(Press { at: ms(1) }));
        assert_eq!(d.feed(Released, ms(2)), None);
        assert_eq!(d.feed(Pressed, ms(3)), Some(Press { at: ms(3) }), "no minimum interval by default");
    }

    #[test]
    fn pins_are_checked_before_the_hardware() {
        let (send, _recv) = std::sync::mpsc::sync_channel(4);
        let err = start_gpio_buttons(
            vec![("desk-1".into(), 17), ("desk-2".into(), 17)],
            DEFAULT_SETTLE,
            DEFAULT_MIN_INTERVAL,
            send.clone(),
        )
        .expect_err("duplicate");
        assert_eq!(err.to_string(), "GPIO17 is given twice: for desk \"desk-1\" and for desk \"desk-2\"");
        let err = start_gpio_buttons(vec![("desk-1".into(), 14)], DEFAULT_SETTLE, DEFAULT_MIN_INTERVAL, send)
            .expect_err("UART");
        assert!(matches!(err, ButtonError::UartPin { pin: 14, .. }), "{err}");
        let err = DeskLeds::open(vec![("desk-2".into(), 15)]).expect_err("UART");
        assert_eq!(
            err.to_string(),
            "GPIO15 (the lamp of desk \"desk-2\") is the printer's UART (GPIO14 TX, GPIO15 RX)"
        );
    }

    /// Off a Raspberry Pi, rppal cannot identify the model: a clear error naming the pins,
    /// no panic. (On a Pi the pins open; then there is nothing to check here.)
    #[test]
    fn without_a_pi_the_error_names_the_pins() {
        let (send, _recv) = std::sync::mpsc::sync_channel(4);
        let buttons = vec![("desk-1".into(), 17), ("desk-2".into(), 27)];
        match start_gpio_buttons(buttons, DEFAULT_SETTLE, DEFAULT_MIN_INTERVAL, send) {
            Ok(buttons) => assert!(buttons.describe().contains("GPIO27 (button of desk-2)")),
            Err(err) => {
                let text = err.to_string();
                assert!(matches!(err, ButtonError::Unavailable { .. }), "{text}");
                assert!(
                    text.starts_with(
                        "cannot open the GPIO for GPIO17 (button of desk-1), GPIO27 (button of desk-2): "
                    ),
                    "{text}"
                );
                if let ButtonError::Unavailable { reason, .. } = &err
                    && reason == "Unknown Raspberry Pi model"
                {
                    let hint =
                        "(not a Raspberry Pi, or a model rppal 0.22 does not know: use the simulated side)";
                    assert!(text.ends_with(hint), "{text}");
                }
            }
        }
        match DeskLeds::open(vec![("desk-1".into(), 22)]) {
            Ok(mut leds) => leds.set("desk-1", false),
            Err(err) => assert!(err.to_string().contains("GPIO22 (lamp of desk-1)"), "{err}"),
        }
    }

    #[test]
    fn simulated_lamps_record_their_states() {
        let lamps = SimulatedLamps::new();
        let mut lamp: Box<dyn DeskLamp> = Box::new(lamps.clone());
        lamp.set("desk-1", true);
        lamp.set("desk-2", true);
        lamp.set("desk-1", false);
        assert!(!lamps.is_on("desk-1"));
        assert!(lamps.is_on("desk-2"));
        assert_eq!(
            lamps.changes(),
            [("desk-1".to_owned(), true), ("desk-2".to_owned(), true), ("desk-1".to_owned(), false)]
        );
    }
}
