//! What printing a ticket costs, per language: bytes, time on the wire at 9600 and 19200 baud,
//! and the time the paced transport takes under two printer models — Adafruit's conservative
//! default (30 ms a dot row, the shipped default) and the CSN-A2's datasheet speed (about
//! 50 mm/s: 2.5 ms a dot row). Tickets are built as the kiosk builds them (sample config, a QR
//! code). Previews go to `target/print-previews/`.
//!
//! Run with `cargo bench --bench print_ticket`.
//! Goals (issue "Print the queue ticket"): Dutch with QR < 3 s and Arabic or Tigrinya < 6 s on
//! the wire at 19200; pacing overhead < 20 % above the wire-time floor.

use std::time::Duration;

use loket::config::Config;
use loket::help_point::IssuedTicket;
use loket::printer::pacing::{self, PrinterModel};
use loket::printer::{encode_ticket, render_png};
use loket::queue::{Position, Ticket, TicketId, TicketState, WaitEstimate};

fn issued(language: &str) -> IssuedTicket {
    let ticket = Ticket {
        id: TicketId(17),
        service_day: jiff::civil::date(2026, 11, 30),
        prefix: "E".into(),
        number: 17,
        issued_service: "email".into(),
        service: "email".into(),
        language: language.into(),
        issued_at: "2026-11-30T09:05:00Z".parse().unwrap(),
        state: TicketState::Waiting,
        called_at: None,
        finished_at: None,
        recalls: 0,
        screening_code: None,
        appointment: None,
    };
    let wait = Some(WaitEstimate { low_minutes: 10, high_minutes: 20 });
    IssuedTicket { ticket, position: Position { people_ahead: 3, wait } }
}

fn main() {
    let mut config = Config::sample();
    config.ticket.qr_url = "https://digilabo.example/q/{code}".into();
    let previews = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/print-previews");
    std::fs::create_dir_all(&previews).expect("preview folder");
    let conservative = PrinterModel::default();
    let datasheet = PrinterModel { dot_print_time: Duration::from_micros(2_500), ..PrinterModel::default() };
    let s = |d: Duration| d.as_secs_f64();

    println!("printing a ticket with a QR code, per visitor language (sample config):");
    println!(
        "{:<5} {:>6}  {:>8} {:>8}  {:>22}  {:>22}",
        "lang", "bytes", "9600", "19200", "paced, 30 ms/row", "paced, 2.5 ms/row"
    );
    for language in ["nl", "en", "fr", "ar", "fa", "ps", "ti", "uk", "so"] {
        let slip = loket::printed_ticket::slip(&config, &issued(language), language, None);
        let encoded = encode_ticket(&slip);
        assert!(encoded.omitted.is_empty(), "{language}: {:?}", encoded.omitted);
        let bytes = &encoded.bytes;
        let floor = pacing::wire_time(bytes, 19_200);
        let paced = |model: &PrinterModel| {
            let t = pacing::paced_time(bytes, model);
            format!("{:6.2} s ({:+5.0} %)", s(t), (s(t) / s(floor) - 1.0) * 100.0)
        };
        println!(
            "{language:<5} {:>6}  {:>6.2} s {:>6.2} s  {:>22}  {:>22}",
            bytes.len(),
            s(pacing::wire_time(bytes, 9_600)),
            s(floor),
            paced(&conservative),
            paced(&datasheet),
        );
        let png = render_png(bytes).expect("preview");
        std::fs::write(previews.join(format!("ticket-{language}.png")), png).expect("preview file");
    }
    println!(
        "(paced: until the last byte reached the printer at 19200 Bd, and how much above the wire floor)"
    );
    println!("previews in {}", previews.display());
}
