//! Compiles the Slint UI in `ui/` into Rust, with the bundled translations in `lang/`.
//!
//! Element debug info is kept so the headless UI tests can find elements by their
//! accessible label. Translations use no per-component context: one phrase, one translation.

fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_debug_info(true)
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        .with_bundled_translations("lang");
    slint_build::compile_with_config("ui/app.slint", config).expect("the Slint UI does not compile");
    println!("cargo:rerun-if-changed=lang");
}
