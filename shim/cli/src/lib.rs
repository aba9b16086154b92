//! The `rbd` and `ceph` command-line tools over the rbdshim core, compatible with Ceph 16.2's
//! for what operators and OpenStack run: same command words, options, output (plain, JSON,
//! XML), messages ("rbd: error opening image foo: (2) No such file or directory") and exit
//! codes (the errno of the failure, as Ceph's tools return it).
//!
//! Layout: [`global`] (options every command accepts, CEPH_ARGS, connecting), [`spec`]
//! (`pool/ns/image@snap`), [`units`] (sizes and times as Ceph prints and parses them),
//! [`output`] (formats), [`progress`], [`error`]; the commands in [`rbd`] and [`ceph`].

pub mod ceph;
pub mod error;
pub mod global;
pub mod output;
pub mod progress;
pub mod rbd;
pub mod spec;
pub mod units;

pub use error::{CliError, CliResult};

/// Runs a tool: splits the global options out, parses and runs the command, prints a failure
/// the way Ceph's tools do, and returns the exit status. A panic becomes exit status 1 with a
/// message, never a crash dump.
pub fn run_tool(
    tool: &str,
    argv: Vec<String>,
    f: impl FnOnce(global::Globals, Vec<String>) -> Result<(), RunError>,
) -> i32 {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let (g, rest) = global::split_args_for(tool, argv)?;
        f(g, rest)
    }));
    match result {
        Ok(Ok(())) => 0,
        Ok(Err(RunError::Clap(e))) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            code
        }
        Ok(Err(RunError::Cli(e))) => {
            if !e.msg.is_empty() {
                eprintln!("{e}");
            }
            e.exit_code()
        }
        Err(_) => {
            eprintln!("{tool}: internal error");
            1
        }
    }
}

/// A failure while parsing (clap's own message and status) or while running.
pub enum RunError {
    Clap(clap::Error),
    Cli(CliError),
}

impl From<clap::Error> for RunError {
    fn from(e: clap::Error) -> Self {
        RunError::Clap(e)
    }
}

impl From<CliError> for RunError {
    fn from(e: CliError) -> Self {
        RunError::Cli(e)
    }
}
