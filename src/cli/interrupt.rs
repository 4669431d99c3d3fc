//! Ctrl-C and SIGTERM: the first one asks the run to stop after the replications in
//! flight; a second Ctrl-C quits at once (the previous results are still intact: a
//! run only replaces them when it is complete).

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit codes of a run stopped by SIGINT and SIGTERM (128 + the signal number, as
/// shells report them).
pub const EXIT_SIGINT: i32 = 130;
pub const EXIT_SIGTERM: i32 = 143;

/// Flags set by the signal handlers.
pub struct Interrupt {
    stop: Arc<AtomicBool>,
    term: Arc<AtomicBool>,
}

impl Interrupt {
    /// Installs the handlers for the rest of the process.
    pub fn install() -> io::Result<Self> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        use signal_hook::flag;
        let stop = Arc::new(AtomicBool::new(false));
        let term = Arc::new(AtomicBool::new(false));
        // Registered first, so it sees the flag as it was before this signal: a second
        // signal while stopping ends the process at once.
        flag::register_conditional_shutdown(SIGINT, EXIT_SIGINT, Arc::clone(&stop))?;
        flag::register_conditional_shutdown(SIGTERM, EXIT_SIGTERM, Arc::clone(&stop))?;
        flag::register(SIGINT, Arc::clone(&stop))?;
        flag::register(SIGTERM, Arc::clone(&stop))?;
        flag::register(SIGTERM, Arc::clone(&term))?;
        Ok(Self { stop, term })
    }

    /// As [`Interrupt::install`], reporting a failure: `Err` holds the exit code.
    pub fn install_or_report() -> Result<Self, i32> {
        Self::install().map_err(|e| {
            super::report(format!("error: cannot install the Ctrl-C handler: {e}"));
            super::EXIT_FAILURE
        })
    }

    /// Set once a stop has been asked for.
    pub fn flag(&self) -> &AtomicBool {
        &self.stop
    }

    pub fn requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// The signal's name and the exit code it calls for.
    pub fn signal(&self) -> (&'static str, i32) {
        if self.term.load(Ordering::SeqCst) { ("SIGTERM", EXIT_SIGTERM) } else { ("Ctrl-C", EXIT_SIGINT) }
    }
}

/// This process's command line, quoted for a POSIX shell, to tell the user how to run
/// it again.
pub fn command_line() -> String {
    std::env::args_os()
        .enumerate()
        .map(|(i, a)| {
            let a = a.to_string_lossy();
            let a = if i == 0 {
                std::path::Path::new(a.as_ref()).file_name().map_or(a.clone(), |f| f.to_string_lossy())
            } else {
                a
            };
            if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "_./=:,+-@%".contains(c)) {
                a.into_owned()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
