//! The `liyi` binary: parse the command line, hand over to the library.

fn main() -> std::process::ExitCode {
    liyi::cli::main()
}
