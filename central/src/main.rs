//! `loket-central`: the organisation's central system (see the `loket_central` library).

fn main() -> std::process::ExitCode {
    loket_central::cli::main()
}
