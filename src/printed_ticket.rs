//! What a printed ticket says: the slip for an issued ticket, from the config, in the site's
//! language and the visitor's, and the fixed words ("your number", "people before you",
//! "waiting time") in every language the kiosk offers.
//!
//! The screens translate through Slint's `.po` files; the printed ticket is made without
//! Slint, so its few words live here. It must not lay out or send anything: that is `printer`.

use crate::config::Config;
use crate::help_point::IssuedTicket;
use crate::printer::{Bitmap, SlipLabels, TicketSlip};

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
    }
}

/// (language, your number, people before you: {}, waiting time: {low}–{high}, unknown wait)
const WORDS: &[(&str, &str, &str, &str, &str)] = &[
    ("nl", "Uw nummer", "Voor u: {}", "Wachttijd: {low}–{high} min", "Wachttijd: onbekend"),
    ("en", "Your number", "People before you: {}", "Waiting time: {low}–{high} min", "Waiting time: unknown"),
    ("fr", "Votre numéro", "Personnes avant vous : {}", "Attente : {low}–{high} min", "Attente : inconnue"),
    ("de", "Ihre Nummer", "Vor Ihnen: {}", "Wartezeit: {low}–{high} Min.", "Wartezeit: unbekannt"),
    ("es", "Su número", "Personas delante: {}", "Espera: {low}–{high} min", "Espera: desconocida"),
    (
        "ro",
        "Numărul dumneavoastră",
        "Înaintea dvs.: {}",
        "Așteptare: {low}–{high} min",
        "Așteptare: necunoscută",
    ),
    (
        "tr",
        "Numaranız",
        "Önünüzdeki kişi: {}",
        "Bekleme süresi: {low}–{high} dk",
        "Bekleme süresi: bilinmiyor",
    ),
    ("ar", "رقمك", "عدد الأشخاص قبلك: {}", "وقت الانتظار: {low}–{high} دقيقة", "وقت الانتظار: غير معروف"),
    ("fa", "شمارهٔ شما", "نفرات پیش از شما: {}", "زمان انتظار: {low}–{high} دقیقه", "زمان انتظار: نامعلوم"),
    ("prs", "شمارهٔ شما", "افراد پیش از شما: {}", "وقت انتظار: {low}–{high} دقیقه", "وقت انتظار: نامعلوم"),
    ("ps", "ستاسو شمېره", "له تاسو مخکې: {}", "د انتظار وخت: {low}–{high} دقیقې", "د انتظار وخت: نامعلوم"),
    ("uk", "Ваш номер", "Перед вами: {}", "Очікування: {low}–{high} хв", "Очікування: невідомо"),
    ("ru", "Ваш номер", "Перед вами: {}", "Ожидание: {low}–{high} мин", "Ожидание: неизвестно"),
    ("ti", "ቁጽርኹም", "ቅድሜኹም ዘለዉ: {}", "ግዜ ምጽባይ: {low}–{high} ደቒቕ", "ግዜ ምጽባይ: ኣይፍለጥን"),
    (
        "so",
        "Lambarkaaga",
        "Dadka kaa horreeya: {}",
        "Sugitaanka: {low}–{high} daqiiqo",
        "Sugitaanka: lama yaqaan",
    ),
];

/// The ticket's words in `language`; English for a language without its own.
pub fn labels(language: &str) -> SlipLabels {
    let row = WORDS.iter().find(|w| w.0 == language).or_else(|| WORDS.iter().find(|w| w.0 == "en"));
    let (_, your_number, people_ahead, wait, wait_unknown) = row.copied().unwrap_or(WORDS[1]);
    SlipLabels {
        your_number: your_number.into(),
        people_ahead: people_ahead.into(),
        wait: wait.into(),
        wait_unknown: wait_unknown.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_the_kiosk_knows_has_its_words() {
        for language in crate::languages::all() {
            assert!(WORDS.iter().any(|w| w.0 == language.code), "no ticket words for {}", language.code);
        }
    }

    #[test]
    fn the_placeholders_survive_every_translation() {
        for (code, _, ahead, wait, _) in WORDS {
            assert_eq!(ahead.matches("{}").count(), 1, "{code}: {ahead}");
            assert!(wait.contains("{low}") && wait.contains("{high}"), "{code}: {wait}");
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
        };
        let wait = Some(WaitEstimate { low_minutes: 10, high_minutes: 20 });
        let issued = IssuedTicket { ticket, position: Position { people_ahead: 3, wait } };
        let slip = slip(&config, &issued, "ar", None);
        assert_eq!((slip.code.as_str(), slip.service_local.as_str()), ("E-017", "E-mail"));
        assert_eq!(slip.service_visitor.as_deref(), Some("البريد الإلكتروني"));
        assert_eq!(slip.visitor_labels.unwrap().your_number, "رقمك");
        assert_eq!(slip.labels.your_number, "Uw nummer");
        assert_eq!(slip.qr_url.as_deref(), Some("https://example.org/q/E-017"));
        assert_eq!(slip.issued_at, jiff::civil::date(2026, 11, 30).at(9, 5, 0, 0), "local time");
        let dutch =
            super::slip(&config, &IssuedTicket { ticket: issued.ticket.clone(), ..issued }, "nl", None);
        assert_eq!((dutch.service_visitor, dutch.visitor_labels), (None, None));
    }

    #[test]
    fn an_unknown_language_gets_english() {
        assert_eq!(labels("xx").your_number, "Your number");
        assert_eq!(labels("ar").your_number, "رقمك");
    }
}
