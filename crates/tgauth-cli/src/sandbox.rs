//! `tgauth sandbox`: run the loopback Telegram emulator until Ctrl-C or SIGTERM.

use std::{net::SocketAddr, path::PathBuf};

use clap::Args;
use tgauth::SystemClock;
use tgauth::sandbox::{Sandbox, SandboxHandle};

use crate::Failure;

/// Arguments of `tgauth sandbox`.
#[derive(Debug, Args)]
pub(crate) struct SandboxArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// JSON file that keeps the sandbox's state across restarts (created if missing).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
}

/// Runs the sandbox until Ctrl-C (SIGINT) or SIGTERM, printing its base URL first.
///
/// What can fail here is the address to listen on, the state file or the signal handlers:
/// the settings given, so usage errors (exit 2).
pub(crate) fn run(args: SandboxArgs) -> Result<(), Failure> {
    crate::runtime(true)?.block_on(async {
        // Message, login and token dates come from the one reader of the wall clock.
        let mut builder = Sandbox::builder().clock(SystemClock);
        if let Some(state) = args.state {
            builder = builder.state_file(state);
        }
        // Listening for the signals before the URL is printed: whoever reads the URL may stop
        // the sandbox at once, and a signal that came before the handlers would kill it
        // without writing the state file.
        let stop = stop_requested().map_err(|error| Failure::usage_by(&error))?;
        let sandbox = builder
            .start(args.listen)
            .await
            .map_err(|error| Failure::usage_by(&error))?;
        announce(&sandbox);
        stop.await;
        sandbox
            .shutdown()
            .await
            .map_err(|error| Failure::usage_by(&error))?;
        eprintln!("tgauth sandbox: stopped");
        Ok(())
    })
}

/// Resolves on Ctrl-C (SIGINT), or on Unix also SIGTERM (what service managers, `docker stop`
/// and `timeout` send), so that either stops the sandbox cleanly and writes its state file.
/// The handlers are installed by this call, not when the future is first polled.
fn stop_requested() -> std::io::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            // Without a handler there is nothing to wait for; stopping then is the safe side.
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

fn announce(sandbox: &SandboxHandle) {
    let base = sandbox.base_url();
    println!("{base}");
    eprintln!("tgauth sandbox: listening on {base}");
    eprintln!("  Bot API:     {base}/bot<token>/<method>, files at {base}/file/bot<token>/<path>");
    eprintln!(
        "  control API: {base}/sandbox/ (POST /sandbox/bots first; see the telegram-sandbox docs)"
    );
    eprintln!("  Ctrl-C (or SIGTERM) stops it");
    if !sandbox.local_addr().ip().is_loopback() {
        // Anyone who reaches the control API can create bots and act as any user.
        eprintln!(
            "tgauth sandbox: warning: listening beyond loopback; the control API has no authentication"
        );
    }
}
