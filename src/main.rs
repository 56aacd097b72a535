//! The `loket` binary: everything lives in the library (see `loket::cli`).

fn main() -> std::process::ExitCode {
    loket::cli::main()
}
