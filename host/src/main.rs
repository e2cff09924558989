//! The `wharf` command; everything it does lives in the library's `run` module.

fn main() -> std::process::ExitCode {
    wharf::run::main()
}
