//! What a printed ticket says: the slip for an issued ticket, from the config, in the site's
//! language and the visitor's, with the fixed words ("your number", "people before you",
//! "waiting time") from the translation catalogue (`lang/`, through `i18n::tr`), like the
//! screens. It must not lay out or send anything: that is `printer`.

use crate::config::Config;
use crate::help_point::IssuedTicket;
use crate::printer::{AppointmentLines, Bitmap, SlipLabels, TicketSlip};
use loket_protocol::i18n::{fill, tr};

/// The slip for a ticket a visitor took in `language`, with the site's logo if it has one.
pub fn slip(config: &Config, issued: &IssuedTicket, language: &str, logo: Option<&Bitmap>) -> TicketSlip {
    let ticket = &issued.ticket;
    let local = config.site.local_language.as_str();
    let service = config.service(&ticket.service);
    let name = |lang: &str| service.map_or(ticket.service.as_str(), |s| s.name(lang)).to_owned();
    let visitor = language != local;
    TicketSlip {
        site_name: config.site.name.clone(),
        logo: logo.cloned(),
        code: ticket.code(),
        service_local: name(local),
        service_visitor: visitor.then(|| name(language)),
        people_ahead: issued.position.people_ahead,
        wait_minutes: issued.position.wait.map(|w| (w.low_minutes, w.high_minutes)),
        issued_at: ticket.issued_at.to_zoned(config.site.timezone.clone()).datetime(),
        labels: labels(local),
        footer: (!config.ticket.footer.is_empty()).then(|| config.ticket.footer.clone()),
        has_cutter: config.ticket.cutter,
        visitor_labels: visitor.then(|| labels(language)),
        qr_url: config.ticket.qr_url_for(&ticket.code()),
        native_qr: config.ticket.native_qr,
        screening_code: ticket.screening_code.clone(),
        appointment: ticket.appointment.as_ref().map(|mark| {
            let time = mark.starts_at.to_zoned(config.site.timezone.clone()).strftime("%H:%M").to_string();
            let local_line = appointment_line(local, &time);
            let visitor_line = appointment_line(language, &time);
            AppointmentLines {
                visitor: (visitor && visitor_line != local_line).then_some(visitor_line),
                local: local_line,
            }
        }),
        reprint: None,
    }
}

/// "Appointment at 10:30" in `language`, for the ticket of a checked-in appointment.
pub fn appointment_line(language: &str, time: &str) -> String {
    // TRANSLATORS: printed on the ticket of a visitor who checked in for an appointment; {time}
    // is the time, e.g. 10:30.
    fill(tr(language, "Appointment at {time}"), &[("time", time)])
}

