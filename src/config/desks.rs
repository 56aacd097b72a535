//! `[[desk]]`: the places where staff call tickets: which services each serves, its PIN hash,
//! and the GPIO of its button and lamp; and which desks carry a PIN hash the sample config
//! publishes. It must not touch the pins (that is `desk_buttons`) nor check a PIN (that is the
//! web layer's sign-in).

use std::collections::HashMap;

use serde::Deserialize;

use super::{ConfigError, Service, argon2_hash, identifier, invalid, non_empty, quoted};

/// One `[[desk]]`: a place where staff call tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desk {
    /// Stable identifier, `[a-z0-9-]+`, unique.
    pub id: String,
    /// What is written on the physical desk sign, e.g. "Balie 1".
    pub name: String,
    /// Ids of the services handled at this desk.
    pub services: Vec<String>,
    /// Argon2 hash of the desk's PIN for the staff console (`loket hash-pin`); without one
    /// the desk cannot sign in.
    pub pin_hash: Option<String>,
    /// BCM GPIO of the desk's "call next" button (to GND; internal pull-up), if wired.
    pub button_gpio: Option<u8>,
    /// BCM GPIO of the desk's lamp, lit while it serves a visitor, if wired.
    pub led_gpio: Option<u8>,
}

impl Desk {
    /// Whether this desk handles the service with that id.
    pub fn serves(&self, service_id: &str) -> bool {
        self.services.iter().any(|s| s == service_id)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DeskFile {
    id: String,
    name: String,
    services: Vec<String>,
    #[serde(default)]
    pin_hash: Option<String>,
    #[serde(default)]
    button_gpio: Option<i64>,
    #[serde(default)]
    led_gpio: Option<i64>,
}

/// A BCM GPIO number free for buttons, lamps and the busy line: 2..=27 without the UART's 14/15.
fn gpio_pin(key: &str, pin: i64) -> Result<u8, ConfigError> {
    let p = u8::try_from(pin).ok().filter(|p| (2..=27).contains(p));
    match p {
        Some(14 | 15) => Err(invalid(key, pin.to_string(), "GPIO14 and GPIO15 are the printer's UART")),
        Some(p) => Ok(p),
        None => Err(invalid(key, pin.to_string(), "must be a BCM GPIO number from 2 to 27")),
    }
}

impl DeskFile {
    pub(super) fn validate(self, index: usize, services: &[Service]) -> Result<Desk, ConfigError> {
        let at = |field: &str| format!("desk[{index}].{field}");
        let id = identifier(&at("id"), &self.id)?;
        let name = non_empty(&at("name"), &self.name, "what is written on the desk sign")?;
        if self.services.is_empty() {
            return Err(invalid(at("services"), "[]", "a desk must serve at least one service"));
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, service) in self.services.iter().enumerate() {
            let key = format!("desk[{index}].services[{i}]");
            if !services.iter().any(|s| &s.id == service) {
                let ids: Vec<&str> = services.iter().map(|s| s.id.as_str()).collect();
                return Err(invalid(
                    key,
                    quoted(service),
                    format!("no [[service]] has this id; configured: {}", ids.join(", ")),
                ));
            }
            if seen.insert(service.as_str(), i).is_some() {
                return Err(invalid(key, quoted(service), "listed twice"));
            }
        }
        let pin_hash = self.pin_hash.map(|h| argon2_hash(&at("pin_hash"), &h)).transpose()?;
        let button_gpio = self.button_gpio.map(|p| gpio_pin(&at("button_gpio"), p)).transpose()?;
        let led_gpio = self.led_gpio.map(|p| gpio_pin(&at("led_gpio"), p)).transpose()?;
        Ok(Desk { id, name, services: self.services, pin_hash, button_gpio, led_gpio })
    }
}

/// The desks (their index in file order) whose `pin_hash` is one of `published` (the sample
/// config's, whose PINs the README prints): anyone could sign in there.
pub(super) fn with_published_pin(desks: &[Desk], published: &[Desk]) -> Vec<usize> {
    let known: Vec<&str> = published.iter().filter_map(|d| d.pin_hash.as_deref()).collect();
    desks
        .iter()
        .enumerate()
        .filter(|(_, d)| d.pin_hash.as_deref().is_some_and(|h| known.contains(&h)))
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::test_support::*;

    #[test]
    fn desk_pins_buttons_and_lamps_are_checked() {
        let desk = |extra: &str| good_with("name = \"Balie 1\"", &format!("name = \"Balie 1\"\n{extra}"));
        let config: Config = desk(
            "pin_hash = \"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA\"\nbutton_gpio = 17\nled_gpio = 27",
        )
        .parse()
        .unwrap();
        let d = &config.desks[0];
        assert_eq!((d.button_gpio, d.led_gpio), (Some(17), Some(27)));
        assert!(d.pin_hash.as_deref().unwrap().starts_with("$argon2id$"));
        assert_names(&error(&desk("pin_hash = \"1234\"")), &["desk[0].pin_hash = \"1234\"", "hash-pin"]);
        assert_names(&error(&desk("button_gpio = 14")), &["desk[0].button_gpio = 14", "UART"]);
        assert_names(&error(&desk("led_gpio = 99")), &["desk[0].led_gpio = 99"]);
    }

    #[test]
    fn no_desks() {
        let text = GOOD.split("[[desk]]").next().unwrap().to_string();
        let message = error(&text);
        assert_names(&message, &["desk = (none)", "at least one"]);
    }

    #[test]
    fn desk_without_name() {
        let message = error(&good_with("name = \"Balie 1\"", "name = \"\""));
        assert_names(&message, &["desk[0].name = \"\"", "empty"]);
    }

    #[test]
    fn desk_refers_to_unknown_service() {
        let message = error(&good_with("[\"email\", \"tablet\"]", "[\"email\", \"tablet\", \"fax\"]"));
        assert_names(&message, &["desk[0].services[2] = \"fax\"", "no [[service]]"]);
    }

    #[test]
    fn desk_lists_a_service_twice() {
        let message = error(&good_with("[\"email\", \"tablet\"]", "[\"email\", \"tablet\", \"email\"]"));
        assert_names(&message, &["desk[0].services[2] = \"email\"", "twice"]);
    }

    #[test]
    fn duplicate_desk_id() {
        let text = format!("{GOOD}\n[[desk]]\nid = \"desk-1\"\nname = \"Balie 2\"\nservices = [\"email\"]\n");
        let message = error(&text);
        assert_names(&message, &["desk[1].id = \"desk-1\"", "already"]);
    }

    #[test]
    fn service_served_by_no_desk() {
        let message = error(&good_with("[\"email\", \"tablet\"]", "[\"email\"]"));
        assert_names(&message, &["service[1].id = \"tablet\"", "no desk serves"]);
    }
}
