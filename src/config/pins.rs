//! The Raspberry Pi's GPIO pins across the whole file: no BCM pin may serve two hardware roles
//! (two desks' buttons, a button and a lamp, a desk and the printer's busy line, anything on
//! the UART's TX/RX while the printer uses the Pi's UART). Each key's own range check (a BCM
//! number from 2 to 27) stays with its table; this module only compares the roles with each
//! other, after the tables are valid, and names both keys and the pin.
//!
//! It must not touch the pins (that is `desk_buttons` and the printer) nor know what a desk or
//! a printer does beyond which pins the configuration gives them.

use std::path::Path;

use super::{ConfigError, Desk, Printer, invalid};

/// Serial ports that are the Pi's own UART on GPIO14 (TX) and GPIO15 (RX). A USB adapter
/// (`/dev/ttyUSB0`, `/dev/ttyACM0`) leaves those pins free.
const PI_UART_DEVICES: &[&str] =
    &["/dev/serial0", "/dev/ttyAMA0", "/dev/ttyS0", "/dev/serial1", "/dev/ttyAMA10"];

/// A pin the configuration gives to one hardware role.
struct PinUse {
    pin: u8,
    /// The key that gives the pin, e.g. `desk[1].button_gpio`.
    key: String,
    /// What the pin does there, in the installer's words.
    role: String,
}

/// Whether `device` is the Pi's UART on GPIO14/15.
fn is_pi_uart(device: &Path) -> bool {
    PI_UART_DEVICES.iter().any(|uart| device == Path::new(uart))
}

/// Every pin use in file order: the printer's UART and busy line first (`[printer]` comes
/// before the desks), then each desk's button and lamp.
fn pin_uses(printer: &Printer, desks: &[Desk]) -> Vec<PinUse> {
    let mut uses = Vec::new();
    if let Printer::Serial(serial) = printer {
        if is_pi_uart(&serial.device) {
            let device = serial.device.display();
            for (pin, line) in [(14, "TX"), (15, "RX")] {
                uses.push(PinUse {
                    pin,
                    key: "printer.device".into(),
                    role: format!("the UART's {line} of the printer on {device}"),
                });
            }
        }
        if let Some(pin) = serial.busy_gpio {
            uses.push(PinUse {
                pin,
                key: "printer.busy_gpio".into(),
                role: "the printer's busy line".into(),
            });
        }
    }
    for (index, desk) in desks.iter().enumerate() {
        if let Some(pin) = desk.button_gpio {
            uses.push(PinUse {
                pin,
                key: format!("desk[{index}].button_gpio"),
                role: format!("the button of desk {:?}", desk.id),
            });
        }
        if let Some(pin) = desk.led_gpio {
            uses.push(PinUse {
                pin,
                key: format!("desk[{index}].led_gpio"),
                role: format!("the lamp of desk {:?}", desk.id),
            });
        }
    }
    uses
}

