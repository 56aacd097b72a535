//! The fixed words printed on a ticket ("your number", "people before you", "waiting time"),
//! in every language the kiosk offers.
//!
//! The screens translate through Slint's `.po` files; the printed ticket is made on the printer
//! thread without Slint, so its few words live here. It must not hold anything but words.

use crate::printer::SlipLabels;

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
    fn an_unknown_language_gets_english() {
        assert_eq!(labels("xx").your_number, "Your number");
        assert_eq!(labels("ar").your_number, "رقمك");
    }
}
