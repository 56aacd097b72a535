//! The serial printer as the kiosk keeps it: opened when a ticket needs it, and opened again
//! after the port failed, so a printer that was off or unplugged at start works as soon as it
//! is back — without restarting the kiosk.
//!
//! It must not pace or encode anything itself: that is [`SerialPrinter`]'s job.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::pacing::{self, PrinterModel};
use super::serial::{GpioBusyLine, SerialOptions, SerialPrinter};
use super::{PrintError, Transport};

/// The longest the port stays quiet after a failed job (a printer that needs longer is off).
const MAX_QUIET: Duration = Duration::from_secs(60);

/// A [`SerialPrinter`] that (re)opens its port on demand.
pub struct ReopeningSerialPrinter {
    path: PathBuf,
    options: SerialOptions,
    busy_gpio: Option<u8>,
    printer: Option<SerialPrinter>,
    /// After a job failed part-way, the printer may still be printing what it received: the
    /// next job waits until then, so it cannot overrun the buffer of a printer that is slow
    /// rather than gone.
    quiet_until: Option<Instant>,
}

impl ReopeningSerialPrinter {
    /// A printer on `path`, following `busy_gpio` (BCM number, high = busy) when it is wired.
    pub fn new(path: impl Into<PathBuf>, options: SerialOptions, busy_gpio: Option<u8>) -> Self {
        ReopeningSerialPrinter { path: path.into(), options, busy_gpio, printer: None, quiet_until: None }
    }

    fn printer(&mut self) -> Result<&mut SerialPrinter, PrintError> {
        if self.printer.is_none() {
            let mut printer = SerialPrinter::open(&self.path, self.options.clone())?;
            if let Some(pin) = self.busy_gpio {
                printer = printer.with_busy_line(Box::new(GpioBusyLine::open(pin, true)?));
            }
            log::info!("printer port {} is open", self.path.display());
            self.printer = Some(printer);
        }
        Ok(self.printer.as_mut().expect("opened above"))
    }
}

impl Transport for ReopeningSerialPrinter {
    fn send(&mut self, job_name: &str, bytes: &[u8]) -> Result<(), PrintError> {
        if let Some(until) = self.quiet_until.take() {
            std::thread::sleep(until.saturating_duration_since(Instant::now()));
        }
        let result = self.printer().and_then(|p| p.send(job_name, bytes));
        if let Err(e) = &result {
            if port_may_be_gone(e) {
                // Start afresh with the next ticket: the adapter may have been re-plugged.
                self.printer = None;
            }
            self.quiet_until = quiet_after(e, bytes, &self.options.model).map(|d| Instant::now() + d);
        }
        result
    }

    fn describe(&self) -> String {
        let pacing = match self.busy_gpio {
            Some(pin) => format!("following the busy line on GPIO{pin}"),
            None => "paced by the printer model".to_owned(),
        };
        format!("thermal printer on {} at {} Bd, {pacing}", self.path.display(), self.options.model.baud)
    }
}

/// How long to leave the printer alone after `e` ended a job of `bytes`: as long as the job
/// takes to print when it may have been sent in part (time-out, port error), else nothing.
fn quiet_after(e: &PrintError, bytes: &[u8], model: &PrinterModel) -> Option<Duration> {
    matches!(e, PrintError::Timeout { .. } | PrintError::Serial { .. })
        .then(|| pacing::print_time(bytes, model).min(MAX_QUIET))
}

fn port_may_be_gone(e: &PrintError) -> bool {
    matches!(
        e,
        PrintError::DeviceMissing { .. }
            | PrintError::Open { .. }
            | PrintError::Serial { .. }
            | PrintError::Timeout { .. }
            | PrintError::BusyLine { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_a_job_cut_short_the_printer_is_left_to_finish_printing() {
        let model = PrinterModel::default();
        let job = crate::printer::EscPos::new().init().line("E-017").feed(3).bytes().to_vec();
        let timeout = PrintError::Timeout {
            path: "/dev/serial0".into(),
            job: "E-017".into(),
            sent: 3,
            total: job.len(),
            waited: Duration::from_secs(2),
        };
        let quiet = quiet_after(&timeout, &job, &model).expect("a pause after a time-out");
        assert_eq!(quiet, pacing::print_time(&job, &model));
        assert!(quiet > Duration::ZERO);
        let missing = PrintError::DeviceMissing { path: "/dev/serial0".into() };
        assert_eq!(quiet_after(&missing, &job, &model), None, "nothing was sent");
    }

    #[test]
    fn a_missing_port_is_an_error_each_time_and_is_tried_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ttyNONE");
        let mut printer = ReopeningSerialPrinter::new(&path, SerialOptions::default(), None);
        for _ in 0..2 {
            let err = printer.send("job", b"\x1b@").unwrap_err();
            assert!(matches!(err, PrintError::DeviceMissing { .. }), "{err}");
            assert!(printer.printer.is_none());
        }
        assert!(printer.describe().contains("ttyNONE"));
    }
}