/// The first pin (in file order) given to two roles, reported at the later key.
pub(super) fn check_pins(printer: &Printer, desks: &[Desk]) -> Result<(), ConfigError> {
    let uses = pin_uses(printer, desks);
    for (later, pin_use) in uses.iter().enumerate() {
        if let Some(first) = uses[..later].iter().find(|u| u.pin == pin_use.pin) {
            return Err(invalid(
                &pin_use.key,
                pin_use.pin.to_string(),
                format!(
                    "GPIO{} is already {} ({}); one pin can serve only one thing: choose a free pin",
                    pin_use.pin, first.role, first.key
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SerialPrinterSettings;
    use crate::config::test_support::*;

    /// `GOOD` with a second desk and a serial printer on `device`, plus `printer` and the
    /// desks' extra lines.
    fn wired(device: &str, printer: &str, desk_1: &str, desk_2: &str) -> String {
        let text = good_with(
            "kind = \"file\"\ndirectory = \"tickets\"",
            &format!("kind = \"serial\"\ndevice = \"{device}\"\n{printer}"),
        )
        .replacen("name = \"Balie 1\"", &format!("name = \"Balie 1\"\n{desk_1}"), 1);
        format!("{text}\n[[desk]]\nid = \"desk-2\"\nname = \"Balie 2\"\nservices = [\"email\"]\n{desk_2}\n")
    }

    #[test]
    fn separate_pins_for_every_role_are_accepted() {
        let config: crate::config::Config = wired(
            "/dev/serial0",
            "busy_gpio = 18",
            "button_gpio = 17\nled_gpio = 27",
            "button_gpio = 22\nled_gpio = 23",
        )
        .parse()
        .unwrap();
        assert_eq!(config.desks[1].button_gpio, Some(22));
    }

    #[test]
    fn two_desks_buttons_on_one_pin_are_refused() {
        let message = error(&wired("/dev/serial0", "", "button_gpio = 17", "button_gpio = 17"));
        assert_names(
            &message,
            &["desk[1].button_gpio = 17", "GPIO17", "button of desk \"desk-1\"", "desk[0].button_gpio"],
        );
    }

    #[test]
    fn two_desks_lamps_on_one_pin_are_refused() {
        let message = error(&wired("/dev/serial0", "", "led_gpio = 27", "led_gpio = 27"));
        assert_names(&message, &["desk[1].led_gpio = 27", "lamp of desk \"desk-1\"", "desk[0].led_gpio"]);
    }

    #[test]
    fn a_desks_button_on_its_own_lamp_is_refused() {
        let message = error(&wired("/dev/serial0", "", "button_gpio = 17\nled_gpio = 17", ""));
        assert_names(&message, &["desk[0].led_gpio = 17", "button of desk \"desk-1\""]);
    }

    #[test]
    fn a_button_on_another_desks_lamp_is_refused() {
        let message = error(&wired("/dev/serial0", "", "led_gpio = 27", "button_gpio = 27"));
        assert_names(&message, &["desk[1].button_gpio = 27", "lamp of desk \"desk-1\"", "desk[0].led_gpio"]);
    }

    #[test]
    fn a_button_or_a_lamp_on_the_printers_busy_line_is_refused() {
        let message = error(&wired("/dev/serial0", "busy_gpio = 18", "button_gpio = 18", ""));
        assert_names(&message, &["desk[0].button_gpio = 18", "the printer's busy line", "printer.busy_gpio"]);
        let message = error(&wired("/dev/ttyUSB0", "busy_gpio = 18", "", "led_gpio = 18"));
        assert_names(&message, &["desk[1].led_gpio = 18", "the printer's busy line"]);
    }

    #[test]
    fn the_busy_line_is_free_again_with_a_file_printer() {
        // `busy_gpio` belongs to the serial printer only; a desk may use 18 without one.
        let text = good_with("name = \"Balie 1\"", "name = \"Balie 1\"\nbutton_gpio = 18");
        let config: crate::config::Config = text.parse().unwrap();
        assert_eq!(config.desks[0].button_gpio, Some(18));
    }

    #[test]
    fn the_uart_pins_belong_to_a_printer_on_the_pis_uart_only() {
        let desk = |pin: u8| Desk {
            id: "desk-1".into(),
            name: "Balie 1".into(),
            services: vec!["email".into()],
            pin_hash: None,
            button_gpio: Some(pin),
            led_gpio: None,
        };
        let serial = |device: &str| {
            Printer::Serial(SerialPrinterSettings {
                device: device.into(),
                ..SerialPrinterSettings::default()
            })
        };
        for device in ["/dev/serial0", "/dev/ttyAMA0", "/dev/ttyS0"] {
            for pin in [14, 15] {
                let message = check_pins(&serial(device), &[desk(pin)]).unwrap_err().to_string();
                assert_names(&message, &[&format!("desk[0].button_gpio = {pin}"), "UART", device]);
            }
        }
        check_pins(&serial("/dev/ttyUSB0"), &[desk(14)]).unwrap();
        check_pins(&Printer::default(), &[desk(15)]).unwrap();
    }
}
