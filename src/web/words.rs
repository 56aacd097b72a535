//! The words of the staff pages (the desk console with its sign-in form, and the TV board) in
//! the staff's language, `site.local_language`, from the translation catalogue.
//!
//! The pages in `src/web/static/` carry `{{key}}` marks; [`page`] fills them with the words of
//! [`console`] or [`board`] (HTML-escaped) and embeds the same words as a JSON dictionary that the
//! page's script reads, so a text built in the browser comes from here too. The English texts
//! are the message ids, written as literals in `tr(language, "...")` calls so the extractor finds
//! them. A visitor's language is named for staff by `languages::for_staff`: "Tigrinya (ትግርኛ)".
//! This module must not decide anything about the queue, nor hold words of the kiosk's screens.

use loket_protocol::i18n::{fill, tr};

/// One word of a page: the key the page uses, and its text in the staff's language.
pub type Word = (&'static str, &'static str);

/// The Chromium flags that let a wall TV play the board's chime without a click.
pub const AUTOPLAY_FLAGS: &str = "--kiosk --autoplay-policy=no-user-gesture-required";

/// The locale the pages format dates and times in: Belgian for the languages of Belgium.
pub fn locale(staff: &str) -> String {
    match staff {
        "nl" | "fr" | "de" => format!("{staff}-BE"),
        other => other.to_owned(),
    }
}

