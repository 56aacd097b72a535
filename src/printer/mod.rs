//! Printing queue tickets on the help point's 58 mm thermal printer
//! (CSN-A2 class, 384 dots a line). This module owns the whole path from a
//! [`TicketSlip`] to paper: the ticket layout (`slip`), the ESC/POS bytes
//! (`escpos`), the transports that carry them ([`Transport`]: the simulated
//! [`FilePrinter`] and the real [`SerialPrinter`] on the UART, paced by the
//! timing model in `pacing`) and a PNG preview drawn from the bytes
//! (`preview`). It must not decide what a ticket says (queue numbers, waits
//! and texts come from the caller) and must not touch the screen.
//!
//! Wiring on the Pi (details, UART set-up and troubleshooting in `serial`; see
//! `shared/anchors/thermal-printer.md`): printer RX ← Pi TX (GPIO14, pin 8),
//! common GND, and a separate 5–9 V supply that can give 1.5 A or more (the head
//! draws peaks; never from the Pi's 5 V pin). The printer's TX is 5 V: put a
//! divider or level shifter before the Pi's RX (GPIO15). Use `/dev/serial0`
//! (PL011) at the rate on the self-test page (hold FEED while powering up):
//! 19200 Bd on most units, 9600 on some.
//! Troubleshooting: nothing prints → check baud rate and GND; stray letters
//! on the paper → the firmware does not know a command; garbled images → the
//! link sends faster than the printer prints (pacing); faint print → heat
//! settings (`ESC 7`) or supply current.

pub mod escpos;
pub mod file;
pub mod logo;
pub mod pacing;
pub mod port;
pub mod preview;
pub mod qr;
pub mod raster;
pub mod serial;
pub mod slip;

use std::path::PathBuf;
use std::time::Duration;

pub use escpos::{Align, Bitmap, BitmapError, CodePage, EscPos, NativeQrError, QrLevel};
pub use file::FilePrinter;
pub use logo::{LogoError, load_logo};
pub use pacing::PrinterModel;
pub use port::ReopeningSerialPrinter;
pub use preview::{PreviewError, render_png};
pub use qr::{QrError, QrOptions, qr_bitmap};
pub use raster::{RasterError, RasterLine, RasterText, Rasterizer, TextDirection, TextStyle};
pub use serial::{PrinterState, SerialOptions, SerialPrinter};
pub use slip::{
    AppointmentLines, EncodedSlip, LineProblem, OmittedLine, SlipLabels, SlipPart, TicketSlip,
    encode_test_page, encode_ticket,
};

/// Something that takes a finished print job to a printer.
pub trait Transport: Send {
    /// Sends one whole job. `job_name` names it in logs and files
    /// (letters, digits, '-', '_', '.').
    fn send(&mut self, job_name: &str, bytes: &[u8]) -> Result<(), PrintError>;
    /// For logs and the staff screen, e.g. "simulated printer writing to /var/lib/loket/tickets".
    fn describe(&self) -> String;
}

/// Why a ticket was not printed.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("cannot create the printer folder {}: {source}", path.display())]
    CreateFolder { path: PathBuf, source: std::io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("print job name {name:?} cannot be used: {reason}")]
    JobName { name: String, reason: &'static str },
    #[error("the printer thread has stopped")]
    Stopped,
    #[error("the preview of print job {job} cannot be drawn: {source}")]
    Preview { job: String, source: PreviewError },
    #[error(
        "no printer port at {}: the device does not exist (UART not enabled, wrong path or adapter unplugged)",
        path.display()
    )]
    DeviceMissing { path: PathBuf },
    #[error("cannot open the printer port {}: {source}", path.display())]
    Open { path: PathBuf, source: std::io::Error },
    #[error("the printer port {} failed: {source}", path.display())]
    Serial { path: PathBuf, source: std::io::Error },
    #[error(
        "print job {job} on {} timed out after {waited:?} with {sent} of {total} bytes sent \
         (printer off, busy line stuck or port not sending)",
        path.display()
    )]
    Timeout { path: PathBuf, job: String, sent: usize, total: usize, waited: Duration },
    #[error("the printer on {} is out of paper", path.display())]
    NoPaper { path: PathBuf },
    #[error(
        "the printer on {} did not answer a status request within {waited:?} (off, unplugged, or its TX not wired to the Pi's RX)",
        path.display()
    )]
    NoAnswer { path: PathBuf, waited: Duration },
    /// The printer's reply to the status query is not a status byte.
    #[error(
        "the printer on {} answers something we do not understand ({reply}): check the baud rate (the self-test page shows it) and the cable (TX/RX, common GND, level shifter)",
        path.display()
    )]
    StatusNotUnderstood { path: PathBuf, reply: String },
    #[error("cannot use GPIO{pin} as the printer's busy line: {reason}")]
    BusyLine { pin: u8, reason: String },
}

