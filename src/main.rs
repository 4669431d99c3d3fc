//! The `pbrsim` command. A thin shell over the library: parse arguments, call the
//! library, show progress, map errors to exit codes.

mod cli;

fn main() {
    std::process::exit(cli::main());
}
