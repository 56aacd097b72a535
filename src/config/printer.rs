//! `[printer]`: where tickets are printed (a file, or a thermal printer on a serial port) and
//! the serial printer's pacing. It must not open the port (that is [`crate::printer`]).

use std::path::PathBuf;

use serde::Deserialize;

use super::{ConfigError, in_range, invalid, non_empty};

/// Serial speeds a thermal printer can be set to.
pub const BAUD_RATES: &[u32] = &[9600, 19200, 38400, 57600, 115200];

/// `[printer]`: where tickets are printed, chosen by `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Printer {
    /// Simulated: ESC/POS bytes into a file plus a PNG preview, in `directory` (relative to
    /// `kiosk.data_dir` unless absolute; see [`crate::config::Config::ticket_directory`]).
    File { directory: PathBuf },
    /// A thermal printer on a serial port.
    Serial(SerialPrinterSettings),
}

/// `[printer]` with `kind = "serial"`: the port, and the model the pacing follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialPrinterSettings {
    /// The serial port, e.g. `/dev/serial0` (the Pi's GPIO14/15 UART).
    pub device: PathBuf,
    pub baud: u32,
    /// BCM number of the GPIO wired (level-shifted) to the printer's busy/DTR line, if any.
    /// With it, Loket follows the line instead of the timing model.
    pub busy_gpio: Option<u8>,
    /// True when the printer's TX is wired (level-shifted) to the Pi's RX: Loket then asks the
    /// printer for paper before each ticket.
    pub status: bool,
    /// Microseconds to print one dot row (Adafruit's conservative default: 30000).
    pub dot_print_us: u32,
    /// Microseconds to feed one dot row (default 2100).
    pub dot_feed_us: u32,
    /// The printer's receive buffer in bytes (default 256).
    pub buffer_bytes: u32,
}

// The defaults of `[printer]`, written once: serde fills left-out keys from them, and
// `config/loket.toml` shows the same values (a test keeps it so).
const DEFAULT_TICKET_DIRECTORY: &str = "tickets";
const DEFAULT_DEVICE: &str = "/dev/serial0";
const DEFAULT_BAUD: u32 = 19_200;
const DEFAULT_DOT_PRINT_US: u32 = 30_000;
const DEFAULT_DOT_FEED_US: u32 = 2_100;
const DEFAULT_BUFFER_BYTES: u32 = 256;

impl Default for SerialPrinterSettings {
    /// The values `[printer]` takes for `kind = "serial"` when only the kind is given.
    fn default() -> Self {
        SerialPrinterSettings {
            device: PathBuf::from(DEFAULT_DEVICE),
            baud: DEFAULT_BAUD,
            busy_gpio: None,
            status: false,
            dot_print_us: DEFAULT_DOT_PRINT_US,
            dot_feed_us: DEFAULT_DOT_FEED_US,
            buffer_bytes: DEFAULT_BUFFER_BYTES,
        }
    }
}