/// What happened when a ticket was printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintReport {
    /// Bytes sent to the printer.
    pub bytes: usize,
    /// Lines left off the ticket because the printer cannot print their script yet.
    pub omitted: Vec<OmittedLine>,
}

/// Lays out `slip` and sends it through `transport` as one job.
/// Omitted lines are logged as warnings and returned in the report.
pub fn print_ticket(
    transport: &mut dyn Transport,
    slip: &TicketSlip,
    job_name: &str,
) -> Result<PrintReport, PrintError> {
    let encoded = encode_ticket(slip);
    for line in &encoded.omitted {
        log::warn!("ticket {}: {:?} line {:?} {}", slip.code, line.part, line.text, line.problem);
    }
    transport.send(job_name, &encoded.bytes)?;
    log::info!(
        "ticket {} printed as job {job_name} on {} ({} bytes)",
        slip.code,
        transport.describe(),
        encoded.bytes.len()
    );
    Ok(PrintReport { bytes: encoded.bytes.len(), omitted: encoded.omitted })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keeps jobs in memory.
    #[derive(Default)]
    struct MemoryPrinter {
        jobs: Vec<(String, Vec<u8>)>,
    }

    impl Transport for MemoryPrinter {
        fn send(&mut self, job_name: &str, bytes: &[u8]) -> Result<(), PrintError> {
            self.jobs.push((job_name.to_owned(), bytes.to_vec()));
            Ok(())
        }
        fn describe(&self) -> String {
            "memory".into()
        }
    }

    fn slip(service_visitor: Option<&str>) -> TicketSlip {
        TicketSlip { service_visitor: service_visitor.map(Into::into), ..slip::tests::sample() }
    }

    #[test]
    fn print_ticket_sends_one_job_and_reports_its_size() {
        let mut printer = MemoryPrinter::default();
        let report = print_ticket(&mut printer, &slip(None), "E-017").expect("printed");
        assert_eq!(printer.jobs.len(), 1);
        assert_eq!(printer.jobs[0].0, "E-017");
        assert_eq!(report.bytes, printer.jobs[0].1.len());
        assert!(report.omitted.is_empty());
    }

    #[test]
    fn print_ticket_prints_every_script_it_has_a_font_for() {
        let mut printer = MemoryPrinter::default();
        let report = print_ticket(&mut printer, &slip(Some("ድጋፍ ኢመይል")), "E-017").expect("printed");
        assert!(report.omitted.is_empty(), "{:?}", report.omitted);
    }

    #[test]
    fn print_ticket_reports_characters_no_font_has() {
        let mut printer = MemoryPrinter::default();
        let report = print_ticket(&mut printer, &slip(Some("帮助")), "E-017").expect("printed");
        assert_eq!(report.omitted.len(), 1);
        assert_eq!(report.omitted[0].part, SlipPart::ServiceVisitor);
        assert_eq!(report.omitted[0].problem, LineProblem::MissingCharacters(vec!['帮', '助']));
    }

    #[test]
    fn print_ticket_through_the_file_printer_leaves_ticket_and_preview() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut printer = FilePrinter::new(dir.path());
        let report = print_ticket(&mut printer, &slip(None), "E-017").expect("printed");
        let written = std::fs::read(printer.escpos_path("E-017")).expect("escpos");
        assert_eq!(written.len(), report.bytes);
        assert!(printer.png_path("E-017").exists());
    }
}
