//! Progress lines ("Importing image: 42% complete...") on stderr, as Ceph's tools print them
//! when stderr is a terminal; silent otherwise or with --no-progress.

use std::io::{IsTerminal, Write};

pub struct Progress {
    what: &'static str,
    enabled: bool,
    last: Option<u64>,
}

impl Progress {
    pub fn new(what: &'static str, no_progress: bool) -> Progress {
        Progress { what, enabled: !no_progress && std::io::stderr().is_terminal(), last: None }
    }

    pub fn update(&mut self, done: u64, total: u64) {
        if !self.enabled || total == 0 {
            return;
        }
        let pc = (done.min(total) * 100) / total;
        if self.last != Some(pc) {
            self.last = Some(pc);
            let _ = write!(std::io::stderr(), "\r{}: {}% complete...", self.what, pc);
        }
    }

    pub fn finish(&mut self) {
        if self.enabled {
            let _ = writeln!(std::io::stderr(), "\r{}: 100% complete...done.", self.what);
        }
    }

    pub fn fail(&mut self) {
        if self.enabled {
            let _ = writeln!(std::io::stderr(), "\r{}: {}% complete...failed.", self.what, self.last.unwrap_or(0));
        }
    }
}

impl Progress {
    /// Ends the work: "done." on success, "failed." and `what` with the errno otherwise.
    pub fn end<T>(mut self, r: rbdshim_core::Result<T>, what: &str) -> crate::CliResult<T> {
        match r {
            Ok(v) => {
                self.finish();
                Ok(v)
            }
            Err(e) => {
                self.fail();
                Err(crate::CliError::new(what, e.errno()))
            }
        }
    }
}