impl Default for Printer {
    /// `[printer]` left out: the simulated printer.
    fn default() -> Self {
        Printer::File { directory: PathBuf::from(DEFAULT_TICKET_DIRECTORY) }
    }
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub(super) enum PrinterFile {
    File {
        #[serde(default = "default_ticket_directory")]
        directory: String,
    },
    Serial {
        #[serde(default = "default_serial_device")]
        device: String,
        #[serde(default = "default_baud")]
        baud: i64,
        #[serde(default)]
        busy_gpio: Option<i64>,
        #[serde(default)]
        status: bool,
        #[serde(default = "default_dot_print_us")]
        dot_print_us: i64,
        #[serde(default = "default_dot_feed_us")]
        dot_feed_us: i64,
        #[serde(default = "default_buffer_bytes")]
        buffer_bytes: i64,
    },
}

fn default_dot_print_us() -> i64 {
    DEFAULT_DOT_PRINT_US.into()
}
fn default_dot_feed_us() -> i64 {
    DEFAULT_DOT_FEED_US.into()
}
fn default_buffer_bytes() -> i64 {
    DEFAULT_BUFFER_BYTES.into()
}

fn default_ticket_directory() -> String {
    DEFAULT_TICKET_DIRECTORY.into()
}
fn default_serial_device() -> String {
    DEFAULT_DEVICE.into()
}
fn default_baud() -> i64 {
    DEFAULT_BAUD.into()
}

impl Default for PrinterFile {
    fn default() -> Self {
        PrinterFile::File { directory: default_ticket_directory() }
    }
}

impl PrinterFile {
    pub(super) fn validate(self) -> Result<Printer, ConfigError> {
        match self {
            PrinterFile::File { directory } => Ok(Printer::File {
                directory: PathBuf::from(non_empty(
                    "printer.directory",
                    &directory,
                    "the folder for ticket files, e.g. \"tickets\"",
                )?),
            }),
            PrinterFile::Serial {
                device,
                baud,
                busy_gpio,
                status,
                dot_print_us,
                dot_feed_us,
                buffer_bytes,
            } => {
                let device = non_empty("printer.device", &device, "the serial port, e.g. \"/dev/serial0\"")?;
                let rates: Vec<String> = BAUD_RATES.iter().map(u32::to_string).collect();
                let baud = u32::try_from(baud).ok().filter(|b| BAUD_RATES.contains(b)).ok_or_else(|| {
                    invalid("printer.baud", baud.to_string(), format!("must be one of {}", rates.join(", ")))
                })?;
                let busy_gpio = busy_gpio
                    .map(|pin| {
                        u8::try_from(pin).ok().filter(|p| (2..=27).contains(p)).ok_or_else(|| {
                            invalid(
                                "printer.busy_gpio",
                                pin.to_string(),
                                "must be a BCM GPIO number from 2 to 27",
                            )
                        })
                    })
                    .transpose()?;
                if busy_gpio == Some(14) || busy_gpio == Some(15) {
                    return Err(invalid(
                        "printer.busy_gpio",
                        busy_gpio.unwrap_or_default().to_string(),
                        "GPIO14 and GPIO15 are the UART's TX and RX",
                    ));
                }
                Ok(Printer::Serial(SerialPrinterSettings {
                    device: PathBuf::from(device),
                    baud,
                    busy_gpio,
                    status,
                    dot_print_us: in_range("printer.dot_print_us", dot_print_us, 100, 200_000)?,
                    dot_feed_us: in_range("printer.dot_feed_us", dot_feed_us, 100, 100_000)?,
                    buffer_bytes: in_range("printer.buffer_bytes", buffer_bytes, 32, 1_048_576)?,
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::test_support::*;
    use crate::config::{Config, Printer, SAMPLE_TOML, SerialPrinterSettings};

    #[test]
    fn the_samples_serial_lines_show_the_serial_defaults() {
        // config/loket.toml shows, commented out, what `kind = "serial"` takes when left out.
        let shown: Vec<String> = SAMPLE_TOML
            .lines()
            .filter_map(|line| line.strip_prefix("# "))
            .filter(|line| {
                ["kind", "device", "baud", "dot_print_us", "dot_feed_us", "buffer_bytes"]
                    .iter()
                    .any(|key| line.starts_with(&format!("{key} = ")))
            })
            .map(|line| line.split("  #").next().unwrap_or(line).trim().to_owned())
            .filter(|line| line.parse::<toml::Table>().is_ok())
            .collect();
        assert_eq!(shown.len(), 6, "{shown:?}");
        let text = SAMPLE_TOML
            .replacen("\nkind = \"file\"\n", &format!("\n{}\n", shown.join("\n")), 1)
            .replacen("\ndirectory = \"tickets\"\n", "\n", 1);
        let config = Config::from_toml(&text).unwrap();
        assert_eq!(config.printer, Printer::Serial(SerialPrinterSettings::default()));
    }

    #[test]
    fn serial_printer_is_read() {
        let text = good_with(
            "kind = \"file\"\ndirectory = \"tickets\"",
            "kind = \"serial\"\ndevice = \"/dev/ttyUSB0\"\nbaud = 115200",
        );
        let config: Config = text.parse().unwrap();
        let Printer::Serial(serial) = &config.printer else { panic!("{:?}", config.printer) };
        assert_eq!((serial.device.to_str(), serial.baud), (Some("/dev/ttyUSB0"), 115200));
        assert_eq!(
            (serial.busy_gpio, serial.status, serial.dot_print_us, serial.buffer_bytes),
            (None, false, 30_000, 256)
        );
        assert_eq!(config.ticket_directory(), None);
    }

    #[test]
    fn serial_printer_details_are_read_and_checked() {
        let serial = |extra: &str| {
            good_with(
                "kind = \"file\"\ndirectory = \"tickets\"",
                &format!("kind = \"serial\"\ndevice = \"/dev/serial0\"\n{extra}"),
            )
        };
        let config: Config = serial("busy_gpio = 18\nstatus = true\ndot_print_us = 2500").parse().unwrap();
        let Printer::Serial(s) = &config.printer else { panic!() };
        assert_eq!((s.busy_gpio, s.status, s.dot_print_us), (Some(18), true, 2500));
        assert_names(&error(&serial("busy_gpio = 14")), &["printer.busy_gpio = 14", "UART"]);
        assert_names(&error(&serial("busy_gpio = 40")), &["printer.busy_gpio = 40", "2 to 27"]);
        assert_names(&error(&serial("dot_print_us = 0")), &["printer.dot_print_us = 0"]);
        assert_names(&error(&serial("buffer_bytes = 4")), &["printer.buffer_bytes = 4"]);
    }

    #[test]
    fn unknown_key_in_file_printer() {
        let message =
            error(&good_with("directory = \"tickets\"", "directory = \"tickets\"\npaper_width = 80"));
        assert_names(&message, &["paper_width", "unknown field"]);
    }

    #[test]
    fn key_of_the_other_printer_kind_is_rejected() {
        let message = error(&good_with("directory = \"tickets\"", "directory = \"tickets\"\nbaud = 9600"));
        assert_names(&message, &["baud", "unknown field"]);
    }

    #[test]
    fn unknown_printer_kind() {
        let message = error(&good_with("kind = \"file\"", "kind = \"usb\""));
        assert_names(&message, &["usb", "file", "serial"]);
    }

    #[test]
    fn bad_baud() {
        let text = good_with(
            "kind = \"file\"\ndirectory = \"tickets\"",
            "kind = \"serial\"\ndevice = \"/dev/serial0\"\nbaud = 14400",
        );
        let message = error(&text);
        assert_names(&message, &["printer.baud = 14400", "9600, 19200, 38400, 57600, 115200"]);
    }
}
