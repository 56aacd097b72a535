//! Sets a kiosk up from its config: the data directory, the store, the queue, the printer, and
//! the desks' peripherals (call buttons, lamps, the voice that announces calls). The store is
//! told the boot and the clock's state its events come from, and the outbox's bound.
//!
//! Shared by `loket run`, the tests and the screenshot generator, so they all run the same
//! parts. It must not start any window; the threads it starts only hand work on.

use std::path::Path;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use anyhow::Context;

use crate::appointment::{AppointmentEvent, AppointmentEventKind};
use crate::clock::Clock;
use crate::content::Pack;
use crate::desk_buttons::{self, ButtonPress, DeskLeds, GpioButtons, LampSignal};
use crate::queue::{EventKind, Queue};
use crate::speech::{Announcer, AnnouncerOptions, EspeakSpeaker, Reader, SimulatedSpeaker, Speaker};

use crate::config::{self, Config, SerialPrinterSettings};
use crate::help_point::{HelpPoint, learning_rules, queue_rules};
use crate::owner::{HelpPointHandle, HelpPointOwner};
use crate::print_queue::{OnState, PrintQueue};
use crate::printer::{FilePrinter, PrinterModel, ReopeningSerialPrinter, SerialOptions, Transport};
use crate::report::clock::KernelClockSync;
use crate::report::health::Machine;
use crate::store::{Origin, Store};

/// The store's file name inside the data directory.
pub const STORE_FILE: &str = "loket.sqlite";

/// What the screens need from the rest of the kiosk.
pub struct KioskParts {
    pub config: Arc<Config>,
    /// How the screens (and anyone else) reach the help point.
    pub help_point: HelpPointHandle,
    /// The thread that owns the help point; dropping it finishes its commands and closes the
    /// store. Kept by whoever runs the kiosk, until the very end.
    pub owner: HelpPointOwner,
    /// `None` runs without a printer (the ticket screen then says so).
    pub printer: Option<PrintQueue>,
    /// Desk buttons, lamps and the announcer; kept running as long as the kiosk.
    pub peripherals: Peripherals,
    /// The logo printed on tickets, if the config has one that could be read.
    pub logo: Option<crate::printer::Bitmap>,
    /// Tutorials and screening exercises; `None` when the pack could not be loaded (the kiosk
    /// then only gives tickets).
    pub content: Option<Arc<Pack>>,
    /// Reads lesson instructions aloud.
    pub reader: Option<crate::speech::Reader>,
    /// Speaks the visitor screens' guidance.
    pub guide: Option<crate::guidance::Guide>,
}

