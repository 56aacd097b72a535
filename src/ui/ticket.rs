//! The ticket screen: the number, the people before the visitor, the wait, and the printer.
//! Printing happens on the printer thread; its result comes back to this screen as news.

use std::rc::Rc;

use slint::ComponentHandle;

use super::Shared;
use crate::help_point::IssuedTicket;
use crate::{AppWindow, PrintState, TicketAdapter};

pub(super) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let adapter = window.global::<TicketAdapter>();
    let more = shared.clone();
    adapter.on_more_time(move || {
        more.visit.borrow_mut().more_time();
        more.show_countdowns();
    });
    let done = shared.clone();
    adapter.on_done(move || {
        done.visit.borrow_mut().back_to_welcome();
        done.show();
    });
}

/// Shows a stored ticket and sends it to the printer.
pub(super) fn show(window: &AppWindow, shared: &Rc<Shared>, issued: &IssuedTicket, language: &str) {
    let config = &shared.config;
    let ticket = &issued.ticket;
    let service = config.service(&ticket.service);
    let adapter = window.global::<TicketAdapter>();
    adapter.set_code(ticket.code().into());
    adapter.set_service_name(service.map_or(ticket.service.as_str(), |s| s.name(language)).into());
    let pictogram = service.map_or("question", |s| s.pictogram.as_str());
    adapter.set_service_pictogram(pictogram.into());
    adapter.set_service_tint(super::services::tint(pictogram));
    adapter.set_people_ahead(issued.position.people_ahead as i32);
    adapter.set_wait_known(issued.position.wait.is_some());
    if let Some(wait) = issued.position.wait {
        adapter.set_wait_low(wait.low_minutes as i32);
        adapter.set_wait_high(wait.high_minutes as i32);
    }
    shared.visit.borrow_mut().ticket_shown();
    shared.show();
    adapter.set_print_state(PrintState::Printing);
    print(window, shared, issued, language);
}

/// Sends a stored ticket (taken, or an appointment's) to the printer; the result comes back as
/// news ([`print_finished`]).
pub(super) fn print(window: &AppWindow, shared: &Rc<Shared>, issued: &IssuedTicket, language: &str) {
    let config = &shared.config;
    let ticket = &issued.ticket;
    let Some(printer) = &shared.printer else {
        print_finished(window, shared, &ticket.code(), false);
        return;
    };
    let slip = crate::printed_ticket::slip(config, issued, language, shared.logo.as_ref());
    let job = format!("{}-{}", ticket.service_day, ticket.code());
    let code = ticket.code();
    let Some(inbox) = shared.inbox.borrow().clone() else { return };
    printer.print(slip, job, move |result| {
        // Handed to the UI thread's event loop (see `print_finished`).
        inbox.post(super::News::Printed(code, result.is_ok()));
    });
}

/// A ticket left the printer (or could not): show it, if the screen still shows that ticket.
pub(super) fn print_finished(window: &AppWindow, shared: &Shared, code: &str, printed: bool) {
    let adapter = window.global::<TicketAdapter>();
    let on_ticket = adapter.get_code() == code;
    let on_check_in = super::check_in::print_finished(window, code, printed);
    if !on_ticket && !on_check_in {
        return;
    }
    if on_ticket {
        adapter.set_print_state(if printed { PrintState::Printed } else { PrintState::Failed });
    }
    if printed {
        shared.visit.borrow_mut().printed();
    } else {
        shared.visit.borrow_mut().print_failed();
    }
    shared.show_countdowns();
}