/// The staff console and its sign-in form.
pub fn console(l: &str) -> Vec<Word> {
    vec![
        ("desk", tr(l, "Desk")),
        ("skip", tr(l, "Skip to the content")),
        ("paused", tr(l, "Paused")),
        ("pause", tr(l, "Pause")),
        ("resume", tr(l, "Resume")),
        ("sign_out", tr(l, "Sign out")),
        ("sign_in_title", tr(l, "Sign in at a desk")),
        ("pin", tr(l, "PIN")),
        ("sign_in", tr(l, "Sign in")),
        ("call_visitor", tr(l, "Call a visitor")),
        ("paused_note", tr(l, "The desk is paused. Press Resume to call visitors again.")),
        ("call_next", tr(l, "Call the next one")),
        ("at_desk", tr(l, "At the desk")),
        ("no_visitor", tr(l, "No visitor. Call the next one.")),
        ("recall", tr(l, "Call again")),
        ("no_show", tr(l, "Did not come")),
        ("outcome", tr(l, "Outcome (optional)")),
        ("no_outcome", tr(l, "— none —")),
        ("served", tr(l, "Helped")),
        ("transfer_to", tr(l, "Send on to")),
        ("transfer", tr(l, "Send on")),
        ("waiting_title", tr(l, "Waiting")),
        ("nobody_waiting", tr(l, "Nobody is waiting.")),
        ("today", tr(l, "Today")),
        ("longest_wait", tr(l, "Longest wait")),
        ("screenings", tr(l, "Screenings")),
        ("tutorials", tr(l, "Practice lessons")),
        ("waiting_per_service", tr(l, "Waiting per service")),
        ("central", tr(l, "Central system")),
        ("backlog", tr(l, "Still to send")),
        ("last_sent", tr(l, "Last sent")),
        ("refused", tr(l, "Refused")),
        ("lookup_title", tr(l, "Look up a result")),
        ("lookup_label", tr(l, "Code of the screening (on the visitor's screen or slip)")),
        ("lookup_example", tr(l, "e.g. K7M-4PX")),
        ("look_up", tr(l, "Look up")),
        ("unfinished", tr(l, "Not finished")),
        ("referral", tr(l, "Proposal:")),
        ("per_competence", tr(l, "Per competence (DigComp)")),
        ("per_task", tr(l, "Per task")),
        ("col_task", tr(l, "Task")),
        ("col_level", tr(l, "Level")),
        ("col_done", tr(l, "Succeeded")),
        ("col_hints", tr(l, "Hints")),
        ("col_wrong", tr(l, "Wrong taps")),
        ("col_risky", tr(l, "Risky taps")),
        ("col_time", tr(l, "Time")),
        ("connection_lost", tr(l, "Connection lost – reconnecting…")),
        // Built by the script.
        ("status_400", tr(l, "That request is not right")),
        ("status_401", tr(l, "You are signed out. Sign in again")),
        ("status_403", tr(l, "This desk may not do that")),
        ("status_404", tr(l, "Not found")),
        ("status_409", tr(l, "That cannot be done now")),
        ("status_422", tr(l, "That choice does not exist")),
        ("status_429", tr(l, "Too many attempts")),
        ("status_other", tr(l, "Something went wrong on the server ({status})")),
        // TRANSLATORS: a desk in the sign-in list that has no PIN yet, so cannot be chosen.
        ("desk_without_pin", tr(l, "{desk} (no PIN set)")),
        ("choose_desk_and_pin", tr(l, "Choose the desk and enter the PIN.")),
        ("signed_in_as", tr(l, "Signed in as {desk}.")),
        ("wrong_pin", tr(l, "The desk or the PIN is not right")),
        ("try_again_in", tr(l, "Too many attempts: try again in {seconds} seconds")),
        ("no_connection", tr(l, "No connection with the server.")),
        ("signed_out", tr(l, "Signed out.")),
        ("one_waiting", tr(l, "1 visitor is waiting.")),
        ("many_waiting", tr(l, "{n} visitors are waiting.")),
        ("minutes", tr(l, "{n} min")),
        ("waited", tr(l, "waited {time}")),
        // TRANSLATORS: the button that calls one waiting visitor; "Call E-017" for screen readers.
        ("call", tr(l, "Call")),
        ("call_code", tr(l, "Call {code}")),
        // TRANSLATORS: a button on a ticket taken from the screening's result screen: its result code.
        ("screening_code", tr(l, "Screening {code}")),
        ("look_up_screening", tr(l, "Look up screening result {code}")),
        // TRANSLATORS: the content pack lacked the learner's language, so the tasks were explained in another.
        ("instructions_shown_in", tr(l, "Instructions shown in: {language} (not the visitor's language)")),
        ("state_waiting", tr(l, "waiting")),
        ("state_called", tr(l, "called")),
        ("state_served", tr(l, "helped")),
        ("state_no_show", tr(l, "did not come")),
        ("state_expired", tr(l, "expired")),
        ("done_no_show", tr(l, "{code} did not come.")),
        ("done_served", tr(l, "{code} helped.")),
        ("done_transfer", tr(l, "{code} sent on to {service}.")),
        ("done_called", tr(l, "{code} called.")),
        ("done_paused", tr(l, "Paused.")),
        ("done_resumed", tr(l, "Resumed.")),
        ("choose_service", tr(l, "Choose a service to send the visitor on to.")),
        // TRANSLATORS: staff console: asked after clicking "Send on", before the ticket moves.
        ("transfer_question", tr(l, "Send {code} on to {service}?")),
        ("transfer_yes", tr(l, "Yes, send on")),
        ("cancel", tr(l, "Cancel")),
        ("print_again", tr(l, "Print again")),
        ("done_printed_again", tr(l, "{code} printed again.")),
        ("issue_title", tr(l, "Issue a ticket")),
        ("service", tr(l, "Service")),
        ("language", tr(l, "Language")),
        ("print_on_kiosk", tr(l, "Print it on the kiosk's printer")),
        ("issue", tr(l, "Issue")),
        ("done_issued", tr(l, "{code} issued.")),
        ("done_issued_printed", tr(l, "{code} issued and printed.")),
        ("print_queued", tr(l, "{code}: sent to the printer.")),
        // TRANSLATORS: staff console; {reason} is the printer's problem in English, e.g. "out of paper".
        ("print_not_ready", tr(l, "{code} was not printed: the printer is not ready ({reason}).")),
        ("level_on_own", tr(l, "on their own")),
        ("level_with_help", tr(l, "with help")),
        ("level_not_yet", tr(l, "not yet")),
        ("ending_skipped", tr(l, "skipped")),
        // TRANSLATORS: the learner walked away from the kiosk during this task.
        ("ending_timed_out", tr(l, "left")),
        ("ending_not_reached", tr(l, "not reached")),
        ("yes", tr(l, "yes")),
        // TRANSLATORS: the kiosk showed the learner how to do it after {done} of {total} steps.
        ("shown_how", tr(l, "shown how ({done}/{total} steps)")),
        ("hints_level", tr(l, "{hints} (level {level})")),
        ("enter_code", tr(l, "Enter the code, e.g. K7M-4PX.")),
        ("no_result", tr(l, "No result with this code")),
        ("not_a_code", tr(l, "That is not a result code: 6 characters, e.g. K7M-4PX")),
        ("report_off", tr(l, "Reporting is off.")),
        ("report_starting", tr(l, "Starting…")),
        ("report_waiting_for_clock", tr(l, "Waiting for the clock to be set (NTP) before sending.")),
        ("report_sending", tr(l, "Sending…")),
        ("report_up_to_date", tr(l, "Everything has been sent.")),
        ("report_unreachable", tr(l, "Central system unreachable since {since} ({reason}).")),
        (
            "report_token_refused",
            tr(l, "The central system refuses this kiosk's key: check report.token_file."),
        ),
        ("report_dropped", tr(l, "Not kept (queue full): {list}")),
        // The appointments section.
        ("appointments_title", tr(l, "Appointments")),
        ("appt_day", tr(l, "Day")),
        ("appt_my_desk_only", tr(l, "My desk only")),
        ("appt_none", tr(l, "No appointments on this day.")),
        ("appt_time", tr(l, "Time")),
        // TRANSLATORS: the booking code the visitor types at the kiosk, e.g. "482 913".
        ("appt_code", tr(l, "Code")),
        ("appt_state", tr(l, "State")),
        ("appt_actions", tr(l, "Change")),
        ("appt_any_desk", tr(l, "any desk")),
        ("appt_language_unknown", tr(l, "— not known —")),
        ("appt_book_title", tr(l, "Book an appointment")),
        ("appt_book", tr(l, "Book")),
        ("appt_import_title", tr(l, "Appointments from a file")),
        ("appt_import_label", tr(l, "Calendar file (.ics) or spreadsheet (.csv)")),
        ("appt_import", tr(l, "Upload")),
        // TRANSLATORS: staff console: the link to the printable slip with the booking code and QR code.
        ("appt_slip", tr(l, "Slip")),
        ("appt_move", tr(l, "Move")),
        ("appt_new_time_for", tr(l, "New time for {code}")),
        ("appt_cancel", tr(l, "Cancel the appointment")),
        // TRANSLATORS: staff console: asked after clicking "Cancel the appointment", before it is cancelled.
        ("appt_cancel_question", tr(l, "Cancel the appointment {code} at {time}?")),
        ("appt_cancel_yes", tr(l, "Yes, cancel it")),
        ("appt_keep", tr(l, "Keep it")),
        ("appt_state_expected", tr(l, "expected")),
        ("appt_state_checked_in", tr(l, "checked in")),
        ("appt_state_called", tr(l, "called")),
        ("appt_state_served", tr(l, "helped")),
        ("appt_state_no_show", tr(l, "did not come")),
        ("appt_state_cancelled", tr(l, "cancelled")),
        ("appt_choose_time", tr(l, "Choose a time and a service.")),
        ("appt_choose_file", tr(l, "Choose a file first.")),
        ("appt_done_booked", tr(l, "Booked at {time}: code {code}.")),
        ("appt_done_moved", tr(l, "{code} moved to {time}.")),
        ("appt_done_cancelled", tr(l, "{code} cancelled.")),
        // TRANSLATORS: after a file upload; nothing else changed.
        ("appt_imported", tr(l, "File read: {booked} booked, {moved} moved, {unchanged} unchanged.")),
        // TRANSLATORS: {reason} is the server's reason in English; nothing in the file was taken.
        ("appt_import_refused_line", tr(l, "The file was refused, nothing changed. Line {line}: {reason}")),
        ("appt_import_refused", tr(l, "The file was refused, nothing changed: {reason}")),
    ]
}

