//! Which fonts draw the kiosk's text: the bundled Noto fonts (`fonts/`), for every script the
//! kiosk offers, whatever fonts the machine has.
//!
//! `ui/app.slint` imports the bundled fonts; the generated code embeds the font files in the
//! binary and registers them with Slint's font collection when a window is made, on every
//! backend and renderer (winit with the software renderer on a desktop, linuxkms with FemtoVG on
//! the Pi, the headless testing backend). Registering is not enough: Slint draws text with the
//! window's `default-font-family` ("Noto Sans": Latin, Greek, Cyrillic), then the generic
//! families sans-serif and system-ui, then a fallback per script, and the generic families and
//! per-script fallbacks come from the system's fontconfig. A registered font is only used when
//! asked for by name. So a Tigrinya name or greeting (from `src/languages.rs` or the config, never
//! named in a `.slint` file) was drawn with whatever Ethiopic font the system had: none on a
//! desktop or Pi without one, and Slint draws nothing at all then (not even boxes). Arabic script
//! only showed because the system's DejaVu Sans, fontconfig's sans-serif, has Arabic letters.
//!
//! [`use_bundled_fonts`] fixes that at the cause: it puts the bundled families first in the
//! generic sans-serif and system-ui families and makes them the fallbacks for Arabic and
//! Ethiopic script, so any text in any offered script is shaped and drawn with them. System
//! fonts stay behind them for characters the bundled fonts lack (arrows, symbols).
//!
//! It must not load fonts from the system or the disk, and it never panics: a missing family is
//! an error for the caller to log.

use slint::fontique_011::fontique::{self, FallbackKey, FamilyId, GenericFamily, Script};

/// The bundled families, as `ui/app.slint` imports them, in the order they are tried.
pub const BUNDLED_FAMILIES: [&str; 3] = ["Noto Sans", "Noto Sans Arabic", "Noto Sans Ethiopic"];

/// The scripts whose letters only a bundled family other than Noto Sans has, with that family
/// (an index into [`BUNDLED_FAMILIES`]).
const SCRIPT_FAMILIES: [([u8; 4], usize); 2] = [(*b"Arab", 1), (*b"Ethi", 2)];

/// The generic families Slint falls back to after a text's own font family.
const GENERIC: [GenericFamily; 3] =
    [GenericFamily::SansSerif, GenericFamily::SystemUi, GenericFamily::UiSansSerif];

#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error("the bundled font family {0:?} is not registered with Slint (ui/app.slint imports fonts/)")]
    NotRegistered(&'static str),
}

/// Makes the bundled fonts draw every offered script (see the module's description). Call it
/// once a window exists (its creation registers the fonts) and before it is shown.
pub fn use_bundled_fonts() -> Result<(), FontError> {
    let mut collection = slint::fontique_011::shared_collection();
    let bundled = bundled_families(&mut collection)?;
    for generic in GENERIC {
        let system: Vec<FamilyId> =
            collection.generic_families(generic).filter(|id| !bundled.contains(id)).collect();
        collection.set_generic_families(generic, bundled.iter().copied().chain(system));
    }
    for (script, family) in SCRIPT_FAMILIES {
        let key = FallbackKey::new(Script::from_bytes(script), None);
        collection.set_fallbacks(key, std::iter::once(bundled[family]));
    }
    Ok(())
}

/// The ids of [`BUNDLED_FAMILIES`] in Slint's collection, in that order.
fn bundled_families(collection: &mut fontique::Collection) -> Result<Vec<FamilyId>, FontError> {
    BUNDLED_FAMILIES
        .iter()
        .map(|name| collection.family_id(name).ok_or(FontError::NotRegistered(name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use fontique::QueryFamily;

    /// The family Slint's shaping would pick for `text` through the generic sans-serif family
    /// and `script`'s fallbacks: the first that has a glyph for every character.
    fn family_for(collection: &mut fontique::Collection, text: &str, script: [u8; 4]) -> Option<String> {
        let mut source_cache = fontique::SourceCache::default();
        let mut query = collection.query(&mut source_cache);
        query.set_families([QueryFamily::Generic(GenericFamily::SansSerif)]);
        query.set_fallbacks(FallbackKey::new(Script::from_bytes(script), None));
        let mut found = None;
        query.matches_with(|font| {
            let covers =
                font.charmap().is_some_and(|map| text.chars().all(|c| map.map(c).is_some_and(|g| g != 0)));
            if covers {
                found = Some(font.family.0);
                fontique::QueryStatus::Stop
            } else {
                fontique::QueryStatus::Continue
            }
        });
        drop(query);
        found.and_then(|id| collection.family_name(id).map(str::to_owned))
    }

    #[test]
    fn every_offered_script_is_drawn_with_a_bundled_font() {
        i_slint_backend_testing::init_no_event_loop();
        // Making a window registers the fonts that ui/app.slint imports.
        let _window = crate::AppWindow::new().unwrap();
        use_bundled_fonts().unwrap();
        let mut collection = slint::fontique_011::shared_collection();
        for (code, script, family) in [
            ("nl", *b"Latn", "Noto Sans"),
            ("uk", *b"Cyrl", "Noto Sans"),
            ("ar", *b"Arab", "Noto Sans Arabic"),
            ("fa", *b"Arab", "Noto Sans Arabic"),
            ("ps", *b"Arab", "Noto Sans Arabic"),
            ("ti", *b"Ethi", "Noto Sans Ethiopic"),
        ] {
            let language = crate::languages::language(code).unwrap();
            for text in [language.autonym, language.greeting] {
                let letters: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                assert_eq!(
                    family_for(&mut collection, &letters, script).as_deref(),
                    Some(family),
                    "{text:?}"
                );
            }
        }
    }
}