/// The ticket's words in `language`, from the translation catalogue; English for a language
/// without a translation. The printer's layout fills `{}` with the number of people ahead.
pub fn labels(language: &str) -> SlipLabels {
    SlipLabels {
        // TRANSLATORS: printed on the ticket above the ticket's code (E 17), and on screen.
        your_number: tr(language, "Your number").into(),
        // TRANSLATORS: printed on the ticket; {count} is how many people wait before the visitor.
        people_ahead: fill(tr(language, "People before you: {count}"), &[("count", "{}")]),
        // TRANSLATORS: printed on the ticket; {low} and {high} are minutes, e.g. "10–20 min".
        wait: tr(language, "Waiting time: {low}–{high} min").into(),
        // TRANSLATORS: printed on the ticket when no waiting time can be estimated yet.
        wait_unknown: tr(language, "Waiting time: unknown").into(),
        // TRANSLATORS: printed for the desk on a ticket taken from the skills check's result
        // screen; {code} is the result code, e.g. "K7M-4PX".
        result_code: fill(tr(language, "Skills check code: {code}"), &[("code", "{}")]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_with_a_catalogue_has_its_own_words() {
        let english = labels("en");
        let catalogue = loket_protocol::i18n::Catalogue::bundled();
        let with_file: Vec<&str> = crate::languages::all()
            .iter()
            .map(|l| l.code)
            .filter(|c| catalogue.translations(c).is_some())
            .collect();
        assert!(with_file.len() >= 4, "{with_file:?}");
        for code in with_file {
            let words = labels(code);
            assert_ne!(words.your_number, english.your_number, "{code}");
            assert_ne!(words.wait_unknown, english.wait_unknown, "{code}");
        }
    }

    #[test]
    fn the_placeholders_survive_every_translation() {
        for language in crate::languages::all() {
            let SlipLabels { people_ahead, wait, .. } = labels(language.code);
            assert_eq!(people_ahead.matches("{}").count(), 1, "{}: {people_ahead}", language.code);
            assert!(wait.contains("{low}") && wait.contains("{high}"), "{}: {wait}", language.code);
        }
    }

    #[test]
    fn a_visitor_slip_carries_both_languages_and_the_qr() {
        use crate::queue::{Position, Ticket, TicketId, TicketState, WaitEstimate};
        let mut config = Config::sample();
        config.ticket.qr_url = "https://example.org/q/{code}".into();
        let ticket = Ticket {
            id: TicketId(1),
            service_day: jiff::civil::date(2026, 11, 30),
            prefix: "E".into(),
            number: 17,
            issued_service: "email".into(),
            service: "email".into(),
            language: "ar".into(),
            issued_at: "2026-11-30T08:05:00Z".parse().unwrap(),
            state: TicketState::Waiting,
            called_at: None,
            finished_at: None,
            recalls: 0,
            screening_code: None,
            appointment: None,
        };
        let wait = Some(WaitEstimate { low_minutes: 10, high_minutes: 20 });
        let issued = IssuedTicket { ticket, position: Position { people_ahead: 3, wait } };
        let slip = slip(&config, &issued, "ar", None);
        assert_eq!((slip.code.as_str(), slip.service_local.as_str()), ("E-017", "E-mail"));
        assert_eq!(slip.service_visitor.as_deref(), Some("البريد الإلكتروني"));
        assert_eq!(slip.visitor_labels.unwrap().your_number, "رقمك");
        assert_eq!(slip.labels.your_number, "Jouw nummer");
        assert_eq!(slip.qr_url.as_deref(), Some("https://example.org/q/E-017"));
        assert_eq!(slip.issued_at, jiff::civil::date(2026, 11, 30).at(9, 5, 0, 0), "local time");
        let dutch =
            super::slip(&config, &IssuedTicket { ticket: issued.ticket.clone(), ..issued }, "nl", None);
        assert_eq!((dutch.service_visitor, dutch.visitor_labels), (None, None));
    }

    #[test]
    fn an_unknown_language_gets_english() {
        assert_eq!(labels("xx").your_number, "Your number");
        assert_eq!(labels("xx").people_ahead, "People before you: {}");
        assert_eq!(labels("ar").your_number, "رقمك");
        assert_eq!(labels("nl").people_ahead, "Voor jou: {}");
    }

    #[test]
    fn an_appointment_ticket_says_its_time_in_the_site_time_zone() {
        use crate::queue::{AppointmentMark, Position, Ticket, TicketId, TicketState};
        let config = Config::sample();
        let mark = AppointmentMark { starts_at: "2026-11-30T09:30:00Z".parse().unwrap(), desk: None };
        let ticket = Ticket {
            id: TicketId(1),
            service_day: jiff::civil::date(2026, 11, 30),
            prefix: "A".into(),
            number: 3,
            issued_service: "appointment".into(),
            service: "appointment".into(),
            language: "en".into(),
            issued_at: "2026-11-30T09:20:00Z".parse().unwrap(),
            state: TicketState::Waiting,
            called_at: None,
            finished_at: None,
            recalls: 0,
            screening_code: None,
            appointment: Some(mark),
        };
        let issued = IssuedTicket { ticket, position: Position { people_ahead: 0, wait: None } };
        let lines = slip(&config, &issued, "en", None).appointment.expect("an appointment line");
        assert!(lines.local.contains("10:30"), "Brussels is UTC+1: {}", lines.local);
        assert_eq!(appointment_line("en", "10:30"), "Appointment at 10:30");
        // The visitor's line only where it reads differently from the site's (Dutch, once a
        // translator has drafted it; English until then).
        let english = "Appointment at 10:30";
        assert_eq!(lines.visitor.as_deref(), (lines.local != english).then_some(english));
        let walk_in =
            IssuedTicket { ticket: Ticket { appointment: None, ..issued.ticket.clone() }, ..issued };
        assert_eq!(slip(&config, &walk_in, "en", None).appointment, None);
        let printed = crate::printer::encode_ticket(&slip(&config, &issued, "en", None));
        assert!(printed.omitted.is_empty(), "{:?}", printed.omitted);
        // Its time is the promise: no walk-in's "people before you" or wait beside it.
        let shows = |t: &IssuedTicket, words: &str| {
            let bytes = crate::printer::encode_ticket(&slip(&config, t, "en", None)).bytes;
            bytes.windows(words.len()).any(|w| w == words.as_bytes())
        };
        assert!(!shows(&issued, "Waiting time") && !shows(&issued, "People before you"));
        assert!(shows(&walk_in_again(&issued), "Waiting time"), "a walk-in's ticket still has its wait");
    }

    fn walk_in_again(issued: &IssuedTicket) -> IssuedTicket {
        IssuedTicket {
            ticket: crate::queue::Ticket { appointment: None, ..issued.ticket.clone() },
            position: issued.position,
        }
    }
}