/// Opens everything a kiosk needs, as its config says.
pub fn kiosk_parts(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<KioskParts> {
    let data_dir = config.kiosk.data_dir.clone();
    std::fs::create_dir_all(&data_dir).with_context(|| {
        format!("cannot create the data directory {} (kiosk.data_dir)", data_dir.display())
    })?;
    let store_path = data_dir.join(STORE_FILE);
    let mut store = Store::open(&store_path)?;
    log::info!("store {} is open", store_path.display());
    // Each event records the boot and whether the clock was synchronised, for the central system.
    let boot_id = Machine::real().boot_id().unwrap_or_else(|| "unknown".into());
    store.set_origin(Origin { boot_id, clock: Arc::new(KernelClockSync) });
    store.set_outbox_max(config.report.outbox_max_events);
    let mut help_point = HelpPoint::open(queue_rules(&config), store, clock)?;
    help_point.set_learning_rules(learning_rules(&config));
    help_point.set_appointment_rules(crate::help_point::appointment_rules(&config));
    let owner = HelpPointOwner::start(help_point).context("cannot start the help point's thread")?;
    let help_point = owner.handle();
    let transport = printer_transport(&config);
    log::info!("printer: {}", transport.describe());
    let states = help_point.clone();
    let on_state: OnState = Box::new(move |state, detail| {
        let (state, detail) = (state.to_owned(), detail.to_owned());
        let sent = states.send(move |help_point| {
            match help_point.device_state_changed("printer", &state, &detail) {
                Ok(true) if state == "ready" => log::info!("printer: ready"),
                Ok(true) => log::warn!("printer: {state}: {detail}"),
                Ok(false) => {}
                Err(e) => log::error!("printer state {state} not stored: {e}"),
            }
        });
        if sent.is_err() {
            log::warn!("printer state not stored: the help point has stopped");
        }
    });
    let printer = Some(PrintQueue::start(transport, on_state));
    start_desk_lamps(&config, &help_point);
    // The real voice when asked for and installed; otherwise a simulated one we keep a handle on.
    // The announcer and the lesson reader each get their own (they speak independently).
    let (speaker, simulated_speech): (Box<dyn Speaker>, _) = match config.speech {
        config::Speech::EspeakNg if EspeakSpeaker::available() => (Box::new(EspeakSpeaker::new()), None),
        engine => {
            if engine == config::Speech::EspeakNg {
                log::warn!(
                    "speech.engine = \"espeak-ng\" but espeak-ng is not installed: calls are not spoken"
                );
            }
            let simulated = SimulatedSpeaker::new();
            (Box::new(simulated.clone()), Some(simulated))
        }
    };
    let reader_voice: Box<dyn Speaker> = match &simulated_speech {
        Some(simulated) => Box::new(simulated.clone()),
        None => Box::new(EspeakSpeaker::new()),
    };
    let reader = Reader::start(reader_voice)
        .map_err(|e| log::error!("lesson instructions will not be read aloud: {e}"))
        .ok();
    let guide = start_guide(&config, simulated_speech.as_ref());
    let content = load_content(&config);
    let peripherals = Peripherals {
        _announcer: start_announcer(&config, &help_point, speaker),
        _buttons: start_desk_buttons(&config, &help_point),
        simulated_speech,
    };
    let logo = config.ticket.logo.as_deref().and_then(|path| match crate::printer::load_logo(path) {
        Ok(logo) => Some(logo),
        Err(e) => {
            log::error!("ticket.logo: {e}; tickets show the site name instead");
            None
        }
    });
    Ok(KioskParts {
        config: Arc::new(config),
        help_point,
        owner,
        printer,
        peripherals,
        logo,
        content,
        reader,
        guide,
    })
}

/// The voice of the visitor screens: its own speaker (it may speak while a call is announced),
/// with the help point's voice packs.
fn start_guide(config: &Config, simulated: Option<&SimulatedSpeaker>) -> Option<crate::guidance::Guide> {
    let speaker: Box<dyn Speaker> = match simulated {
        Some(simulated) => Box::new(simulated.clone()),
        None => Box::new(EspeakSpeaker::new()),
    };
    let packs = match &config.spoken_guidance.voice_packs {
        Some(dir) => crate::voice_pack::load_all(dir),
        None => Default::default(),
    };
    crate::guidance::Guide::start(crate::guidance::Voices::new(speaker, packs))
        .map_err(|e| log::error!("the screens will not be spoken: {e}"))
        .ok()
}

/// Loads the content pack of `learning.content_dir`. A broken or missing pack is logged with
/// every problem and the kiosk runs without learning (tickets keep working).
pub fn load_content(config: &Config) -> Option<Arc<Pack>> {
    let dir = &config.learning.content_dir;
    match crate::content::load_pack(dir, crate::content::REQUIRED_LANGUAGES) {
        Ok(pack) => {
            let known: Vec<&str> = pack.screening.iter().map(|a| a.id.as_str()).collect();
            for problem in crate::screening::check_referral_items(&config.learning.referral, &known) {
                log::warn!("{problem}");
            }
            log::info!("content pack {}: {}", dir.display(), pack.summary());
            Some(Arc::new(pack))
        }
        Err(problems) => {
            for problem in &problems {
                log::error!("{problem}");
            }
            log::error!(
                "content pack {} (learning.content_dir) refused: {} problems; tutorials and the skills check are not offered",
                dir.display(),
                problems.len()
            );
            None
        }
    }
}

/// What runs beside the screen for the desks. Dropping it stops reading the buttons; the
/// announcer and the lamps follow the help point and end with the process.
#[derive(Default)]
pub struct Peripherals {
    _announcer: Option<Arc<Announcer>>,
    _buttons: Option<GpioButtons>,
    /// With `speech.engine = "simulated"`: what the kiosk would have said.
    simulated_speech: Option<SimulatedSpeaker>,
}

impl Peripherals {
    /// What the simulated speaker said so far, as (language, text); `None` with a real voice.
    pub fn said(&self) -> Option<Vec<(String, String)>> {
        self.simulated_speech.as_ref().map(SimulatedSpeaker::said)
    }

    /// Waits until the simulated speaker has said `count` things (at most `limit`) and returns
    /// what it said; `None` with a real voice.
    pub fn wait_until_said(&self, count: usize, limit: Duration) -> Option<Vec<(String, String)>> {
        self.simulated_speech.as_ref().map(|s| s.wait_until_said(count, limit))
    }

    /// How many chimes the simulated speaker played; `None` with a real voice.
    pub fn chimes(&self) -> Option<usize> {
        self.simulated_speech.as_ref().map(SimulatedSpeaker::chimes)
    }
}

/// Announces every call (and recall) by voice: the local language, then the visitor's.
fn start_announcer(
    config: &Config,
    help_point: &HelpPointHandle,
    speaker: Box<dyn Speaker>,
) -> Option<Arc<Announcer>> {
    let announcer = match Announcer::start(speaker, AnnouncerOptions::new(config.site.local_language.clone()))
    {
        Ok(announcer) => Arc::new(announcer),
        Err(e) => {
            log::error!("calls will not be announced: {e}");
            return None;
        }
    };
    let desks: Vec<(String, String)> = config.desks.iter().map(|d| (d.id.clone(), d.name.clone())).collect();
    let speaking = announcer.clone();
    let subscribed = help_point.subscribe(Box::new(move |events| {
        for event in events {
            if let EventKind::TicketCalled { ticket, desk } | EventKind::TicketRecalled { ticket, desk } =
                &event.kind
            {
                let name = desks.iter().find(|(id, _)| id == desk).map_or(desk.as_str(), |(_, n)| n.as_str());
                speaking.announce(&ticket.code(), name, &ticket.language);
            }
        }
    }));
    if subscribed.is_err() {
        log::error!("calls will not be announced: the help point has stopped");
    }
    Some(announcer)
}

/// Reads the desks' call buttons, if any are wired; a press calls that desk's next visitor.
fn start_desk_buttons(config: &Config, help_point: &HelpPointHandle) -> Option<GpioButtons> {
    let buttons: Vec<(String, u8)> =
        config.desks.iter().filter_map(|d| d.button_gpio.map(|pin| (d.id.clone(), pin))).collect();
    if buttons.is_empty() {
        return None;
    }
    let (send, presses) = mpsc::sync_channel::<ButtonPress>(16);
    let gpio = match desk_buttons::start_gpio_buttons(
        buttons,
        desk_buttons::DEFAULT_SETTLE,
        desk_buttons::DEFAULT_MIN_INTERVAL,
        send,
    ) {
        Ok(gpio) => gpio,
        Err(e) => {
            log::error!("desk buttons cannot be used: {e}");
            return None;
        }
    };
    log::info!("desk buttons: {}", gpio.describe());
    let help_point = help_point.clone();
    let spawned = std::thread::Builder::new().name("desk buttons".into()).spawn(move || {
        for press in presses {
            let desk = press.desk.clone();
            match help_point.run(move |hp| hp.call_next(&desk)) {
                Ok(Ok(_)) => log::info!("{}: button called the next visitor", press.desk),
                Ok(Err(e)) => log::info!("{}: button pressed: {e}", press.desk),
                Err(e) => log::warn!("{}: button pressed: {e}", press.desk),
            }
        }
    });
    if let Err(e) = spawned {
        log::error!("desk buttons cannot be used: {e}");
        return None;
    }
    Some(gpio)
}

/// Lights each desk's lamp while it has a called visitor, if lamps are wired.
fn start_desk_lamps(config: &Config, help_point: &HelpPointHandle) {
    let leds: Vec<(String, u8)> =
        config.desks.iter().filter_map(|d| d.led_gpio.map(|pin| (d.id.clone(), pin))).collect();
    if leds.is_empty() {
        return;
    }
    let desks: Vec<String> = leds.iter().map(|(d, _)| d.clone()).collect();
    match DeskLeds::open(leds) {
        Ok(lamps) => wire_desk_lamps(help_point, desks, Box::new(lamps), desk_buttons::Blink::default()),
        Err(e) => log::error!("desk lamps cannot be used: {e}"),
    }
}

/// Drives `lamps` (those of `desks`) from the help point on a thread of their own: lit while the
/// desk has a called visitor, blinking (`blink`) when a visitor with an appointment checks in
/// for the desk, or for any open desk of the service when the appointment names none.
fn wire_desk_lamps(
    help_point: &HelpPointHandle,
    desks: Vec<String>,
    mut lamps: Box<dyn desk_buttons::DeskLamp>,
    blink: desk_buttons::Blink,
) {
    // The listeners run on the help point's thread: they only signal; the lamp thread looks at
    // the published queue.
    let (changed, signals) = mpsc::channel::<LampSignal>();
    let checked_in = changed.clone();
    let subscribed = help_point.subscribe(Box::new(move |_| {
        let _ = changed.send(LampSignal::QueueChanged);
    }));
    let published = help_point.clone();
    let listened = help_point.send(move |hp| {
        hp.listen_appointments(Box::new(move |event| {
            if let Some(desks) = check_in_desks(event, &published.queue()) {
                let _ = checked_in.send(LampSignal::Blink(desks));
            }
        }))
    });
    if subscribed.is_err() || listened.is_err() {
        log::error!("desk lamps cannot be used: the help point has stopped");
        return;
    }
    let help_point = help_point.clone();
    let started = std::thread::Builder::new().name("desk lamps".into()).spawn(move || {
        desk_buttons::drive_lamps(&mut *lamps, &desks, &signals, blink, &|desk| {
            help_point.queue().current_ticket(desk).is_some()
        });
    });
    if let Err(e) = started {
        log::error!("desk lamps cannot be used: {e}");
    }
}

/// The desks whose lamps blink for `event` when it is a check-in: the appointment's desk, or,
/// when it has none, every open (not paused) desk of its service; the lamp thread leaves out
/// those without a lamp.
fn check_in_desks(event: &AppointmentEvent, queue: &Queue) -> Option<Vec<String>> {
    if !matches!(event.kind, AppointmentEventKind::CheckedIn { .. }) {
        return None;
    }
    let appointment = &event.appointment;
    Some(match &appointment.desk {
        Some(desk) => vec![desk.clone()],
        None => queue
            .rules()
            .desks
            .iter()
            .filter(|d| d.services.contains(&appointment.service) && !queue.is_paused(&d.id))
            .map(|d| d.id.clone())
            .collect(),
    })
}

/// The printer the config asks for: the simulated one (files) or the thermal printer on a
/// serial port.
pub fn printer_transport(config: &Config) -> Box<dyn Transport> {
    match &config.printer {
        config::Printer::File { .. } => {
            let dir = config.ticket_directory().unwrap_or_else(|| config.kiosk.data_dir.join("tickets"));
            Box::new(FilePrinter::new(dir))
        }
        config::Printer::Serial(serial) => {
            Box::new(ReopeningSerialPrinter::new(&serial.device, serial_options(serial), serial.busy_gpio))
        }
    }
}

/// How the serial printer is driven, from `[printer]`.
pub fn serial_options(serial: &SerialPrinterSettings) -> SerialOptions {
    SerialOptions {
        model: PrinterModel {
            baud: serial.baud,
            dot_print_time: Duration::from_micros(u64::from(serial.dot_print_us)),
            dot_feed_time: Duration::from_micros(u64::from(serial.dot_feed_us)),
            buffer_bytes: serial.buffer_bytes as usize,
            ..PrinterModel::default()
        },
        rx_wired: serial.status,
        ..SerialOptions::default()
    }
}

/// Why the config file on the SD card was refused, when it was: `take-boot-config` (run by
/// systemd before the kiosk) keeps a refused file as `<config>.refused` and the reason, the
/// message of `loket check`, as `<config>.refused.why` beside the last good config the kiosk
/// runs with. `None` when nothing was refused (or the reason cannot be read).
pub fn refused_boot_config(config: &Path) -> Option<String> {
    let mut refused = config.as_os_str().to_owned();
    refused.push(".refused");
    if !Path::new(&refused).exists() {
        return None;
    }
    refused.push(".why");
    let why = std::fs::read_to_string(&refused).ok()?;
    let why: String = why.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut short: String = why.chars().take(400).collect();
    if short.len() < why.len() {
        short.push('…');
    }
    (!short.is_empty()).then_some(short)
}

/// The help point's appointment book as the place a plan pulled from loket-central goes: the
/// plan is applied on the owner's thread, whole or not at all.
pub struct CentralPlans(pub crate::owner::HelpPointHandle);

impl crate::report::pull::AppointmentPlanSink for CentralPlans {
    fn apply(&self, plan: loket_protocol::appointments::AppointmentPlan) -> Result<usize, String> {
        let planned: Vec<crate::appointment::CentralAppointment> = plan
            .appointments
            .into_iter()
            .map(|a| crate::appointment::CentralAppointment {
                uid: a.uid,
                code: a.code,
                starts_at: a.starts_at,
                service: a.service,
                desk: a.desk,
                language: a.language,
                cancelled: a.cancelled,
            })
            .collect();
        let held = planned.iter().filter(|a| !a.cancelled).count();
        self.0
            .run(move |hp| hp.apply_central_plan(planned))
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        Ok(held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn a_call_is_announced_in_the_local_language_then_the_visitors() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::sample();
        config.kiosk.data_dir = dir.path().to_path_buf();
        config.speech = config::Speech::Simulated;
        let clock = Arc::new(ManualClock::new("2026-11-30T09:00:00Z".parse().unwrap()));
        let parts = kiosk_parts(config, clock).unwrap();
        parts.help_point.run(|hp| hp.take_ticket("email", "ar")).unwrap().unwrap();
        parts.help_point.run(|hp| hp.call_next("desk-1")).unwrap().unwrap();
        let said = parts.peripherals.wait_until_said(2, Duration::from_secs(5)).unwrap();
        assert_eq!(said.len(), 2, "the call was announced: {said:?}");
        let languages: Vec<&str> = said.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(languages, ["nl", "ar"]);
        assert_eq!(parts.peripherals.chimes(), Some(1), "a chime before the words");
        assert!(said[0].1.contains("Balie 1") && said[0].1.contains("E 1"), "{said:?}");
    }

    /// The lamps' record once `enough` holds, or after a few seconds.
    fn lamps_when(
        lamps: &desk_buttons::SimulatedLamps,
        enough: impl Fn(&[(String, bool)]) -> bool,
    ) -> Vec<(String, bool)> {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let changes = lamps.changes();
            if enough(&changes) || std::time::Instant::now() > deadline {
                return changes;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn lamp_parts(clock: Arc<ManualClock>) -> (tempfile::TempDir, KioskParts, desk_buttons::SimulatedLamps) {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::sample();
        config.kiosk.data_dir = dir.path().to_path_buf();
        config.speech = config::Speech::Simulated;
        config.appointments.enabled = true;
        let parts = kiosk_parts(config, clock).unwrap();
        let lamps = desk_buttons::SimulatedLamps::new();
        let blink = desk_buttons::Blink { times: 2, period: Duration::from_millis(2) };
        wire_desk_lamps(
            &parts.help_point,
            vec!["desk-1".into(), "desk-2".into()],
            Box::new(lamps.clone()),
            blink,
        );
        (dir, parts, lamps)
    }

    fn book_and_check_in(parts: &KioskParts, clock: &ManualClock, desk: Option<&str>, service: &str) {
        let new = crate::appointment::NewAppointment {
            starts_at: clock.now() + jiff::SignedDuration::from_mins(10),
            service: service.into(),
            desk: desk.map(str::to_owned),
            language: None,
            name: None,
        };
        let booked = parts
            .help_point
            .run(move |hp| hp.book(new, crate::appointment::AppointmentSource::Console))
            .unwrap()
            .unwrap();
        let code = booked.code.scan_payload();
        parts.help_point.run(move |hp| hp.check_in(&code, "nl")).unwrap().unwrap();
    }

    fn blinks_of(changes: &[(String, bool)], desk: &str) -> usize {
        changes.iter().filter(|(d, on)| d == desk && *on).count()
    }

    #[test]
    fn a_check_in_blinks_the_lamp_of_the_appointments_desk_only() {
        let clock = Arc::new(ManualClock::new("2026-11-30T09:00:00Z".parse().unwrap()));
        let (_dir, parts, lamps) = lamp_parts(clock.clone());
        book_and_check_in(&parts, &clock, Some("desk-1"), "appointment");
        let changes =
            lamps_when(&lamps, |c| blinks_of(c, "desk-1") >= 2 && c.last().is_some_and(|(_, on)| !on));
        assert_eq!(blinks_of(&changes, "desk-1"), 2, "desk-1 blinked twice: {changes:?}");
        assert_eq!(blinks_of(&changes, "desk-2"), 0, "desk-2 was not meant: {changes:?}");
        assert!(!lamps.is_on("desk-1"), "back to its state (no called visitor): {changes:?}");
    }

    #[test]
    fn a_check_in_without_a_desk_blinks_every_open_desk_of_its_service() {
        let clock = Arc::new(ManualClock::new("2026-11-30T09:00:00Z".parse().unwrap()));
        let (_dir, parts, lamps) = lamp_parts(clock.clone());
        let serving: Vec<String> = parts
            .help_point
            .queue()
            .rules()
            .desks
            .iter()
            .filter(|d| d.services.iter().any(|s| s == "appointment"))
            .map(|d| d.id.clone())
            .collect();
        book_and_check_in(&parts, &clock, None, "appointment");
        let changes = lamps_when(&lamps, |c| serving.iter().all(|d| blinks_of(c, d) >= 2));
        for desk in ["desk-1", "desk-2"] {
            let expected = if serving.iter().any(|d| d == desk) { 2 } else { 0 };
            assert_eq!(blinks_of(&changes, desk), expected, "{desk}: {changes:?}");
        }
        assert!(!serving.is_empty(), "the sample has desks for appointments");
    }
}
