//! Sets a kiosk up from its config: the data directory, the store, the queue and the printer.
//!
//! Shared by `loket run`, the tests and the screenshot generator, so they all run the same
//! parts. It must not start any window or thread other than the printer's.

use std::sync::{Arc, Mutex};

use anyhow::Context;

use crate::clock::Clock;
use crate::config::{self, Config};
use crate::help_point::{HelpPoint, queue_rules};
use crate::print_queue::PrintQueue;
use crate::printer::FilePrinter;
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
    let printer = match &config.printer {
        config::Printer::File { .. } => {
            let dir = config.ticket_directory().unwrap_or_else(|| data_dir.join("tickets"));
            Some(PrintQueue::start(Box::new(FilePrinter::new(dir))))
        }
        config::Printer::Serial { device, .. } => {
            log::error!(
                "printer.kind = \"serial\" ({}): this version has no serial printer driver yet; \
                 tickets are shown and stored but not printed",
                device.display()
            );
            None
        }
    };
    Ok(KioskParts { config: Arc::new(config), help_point: Arc::new(Mutex::new(help_point)), printer })
}
