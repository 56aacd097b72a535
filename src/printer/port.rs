//! The serial printer as the kiosk keeps it: opened when a ticket needs it, and opened again
//! after the port failed, so a printer that was off or unplugged at start works as soon as it
//! is back — without restarting the kiosk.
//!
//! It must not pace or encode anything itself: that is [`SerialPrinter`]'s job.

use std::path::PathBuf;

use super::serial::{GpioBusyLine, SerialOptions, SerialPrinter};
use super::{PrintError, Transport};

/// A [`SerialPrinter`] that (re)opens its port on demand.
pub struct ReopeningSerialPrinter {
    path: PathBuf,
    options: SerialOptions,
    busy_gpio: Option<u8>,
    printer: Option<SerialPrinter>,
}

impl ReopeningSerialPrinter {
    /// A printer on `path`, following `busy_gpio` (BCM number, high = busy) when it is wired.
    pub fn new(path: impl Into<PathBuf>, options: SerialOptions, busy_gpio: Option<u8>) -> Self {
        ReopeningSerialPrinter { path: path.into(), options, busy_gpio, printer: None }
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
        let result = self.printer().and_then(|p| p.send(job_name, bytes));
        if let Err(e) = &result
            && port_may_be_gone(e)
        {
            // Start afresh with the next ticket: the adapter may have been re-plugged.
            self.printer = None;
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