/// The "now serving" board for the TV.
pub fn board(l: &str) -> Vec<Word> {
    vec![
        ("now_serving", tr(l, "Now serving")),
        // TRANSLATORS: the board before the first call of the day.
        ("please_wait", tr(l, "Please wait")),
        ("called_before", tr(l, "Called before")),
        // TRANSLATORS: read aloud by screen readers for a call on the board.
        ("ticket_to_desk", tr(l, "Ticket {code} to {desk}")),
        ("sound_on", tr(l, "Click to turn the sound on")),
        (
            "sound_help",
            // TRANSLATORS: below the sound button of the board; {flags} are Chromium's options.
            tr(l, "A wall TV plays the chime without a click when Chromium is started with {flags}."),
        ),
        ("connection_lost", tr(l, "Connection lost – reconnecting…")),
    ]
}

/// Escapes text for HTML, in element content and in quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The words as a JSON object that is safe inside a `<script type="application/json">`.
/// Besides the words, `languages` holds every known language as staff read it, by code.
fn script_words(staff: &str, words: &[(&str, &str)]) -> String {
    let mut map: serde_json::Map<String, serde_json::Value> =
        words.iter().copied().map(|(k, v)| (k.to_owned(), serde_json::Value::String(v.to_owned()))).collect();
    let languages = crate::languages::all()
        .iter()
        .map(|l| (l.code.to_owned(), serde_json::Value::String(crate::languages::for_staff(staff, l.code))))
        .collect();
    map.insert("languages".to_owned(), serde_json::Value::Object(languages));
    // `<`, `>` and `&` as JSON escapes: no text can end the script element.
    serde_json::Value::Object(map)
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// `template` with its `{{key}}` marks filled: `{{lang}}`, `{{dir}}` and `{{locale}}` from the
/// staff's language, `{{autoplay_flags}}`, `{{words}}` with the JSON dictionary, every other key
/// from `words` (in which `{flags}` is filled with [`AUTOPLAY_FLAGS`]). A mark without a word
/// stays as written, so a mistake shows instead of vanishing.
pub fn page(template: &str, staff: &str, words: &[Word]) -> String {
    let dir = if crate::languages::language(staff).is_some_and(|l| l.rtl) { "rtl" } else { "ltr" };
    let locale = locale(staff);
    let filled: Vec<(&str, String)> =
        words.iter().map(|(k, v)| (*k, fill(v, &[("flags", AUTOPLAY_FLAGS)]))).collect();
    let mut values: Vec<(&str, &str)> = filled.iter().map(|(k, v)| (*k, v.as_str())).collect();
    values.extend([
        ("lang", staff),
        ("dir", dir),
        ("locale", locale.as_str()),
        ("autoplay_flags", AUTOPLAY_FLAGS),
    ]);
    let json = script_words(staff, &values);
    let mut out = String::with_capacity(template.len() + json.len() + 1024);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let key = &after[..end];
        if key == "words" {
            out.push_str(&json);
        } else if let Some((_, text)) = values.iter().find(|(k, _)| *k == key) {
            out.push_str(&escape_html(text));
        } else {
            out.push_str(&rest[start..start + 2 + end + 2]);
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_of_the_pages_is_translated_into_dutch_and_french() {
        for staff in ["nl", "fr"] {
            for (key, english) in console("en").into_iter().chain(board("en")) {
                let message = loket_protocol::i18n::Catalogue::bundled().message(staff, english);
                let message = message.unwrap_or_else(|| panic!("{key} {english:?} has no {staff} text"));
                assert_eq!(
                    loket_protocol::i18n::placeholders(&message.text),
                    loket_protocol::i18n::placeholders(english),
                    "{staff}: {english:?}"
                );
            }
        }
    }

    #[test]
    fn a_page_is_filled_escaped_with_its_words_as_json() {
        let words = [("title", "Fish & <chips>"), ("said", "\"</script>\""), ("help", "Start with {flags}.")];
        let filled = page(
            "<html lang=\"{{lang}}\" dir=\"{{dir}}\">{{title}} {{unknown}}{{help}}<script>{{words}}</script>{{",
            "ar",
            &words,
        );
        assert!(filled.starts_with(
            "<html lang=\"ar\" dir=\"rtl\">Fish &amp; &lt;chips&gt; {{unknown}}Start with --kiosk"
        ));
        assert!(filled.ends_with("</script>{{"), "{filled}");
        assert!(!filled.contains("</script>\""), "the JSON cannot end the script element: {filled}");
        let json = filled.split("<script>").nth(1).unwrap().split("</script>").next().unwrap();
        let parsed: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(parsed["said"], "\"</script>\"");
        assert_eq!(parsed["lang"], "ar");
        assert_eq!(parsed["languages"]["ti"], crate::languages::for_staff("ar", "ti").as_str());
        assert!(parsed["languages"]["ti"].as_str().unwrap().ends_with(" (ትግርኛ)"));
    }
}
