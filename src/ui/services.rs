//! The services screen: what the visitor needs, as pictogram buttons named in their language.
//! A tap asks the help point for a ticket and shows "your ticket is being made" at once; the
//! ticket screen shows the number when the help point answers, so it is stored before it is
//! shown, and the UI thread never waits for the store.

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
        if adapter.get_busy() {
            return;
        }
        let language = shared.language();
        shared.visit.borrow_mut().touched();
        adapter.set_busy(true);
        let Some(inbox) = shared.inbox.borrow().clone() else { return };
        let (service, asked_in) = (service.to_string(), language.clone());
        let sent = shared.help_point.then(
            move |hp| {
                hp.take_ticket(&service, &asked_in).map_err(|e| format!("no ticket for {service}: {e}"))
            },
            move |issued| inbox.post(super::News::TicketTaken { language, issued }),
        );
        if let Err(e) = sent {
            ticket_taken(&window, &shared, "", Err(e.to_string()));
        }
    });
}

/// The help point answered a tap on a service: show the ticket, or say no ticket can be given.
pub(super) fn ticket_taken(
    window: &AppWindow,
    shared: &Rc<Shared>,
    language: &str,
    issued: Result<crate::help_point::IssuedTicket, String>,
) {
    let adapter = window.global::<ServicesAdapter>();
    adapter.set_busy(false);
    match issued {
        // The visitor may have walked away (and the screen timed out) meanwhile: the ticket
        // is stored and printed all the same, as a tap on a paper-ticket machine would be.
        Ok(issued) => {
            adapter.set_out_of_order(false);
            super::ticket::show(window, shared, &issued, language);
        }
        Err(e) => {
            log::error!("{e}");
            adapter.set_out_of_order(true);
        }
    }
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
