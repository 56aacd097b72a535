//! The services screen: what the visitor needs, as pictogram buttons named in their language.
//! A tap takes the ticket: it is stored before the ticket screen shows its number.

use std::rc::Rc;

use slint::{Color, ComponentHandle, ModelRc, SharedString, VecModel};

use super::Shared;
use crate::config::Config;
use crate::{AppWindow, ServiceChoice, ServicesAdapter};

pub(super) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let adapter = window.global::<ServicesAdapter>();
    let back = shared.clone();
    adapter.on_back(move || {
        back.visit.borrow_mut().back_to_welcome();
        back.show();
    });
    let shared = shared.clone();
    adapter.on_choose_service(move |service: SharedString| {
        let Some(window) = shared.window.upgrade() else { return };
        let adapter = window.global::<ServicesAdapter>();
        let language = shared.language();
        shared.visit.borrow_mut().touched();
        adapter.set_busy(true);
        let issued = shared.help_point().take_ticket(&service, &language);
        adapter.set_busy(false);
        match issued {
            Ok(issued) => {
                adapter.set_out_of_order(false);
                super::ticket::show(&window, &shared, &issued, &language);
            }
            Err(e) => {
                log::error!("no ticket for {service}: {e}");
                adapter.set_out_of_order(true);
            }
        }
    });
}

/// Fills the buttons with the service names in `language`.
pub(super) fn fill(window: &AppWindow, config: &Config, language: &str) {
    let services: Vec<ServiceChoice> = config
        .services
        .iter()
        .map(|s| ServiceChoice {
            id: s.id.as_str().into(),
            name: s.name(language).into(),
            pictogram: s.pictogram.as_str().into(),
            tint: tint(&s.pictogram),
        })
        .collect();
    let adapter = window.global::<ServicesAdapter>();
    adapter.set_services(ModelRc::new(VecModel::from(services)));
    // A store failure is told to the visitor who met it, not to the next ones.
    adapter.set_out_of_order(false);
}

/// A colour per pictogram, so a service is recognised by colour too. Each has at least 7:1
/// contrast with white.
pub(super) fn tint(pictogram: &str) -> Color {
    let rgb = match pictogram {
        "email" => 0x0B4A94,
        "appointment" => 0x6A1B9A,
        "smartphone" => 0x0E5E2B,
        "tablet" => 0x8A3B00,
        "online-lesson" => 0x00606B,
        "printer" => 0x37474F,
        "id-card" => 0x7A1F3D,
        "wifi" => 0x1A237E,
        "password" => 0x4E342E,
        _ => 0x3B4552,
    };
    Color::from_rgb_u8((rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8)
}
