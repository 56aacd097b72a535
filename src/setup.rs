//! Sets a kiosk up from its config: the data directory, the store, the queue and the printer.
//!
//! Shared by `loket run`, the tests and the screenshot generator, so they all run the same
//! parts. It must not start any window or thread other than the printer's.

use std::sync::{Arc, Mutex};

use anyhow::Context;

use crate::clock::Clock;
use std::time::Duration;

use crate::config::{self, Config, SerialPrinterSettings};
use crate::help_point::{HelpPoint, queue_rules};
use crate::print_queue::{OnState, PrintQueue};
use crate::printer::{FilePrinter, PrinterModel, ReopeningSerialPrinter, SerialOptions, Transport};
use crate::store::Store;
use crate::ui::KioskParts;

/// The store's file name inside the data directory.
pub const STORE_FILE: &str = "loket.sqlite";

/// Opens everything a kiosk needs, as its config says.
pub fn kiosk_parts(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<KioskParts> {
    let data_dir = config.kiosk.data_dir.clone();
    std::fs::create_dir_all(&data_dir).with_context(|| {
        format!("cannot create the data directory {} (kiosk.data_dir)", data_dir.display())
    })?;
    let store_path = data_dir.join(STORE_FILE);
    let store = Store::open(&store_path)?;
    log::info!("store {} is open", store_path.display());
    let help_point = HelpPoint::open(queue_rules(&config), store, clock)?;
    let help_point = Arc::new(Mutex::new(help_point));
    let transport = printer_transport(&config);
    log::info!("printer: {}", transport.describe());
    let states = help_point.clone();
    let on_state: OnState = Box::new(move |state, detail| {
        let mut help_point = states.lock().unwrap_or_else(|e| e.into_inner());
        match help_point.device_state_changed("printer", state, detail) {
            Ok(true) if state == "ready" => log::info!("printer: ready"),
            Ok(true) => log::warn!("printer: {state}: {detail}"),
            Ok(false) => {}
            Err(e) => log::error!("printer state {state} not stored: {e}"),
        }
    });
    let printer = Some(PrintQueue::start(transport, on_state));
    Ok(KioskParts { config: Arc::new(config), help_point, printer })
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
